"""City scale: the synthetic city's planted faults are exactly what the gate refuses, and reruns skip
what did not change (issue 8)."""

from __future__ import annotations

import csv
import filecmp
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from flows.cli import main
from tasks.quality.outputs import read_report
from tasks.synth.city import CitySpec, build_city

SMALL = CitySpec(departments=8, years=(2022,), payments=4_000, enterprises=400, fault_rate=0.6, seed=11)


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("city") / "zone"
    build_city(root, SMALL)
    return root


def _expected(root: Path) -> dict[str, set[str]]:
    with (root / "expected_faults.csv").open(encoding="utf-8") as f:
        return {r["department_code"]: set(r["rules"].split(";")) for r in csv.DictReader(f)}


def _run(zone: Path, tmp: Path, **params):
    from flows.self_evaluation import self_evaluation

    state = self_evaluation(year=2022, source=str(zone), warehouse_url=f"duckdb:///{tmp}/wh.duckdb",
                            output_dir=str(tmp / "out"), return_state=True, **params)
    result = state.result(raise_on_failure=False)
    return state, getattr(result, "summary", result)


def test_the_city_is_reproducible_from_its_seed(city, tmp_path):
    again = tmp_path / "again"
    build_city(again, SMALL)
    files = sorted(p.relative_to(city) for p in city.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    _, mismatch, errors = filecmp.cmpfiles(city, again, [str(f) for f in files], shallow=False)
    assert (mismatch, errors) == ([], [])
    other = tmp_path / "other"
    build_city(other, CitySpec(**{**SMALL.__dict__, "seed": 12}))
    first = sorted((city / "finance" / "2022").iterdir())[0].name
    assert not filecmp.cmp(city / "finance" / "2022" / first / "payments.csv",
                           other / "finance" / "2022" / first / "payments.csv", shallow=False)


def test_the_planted_faults_are_exactly_what_the_gate_refuses(prefect_harness, city, tmp_path):
    expected = _expected(city)
    assert 2 <= len(expected) < SMALL.departments  # some faulty, some clean: both sides are checked
    state, summary = _run(city, tmp_path)
    assert state.is_failed()
    refused = {o.department_code: set(o.rules) for o in summary.outcomes if o.status == "refused"}
    assert refused == expected
    loaded = {o.department_code for o in summary.outcomes if o.status == "loaded"}  # final: 绩效目标 and 自评 sent
    assert len(loaded) == SMALL.departments - len(expected)
    engine = sa.create_engine(f"duckdb:///{tmp_path}/wh.duckdb")
    with engine.connect() as conn:
        in_warehouse = {r[0] for r in conn.execute(sa.text("select distinct department_code from fct_payment"))}
    engine.dispose()
    assert in_warehouse == loaded
    # each planted row is named, with its file, in the department's error report
    with (city / "expected_faults.csv").open(encoding="utf-8") as f:
        planted = list(csv.DictReader(f))
    for fault in planted:
        report = read_report(tmp_path / "out" / "2022" / fault["department_code"] / "data-quality-errors.csv")
        named = {(Path(r["source_file"]).name, r["row_number"]) for r in report.to_dict("records")}
        where = {(Path(fault["file"]).name, row) for row in fault["row"].split(";")}
        if fault["fault"] == "ledger_gap":  # REC-003 names the budget line whose ledger no longer sums
            where = {("budget_lines.csv", _line_row(city / fault["file"], int(fault["row"])))}
        assert where <= named, (fault, sorted(named)[:5])


def _line_row(payments: Path, row: int) -> str:
    """The budget_lines.csv row number of the budget line that payment ``row`` is paid from."""
    with payments.open(encoding="utf-8") as f:
        line_id = list(csv.DictReader(f))[row - 2]["指标编号"]
    with (payments.parent / "budget_lines.csv").open(encoding="utf-8") as f:
        return next(str(n + 2) for n, r in enumerate(csv.DictReader(f)) if r["指标编号"] == line_id)


def test_the_floor_finds_the_same_planted_faults(city):
    """bench/floor.sql checks the rules the gate checks: on the faulty city it names the same hits."""
    from bench.bench_city import run_floor

    con, (departments, payments, fatal_rows) = run_floor(city, 2022)
    hits = con.execute("SELECT dept, rule FROM hits WHERE n > 0 AND dept <> '*' "
                       "AND rule NOT IN ('STA-002', 'STA-003', 'REG-006')").fetchall()
    con.close()
    found: dict[str, set[str]] = {}
    for dept, rule in hits:
        found.setdefault(dept, set()).add(rule)
    assert found == _expected(city)
    assert departments == SMALL.departments and payments >= 0.9 * SMALL.payments and fatal_rows > 0


def _statuses(summary) -> dict[str, str]:
    return {o.department_code: o.status for o in summary.outcomes}


def _payment_count(tmp: Path) -> tuple[int, int]:
    engine = sa.create_engine(f"duckdb:///{tmp}/wh.duckdb")
    with engine.connect() as conn:
        row = conn.execute(sa.text("select count(*), sum(amount_fen) from fct_payment")).one()
    engine.dispose()
    return row[0], row[1]


def test_reruns_skip_what_did_not_change_and_redo_what_did(prefect_harness, sample_copy, tmp_path):
    state, first = _run(sample_copy, tmp_path)
    assert state.is_completed(), state.message
    codes = sorted(_statuses(first))
    assert set(_statuses(first).values()) == {"loaded"}
    rows_before = _payment_count(tmp_path)

    state, second = _run(sample_copy, tmp_path)
    assert state.is_completed(), state.message
    assert _statuses(second) == dict.fromkeys(codes, "skipped")
    for outcome in second.outcomes:
        assert outcome.reasons == [f"自运行 {first.run_id} 以来数据与代码均未变化"
                                   "（inputs and code unchanged since that run）"]
    assert "extract" not in second.timings  # nothing was read beyond hashing the files
    assert _payment_count(tmp_path) == rows_before

    # one payment of one department changes by one 分: that department alone is redone
    changed = codes[1]
    path = sample_copy / "finance" / "2022" / changed / "payments.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    amount = rows[1][-1]
    rows[1][-1] = f"{float(amount) + 0.01:.2f}"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    state, third = _run(sample_copy, tmp_path)
    assert state.is_completed(), state.message
    assert _statuses(third) == {c: "loaded" if c == changed else "skipped" for c in codes}
    assert _payment_count(tmp_path) == (rows_before[0], rows_before[1] + 1)

    # a report deleted from the output folder is rebuilt, even though the data did not change
    (tmp_path / "out" / "2022" / codes[0] / "report.md").unlink()
    state, fourth = _run(sample_copy, tmp_path)
    assert _statuses(fourth) == {c: "loaded" if c == codes[0] else "skipped" for c in codes}
    assert (tmp_path / "out" / "2022" / codes[0] / "report.md").exists()

    # --force processes every department again
    code = main(["run", "--year", "2022", "--source", str(sample_copy), "--warehouse",
                 f"duckdb:///{tmp_path}/wh.duckdb", "--out", str(tmp_path / "out"), "--force"])
    assert code == 0
    engine = sa.create_engine(f"duckdb:///{tmp_path}/wh.duckdb")
    with engine.connect() as conn:
        runs = conn.execute(sa.text("select run_id from ops_partition where year = 2022")).scalars().all()
    engine.dispose()
    assert len(set(runs)) == 1 and runs[0] not in {first.run_id, third.run_id, fourth.run_id}
    assert _payment_count(tmp_path) == (rows_before[0], rows_before[1] + 1)


def test_a_narrative_change_alone_redoes_that_department(prefect_harness, sample_copy, tmp_path):
    state, first = _run(sample_copy, tmp_path)
    assert state.is_completed(), state.message
    codes = sorted(_statuses(first))
    narrative = sample_copy / "narrative" / "2022" / f"{codes[2]}.yaml"
    narrative.write_text(narrative.read_text(encoding="utf-8") + "\n# reviewed\n", encoding="utf-8")
    _, second = _run(sample_copy, tmp_path)
    assert _statuses(second) == {c: "loaded" if c == codes[2] else "skipped" for c in codes}


def test_synth_command_writes_a_city_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "zone"
    assert main(["synth", "--out", str(out), "--departments", "3", "--payments", "900", "--enterprises", "100",
                 "--fault-rate", "1", "--seed", "3"]) == 0
    assert "3 个部门" in capsys.readouterr().out
    assert len(list((out / "finance" / "2022").iterdir())) == 3
    assert len(_expected(out)) == 3
    with (out / "expected_faults.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            assert (out / row["file"]).exists() and all(int(n) >= 2 for n in row["row"].split(";"))
    assert main(["synth", "--out", str(out)]) == 2
    assert "不为空" in capsys.readouterr().err
    shutil.rmtree(out)
    assert main(["synth", "--out", str(out), "--fault-rate", "1.5"]) == 2
    assert main(["synth", "--out", str(out), "--departments", "-3"]) == 2
    assert main(["synth", "--out", str(out), "--years", "1850"]) == 2


def test_a_reloaded_earlier_year_redoes_the_later_report(prefect_harness, sample_copy, tmp_path):
    """The report's trend reads the department's earlier years: reloading one makes the report stale."""
    import datetime as dt

    from tasks.warehouse.schema import ops_partition

    state, first = _run(sample_copy, tmp_path)
    assert state.is_completed(), state.message
    codes = sorted(_statuses(first))
    engine = sa.create_engine(f"duckdb:///{tmp_path}/wh.duckdb")
    with engine.begin() as conn:  # as a 2021 run would leave it
        conn.execute(ops_partition.insert().values(
            department_code=codes[0], year=2021, run_id="run-2021", inputs_sha256="0" * 64, code_version="x",
            loaded_at=dt.datetime.now(dt.UTC), row_counts="{}"))
    engine.dispose()
    _, second = _run(sample_copy, tmp_path)
    assert _statuses(second) == {c: "loaded" if c == codes[0] else "skipped" for c in codes}
    _, third = _run(sample_copy, tmp_path)
    assert set(_statuses(third).values()) == {"skipped"}


def test_a_render_that_failed_after_its_load_is_redone(prefect_harness, sample_copy, tmp_path, monkeypatch):
    """The promotion commits before rendering; a failed render must not leave the department looking done,
    nor stop the others' reports."""
    state, first = _run(sample_copy, tmp_path)
    codes = sorted(_statuses(first))
    victim = codes[1]
    narrative = sample_copy / "narrative" / "2022" / f"{victim}.yaml"
    narrative.write_text(narrative.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    import tasks.report.build as build

    real = build.report_input

    def failing(keys, settings, department, notes=None, **kwargs):
        if department == victim:
            raise RuntimeError("renderer crashed")
        return real(keys, settings, department, notes, **kwargs)

    monkeypatch.setattr(build, "report_input", failing)
    state, failed = _run(sample_copy, tmp_path)
    assert not state.is_completed() and "renderer crashed" in str(state.message)
    assert _statuses(failed)[victim] == "failed"
    monkeypatch.setattr(build, "report_input", real)
    state, third = _run(sample_copy, tmp_path)
    assert state.is_completed(), state.message
    assert _statuses(third) == {c: "loaded" if c == victim else "skipped" for c in codes}


def test_a_changed_setting_or_code_redoes_every_department(prefect_harness, sample_copy, tmp_path, monkeypatch):
    import tasks.pipeline as pipeline

    state, _ = _run(sample_copy, tmp_path)
    assert state.is_completed(), state.message
    monkeypatch.setenv("SELFEVAL_LEDGER_TOLERANCE_WAN", "0.02")
    _, second = _run(sample_copy, tmp_path)
    assert set(_statuses(second).values()) == {"loaded"}
    monkeypatch.setattr(pipeline, "code_version", lambda: "another-release")
    _, third = _run(sample_copy, tmp_path)
    assert set(_statuses(third).values()) == {"loaded"}
