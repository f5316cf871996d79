"""The base client over real HTTP against a scripted server: retries, backoff hints, error tree, redaction."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from sellerflow.sources._http import (
    ApiClient,
    AuthError,
    ClientError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TransportError,
)
from sellerflow.sources._http.paging import CursorPaginator, iter_pages
from sellerflow.sources._http.retry import retry_after_s
from sellerflow.sources.account import MarketplaceAccount
from sellerflow_emulators.testing import serve_in_thread

TOKEN = "secret-token-abcdef"


@dataclass
class Script:
    """Answers to serve in order (status, headers, body); the last one repeats. Requests are recorded."""

    answers: deque = field(default_factory=deque)
    seen: list[dict] = field(default_factory=list)


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()
    app = FastAPI()

    @app.post("/call")
    async def call(request: Request) -> Response:
        script.seen.append(dict(request.headers))
        status, headers, body = script.answers.popleft() if len(script.answers) > 1 else script.answers[0]
        if status == 204:
            return Response(status_code=204)
        return JSONResponse(body, status_code=status, headers=headers)

    @app.post("/slow")
    async def slow() -> Response:
        import asyncio

        await asyncio.sleep(2)
        return JSONResponse({})

    with serve_in_thread(app) as url:
        yield url, script


class Client(ApiClient):
    vendor = "testvendor"

    def auth_headers(self) -> dict[str, str]:
        return {"Api-Key": self.account.token}


def client(url: str, **kwargs) -> Client:
    account = MarketplaceAccount("ozon", "acc", "mp_ozon_acc", url, TOKEN, client_id="1")
    options = {"backoff_base_s": 0.01, "backoff_cap_s": 0.02, "max_retries": 3, **kwargs}
    return Client(account, **options)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 408])
def test_transient_answers_are_retried_until_success(server, status: int) -> None:
    url, script = server
    script.answers.extend([(status, {}, {"message": "x"}), (status, {}, {}), (200, {}, {"ok": True})])
    with client(url) as c:
        assert c.request("POST", "/call") == {"ok": True}
        assert c.stats.calls == 3
        assert c.stats.retries == 2


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, ClientError), (401, AuthError), (403, AuthError), (404, NotFoundError), (409, ClientError)],
)
def test_other_4xx_fail_at_once(server, status: int, error: type) -> None:
    url, script = server
    script.answers.append((status, {}, {"message": "no"}))
    with client(url) as c, pytest.raises(error):
        c.request("POST", "/call")
    assert len(script.seen) == 1


def test_retries_give_up_with_the_last_error(server) -> None:
    url, script = server
    script.answers.append((503, {}, {"message": "Circle is open"}))
    with client(url, max_retries=2) as c, pytest.raises(ServerError, match="Circle is open"):
        c.request("POST", "/call")
    assert len(script.seen) == 3


def test_timeouts_are_retried_as_transport_errors(server) -> None:
    url, _ = server
    with (
        client(url, timeout_s=0.2, max_retries=1) as c,
        pytest.raises(TransportError, match="no answer in time"),
    ):
        c.request("POST", "/slow")
    assert c.stats.calls == 2


def test_rate_limit_hint_is_honoured(server) -> None:
    url, script = server
    script.answers.extend([(429, {"X-Ratelimit-Retry": "0.3"}, {}), (200, {}, {"ok": 1})])
    with client(url) as c:
        started = datetime.now(UTC)
        c.request("POST", "/call")
        waited = datetime.now(UTC) - started
    assert waited >= timedelta(seconds=0.3)


def test_credentials_are_sent_but_never_in_error_messages(server) -> None:
    url, script = server
    script.answers.append((400, {}, {"message": f"bad key {TOKEN}"}))
    with client(url) as c, pytest.raises(ClientError) as failure:
        c.request("POST", "/call")
    assert script.seen[0]["api-key"] == TOKEN
    assert TOKEN not in str(failure.value)
    assert "***" in str(failure.value)
    assert TOKEN not in repr(c.account)


def test_204_is_an_error_unless_allowed(server) -> None:
    url, script = server
    script.answers.append((204, {}, None))
    with client(url, max_retries=0) as c:
        assert c.request("POST", "/call", allow_empty=True) is None
        with pytest.raises(ServerError, match="empty answer"):
            c.request("POST", "/call")


def _response(headers: dict[str, str]) -> httpx.Response:
    return httpx.Response(429, headers=headers)


NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-Ratelimit-Retry": "7"}, 7.0),
        ({"Retry-After": "12"}, 12.0),
        ({"Retry-After": format_datetime(NOW + timedelta(seconds=30), usegmt=True)}, 30.0),
        (
            {
                "X-RateLimit-Resource-Until": format_datetime(NOW + timedelta(minutes=2), usegmt=True),
                "Date": format_datetime(NOW, usegmt=True),
            },
            120.0,
        ),
        ({"X-Ratelimit-Retry": "3", "Retry-After": "60"}, 3.0),
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
def test_wait_hints(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_s(_response(headers), now=NOW) == expected


def test_cursor_paging_asks_again_when_a_page_is_served_twice() -> None:
    answers = deque(
        [
            {"items": [1, 2], "cursor": "a", "has_next": True},
            {"items": [1, 2], "cursor": "a", "has_next": True},  # duplicated page, same cursor back
            {"items": [3], "cursor": "", "has_next": False},
        ]
    )
    sent: list[dict] = []

    def fetch(fields: dict) -> dict:
        sent.append(fields)
        return answers.popleft()

    got = [items for items, _ in iter_pages(fetch, CursorPaginator("items", has_next_field="has_next"))]
    assert got == [[1, 2], [1, 2], [3]]
    assert sent == [{"cursor": ""}, {"cursor": "a"}, {"cursor": "a"}]


def test_cursor_paging_stuck_forever_is_an_error() -> None:
    with pytest.raises(ServerError, match="pagination stuck"):
        list(iter_pages(lambda f: {"items": [1], "cursor": "a"}, CursorPaginator("items")))


def test_rate_limit_error_carries_the_hint(server) -> None:
    url, script = server
    script.answers.append((429, {"Retry-After": "0"}, {}))
    with client(url, max_retries=0) as c, pytest.raises(RateLimitError) as failure:
        c.request("POST", "/call")
    assert failure.value.retry_after_s == 0.0
    assert failure.value.status == 429
