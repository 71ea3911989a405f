"""A first run on a small busy machine: the temporary Prefect server may start slowly, and an expected
condition (a refusal, a mistyped code, a server that does not start) ends in one line, never a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from tasks import glossary as gl
from tasks.warehouse.runs import last_statuses, refused_since_loaded
from tests.conftest import LIWAN
from tests.integration.test_quality_gate import push_execution_above_budget

SLOW_START = 25  # seconds: past Prefect's own default of 20


def slow_server(folder: Path) -> Path:
    """A ``sitecustomize`` that makes the temporary Prefect server's process sleep before it starts, and leaves
    a file ``started`` in ``folder`` as it does."""
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(
        "import pathlib, sys, time\n"
        "if 'prefect.server.api.server:create_app' in sys.argv:\n"
        f"    pathlib.Path({str(folder / 'started')!r}).touch()\n"
        f"    time.sleep({SLOW_START})\n", encoding="utf-8")
    return folder


def selfeval(tmp: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SELFEVAL_"))}
    clean["PREFECT_HOME"] = str(tmp / "prefect-home")
    return subprocess.run([sys.executable, "-m", "flows.cli", "run", "--year", "2022", "--department", LIWAN,
                           "--warehouse", f"duckdb:///{tmp}/wh.duckdb", "--out", str(tmp / "out"), *args],
                          env={**clean, **env}, capture_output=True, text=True, timeout=600,
                          cwd=Path(__file__).resolve().parents[2])


def test_a_slow_temporary_server_still_runs(tmp_path):
    done = selfeval(tmp_path, PYTHONPATH=str(slow_server(tmp_path / "slow")))
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "out" / "2022" / LIWAN / "report.html").exists()
    assert (tmp_path / "slow" / "started").exists()  # the server's mark (read by the test of a wrong address)
    assert "Traceback" not in done.stderr + done.stdout
    assert f"注意（note）：新建数据仓库 {tmp_path / 'wh.duckdb'}：这是一个空的新仓库" in done.stderr  # said
    said = [x for x in done.stderr.splitlines() if x.strip() and not re.match(r"\d\d:\d\d:\d\d\.\d+ \|", x)]
    assert said[-1] == gl.WAREHOUSE_MADE.format(where=tmp_path / "wh.duckdb")  # and last, but for Prefect's own log


def test_a_run_that_ends_before_its_plan_does_not_say_it_made_the_tables(tmp_path, pg_url):
    """A database with no selfeval tables: the run says it will make them, and when the temporary server does not
    start (so the flow's plan never ran), it does not then say it made them."""
    done = selfeval(tmp_path, "--warehouse", pg_url, PYTHONPATH=str(slow_server(tmp_path / "slow")),
                    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="20")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "中还没有 selfeval 的表，将在其中新建" in done.stderr and "本次运行新建了数据仓库" not in done.stderr


def test_a_server_that_does_not_start_in_time_is_one_line(tmp_path):
    # Prefect's own default: the same slow start fails it (which is why selfeval waits longer)
    done = selfeval(tmp_path, PYTHONPATH=str(slow_server(tmp_path / "slow")),
                    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="20")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    [line] = [x for x in done.stderr.splitlines() if x.startswith("selfeval:")]
    assert "20 秒内未能启动" in line and "SELFEVAL_PREFECT_START_SECONDS" in line


@pytest.mark.parametrize(("wrong", "said"), [
    ("/selfeval_no_such_database", "数据仓库服务器已应答，但没有数据库 selfeval_no_such_database（"),
    ("role", "数据仓库服务器拒绝登录 postgresql+psycopg://selfeval_no_such_role@"),
    ("port", "无法连接数据仓库 postgresql+psycopg://"),
])
def test_a_wrong_warehouse_address_fails_before_prefect_starts(pg_server_url, tmp_path, wrong, said):
    """`selfeval run` reaches the warehouse before it starts Prefect's temporary server, and says which part of
    the address is wrong: the database's name, the login, or a server that does not answer."""
    url = sa.make_url(pg_server_url)
    bad = (url.set(database=wrong.lstrip("/")) if wrong.startswith("/") else
           url.set(username="selfeval_no_such_role") if wrong == "role" else url.set(port=1))
    marks = slow_server(tmp_path / "slow")
    done = selfeval(tmp_path, "--warehouse", bad.render_as_string(hide_password=False), PYTHONPATH=str(marks))
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr + done.stdout
    [line] = [x for x in done.stderr.splitlines() if x.startswith("selfeval:")]
    assert line.startswith(f"selfeval: {said}"), line
    assert not (marks / "started").exists()  # the server was never started
    assert not (tmp_path / "out" / "2022").exists()


def test_an_unknown_department_fails_before_prefect_starts(tmp_path):
    """A mistyped ``--department`` is found in the landing zone's catalogue before the temporary server starts:
    exit 2, one line naming the code and the known ones, nothing written."""
    marks = slow_server(tmp_path / "slow")
    done = selfeval(tmp_path, "--department", "440103-KGXI", PYTHONPATH=str(marks))
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr + done.stdout
    [line] = [x for x in done.stderr.splitlines() if x.startswith("selfeval:")]
    assert "没有这个部门编码（unknown department code）：440103-KGXI；" in line and LIWAN in line, line
    assert not (marks / "started").exists()  # the server was never started
    assert not (tmp_path / "out" / "2022").exists() and not (tmp_path / "wh.duckdb").exists()


def _logs(run_id) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogHandler

    APILogHandler().flush()
    with get_client(sync_client=True) as client:
        return [log.message for log in client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))]


def test_a_typo_is_cancelled_in_one_line_and_a_refusal_fails_without_a_traceback(prefect_harness, sample_copy,
                                                                                  tmp_path):
    from flows.self_evaluation import self_evaluation

    where = {"year": 2022, "source": str(sample_copy), "warehouse_url": f"duckdb:///{tmp_path}/wh.duckdb",
             "output_dir": str(tmp_path / "out"), "return_state": True}
    typo = self_evaluation(departments=["440103-KGXI"], **where)
    assert typo.is_cancelled() and not typo.is_failed()
    assert "没有这个部门编码" in str(typo.message) and "440103-KGXI" in str(typo.message)
    logs = _logs(typo.state_details.flow_run_id)
    assert any("参数错误" in m for m in logs) and not any("Traceback" in m for m in logs)
    # the failed-run alert listens for Failed and Crashed runs only, so a Cancelled typo does not fire it
    automations = yaml.safe_load(Path("deploy/automations.yaml").read_text(encoding="utf-8"))["automations"]
    [failed_run] = [a for a in automations if "prefect.flow-run.Failed" in a["trigger"]["expect"]]
    assert "prefect.flow-run.Cancelled" not in failed_run["trigger"]["expect"]

    engine = sa.create_engine(where["warehouse_url"])
    with engine.connect() as conn:  # the cancelled run's record does not break what reads the runs
        assert last_statuses(conn, 2022) == {} and refused_since_loaded(conn, 2022) == {}

    push_execution_above_budget(sample_copy)
    refused = self_evaluation(departments=[LIWAN], **where)
    assert refused.is_failed() and "FIN-001" in str(refused.message)
    logs = _logs(refused.state_details.flow_run_id)
    assert any("FIN-001" in m for m in logs)
    assert not any("Traceback" in m or "unexpected exception" in m for m in logs)
    with engine.connect() as conn:
        assert last_statuses(conn, 2022) == {LIWAN: "refused"} and set(refused_since_loaded(conn, 2022)) == {LIWAN}
    engine.dispose()


@pytest.mark.parametrize("code", ["440103 KGXJ", "../etc"])
def test_a_malformed_code_starts_no_run(code, capsys):
    from flows.cli import main

    assert main(["run", "--year", "2022", "--department", code]) == 2
    err = capsys.readouterr().err
    assert "部门编码格式不正确" in err and "Traceback" not in err


@pytest.mark.parametrize("year", ["1999", "2101"])
def test_a_year_out_of_range_starts_no_run(year, capsys):
    from flows.cli import main

    assert main(["run", "--year", year, "--department", LIWAN]) == 2
    err = capsys.readouterr().err
    assert err.startswith("selfeval: 参数错误（usage error）：年度应在 2000 至 2100 之间") and "Traceback" not in err


@pytest.mark.parametrize(("down", "shown"), [  # nothing listens on port 1; the password as user:password, or a query
    ("postgresql+psycopg://selfeval:s3cret-pw@127.0.0.1:1/warehouse", "selfeval:***@127.0.0.1:1/warehouse"),
    ("postgresql+psycopg://selfeval@127.0.0.1:1/warehouse?password=s3cret-pw",
     "selfeval@127.0.0.1:1/warehouse?password=***"),
])
def test_an_unreachable_warehouse_fails_in_one_line_without_its_password(prefect_harness, sample_copy, tmp_path,
                                                                           down, shown):
    from flows.self_evaluation import self_evaluation

    state = self_evaluation(year=2022, departments=[LIWAN], source=str(sample_copy), warehouse_url=down,
                            output_dir=str(tmp_path / "out"), return_state=True)
    assert state.is_failed()  # the night's reports are not made: the failed-run alert is right to fire
    message = str(state.message)
    assert message.startswith(f"无法连接数据仓库 postgresql+psycopg://{shown}（")
    assert "SELFEVAL_WAREHOUSE_URL" in message and "s3cret-pw" not in message and "占用该文件" not in message
    logs = _logs(state.state_details.flow_run_id)
    assert any(m.startswith("无法连接数据仓库") for m in logs)
    assert not any("Traceback" in m or "s3cret-pw" in m for m in logs)
    assert not (tmp_path / "out" / "2022").exists()  # nothing was read or written


def test_a_reading_command_leaves_a_database_that_is_no_warehouse_as_it_was(pg_url, monkeypatch, capsys):
    """`rollup` pointed at a PostgreSQL database of something else: one line, and none of selfeval's tables made
    there (it made all 168 of them, then said the year had no data)."""
    from flows.cli import main

    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE mine (x integer)"))
    monkeypatch.setenv("SELFEVAL_WAREHOUSE_URL", pg_url)
    assert main(["rollup", "--year", "2022"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "中没有 selfeval 的表" in err and "Traceback" not in err, err
    with engine.connect() as conn:
        assert sa.inspect(conn).get_table_names() == ["mine"]
    engine.dispose()


def test_run_and_form_say_they_make_selfeval_s_tables_in_a_database_without_them(prefect_harness, pg_url, tmp_path,
                                                                                 monkeypatch, capsys):
    """A database that answers and holds no selfeval tables (a mistyped name that exists: ``postgres``) gets them
    from ``run`` and from ``form``, as a new DuckDB file does; each says so on stderr, as for a new file (``run``
    before it starts and again last, under Prefect's log), and says nothing once they are there."""
    from unittest import mock

    from flows.cli import main

    notice = "中还没有 selfeval 的表，将在其中新建"
    monkeypatch.setenv("SELFEVAL_WAREHOUSE_URL", pg_url)
    assert main(["form", "--year", "2022", "--department", LIWAN, "--out", str(tmp_path / "f.docx")]) == 0
    err = capsys.readouterr().err
    assert notice in err and "selfeval_test_" in err
    assert main(["form", "--year", "2022", "--department", LIWAN, "--out", str(tmp_path / "g.docx")]) == 0
    assert notice not in capsys.readouterr().err

    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:  # the database as a mistyped name finds it: not selfeval's
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    with mock.patch.dict(os.environ):
        assert main(["run", "--year", "2022", "--department", LIWAN, "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err.strip()
    assert err.count(notice) == 1, err  # before the run; then, under its last lines, that it made it
    assert err.splitlines()[-1].startswith("注意（note）：本次运行新建了数据仓库 postgresql"), err
    with mock.patch.dict(os.environ):
        assert main(["run", "--year", "2022", "--department", LIWAN, "--out", str(tmp_path / "out")]) == 0
    assert notice not in capsys.readouterr().err


def test_explain_and_projects_say_the_latest_data_was_refused(prefect_harness, sample_copy, tmp_path, capsys):
    """A department loaded, then refused: ``explain`` and ``projects`` show the data the warehouse still holds, and
    say that it is the earlier load's (explain showed REC-003 通过 beside files the latest run refused)."""
    from flows.cli import main

    warehouse, out = ["--warehouse", f"duckdb:///{tmp_path}/wh.duckdb"], ["--out", str(tmp_path / "out")]
    commands = (["explain", "--year", "2022", "--figure", "executed", "--department", LIWAN, *warehouse],
                ["projects", "--year", "2022", "--department", LIWAN, *warehouse, *out])
    assert main(["run", "--year", "2022", "--department", LIWAN, "--source", str(sample_copy), *warehouse, *out]) == 0
    capsys.readouterr()  # the new warehouse's notice
    for command in commands:
        assert main(command) == 0, command
        assert "注意（note）" not in capsys.readouterr().err  # loaded, not refused since: nothing to say
    push_execution_above_budget(sample_copy)
    assert main(["run", "--year", "2022", "--department", LIWAN, "--source", str(sample_copy), *warehouse, *out]) == 3
    capsys.readouterr()
    for command in commands:
        assert main(command) == 0, command
        err = capsys.readouterr().err
        assert f"注意（note）：{LIWAN} 2022：" in err and "数据未通过校验，以下为" in err and "入库的数据" in err, err



def test_the_run_s_log_says_why_each_department_is_done_again(prefect_harness, sample_copy, tmp_path):
    """After an upgrade every department was loaded again with no word why (a newcomer's trial): the run's log says
    it per department; one unchanged is skipped, one whose file changed says so."""
    from flows.self_evaluation import self_evaluation

    where = {"year": 2022, "source": str(sample_copy), "warehouse_url": f"duckdb:///{tmp_path}/wh.duckdb",
             "output_dir": str(tmp_path / "out"), "return_state": True, "departments": [LIWAN, "440103-SWJ"]}
    first = self_evaluation(**where)
    assert first.is_completed(), first.message
    logged = _logs(first.state_details.flow_run_id)
    assert f"{LIWAN} 2022 重算（redone）：尚未入库（not loaded yet）" in logged, logged
    path = sample_copy / "narrative" / "2022" / "440103-SWJ.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    second = self_evaluation(**where)
    logged = _logs(second.state_details.flow_run_id)
    assert any(m.startswith(f"{LIWAN} 2022 未变化，未重算") for m in logged), logged
    changed = ("440103-SWJ 2022 重算（redone）：输入文件、文字材料或结果相关的设置已变化"
               "（inputs, narrative or settings changed）")
    assert changed in logged, logged
