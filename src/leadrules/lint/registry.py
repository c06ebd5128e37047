"""The ordered tuple of lint rules; it must list exactly the semantic codes of CODES."""

from __future__ import annotations

from leadrules.diagnostics import CODES
from leadrules.lint.rule import LintRule
from leadrules.lint.rules.LR101_unreachable_stage import UnreachableStage
from leadrules.lint.rules.LR102_stage_skip import StageSkip
from leadrules.lint.rules.LR103_stage_without_criterion import StageWithoutCriterion
from leadrules.lint.rules.LR201_unguarded_handoff import UnguardedHandoff
from leadrules.lint.rules.LR202_missing_required_disqualifier import MissingRequiredDisqualifier
from leadrules.lint.rules.LR203_disqualifier_never_fires import DisqualifierNeverFires
from leadrules.lint.rules.LR204_disqualifier_always_fires import DisqualifierAlwaysFires
from leadrules.lint.rules.LR301_overlapping_routes import OverlappingRoutes
from leadrules.lint.rules.LR302_dead_route import DeadRoute
from leadrules.lint.rules.LR303_unrouted_lead import UnroutedLead
from leadrules.lint.rules.LR304_band_overlap import BandOverlap
from leadrules.lint.rules.LR305_band_gap import BandGap
from leadrules.lint.rules.LR401_rule_never_fires import RuleNeverFires
from leadrules.lint.rules.LR402_duplicate_scoring import DuplicateScoring
from leadrules.lint.rules.LR403_constant_comparison import ConstantComparison
from leadrules.lint.rules.LR501_unused_declaration import UnusedDeclaration

__all__ = ["RULES", "LINT_CODES", "SOLVER_CODES"]

RULES: tuple[type[LintRule], ...] = (
    UnreachableStage, StageSkip, StageWithoutCriterion,
    UnguardedHandoff, MissingRequiredDisqualifier, DisqualifierNeverFires, DisqualifierAlwaysFires,
    OverlappingRoutes, DeadRoute, UnroutedLead, BandOverlap, BandGap,
    RuleNeverFires, DuplicateScoring, ConstantComparison,
    UnusedDeclaration,
)

# codes the analysis itself reports (solver budget, witness that does not reproduce)
SOLVER_CODES = ("LR900", "LR901")

LINT_CODES = tuple(code for code in CODES if "LR101" <= code <= "LR899")

assert tuple(rule.code for rule in RULES) == LINT_CODES, "registry and diagnostics.CODES disagree"
for _rule in RULES:
    assert CODES[_rule.code].name == _rule.name and CODES[_rule.code].severity is _rule.severity, _rule.code
