"""Secrets live in the environment (or Prefect Secret blocks) and never reach logs, artifacts,
parameters, the warehouse's run log or the report files."""

from __future__ import annotations

import csv
from pathlib import Path

import sqlalchemy as sa

from tests.conftest import LIWAN
from tests.support.fake_api import FakeApi

API_TOKEN = "PLANTED-api-token-5f1c"
WEBHOOK_TOKEN = "PLANTED-webhook-token-9a2e"
DB_PASSWORD = "PLANTED-db-password-77b0"
SECRETS = (API_TOKEN, WEBHOOK_TOKEN, DB_PASSWORD)


def refuse_one_line(sample: Path) -> None:
    path = sample / "finance" / "2022" / LIWAN / "budget_lines.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    rows[8][7] = f"{float(rows[8][6]) + 1000:.2f}"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def test_planted_secrets_appear_nowhere(prefect_harness, sample_copy, tmp_path, receiver, pg_url, monkeypatch):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogHandler

    from flows.self_evaluation import self_evaluation

    refuse_one_line(sample_copy)  # so that an alert is sent through the secret webhook
    api = FakeApi(token=API_TOKEN)
    try:
        monkeypatch.setenv("SELFEVAL_API_TOKEN", API_TOKEN)
        monkeypatch.setenv("SELFEVAL_ALERT_WEBHOOK", f"{receiver.url}?token={WEBHOOK_TOKEN}")
        monkeypatch.setenv("SELFEVAL_WAREHOUSE_PASSWORD", DB_PASSWORD)
        monkeypatch.setenv("SELFEVAL_REPORT_CONFIG", str(Path("tests/support/report-light.yaml").resolve()))
        out = tmp_path / "out"
        state = self_evaluation(year=2022, source=str(sample_copy), warehouse_url=pg_url, output_dir=str(out),
                                statistics_source=api.url("statistics"), registry_source=api.url("registry"),
                                return_state=True)
    finally:
        api.close()
    assert state.is_failed() and "FIN-001" in str(state.message)
    assert receiver.requests and receiver.requests[0]["path"].endswith(WEBHOOK_TOKEN)  # the secret was used
    assert all(r["authorization"] == f"Bearer {API_TOKEN}" for r in api.requests)

    run_id = state.state_details.flow_run_id
    APILogHandler().flush()  # logs go to the server in background batches; read them all
    haystack = [str(state.message), str(state.result(raise_on_failure=False))]
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
        haystack.append(repr(run.parameters))
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
        haystack += [log.message for log in logs]
        in_run = ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        artifacts = client.read_artifacts(artifact_filter=in_run)
        haystack += [f"{a.key} {a.description} {a.data}" for a in artifacts]
    assert len(logs) > 10 and len(artifacts) >= 1
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".md", ".html", ".csv", ".json"):
            haystack.append(path.read_text(encoding="utf-8", errors="replace"))
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        for table in ("ops_run", "ops_dq_result", "ops_quarantine"):
            haystack += [repr(tuple(r)) for r in conn.execute(sa.text(f"select * from {table}"))]
    engine.dispose()
    text = "\n".join(haystack)
    for secret in SECRETS:
        assert secret not in text, f"{secret} leaked"


def test_a_password_in_the_cli_warehouse_url_is_not_a_flow_parameter(prefect_harness, sample_copy, tmp_path, pg_url,
                                                                       monkeypatch, capsys):
    """``selfeval run --warehouse postgresql://user:password@…`` reaches the warehouse with the password, but the
    flow run's parameters, which the Prefect server stores and its UI shows, hold the URL without it."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import FlowRunSort

    from flows.cli import main

    monkeypatch.setenv("SELFEVAL_WAREHOUSE_PASSWORD", "")  # restored after: the CLI sets it for its process
    monkeypatch.setenv("SELFEVAL_REPORT_CONFIG", str(Path("tests/support/report-light.yaml").resolve()))
    with_password = sa.make_url(pg_url).set(password=DB_PASSWORD).render_as_string(hide_password=False)
    assert main(["run", "--year", "2022", "--department", LIWAN, "--source", str(sample_copy),
                 "--warehouse", with_password, "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr()
    assert DB_PASSWORD not in printed.out + printed.err
    with get_client(sync_client=True) as client:
        [run] = client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=1)
    assert run.parameters["warehouse_url"] == sa.make_url(pg_url).render_as_string(hide_password=False)
    assert DB_PASSWORD not in repr(run.parameters)


def test_a_source_address_with_a_secret_is_neither_a_flow_parameter_nor_shown(prefect_harness, sample_copy, tmp_path,
                                                                                monkeypatch, capsys):
    """``--registry http://user:password@host/api?token=…``: the run reads it (here it does not answer, so the
    department is refused, naming the address), but the address is shown without its secrets and the flow run's
    parameters do not hold it."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import FlowRunSort

    from flows.cli import main

    monkeypatch.setenv("SELFEVAL_REGISTRY_SOURCE", "")  # restored after: the CLI sets it for its process
    monkeypatch.setenv("SELFEVAL_HTTP_ATTEMPTS", "1")
    address = f"http://reader:{DB_PASSWORD}@127.0.0.1:1/api?token={API_TOKEN}"
    out = tmp_path / "out"
    assert main(["run", "--year", "2022", "--department", LIWAN, "--source", str(sample_copy), "--registry", address,
                 "--warehouse", f"duckdb:///{tmp_path}/wh.duckdb", "--out", str(out)]) == 3
    printed = capsys.readouterr()
    assert "http://reader:***@127.0.0.1:1/api" in printed.out + printed.err
    with get_client(sync_client=True) as client:
        [run] = client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=1)
    haystack = [printed.out, printed.err, repr(run.parameters)]
    haystack += [p.read_text(encoding="utf-8") for p in out.rglob("*") if p.is_file() and p.suffix in (".html", ".csv")]
    for secret in (DB_PASSWORD, API_TOKEN):
        assert secret not in "\n".join(haystack), secret
