"""The figures of one department-year, read from the warehouse by the metric registry.

Every figure is a metric of ``templates/metrics.yaml`` (:mod:`tasks.warehouse.metrics`). A
:class:`Figure` keeps the exact value next to its written form and the metric's SQL, so the HTML
can link each number to its provenance and ``selfeval explain`` can print it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tasks.report import formatting as fmt
from tasks.report.keyed import Keys
from tasks.warehouse import queries as q
from tasks.warehouse.metrics import Measured, Metric, Registry, metric_sql


@dataclass
class Figure:
    name: str
    value: Any  # exact: int (分 or a count), Decimal (a ratio), or a list
    text: str  # as written in the report
    query: str  # the metric's name in the registry (templates/metrics.yaml)
    description: str
    tables: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)
    label: str = ""  # the metric's label (三级指标 wording)
    unit: str = ""
    sql: str = ""  # the metric's SQL, engine-neutral, as provenance shows it


@dataclass
class Figures:
    department_code: str
    year: int
    department_name: str
    region_code: str
    items: dict[str, Figure] = field(default_factory=dict)
    splits: dict[str, list[q.Split]] = field(default_factory=dict)
    growth_of: dict[str, str] = field(default_factory=dict)  # a metric → the growth metric of it

    def add(self, figure: Figure) -> None:
        self.items[figure.name] = figure

    def __getitem__(self, name: str) -> Figure:
        return self.items[name]

    def __contains__(self, name: str) -> bool:
        return name in self.items


DEFAULT_PLACES = {"wan": 2, "yi": 1, "percent": 0, "number": 2, "count": 0}


def text_of(metric: Metric, measured: Measured) -> str:
    """A metric's value as the report writes it (rounding rules: :mod:`tasks.report.formatting`)."""
    if measured.rows == 0 and metric.empty_text is not None:
        return metric.empty_text
    places = DEFAULT_PLACES[metric.format] if metric.places is None else metric.places

    def one(value: Any) -> str:
        if value is None:
            return "—"
        if metric.format == "wan":
            return fmt.wan(value, places)
        if metric.format == "yi":
            return fmt.yi(value, places)
        if metric.format == "percent":
            return fmt.percent(value, places)
        if metric.format == "count":
            return str(value)
        return f"{fmt.quantize(Decimal(value), places):f}"

    if isinstance(measured.value, dict):
        suffix = "%" if metric.format == "percent" else ""
        return "、".join(f"{k} {one(v)}{suffix}" for k, v in measured.value.items())
    return one(measured.value)


_SQL: dict[str, str] = {}  # metrics' SQL as provenance shows it, by their definitions: compiled once per process


def _sql(registry: Registry, name: str) -> str:
    metric, parts, seen = registry[name], [name], {name}
    while parts:  # the definition of a metric and of every metric it is computed from
        for part in registry[parts.pop()].parts:
            if part not in seen:
                seen.add(part)
                parts.append(part)
    key = repr(sorted((n, repr(registry[n])) for n in seen))
    if key not in _SQL:
        _SQL[key] = metric_sql(registry, metric.name)
    return _SQL[key]


def read_figures(keys: Keys, department: str) -> Figures:
    """Every figure of the metric registry for ``department`` in the keys' year, with the fund-source and
    expense-type splits the templates and charts iterate over. Raises LookupError for a department the
    warehouse does not hold."""
    registry, year = keys.registry, keys.year
    d = keys.department(department)
    figs = Figures(department, year, str(d["department_name"]), str(d["region_code"]))
    figs.splits = keys.splits(department)
    figs.growth_of = {str(m.of): str(registry.growth_of(str(m.of))) for m in registry.metrics.values()
                      if m.kind == "growth"}
    for name, measured in keys.measured(department).items():
        metric, base = registry[name], registry.measured(name)
        params: dict[str, Any] = ({"region": figs.region_code} if base.scope == "region"
                                  else {"department": department})
        params["year"] = measured.year
        params.update(base.filters)
        params.update(metric.filters)
        figs.add(Figure(name, measured.value, text_of(metric, measured), name,
                        metric.description or metric.label, registry.tables(name), params,
                        label=metric.label, unit=metric.unit, sql=_sql(registry, name)))
    return figs
