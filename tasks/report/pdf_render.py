"""The report as a PDF, from its HTML through WeasyPrint, with the CJK fonts embedded.

The page layout (A4, GB/T 9704 margins, faces) is the HTML's print stylesheet, so HTML and PDF
cannot drift apart. Charts go in as data URIs and WeasyPrint may fetch nothing else: the PDF
depends only on the report (equal reports give equal bytes, wherever they are written), and a
value in the report can never make the renderer read a file or the network.
"""

from __future__ import annotations

import base64
import logging
import re
from pathlib import Path

CHART_SRC = re.compile(r'src="charts/([A-Za-z0-9_.-]+\.png)"')


def inline_charts(html: str, folder: Path) -> str:
    def data_uri(m: re.Match[str]) -> str:
        png = (folder / "charts" / m.group(1)).read_bytes()
        return f'src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}"'

    return CHART_SRC.sub(data_uri, html)


def _not_browser_only(record: logging.LogRecord) -> bool:
    """WeasyPrint's warning for a property only browsers draw (the HTML's ``text-wrap: balance``; the PDF keeps
    titles whole its own way) is expected on every report, so it is not logged."""
    return "text-wrap" not in record.getMessage()


def to_pdf(html: str, folder: Path) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    css_log = logging.getLogger("weasyprint")
    if _not_browser_only not in css_log.filters:
        css_log.addFilter(_not_browser_only)

    fetcher = URLFetcher(allowed_protocols=["data"])
    pdf = HTML(string=inline_charts(html, folder), base_url="about:blank", url_fetcher=fetcher).write_pdf()
    assert pdf is not None
    return bytes(pdf)
