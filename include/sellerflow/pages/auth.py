"""Airflow's own login for the pages: the auth manager's JWT, from the UI's `_token` cookie or a bearer token.

No second password: the token is the one Airflow's UI keeps in its `_token` cookie after its login form, or the
one `POST /auth/token` hands out, validated by the configured auth manager (`get_user_from_token`), and the user
must be allowed the custom view `sellerflow_pages` (the simple auth manager allows every role, viewer included:
a read-only role is enough). A request without a valid token is refused: 401, or for a browser asking for a page,
a redirect to Airflow's login that comes back to the page.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response
from jwt import InvalidTokenError

RESOURCE = "sellerflow_pages"
COOKIE = "_token"  # airflow.api_fastapi.auth.managers.base_auth_manager.COOKIE_NAME_JWT_TOKEN


class LoginRequired(Exception):
    """No valid Airflow token on the request."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.cookies.get(COOKIE)


async def current_user(request: Request) -> Any:
    """FastAPI dependency: the Airflow user behind the request's token (raises LoginRequired / 403)."""
    from airflow.api_fastapi.app import get_auth_manager

    token = _token(request)
    if not token:
        raise LoginRequired(
            "Not authenticated: log in to Airflow, or send a bearer token from POST /auth/token"
        )
    manager = get_auth_manager()
    try:
        user = await manager.get_user_from_token(token)
    except InvalidTokenError as exc:  # expired, bad signature, revoked
        raise LoginRequired(f"Invalid Airflow token ({type(exc).__name__})") from exc
    method: Literal["GET", "POST"] = "GET" if request.method in ("GET", "HEAD") else "POST"
    if not manager.is_authorized_custom_view(method=method, resource_name=RESOURCE, user=user):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "This Airflow user may not open sellerflow pages")
    return user


def login_refused(request: Request, exc: LoginRequired) -> Response:
    """Exception handler: a browser asking for a page goes to Airflow's login; anything else gets 401."""
    from fastapi.responses import JSONResponse

    wants_page = request.method == "GET" and "text/html" in request.headers.get("accept", "")
    if wants_page:
        try:
            from airflow.api_fastapi.app import get_auth_manager

            return RedirectResponse(
                get_auth_manager().get_url_login(next_url=str(request.url)), status_code=303
            )
        except RuntimeError:  # no auth manager in this process
            pass
    return JSONResponse({"detail": exc.detail}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
