"""A real Prefect server on a free loopback port, the deployments served against it, and Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = Path(__file__).resolve().parent / "_output"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


class Stack:
    def __init__(self, api: str, home: Path, sample: Path, out: Path, warehouse: str, reports: str = ""):
        self.api, self.home, self.sample, self.out, self.warehouse = api, home, sample, out, warehouse
        self.ui = api.removesuffix("/api")
        self.reports = reports  # the output folder's address, as make serve serves it


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    """``prefect server start`` on a free port, and ``python -m flows.deployments`` serving against it."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing; `make test` installs it with apt-get (deploy/system-packages.sh)")
    tmp = tmp_path_factory.mktemp("e2e")
    sample = tmp / "sample"
    shutil.copytree(ROOT / "data" / "sample", sample)
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    from flows.serve import serve_reports

    reports_server = serve_reports(tmp / "out", "127.0.0.1", 0)  # as make serve does
    reports = f"http://127.0.0.1:{reports_server.server_address[1]}/"
    env = {**os.environ, "PREFECT_HOME": str(tmp / "prefect"), "PREFECT_API_URL": api, "PREFECT_UI_API_URL": api,
           "PREFECT_SERVER_UI_API_URL": api, "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "SELFEVAL_SOURCE": str(sample), "SELFEVAL_OUTPUT_DIR": str(tmp / "out"),
           "SELFEVAL_WAREHOUSE_URL": f"duckdb:///{tmp}/warehouse.duckdb",
           "SELFEVAL_REPORT_CONFIG": str(ROOT / "tests" / "support" / "report-e2e.yaml"),
           "SELFEVAL_REPORTS_BASE_URL": reports,
           "SELFEVAL_REVIEW_POLL_SECONDS": "2"}
    env.pop("PREFECT_SERVER_LOGGING_LEVEL", None)
    logs = OUTPUT / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                               "--port", str(port)], env=env, cwd=tmp,
                              stdout=(logs / "server.log").open("wb"), stderr=subprocess.STDOUT)
    served = None
    try:
        wait_for(f"{api}/health")
        served = subprocess.Popen([sys.executable, "-m", "flows.deployments"], env=env, cwd=ROOT,
                                  stdout=(logs / "serve.log").open("wb"), stderr=subprocess.STDOUT)
        _wait_for_deployments(api)
        yield Stack(api, tmp / "prefect", sample, tmp / "out", env["SELFEVAL_WAREHOUSE_URL"], reports)
    finally:
        reports_server.shutdown()
        for proc in (served, server):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()


def _wait_for_deployments(api: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        request = urllib.request.Request(f"{api}/deployments/filter", data=b"{}", method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as r:
            names = {d["name"] for d in json.load(r)}
        if {"nightly", "on-demand", "backfill"} <= names:
            return
        time.sleep(1)
    raise TimeoutError("the deployments were not served")


def flow_run(stack: Stack, run_id: str) -> dict:
    """The flow run as the server's API gives it."""
    with urllib.request.urlopen(f"{stack.api}/flow_runs/{run_id}", timeout=10) as r:
        return dict(json.load(r))


def final_state(stack: Stack, run_id: str, seconds: float = 240) -> str:
    """Wait for the run to end; its state type (COMPLETED, FAILED, CRASHED)."""
    deadline = time.monotonic() + seconds
    while (state := str(flow_run(stack, run_id)["state_type"])) not in ("COMPLETED", "FAILED", "CRASHED"):
        assert time.monotonic() < deadline, f"the run is still {state}"
        time.sleep(2)
    return state


def open_custom_run(page: Any, stack: Stack) -> None:
    """The on-demand deployment's Custom run form."""
    page.goto(f"{stack.ui}/deployments")
    page.get_by_role("link", name="on-demand", exact=True).click()
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_text("Custom run", exact=True).click()


def submit_custom_run(page: Any, seconds: float = 150) -> str:
    """Submit the Custom run form, open the new run from the deployment's runs (listed by its name); its id.

    The Runs tab can be drawn before the new run is listed (seen on a loaded machine: 30 s without it), and it does not
    always fetch the list again; so the page is reloaded, as an operator would, until the run is listed or
    ``seconds`` have passed.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    run_name = page.get_by_role("textbox").first.input_value()
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r".*tab=Runs"), timeout=30_000)
    link = page.get_by_role("link", name=run_name, exact=True).first
    deadline = time.monotonic() + seconds
    while True:
        try:
            link.wait_for(state="visible", timeout=20_000)
            break
        except PlaywrightTimeout:
            if time.monotonic() > deadline:
                raise AssertionError(f"the run {run_name!r} was not listed on the deployment's Runs tab "
                                     f"within {seconds:.0f} s") from None
        try:  # a reload slow to answer on a loaded machine is another turn of the loop, not the test's end
            page.reload(wait_until="domcontentloaded", timeout=30_000)
        except PlaywrightTimeout:
            continue
    link.click()
    page.wait_for_url(re.compile(r".*/runs/flow-run/.*"), timeout=30_000)
    return str(page.url.rsplit("/", 1)[-1].split("?")[0])


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        yield page
        browser.close()
