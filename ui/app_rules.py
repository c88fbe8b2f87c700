"""The rules the public Gradio app applies on top of ``Engines``, matching the REST API's for a widget key: a rate
limit per client, uploads stripped of metadata on arrival, and messages without server paths.

The app has no API key of its own, so anything a widget key may not do (keep photos, read a stored customer's
history) is either absent from it or asks for an admin key in the page.
"""

from __future__ import annotations

import functools
import io
import logging
import math
import threading
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

import gradio as gr
from gradio.utils import get_upload_folder
from PIL import Image

from .engines import Engines
from .keys import ApiKey
from .observe import REQUEST_ID, request_id
from .uploads import decode_upload, public_message
from .vault import write_private

# Events waiting in Gradio's queue at once; past that a visitor is told the queue is full instead of waiting
# behind a flood. About a minute of try-ons on two cores.
QUEUE_SIZE = 32
_KEEP_FORMATS = {"JPEG": {"quality": 95}, "PNG": {}, "WEBP": {"quality": 95}}
_STRIPPED: dict[str, int] = {}  # cached upload -> its modification time when it was stripped
_STRIP_LOCK = threading.Lock()
P = ParamSpec("P")
R = TypeVar("R")
log = logging.getLogger("atelier.app")


# Gallery captions wrap instead of ending in "…": the cut-off part was the look's name or the reason for a
# recommendation. (Gradio draws a caption as one absolutely placed line over the tile's foot.)
# And a gallery shows all its rows: with height="auto" Gradio caps it at 55% of the window and scrolls inside, which
# reads as a clipped last row.
WHOLE = "whole-gallery"
APP_CSS = f"""
.caption-label {{ white-space: normal !important; max-width: calc(100% - 8px) !important; line-height: 1.25; }}
.{WHOLE} .fixed-height {{ max-height: none !important; }}
"""


def logged(listener: Callable[P, R]) -> Callable[P, R]:
    """Every listener's errors, as the operator sees them. A refusal (``gr.Error``: a bad photo, a bad request) is
    one WARNING line with the request id: Gradio's queue prints the traceback of every ``gr.Error`` unless its
    ``print_exception`` is off, which is what filled the log with ordinary user errors. Anything else is a server
    error: logged once with its traceback, and shown to the visitor as the request id to quote, never as the
    exception's own text (with ``show_error`` on, Gradio would show that, server paths and all)."""

    @functools.wraps(listener)  # Gradio reads the signature through __wrapped__ to hand in gr.Request, gr.Progress
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        rid = _request_id([*args, *kwargs.values()])
        try:
            return listener(*args, **kwargs)
        except gr.Error as err:
            err.print_exception = False
            log.warning("app %s refused: %.200r request_id=%s", listener.__name__, err.message, rid,
                        extra={"request_id": rid})
            raise
        except Exception as err:
            log.exception("app %s failed request_id=%s", listener.__name__, rid, extra={"request_id": rid})
            raise gr.Error(f"something went wrong on our side; quote request id {rid}",
                           print_exception=False) from err

    return run


def _request_id(values: list) -> str:
    """The id ``RequestLog`` gave the request that queued this event (its X-Request-ID, checked again in case the
    app runs without that middleware)."""
    request = next((v for v in values if isinstance(v, gr.Request)), None)
    return request_id(request.headers.get(REQUEST_ID) if request is not None else None)


def allow(engines: Engines, request: gr.Request | None) -> Engines:
    """``engines`` if this browser address is under the app's rate limit, else a ``gr.Error`` saying when to retry."""
    host = request.client.host if request is not None and request.client else "unknown"
    wait = engines.limiter.take(f"app|{host}", engines.app_rate)
    if wait:
        raise gr.Error(f"too many requests from your address ({engines.app_rate} a minute); try again in "
                       f"{math.ceil(wait)} s")
    return engines


def admin(engines: Engines, secret: str | None) -> ApiKey:
    """The live admin key ``secret`` is, or a ``gr.Error`` that says nothing more about why."""
    key = engines.keys.verify((secret or "").strip())
    if key is None or key.scope != "admin":
        raise gr.Error("that is not a live admin key")
    return key


def shown(err: BaseException) -> gr.Error:
    """An engine's refusal as the error the visitor sees. A ``gr.Error`` is a ValueError too, so a listener's
    ``except ValueError`` also catches its own refusals: those pass as they are (``str`` of one is its message's
    repr, which would show quoted)."""
    return err if isinstance(err, gr.Error) else gr.Error(public_message(err))


def read_upload(path: str, name: str = "photo") -> Image.Image:
    """An uploaded photo, decoded under the upload limits (the same as the REST API's). Gradio writes uploads to its
    cache as sent, EXIF and GPS included; the cached copy is rewritten from its pixels the first time it is read."""
    try:
        image = decode_upload(Path(path).read_bytes(), name)
    except (OSError, ValueError) as err:
        _drop(path)  # nothing a visitor cannot use stays in the cache
        raise shown(err) from err
    _strip(path, image)
    return image


@logged
def strip_uploads(paths: str | list[str] | None, request: gr.Request) -> None:
    """Listener for ``.upload``: strip what a browser uploads at once, not when a button is first pressed."""
    for path in [paths] if isinstance(paths, str) else paths or []:
        read_upload(path, Path(path).name)


def strip_on_upload(component: gr.components.Component) -> None:
    """Strip every upload to ``component`` as it arrives (not a public API: it returns nothing)."""
    component.upload(strip_uploads, inputs=component, outputs=None, api_visibility="private")


def _in_cache(path: str) -> bool:
    return Path(path).resolve().is_relative_to(Path(get_upload_folder()).resolve())


def _drop(path: str) -> None:
    if _in_cache(path):
        Path(path).unlink(missing_ok=True)


def _strip(path: str, image: Image.Image) -> None:
    """Rewrite ``path`` (only inside Gradio's cache) as ``image``, which carries no metadata, in its own format;
    once: a JPEG is not re-encoded at every try-on."""
    if not _in_cache(path):
        return
    with _STRIP_LOCK:  # an upload's own listener and a search on the same upload may both get here
        if _STRIPPED.get(path) == Path(path).stat().st_mtime_ns:
            return
        with Image.open(path) as probe:
            kind = probe.format if probe.format in _KEEP_FORMATS else "PNG"
        buffer = io.BytesIO()
        image.save(buffer, kind, **_KEEP_FORMATS[kind])
        write_private(Path(path), buffer.getvalue())
        if len(_STRIPPED) > 10_000:  # the cache is swept every few minutes; so can this be
            _STRIPPED.clear()
        _STRIPPED[path] = Path(path).stat().st_mtime_ns
