"""The checker: AST → CheckedModel, or diagnostics LR001–LR006 (all independent ones)."""

from __future__ import annotations

from decimal import Decimal

from leadrules import model as m
from leadrules.check.exprs import ExprLowerer, duration_problem, window_of
from leadrules.check.symbols import SymbolTable, did_you_mean
from leadrules.diagnostics import Diagnostic
from leadrules.fieldkinds import DECLARABLE
from leadrules.output_schema import EXPECT_KEYS, OutputSchema, output_schema
from leadrules.source import Span
from leadrules.syntax import ast
from leadrules.syntax.gc_pause import gc_paused
from leadrules.values import parse_timestamp

__all__ = ["check", "check_tests_file", "FIELD_KINDS", "EXPECT_KEYS"]

FIELD_KINDS = DECLARABLE  # the kinds written by name (fieldkinds.py)
EVENTS_KEY = "events"  # the lead record's list of events: no field may take this name

_KIND_OF = {
    ast.FieldDecl: "field",
    ast.EventDecl: "event",
    ast.ListDecl: "list",
    ast.ConditionDecl: "condition",
    ast.ScoreDecl: "score",
    ast.BandDecl: "band",
}


def check(module: ast.Module) -> tuple[m.CheckedModel | None, list[Diagnostic]]:
    """Check a ruleset module. Returns the model only when there are no errors."""
    with gc_paused():  # the model is built of many small objects that all stay alive
        return _Checker(module).run()


def check_tests_file(module: ast.Module, target: m.CheckedModel) -> tuple[tuple[m.TestCase, ...], list[Diagnostic]]:
    """Check a `tests for "x.rules"` file against the ruleset it names."""
    diagnostics: list[Diagnostic] = []
    cases: list[m.TestCase] = []
    for statement in module.statements[1:]:
        if isinstance(statement, ast.TestDecl):
            case = _test_case(statement, diagnostics, target_keys(target), target)
            if case is not None:
                cases.append(case)
        else:
            diagnostics.append(
                Diagnostic("LR001", "a `tests for` file holds only `test` blocks", statement.span,
                           hint="move declarations into the ruleset the file tests")
            )
    return tuple(cases), diagnostics


def target_keys(target: m.CheckedModel) -> set[str]:
    return set(output_schema(target).expect_keys)


def _test_case(
    test: ast.TestDecl, diagnostics: list[Diagnostic], keys: set[str], target: m.CheckedModel | None
) -> m.TestCase | None:
    as_of = [i for i in test.items if isinstance(i, ast.AsOf)]
    leads = [i for i in test.items if isinstance(i, ast.LeadLiteral)]
    expects = [i for i in test.items if isinstance(i, ast.Expect)]
    ok = True
    if len(as_of) != 1:
        diagnostics.append(Diagnostic("LR001", f"test '{test.name.value}' needs exactly one `as of` line",
                                      test.name.span, hint='add `as of "2026-11-22T00:00:00Z"`'))
        ok = False
    elif parse_timestamp(as_of[0].value.value) is None:
        diagnostics.append(Diagnostic("LR003", f"'{as_of[0].value.value}' is not a timestamp", as_of[0].value.span,
                                      hint='write e.g. "2026-11-22T00:00:00Z"'))
        ok = False
    if len(leads) != 1:
        diagnostics.append(Diagnostic("LR001", f"test '{test.name.value}' needs exactly one `lead {{...}}` line",
                                      test.name.span))
        ok = False
    if not expects:
        diagnostics.append(Diagnostic("LR001", f"test '{test.name.value}' needs at least one `expect` line",
                                      test.name.span, hint='add e.g. `expect stage == "MQL"`'))
        ok = False
    for expect in expects:
        if expect.key.name not in keys:
            suggestion = did_you_mean(expect.key.name, sorted(keys))
            message = f"unknown expect key '{expect.key.name}'"
            if suggestion:
                message += f" (did you mean '{suggestion}'?)"
            diagnostics.append(Diagnostic("LR002", message, expect.key.span,
                                          hint="expect stage, route, disqualified, reasons, blocked, a score or a band"))
            ok = False
        elif expect.key.name == "stage" and target is not None and isinstance(expect.value, str):
            known = set(target.stages) | {m.DISQUALIFIED}
            if expect.value not in known:
                suggestion = did_you_mean(expect.value, sorted(known))
                message = f"unknown stage '{expect.value}'" + (f" (did you mean '{suggestion}'?)" if suggestion else "")
                diagnostics.append(Diagnostic("LR006", message, expect.span))
                ok = False
    if not ok:
        return None
    return m.TestCase(
        test.name.value,
        as_of[0].value.value,
        leads[0].value,
        tuple((e.key.name, e.value, e.span) for e in expects),
        test.span,
    )


class _Checker:
    def __init__(self, module: ast.Module) -> None:
        self.module = module
        self.symbols = SymbolTable()
        self.disqualifier_codes = SymbolTable()
        self.diagnostics: list[Diagnostic] = []
        self.lists: dict[str, tuple[Decimal | str, ...]] = {}
        self.lowerer = ExprLowerer(self.symbols, self.lists)

    def error(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, hint=hint))

    def run(self) -> tuple[m.CheckedModel | None, list[Diagnostic]]:
        statements = self.module.statements
        if not statements or not isinstance(statements[0], ast.RulesetDecl):
            span = statements[0].span if statements else self.module.span
            if statements and isinstance(statements[0], ast.TestsFor):
                self.error("LR001", "this is a tests file; check it together with its ruleset", span)
            else:
                self.error("LR001", "a ruleset starts with `ruleset \"name\" version \"v\"`", span,
                           hint='add `ruleset "my-rules" version "1"` as the first statement')
            return None, self.diagnostics
        header = statements[0]
        for extra in statements[1:]:
            if isinstance(extra, ast.RulesetDecl):
                self.error("LR001", "only the first statement may be a `ruleset` header", extra.span)
            elif isinstance(extra, ast.TestsFor):
                self.error("LR001", "`tests for` starts a tests file and cannot follow a `ruleset` header",
                           extra.span, hint="put tests for another ruleset in a file of their own")
        self._declare(statements)
        fields = self._fields(statements)
        events = {s.name.name: s.span for s in statements if isinstance(s, ast.EventDecl)}
        stages, stages_span = self._stages(statements)
        self.lowerer.band_labels = {
            s.name.name: tuple(e.label.value for e in s.entries) for s in statements if isinstance(s, ast.BandDecl)
        }
        deps: dict[str, tuple[set[str], Span]] = {}
        conditions = self._conditions(statements, deps)
        scores = self._scores(statements, deps)
        bands = self._bands(statements, deps)
        order = self._order(deps, statements)
        # what each computed item reads directly, as the dependency analysis found it: the plan
        # takes it from here (levels of SQL steps, what a change affects) instead of re-walking
        kinds = dict((name, kind) for kind, name in order)
        uses = {(kind, name): frozenset((kinds[d], d) for d in deps[name][0] if d in kinds)
                for kind, name in order}
        disqualifiers = self._disqualifiers(statements, stages)
        criteria = self._criteria(statements, stages)
        routes = self._routes(statements, stages)
        handoff = self._handoff(statements, stages)
        crm = self._crm(statements, stages)
        keys = set(OutputSchema(tuple(scores), tuple(bands), None).expect_keys)
        tests = []
        for statement in statements:
            if isinstance(statement, ast.TestDecl):
                case = _test_case(statement, self.diagnostics, keys, None)
                if case is not None:
                    tests.append(case)
        self.diagnostics.extend(self.symbols.diagnostics)
        self.diagnostics.extend(self.disqualifier_codes.diagnostics)
        self.diagnostics.extend(self.lowerer.diagnostics)
        owner = next((s.value.value for s in statements if isinstance(s, ast.Owner)), None)
        description = next((s.value.value for s in statements if isinstance(s, ast.Description)), None)
        if any(d.level.value == "error" for d in self.diagnostics):
            self.diagnostics.sort(key=lambda d: (d.span.line, d.span.column, d.code))
            return None, self.diagnostics
        for case in tests:
            known = set(stages) | {m.DISQUALIFIED}
            for key, value, span in case.expects:
                if key == "stage" and isinstance(value, str) and value not in known:
                    self.error("LR006", f"unknown stage '{value}'", span)
        if self.diagnostics:
            return None, self.diagnostics
        model = m.CheckedModel(
            path=self.module.span.file,
            name=header.name.value,
            version=header.version.value,
            owner=owner,
            description=description,
            fields=fields,
            events=events,
            lists=dict(self.lists),
            conditions=conditions,
            scores=scores,
            bands=bands,
            disqualifiers=disqualifiers,
            stages=stages,
            handoff=handoff,
            criteria=criteria,
            routes=routes,
            tests=tuple(tests),
            order=order,
            uses=uses,
            stages_span=stages_span,
            header_span=header.span,
            handoff_span=next((s.span for s in statements if isinstance(s, ast.Handoff)), None),
            list_spans={s.name.name: s.span for s in statements if isinstance(s, ast.ListDecl)},
            used_lists=frozenset(
                n.name for s in statements for n in ast.walk(s) if isinstance(n, ast.ListName)),
            crm=crm,
        )
        return model, []

    # ---- declarations
    def _declare(self, statements: tuple[ast.Statement, ...]) -> None:
        for statement in statements:
            kind = _KIND_OF.get(type(statement))
            if kind is not None:
                name = statement.code if isinstance(statement, ast.Disqualify) else statement.name  # type: ignore[union-attr]
                assert isinstance(name, ast.Ident)
                self.symbols.declare(name, kind, statement)
                if isinstance(statement, ast.FieldDecl):
                    self.lowerer.field_kinds[name.name] = statement
            elif isinstance(statement, ast.StagesDecl):
                for stage in statement.names:
                    if stage.name == m.DISQUALIFIED:
                        self.error("LR006", f"'{m.DISQUALIFIED}' is a reserved stage name", stage.span,
                                   hint="disqualified leads get this stage automatically")
                        continue
                    self.symbols.declare(stage, "stage", statement)
            elif isinstance(statement, ast.Disqualify):
                # Disqualifier codes are labels in the output, not values in conditions, so
                # they have their own namespace: `disqualify unsubscribed ... if unsubscribed`
                # (a boolean field of the same name) is the idiomatic form.
                self.disqualifier_codes.declare(statement.code, "disqualifier", statement)

    def _fields(self, statements: tuple[ast.Statement, ...]) -> dict[str, m.Field]:
        fields: dict[str, m.Field] = {}
        for s in statements:
            if not isinstance(s, ast.FieldDecl):
                continue
            if s.name.name == EVENTS_KEY:
                # the record's "events" key holds its events list: a field of that name could
                # never be read, and every record with events would be invalid
                self.error("LR005", f"'{EVENTS_KEY}' is reserved for the lead's list of events and cannot name a field",
                           s.name.span,
                           hint=f"rename the field; events are declared with `event NAME` and read from the "
                                f"record's \"{EVENTS_KEY}\" list")
                continue
            kind = s.type.kind
            if kind != "choice" and kind not in FIELD_KINDS:
                suggestion = did_you_mean(kind, FIELD_KINDS)
                message = f"unknown type '{kind}'" + (f" (did you mean '{suggestion}'?)" if suggestion else "")
                self.error("LR002", message, s.type.span, hint="types: " + ", ".join(FIELD_KINDS) + ", one of [...]")
                continue
            low = s.type.low.value if s.type.low is not None else None
            high = s.type.high.value if s.type.high is not None else None
            if low is not None and high is not None:
                if kind not in ("integer", "number"):
                    self.error("LR003", f"a range needs an integer or number field, not {kind}", s.type.span)
                    continue
                if low > high:
                    self.error("LR003", f"empty range {low}..{high}: the lower end is above the upper", s.type.span)
                    continue
                if kind == "integer" and (low != low.to_integral_value() or high != high.to_integral_value()):
                    self.error("LR003", "an integer range takes whole numbers", s.type.span)
                    continue
            choices = tuple(c.value for c in s.type.choices)
            if kind == "choice":
                if not choices:
                    self.error("LR003", "`one of` needs at least one value", s.type.span)
                    continue
                seen: set[str] = set()
                for c in s.type.choices:
                    if c.value in seen:
                        self.error("LR005", f"duplicate value '{c.value}' in `one of`", c.span)
                    seen.add(c.value)
            fields[s.name.name] = m.Field(s.name.name, kind, s.optional, s.span, choices, low, high)
        for s in statements:
            if isinstance(s, ast.ListDecl):
                values = tuple(item.value for item in s.items.items)
                kinds = {type(v) for v in values}
                if len(kinds) > 1:
                    self.error("LR003", f"list '{s.name.name}' mixes text and numbers", s.items.span)
                self.lists[s.name.name] = values
        return fields

    def _stages(self, statements: tuple[ast.Statement, ...]) -> tuple[tuple[str, ...], Span | None]:
        decls = [s for s in statements if isinstance(s, ast.StagesDecl)]
        for extra in decls[1:]:
            self.error("LR005", "`stages` is declared twice", extra.span, hint="declare the funnel once")
        if not decls:
            return (), None
        return tuple(n.name for n in decls[0].names if n.name != m.DISQUALIFIED), decls[0].span

    def _lower_with_deps(self, expr: ast.Expr) -> tuple[m.Expr | None, set[str]]:
        self.lowerer.dependencies = set()
        lowered = self.lowerer.condition(expr)
        return lowered, self.lowerer.dependencies

    def _conditions(self, statements: tuple[ast.Statement, ...], deps: dict[str, tuple[set[str], Span]]) -> dict[str, m.Condition]:
        out: dict[str, m.Condition] = {}
        for s in statements:
            if isinstance(s, ast.ConditionDecl):
                lowered, used = self._lower_with_deps(s.condition)
                deps.setdefault(s.name.name, (used, s.name.span))
                if lowered is not None:
                    out[s.name.name] = m.Condition(s.name.name, lowered, s.span)
        return out

    def _scores(self, statements: tuple[ast.Statement, ...], deps: dict[str, tuple[set[str], Span]]) -> dict[str, m.Score]:
        out: dict[str, m.Score] = {}
        for s in statements:
            if not isinstance(s, ast.ScoreDecl):
                continue
            used: set[str] = set()
            rules: list[m.ScoreRule] = []
            for rule in s.rules:
                label = rule.label.name if rule.label is not None else None
                if isinstance(rule, ast.IfRule):
                    lowered, rule_deps = self._lower_with_deps(rule.condition)
                    used |= rule_deps
                    if lowered is not None:
                        rules.append(m.IfRule(label, rule.points, lowered, rule.span))
                    continue
                if rule.cap is not None and rule.cap <= 0:
                    self.error("LR003", "`(max M)` takes a positive M", rule.span)
                    continue
                symbol = self.symbols.get(rule.source.name)
                if symbol is None:
                    self.diagnostics.append(self.symbols.unknown(rule.source.name, rule.source.span, "event", "field"))
                    continue
                used.add(rule.source.name)
                if symbol.kind == "event":
                    problem = duration_problem(rule.window)
                    if problem is not None:
                        self.diagnostics.append(problem)
                        continue
                    rules.append(m.PerEventRule(label, rule.points, rule.source.name, window_of(rule.window), rule.cap, rule.span))
                elif symbol.kind == "field" and isinstance(symbol.node, ast.FieldDecl) and symbol.node.type.kind == "integer":
                    if rule.window is not None:
                        self.error("LR003", "`in last` applies to events, not to a field counter", rule.window.span)
                        continue
                    rules.append(m.PerFieldRule(label, rule.points, rule.source.name, rule.cap, rule.span))
                else:
                    self.error("LR003", f"`per` needs an event or an integer field; '{rule.source.name}' is neither",
                               rule.source.span, hint="declare it as `event` or as an `integer` field")
            labels = [r.label for r in s.rules if r.label is not None]
            seen: set[str] = set()
            for ident in labels:
                if ident.name in seen:
                    self.error("LR005", f"duplicate rule label '{ident.name}' in score '{s.name.name}'", ident.span)
                seen.add(ident.name)
            minimum = s.minimum.value if s.minimum is not None else None
            maximum = s.maximum.value if s.maximum is not None else None
            if minimum is not None and maximum is not None and minimum > maximum:
                self.error("LR003", f"score '{s.name.name}': min {minimum} is above max {maximum}", s.name.span)
            deps.setdefault(s.name.name, (used, s.name.span))
            out[s.name.name] = m.Score(s.name.name, minimum, maximum, tuple(rules), s.span)
        return out

    def _bands(self, statements: tuple[ast.Statement, ...], deps: dict[str, tuple[set[str], Span]]) -> dict[str, m.Band]:
        out: dict[str, m.Band] = {}
        for s in statements:
            if not isinstance(s, ast.BandDecl):
                continue
            symbol = self.symbols.get(s.score.name)
            if symbol is None:
                self.diagnostics.append(self.symbols.unknown(s.score.name, s.score.span, "score", what="score"))
                continue
            if symbol.kind != "score":
                self.error("LR003", f"a band is over a score; '{s.score.name}' is not a score", s.score.span)
                continue
            entries = []
            seen: set[str] = set()
            for entry in s.entries:
                if entry.label.value in seen:
                    self.error("LR005", f"duplicate band label '{entry.label.value}'", entry.label.span)
                seen.add(entry.label.value)
                low = entry.low.value if entry.low is not None else None
                high = entry.high.value if entry.high is not None else None
                if low is not None and high is not None and low >= high:
                    self.error("LR003", f"empty band range [{low}, {high})", entry.span,
                               hint="`from` is inclusive and `to` exclusive; `from` must be below `to`")
                entries.append(m.BandEntry(entry.label.value, low, high, entry.span))
            deps.setdefault(s.name.name, ({s.score.name}, s.name.span))
            out[s.name.name] = m.Band(s.name.name, s.score.name, tuple(entries), s.span)
        return out

    def _order(self, deps: dict[str, tuple[set[str], Span]], statements: tuple[ast.Statement, ...]) -> tuple[tuple[str, str], ...]:
        kinds = {}
        for s in statements:
            if isinstance(s, ast.ConditionDecl):
                kinds[s.name.name] = "condition"
            elif isinstance(s, ast.ScoreDecl):
                kinds[s.name.name] = "score"
            elif isinstance(s, ast.BandDecl):
                kinds[s.name.name] = "band"
        order: list[tuple[str, str]] = []
        state: dict[str, int] = {}  # 1 visiting, 2 done
        reported: set[frozenset[str]] = set()
        for root in deps:
            if state.get(root):
                continue
            # iterative DFS keeping the path for cycle messages
            stack: list[tuple[str, list[str]]] = [(root, sorted(d for d in deps[root][0] if d in deps))]
            path = [root]
            state[root] = 1
            while stack:
                node, pending = stack[-1]
                if pending:
                    nxt = pending.pop(0)
                    if state.get(nxt) == 1:
                        cycle = path[path.index(nxt):] + [nxt]
                        key = frozenset(cycle)
                        if key not in reported:
                            reported.add(key)
                            self.error("LR005", "cycle: " + " -> ".join(cycle), deps[nxt][1],
                                       hint="a condition, score or band cannot depend on itself")
                        continue
                    if state.get(nxt) == 2:
                        continue
                    state[nxt] = 1
                    path.append(nxt)
                    stack.append((nxt, sorted(d for d in deps[nxt][0] if d in deps)))
                else:
                    stack.pop()
                    path.pop()
                    state[node] = 2
                    if node in kinds:
                        order.append((kinds[node], node))
        return tuple(order)

    def _stage_ref(self, ident: ast.Ident, stages: tuple[str, ...], what: str, allow_disqualified: bool = False) -> bool:
        if ident.name in stages or (allow_disqualified and ident.name == m.DISQUALIFIED):
            return True
        candidates = list(stages) + ([m.DISQUALIFIED] if allow_disqualified else [])
        suggestion = did_you_mean(ident.name, candidates)
        message = f"{what} for unknown stage '{ident.name}'" + (f" (did you mean '{suggestion}'?)" if suggestion else "")
        hint = "stages: " + " -> ".join(stages) if stages else "declare the funnel with `stages Lead -> MQL -> SQL`"
        self.error("LR006", message, ident.span, hint=hint)
        return False

    def _disqualifiers(self, statements: tuple[ast.Statement, ...], stages: tuple[str, ...]) -> tuple[m.Disqualifier, ...]:
        out = []
        for s in statements:
            if not isinstance(s, ast.Disqualify):
                continue
            lowered, _ = self._lower_with_deps(s.condition)
            at = None
            if s.at is not None:
                if not self._stage_ref(s.at, stages, "`at`"):
                    continue
                if stages and s.at.name == stages[0]:
                    self.error("LR006", f"`at {s.at.name}`: the entry stage cannot be blocked", s.at.span,
                               hint="drop `at` to disqualify the lead outright")
                    continue
                at = s.at.name
            if lowered is not None:
                reason = s.reason.value if s.reason is not None else s.code.name
                out.append(m.Disqualifier(s.code.name, reason, at, lowered, s.span))
        return tuple(out)

    def _criteria(self, statements: tuple[ast.Statement, ...], stages: tuple[str, ...]) -> dict[str, m.StageCriterion]:
        out: dict[str, m.StageCriterion] = {}
        for s in statements:
            if not isinstance(s, ast.StageCriterion):
                continue
            lowered, _ = self._lower_with_deps(s.condition)
            if not self._stage_ref(s.stage, stages, "criterion"):
                continue
            if s.stage.name == stages[0]:
                self.error("LR006", f"'{s.stage.name}' is the entry stage and takes no criterion", s.stage.span,
                           hint="every valid lead starts in the entry stage")
                continue
            if s.stage.name in out:
                self.error("LR005", f"stage '{s.stage.name}' has a second criterion", s.stage.span,
                           hint="combine them with `and` / `or` in one `stage` line")
                continue
            if lowered is not None:
                out[s.stage.name] = m.StageCriterion(s.stage.name, lowered, s.span)
        return out

    def _routes(self, statements: tuple[ast.Statement, ...], stages: tuple[str, ...]) -> dict[str, m.Route]:
        out: dict[str, m.Route] = {}
        for s in statements:
            if not isinstance(s, ast.RouteDecl):
                continue
            if not self._stage_ref(s.stage, stages, "route", allow_disqualified=True):
                continue
            if s.stage.name in out:
                self.error("LR005", f"stage '{s.stage.name}' has a second route block", s.stage.span)
                continue
            entries: list[m.RouteEntry] = []
            otherwise: m.RouteEntry | None = None
            ok = True
            for entry in s.entries:
                if otherwise is not None:
                    self.error("LR006", "`otherwise` must be the last entry of a route block", otherwise.span)
                    ok = False
                    break
                if entry.condition is None:
                    otherwise = m.RouteEntry(entry.target.value, None, entry.span)
                    continue
                lowered, _ = self._lower_with_deps(entry.condition)
                if lowered is None:
                    ok = False
                    continue
                entries.append(m.RouteEntry(entry.target.value, lowered, entry.span))
            if ok:
                out[s.stage.name] = m.Route(s.stage.name, tuple(entries), otherwise, s.span)
        return out

    def _crm(self, statements: tuple[ast.Statement, ...], stages: tuple[str, ...]) -> dict[str, m.CrmMapping]:
        """Each `crm` block maps every stage exactly once (`Disqualified` at most once)."""
        out: dict[str, m.CrmMapping] = {}
        seen: set[str] = set()
        for s in statements:
            if not isinstance(s, ast.CrmDecl):
                continue
            if s.name.name in seen:
                self.error("LR005", f"CRM mapping '{s.name.name}' is declared twice", s.name.span,
                           hint="give each `crm` block a name of its own")
                continue
            seen.add(s.name.name)
            values: dict[str, str] = {}
            ok = True
            for entry in s.entries:
                if not self._stage_ref(entry.stage, stages, f"CRM mapping '{s.name.name}'", allow_disqualified=True):
                    ok = False
                    continue
                if entry.stage.name in values:
                    self.error("LR006", f"stage '{entry.stage.name}' is mapped twice in CRM mapping '{s.name.name}'",
                               entry.stage.span, hint="map each stage to one CRM value")
                    ok = False
                    continue
                values[entry.stage.name] = entry.value.value
            unmapped = [stage for stage in stages if stage not in values]
            if unmapped:
                listed = ", ".join(f"'{stage}'" for stage in unmapped)
                noun = "stage" if len(unmapped) == 1 else "stages"
                self.error("LR006", f"CRM mapping '{s.name.name}' leaves {noun} {listed} unmapped", s.name.span,
                           hint=f"add a line `{unmapped[0]} -> \"...\"` to the block")
                ok = False
            if ok:
                out[s.name.name] = m.CrmMapping(s.name.name, s.property.value, tuple(values.items()), s.span)
        return out

    def _handoff(self, statements: tuple[ast.Statement, ...], stages: tuple[str, ...]) -> str | None:
        decls = [s for s in statements if isinstance(s, ast.Handoff)]
        for extra in decls[1:]:
            self.error("LR005", "`handoff` is declared twice", extra.span)
        if decls:
            if self._stage_ref(decls[0].stage, stages, "handoff"):
                return decls[0].stage.name
            return None
        return stages[-1] if stages else None


