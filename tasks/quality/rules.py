"""The rule registry: every rule is an expectation in a reviewed GX suite file.

Each expectation in ``expectations/*.json`` carries the DATA Act Broker-style metadata
in its ``meta``: an id, a label, a message, a category (existence, accuracy,
completeness), the view it checks and which columns hold the value provided, the value
expected and their difference. GX's own ``severity`` says whether it is fatal
(``critical``) or a warning. Adding a rule is one entry in a suite file plus its test.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from tasks.settings import EXPECTATIONS_DIR

Severity = Literal["fatal", "warning"]
# the rule id of what is said of an input file itself (a malformed cell refusing it, or a warning of how it was read),
# not of a rule of the registry
INPUT_RULE = "INPUT"
CATEGORIES = ("existence", "accuracy", "completeness")
SUITES = ("finance", "performance", "projects", "statistics", "registry", "reconciliation")


@dataclass(frozen=True)
class Rule:
    rule_id: str
    label: str
    message: str
    severity: Severity
    category: str
    suite: str
    view: str
    field: str
    expectation: dict[str, Any] = dataclasses.field(hash=False, compare=False)
    provided: str | None = None
    expected: str | None = None
    expected_text: str | None = None
    difference: str | None = None
    unit: str | None = None  # the compared figures' unit where not their own: "fen" (money, shown in 元), "day"
    field_column: str | None = None  # a view column naming the field row by row (budget, executed, ...)
    # A rule that sets a figure against another figure of the data (a reconciliation, a year-over-year check) names
    # that figure (支付明细合计), so that its refusal says 相差 between two figures, not 应为: the figure compared with
    # is not known to be the right one.
    expected_label: str | None = None
    key: tuple[str, ...] = ()  # view columns that name the failing row besides its line (指标编号 L001)
    # what a key column is called in the refusal where the contract's name of it would mislead (REC-010's item: the
    # 决算总表's row, which the contract calls 项目, is no project): (column, label) pairs
    key_labels: tuple[tuple[str, str], ...] = ()
    # the dataset the compared figure is summed from, and the view columns that select its rows: the refusal names
    # its files (payments.csv), so that the operator looks at both sides
    counterpart: tuple[str, tuple[str, ...]] | None = None


def read_suite(name: str, root: Path = EXPECTATIONS_DIR) -> dict[str, Any]:
    return json.loads((root / f"{name}.json").read_text(encoding="utf-8"))


def rules_of(suite: dict[str, Any]) -> list[Rule]:
    out = []
    for exp in suite["expectations"]:
        meta = exp["meta"]
        out.append(Rule(
            rule_id=meta["rule_id"], label=meta["label"], message=meta["message"],
            severity="fatal" if exp.get("severity", "critical") == "critical" else "warning",
            category=meta["category"], suite=suite["name"], view=meta["view"], field=meta["field"],
            expectation=exp, provided=meta.get("provided"), expected=meta.get("expected"),
            expected_text=meta.get("expected_text"), difference=meta.get("difference"), unit=meta.get("unit"),
            field_column=meta.get("field_column"), expected_label=meta.get("expected_label"),
            key=tuple(meta.get("key", ())), counterpart=_counterpart(meta.get("counterpart")),
            key_labels=tuple(sorted(meta.get("key_labels", {}).items())),
        ))
    return out


def _counterpart(meta: dict[str, Any] | None) -> tuple[str, tuple[str, ...]] | None:
    """``{"dataset": "payments", "on": ["department_code", "line_id"]}`` as ``("payments", (...))``."""
    if meta is None:
        return None
    on = tuple(meta["on"])
    if not on or on[0] != "department_code":
        raise ValueError(f"counterpart {meta}: 'on' must start with department_code")
    return str(meta["dataset"]), on


@lru_cache(maxsize=4)
def load_rules(root: Path = EXPECTATIONS_DIR) -> tuple[Rule, ...]:
    rules = [r for name in SUITES for r in rules_of(read_suite(name, root))]
    ids = [r.rule_id for r in rules]
    duplicated = {i for i in ids if ids.count(i) > 1}
    if duplicated:
        raise ValueError(f"rule ids used twice in {root}: {sorted(duplicated)}")
    return tuple(rules)
