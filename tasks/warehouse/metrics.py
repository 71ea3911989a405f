"""The metric registry: every figure a report may use, defined once as reviewed data.

``templates/metrics.yaml`` (``Settings.metrics_registry``) holds one entry per metric. A metric is an
aggregate over one warehouse table or mart, for a department (or its region) and a year:

- ``count``: rows; ``count_distinct``: distinct values of ``column``; ``sum``: Σ ``column``;
- ``ratio``: ``numerator`` ÷ ``denominator`` (two other metrics; None when the denominator is 0);
- ``growth``: metric ``of`` this year ÷ the same metric the year before − 1 (None without a base).

Filters narrow the rows (``filters: {program: 高新技术企业认定}``, a value or a list of values);
``year_offset`` shifts the year (−1: the year before); ``date_column`` dates the rows when the
table has no ``year`` (招商项目 by 签约日期), and ``to: "MM-DD"`` cuts the year at that day (支付进度
by the quarter's end); ``by`` gives one value per group (R&D by industry); ``scope: region`` reads
the department's region instead of the department (statistics). ``each: fund_source`` or
``each: expense_type`` repeats an entry over the vocabulary of :mod:`tasks.domain`, with ``{code}``
and ``{name}`` filled in.

Each entry compiles to one SQLAlchemy Core statement, so it runs alike on DuckDB and PostgreSQL;
:func:`metric_sql` shows it as the provenance prints it. Values are exact: counts ``int``, money
sums ``int`` 分, statistics sums and ratios ``Decimal``; a ``by`` metric gives ``{group: value}``.
Errors (:class:`MetricError`) name the registry file and the entry.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tasks.domain import EXPENSE_TYPES, FUND_SOURCES
from tasks.warehouse import schema as s
from tasks.yamlfile import read_config

KINDS = ("count", "count_distinct", "sum", "ratio", "growth")
AGGREGATES = ("count", "count_distinct", "sum")
FORMATS = ("wan", "yi", "count", "percent", "number")
SCOPES = ("department", "region")
EACH = {"fund_source": FUND_SOURCES, "expense_type": EXPENSE_TYPES}
# The tables a metric may read: the facts, and the marts (views the migrations create).
TABLES: dict[str, sa.Table] = {
    **{name: t for name, t in s.metadata.tables.items() if name.startswith("fct_")},
    **{t.name: t for t in s.views.tables.values()},
}
# Where a mart's rows come from, for provenance (source files and the rules that checked them).
MART_SOURCES = {"mart_line_execution": ("fct_budget_line", "fct_payment"), "int_line_ledger_by_day": ("fct_payment",),
                "int_line_ledger": ("fct_payment",)}
MONTH_DAY = re.compile(r"(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])")

Value = int | Decimal | None | dict[str, Any]


class MetricError(ValueError):
    """A metric entry that is malformed, or names a table, column or metric that does not exist."""


@dataclass(frozen=True)
class Metric:
    """One registry entry (after ``each`` is expanded)."""

    name: str
    label: str
    kind: str
    description: str = ""
    table: str | None = None
    column: str | None = None
    scope: str = "department"
    filters: dict[str, Any] = field(default_factory=dict)
    year_offset: int = 0
    date_column: str | None = None
    to: str | None = None
    by: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    of: str | None = None
    unit: str = ""
    format: str = "number"
    places: int | None = None  # decimals written; by format: wan 2, yi 1, percent 0, number 2
    empty_text: str | None = None

    @property
    def parts(self) -> tuple[str, ...]:
        """The metrics this one is computed from."""
        if self.kind == "ratio":
            return (str(self.numerator), str(self.denominator))
        if self.kind == "growth":
            return (str(self.of),)
        return ()


@dataclass(frozen=True)
class Registry:
    path: Path
    metrics: dict[str, Metric]

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.metrics)

    def __getitem__(self, name: str) -> Metric:
        try:
            return self.metrics[name]
        except KeyError:
            raise MetricError(f"metric registry {self.path}: no metric {name!r}") from None

    def __contains__(self, name: object) -> bool:
        return name in self.metrics

    def measured(self, name: str) -> Metric:
        """The metric whose table rows ``name`` is computed from: itself, or for a growth the metric it is
        of, and for a ratio its numerator (followed down), whose scope and filters its parameters are."""
        metric = self[name]
        while metric.kind in ("growth", "ratio"):
            metric = self[str(metric.of if metric.kind == "growth" else metric.numerator)]
        return metric

    def growth_of(self, name: str) -> str | None:
        """The growth metric of ``name`` (``name`` itself when it is one), or None."""
        if name in self.metrics and self.metrics[name].kind == "growth":
            return name
        return next((m.name for m in self.metrics.values() if m.kind == "growth" and m.of == name), None)

    def grouped(self, name: str) -> str | None:
        """The column a metric gives one value per (``by``, its own or its parts'), or None."""
        metric = self[name]
        if metric.by is not None:
            return metric.by
        return next((g for g in (self.grouped(p) for p in metric.parts) if g is not None), None)

    def tables(self, name: str) -> tuple[str, ...]:
        """The fact tables a metric's rows come from (marts resolved), in first-seen order."""
        metric = self[name]
        if metric.table is not None:
            return MART_SOURCES.get(metric.table, (metric.table,))
        out: list[str] = []
        for part in metric.parts:
            out += [t for t in self.tables(part) if t not in out]
        return tuple(out)


def _expand(entry: dict[str, Any], where: str) -> list[dict[str, Any]]:
    each = entry.get("each")
    if each is None:
        return [entry]
    if each not in EACH:
        raise MetricError(f"{where}: each {each!r} is not one of {sorted(EACH)}")

    def fill(value: Any, code: str, name: str) -> Any:
        if isinstance(value, str):
            return value.replace("{code}", code).replace("{name}", name)
        if isinstance(value, dict):
            return {k: fill(v, code, name) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v, code, name) for v in value]
        return value

    return [{k: fill(v, code, name) for k, v in entry.items() if k != "each"} for code, name in EACH[each]]


def _check(metric: Metric, where: str) -> None:
    if metric.kind not in KINDS:
        raise MetricError(f"{where}: kind {metric.kind!r} is not one of {KINDS}")
    if metric.format not in FORMATS:
        raise MetricError(f"{where}: format {metric.format!r} is not one of {FORMATS}")
    if metric.scope not in SCOPES:
        raise MetricError(f"{where}: scope {metric.scope!r} is not one of {SCOPES}")
    if metric.kind in AGGREGATES:
        if metric.table not in TABLES:
            raise MetricError(f"{where}: table {metric.table!r} is not a warehouse table; use one of {sorted(TABLES)}")
        table = TABLES[metric.table]
        named = [("column", metric.column), ("date_column", metric.date_column), ("by", metric.by),
                 *(("filters", c) for c in metric.filters)]
        for key, column in named:
            if column is not None and column not in table.c:
                raise MetricError(f"{where}: {key} {column!r} is not a column of {metric.table}")
        if metric.kind != "count" and metric.column is None:
            raise MetricError(f"{where}: a {metric.kind} metric needs a column")
        scope_column = "region_code" if metric.scope == "region" else "department_code"
        if scope_column not in table.c:
            raise MetricError(f"{where}: {metric.table} has no {scope_column} for scope {metric.scope!r}")
        if "year" not in table.c and metric.date_column is None:
            raise MetricError(f"{where}: {metric.table} has no year column; name the date_column that dates a row")
        if metric.to is not None and (metric.date_column is None or not MONTH_DAY.fullmatch(metric.to)):
            raise MetricError(f"{where}: to must be MM-DD and needs a date_column")
    elif metric.kind == "ratio" and not (metric.numerator and metric.denominator):
        raise MetricError(f"{where}: a ratio needs a numerator and a denominator")
    elif metric.kind == "growth" and not metric.of:
        raise MetricError(f"{where}: a growth needs the metric it is of ('of')")


def load_registry(path: Path) -> Registry:
    """Read and check the registry: entries well formed, every table, column and named metric existing,
    no name twice. Raises :class:`MetricError` naming the file and entry."""
    config = read_config(path)
    entries = config.get("metrics") if isinstance(config, dict) else None
    if not isinstance(entries, list):
        raise MetricError(f"metric registry {path}: expected a 'metrics' list")
    fields = set(Metric.__dataclass_fields__)
    metrics: dict[str, Metric] = {}
    for i, raw in enumerate(entries):
        where = f"metric registry {path}, entry {i + 1} ({raw.get('name') if isinstance(raw, dict) else raw!r})"
        if not isinstance(raw, dict):
            raise MetricError(f"{where}: expected a mapping")
        for entry in _expand(raw, where):
            unknown = set(entry) - fields
            if unknown:
                raise MetricError(f"{where}: unknown key(s) {sorted(unknown)}")
            missing = {"name", "label", "kind"} - set(entry)
            if missing:
                raise MetricError(f"{where}: missing {sorted(missing)}")
            metric = Metric(**{**entry, "filters": dict(entry.get("filters") or {})})
            _check(metric, where)
            if metric.name in metrics:
                raise MetricError(f"{where}: metric {metric.name!r} is defined twice")
            metrics[metric.name] = metric
    for metric in metrics.values():
        for part in metric.parts:
            if part not in metrics:
                raise MetricError(f"metric registry {path}, metric {metric.name!r}: names metric {part!r}, "
                                  f"which is not in the registry")
    return Registry(path, metrics)


def _value(metric: Metric, table: sa.Table, within: sa.ColumnElement[bool] | None = None) -> sa.ColumnElement[Any]:
    """An aggregate metric's value over its rows (those of them ``within`` holds for, when given: ``FILTER``); a
    sum of no rows is 0."""
    if metric.kind == "count":
        value: sa.ColumnElement[Any] = sa.func.count()
    elif metric.kind == "count_distinct":
        value = sa.func.count(sa.distinct(table.c[str(metric.column)]))
    else:
        value = sa.func.sum(table.c[str(metric.column)])
    if within is not None:
        value = value.filter(within)
    return value if metric.kind != "sum" else sa.func.coalesce(value, sa.literal_column("0"))


def statement(metric: Metric, keyed: bool = False) -> sa.Select:
    """The metric's SQL with named parameters (:department or :region, :year, :date_from, :date_to and
    one per filter): ``SELECT [group,] value, rows FROM table WHERE …``. ``keyed``: the same for many
    department-years at once, ``key`` (the department, or the region for ``scope: region``) first and
    ``:keys`` (a list) in place of the one department or region, grouped by key."""
    table = TABLES[str(metric.table)]
    columns: list[sa.ColumnElement[Any]] = [_value(metric, table).label("value"), sa.func.count().label("n_rows")]
    if metric.by is not None:
        columns.insert(0, table.c[metric.by].label("grp"))
    key = table.c.region_code if metric.scope == "region" else table.c.department_code
    if keyed:
        columns.insert(0, key.label("key"))
    q = sa.select(*columns).select_from(table)
    if keyed:
        q = q.where(key.in_(sa.bindparam("keys", expanding=True)))
    else:
        q = q.where(key == sa.bindparam("region" if metric.scope == "region" else "department"))
    if "year" in table.c:
        q = q.where(table.c.year == sa.bindparam("year"))
    if metric.date_column is not None:
        dated = table.c[metric.date_column]
        q = q.where(dated <= sa.bindparam("date_to", type_=sa.Date)) if "year" in table.c else q.where(
            dated.between(sa.bindparam("date_from", type_=sa.Date), sa.bindparam("date_to", type_=sa.Date)))
    for column, wanted in sorted(metric.filters.items()):
        if isinstance(wanted, list):
            q = q.where(table.c[column].in_(sa.bindparam(column, expanding=True)))
        else:
            q = q.where(table.c[column] == sa.bindparam(column))
    groups = ([key] if keyed else []) + ([table.c[metric.by]] if metric.by is not None else [])
    if groups:
        q = q.group_by(*groups)
    return q


def parameters(metric: Metric, department: str, region: str, year: int) -> dict[str, Any]:
    """The values of the statement's parameters for one department-year."""
    out: dict[str, Any] = {"region": region} if metric.scope == "region" else {"department": department}
    return {**out, **_period(metric, year)}


def _period(metric: Metric, year: int) -> dict[str, Any]:
    """The statement's parameters other than the key: the year, the dates and the filters."""
    y = year + metric.year_offset
    out: dict[str, Any] = {}
    table = TABLES[str(metric.table)]
    if "year" in table.c:
        out["year"] = y
    if metric.date_column is not None:
        month, day = (int(x) for x in (metric.to or "12-31").split("-"))
        out["date_to"] = dt.date(y, month, day)
        if "year" not in table.c:
            out["date_from"] = dt.date(y, 1, 1)
    out.update(metric.filters)
    return out


def metric_sql(registry: Registry, name: str) -> str:
    """The SQL of a metric as provenance shows it: engine-neutral, with named parameters; a ratio or
    growth shows the SQL of its parts."""
    metric = registry[name]
    if metric.kind == "ratio":
        return (f"{metric.numerator} ÷ {metric.denominator}\n-- {metric.numerator}:\n"
                f"{metric_sql(registry, str(metric.numerator))}\n-- {metric.denominator}:\n"
                f"{metric_sql(registry, str(metric.denominator))}")
    if metric.kind == "growth":
        return (f"{metric.of}(year) ÷ {metric.of}(year − 1) − 1\n-- {metric.of}:\n"
                f"{metric_sql(registry, str(metric.of))}")
    return str(statement(metric).compile(compile_kwargs={"render_postcompile": False}))


@dataclass(frozen=True)
class Measured:
    """A metric's value for a department-year, with the rows of its table it was computed from (0: nothing matched;
    of a mart, the mart's rows: the ledger by day's are line-days, not payments)."""

    value: Value
    rows: int
    year: int


def _exact(metric: Metric, v: Any) -> int | Decimal:
    if metric.kind != "sum":
        return int(v)
    d = Decimal(str(v))
    return int(d) if d == d.to_integral_value() and str(metric.column).endswith("_fen") else d


def _aggregates(conn: sa.Connection, metric: Metric, keys: dict[str, str], year: int) -> dict[str, Measured]:
    """An aggregate metric for every department of ``keys`` (department → region) in one statement."""
    wanted = sorted(set(keys.values()) if metric.scope == "region" else set(keys))
    result = conn.execute(statement(metric, keyed=True), {"keys": wanted, **_period(metric, year)}).all()
    y = year + metric.year_offset
    by_key: dict[str, Measured] = {}
    if metric.by is not None:
        groups: dict[str, list[tuple[str, int | Decimal, int]]] = {}
        for r in result:
            groups.setdefault(str(r.key), []).append((str(r.grp), _exact(metric, r.value), int(r.n_rows)))
        for k, rows in groups.items():
            rows.sort(key=lambda g: g[0])
            by_key[k] = Measured({g: v for g, v, _ in rows}, sum(n for _, _, n in rows), y)
        empty = Measured({}, 0, y)
    else:
        for r in result:
            by_key[str(r.key)] = Measured(_exact(metric, r.value), int(r.n_rows), y)
        empty = Measured(_exact(metric, 0), 0, y)  # what the statement gives a key with no rows
    return _by_department(metric, keys, by_key, empty)


def _by_department(metric: Metric, keys: dict[str, str], by_key: dict[str, Measured],
                   empty: Measured) -> dict[str, Measured]:
    """Each department of ``keys`` (department → region) with its key's value (its region's, for ``scope:
    region``), ``empty`` where the statement gave its key no row."""
    return {code: by_key.get(region if metric.scope == "region" else code, empty) for code, region in keys.items()}


def _dated_family(metric: Metric) -> tuple[object, ...] | None:
    """What an aggregate metric with a date bound (``to``) shares with the metrics it can be computed beside, in
    one scan of its table: all but the bound (支付进度's Σ payments to each quarter's end). None for any other."""
    if metric.kind not in AGGREGATES or metric.date_column is None or metric.by is not None:
        return None
    filters = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in metric.filters.items()))
    return (metric.table, metric.kind, metric.column, metric.scope, metric.date_column, metric.year_offset, filters)


def _aggregates_together(conn: sa.Connection, metrics: list[Metric], keys: dict[str, str],
                         year: int) -> dict[str, dict[str, Measured]]:
    """Aggregates of one dated family (:func:`_dated_family`) for every department of ``keys`` in one statement:
    the family's rows up to the latest bound, each metric's value and rows over those up to its own (``FILTER``).
    Returns metric → department → value, as :func:`_aggregates` gives each (its statement stays the metric's SQL,
    as provenance shows it)."""
    first = metrics[0]
    table = TABLES[str(first.table)]
    dated = table.c[str(first.date_column)]
    base = statement(first, keyed=True)
    key = base.selected_columns.key
    columns: list[sa.ColumnElement[Any]] = [key]
    params: dict[str, Any] = {"keys": sorted(set(keys.values()) if first.scope == "region" else set(keys))}
    for i, metric in enumerate(metrics):
        within = dated <= sa.bindparam(f"to_{i}", type_=sa.Date)
        columns += [_value(metric, table, within).label(f"value_{i}"),
                    sa.func.count().filter(within).label(f"n_rows_{i}")]
        params[f"to_{i}"] = _period(metric, year)["date_to"]
    params.update(_period(first, year), date_to=max(params[f"to_{i}"] for i in range(len(metrics))))
    rows = conn.execute(base.with_only_columns(*columns), params).all()
    y = year + first.year_offset
    out: dict[str, dict[str, Measured]] = {}
    for i, metric in enumerate(metrics):
        by_key = {str(r.key): Measured(_exact(metric, r[2 * i + 1]), int(r[2 * i + 2]), y) for r in rows}
        out[metric.name] = _by_department(metric, keys, by_key, Measured(_exact(metric, 0), 0, y))
    return out


def _growth(current: Value, previous: Value) -> Decimal | None:
    if not isinstance(current, int | Decimal) or not isinstance(previous, int | Decimal) or not previous:
        return None
    return Decimal(current) / Decimal(previous) - 1


def measure_keys(conn: sa.Connection, registry: Registry, keys: dict[str, str], year: int,
                 names: frozenset[str] | None = None) -> dict[str, dict[str, Measured]]:
    """Every metric of the registry (or only ``names`` and what they need) for the department-years of
    ``keys`` (department code → its region code) in ``year``: each aggregate is one statement for all of
    them (:func:`statement` keyed), whatever their number. Returns department → metric → value."""
    memo: dict[tuple[str, int], dict[str, Measured]] = {}

    def get(name: str, y: int) -> dict[str, Measured]:
        if (name, y) in memo:
            return memo[name, y]
        metric = registry[name]
        out: dict[str, Measured] = {}
        together = families.get(_dated_family(metric), [])
        if len(together) > 1:  # one scan for the family (Σ payments to each quarter's end): each stored
            for member, found in _aggregates_together(conn, together, keys, y).items():
                memo.setdefault((member, y), found)
            return memo[name, y]
        if metric.kind in AGGREGATES:
            out = _aggregates(conn, metric, keys, y)
        elif metric.kind == "ratio":
            parts = get(str(metric.numerator), y + metric.year_offset), get(str(metric.denominator),
                                                                            y + metric.year_offset)
            for code in keys:
                a, b = parts[0][code], parts[1][code]
                ratio = None
                if isinstance(a.value, int | Decimal) and isinstance(b.value, int | Decimal) and b.value:
                    ratio = Decimal(a.value) / Decimal(b.value)
                out[code] = Measured(ratio, a.rows, y + metric.year_offset)
        else:
            now, before = get(str(metric.of), y + metric.year_offset), get(str(metric.of), y + metric.year_offset - 1)
            for code in keys:
                current, previous = now[code], before[code]
                if isinstance(current.value, dict):
                    base = previous.value if isinstance(previous.value, dict) else {}
                    value: Value = {k: _growth(v, base.get(k)) for k, v in current.value.items()}
                else:
                    value = _growth(current.value, previous.value)
                out[code] = Measured(value, current.rows, y + metric.year_offset)
        memo[name, y] = out
        return out

    wanted = sorted(registry.names if names is None else names)
    needed, todo = set(), list(wanted)  # what the wanted metrics are computed from: a family is read for these only
    while todo:
        if (name := todo.pop()) not in needed:
            needed.add(name)
            todo.extend(registry[name].parts)
    families: dict[tuple[object, ...] | None, list[Metric]] = {}  # dated metrics read together (_dated_family)
    for name in sorted(needed):
        if (family := _dated_family(registry[name])) is not None:
            families.setdefault(family, []).append(registry[name])
    results = {name: get(name, year) for name in wanted}
    return {code: {name: results[name][code] for name in wanted} for code in keys}


def measure(conn: sa.Connection, registry: Registry, department: str, region: str, year: int,
            names: frozenset[str] | None = None) -> dict[str, Measured]:
    """Every metric of the registry (or only ``names`` and what they need) for one department-year."""
    return measure_keys(conn, registry, {department: region}, year, names)[department]
