"""The checker on `crm` blocks: every stage mapped exactly once, `Disqualified` optional,
unknown and doubly mapped stages and duplicate mapping names at their exact positions."""

from __future__ import annotations

from crm_texts import CRM_RULES
from leadrules import model as m
from leadrules.check import check
from leadrules.source import SourceFile
from leadrules.syntax import parse

HEAD = 'ruleset "r" version "1"\nstages Lead -> MQL -> SQL\n'


def _check(text: str) -> tuple[m.CheckedModel | None, list[tuple[str, int, int, str, str | None]]]:
    module, problems = parse(SourceFile("t.rules", text))
    assert problems == [] and module is not None
    model, diagnostics = check(module)
    return model, [(d.code, d.span.line, d.span.column, d.message, d.hint) for d in diagnostics]


def test_the_model_holds_each_mapping_in_the_order_written() -> None:
    model, problems = _check(CRM_RULES)
    assert problems == [] and model is not None
    assert list(model.crm) == ["hubspot", "salesforce"]
    hubspot = model.crm["hubspot"]
    assert hubspot.property == "lifecyclestage"
    assert hubspot.values == (("Lead", "lead"), ("MQL", "marketingqualifiedlead"), ("SQL", "salesqualifiedlead"),
                              ("Disqualified", "other"))
    assert [hubspot.value_for(s) for s in ("Lead", "SQL", "Disqualified", None)] == [
        "lead", "salesqualifiedlead", "other", None]
    # Disqualified is optional: left out, a disqualified lead has no CRM value
    assert model.crm["salesforce"].value_for("Disqualified") is None
    assert model.crm_output is None


def test_a_stage_left_unmapped() -> None:
    _, problems = _check(HEAD + 'crm hubspot "p":\n    Lead -> "lead"\n    SQL -> "sql"\n')
    assert problems == [("LR006", 3, 5, "CRM mapping 'hubspot' leaves stage 'MQL' unmapped",
                         'add a line `MQL -> "..."` to the block')]


def test_several_stages_left_unmapped_are_named_in_one_diagnostic() -> None:
    _, problems = _check(HEAD + 'crm hubspot "p":\n    Disqualified -> "other"\n')
    assert problems == [("LR006", 3, 5, "CRM mapping 'hubspot' leaves stages 'Lead', 'MQL', 'SQL' unmapped",
                         'add a line `Lead -> "..."` to the block')]


def test_a_stage_mapped_twice() -> None:
    _, problems = _check(HEAD + 'crm hubspot "p":\n    Lead -> "lead"\n    MQL -> "mql"\n    SQL -> "sql"\n'
                                '    MQL -> "other"\n')
    assert problems == [("LR006", 7, 5, "stage 'MQL' is mapped twice in CRM mapping 'hubspot'",
                         "map each stage to one CRM value")]


def test_disqualified_mapped_twice() -> None:
    _, problems = _check(HEAD + 'crm hubspot "p":\n    Lead -> "lead"\n    MQL -> "mql"\n    SQL -> "sql"\n'
                                '    Disqualified -> "a"\n    Disqualified -> "b"\n')
    assert problems == [("LR006", 8, 5, "stage 'Disqualified' is mapped twice in CRM mapping 'hubspot'",
                         "map each stage to one CRM value")]


def test_an_unknown_stage_gets_a_suggestion() -> None:
    _, problems = _check(HEAD + 'crm hubspot "p":\n    Lead -> "lead"\n    MQL -> "mql"\n    SQL -> "sql"\n'
                                '    Disqualifed -> "other"\n')
    assert problems == [("LR006", 7, 5, "CRM mapping 'hubspot' for unknown stage 'Disqualifed' "
                                        "(did you mean 'Disqualified'?)", "stages: Lead -> MQL -> SQL")]


def test_a_misspelt_stage_is_unknown_and_leaves_its_stage_unmapped() -> None:
    _, problems = _check(HEAD + 'crm hubspot "p":\n    Lead -> "lead"\n    Mql -> "mql"\n    SQL -> "sql"\n')
    assert problems == [
        ("LR006", 3, 5, "CRM mapping 'hubspot' leaves stage 'MQL' unmapped", 'add a line `MQL -> "..."` to the block'),
        ("LR006", 5, 5, "CRM mapping 'hubspot' for unknown stage 'Mql' (did you mean 'MQL'?)",
         "stages: Lead -> MQL -> SQL"),
    ]


def test_two_mappings_with_one_name() -> None:
    block = 'crm hubspot "p":\n    Lead -> "lead"\n    MQL -> "mql"\n    SQL -> "sql"\n'
    _, problems = _check(HEAD + block + block)
    assert problems == [("LR005", 7, 5, "CRM mapping 'hubspot' is declared twice",
                         "give each `crm` block a name of its own")]


def test_a_mapping_name_may_equal_another_declaration() -> None:
    model, problems = _check(HEAD + 'field hubspot: text\ncrm hubspot "p":\n    Lead -> "lead"\n    MQL -> "mql"\n'
                                    '    SQL -> "sql"\n')
    assert problems == [] and model is not None and list(model.crm) == ["hubspot"]
