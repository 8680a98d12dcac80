"""What every request passes through: a body size limit, safe headers on API answers, and a
bad query value answered with a 400 rather than a validation error or a crash."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Forms and API bodies are small: a declaration names at most 1,000 incident ids.
MAX_BODY = 256 * 1024
API_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class TooLarge(Exception):
    """A request body past MAX_BODY."""


class BodyLimit:
    """Refuses a body past MAX_BODY with 413, by its Content-Length or as it streams in."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > MAX_BODY:
            await too_large(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > MAX_BODY:
                raise TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except TooLarge:
            await too_large(scope, receive, send)


async def too_large(scope: Scope, receive: Receive, send: Send) -> None:
    answer = JSONResponse(
        {"detail": f"the request body is larger than {MAX_BODY} bytes"},
        status_code=413,
        headers=API_HEADERS,
    )
    await answer(scope, receive, send)


class ApiHeaders:
    """no-store and nosniff on every API answer, errors included. Plain ASGI: a
    BaseHTTPMiddleware would hide a closed connection from the live stream."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path.startswith("/api/") or path == "/openapi.json"):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(raw=message["headers"]).update(API_HEADERS)
            await send(message)

        await self.app(scope, receive, with_headers)


def guard(app: FastAPI) -> None:
    app.add_middleware(BodyLimit)
    app.add_middleware(ApiHeaders)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        """A bad query or path value is the caller's error (400); a bad body stays a 422."""
        in_body = any(e.get("loc", ("",))[0] == "body" for e in error.errors())
        return JSONResponse(
            {"detail": jsonable_encoder(error.errors())},
            status_code=422 if in_body else 400,
            headers=API_HEADERS,
        )
