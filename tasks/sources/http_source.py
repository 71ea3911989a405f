"""Statistics and registry over HTTP JSON APIs, with paging, timeouts and retries.

The protocol (docs/data-contract.md, "HTTP APIs"):
``GET <base>/<endpoint>?page=N&page_size=M`` with ``Authorization: Bearer <token>`` answers
``{"data": [record, ...], "page": N, "next_page": N+1 | null}``; records use the contract's
column names. Server errors (5xx), timeouts and dropped connections are retried with
exponential backoff; anything else fails at once with a message naming the URL (never the token).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pandas as pd

from tasks.addresses import shown
from tasks.glossary import both
from tasks.sources.contract import Dataset, SourceName
from tasks.sources.errors import DatasetAbsent, Problem, SourceError
from tasks.sources.raw import RawTable

log = logging.getLogger("selfeval.sources.http")

ENDPOINTS = {
    "indicators": "indicators",
    "enterprises": "enterprises",
    "applications": "applications",
    "investment_projects": "investment-projects",
}


@dataclass(frozen=True)
class HttpOptions:
    timeout: float = 30.0
    attempts: int = 3
    backoff: float = 0.5  # seconds before the second attempt; doubles each time
    page_size: int = 1000
    max_pages: int = 10_000


class HttpSource:
    """One office's API. The token is held privately and sent only in the Authorization header."""

    concurrent_reads = False  # one client, read one request at a time

    def __init__(self, name: SourceName, base_url: str, token: str | None = None,
                 options: HttpOptions | None = None, transport: httpx.BaseTransport | None = None):
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.options = options or HttpOptions()
        headers = {"Accept": "application/json", "User-Agent": "selfeval"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.Client(headers=headers, timeout=self.options.timeout, transport=transport,
                                    follow_redirects=True)

    def describe(self) -> str:
        return shown(self.base_url)

    def close(self) -> None:
        self._client.close()

    def fingerprint(self, dataset: Dataset, *, year: int | None = None, department: str | None = None) -> str | None:
        return None  # only reading the data tells whether it changed

    def read(self, dataset: Dataset, *, year: int | None = None, department: str | None = None) -> RawTable:
        endpoint = ENDPOINTS.get(dataset.name)
        url = f"{self.base_url}/{endpoint}"
        if endpoint is None:
            raise DatasetAbsent(Problem(self.name, shown(self.base_url),
                                        both(f"该接口不提供{dataset.label}", f"this API does not offer {dataset.name}"),
                                        expected=both("此数据集的文件夹或数据库",
                                                      "a folder or a database for this dataset"),
                                        department=department))
        records: list[dict[str, Any]] = []
        digest = hashlib.sha256()
        page: int | None = 1
        seen: set[int] = set()
        while page is not None:
            if page in seen:
                raise self._fail(url, both(f"分页重复了第 {page} 页", f"paging repeats page {page}"),
                                 both("next_page 逐页前进，最后为 null", "next_page to advance and end with null"))
            if len(seen) >= self.options.max_pages:
                raise self._fail(url, both(f"分页超过 {self.options.max_pages} 页仍未结束",
                                           f"paging did not end after {self.options.max_pages} pages"),
                                 both("最后一页的 next_page 为 null", "next_page null on the last page"))
            seen.add(page)
            body = self._get(url, {"page": page, "page_size": self.options.page_size})
            digest.update(body)
            payload = self._json(url, page, body)
            data = payload.get("data")
            if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
                raise self._fail(url, both(f"第 {page} 页的 data 下没有记录列表", f"page {page} has no list of records "
                                                                               'under "data"'),
                                 '`{"data": [{...}, ...], "next_page": ...}`')
            records.extend(data)
            nxt = payload.get("next_page")
            if nxt is not None and not isinstance(nxt, int):
                raise self._fail(url, both(f"第 {page} 页的 next_page 是「{nxt}」", f"page {page} gives next_page"
                                                                              f" {nxt!r}"),
                                 both("页码或 null", "a page number or null"))
            page = nxt
        columns = list(dict.fromkeys(k for r in records for k in r)) if records else [c.name for c in dataset.columns]
        frame = pd.DataFrame([[_text(r.get(c)) for c in columns] for r in records], columns=columns, dtype="str")
        if frame.empty:
            raise self._fail(url, both("接口没有返回记录", "the API returned no records"),
                             both("至少一条记录", "at least one record"))
        # Row numbers of an API are record numbers, counted from 1 across pages.
        return RawTable(dataset=dataset, source=self.name, uri=shown(url), sha256=digest.hexdigest(), frame=frame,
                        first_row=1)

    def _fail(self, url: str, message: str, expected: str) -> SourceError:
        """A refusal of ``url``; ``message`` and ``expected`` in both languages (:func:`tasks.glossary.both`)."""
        return SourceError(Problem(self.name, shown(url), message, expected=expected))

    def _get(self, url: str, params: dict[str, Any]) -> bytes:
        """The body of a successful GET, retrying server errors, timeouts and dropped connections."""
        last = ""
        for attempt in range(1, self.options.attempts + 1):
            try:
                response = self._client.get(url, params=params)
            except httpx.TimeoutException:
                last = both(f"{self.options.timeout:g} 秒内无应答", f"did not answer within {self.options.timeout:g} s")
            except httpx.TransportError as exc:  # refused, reset, dropped mid-answer
                last = both("连接失败", f"connection failed ({type(exc).__name__})")
            else:
                if response.status_code < 400:
                    return response.content
                if response.status_code == 404:
                    raise DatasetAbsent(Problem(self.name, url, both("返回 HTTP 404：没有此数据集",
                                                                     "answered HTTP 404: no such dataset here"),
                                                expected="HTTP 200"))
                if response.status_code < 500 and response.status_code != 429:
                    hint = both("，请检查接口令牌", "check the API token") if response.status_code in (401, 403) else ""
                    raise self._fail(url, f"返回 HTTP {response.status_code}{hint}", "HTTP 200")
                last = f"返回 HTTP {response.status_code}"
            if attempt < self.options.attempts:
                delay = self.options.backoff * 2 ** (attempt - 1)
                log.warning("%s %s（第 %s 页）：%s；%.1f 秒后重试（retrying）",
                            self.name, shown(url), params.get("page"), last, delay)
                time.sleep(delay)
        raise self._fail(url, f"{last}，共 {self.options.attempts} 次（第 {params.get('page')} 页）",
                         both("在超时之前应答，且无服务器错误", "an answer within the timeout, without server errors"))

    def _json(self, url: str, page: int, body: bytes) -> dict[str, Any]:
        try:
            payload = json.loads(body, parse_float=str)  # keep decimals exactly as sent
        except json.JSONDecodeError as exc:
            raise self._fail(url, both(f"第 {page} 页不是有效的 JSON（第 {exc.pos} 个字符）",
                                       f"page {page} is not valid JSON ({exc.msg} at character {exc.pos})"),
                             both("JSON 对象", "a JSON object")) from exc
        except UnicodeDecodeError as exc:
            raise self._fail(url, both(f"第 {page} 页不是 UTF-8 文本", f"page {page} is not UTF-8 text"),
                             both("UTF-8 编码的 JSON", "JSON in UTF-8")) from exc
        if not isinstance(payload, dict):
            raise self._fail(url, both(f"第 {page} 页是 JSON，但不是对象", f"page {page} is JSON but not an object"),
                             '`{"data": [...], "next_page": ...}`')
        return payload


def _text(value: Any) -> str:
    """A JSON value as the text a CSV would hold: numbers exactly as sent, null as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
