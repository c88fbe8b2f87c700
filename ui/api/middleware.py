"""ASGI layers around the whole service: request ids, log lines and metrics (``RequestLog``), CORS for the
widget's routes, security headers on every response, and the body-size limits (Starlette's
``RequestBodyLimitMiddleware`` enforces them while reading, so a 413 never depends on a client telling the truth in
Content-Length; each route sets its own with ``max_body_size``)."""

from __future__ import annotations

import time

from starlette.middleware import body_limit
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..observe import REQUEST_ID, record, request_id
from ..uploads import MAX_UPLOAD_BYTES

_RID = REQUEST_ID.encode()
# Starlette's body limit answers 413 itself when Content-Length is over a route's limit, then raises this to unwind
# the route: the request is answered, and it is the client's error, not a failure of ours. (Private in Starlette;
# if it goes away, such a request is logged as an error again, which a test would show.)
_ANSWERED_BY_LIMIT: tuple[type[BaseException], ...] = tuple(
    getattr(body_limit, name) for name in ("_RequestBodyLimitResponseSent",) if hasattr(body_limit, name))

# Routes that take photos: two photos at most plus a little framing (or their base64, a third larger).
PHOTO_BODY = 3 * MAX_UPLOAD_BYTES
# A catalog batch carries many photos, each checked on its own later.
CATALOG_BODY = 8 * MAX_UPLOAD_BYTES
# The default for everything else, Gradio's uploads included (the stylist may send several garment photos at once).
APP_BODY = 5 * MAX_UPLOAD_BYTES
# A request's words, item ids, interactions: a little JSON.
SMALL_BODY = 1024 * 1024

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    # No page of this service may be framed by another site: the key-management tab must not be clickjacked.
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"referrer-policy", b"same-origin"),
]


class WidgetCors:
    """CORS for the REST API, so ``<atelier-tryon>`` works on a shop's own domain.

    A preflight carries no key, so it is answered for any origin; the request itself is then refused (403) unless
    its key lists the page's origin (``dependencies.authorise``). No credentials: the key travels in a header,
    never in a cookie. Nothing outside ``/api/v1`` is shared with other origins."""

    def __init__(self, app: ASGIApp):
        self.app = app
        # The widget may send its own X-Request-ID and read the one it gets back.
        self.cors = CORSMiddleware(app, allow_origin_regex=".*", allow_credentials=False,
                                   allow_methods=["GET", "POST"],
                                   allow_headers=["X-API-Key", "Content-Type", REQUEST_ID],
                                   expose_headers=[REQUEST_ID], max_age=600)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/v1/"):
            return await self.cors(scope, receive, send)
        return await self.app(scope, receive, send)


class SecurityHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in SECURITY_HEADERS if name not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


class RequestLog:
    """Gives every request an id and every response its ``X-Request-ID``; counts and times it by route template and
    writes its one log line (``observe.record``). An exception no handler turned into a response goes into that
    line as its traceback and is answered 500 with the id: re-raised, uvicorn would log the traceback a second
    time, without the id.

    The checked id replaces the request's own header, so what runs inside (a Gradio listener reading
    ``gr.Request.headers``) logs the same id the client gets back."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        rid = _take_id(scope)
        status, error, start = 0, None, time.perf_counter()

        async def with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() != _RID]
                message = {**message, "headers": [*kept, (_RID, rid.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, with_id)
        except _ANSWERED_BY_LIMIT:
            pass  # the 413 has been sent whole; nothing more goes on this response
        except Exception as err:
            error = err
            if status:  # the response had begun: nothing else can be sent on it
                raise
            await JSONResponse({"detail": "internal server error", "request_id": rid}, 500)(scope, receive, with_id)
        finally:
            # No response at all: the client went away first (nginx's 499, "client closed request").
            record(scope, status or 499, time.perf_counter() - start, rid, error)


def _take_id(scope: Scope) -> str:
    """The request's id (``observe.request_id``), written over whatever X-Request-ID header it came with."""
    offered = [v.decode("latin-1") for k, v in scope["headers"] if k == _RID]
    rid = request_id(offered[0] if len(offered) == 1 else None)
    scope["headers"] = [*((k, v) for k, v in scope["headers"] if k != _RID), (_RID, rid.encode())]
    return rid
