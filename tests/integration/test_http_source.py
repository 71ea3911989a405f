"""The HTTP source against a real server on loopback: paging, retries, timeouts, the token kept secret."""

from __future__ import annotations

import logging

import pytest

from tasks.sources.contract import ENTERPRISES, INDICATORS, PAYMENTS
from tasks.sources.errors import SourceError
from tasks.sources.http_source import HttpOptions, HttpSource
from tasks.sources.staging import stage
from tests.support.fake_api import FakeApi

FAST = HttpOptions(timeout=1.0, attempts=3, backoff=0.01, page_size=250, max_pages=20)


@pytest.fixture
def api():
    server = FakeApi()
    yield server
    server.close()


def source(api: FakeApi, token: str | None = None, options: HttpOptions = FAST) -> HttpSource:
    return HttpSource("registry", api.url("registry"), token=token or api.token, options=options)


def test_pages_are_joined_and_typed(api):
    raw = source(api).read(ENTERPRISES)
    frame = stage(raw)
    assert len(frame) > 100 and frame["uscc"].is_unique
    assert max(r["page"] for r in api.requests) == -(-len(frame) // 250)
    assert len(raw.sha256) == 64 and raw.uri.endswith("/registry/enterprises")


@pytest.mark.parametrize("faults", [["500", "500"], ["drop"], ["slow", "500"]])
def test_transient_faults_are_retried(api, faults):
    api.fail("enterprises", *faults)
    assert len(source(api).read(ENTERPRISES).frame) > 100


def test_wrong_token_is_refused_at_once_and_never_shown(api, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "s3cret-token-value"
    with pytest.raises(SourceError) as err:
        source(api, token=secret).read(ENTERPRISES)
    assert "返回 HTTP 401，请检查接口令牌（check the API token）" in str(err.value)
    assert len(api.requests) == 1  # not retried
    assert secret not in str(err.value) and secret not in caplog.text


def test_a_repeated_page_is_an_error(api):
    api.always["enterprises"] = "endless"
    with pytest.raises(SourceError, match="paging did not end after 20 pages"):
        source(api).read(ENTERPRISES)


def test_finance_is_not_offered_over_http(api):
    with pytest.raises(SourceError, match="does not offer payments"):
        HttpSource("finance", api.url("finance"), options=FAST).read(PAYMENTS, year=2022, department="x")


def test_decimals_arrive_exactly(api):
    frame = stage(HttpSource("statistics", api.url("statistics"), token=api.token, options=FAST).read(INDICATORS))
    row = frame[(frame["region_code"] == "440103") & (frame["year"] == 2022) & (frame["industry"] == "建筑业")]
    assert row["value"].iloc[0] == 5062.44


def test_an_api_address_in_capitals_is_an_api_with_its_token(api, monkeypatch):
    """``HTTPS://…`` is the same API as ``https://…``: read as one, with the configured token (the token was fetched
    only for a scheme in small letters, so an address in capitals was read without it and refused with 401)."""
    from tasks.resources import opened
    from tasks.settings import Settings
    from tasks.sources.base import is_api

    address = api.url("registry").replace("http://", "HTTP://", 1)
    assert is_api(address) and is_api("https://x/api") and not is_api("/srv/landing") and not is_api(
        "postgresql://db/finance")
    monkeypatch.setenv("SELFEVAL_API_TOKEN", api.token)
    settings = Settings().with_overrides(registry_source=address)
    with opened(settings, "registry") as found:
        assert isinstance(found, HttpSource)
        assert len(found.read(ENTERPRISES).frame) > 100
