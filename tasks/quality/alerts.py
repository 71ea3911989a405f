"""Alerts when data is refused: a notification block or a plain webhook, and a Prefect event.

The alert never replaces the failure it reports: a delivery problem is logged (without the
webhook's address, which is a secret) and the run still ends Failed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import httpx
from pydantic import SecretStr

from tasks import glossary as gl
from tasks.quality.gate import QualityReport
from tasks.quality.rules import INPUT_RULE
from tasks.settings import Settings

EVENT = "selfeval.data-quality.failed"


@dataclass
class Alert:
    department: str
    year: int
    severity: str  # "fatal" or "warning"
    rules: list[dict[str, Any]] = field(default_factory=list)
    run_id: str = ""

    @property
    def rule_ids(self) -> list[str]:
        return [r["rule"] for r in self.rules]

    def text(self) -> str:
        what = gl.ALERT_REFUSED if self.severity == "fatal" else gl.ALERT_WARNINGS
        lines = [f"selfeval：{self.department} {self.year} 年{what}"]
        for r in self.rules:
            lines.append(f"- {r['rule']} {r['label']}：{r['failing_rows']} 行。{r['example']}".rstrip())
        return "\n".join(lines)

    def payload(self) -> dict[str, Any]:
        return {"event": EVENT, "text": self.text(), **asdict(self), "rule_ids": self.rule_ids}


def alerts_for(report: QualityReport, input_problems: dict[str, list[str]], run_id: str,
               include_warnings: bool) -> list[Alert]:
    """One alert per refused department-year (and per warned one, if asked)."""
    out = []
    for code, problems in input_problems.items():
        rules = [{"rule": INPUT_RULE, "label": gl.INPUT_PROBLEM, "failing_rows": 1, "example": p} for p in problems]
        out.append(Alert(code, report.year, "fatal", rules, run_id))
    for code in report.departments:
        for severity, results in (("fatal", report.fatal(code)), ("warning", report.warnings(code))):
            if not results or (severity == "warning" and (not include_warnings or report.blocked(code))):
                continue
            rules = [{"rule": r.rule.rule_id, "label": r.rule.label, "failing_rows": r.failing_count,
                      "example": r.example()} for r in results]
            out.append(Alert(code, report.year, severity, rules, run_id))
    return out


class Notice(Protocol):
    """What :func:`deliver` sends: a data-quality :class:`Alert`, or a monitoring alert."""

    department: str
    year: int

    def text(self) -> str: ...

    def payload(self) -> dict[str, Any]: ...


def channels(settings: Settings, kind: str = "data-quality") -> tuple[str | None, SecretStr | None]:
    """The notification block and webhook of ``kind``: "data-quality", or "lag" (its own channels when
    set, else the data-quality ones)."""
    if kind == "lag":
        return settings.lag_alert_block or settings.alert_block, settings.lag_alert_webhook or settings.alert_webhook
    return settings.alert_block, settings.alert_webhook


def deliver(alert: Notice, settings: Settings, kind: str = "data-quality") -> list[str]:
    """Send ``alert`` to every channel of ``kind`` (:func:`channels`); returns what could not be delivered."""
    problems = []
    block_name, webhook = channels(settings, kind)
    if block_name:
        try:
            from prefect.blocks.core import Block

            block: Any = Block.load(block_name)
            block.notify(body=alert.text(), subject=f"selfeval {alert.department} {alert.year}")
        except Exception as exc:  # any failure to notify is reported, never raised
            problems.append(f"通知块 {block_name!r} 发送失败（notification block failed: {type(exc).__name__}）")
    if webhook:
        url = webhook.get_secret_value()
        try:
            response = httpx.post(url, json=alert.payload(), timeout=10.0)
            if response.status_code >= 300:
                problems.append(f"告警 webhook 返回 HTTP {response.status_code}（alert webhook answered HTTP "
                                f"{response.status_code}）")
        except httpx.HTTPError as exc:
            problems.append(f"告警 webhook 无法连接（alert webhook unreachable: {type(exc).__name__}）")  # URL: secret
    return problems


def emit(alert: Alert) -> None:
    """The Prefect event automations route on; a no-op without a Prefect server."""
    if alert.severity != "fatal":
        return
    from prefect.events import emit_event

    emit_event(
        event=EVENT,
        resource={"prefect.resource.id": f"selfeval.department-year.{alert.department}.{alert.year}",
                  "selfeval.department": alert.department, "selfeval.year": str(alert.year)},
        payload={"department": alert.department, "year": alert.year, "rules": alert.rule_ids,
                 "run_id": alert.run_id, "text": alert.text()},
    )
