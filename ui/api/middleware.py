"""ASGI layers around the whole service: CORS for the widget's routes, security headers on every response, and
the body-size limits (Starlette's ``RequestBodyLimitMiddleware`` enforces them while reading, so a 413 never
depends on a client telling the truth in Content-Length; each route sets its own with ``max_body_size``)."""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..uploads import MAX_UPLOAD_BYTES

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
        self.cors = CORSMiddleware(app, allow_origin_regex=".*", allow_credentials=False,
                                   allow_methods=["GET", "POST"], allow_headers=["X-API-Key", "Content-Type"],
                                   max_age=600)

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
