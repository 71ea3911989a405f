"""The bundled sample is record-level and adds up to the published 2022 figures."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tasks.sources.base import make_source
from tasks.sources.extract import extract_finance, extract_registry
from tasks.synth.parts import allocate
from tasks.uscc import uscc_problem

LIWAN = "440103-KGXJ"


@pytest.fixture(scope="module")
def finance(sample_dir):
    return extract_finance(make_source("finance", sample_dir / "finance"), 2022, [LIWAN]).frames


@pytest.fixture(scope="module")
def registry(sample_dir):
    return extract_registry(make_source("registry", sample_dir / "registry")).frames


def test_allocate_is_exact_and_proportional():
    parts = allocate(1_000_003, [1, 1, 2], minimum=1)
    assert parts.sum() == 1_000_003
    assert abs(parts[2] - 2 * parts[0]) <= 2


def test_ledger_sums_to_published_execution(finance):
    pay, lines = finance["payments"], finance["budget_lines"]
    assert len(pay) > 1000  # one row per payment, not one per line
    assert pay["amount"].sum() == 12_103_269_955
    assert lines["budget"].sum() == 12_103_341_200
    by_type = lines.groupby("expense_type")["executed"].sum()
    assert by_type["基本支出"] == 2_624_031_245 and by_type["项目支出"] == 9_479_238_710
    assert lines["carryover"].sum() == 0
    assert set(lines["fund_source"]) == {"一般公共预算财政拨款"}
    ledger = pay.groupby("line_id")["amount"].sum()
    assert (ledger.reindex(lines["line_id"]).to_numpy() == lines["executed"].to_numpy()).all()


def test_registry_gives_the_published_counts(registry):
    apps, ent, inv = registry["applications"], registry["enterprises"], registry["investment_projects"]
    mine = apps[apps["department_code"] == LIWAN]
    assert mine[(mine["year"] == 2022) & (mine["program"] == "省级专精特新中小企业")]["uscc"].nunique() == 74
    hitech = apps[apps["program"] == "高新技术企业认定"]
    first = hitech.groupby("uscc")["year"].min()
    assert (first == 2022).sum() == 63 and (first == 2021).sum() == 45
    assert all(uscc_problem(c) is None for c in ent["uscc"])
    assert ent["uscc"].is_unique
    inv = inv[inv["department_code"] == LIWAN]
    signed = inv[inv["signed"].dt.year == 2022]
    assert len(signed) == 8 and (inv["registered"].dt.year == 2022).sum() == 11
    assert signed["agreed_investment"].sum() == 214_050_000_000  # 21.405 亿元
    assert signed["agreed_output"].sum() == 304_100_000_000


def test_payment_dates_are_weekdays_within_the_year(finance):
    dates = pd.to_datetime(finance["payments"]["pay_date"])
    assert (dates.dt.year == 2022).all()
    assert (np.asarray(dates.dt.day_of_week) < 5).all()


def test_company_names_stay_distinct_and_quick_when_the_registry_is_large():
    """A registry past ~1.5M names exhausted the three-character brands and looped for ever (the 20M-line
    city's 2M enterprises); it now widens its brands as it fills."""
    from tasks.synth.parts import company_names

    rng = np.random.default_rng(1)
    taken = {f"x{i}" for i in range(600_000)}
    names = company_names(rng, "广州", ["批发和零售业"] * 2_000, taken)
    assert len(set(names)) == 2_000
    brands = {n.removeprefix("广州")[:4] for n in names}
    assert all(len(b) == 4 and not b.endswith(("商", "供", "贸")) for b in brands)
    small = company_names(np.random.default_rng(1), "广州", ["批发和零售业"], set())
    assert len(small[0].removeprefix("广州").removesuffix("有限公司")) in (4, 5, 6)  # two-character brand + word


def test_a_landing_zone_yields_its_finance_one_department_at_a_time(tmp_path):
    """The zone's finance is a generator: a city's ledger is written department by department, never held
    whole; and writing it gives the same files as the bundled sample."""
    import filecmp
    import types

    from tasks.synth import sample
    from tasks.synth.generator import build_landing_zone

    zone = build_landing_zone(sample.PROFILES, sample.STATISTICS, sample.SEED)
    assert isinstance(zone.finance, types.GeneratorType)
    first = next(zone.finance)
    assert len(first.payments) > 0
    sample.build_sample(tmp_path)
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.csv"))
    assert Path("finance/2022/440103-KGXJ/payments.csv") in written
    kept = Path(__file__).resolve().parents[2] / "data" / "sample"
    _, mismatch, errors = filecmp.cmpfiles(tmp_path, kept, [str(p) for p in written], shallow=False)
    assert not mismatch and not errors  # the bundled sample is exactly what the generator writes
