"""What the service tells its operator, for both front ends: a request id on every request, one log line per
request (a user error is that one line, never a traceback; a server error adds its traceback), and Prometheus
metrics: requests and latency per route template, and time inside the models per engine.

Nothing a client chose reaches a log line or a metric label as sent: the request id is checked (or replaced), the
route is the matched template (``/api/v1/users/{user_id}/history``, never the path with the user id in it), the
method outside the standard ones is ``OTHER`` and the status is its class (``4xx``). So the labels stay few, and
``/metrics`` carries no key, user id, path or request id.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from prometheus_client import Counter, Histogram
from prometheus_client.context_managers import Timer

log = logging.getLogger("atelier.access")

REQUEST_ID = "x-request-id"
# A client's own id is kept only if it is a short token: it goes into logs and headers, so no spaces, quotes,
# newlines or anything over 64 characters (a UUID has 36).
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # no route took the request (a 404 for any path): one label for every such path
# From a text search (~10 ms) to a try-on on two CPU cores (seconds) and a restyle grid (a minute).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

REQUESTS = Counter("atelier_http_requests", "HTTP requests answered, by route template, method and status class",
                   ["route", "method", "status"])
LATENCY = Histogram("atelier_http_request_duration_seconds", "Time to answer an HTTP request, by route template",
                    ["route", "method"], buckets=BUCKETS)
MODEL_SECONDS = Histogram("atelier_model_seconds", "Time inside a model call (waiting for the model lock excluded), "
                          "by engine", ["engine"], buckets=BUCKETS)


def request_id(offered: str | None) -> str:
    """The client's X-Request-ID if it is a sane short token, else a fresh one (the header is hostile input)."""
    if offered and _SANE_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


def model_time(engine: str) -> Timer:
    """``with model_time("tryon"):`` around a model call adds its seconds to ``atelier_model_seconds``."""
    return MODEL_SECONDS.labels(engine=engine).time()


def model_seconds(seconds: dict[str, float]) -> None:
    """Add the seconds each engine took elsewhere (in the drawing process) to ``atelier_model_seconds``."""
    for engine, spent in seconds.items():
        MODEL_SECONDS.labels(engine=engine).observe(spent)


def route_of(scope: dict[str, Any]) -> str:
    """The template of the route that took the request, with the prefix of any mount it sits under (the Gradio
    app's routes under /app); ``unmatched`` when none did."""
    path = getattr(scope.get("route"), "path", None)
    if path is None:
        return UNMATCHED
    root = scope.get("root_path", "")
    return root[len(scope.get("app_root_path", root)):] + path


def record(scope: dict[str, Any], status: int, seconds: float, rid: str, error: BaseException | None = None) -> None:
    """Count the request and write its one log line: INFO when answered, WARNING for a user error (4xx: one line,
    no traceback), ERROR for a server error (5xx), with ``error``'s traceback when an exception caused it."""
    route, method = route_of(scope), scope["method"] if scope["method"] in METHODS else "OTHER"
    REQUESTS.labels(route=route, method=method, status=f"{status // 100}xx").inc()
    LATENCY.labels(route=route, method=method).observe(seconds)
    level = logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
    log.log(level, "%s %s %d %.0f ms request_id=%s", method, route, status, seconds * 1000, rid,
            exc_info=error, extra={"request_id": rid, "route": route, "status": status})
