"""The yearly flow end to end on a temporary Prefect server and a temporary DuckDB file."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from flows.cli import main
from tests.conftest import LIWAN


def run_flow(tmp: Path, source: Path | None = None, departments=None):
    from flows.self_evaluation import self_evaluation

    return self_evaluation(year=2022, departments=departments, source=str(source) if source else None,
                           warehouse_url=f"duckdb:///{tmp}/wh.duckdb", output_dir=str(tmp / "out"),
                           return_state=True)


@pytest.fixture(scope="module")
def sample_run(prefect_harness, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("flow")
    state = run_flow(tmp)
    return tmp, state


def test_all_sample_departments_load_and_render(sample_run):
    tmp, state = sample_run
    assert state.is_completed(), state.message
    summary = state.result()
    assert {o.department_code: o.status for o in summary.outcomes} == {
        "440103-KGXJ": "loaded", "440103-SWJ": "loaded", "440103-WTJ": "loaded"}
    for code in ("440103-KGXJ", "440103-SWJ", "440103-WTJ"):
        folder = tmp / "out" / "2022" / code
        assert (folder / "report.md").stat().st_size > 500
        html = (folder / "report.html").read_text(encoding="utf-8")
        assert 'href="provenance.html#fig-budget"' in html
        assert 'id="fig-budget"' in (folder / "provenance.html").read_text(encoding="utf-8")


def test_warehouse_holds_the_partitions_with_lineage(sample_run):
    tmp, _ = sample_run
    engine = sa.create_engine(f"duckdb:///{tmp}/wh.duckdb")
    with engine.connect() as conn:
        n = conn.execute(sa.text("select count(*) from fct_payment where department_code = :d and year = 2022"),
                         {"d": LIWAN}).scalar()
        lineage = conn.execute(sa.text(  # each payment's file, by its number (fct_payment_source; 0017)
            "select count(*) from fct_payment p join fct_payment_source f on f.department_code = p.department_code "
            "and f.year = p.year and f.source_file = p.source_file where f.source_uri like '%payments.csv' "
            "and length(f.source_sha256) = 64 and p.source_row >= 2 and f.run_id is not null "
            "and f.loaded_at is not null")).scalar()
        total = conn.execute(sa.text("select sum(amount_fen) from fct_payment where department_code = :d"),
                             {"d": LIWAN}).scalar()
        partitions = conn.execute(sa.text("select count(*) from ops_partition where year = 2022")).scalar()
    engine.dispose()
    with open(Path("data/sample/finance/2022") / LIWAN / "payments.csv", encoding="utf-8") as f:
        assert n == sum(1 for _ in csv.reader(f)) - 1
    assert lineage >= n
    assert total == 12_103_269_955
    assert partitions == 3


def test_one_changed_payment_changes_the_report(prefect_harness, sample_copy, tmp_path):
    path = sample_copy / "finance" / "2022" / LIWAN / "payments.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    col = rows[0].index("支付金额")
    # +60.00 元: inside the ledger tolerance (0.01 万元), so the data still passes, and the
    # executed total becomes 12103.275955 万元, written 12103.28.
    rows[1][col] = f"{float(rows[1][col]) + 60:.2f}"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    state = run_flow(tmp_path, sample_copy, [LIWAN])
    assert state.is_completed(), state.message
    text = (tmp_path / "out" / "2022" / LIWAN / "report.md").read_text(encoding="utf-8")
    assert re.search(r"执行数 12103\.28 万元", text)
    assert "一般公共预算财政拨款支出 12103.28 万元" in text


def test_cli_exit_codes(prefect_harness, sample_copy, tmp_path, capsys):
    with pytest.raises(SystemExit) as usage:
        main(["run", "--year", "twenty"])
    assert usage.value.code == 2
    assert main(["run", "--year", "2022", "--department", "NOPE", "--source", str(sample_copy),
                 "--warehouse", f"duckdb:///{tmp_path}/a.duckdb", "--out", str(tmp_path / "o")]) == 2
    assert "unknown department" in capsys.readouterr().err
    # a mistyped landing zone is a usage error, not refused data
    assert main(["run", "--year", "2022", "--source", str(tmp_path / "no-such-zone"),
                 "--warehouse", f"duckdb:///{tmp_path}/z.duckdb", "--out", str(tmp_path / "o")]) == 2
    assert f"数据目录不存在（no such folder）：{tmp_path / 'no-such-zone'}" in capsys.readouterr().err

    # a malformed metric registry: one line naming the file and entry, before anything loads
    registry = tmp_path / "metrics.yaml"
    registry.write_text("metrics:\n  - {name: x, label: 甲, kind: sum, table: mart_line_execution}\n",
                        encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SELFEVAL_METRICS_REGISTRY", str(registry))
        assert main(["run", "--year", "2022", "--department", LIWAN, "--source", str(sample_copy),
                     "--warehouse", f"duckdb:///{tmp_path}/r.duckdb", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"metric registry {registry}, entry 1 ('x'): a sum metric needs a column" in err, err
    assert not (tmp_path / "r.duckdb").exists()

    lines = sample_copy / "finance" / "2022" / LIWAN / "budget_lines.csv"
    rows = list(csv.reader(lines.open(encoding="utf-8")))
    rows[8][7] = f"{float(rows[8][6]) + 1000:.2f}"  # 全年执行数 above 全年预算数 on a project line
    with lines.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    code = main(["run", "--year", "2022", "--department", LIWAN, "--source", str(sample_copy),
                 "--warehouse", f"duckdb:///{tmp_path}/b.duckdb", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 3
    assert "FIN-001" in err and LIWAN in err
    assert not (tmp_path / "o" / "2022" / LIWAN / "report.md").exists()
    engine = sa.create_engine(f"duckdb:///{tmp_path}/b.duckdb")
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from fct_budget_line")).scalar() == 0
    engine.dispose()


def test_a_run_out_of_memory_ends_in_one_line_naming_the_setting(prefect_harness, sample_copy, tmp_path, capsys,
                                                                 monkeypatch):
    """DuckDB running out of memory within run_memory_limit (a limit below any the settings accept, to make it
    happen on the sample) ends the run Failed with one Chinese-first line naming the stage, the setting and its
    value, exit 1, no traceback, and nothing loaded."""
    monkeypatch.setattr("tasks.settings.MEMORY_FLOOR", "1MB")
    monkeypatch.setenv("SELFEVAL_RUN_MEMORY_LIMIT", "2MB")
    code = main(["run", "--year", "2022", "--department", LIWAN, "--source", str(sample_copy),
                 "--warehouse", f"duckdb:///{tmp_path}/m.duckdb", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "运行数据库内存不足（the run database ran out of memory）" in err
    assert "SELFEVAL_RUN_MEMORY_LIMIT（2MB）" in err and "DuckDB: Out of Memory Error" in err
    assert "Traceback" not in err
    engine = sa.create_engine(f"duckdb:///{tmp_path}/m.duckdb")
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from fct_budget_line")).scalar() == 0
        assert conn.execute(sa.text("select status from ops_run")).scalars().all() == ["failed"]
    engine.dispose()
