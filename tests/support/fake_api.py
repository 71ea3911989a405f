"""A real HTTP server on loopback that serves the API fixtures, with faults on demand.

It pages ``data/variants/api/<source>/<endpoint>.json`` the way the statistics and registry
APIs do, checks the bearer token, and can be told, per endpoint, to answer with server errors,
to be slow, to drop the connection, to send malformed JSON or to page forever.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

FIXTURES = Path(__file__).resolve().parents[2] / "data" / "variants" / "api"


class FakeApi:
    def __init__(self, token: str = "test-token", fixtures: Path = FIXTURES):
        self.token = token
        self.fixtures = fixtures
        self.faults: dict[str, list[str]] = defaultdict(list)  # endpoint -> faults, consumed in order
        self.always: dict[str, str] = {}  # endpoint -> fault on every request
        self.delay = 0.0
        self.requests: list[dict[str, Any]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                api.handle(self)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, source: str) -> str:
        return f"{self.base}/{source}"

    def fail(self, endpoint: str, *faults: str) -> None:
        """Queue faults for the next requests to ``endpoint``: "500", "slow", "drop", "badjson", "endless"."""
        self.faults[endpoint].extend(faults)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        parsed = urlparse(request.path)
        source, _, endpoint = parsed.path.strip("/").partition("/")
        query = parse_qs(parsed.query)
        page = int(query.get("page", ["1"])[0])
        size = int(query.get("page_size", ["1000"])[0])
        self.requests.append({"path": parsed.path, "page": page,
                              "authorization": request.headers.get("Authorization")})
        fault = self.always.get(endpoint) or (self.faults[endpoint].pop(0) if self.faults[endpoint] else None)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return self._send(request, 401, b'{"error": "unauthorized"}')
        if fault == "drop":
            request.connection.shutdown(socket.SHUT_RDWR)
            request.close_connection = True
            return None
        if fault == "slow":
            time.sleep(3.0)
        if fault == "500":
            return self._send(request, 500, b'{"error": "internal"}')
        path = self.fixtures / source / f"{endpoint}.json"
        if not path.exists():
            return self._send(request, 404, b'{"error": "not found"}')
        if fault == "badjson":
            return self._send(request, 200, b'{"data": [{"region_code": "440103", ')
        records = json.loads(path.read_text(encoding="utf-8"))
        chunk = records[(page - 1) * size: page * size]
        more = page * size < len(records)
        next_page = page + 1 if (more or fault == "endless" or self.always.get(endpoint) == "endless") else None
        if self.always.get(endpoint) == "endless":
            chunk = records[:1]
        body = json.dumps({"data": chunk, "page": page, "next_page": next_page}, ensure_ascii=False).encode()
        return self._send(request, 200, body)

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)
