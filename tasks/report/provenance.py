"""Where each figure of a report comes from: the metric and its SQL, the source files with their hashes,
the rules that checked them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tasks import glossary as gl
from tasks.quality.rules import load_rules
from tasks.quality.rundb import view_datasets
from tasks.report.figures import Figure, Figures
from tasks.report.keyed import Keys

TABLE_DATASETS = {
    "fct_budget_line": "budget_lines",
    "fct_payment": "payments",
    "fct_reported_total": "summary",
    "fct_application": "applications",
    "fct_investment_project": "investment_projects",
    "fct_indicator_value": "indicators",
    "fct_performance_target": "targets",
    "fct_performance_actual": "self_assessment",
}


@dataclass
class Provenance:
    figure: Figure
    query_doc: str
    sources: list[tuple[str, str, int]] = field(default_factory=list)  # uri, sha256, rows
    rules: list[dict[str, Any]] = field(default_factory=list)

    def lines(self) -> list[str]:
        f = self.figure
        out = [f"{f.name} = {f.text}", f"  {f.description}", f"  指标（metric）：{f.query} — {self.query_doc}"]
        if f.parameters:
            out.append("  参数（parameters）：" + ", ".join(f"{k}={v}" for k, v in f.parameters.items()))
        out.append("  查询（sql）：")
        out += [f"    {line}" for line in f.sql.splitlines()]
        out.append("  来源（sources）：")
        out += [f"    {uri} (sha256 {sha[:16]}…, {rows} 行)" for uri, sha, rows in self.sources] or ["    —"]
        out.append("  校验规则（checked by）：")
        out += [f"    {r['rule_id']} {r['label']} [{gl.severity(r['severity'])}]: "
                f"{'通过' if r['success'] else str(r['failing_rows']) + ' 行不符'}" for r in self.rules] or [
            "    —"]
        return out


# Tables whose rows of a department are narrowed to the figure's year; the others hold history (the
# registry) or the region's statistics.
BY_YEAR = ("fct_budget_line", "fct_payment", "fct_reported_total", "fct_performance_target", "fct_performance_actual")


def _year(table: str, figure: Figure, figures: Figures) -> int | None:
    return int(figure.parameters.get("year", figures.year)) if table in BY_YEAR else None


def provenance(keys: Keys, figures: Figures) -> dict[str, Provenance]:
    """Provenance of every figure, read from the warehouse's lineage and data-quality results."""
    results = {r["rule_id"]: r for r in keys.rule_results(figures.department_code)}
    rules_by_dataset: dict[str, list[str]] = {}
    for rule in load_rules():
        for dataset in view_datasets().get(rule.view, ()):
            rules_by_dataset.setdefault(dataset, []).append(rule.rule_id)
    labels = {r.rule_id: r.label for r in load_rules()}
    out = {}
    for name, figure in figures.items.items():
        sources: list[tuple[str, str, int]] = []
        rule_ids: list[str] = []
        for table in figure.tables:
            found = keys.sources(table, figures.department_code, _year(table, figure, figures))
            sources += [s for s in found if s not in sources]
            for rule_id in rules_by_dataset.get(TABLE_DATASETS.get(table, ""), []):
                if rule_id not in rule_ids:
                    rule_ids.append(rule_id)
        rules = [{"rule_id": r, "label": labels[r], **{k: v for k, v in results[r].items() if k != "rule_id"}}
                 for r in sorted(rule_ids) if r in results]
        out[name] = Provenance(figure, figure.label, sources, rules)
    return out
