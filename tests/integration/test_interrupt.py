"""A run stopped by Ctrl-C or by SIGTERM (systemd's stop, ``timeout``, a scheduler's cancel): one line and the shell's
exit code, no traceback, and Prefect's temporary server stopped with it (SIGTERM left it listening, re-parented to
init, one more each time)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _processes_with(home: Path) -> list[str]:
    """The processes whose environment names ``home`` as PREFECT_HOME: the run and the server it started."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if f"PREFECT_HOME={home}".encode() in (proc / "environ").read_bytes().split(b"\0"):
                found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:  # gone, or not ours to read
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc to find the server's process")
@pytest.mark.parametrize("sent, code, said", [(signal.SIGTERM, 143, "已终止（收到 SIGTERM），运行未完成"),
                                              (signal.SIGINT, 130, "已中断，运行未完成")])
def test_a_run_stopped_by_a_signal_says_so_in_one_line_and_stops_its_server(sent, code, said, tmp_path):
    home = tmp_path / "prefect-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SELFEVAL_"))}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="300",
               SELFEVAL_WAREHOUSE_URL=f"duckdb:///{tmp_path}/wh.duckdb", SELFEVAL_OUTPUT_DIR=str(tmp_path / "out"),
               PYTHONPATH=str(ROOT))
    log = tmp_path / "stderr.txt"
    with log.open("wb") as err:
        run = subprocess.Popen([sys.executable, "-m", "flows.cli", "run", "--year", "2022"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + 300
        while b"Beginning flow run" not in log.read_bytes():  # the server up, the flow begun: stop it mid-run
            assert run.poll() is None and time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.1)
        run.send_signal(sent)
        assert run.wait(timeout=120) == code, log.read_text(encoding="utf-8")
    text = log.read_text(encoding="utf-8")
    assert f"selfeval: {said}" in text and "Traceback" not in text, text
    deadline = time.monotonic() + 15
    while _processes_with(home) and time.monotonic() < deadline:  # the server stops as the run unwinds
        time.sleep(0.5)
    assert _processes_with(home) == []
