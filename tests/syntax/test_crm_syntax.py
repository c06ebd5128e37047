"""`crm NAME "property":` blocks: the AST they parse to, their canonical layout, comments kept."""

from __future__ import annotations

from crm_texts import CRM_RULES
from leadrules.io.fmt import format_module
from leadrules.source import SourceFile
from leadrules.syntax import ast, parse


def _parse(text: str) -> tuple[ast.Module | None, list[str]]:
    module, diagnostics = parse(SourceFile("t.rules", text))
    return module, [f"{d.code} {d.span.line}:{d.span.column} {d.message}" for d in diagnostics]


def fmt(text: str) -> str:
    source = SourceFile("t.rules", text)
    module, diagnostics = parse(source)
    assert diagnostics == [] and module is not None
    return format_module(module, source)


def test_a_crm_block_parses_to_its_name_property_and_entries() -> None:
    module, problems = _parse(CRM_RULES)
    assert problems == [] and module is not None
    blocks = [s for s in module.statements if isinstance(s, ast.CrmDecl)]
    assert [(b.name.name, b.property.value) for b in blocks] == [("hubspot", "lifecyclestage"),
                                                                 ("salesforce", "Status")]
    assert [(e.stage.name, e.value.value) for e in blocks[0].entries] == [
        ("Lead", "lead"), ("MQL", "marketingqualifiedlead"), ("SQL", "salesqualifiedlead"), ("Disqualified", "other")]
    assert blocks[1].entries[1].value.value == 'Working, "qualified"'
    first = blocks[0]
    assert (first.span.line, first.span.column, first.span.end_line, first.span.end_column) == (15, 1, 19, 28)
    entry = first.entries[1]
    assert (entry.stage.span.line, entry.stage.span.column, entry.value.span.column) == (17, 5, 12)


def test_the_canonical_layout_of_a_crm_block() -> None:
    messy = ('ruleset "r" version "1"\nstages Lead -> MQL\n'
             '# where the CRM keeps it\n'
             'crm   hubspot    "lifecyclestage"  :   # header note\n'
             '      Lead->"lead"     # entry note\n'
             '\n'
             '      MQL   ->   "marketingqualifiedlead"\n'
             'owner "x"\n')
    assert fmt(messy) == (
        'ruleset "r" version "1"\n\nstages Lead -> MQL\n\n'
        '# where the CRM keeps it\n'
        'crm hubspot "lifecyclestage":  # header note\n'
        '    Lead -> "lead"  # entry note\n'
        '\n'
        '    MQL -> "marketingqualifiedlead"\n'
        '\n'
        'owner "x"\n'
    )


def test_formatting_is_idempotent_and_keeps_the_shared_ruleset() -> None:
    assert fmt(CRM_RULES) == CRM_RULES
    assert fmt(fmt(CRM_RULES)) == CRM_RULES


def test_crm_is_a_reserved_word() -> None:
    _, problems = _parse('ruleset "r" version "1"\nfield crm: text\n')
    assert problems == ["LR001 2:7 'crm' is a reserved word and cannot name a field"]


def test_a_crm_block_without_entries_is_a_syntax_error() -> None:
    _, problems = _parse('ruleset "r" version "1"\nstages Lead -> MQL\ncrm hubspot "lifecyclestage":\n')
    assert len(problems) == 1 and problems[0].startswith("LR001 ")


def test_a_mapping_line_needs_a_string_value() -> None:
    _, problems = _parse('ruleset "r" version "1"\nstages Lead -> MQL\ncrm hubspot "p":\n    Lead -> lead\n')
    assert problems == ["LR001 4:13 expected a string in the crm header, found 'lead'"]
