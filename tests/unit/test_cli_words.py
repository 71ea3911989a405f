"""The CLI speaks to operators Chinese first: its usage errors (argparse's own included) and a bad setting are
one line on stderr, exit 2, with no English outside brackets and the glossary (tasks.glossary.english_words)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from flows.cli import main
from tasks import glossary as gl

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("argv", "said"), [
    (["rollup"], "缺少参数 --year"),
    (["run", "--year", "abc"], "参数 --year 应为整数：'abc'"),
    (["run", "--bogus"], "无法识别的参数 --bogus"),
    (["projects", "--year", "2022", "--format", "odt"], "参数 --format 不能取 'odt'"),
    (["monitor", "--year", "2023", "--as-of", "2023-13-01"], "参数 --as-of：'2023-13-01' 不是日期"),
    (["run", "--department"], "参数 --department 后应至少有一个值"),
    (["nothing"], "命令不能取 'nothing'"),
])
def test_a_usage_error_is_one_chinese_line(argv, said, capsys):
    with pytest.raises(SystemExit) as usage:
        main(argv)
    assert usage.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("selfeval: 参数错误（usage error）：") and said in err, err
    assert not gl.english_words(err), err


@pytest.mark.parametrize(("setting", "value", "said"), [
    ("SELFEVAL_RENDER_WORKERS", "abc", "SELFEVAL_RENDER_WORKERS='abc'：应为整数"),
    ("SELFEVAL_REVIEW", "maybe", "SELFEVAL_REVIEW='maybe'：应为 true 或 false"),
    ("SELFEVAL_MONITORING_AS_OF", "2023-13-01", "SELFEVAL_MONITORING_AS_OF='2023-13-01'：应为日期"),
    ("SELFEVAL_RUN_MEMORY_LIMIT", "lots", "SELFEVAL_RUN_MEMORY_LIMIT='lots'：应为大小"),
    ("SELFEVAL_CLOSED_YEARS", "2022,2023", "SELFEVAL_CLOSED_YEARS：应为 JSON 列表，如 [2022, 2023]"),
    ("SELFEVAL_CLOSED_YEARS", '["x"]', "SELFEVAL_CLOSED_YEARS='x'：应为整数"),
    ("SELFEVAL_SHEETS", "notjson", "SELFEVAL_SHEETS：应为 JSON 对象"),
])
@pytest.mark.parametrize("command", [["rollup", "--year", "2022"], ["run", "--year", "2022"],
                                     ["monitor", "--year", "2023"]])
def test_a_bad_setting_is_one_chinese_line_whichever_command_reads_it(command, setting, value, said, tmp_path,
                                                                     monkeypatch, capsys):
    monkeypatch.setenv(setting, value)
    assert main([*command, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and said in err and "Traceback" not in err, err
    assert not gl.english_words(err), err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("argv", "said"), [
    (["projects", "--year", "2022", "--department", "a/b 名称"], "部门编码格式不正确"),
    (["monitor", "--year", "2023", "--department", "x/y"], "部门编码格式不正确"),
    (["form", "--year", "2022", "--department", "440103-KGXJ", "--out", "form.pdf"], "文件名应以 .docx 结尾"),
    (["synth", "--out", "zone", "--fault-rate", "1.5"], "--fault-rate 应在 0 至 1 之间"),
])
def test_the_commands_own_refusals_are_chinese(argv, said, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert said in err and not gl.english_words(err), err


@pytest.mark.parametrize("argv", [["rollup", "--year", "2022"], ["monitor", "--year", "2023"],
                                  ["projects", "--year", "2022"],
                                  ["form", "--year", "2022", "--department", "440103-KGXJ"],
                                  ["explain", "--year", "2022", "--department", "440103-KGXJ", "--figure", "executed"]])
@pytest.mark.parametrize(("url", "said"), [
    ("postgresql+psycopg://postgres:PLANTED-pw@127.0.0.1:1/none", "无法连接数据仓库 postgresql+psycopg://postgres:***@"),
    ("notaurl", "数据仓库地址 notaurl 无法识别")])
def test_a_warehouse_that_does_not_answer_is_one_line_in_every_command(argv, url, said, tmp_path, monkeypatch,
                                                                       capsys):
    monkeypatch.setenv("SELFEVAL_WAREHOUSE_URL", url)
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and said in err and "PLANTED-pw" not in err and "Traceback" not in err, err


@pytest.mark.parametrize("argv", [["automations", "--block", "custom-webhook/none"], ["run", "--year", "2022"]])
def test_a_prefect_server_that_does_not_answer_is_one_line(argv, tmp_path):
    """PREFECT_API_URL naming a server that is down (a process of its own: Prefect reads its settings once)."""
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:1/api", "SELFEVAL_OUTPUT_DIR": str(tmp_path / "out"),
           "SELFEVAL_WAREHOUSE_URL": f"duckdb:///{tmp_path}/wh.duckdb"}
    done = subprocess.run([sys.executable, "-m", "flows.cli", *argv], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 1, done.stderr
    said = [line for line in done.stderr.splitlines() if line.startswith("selfeval")]
    assert said == [line for line in said if "无法连接 Prefect 服务器 http://127.0.0.1:1/api" in line] and said
    assert "Traceback" not in done.stderr + done.stdout, done.stderr


def test_the_department_the_ui_shows_is_read_as_its_code():
    from flows.cli import _codes
    from tasks.pipeline import UsageError

    assert _codes(["440103-KGXJ 广州市荔湾区科技工业和信息化局", "440103-SWJ"]) == ["440103-KGXJ", "440103-SWJ"]
    with pytest.raises(UsageError, match=r"部门编码格式不正确（not a department code）：x/y 名称$"):
        _codes(["440103-SWJ", "x/y 名称"])
    assert _codes(None) is None


@pytest.mark.parametrize("argv", [["rollup", "--year", "2022"], ["projects", "--year", "2022"],
                                  ["monitor", "--year", "2023"], ["run", "--year", "2022"]])
@pytest.mark.parametrize(("setting", "said"), [
    ("SELFEVAL_OUTPUT_DIR", "输出目录是一个文件"), ("SELFEVAL_PROJECT_PROFILE", "项目评分方案（project profile）"),
    ("SELFEVAL_MONITORING_LIGHTS", "亮灯规则（monitoring lights）"), ("SELFEVAL_MONITORING_RULES", "监控规则"),
    ("SELFEVAL_METRICS_REGISTRY", "指标库")])
def test_a_reviewed_file_or_folder_that_is_wrong_is_one_line_before_anything_runs(argv, setting, said, tmp_path,
                                                                                  monkeypatch, capsys):
    """The output folder given as a file; each reviewed file missing (the output folder) or malformed (the rest)."""
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("just a string\n" if setting != "SELFEVAL_OUTPUT_DIR" else "a file\n", encoding="utf-8")
    monkeypatch.setenv(setting, str(wrong if setting != "SELFEVAL_PROJECT_PROFILE" else tmp_path / "none.yaml"))
    monkeypatch.setenv("SELFEVAL_WAREHOUSE_URL", f"duckdb:///{tmp_path}/wh.duckdb")
    if setting != "SELFEVAL_OUTPUT_DIR":
        monkeypatch.setenv("SELFEVAL_OUTPUT_DIR", str(tmp_path / "out"))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and said in err and "Traceback" not in err, err
    assert not (tmp_path / "wh.duckdb").exists()  # refused before the warehouse is opened


def test_a_warehouse_of_another_database_is_one_line(monkeypatch, capsys):
    monkeypatch.setenv("SELFEVAL_WAREHOUSE_URL", "mysql://user:PLANTED-pw@127.0.0.1/db")
    assert main(["rollup", "--year", "2022"]) == 1
    err = capsys.readouterr().err
    assert "不是 DuckDB 或 PostgreSQL" in err and "PLANTED-pw" not in err and err.count("\n") == 1, err


def test_an_automations_file_that_cannot_be_read_is_one_line(tmp_path, capsys):
    bad = tmp_path / "automations.yaml"
    bad.write_text("a: [\n", encoding="utf-8")
    for file in (bad, tmp_path / "none.yaml"):
        assert main(["automations", "--block", "custom-webhook/x", "--file", str(file)]) == 2
        err = capsys.readouterr().err
        assert f"{file}：自动化定义文件无法读取" in err and err.count("\n") == 1, err


@pytest.mark.parametrize(("address", "shown"), [
    ("http://user:PLANTED@h:80/api?token=PLANTED&page=2", "http://user:***@h:80/api?token=***&page=2"),
    ("https://h/api", "https://h/api"), ("postgresql+psycopg://fin:PLANTED@127.0.0.1:5499/finance",
                                         "postgresql+psycopg://fin:***@127.0.0.1:5499/finance"),
    ("/landing/zone", "/landing/zone"), ("http://admin@h/api?api_key=PLANTED", "http://admin@h/api?api_key=***")])
def test_an_address_is_shown_without_its_secrets(address, shown):
    from tasks.addresses import has_secret
    from tasks.addresses import shown as shown_address

    assert shown_address(address) == shown and has_secret(address) == (address != shown)


@pytest.mark.parametrize(("reason", "said"), [
    ('connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "wh" does not exist',
     "数据仓库服务器已应答，但没有数据库 wh（"),
    ('connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  role "etl" does not exist',
     "数据仓库服务器拒绝登录 postgresql+psycopg://etl:***@db:5432/wh（"),
    ('connection failed: FATAL:  password authentication failed for user "etl"', "数据仓库服务器拒绝登录 "),
    ('connection failed: FATAL:  no pg_hba.conf entry for host "10.0.0.9", user "etl", database "wh"',
     "数据仓库服务器拒绝登录 "),
    ('connection failed: FATAL:  role "etl" is not permitted to log in', "数据仓库服务器拒绝登录 "),
    ("connection failed: fe_sendauth: no password supplied", "数据仓库服务器拒绝登录 "),
    ('connection failed: FATAL:  Peer authentication failed for user "etl"', "数据仓库服务器拒绝登录 "),
    ('connection failed: FATAL:  pg_hba.conf rejects connection for host "10.0.0.9"', "数据仓库服务器拒绝登录 "),
    ('connection failed: FATAL:  permission denied for database "wh"', "数据仓库服务器拒绝登录 "),
    ("connection failed: FATAL:  the database system is starting up", None),  # worth a retry
    ("connection failed: Connection refused Is the server running on that host", None),
    ('connection failed: 致命错误:  数据库 "wh" 不存在', None),  # a server speaking Chinese: the general line
])
def test_a_server_that_refuses_for_good_is_named_at_once(reason, said):
    import sqlalchemy as sa

    from tasks.resources import refusal

    line = refusal(sa.make_url("postgresql+psycopg://etl:s3cret@db:5432/wh"), reason)
    if said is None:
        assert line is None
    else:
        assert line is not None and line.startswith(said) and "s3cret" not in line


@pytest.mark.parametrize(("url", "said"), [
    ("postgresql+psycopg://etl:s3cret@db:5432", "数据仓库地址 postgresql+psycopg://etl:***@db:5432 未写数据库名"),
    ("postgresql+psycopg://etl@db:5432/", "未写数据库名"),
    ("postgresql://etl@db", "未写数据库名"),
    ("duckdb://", "数据仓库地址 duckdb:// 不是文件"),
    ("duckdb:///:memory:", "不是文件"),
    ("duckdb:///:memory:named", "不是文件"),
    ("mysql://etl:s3cret@db/selfeval", "数据仓库地址 mysql://etl:***@db/selfeval 不是 DuckDB 或 PostgreSQL（"
                                      "selfeval's warehouse is DuckDB or PostgreSQL, not mysql）"),
    ("sqlite:///var/wh.sqlite", "not sqlite"),
    ("postgresql+asyncpg://etl@db/selfeval", "的驱动 asyncpg 是异步驱动"),  # Prefect's own database URL, copied
    ("postgresql+psycopg_async://etl@db/selfeval", "的驱动 psycopg_async 是异步驱动"),
    ("duckdb://tmp/wh.duckdb", "数据仓库地址 duckdb://tmp/wh.duckdb 少了一个斜杠"),
    ("postgresql+psycopg://etl@db:5432/selfeval", None),
    ("postgresql+psycopg://etl@db:5432/?dbname=selfeval", None),  # libpq's other ways of naming the database
    ("postgresql+psycopg://etl@/?host=/var/run/postgresql&dbname=selfeval", None),
    ("postgresql+psycopg://etl@/?service=warehouse", None),
    ("postgresql+psycopg:///selfeval", None),
    ("duckdb:///relative/warehouse.duckdb", None),
    ("duckdb:///var/selfeval/warehouse.duckdb", None),
])
def test_an_address_that_names_no_warehouse_is_refused(url, said, monkeypatch):
    """An engine opens these, but no warehouse is there: PostgreSQL would take the database named after the user
    (postgres, its maintenance database), DuckDB in memory keeps nothing between connections."""
    import sqlalchemy as sa

    from tasks.resources import address_problem

    monkeypatch.delenv("PGDATABASE", raising=False)
    monkeypatch.delenv("PGSERVICE", raising=False)
    line = address_problem(sa.make_url(url))
    if said is None:
        assert line is None
    else:
        assert line is not None and said in line and "s3cret" not in line


def test_run_refuses_a_postgresql_address_without_a_database_before_anything_runs(tmp_path, capsys):
    # port 1: were the address not refused, nothing would answer there either (and no database be written)
    assert main(["run", "--year", "2022", "--warehouse", "postgresql+psycopg://postgres@127.0.0.1:1",
                 "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("selfeval: 数据仓库地址 postgresql+psycopg://postgres@127.0.0.1:1 未写数据库名")
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("address", "said"), [
    ("postgres://postgres@127.0.0.1:1", "未写数据库名"),  # read as PostgreSQL, then refused for its missing name
    ("mysql://etl:s3cret@127.0.0.1:1/selfeval", "不是 DuckDB 或 PostgreSQL"),
    ("postgresq://etl:s3cret@127.0.0.1:1/selfeval", "postgresq://etl:***@127.0.0.1:1/selfeval 不是 DuckDB"),
    ("duckdb:/wh.duckdb", "数据仓库地址 duckdb:/wh.duckdb 无法识别"),
    ("duckdb://tmp/wh.duckdb", "少了一个斜杠"),  # DuckDB's driver was handed "tmp" as a host: a traceback
])
def test_run_names_the_address_it_cannot_use(address, said, tmp_path, capsys, monkeypatch):
    """A scheme SQLAlchemy does not read, or a database that is not a warehouse: one line naming the address (its
    password hidden), exit 1, before anything runs."""
    monkeypatch.delenv("PGDATABASE", raising=False)  # libpq's default database would name one
    monkeypatch.delenv("PGSERVICE", raising=False)
    with mock.patch.dict(os.environ):  # run moves the address's password into this process's environment
        assert main(["run", "--year", "2022", "--warehouse", address, "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("selfeval: ") and said in err, err
    assert "Traceback" not in err and "s3cret" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("argv", [["rollup", "--year", "2022"], ["monitor", "--year", "2023"],
                                  ["projects", "--year", "2022"],
                                  ["explain", "--year", "2022", "--department", "440103-KGXJ", "--figure", "executed"]])
def test_a_command_that_reads_the_warehouse_refuses_a_missing_file(argv, tmp_path, monkeypatch, capsys):
    """A mistyped DuckDB path: one line naming it, exit 1, and no empty warehouse left there (which would show
    "nothing loaded" to this command and to the next)."""
    missing = tmp_path / "warehous.duckdb"
    monkeypatch.setenv("SELFEVAL_WAREHOUSE_URL", f"duckdb:///{missing}")
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"数据仓库文件不存在：{missing}" in err, err
    assert not missing.exists()


def test_a_duckdb_file_that_is_no_warehouse_is_refused_and_left_as_it_was(tmp_path, monkeypatch, capsys):
    import duckdb

    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE mine (x INTEGER)")
    monkeypatch.setenv("SELFEVAL_WAREHOUSE_URL", f"duckdb:///{other}")
    assert main(["rollup", "--year", "2022"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "中没有 selfeval 的表" in err, err
    with duckdb.connect(str(other)) as con:
        assert [t for (t,) in con.execute("SHOW TABLES").fetchall()] == ["mine"]


def test_form_may_come_before_the_first_run_and_says_it_makes_the_warehouse(tmp_path, monkeypatch, capsys):
    """A department may want its form before its first run: ``form`` makes the warehouse, as a run does, and says so
    as a run does (a mistyped path is a new warehouse)."""
    fresh = tmp_path / "wh.duckdb"
    monkeypatch.setenv("SELFEVAL_WAREHOUSE_URL", f"duckdb:///{fresh}")
    assert main(["form", "--year", "2022", "--department", "440103-KGXJ", "--out", str(tmp_path / "f.docx")]) == 0
    assert fresh.exists() and (tmp_path / "f.docx").exists()
    assert f"注意（note）：新建数据仓库 {fresh}：" in capsys.readouterr().err
    assert main(["form", "--year", "2022", "--department", "440103-KGXJ", "--out", str(tmp_path / "g.docx")]) == 0
    assert "新建数据仓库" not in capsys.readouterr().err  # the second time, it is there


@pytest.mark.parametrize("rows, said", [(["3c8e5d1f"], "（版本 3c8e5d1f）不是本 selfeval 能升级的版本"),
                                        (["0019"], "（版本 0019）不是本 selfeval 能升级的版本"),
                                        (["0018", "a1b2c3"], "不是本 selfeval 能升级的版本")])
def test_a_database_of_another_applications_migrations_is_refused(tmp_path, monkeypatch, capsys, rows, said):
    """An alembic_version this selfeval cannot migrate from (another application's: Prefect's own database, say; a
    newer selfeval's; several heads): one line naming it, from every command (``run`` included, before Prefect
    starts: it ended in alembic's 130-line traceback, and several heads in a traceback everywhere), not alembic's
    traceback; nothing made there."""
    import duckdb

    other = tmp_path / "prefect.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE alembic_version (version_num VARCHAR)")
        for row in rows:
            con.execute("INSERT INTO alembic_version VALUES (?)", [row])
    monkeypatch.setenv("SELFEVAL_WAREHOUSE_URL", f"duckdb:///{other}")
    for command in (["rollup", "--year", "2022"], ["form", "--year", "2022", "--department", "440103-KGXJ", "--out",
                                                    str(tmp_path / "f.docx")],
                    ["run", "--year", "2022", "--out", str(tmp_path / "out")]):
        with mock.patch.dict(os.environ):
            assert main(command) == 1, command
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and said in err and "Traceback" not in err, err
    with duckdb.connect(str(other)) as con:
        assert [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()] == [
            "alembic_version"]
    assert not (tmp_path / "out").exists() and not (tmp_path / "f.docx").exists()


def test_an_empty_alembic_version_is_no_selfeval_warehouse(tmp_path, monkeypatch, capsys):
    """An alembic_version with no row (another application's, after its downgrade to base) holds no selfeval warehouse:
    a reading command refuses it and makes nothing there (rollup made 35 tables), and ``form`` says it makes one."""
    import duckdb

    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE alembic_version (version_num VARCHAR)")
    monkeypatch.setenv("SELFEVAL_WAREHOUSE_URL", f"duckdb:///{other}")
    assert main(["rollup", "--year", "2022"]) == 1
    assert "中没有 selfeval 的表" in capsys.readouterr().err
    with duckdb.connect(str(other)) as con:
        assert con.execute("SELECT count(*) FROM information_schema.tables").fetchone() == (1,)
    assert main(["form", "--year", "2022", "--department", "440103-KGXJ", "--out", str(tmp_path / "f.docx")]) == 0
    assert "中还没有 selfeval 的表，将在其中新建" in capsys.readouterr().err


def test_a_failing_rows_numbers_keep_every_digit():
    from tasks.quality.gate import _plain

    assert _plain(1500000000037.0) == "1500000000037"  # 分 summed by DuckDB, through pandas as a float
    assert _plain(1315243.3) == "1315243.3" and _plain(0.1 + 0.2) == "0.3" and _plain(-0.0) == "0"
    assert _plain(1.5e20) == "150000000000000000000" and "e" not in _plain(1e-7)


def test_a_new_duckdb_file_is_told_apart_from_an_existing_one(tmp_path, monkeypatch):
    from tasks.resources import new_duckdb_file

    existing = tmp_path / "wh.duckdb"
    existing.touch()
    assert new_duckdb_file(f"duckdb:///{tmp_path}/new.duckdb") == tmp_path / "new.duckdb"
    assert new_duckdb_file(f"duckdb:///{existing}") is None
    monkeypatch.setenv("HOME", str(tmp_path))  # as DuckDB opens it: ~ is the home folder
    assert new_duckdb_file("duckdb:///~/wh.duckdb") is None
    monkeypatch.chdir(tmp_path)  # and a relative path is the working folder's, shown resolved
    assert new_duckdb_file("duckdb:///var/wh.duckdb") == tmp_path / "var" / "wh.duckdb"
    assert new_duckdb_file("postgresql+psycopg://etl@db/wh") is None
    assert new_duckdb_file("duckdb:///:memory:") is None and new_duckdb_file("notaurl") is None


def test_pgdatabase_names_the_database_an_address_leaves_out(monkeypatch):
    import sqlalchemy as sa

    from tasks.resources import address_problem

    monkeypatch.setenv("PGDATABASE", "selfeval")
    assert address_problem(sa.make_url("postgresql+psycopg://etl@db:5432")) is None


def test_with_the_password_in_a_secret_block_and_no_server_run_checks_the_address_only(tmp_path, capsys,
                                                                                       monkeypatch):
    """Reading a Prefect Secret block would start the temporary server: the address is still checked at once (it
    needs no password), and nothing connects to the warehouse before the flow."""
    monkeypatch.setenv("SELFEVAL_WAREHOUSE_PASSWORD_BLOCK", "warehouse-password")
    monkeypatch.delenv("SELFEVAL_WAREHOUSE_PASSWORD", raising=False)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    import tasks.resources as resources

    def no_secret(*args: object) -> None:
        raise AssertionError("the Secret block was read before the flow")

    monkeypatch.setattr(resources, "warehouse_password", no_secret)
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(restore_defaults={PREFECT_API_URL}):  # no server, whatever the session set up before
        assert main(["run", "--year", "2022", "--warehouse", "postgresql+psycopg://etl@127.0.0.1:1",
                     "--out", str(tmp_path / "out")]) == 1
    assert "未写数据库名" in capsys.readouterr().err


def test_the_run_s_lines_say_a_department_s_warnings_and_name_the_data_quality_page(capsys):
    """A department loaded with data-quality warnings says how many on its line (it read 已入库 alone, like a clean
    one), and its input files' notes apart (a narrative read as GBK under a BOM: the page does not list them); the
    run's data-quality page is named when a department was refused, or warned of by a rule; a clean run's lines, and
    a run whose only notes are of input files, stay as they were."""
    from flows.cli import _print_summary
    from tasks.pipeline import DepartmentOutcome, RunSummary

    page = "/out/2022/data-quality/index.html"
    named = f"数据质量检查结果（data-quality page）：{page}"
    warned = RunSummary(2022, "r1", [
        DepartmentOutcome("440103-KGXJ", "loaded", reports={"md": "/out/k.md"}, warnings=3, input_warnings=1),
        DepartmentOutcome("440103-SWJ", "draft", reports={"md": "/out/s.md"}, missing=["绩效自评"], warnings=1),
        DepartmentOutcome("440103-WTJ", "skipped", reasons=["未变化"])], quality_page=page)
    _print_summary(warned)
    assert capsys.readouterr().out.splitlines() == [
        "440103-KGXJ 2022: 已入库（loaded）  /out/k.md；数据质量警告 2 条（warnings: 2）；"
        "输入文件提示 1 条，见报告的数据质量说明（input notes: 1, in the report's appendix）",
        "440103-SWJ 2022: 草稿（draft）  /out/s.md（尚未提交：绩效自评）；数据质量警告 1 条（warnings: 1）",
        "440103-WTJ 2022: 未变化，未重算（skipped）  未变化", named]
    refused = RunSummary(2022, "r2", [DepartmentOutcome("440103-SWJ", "loaded", reports={"md": "/out/s.md"}),
                                      DepartmentOutcome("440103-WTJ", "refused", reasons=["REC-003 …"])],
                         quality_page=page)
    _print_summary(refused)
    assert capsys.readouterr().out.splitlines() == ["440103-SWJ 2022: 已入库（loaded）  /out/s.md",
                                                    "440103-WTJ 2022: 未通过校验（refused）  REC-003 …", named]
    for quiet in ([DepartmentOutcome("440103-SWJ", "loaded", reports={"md": "/out/s.md"})],
                  [DepartmentOutcome("440103-SWJ", "loaded", reports={"md": "/out/s.md"}, warnings=1,
                                     input_warnings=1)]):
        _print_summary(RunSummary(2022, "r3", quiet, quality_page=page))
        assert named not in capsys.readouterr().out


def test_run_says_an_output_folder_it_cannot_write_in_one_line_before_anything_runs(tmp_path, monkeypatch, capsys):
    """An output folder that cannot be made or written (under a file here; an immutable or read-only one alike) was
    found when the first report was written, in ~1,000 lines of tracebacks: one line, exit 1, nothing made."""
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    monkeypatch.setenv("SELFEVAL_WAREHOUSE_URL", f"duckdb:///{tmp_path}/wh.duckdb")
    assert main(["run", "--year", "2022", "--out", str(tmp_path / "a-file" / "out")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{tmp_path / 'a-file'}：无法读写（cannot read or write" in err, err
    assert not (tmp_path / "wh.duckdb").exists()


@pytest.mark.parametrize("given, said", [
    ("--finance", "财政数据（finance）目录不存在（no such folder）"),
    ("--source", "中没有 finance/、statistics/、registry/"),
])
def test_a_source_folder_that_is_not_there_is_a_usage_error_not_refused_data(given, said, tmp_path, monkeypatch,
                                                                             capsys):
    """``--finance`` at a folder that is not there, or ``--source`` at a folder one level too deep (the landing zone's
    finance/), refused every department as data ("全部部门 未通过校验", an alert in the nightly): a usage error, one
    line, exit 2, before anything runs."""
    zone = tmp_path / "zone"
    (zone / "finance").mkdir(parents=True)
    monkeypatch.setenv("SELFEVAL_WAREHOUSE_URL", f"duckdb:///{tmp_path}/wh.duckdb")
    argv = ["run", "--year", "2022", "--out", str(tmp_path / "out")]
    argv += ["--finance", str(tmp_path / "nope")] if given == "--finance" else ["--source", str(zone / "finance")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and said in err, err
    assert not (tmp_path / "wh.duckdb").exists()


def test_several_departments_may_follow_one_department_option():
    """``--department A B``, as the README writes it and ``projects`` and ``monitor`` take it (it was refused)."""
    from flows.cli import _parser

    args = _parser().parse_args(["run", "--department", "440103-KGXJ", "440103-SWJ", "--department", "440103-WTJ"])
    assert args.departments == ["440103-KGXJ", "440103-SWJ", "440103-WTJ"]


def test_form_refuses_a_department_the_catalogue_does_not_list(tmp_path, monkeypatch, capsys):
    """A mistyped code made a blank form and told the department to save it under a name no run reads (exit 0)."""
    monkeypatch.setenv("SELFEVAL_WAREHOUSE_URL", f"duckdb:///{tmp_path}/wh.duckdb")
    assert main(["form", "--year", "2022", "--department", "440103-KGXI", "--out", str(tmp_path / "f.docx")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "440103-KGXI" in err and "440103-KGXJ" in err, err
    assert not (tmp_path / "f.docx").exists()


def test_a_database_error_after_the_warehouse_answered_is_said_as_its_refusal():
    """Another command took the DuckDB file's lock between the check and the migration: the one line of the check
    (a traceback and an English line before), naming the file and that another process may hold it."""
    import sqlalchemy as sa

    from tasks.resources import unreachable

    error = sa.exc.OperationalError("ATTACH", {}, Exception('IO Error: Could not set lock on file "/w/wh.duckdb"'))
    said = str(unreachable(error, "duckdb:////w/wh.duckdb"))
    assert said.startswith("无法连接数据仓库 duckdb:////w/wh.duckdb（cannot reach the warehouse）") and (
        "且没有其他进程占用该文件" in said and "Could not set lock" in said), said
    assert unreachable(ValueError("x"), "duckdb:////w/wh.duckdb") is None


def test_a_run_in_which_no_department_has_data_asks_whether_the_year_is_mistyped(capsys):
    """``run --year 2020`` for 2022 ended 0 with 该年度尚无数据 for each department and nothing more: a line asks."""
    from flows.cli import _print_summary
    from tasks.pipeline import DepartmentOutcome, RunSummary

    _print_summary(RunSummary(2020, "r1", [DepartmentOutcome(c, "no data yet") for c in ("440103-SWJ", "440103-WTJ")]))
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == ("注意：2020 年没有任何部门的财政数据；如年度有误，请检查 --year"
                       "（no department has finance files for 2020: check --year if it is mistyped）"), out
    _print_summary(RunSummary(2020, "r2", [DepartmentOutcome("440103-SWJ", "no data yet"),
                                           DepartmentOutcome("440103-WTJ", "loaded", reports={"md": "/o/w.md"})]))
    assert "没有任何部门" not in capsys.readouterr().out



def test_only_the_warehouse_s_own_lock_is_said_as_the_warehouse_held():
    """A run that fails on DuckDB's lock of the warehouse's file is said as the check before the run says it; a source
    database's error, or another file's lock, keeps its own words (not "cannot reach the warehouse")."""
    import sqlalchemy as sa

    from flows.cli import _holds_lock

    def locked(path: str) -> sa.exc.OperationalError:
        said = f'IO Error: Could not set lock on file "{path}": Conflicting lock'
        return sa.exc.OperationalError("x", {}, Exception(said))

    assert _holds_lock(locked("/w/wh.duckdb"), "duckdb:////w/wh.duckdb")
    assert not _holds_lock(locked("/w/finance.duckdb"), "duckdb:////w/wh.duckdb")
    assert not _holds_lock(sa.exc.OperationalError("x", {}, Exception("connection to server closed")),
                           "duckdb:////w/wh.duckdb")
    home = Path.home()
    assert _holds_lock(locked(f"{home}/wh.duckdb"), "duckdb:///~/wh.duckdb")  # ~ as DuckDB reads it
    from tasks.resources import unreachable  # DuckDB's own error, raised through the run database's ATTACH

    raw = RuntimeError('IO Error: Could not set lock on file "/w/wh.duckdb": Conflicting lock')
    assert str(unreachable(raw, "duckdb:////w/wh.duckdb")).startswith("无法连接数据仓库 duckdb:////w/wh.duckdb")


def test_a_third_signal_stops_the_command_at_once():
    """The first Ctrl-C unwinds the command, the second is noted (the temporary server's stop finishes), a third stops
    it at once, as the signal's default does (a hung unwinding could otherwise be left only to kill -9)."""
    script = ("import os, signal, time\n"
              "from flows.cli import _on_signals\n"
              "_on_signals()\n"
              "try:\n    os.kill(os.getpid(), signal.SIGINT); time.sleep(1)\nexcept KeyboardInterrupt:\n"
              "    print('unwinding', flush=True)\n"
              "os.kill(os.getpid(), signal.SIGINT); time.sleep(0.2)\nprint('noted', flush=True)\n"
              "os.kill(os.getpid(), signal.SIGINT); time.sleep(1)\nprint('not stopped', flush=True)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.splitlines() == ["unwinding", "noted"] and done.returncode == -2, (done.stdout, done.stderr)
