"""Shared fixtures: the bundled sample, a real PostgreSQL schema per test, a Prefect server."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY", "false")
os.environ.setdefault("PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS", "false")
os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
# The team's shared copy, next to the checkout (or at /work/shared); tests read the committed copy.
REFERENCE = next((p for p in (ROOT.parent / "shared", Path("/work/shared"))
                  if (p / "reference" / "liwan-2022-self-evaluation.txt").exists()),
                 ROOT.parent / "shared") / "reference" / "liwan-2022-self-evaluation.txt"
REFERENCE_COPY = ROOT / "tests" / "golden" / "liwan-2022-self-evaluation.txt"


def libreoffice_convert(source: Path, target: str, outdir: Path) -> Path:
    """``source`` opened and saved by LibreOffice headless, as an office would, in the format ``target``
    (``pdf``, ``docx:MS Word 2007 XML``) into ``outdir``, with its own profile (no clash with a running office).
    Fails under CI when LibreOffice is missing (deploy/system-packages.sh --tests installs it), else skips."""
    soffice = shutil.which("soffice")
    if soffice is None:
        message = "LibreOffice (soffice) is not installed; deploy/system-packages.sh --tests installs it"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    outdir.mkdir(parents=True, exist_ok=True)
    subprocess.run([soffice, f"-env:UserInstallation=file://{outdir / '.profile'}", "--headless", "--convert-to",
                    target, "--outdir", str(outdir), str(source)], check=True, capture_output=True, timeout=180)
    return outdir / f"{source.stem}.{target.split(':')[0]}"
LIWAN = "440103-KGXJ"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled sample, for tests that change a record."""
    target = tmp_path / "sample"
    shutil.copytree(SAMPLE, target)
    return target


@pytest.fixture(scope="session")
def reference_text() -> str:
    path = REFERENCE_COPY if REFERENCE_COPY.exists() else REFERENCE
    return path.read_text(encoding="utf-8")


def first_difference(actual: str, expected: str) -> str | None:
    """None when equal ignoring all whitespace; else where and how they first differ."""
    a, b = re.sub(r"\s+", "", actual), re.sub(r"\s+", "", expected)
    if a == b:
        return None
    n = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return (f"first difference at position {n} (of {len(a)} vs {len(b)} non-space characters):\n"
            f"  rendered:  ...{a[max(0, n - 30):n + 30]}...\n"
            f"  reference: ...{b[max(0, n - 30):n + 30]}...")


def _pg_reachable(url: str) -> str | None:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as exc:  # any failure to connect means "not available"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    url = os.environ.get("SELFEVAL_TEST_PG_URL", DEFAULT_PG)
    problem = _pg_reachable(url)
    if problem:
        message = f"PostgreSQL at {url} is unreachable ({problem})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + "; CI requires it")
        pytest.skip(message + "; set SELFEVAL_TEST_PG_URL to run the PostgreSQL tests")
    return url


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    """A fresh, empty schema on the test server, dropped afterwards; the URL points into it."""
    import sqlalchemy as sa

    schema = f"selfeval_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_server_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in pg_server_url else "?"
    yield f"{pg_server_url}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """A temporary Prefect server (with its own database) for the session's flow runs."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):  # a loaded machine starts it slowly
        yield


class Receiver:
    """A real HTTP server on loopback that records what is posted to it."""

    def __init__(self) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.requests: list[dict] = []
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = None
                outer.requests.append({"path": self.path, "body": body, "json": parsed})
                self.send_response(outer.status)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def xlsx_rows(path: Path) -> list[list[str]]:
    """A form's first sheet as the office shows it: each row's non-empty cells, a number written by its number
    format ("0.00%" 0.6645 → "66.45%", "0.00" 699.86 → "699.86")."""
    import openpyxl

    out = []
    for row in openpyxl.load_workbook(path).worksheets[0].iter_rows():
        cells = []
        for cell in row:
            value = cell.value
            if value in (None, ""):
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                shown = str(cell.number_format or "")
                decimals = len(shown.split(".", 1)[1].rstrip("%")) if "." in shown else 0
                value = f"{value * 100:.{decimals}f}%" if shown.endswith("%") else f"{value:.{decimals}f}"
            cells.append(str(value))
        out.append(cells)
    return out
