"""``make serve``: a Prefect server on 127.0.0.1 and the deployments served against it.

With ``PREFECT_API_URL`` already set, only the deployments are served. The server listens on
loopback only; put authentication in front of it before exposing it (deploy/README.md).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

HOST = "127.0.0.1"


def start_server(port: int) -> subprocess.Popen[bytes]:
    api = f"http://{HOST}:{port}/api"
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_API_URL": api,
           "PREFECT_SERVER_UI_API_URL": api, "PREFECT_API_URL": api}
    server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", HOST,
                               "--port", str(port)], env=env)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
        if server.poll() is not None:
            raise SystemExit(f"selfeval: the Prefect server did not start (exit {server.returncode})")
    server.terminate()
    raise SystemExit("selfeval: the Prefect server did not answer within 90 s")


def main() -> None:
    port = int(os.environ.get("SELFEVAL_SERVE_PORT", "4200"))
    server = None
    if not os.environ.get("PREFECT_API_URL"):
        server = start_server(port)
        os.environ["PREFECT_API_URL"] = f"http://{HOST}:{port}/api"
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    ui = os.environ["PREFECT_API_URL"].removesuffix("/api")
    print(f"selfeval: Prefect UI at {ui}  (deployments: self-evaluation-nightly/nightly, self-evaluation/on-demand, "
          "self-evaluation-backfill/backfill)", flush=True)
    try:
        from flows.deployments import main as serve_deployments

        serve_deployments()
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
