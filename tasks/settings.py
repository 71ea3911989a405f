"""One settings object, from the environment (``SELFEVAL_*``, ``.env``) and run parameters.

Engines, sources and clients are built from it by factories when a run starts, never at
import time, so that a test or a deployment can point everything elsewhere by changing
settings alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"
TEMPLATES_DIR = PROJECT_ROOT / "templates"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
MEMORY_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT])(i?)B", re.IGNORECASE)  # number, power, binary or not
_UNITS = "KMGT"
MEMORY_FLOOR = "64MB"  # the least a memory limit may be: the 5M-line city runs under it (bench/results.md)


def memory_bytes(size: str) -> int:
    """A DuckDB memory size (``MEMORY_SIZE``: "128MB", "1.5 GiB") in bytes, read as DuckDB reads it: KB, MB, GB
    and TB by powers of 1,000, KiB … TiB by powers of 1,024. Raises ValueError for anything else ("50%")."""
    found = MEMORY_SIZE.fullmatch(size.strip())
    if not found:
        raise ValueError(f"memory size {size!r}: expected a size such as 256MB or 2GiB")
    number, power, binary = found.groups()
    return int(float(number) * (1024 if binary else 1000) ** (_UNITS.index(power.upper()) + 1))


def invalid_settings(exc: ValidationError | SettingsError) -> str:
    """One Chinese-first line for the settings ``exc`` refused, each named as it is set
    (``SELFEVAL_RENDER_WORKERS='abc'：应为整数（Input should be a valid integer…）``); the value is not shown for a
    setting that may hold a secret (an address, a password, a token, a webhook). A JSON setting that does not
    parse (``SELFEVAL_CLOSED_YEARS=2022,2023``) is pydantic-settings' :class:`SettingsError`."""
    from tasks import glossary as gl

    if isinstance(exc, SettingsError):
        found = re.search(r'field "(\w+)"', str(exc))
        field = found.group(1) if found else ""
        kind = "dict_type" if field in ("sheets",) else "list_type"
        name = f"SELFEVAL_{field.upper()}" if field else "SELFEVAL_*"
        return f"{gl.INVALID_SETTING}：{name}：{gl.both(gl.value_problem(kind), str(exc))}"
    said = []
    for error in exc.errors():
        name = f"SELFEVAL_{str(error['loc'][0]).upper()}" if error["loc"] else "SELFEVAL_*"
        secret = any(word in name for word in ("URL", "PASSWORD", "TOKEN", "WEBHOOK", "SECRET", "BLOCK"))
        value = "" if secret or error["type"] == "missing" else f"={error.get('input')!r}"
        if error["type"] == "value_error":  # our own validators say it, Chinese first
            said.append(f"{name}{value}：{error.get('ctx', {}).get('error', error['msg'])}")
        else:
            said.append(f"{name}{value}：{gl.both(gl.value_problem(error['type'], error.get('ctx')), error['msg'])}")
    return f"{gl.INVALID_SETTING}：" + "；".join(said)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SELFEVAL_", env_file=".env", extra="ignore")

    # The settings that change a run's results, and nothing else: a department-year's fingerprint
    # covers them (a change redoes every department), and the gate's parameters come from them.
    RESULT_SETTINGS: ClassVar[tuple[str, ...]] = (
        "ledger_tolerance_wan", "yoy_warning_bound", "jump_warning_factor", "sheets", "report_config",
        "metrics_registry", "scoring_profile", "project_profile", "closed_years", "review")

    source: str = Field(str(SAMPLE_DIR), description="Folder holding finance/, statistics/, registry/, narrative/")
    finance_source: str | None = Field(None, description="Finance: a folder, an http(s) URL or a database URL")
    statistics_source: str | None = Field(None, description="Statistics: a folder or an http(s) URL")
    registry_source: str | None = Field(None, description="Enterprise registry: a folder or an http(s) URL")
    sheets: dict[str, str] = Field(
        default_factory=dict, description='Workbook sheet per dataset, as JSON: {"budget_lines": "预算执行"}')
    narrative_dir: str | None = Field(None, description="Folder of narrative/<year>/<department>.yaml (or .docx)")
    warehouse_url: str = Field("duckdb:///var/warehouse.duckdb", description="SQLAlchemy URL of the warehouse")
    warehouse_password: SecretStr | None = Field(None, description="Password added to warehouse_url")
    warehouse_password_block: str | None = Field(
        None, description="Name of a Prefect Secret block holding the warehouse password")
    output_dir: Path = Field(Path("out"), description="Reports go to <output_dir>/<year>/<department>/")
    reports_base_url: str | None = Field(
        None, description="Address the output folder is served at (http://127.0.0.1:4201/, set by make serve): "
                          "the links of artifacts and review forms use it; empty: links are the files' paths")
    reports_host: str = Field("127.0.0.1", description="Interface make serve serves the output folder on "
                                                       "(loopback by default; put a proxy with sign-in in front)")
    reports_port: int = Field(4201, ge=1, le=65535, description="Port make serve serves the output folder on")
    report_config: Path = Field(PROJECT_ROOT / "templates" / "report.yaml",
                                description="Rendering options: rounding, thresholds, appendices")
    metrics_registry: Path = Field(TEMPLATES_DIR / "metrics.yaml",
                                   description="The metric registry: every figure reports and 绩效目标 may name")
    scoring_profile: Path = Field(TEMPLATES_DIR / "scoring" / "default.yaml",
                                  description="How the 自评表 is scored and graded (templates/scoring/*.yaml)")
    project_profile: Path = Field(TEMPLATES_DIR / "scoring" / "project.yaml",
                                  description="How each 项目支出绩效自评表 is scored, graded and checked")
    ledger_tolerance_wan: Decimal = Field(Decimal("0.01"), ge=0,
                                          description="Ledger against reported execution, in 万元")
    yoy_warning_bound: float = Field(1.0, description="Year-over-year change beyond which to warn (1.0 = 100%)")
    jump_warning_factor: float = Field(
        100.0, description="Warn when a department-year figure is this many times the year before's, or its budget")
    closed_years: list[int] = Field(
        default_factory=list,
        description="Years whose 决算 is due (JSON list, [2022]): a department-year of one without its 决算总表 is "
                    "refused. Any other year is open until its 决算总表 comes: its ledger so far loads, year-end "
                    "rules wait, and its report is a 草稿")
    monitoring_as_of: dt.date | None = Field(
        None, description="Date in-year 支付进度 is measured at (2023-06-30), for runs of its year; empty: the end of "
                          "the latest month most departments' ledgers reach, never after today")
    lag_warning_points: Decimal = Field(
        Decimal(10), ge=0, description="Percentage points 支付进度 may trail 序时进度 before MON-001 warns")
    monitoring_lights: Path = Field(TEMPLATES_DIR / "lights" / "schedule.yaml",
                                    description="How the 双监控 lights each item: templates/lights/schedule.yaml "
                                                "(序时进度) or calendar.yaml (时间节点)")
    monitoring_rules: Path = Field(TEMPLATES_DIR / "monitoring.yaml",
                                   description="The in-year monitoring rules (templates/monitoring.yaml)")
    lag_alerts: bool = Field(False, description="Alert when a department's 支付进度 lags (MON-001): off by default, "
                                                "and separate from data-quality alerts")
    light_alerts: bool = Field(False, description="Alert a department's red lights of the 双监控 (LGT-001…006), once "
                                                  "per data date, on the lag alerts' channels: off by default")
    lag_alert_webhook: SecretStr | None = Field(
        None, description="Webhook URL for lag alerts (default: the data-quality alert's channels)")
    lag_alert_block: str | None = Field(
        None, description="Prefect notification block for lag alerts, as 'block-type/name' (default: alert_block)")
    review: bool = Field(False, description="Review and sign-off: each report is a 草稿 until a reviewer approves it "
                                            "in the Prefect UI (the run pauses for the decision); deploy/README.md")
    review_timeout_hours: float = Field(
        24.0, gt=0, description="Hours a run waits for each review decision; then the 草稿 stays, and the next run "
                                "asks again")
    review_poll_seconds: int = Field(10, ge=1, description="Seconds between a paused run's checks for a decision")
    run_memory_limit: str = Field(
        "128MB", description="Memory of the run database before it spills to scratch_dir (a size: 128MB, 2GB); "
                             "no finance rows are read back whole, so a smaller limit spills more rather than fail for "
                             "a large department (64MB runs the 5M-line city; bench/results.md); promotion into a "
                             "DuckDB warehouse works within it too")
    warehouse_memory_limit: str | None = Field(
        "256MB", description="Memory a DuckDB warehouse may use in a run's process (empty: DuckDB's 80 % of RAM)")
    scratch_dir: Path | None = Field(None, description="Folder the run database spills into (the system's temp folder)")
    prefect_start_seconds: float = Field(
        300.0, gt=0, description="Seconds a run started without PREFECT_API_URL waits for Prefect's temporary server "
                                 "to start (Prefect's own default, 20 s, is too short on a busy 2-core machine); "
                                 "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, when set, wins")
    extract_threads: int = Field(2, ge=1, le=32, description="Departments whose files are read at once (a folder "
                                                             "source; a database or an API is read one at a time); "
                                                             "memory holds that many departments' files and one more; "
                                                             "also the files hashed at once to find what changed")
    extract_read_bytes: str = Field(
        "128MB", description="Bytes of department files read at once (a size: 128MB, 1GB): a CSV takes ~3× its bytes "
                             "until it is typed, so a department whose files are larger is read with none beside it")
    render_workers: int = Field(2, ge=1, description="Render tasks a run's department-years fan out to (a core each)")
    render_processes_from: int = Field(
        12, ge=1, description="Accepted departments from which the render tasks run a core each: one in the run's "
                              "process, the others in processes of their own, when PREFECT_API_URL names a server (a "
                              "process takes ~2 s to start: they start with the run when as many are planned); "
                              "fewer render in threads of the run's process")
    dask_address: str | None = Field(None, description="Dask scheduler (tcp://host:8786) for the department fan-out")
    api_token: SecretStr | None = Field(None, description="Bearer token for the HTTP sources")
    api_token_block: str | None = Field(None, description="Prefect Secret block holding the API token")
    http_timeout: float = Field(30.0, gt=0, description="Seconds an API may take to answer one page")
    http_attempts: int = Field(3, ge=1, description="Tries per page on server errors, timeouts, dropped connections")
    http_backoff: float = Field(0.5, ge=0, description="Seconds before the second try; doubles each time")
    http_page_size: int = Field(1000, ge=1, description="Records asked for per page")
    http_max_pages: int = Field(10_000, ge=1, description="Pages after which paging is taken not to end")
    statistics_api_token: SecretStr | None = Field(None, description="Token of the statistics API, if its own")
    registry_api_token: SecretStr | None = Field(None, description="Token of the registry API, if its own")
    alert_webhook: SecretStr | None = Field(None, description="Webhook URL for data-quality alerts")
    alert_block: str | None = Field(
        None, description="Prefect notification block for alerts, as 'block-type/name' (e.g. slack-webhook/ops)")
    alert_on_warnings: bool = Field(False, description="Alert on data-quality warnings too, not only on refusals")

    @field_validator("extract_read_bytes")
    @classmethod
    def _bytes(cls, value: str) -> str:
        """A size (128MB, 1GiB), as the memory limits are written; at least 1MB."""
        try:
            size = memory_bytes(value)
        except ValueError:
            raise ValueError("应为大小，如 128MB 或 1GB（expected a size such as 128MB or 1GB）") from None
        if size < memory_bytes("1MB"):
            raise ValueError("至少 1MB（at least 1MB）")
        return value.strip()

    @field_validator("run_memory_limit", "warehouse_memory_limit")
    @classmethod
    def _a_size(cls, value: str | None, info: Any) -> str | None:
        """A DuckDB memory size (512MB, 2GiB); the warehouse's may be empty (DuckDB's default, 80 % of RAM)."""
        if value is None or (value.strip() == "" and info.field_name == "warehouse_memory_limit"):
            return None
        try:
            size = memory_bytes(value)
        except ValueError:
            raise ValueError("应为大小，如 256MB 或 2GB（expected a size such as 256MB or 2GB）") from None
        if size < memory_bytes(MEMORY_FLOOR):
            raise ValueError(f"至少 {MEMORY_FLOOR}（at least {MEMORY_FLOOR}: DuckDB runs out of memory below it）")
        return value.strip()

    @field_validator("reports_base_url")
    @classmethod
    def _an_address(cls, value: str | None) -> str | None:
        """An http(s) address, or empty for none."""
        if value is None or not value.strip():
            return None
        if not re.match(r"https?://[^/\s]+", value.strip()):
            raise ValueError("应为 http:// 或 https:// 地址（expected an http:// or https:// address）")
        return value.strip()

    def location(self, source: str) -> str:
        """Where ``source`` ("finance", "statistics", "registry") is read from."""
        own = getattr(self, f"{source}_source")
        return own if own else str(Path(self.source) / source)

    def narrative_root(self) -> Path:
        return Path(self.narrative_dir) if self.narrative_dir else Path(self.source) / "narrative"

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with run parameters applied; ``None`` or ``""`` means "keep the configured value"."""
        values = {k: v for k, v in overrides.items() if v is not None and v != ""}
        return type(self)(**{**self.model_dump(), **values}) if values else self

    def result_settings(self) -> dict[str, object]:
        """The values of :attr:`RESULT_SETTINGS`, as the fingerprint hashes them (a file setting by its
        content's SHA-256, None when the file is absent)."""
        out: dict[str, object] = {}
        for name in self.RESULT_SETTINGS:
            value = getattr(self, name)
            if isinstance(value, Path):
                value = hashlib.sha256(value.read_bytes()).hexdigest() if value.is_file() else None
            out[name] = str(value) if isinstance(value, Decimal) else value
        return out

    def link(self, path: str | Path) -> str:
        """Where an operator's browser opens ``path``, a file under ``output_dir``: its address under
        :attr:`reports_base_url` (``http://127.0.0.1:4201/2022/440103-KGXJ/report.html``), else its absolute
        path. A path outside ``output_dir`` is given as its absolute path."""
        from urllib.parse import quote

        if not self.reports_base_url:
            return str(Path(path).resolve())
        try:
            relative = Path(path).resolve().relative_to(Path(self.output_dir).resolve())
        except ValueError:
            return str(Path(path).resolve())
        return self.reports_base_url.rstrip("/") + "/" + quote(relative.as_posix())

    def ledger_tolerance_fen(self) -> int:
        return int(self.ledger_tolerance_wan * 1_000_000)
