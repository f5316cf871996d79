"""How the 1C OData service and its web server say "no".

OData errors (1C:Enterprise 8.3 Developer Guide, §17.4.10 «Ошибочные ситуации»; shared
docs part C6): HTTP 4xx/5xx with ``{"odata.error": {"code": "<n>", "message": {"lang":
"ru", "value": "..."}}}``, where ``code`` is 1C's internal code as a string. Business
failures inside posting handlers come back as HTTP 500 with code ``"-1"`` (observed,
S12/S15). The publication's web server answers some auth misconfigurations with an HTML
page and HTTP 200 (C6), which :func:`html_login_page` renders.
"""

from __future__ import annotations

from fastapi.responses import HTMLResponse, JSONResponse

# Internal codes from §17.4.10 (only those the emulator raises).
NOT_SUPPORTED = "0"
BAD_REQUEST = "2"
REPRESENTATION_NOT_SUPPORTED = "3"
BAD_PROPERTY_VALUE = "4"
BAD_URL = "6"
ENTITY_TYPE_NOT_FOUND = "8"
ENTITY_NOT_FOUND = "9"
PROPERTY_NOT_FOUND = "10"
METHOD_NOT_FOUND = "11"
TABULAR_ROW_CREATE = "13"
QUERY_OPTION_ERROR = "14"
KEY_EXISTS = "15"
METHOD_NOT_ALLOWED = "19"
ACCESS_DENIED = "20"
FUNCTION_ERROR = "21"
INTERNAL = "-1"


class ODataError(Exception):
    """An error the service reports as an ``odata.error`` body."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        """The JSON error response exactly as 1C renders it."""
        return error_response(self.status, self.code, self.message, self.headers)


def error_body(code: str, message: str) -> dict[str, object]:
    """The ``odata.error`` envelope."""
    return {"odata.error": {"code": code, "message": {"lang": "ru", "value": message}}}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """``odata.error`` as a JSON response with 1C's content type."""
    return JSONResponse(
        error_body(code, message),
        status_code=status,
        headers=headers,
        media_type="application/json;charset=utf-8",
    )


def not_found(entity: str) -> ODataError:
    """Code 9, with the message text of the vendor's own example."""
    return ODataError(404, ENTITY_NOT_FOUND, f'Экземпляр сущности "{entity}" не найден по переданному ключу.')


def query_option_error(detail: str) -> ODataError:
    """Code 14: a $filter/$orderby/$select/$top/$skip value the service cannot parse."""
    return ODataError(400, QUERY_OPTION_ERROR, f"Ошибка разбора опций запроса: {detail}")


def posting_failed(presentation: str, reason: str) -> ODataError:
    """HTTP 500 + code -1: the configuration's posting handler refused the document."""
    return ODataError(500, INTERNAL, f'Не удалось провести "{presentation}" по причине:\n{reason}')


LOGIN_PAGE = """<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>1С:Предприятие</title>
</head>
<body>
<form method="post" action="e1cib/login">
<div>Пользователь: <input name="user" type="text"></div>
<div>Пароль: <input name="password" type="password"></div>
<div><input type="submit" value="Войти"></div>
</form>
</body>
</html>
"""


def html_login_page() -> HTMLResponse:
    """The web client's login page served with HTTP 200 instead of OData data."""
    return HTMLResponse(LOGIN_PAGE, status_code=200)


SERVICE_UNAVAILABLE_PAGE = """<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>{status} Service Unavailable</title>
</head><body>
<h1>Service Unavailable</h1>
<p>The server is temporarily unable to service your
request due to maintenance downtime or capacity
problems. Please try again later.</p>
</body></html>
"""


def web_server_error(status: int) -> HTMLResponse:
    """What the web server in front of 1C (Apache) answers when the service is down."""
    return HTMLResponse(SERVICE_UNAVAILABLE_PAGE.format(status=status), status_code=status)
