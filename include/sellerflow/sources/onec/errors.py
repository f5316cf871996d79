"""How a 1C OData call fails, as exceptions a task log makes readable.

1C answers errors with HTTP 4xx/5xx and ``{"odata.error": {"code": "<n>", "message": {"lang": "ru",
"value": "…"}}}`` where ``code`` is 1C's internal code (1C:Enterprise 8.3.27 Developer Guide §17.4.10;
shared docs part C6): 9 entity not found, 8 entity type not published, 14 query option parse error,
20 access rights, 21 bad function arguments, and ``-1`` for internal/business failures with HTTP 500 (observed,
S12/S15). The web server in front of 1C answers some failures with its own HTML page (502/503/504), and a
misconfigured publication can answer a login page with HTTP 200 (C6).

Transient failures (:class:`OneCTransientError`) are retried by the client; everything else is raised at once.
Business errors (code ``-1``) are never retried: repeating the call repeats the refusal.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

_BODY_PREVIEW = 300


class OneCError(RuntimeError):
    """A 1C OData call failed; the message says which base, what was asked and what 1C answered."""

    def __init__(
        self,
        message: str,
        *,
        base_id: str = "",
        status: int | None = None,
        code: str | None = None,
        detail: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.base_id = base_id
        self.status = status
        self.code = code
        self.detail = detail
        self.retry_after_s = retry_after_s


class OneCTransientError(OneCError):
    """Worth retrying: a timeout, a dropped connection, the web server's 5xx page, the session pool full."""


class OneCAuthError(OneCError):
    """HTTP 401/403 or code 20: the infobase user is wrong or lacks rights to an object."""


class OneCLoginPageError(OneCError):
    """HTTP 200 with an HTML page instead of JSON: the publication or authentication is misconfigured."""


class OneCNotPublishedError(OneCError):
    """Code 8: the object is not in the base's OData composition (or the configuration has no such object)."""


class OneCNotFoundError(OneCError):
    """Code 9: no entity with the given key."""


class OneCQueryError(OneCError):
    """Codes 0–21 other than the above: the request itself is wrong (a client bug or a configuration mismatch)."""


class OneCBusinessError(OneCError):
    """Code -1 with HTTP 500: 1C's own code refused the call; retrying repeats the refusal."""


def odata_error(body: bytes) -> tuple[str | None, str | None]:
    """``(code, message)`` of an ``odata.error`` body, or ``(None, None)`` when the body is not one."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return None, None
    error = data.get("odata.error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return None, None
    message = error.get("message")
    text = message.get("value") if isinstance(message, dict) else message
    code = error.get("code")
    return (None if code is None else str(code)), (None if text is None else str(text))


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a numeric ``Retry-After`` header (the emulator and Apache send seconds)."""
    raw = response.headers.get("retry-after", "").strip()
    try:
        return max(0.0, float(raw)) if raw else None
    except ValueError:
        return None


def is_html(response: httpx.Response) -> bool:
    """Whether the answer is an HTML page (by content type, or by the body when the type is missing)."""
    kind = response.headers.get("content-type", "").lower()
    if "html" in kind:
        return True
    return not kind and response.content.lstrip()[:1] == b"<"


def error_from_response(base_id: str, what: str, response: httpx.Response) -> OneCError:
    """The exception for a failed answer: ``what`` names the call (``GET Document_ЗаказКлиента``)."""
    status = response.status_code
    code, message = odata_error(response.content)
    wait = retry_after(response)
    where = f"1C base {base_id}: {what} answered HTTP {status}"
    kwargs: dict[str, Any] = {
        "base_id": base_id,
        "status": status,
        "code": code,
        "detail": message,
        "retry_after_s": wait,
    }
    if code is None:
        preview = response.text[:_BODY_PREVIEW].strip() if not is_html(response) else "an HTML page"
        text = f"{where} with {preview or 'an empty body'}"
        if status in (401, 403):
            return OneCAuthError(f"{text}; check the login/password of connection onec_{base_id}", **kwargs)
        if status >= 500 or status == 408 or status == 429:
            return OneCTransientError(text, **kwargs)
        return OneCQueryError(text, **kwargs)
    text = f"{where}, 1C error code {code}: {message}"
    if status == 503 or (status == 500 and wait is not None):
        # The publication's session pool is exhausted (poolSize in default.vrd): come back later.
        return OneCTransientError(text, **kwargs)
    if code == "20" or status in (401, 403):
        return OneCAuthError(
            f"{text} — check the login/password of connection onec_{base_id} and the user's rights", **kwargs
        )
    if code == "-1":
        return OneCBusinessError(text, **kwargs)
    if code == "8":
        return OneCNotPublishedError(
            f"{text} — add the object to the base's OData composition "
            "(УстановитьСоставСтандартногоИнтерфейсаOData)",
            **kwargs,
        )
    if code == "9":
        return OneCNotFoundError(text, **kwargs)
    if status >= 500 and code not in ("0", "21"):
        return OneCTransientError(text, **kwargs)
    return OneCQueryError(text, **kwargs)


def login_page_error(base_id: str, what: str) -> OneCLoginPageError:
    """The error for an HTML page served with HTTP 200."""
    return OneCLoginPageError(
        f"1C base {base_id}: {what} answered HTTP 200 with an HTML page (a login page?) instead of JSON — "
        "check the OData publication URL (…/odata/standard.odata), that standardOdata is enabled in "
        "default.vrd and the infobase user of the connection",
        base_id=base_id,
        status=200,
    )
