"""``make serve``: a Prefect server on 127.0.0.1, the deployments served against it, and the output folder
served read-only over HTTP so that the links of the runs' artifacts open in the browser.

With ``PREFECT_API_URL`` already set, only the deployments (and the output folder) are served. Both servers
listen on loopback only; put authentication in front of them before exposing them (deploy/README.md). The
output folder is served at ``SELFEVAL_REPORTS_HOST:SELFEVAL_REPORTS_PORT`` (127.0.0.1:4201); the links use
``SELFEVAL_REPORTS_BASE_URL``, which defaults to that address (set it to the proxy's address behind one).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"


def start_server(port: int) -> subprocess.Popen[bytes]:
    api = f"http://{HOST}:{port}/api"
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_API_URL": api,
           "PREFECT_SERVER_UI_API_URL": api, "PREFECT_API_URL": api}
    # its own session: a terminal's Ctrl-C reaches selfeval alone, whose runner pauses the deployments through
    # this server before stopping it (Ctrl-C to both left the runner retrying a server already gone)
    server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", HOST,
                               "--port", str(port)], env=env, start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
        if server.poll() is not None:
            raise SystemExit(f"selfeval：Prefect 服务器未能启动（the Prefect server did not start, exit "
                             f"{server.returncode}）")
    server.terminate()
    raise SystemExit("selfeval：Prefect 服务器 90 秒内没有响应（the Prefect server did not answer within 90 s）")


class ReadOnlyFiles(SimpleHTTPRequestHandler):
    """GET and HEAD of the files under one folder (the standard library refuses every other method with
    501); no folder listings, hidden files or links that lead out of the folder (404); Markdown and CSV as UTF-8
    text, so that a browser shows them."""

    extensions_map = {  # noqa: RUF012 (the standard library declares it so)
        **SimpleHTTPRequestHandler.extensions_map, ".md": "text/plain; charset=utf-8",
        ".csv": "text/plain; charset=utf-8", ".html": "text/html; charset=utf-8",
        ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}

    def send_head(self) -> Any:
        """404 for what is not a file of the folder itself: a link that leads out of it, a hidden file."""
        root = os.path.realpath(str(self.directory))
        real = os.path.realpath(self.translate_path(self.path))
        inside = os.path.commonpath([real, root]) == root
        hidden = any(part.startswith(".") for part in Path(os.path.relpath(real, root)).parts) if inside else True
        if not inside or hidden:
            self.send_error(404, "Not Found")
            return None
        return super().send_head()

    def list_directory(self, path: str | os.PathLike[str]) -> Any:
        """No listing of folders: the runs' artifacts link each file."""
        self.send_error(404, "Not Found")
        return None

    def log_message(self, format: str, *args: object) -> None:
        pass  # the operator's terminal is for the runs' logs


def serve_reports(folder: Path, host: str, port: int) -> ThreadingHTTPServer:
    """Serve ``folder`` read-only on ``host:port`` in a background thread; returns the server (``shutdown()``
    stops it). Raises SystemExit naming the address when the port is taken."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        server = ThreadingHTTPServer((host, port), partial(ReadOnlyFiles, directory=str(folder.resolve())))
    except OSError as exc:
        raise SystemExit(f"selfeval：报告目录无法在 {host}:{port} 提供（the output folder cannot be served）："
                         f"{exc.strerror}；请设置 SELFEVAL_REPORTS_PORT") from None
    threading.Thread(target=server.serve_forever, name="selfeval-reports", daemon=True).start()
    return server


def main() -> None:
    from tasks.settings import Settings

    port = int(os.environ.get("SELFEVAL_SERVE_PORT", "4200"))
    settings = Settings()
    reports = serve_reports(Path(settings.output_dir), settings.reports_host, settings.reports_port)
    base = settings.reports_base_url or f"http://{settings.reports_host}:{reports.server_address[1]}/"
    os.environ["SELFEVAL_REPORTS_BASE_URL"] = base  # the served runs' links
    server = None
    if not os.environ.get("PREFECT_API_URL"):
        server = start_server(port)
        os.environ["PREFECT_API_URL"] = f"http://{HOST}:{port}/api"
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    ui = os.environ["PREFECT_API_URL"].removesuffix("/api")
    print(f"selfeval：Prefect 界面（UI）{ui}；部署（deployments）：self-evaluation-nightly/nightly、"
          "self-evaluation/on-demand、self-evaluation-backfill/backfill", flush=True)
    print(f"selfeval：报告目录（reports）{Path(settings.output_dir).resolve()} 发布于 {base}", flush=True)
    try:
        from flows.deployments import main as serve_deployments

        serve_deployments()
    finally:
        reports.shutdown()
        if server is not None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
