"""The settings that change results are one list, read by the rerun fingerprint and by the gate."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from tasks.quality.gate import gate_parameters
from tasks.settings import Settings, invalid_settings, memory_bytes

CHANGED = {"ledger_tolerance_wan": Decimal("0.05"), "yoy_warning_bound": 2.5, "jump_warning_factor": 7.0,
           "sheets": {"budget_lines": "预算执行"}, "closed_years": [2022], "review": True}


def test_every_result_setting_is_a_setting():
    assert set(Settings.RESULT_SETTINGS) <= set(Settings.model_fields)


@pytest.mark.parametrize("name", Settings.RESULT_SETTINGS)
def test_each_result_setting_changes_the_fingerprint_parts(name, tmp_path):
    base = Settings()
    if isinstance(getattr(base, name), Path):  # a file setting: its content counts
        other = tmp_path / "changed.yaml"
        other.write_text(getattr(base, name).read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
        changed = base.with_overrides(**{name: other})
    else:
        changed = base.with_overrides(**{name: CHANGED[name]})
    assert changed.result_settings()[name] != base.result_settings()[name]
    assert set(base.result_settings()) == set(Settings.RESULT_SETTINGS)


def test_the_gate_reads_its_parameters_from_the_result_settings():
    params = gate_parameters(Settings().with_overrides(**CHANGED), 2023)
    assert params["year"] == 2023
    assert params["ledger_tolerance_fen"] == 50_000 and params["ledger_tolerance_neg_fen"] == -50_000
    assert params["yoy_bound"] == 2.5 and params["jump_factor"] == 7.0


@pytest.mark.parametrize(("name", "value"), [("run_memory_limit", "abc"), ("run_memory_limit", ""),
                                             ("run_memory_limit", "50%"), ("warehouse_memory_limit", "lots"),
                                             ("warehouse_memory_limit", "-1")])
def test_a_memory_limit_that_is_not_a_size_is_refused_naming_the_setting(name, value):
    with pytest.raises(ValidationError) as refused:
        Settings(**{name: value})
    assert invalid_settings(refused.value) == (f"设置有误（invalid setting）：SELFEVAL_{name.upper()}={value!r}："
                                               "应为大小，如 256MB 或 2GB（expected a size such as 256MB or 2GB）")


def test_memory_limits_take_sizes_and_the_warehouse_may_have_none():
    s = Settings(run_memory_limit=" 1.5GB ", warehouse_memory_limit="")
    assert s.run_memory_limit == "1.5GB" and s.warehouse_memory_limit is None
    assert Settings(warehouse_memory_limit="512MiB").warehouse_memory_limit == "512MiB"


def test_every_refused_setting_is_named_in_one_line_and_a_secret_ones_value_is_not_shown(monkeypatch):
    monkeypatch.setenv("SELFEVAL_RENDER_WORKERS", "0")
    monkeypatch.setenv("SELFEVAL_CLOSED_YEARS", "2022")
    monkeypatch.setenv("SELFEVAL_REPORTS_BASE_URL", "ftp://user:hunter2@host/")
    with pytest.raises(ValidationError) as refused:
        Settings()
    said = invalid_settings(refused.value)
    assert "\n" not in said and "hunter2" not in said
    assert said.startswith("设置有误（invalid setting）：")
    assert "SELFEVAL_RENDER_WORKERS='0'：应不小于 1（" in said
    assert "SELFEVAL_CLOSED_YEARS=2022：应为 JSON 列表，如 [2022, 2023]（" in said
    assert "SELFEVAL_REPORTS_BASE_URL：应为 http:// 或 https:// 地址" in said


@pytest.mark.parametrize(("size", "expected"), [("128MB", 128_000_000), ("1.5GiB", 1_610_612_736), ("512 kib", 524_288),
                                                ("2TB", 2_000_000_000_000)])
def test_memory_sizes_are_read_as_duckdb_reads_them(size, expected):
    assert memory_bytes(size) == expected


@pytest.mark.parametrize("size", ["50%", "", "lots", "1.5"])
def test_a_memory_size_that_is_not_one_is_refused(size):
    with pytest.raises(ValueError, match="memory size"):
        memory_bytes(size)


@pytest.mark.parametrize(("name", "value"), [("run_memory_limit", "0MB"), ("run_memory_limit", "4MB"),
                                             ("warehouse_memory_limit", "0.5KB"), ("warehouse_memory_limit", "63.9MB")])
def test_a_memory_limit_below_the_floor_is_refused_naming_the_setting(name, value):
    """A size DuckDB cannot work in fails when the settings are read, naming the setting, not mid-run."""
    with pytest.raises(ValidationError) as refused:
        Settings(**{name: value})
    assert invalid_settings(refused.value) == (f"设置有误（invalid setting）：SELFEVAL_{name.upper()}={value!r}："
                                               "至少 64MB（at least 64MB: DuckDB runs out of memory below it）")
    assert getattr(Settings(**{name: "64MB"}), name) == "64MB"


@pytest.mark.parametrize(("given", "driver"), [
    ("postgresql://etl@db:5432/wh", "postgresql+psycopg"),  # SQLAlchemy 2.0 alone would take psycopg2
    ("postgresql+psycopg://etl@db:5432/wh", "postgresql+psycopg"),
    ("postgres://etl@db:5432/wh", "postgresql+psycopg"),  # libpq's and Heroku's scheme, which SQLAlchemy dropped
    ("postgres+psycopg2://etl@db:5432/wh", "postgresql+psycopg2"),  # a driver named is kept
    ("Postgres://etl@db:5432/wh", "postgresql+psycopg"),  # a scheme's case does not matter
    ("Postgresql+Psycopg://etl@db:5432/wh", "postgresql+psycopg"),
    ("DuckDB:///var/wh.duckdb", "duckdb"),
    ("duckdb:///var/wh.duckdb", "duckdb"),
])
def test_a_postgresql_url_without_a_driver_is_read_with_psycopg(given, driver):
    from tasks.warehouse.engine import warehouse_url

    url = warehouse_url(given, "pw")
    assert url.drivername == driver
    assert url.password == "pw"  # put in where the URL gives none


def test_a_duckdb_path_under_home_is_made_where_duckdb_opens_it(tmp_path, monkeypatch):
    """``~`` is the home folder for the folder made and the file opened alike (a ``~`` folder was made in the working
    folder, and DuckDB then could not open the file)."""
    from tasks.warehouse.engine import make_engine, warehouse_url

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    engine = make_engine(warehouse_url("duckdb:///~/sub/wh.duckdb"), migrate=False)
    with engine.connect():
        pass
    engine.dispose()
    assert (tmp_path / "home" / "sub" / "wh.duckdb").exists() and not (tmp_path / "~").exists()


@pytest.mark.parametrize(("url", "env", "timeout"), [
    ("postgresql+psycopg://etl@db/wh", {}, 10),  # a host that never answers: said after 10 s
    ("postgresql+psycopg://etl@db/wh?connect_timeout=3", {}, "3"),  # the URL's own
    ("postgresql+psycopg://etl@/?service=warehouse", {}, None),  # pg_service.conf's
    ("postgresql+psycopg://etl@db/wh", {"PGCONNECT_TIMEOUT": "30"}, None),  # the environment's
])
def test_postgresql_connects_time_out_unless_the_operator_says_otherwise(url, env, timeout, monkeypatch):
    from tasks.warehouse.engine import make_engine

    monkeypatch.delenv("PGCONNECT_TIMEOUT", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    engine = make_engine(url, migrate=False)
    seen: dict[str, object] = {}

    class Stop(Exception):
        pass

    def record(dialect: object, record: object, cargs: object, cparams: dict[str, object]) -> None:
        seen.update(cparams)
        raise Stop  # what psycopg would be given: nothing connects

    import sqlalchemy as sa

    sa.event.listen(engine, "do_connect", record)
    try:
        with pytest.raises(Stop):
            engine.connect()
        assert seen.get("connect_timeout") == timeout
    finally:
        engine.dispose()
