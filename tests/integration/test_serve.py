"""`make serve` as an operator runs it in a terminal: it starts the Prefect server, serves the deployments and
the output folder, and Ctrl-C stops all of them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.e2e.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_ctrl_c_stops_the_server_the_deployments_and_the_output_folder(tmp_path):
    api, reports = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SELFEVAL_"))}
    env.update(PREFECT_HOME=str(tmp_path / "home"), SELFEVAL_SERVE_PORT=str(api), SELFEVAL_REPORTS_PORT=str(reports),
               SELFEVAL_OUTPUT_DIR=str(tmp_path / "out"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    log = (tmp_path / "serve.log").open("w+", encoding="utf-8")
    # a terminal's foreground job: Ctrl-C's SIGINT is not ignored (as it is for a background job of a script)
    served = subprocess.Popen([sys.executable, "-m", "flows.serve"], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 300
        while "being served" not in (tmp_path / "serve.log").read_text(encoding="utf-8"):
            assert served.poll() is None, (tmp_path / "serve.log").read_text(encoding="utf-8")[-3000:]
            assert time.monotonic() < deadline, "the deployments were not served within 300 s"
            time.sleep(1)
        with urllib.request.urlopen(f"http://127.0.0.1:{api}/api/health", timeout=10) as answer:
            assert answer.status == 200
        assert _listening(reports)

        time.sleep(5)  # an operator reads the banner first; the runner settles into polling
        os.killpg(served.pid, signal.SIGINT)  # Ctrl-C reaches the terminal's whole foreground group
        try:
            served.wait(timeout=60)
        except subprocess.TimeoutExpired:
            raise AssertionError((tmp_path / "serve.log").read_text(encoding="utf-8")[-4000:]) from None
        time.sleep(1)
        assert not _listening(api) and not _listening(reports)  # the server and the folder stopped with it
    finally:
        if served.poll() is None:
            os.killpg(served.pid, signal.SIGKILL)
        log.close()
