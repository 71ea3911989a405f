"""The served nightly deployment, its clock set to a night in 2023 by the run's scheduled time: it
processes 2023 for monitoring and 2022 for the reports, ends Completed, and the Prefect UI shows the
monitoring table as an artifact of the 2023 run."""

from __future__ import annotations

import datetime as dt
import json
import urllib.request

import pytest

from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e
WTJ = "440103-WTJ"


def _post(stack: Stack, path: str, body: dict) -> list[dict]:
    request = urllib.request.Request(f"{stack.api}{path}", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as r:
        return list(json.load(r))


def test_a_night_scheduled_in_2023_runs_both_seasons_and_completes(stack):
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    night = dt.datetime(2023, 7, 14, 18, 0, tzinfo=dt.UTC)  # 02:00 on 15 July 2023 in Shanghai
    with temporary_settings(updates={PREFECT_API_URL: stack.api}):
        run = run_deployment("self-evaluation-nightly/nightly", scheduled_time=night, timeout=600)
    assert run.state is not None and run.state.is_completed(), run.state
    assert run.state.message == "night of 2023-07-15: 2022: COMPLETED; 2023: COMPLETED"

    children = _post(stack, "/flow_runs/filter", {"flow_runs": {"parent_flow_run_id": {"any_": [str(run.id)]}}})
    assert sorted(c["parameters"]["year"] for c in children) == [2022, 2023]
    assert all(c["state_type"] == "COMPLETED" for c in children)
    [artifact] = _post(stack, "/artifacts/filter", {"artifacts": {"key": {"any_": ["monitoring-2023"]}}})
    table = json.loads(artifact["data"]) if isinstance(artifact["data"], str) else artifact["data"]
    flagged = [row["部门编码"] for row in table if row["状态"] == "预警"]
    assert flagged == [WTJ]
    assert (stack.out / "2023" / WTJ / "report.md").exists() and (stack.out / "2022" / WTJ / "report.md").exists()
