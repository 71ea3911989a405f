"""The warehouse on both engines: schema, partition loads, reruns, atomicity, queries, migrations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest
import sqlalchemy as sa

from tasks.domain import FUND_SOURCE_NAMES
from tasks.settings import TEMPLATES_DIR
from tasks.warehouse import queries as q
from tasks.warehouse import schema as s
from tasks.warehouse.engine import make_engine
from tasks.warehouse.metrics import load_registry, measure
from tasks.warehouse.migrate import current_revision, head_revision, upgrade
from tests.integration.warehouse_helpers import (
    FACTS,
    count,
    load_sample,
    payment_lineage,
    payments_of_run,
    sample_data,
    snapshot,
)

LIWAN = "440103-KGXJ"
METRICS = TEMPLATES_DIR / "metrics.yaml"


def test_schema_is_at_head_with_every_table(engine):
    assert current_revision(engine) == head_revision()
    names = set(sa.inspect(engine).get_table_names())
    assert {t.name for t in s.metadata.sorted_tables} <= names
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from dim_fund_source")).scalar() == 4


def test_loaded_sample_answers_the_report_queries(engine):
    load_sample(engine, "run-1")
    with engine.connect() as conn:
        funds = q.spending_by_fund_source(conn, [LIWAN], 2022)[LIWAN]
        kinds = q.spending_by_expense_type(conn, [LIWAN], 2022)[LIWAN]
        assert [f.name for f in funds] == list(FUND_SOURCE_NAMES)
        assert sum(f.budget_fen for f in funds) == 12_103_341_200
        assert sum(f.executed_fen for f in funds) == 12_103_269_955
        assert [k.executed_fen for k in kinds] == [2_624_031_245, 9_479_238_710]
        m = {k: v.value for k, v in measure(conn, load_registry(METRICS), LIWAN, "440103", 2022).items()}
        assert m["srdi_applicants"] == 74
        assert (m["hitech_first"], m["hitech_first_prev"]) == (63, 45)
        assert (m["signed_projects"], m["registered_projects"]) == (8, 11)
        assert (m["agreed_investment"], m["agreed_output"]) == (214_050_000_000, 304_100_000_000)
        rd = m["rd_expenditure"]
        assert list(rd) == sorted(rd)  # code-point order on both engines
        assert rd["建筑业"] == Decimal("5062.44")
        assert m["rd_growth"]["建筑业"] == Decimal("5062.44") / Decimal("3215.60") - 1
        assert m["paid_to_q4"] == m["executed"] == 12_103_269_955
        assert m["budget"] == 12_103_341_200
        assert m["execution_rate"] == Decimal(12_103_269_955) / Decimal(12_103_341_200)
        marts = conn.execute(sa.text(
            "select department_code, budget_fen, executed_fen from mart_department_year where year = 2022 "
            "order by department_code")).all()
    assert (marts[0][0], int(marts[0][1]), int(marts[0][2])) == (LIWAN, 12_103_341_200, 12_103_269_955)
    assert len(marts) == 3


def test_every_fact_row_has_lineage(engine):
    load_sample(engine, "run-1")
    with engine.connect() as conn:
        for table in (s.fct_budget_line, s.fct_payment_source, s.fct_application, s.fct_investment_project,
                      s.fct_indicator_value, s.fct_reported_total):
            missing = conn.execute(sa.select(sa.func.count()).select_from(table).where(sa.or_(
                table.c.run_id != "run-1", table.c.source_uri.is_(None), sa.func.length(table.c.source_sha256) != 64,
                *([] if table is s.fct_payment_source else [table.c.source_row.is_(None)]),
                table.c.loaded_at.is_(None)))).scalar()
            assert missing == 0, table.name
        # a payment's lineage is its row and its file's number, the file a row of fct_payment_source
        p, f = s.fct_payment, s.fct_payment_source
        orphans = conn.execute(sa.select(sa.func.count()).select_from(p.outerjoin(f, sa.and_(
            f.c.department_code == p.c.department_code, f.c.year == p.c.year, f.c.source_file == p.c.source_file)))
            .where(sa.or_(f.c.source_file.is_(None), p.c.source_row.is_(None)))).scalar()
        assert orphans == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(p)).scalar() == conn.execute(
            sa.select(sa.func.sum(f.c.payments))).scalar() > 0


def test_rerun_on_the_same_inputs_leaves_the_same_rows(engine):
    data, hashes = sample_data()
    load_sample(engine, "run-1", data, hashes)
    first = snapshot(engine)
    load_sample(engine, "run-2", data, hashes)
    second = snapshot(engine)
    for name in first:
        assert first[name].equals(second[name]), name
    assert payments_of_run(engine, "run-1") == 0
    assert count(engine, s.ops_partition) == 3


def test_a_failing_promotion_leaves_the_previous_partition_untouched(engine):
    data, hashes = sample_data(departments=[LIWAN])
    load_sample(engine, "run-1", data, hashes)
    before = snapshot(engine)
    # Break the last table written: a NULL in a NOT NULL column fails after the facts were replaced.
    def broken(db):  # the run database's view of the period dimension
        db.duckdb.execute("CREATE OR REPLACE VIEW dim_period AS SELECT year, CAST(NULL AS DATE) AS start_date, "
                          "make_date(year, 12, 31) AS end_date, '年度' AS label FROM run_params")

    with pytest.raises((sa.exc.DBAPIError, duckdb.Error)):
        load_sample(engine, "run-2", data, hashes, hook=broken)
    after = snapshot(engine)
    for name in before:
        assert before[name].equals(after[name]), name
    assert payments_of_run(engine, "run-2") == 0


def test_partitions_of_other_departments_and_years_are_left_alone(engine):
    load_sample(engine, "run-1")
    data21, hashes21 = sample_data(2021, [LIWAN])
    load_sample(engine, "run-21", data21, hashes21)
    assert count(engine, s.fct_payment, department_code="440103-SWJ", year=2022) > 0
    assert count(engine, s.fct_payment, department_code=LIWAN, year=2022) > 0
    assert count(engine, s.fct_payment, department_code=LIWAN, year=2021) > 0
    kept, fresh = _ledgers(engine)  # the ledger of both years, each kept with its own payments
    assert kept == fresh and {r[1] for r in kept} == {2021, 2022}


def test_upgrade_in_place_from_the_first_release(warehouse_url):
    """A warehouse made and filled by release 0.1 (revision 0001) upgrades and keeps its rows."""
    import datetime as dt

    from tasks.quality.rundb import run_database
    from tasks.warehouse import dialect
    from tasks.warehouse.promote import prepare

    engine = make_engine(warehouse_url, migrate=False)
    upgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    # What release 0.1 wrote: the sample's rows in the tables and columns of revision 0001 (no scores, no
    # 绩效目标, no 年初预算数 or 资金性质).
    old_tables = [t for t in FACTS if t not in (s.fct_performance_target, s.fct_performance_actual,
                                                s.fct_payment_source)]
    # the payments with their lineage on each row, as 0001 to 0016 kept it (0017 keeps it per file)
    old_payments = ("SELECT p.*, f.uri AS source_uri, f.sha256 AS source_sha256, r.run_id, r.loaded_at "
                    "FROM fct_payment p JOIN run_payment_files f ON f.department_code = p.department_code "
                    "AND f.source_file = p.source_file CROSS JOIN run_promote r")
    data, hashes = sample_data()
    with run_database() as db, engine.begin() as conn:
        db.build(data.year, data.departments, data.frames)
        prepare(db, data.codes, "old-release", dt.datetime.now(dt.UTC), hashes)
        for table in old_tables:
            held = set(conn.execute(sa.text(f'SELECT * FROM "{table.name}" LIMIT 0')).keys())
            query, target = f'SELECT * FROM "{table.name}"', table
            if table is s.fct_payment:  # the table as 0001 made it
                query, target = old_payments, sa.Table(table.name, sa.MetaData(), *s.lineage(), *(
                    sa.Column(c.name, c.type, primary_key=c.primary_key) for c in table.c
                    if c.name not in ("source_file", "source_row")))
            rows = db.duckdb.execute(query).df()
            dialect.insert_frame(conn, target, rows[[c for c in rows.columns if c in held]])
    old_columns = ("run_id", "loaded_at", "initial_budget_fen", "fund_nature")
    kept = [t for t in old_tables if t is not s.fct_payment]
    before, paid = snapshot(engine, old_columns, kept), payment_lineage(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    after = snapshot(engine, old_columns, kept)
    for name in before:
        assert before[name].equals(after[name]), name
    assert payment_lineage(engine) == paid and len(paid) > 0 and all(r[4].endswith(".csv") for r in paid)
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from mart_department_year")).scalar() == 3
    engine.dispose()


def test_review_decisions_keep_their_time_zone_and_order_on_both_engines(engine):
    from tasks.warehouse.reviews import Review, record_review, reviews

    noon = dt.datetime(2026, 12, 2, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai
    for minutes, what, who in ((5, "approved", "张审核"), (0, "returned", "李审核")):
        at = noon + dt.timedelta(minutes=minutes)
        record_review(engine, Review(LIWAN, 2022, "a" * 64, what, f" {who} ", "意见 | 带竖线", at, "run-1"))
    with engine.connect() as conn:
        found = reviews(conn, 2022, LIWAN)
        assert reviews(conn, 2021) == []
    assert [(r.decision, r.reviewer) for r in found] == [("returned", "李审核"), ("approved", "张审核")]
    assert found[1].decided_at == noon + dt.timedelta(minutes=5) and found[1].decided_at.tzinfo is not None
    assert found[0].comment == "意见 | 带竖线"


@pytest.mark.parametrize("revision, fits", [("0009", False), ("head", True)])
def test_a_large_ledger_is_promoted_under_a_small_memory_limit(tmp_path, revision, fits):
    """DuckDB keeps a PRIMARY KEY's index in memory and cannot spill it: before migration 0010, a ledger
    promoted in one transaction failed at its commit once the index outgrew the memory limit (a 5M-line
    city under the run database's 256MB); at head, 1.5M payments go in under 64MB."""
    path = tmp_path / "wh.duckdb"
    engine = make_engine(f"duckdb:///{path}", migrate=False)
    upgrade(engine, revision)
    engine.dispose()
    con = duckdb.connect()
    con.execute("SET memory_limit = '64MB'")
    con.execute(f"ATTACH '{path}' AS wh")
    lineage = "'run', 'src', 'sha', i, now()" if revision < "0017" else "1, i"  # per row, or per file (0017)
    insert = ("INSERT INTO wh.fct_payment SELECT 'D' || (i % 60), 2022, 'V' || i, 'L' || (i % 1000), "
              f"DATE '2022-01-01' + CAST(i % 365 AS INTEGER), '收款人', '30201', i, {lineage} "
              "FROM range(1500000) t(i)")
    con.execute("BEGIN TRANSACTION")
    if fits:
        con.execute(insert)
        con.execute("COMMIT")
        assert con.execute("SELECT count(*) FROM wh.fct_payment").fetchone() == (1_500_000,)
    else:
        with pytest.raises(duckdb.OutOfMemoryException):
            con.execute(insert)
            con.execute("COMMIT")
    con.close()


@pytest.mark.parametrize("revision, fits", [("0014", False), ("head", True)])
def test_a_large_registry_is_replaced_under_a_small_memory_limit(tmp_path, revision, fits):
    """The registry is replaced whole when its content changes, with the warehouse attached to the run database:
    before migration 0015 the old registry's index had to fit in the run database's memory (DuckDB cannot spill
    an index), and 500k enterprises did not fit in 64MB; at head the table holds no index and they do."""
    path = tmp_path / "wh.duckdb"
    engine = make_engine(f"duckdb:///{path}", migrate=False)
    upgrade(engine, revision)
    engine.dispose()
    firms = ("SELECT printf('91440100%010d', i), '企业' || i, '440103', '制造业', DATE '2000-01-01', '存续', 'run', "
             "'registry/enterprises.csv', 'sha', CAST(i AS INTEGER), now() FROM range(500000) t(i)")
    with duckdb.connect(str(path)) as wh:
        wh.execute(f"INSERT INTO dim_enterprise {firms}")
    con = duckdb.connect()
    con.execute("SET memory_limit = '64MB'")
    con.execute(f"ATTACH '{path}' AS wh")
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM wh.dim_enterprise")
        con.execute(f"INSERT INTO wh.dim_enterprise {firms}")
        con.execute("COMMIT")
    except duckdb.OutOfMemoryException:
        assert not fits
    else:
        assert fits
        assert con.execute("SELECT count(DISTINCT uscc) FROM wh.dim_enterprise").fetchone() == (500_000,)
    con.close()


def test_promotion_refuses_rows_that_repeat_a_key_and_writes_nothing(engine, tmp_path):
    """A key twice in the rows to write (a defect past the gate: here a staged budget line repeated behind its
    back) stops the promotion before it writes, naming the table, the key and its rows, on both engines: on
    DuckDB no index would refuse it (migration 0015)."""
    from tasks.quality.rundb import run_database
    from tasks.warehouse.promote import RepeatedKey, promote
    from tests.integration.warehouse_helpers import shared_files

    load_sample(engine, "run-1")
    before = snapshot(engine)
    data, hashes = sample_data(departments=[LIWAN])
    with run_database(tmp_path) as db:
        db.build(data.year, data.departments, data.frames)
        line = db.duckdb.execute("SELECT line_id FROM stg_budget_lines ORDER BY line_id LIMIT 1").fetchone()[0]
        db.duckdb.execute(f"INSERT INTO stg_budget_lines SELECT * FROM stg_budget_lines WHERE line_id = '{line}'")
        with pytest.raises(RepeatedKey) as raised:
            promote(db, engine, data.year, data.codes, "run-2", "test", {}, hashes, shared_files(hashes))
    assert raised.value.table == "fct_budget_line"
    assert raised.value.repeats == [((LIWAN, 2022, line), 2)]
    message = str(raised.value)
    assert f"fct_budget_line 的键（department_code, year, line_id）重复：({LIWAN}, 2022, {line}) 2 行" in message
    after = snapshot(engine)
    assert all(before[name].equals(frame) for name, frame in after.items())


def test_each_table_promotion_writes_holds_its_key_as_its_engine_can(engine):
    """PostgreSQL keeps every primary key but the payments' (the gate's FIN-004 checks it over the very rows
    promoted; migration 0016), and finds them by department-year; DuckDB none of the tables promotion writes
    (its indexes cannot spill). Their key columns are NOT NULL all the same."""
    from tasks.warehouse.models import materialized
    from tasks.warehouse.promote import KEYED, SHARED

    written = [*KEYED, *(t for tables in SHARED.values() for t in tables), *materialized()]
    with engine.connect() as conn:
        for table in written:
            kinds = {r[0] for r in conn.execute(sa.text(
                "SELECT constraint_type FROM information_schema.table_constraints "
                "WHERE table_name = :t AND table_schema = current_schema()"), {"t": table.name})}
            keeps = engine.dialect.name != "duckdb" and table.name != "fct_payment"
            assert ("PRIMARY KEY" in kinds) == keeps, table.name
            nullable = dict(conn.execute(sa.text(
                "SELECT column_name, is_nullable FROM information_schema.columns "
                "WHERE table_name = :t AND table_schema = current_schema()"), {"t": table.name}).all())
            assert all(nullable[c.name] == "NO" for c in table.primary_key.columns), table.name


def test_migration_0015_gives_duckdb_its_keys_back_and_takes_them_again_keeping_the_rows(tmp_path):
    from alembic import command

    from tasks.warehouse.migrate import alembic_config

    engine = make_engine(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    load_sample(engine, "run-1")
    before = snapshot(engine)

    def keyed() -> set[str]:
        with engine.connect() as conn:
            return {str(r[0]) for r in conn.execute(sa.text(
                "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"))}

    assert "fct_budget_line" not in keyed() and "int_line_ledger" not in keyed()

    def indexes() -> set[str]:
        with engine.connect() as conn:
            return {str(r[0]) for r in conn.execute(sa.text("SELECT index_name FROM duckdb_indexes()"))}

    registry = {"ix_fct_application_department_code", "ix_fct_investment_project_department_code"}
    assert not registry & indexes()
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0014")
    assert {"fct_budget_line", "dim_enterprise", "fct_rectification", "int_line_ledger"} <= keyed()
    assert "fct_payment" not in keyed()  # 0010's, still in place
    assert registry <= indexes()  # 0001's, back as they were
    upgrade(engine)
    assert not {"fct_budget_line", "dim_enterprise", "int_line_ledger", "fct_payment"} & keyed()
    assert not registry & indexes()
    after = snapshot(engine)
    assert all(before[name].equals(frame) for name, frame in after.items())
    engine.dispose()


def test_two_processes_opening_a_postgresql_warehouse_at_once_upgrade_it_in_turn(pg_url):
    """Two commands that open an older warehouse at the same moment (a nightly run and an operator's roll-up):
    the second waits for the first's upgrade and finds it done, instead of failing on an index it made."""
    import threading

    first = make_engine(pg_url, migrate=False)
    upgrade(first, "0015")
    first.dispose()
    engines = [make_engine(pg_url, migrate=False) for _ in range(2)]
    start, failures = threading.Barrier(2), []

    def open_it(engine: sa.Engine) -> None:
        start.wait()
        try:
            upgrade(engine)
        except Exception as exc:  # the test reports what either raised
            failures.append(exc)

    threads = [threading.Thread(target=open_it, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert failures == []
    assert current_revision(engines[0]) == head_revision()
    for engine in engines:
        engine.dispose()


def test_migration_0016_gives_postgresql_payments_an_index_for_their_key_and_back(pg_url):
    """On PostgreSQL the payments lose their PRIMARY KEY for an index on (department_code, year) that finds a
    department-year's rows as the key's first columns did; a downgrade gives the key back, rows kept."""
    from alembic import command

    from tasks.warehouse.migrate import alembic_config

    engine = make_engine(pg_url)
    load_sample(engine, "run-1")
    before = snapshot(engine)
    with engine.begin() as conn:  # 0016's index, before 0018 partitions the payments
        command.downgrade(alembic_config(conn), "0017")

    def shape() -> tuple[set[str], dict[str, str]]:
        with engine.connect() as conn:
            kinds = {str(r[0]) for r in conn.execute(sa.text(
                "SELECT constraint_type FROM information_schema.table_constraints "
                "WHERE table_name = 'fct_payment' AND table_schema = current_schema()"))}
            indexes = {str(r[0]): str(r[1]) for r in conn.execute(sa.text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'fct_payment' "
                "AND schemaname = current_schema()"))}
        return kinds, indexes

    kinds, indexes = shape()
    assert "PRIMARY KEY" not in kinds
    assert list(indexes) == ["ix_fct_payment_department_year"]
    assert indexes["ix_fct_payment_department_year"].endswith("(department_code, year)")
    with engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL enable_seqscan = off"))  # a table of the sample's size: force the plan
        plan = "\n".join(str(r[0]) for r in conn.execute(sa.text(
            "EXPLAIN SELECT sum(amount_fen) FROM fct_payment WHERE department_code = :d AND year = 2022 "
            "AND pay_date <= DATE '2022-06-30'"), {"d": LIWAN}))
    assert "ix_fct_payment_department_year" in plan
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0015")
    kinds, indexes = shape()
    assert "PRIMARY KEY" in kinds and list(indexes) == ["fct_payment_pkey"]
    upgrade(engine, "0017")
    assert shape()[1].keys() == {"ix_fct_payment_department_year"}
    upgrade(engine)
    assert shape()[1] == {}  # partitioned by 0018, with no index
    after = snapshot(engine)
    assert all(before[name].equals(frame) for name, frame in after.items())
    engine.dispose()


@pytest.mark.parametrize("owner_may_create", [True, False])
def test_migration_0018_partitions_postgresql_payments_by_department_year_and_back(pg_url, pg_server_url,
                                                                                     owner_may_create):
    """On PostgreSQL the payments are partitioned by year (LIST, 2018-2032 and a DEFAULT), each year by department
    (8 HASH partitions), with no index: the payments of some departments of a year are read, and replaced, in
    their partitions alone. Rows, owner, grants and comment are kept on the way there and back; the downgrade
    gives 0016's index back. An owner that may not create in the schema cannot own the new tables: the upgrading
    role keeps them, and the owner is granted every privilege on the payments."""
    import uuid

    from tasks.warehouse.migrate import downgrade

    role = f"selfeval_reader_{uuid.uuid4().hex[:8]}"
    owner = f"selfeval_owner_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(pg_server_url)
    engine = make_engine(pg_url)
    try:
        load_sample(engine, "run-1")
        before = snapshot(engine)
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE ROLE "{role}"'))
            conn.execute(sa.text(f'CREATE ROLE "{owner}"'))
        downgrade(engine, "0017")
        with engine.begin() as conn:
            conn.execute(sa.text(f'GRANT SELECT ON fct_payment TO "{role}" WITH GRANT OPTION'))
            conn.exec_driver_sql("COMMENT ON TABLE fct_payment IS '支付明细: the ledger'")
            conn.execute(sa.text(f'ALTER TABLE fct_payment OWNER TO "{owner}"'))  # not the role that upgrades
            if owner_may_create:
                schema = conn.execute(sa.text("SELECT current_schema()")).scalar()
                conn.execute(sa.text(f'GRANT CREATE ON SCHEMA "{schema}" TO "{owner}"'))

        def shape() -> tuple[int, list[str], bool, object, set[str]]:
            with engine.connect() as conn:
                leaves = conn.execute(sa.text(
                    "SELECT count(*) FROM pg_partition_tree('fct_payment') WHERE isleaf AND level > 0")).scalar()
                indexes = [str(r[0]) for r in conn.execute(sa.text(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'fct_payment' "
                    "AND schemaname = current_schema()"))]
                may = conn.execute(sa.text("SELECT has_table_privilege(:r, 'fct_payment', 'SELECT WITH GRANT OPTION')"),
                                   {"r": role}).scalar()
                comment = conn.execute(sa.text("SELECT obj_description('fct_payment'::regclass, 'pg_class')")).scalar()
                owners = {str(r[0]) for r in conn.execute(sa.text(
                    "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() "
                    "AND tablename LIKE 'fct\\_payment%' AND tablename <> 'fct_payment_source'"))}
            return int(leaves), indexes, bool(may), comment, owners

        assert shape() == (0, ["ix_fct_payment_department_year"], True, "支付明细: the ledger", {owner})
        upgrade(engine)
        assert shape() == (15 * 8 + 1, [], True, "支付明细: the ledger", {owner} if owner_may_create else {"postgres"})
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT has_table_privilege(:o, 'fct_payment', 'INSERT, DELETE')"),
                                {"o": owner}).scalar()
        assert all(before[name].equals(frame) for name, frame in snapshot(engine).items())
        with engine.begin() as conn:  # some departments of a year: read, and replaced, in their partitions alone
            keys = {"a": LIWAN, "b": "440103-SWJ"}
            for statement in ("SELECT sum(amount_fen) FROM fct_payment WHERE department_code = :a AND year = 2022",
                              "DELETE FROM fct_payment WHERE year = 2022 AND department_code IN (:a, :b)"):
                plan = "\n".join(str(r[0]) for r in conn.execute(sa.text(f"EXPLAIN {statement}"), keys))
                scanned = [line for line in plan.splitlines() if "Scan on fct_payment" in line]
                assert 1 <= len(scanned) <= 2 and all("fct_payment_y2022_h" in s for s in scanned), plan
            gone = conn.execute(sa.text("DELETE FROM fct_payment WHERE year = 2022 AND department_code IN (:a, :b)"),
                                keys).rowcount
            assert gone == int(before["fct_payment"]["department_code"].isin(list(keys.values())).sum()) > 0
            conn.rollback()
        with engine.connect() as conn:  # the marts over the payments were made again after the migrations
            paid = conn.execute(sa.text("SELECT sum(executed_fen) FROM mart_line_execution")).scalar()
            assert paid == conn.execute(sa.text("SELECT sum(amount_fen) FROM fct_payment")).scalar() > 0
        with engine.begin() as conn:  # a year outside 2018-2032 is kept too, in the DEFAULT partition
            conn.execute(sa.text("INSERT INTO fct_payment SELECT department_code, 2040, voucher_no, line_id, "
                                 "pay_date, payee, economic_class, amount_fen, source_file, source_row "
                                 "FROM fct_payment WHERE year = 2022"))
            other = conn.execute(sa.text("SELECT count(*) FROM fct_payment_other")).scalar()
            assert other == len(before["fct_payment"])
            conn.rollback()
        downgrade(engine, "0017")
        assert shape()[:4] == (0, ["ix_fct_payment_department_year"], True, "支付明细: the ledger")
        assert all(before[name].equals(frame) for name, frame in snapshot(engine).items())
    finally:
        engine.dispose()
        with admin.begin() as conn:
            for name in (role, owner):
                conn.execute(sa.text(f'DROP OWNED BY "{name}"'))
                conn.execute(sa.text(f'DROP ROLE "{name}"'))
        admin.dispose()


def _ledgers(engine: sa.Engine) -> tuple[list[tuple], list[tuple]]:
    """The materialized int_line_ledger, and the same SELECT computed afresh over the warehouse's payments."""
    from tasks.warehouse import models

    order = " ORDER BY department_code, year, line_id"
    cols = "department_code, year, line_id, CAST(executed_fen AS BIGINT), CAST(payments AS BIGINT)"
    with engine.connect() as conn:
        kept = conn.execute(sa.text(f"SELECT {cols} FROM int_line_ledger{order}")).all()
        fresh = conn.execute(sa.text(f"SELECT {cols} FROM ({models.marts()['int_line_ledger']}) m{order}")).all()
    return [tuple(r) for r in kept], [tuple(r) for r in fresh]


def test_promotion_keeps_the_materialized_ledger_as_its_sql_computes_it(engine):
    load_sample(engine, "run-1")
    with engine.connect() as conn:  # a table, not a view that would compute the same rows
        assert conn.execute(sa.text("SELECT table_type FROM information_schema.tables WHERE table_name = "
                                    "'int_line_ledger' AND table_schema = current_schema()")).scalar() == "BASE TABLE"
    kept, fresh = _ledgers(engine)
    assert kept == fresh and {r[0] for r in kept} == {LIWAN, "440103-SWJ", "440103-WTJ"}
    # one department promoted again with a payment changed: its lines' rows replaced, the others kept
    data, hashes = sample_data(departments=[LIWAN])
    payments = data.frames["payments"]
    line = payments.loc[0, "line_id"]
    payments.loc[0, "amount"] = payments.loc[0, "amount"] + 100
    load_sample(engine, "run-2", data, hashes)
    again, fresh = _ledgers(engine)
    assert again == fresh
    before = {r[:3]: r[3] for r in kept}
    after = {r[:3]: r[3] for r in again}
    assert after[(LIWAN, 2022, line)] == before[(LIWAN, 2022, line)] + 100
    assert {k: v for k, v in after.items() if k[0] != LIWAN} == {k: v for k, v in before.items() if k[0] != LIWAN}


def test_the_payments_provenance_is_read_per_file_as_the_payments_count_it(engine):
    """A report's provenance of a ledger figure reads fct_payment_source (a row per file, written by promotion with
    the payments), and says the files, hashes and payments that counting the payments by their file's number
    says, on both engines; after a department's ledger comes again from another file, its old file is gone."""
    def both(year: int) -> tuple[dict, dict]:
        p, f = s.fct_payment, s.fct_payment_source
        with engine.connect() as conn:
            kept = q.sources_of(conn, "fct_payment", "department_code", [LIWAN, "440103-SWJ"], {"year": year})
            fresh: dict[object, list] = {LIWAN: [], "440103-SWJ": []}
            for k, u, h, n in conn.execute(
                    sa.select(p.c.department_code, f.c.source_uri, f.c.source_sha256, sa.func.count())
                    .select_from(p.join(f, sa.and_(f.c.department_code == p.c.department_code, f.c.year == p.c.year,
                                                   f.c.source_file == p.c.source_file)))
                    .where(p.c.year == year).group_by(p.c.department_code, f.c.source_uri, f.c.source_sha256)):
                if k in fresh:
                    fresh[k].append((str(u), str(h), int(n)))
        return kept, {k: sorted(v) for k, v in fresh.items()}

    load_sample(engine, "run-1")
    kept, fresh = both(2022)
    assert kept == fresh and all(kept.values())
    assert all(len(h) == 64 for files in kept.values() for _, h, _ in files)
    data, hashes = sample_data(departments=[LIWAN])
    payments = data.frames["payments"]
    moved = "finance/2022/moved/payments.csv"
    old = {uri for uri, _, _ in kept[LIWAN]}
    payments["_source"] = moved
    load_sample(engine, "run-2", data, {**hashes, moved: "f" * 64})
    again, fresh = both(2022)
    assert again == fresh
    assert again[LIWAN] == [(moved, "f" * 64, sum(n for _, _, n in kept[LIWAN]))] and not old & {moved}
    assert again["440103-SWJ"] == kept["440103-SWJ"]


def test_migration_0017_keeps_each_payments_lineage_per_file_and_back(engine):
    """0017 moves the payments' lineage to a row per file (fct_payment_source); each payment's file, hash, row
    and run are what they were, and a downgrade puts them back on each row, then an upgrade again."""
    from tasks.warehouse.migrate import downgrade

    data, hashes = sample_data(departments=[LIWAN])
    data.frames["payments"].loc[::3, "_source"] = "finance/2022/second/payments.csv"  # two files of a ledger
    load_sample(engine, "run-1", data, {**hashes, "finance/2022/second/payments.csv": "e" * 64})
    load_sample(engine, "run-2", *sample_data(departments=["440103-SWJ"]))
    lineage, before = payment_lineage(engine), snapshot(engine)
    assert {r[4] for r in lineage if r[0] == LIWAN} == {"finance/2022/second/payments.csv",
                                                          *(u for u in hashes if u.endswith("payments.csv")
                                                            and LIWAN in u)}
    assert {r[7] for r in lineage} == {"run-1", "run-2"}
    downgrade(engine, "0016")
    with engine.connect() as conn:
        held = set(conn.execute(sa.text("SELECT * FROM fct_payment LIMIT 0")).keys())
        tables = set(sa.inspect(conn).get_table_names())
    assert {"run_id", "source_uri", "source_sha256", "loaded_at"} <= held and "source_file" not in held
    assert "fct_payment_source" not in tables
    assert payment_lineage(engine) == lineage
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert payment_lineage(engine) == lineage
    after = snapshot(engine)  # the files numbered as promotion numbers them
    assert all(before[name].equals(frame) for name, frame in after.items())
    with engine.connect() as conn:  # the marts over the payments were made again (PostgreSQL's went with them)
        paid = conn.execute(sa.text("SELECT sum(executed_fen) FROM mart_line_execution")).scalar()
        assert paid == conn.execute(sa.text("SELECT sum(amount_fen) FROM fct_payment")).scalar() > 0


def test_the_materialized_marts_go_back_to_the_earlier_release(engine):
    """Downgrading past 0011 drops the marts whatever their kind (an earlier release drops them as views), and
    upgrading again makes them, the ledger a table holding what the payments add up to."""
    from alembic import command

    from tasks.warehouse.migrate import alembic_config

    load_sample(engine, "run-1")
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0008")  # through 0009, whose downgrade drops the views
    assert current_revision(engine) == "0008"
    upgrade(engine)
    kept, fresh = _ledgers(engine)
    assert kept == fresh and kept


def test_migration_0017_keeps_the_payments_grants_and_comment_on_postgresql(pg_url, pg_server_url):
    """0017 makes the payments' table again: on PostgreSQL a reporting role keeps its SELECT on it (and gets one on
    fct_payment_source, their lineage), and the table its comment, on the upgrade and on the way back."""
    import uuid

    from tasks.warehouse.migrate import downgrade

    role = f"selfeval_reader_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(pg_server_url)
    engine = make_engine(pg_url, migrate=False)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE ROLE "{role}"'))
        upgrade(engine, "0016")
        with engine.begin() as conn:
            conn.execute(sa.text(f'GRANT SELECT ON fct_payment TO "{role}"'))
            conn.exec_driver_sql("COMMENT ON TABLE fct_payment IS '支付明细: the ledger'")

        def held() -> tuple[bool, bool, object]:
            with engine.connect() as conn:
                may = conn.execute(sa.text("SELECT has_table_privilege(:r, 'fct_payment', 'SELECT'), "
                                           "has_table_privilege(:r, 'fct_payment', 'INSERT')"), {"r": role}).one()
                lineage = conn.execute(sa.text(
                    "SELECT to_regclass('fct_payment_source') IS NOT NULL AND "
                    "has_table_privilege(:r, 'fct_payment_source', 'SELECT')"), {"r": role}).scalar()
                comment = conn.execute(sa.text("SELECT obj_description('fct_payment'::regclass, 'pg_class')")).scalar()
            return (bool(may[0]) and not may[1]), bool(lineage), comment

        upgrade(engine)
        assert held() == (True, True, "支付明细: the ledger")
        downgrade(engine, "0016")
        assert held() == (True, False, "支付明细: the ledger")
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP OWNED BY "{role}"'))
            conn.execute(sa.text(f'DROP ROLE "{role}"'))
        admin.dispose()
