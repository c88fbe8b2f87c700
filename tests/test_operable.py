"""What the operator sees, on the real app: a request id on every response, one log line per user error (no
traceback) in the REST API and in the Gradio app, the traceback kept for a server error, and Prometheus metrics per
route template and per engine."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from ui import DEMO_CATALOG, Engines, create_app

HEX_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture(scope="module")
def client(service_engines: Engines):
    with TestClient(create_app(service_engines)) as test_client:
        yield test_client


def server_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What the server logged: the test client's own httpx lines left out."""
    return [r for r in caplog.records if not r.name.startswith("httpx")]


def lines_of(caplog: pytest.LogCaptureFixture, rid: str) -> list[logging.LogRecord]:
    return [r for r in server_lines(caplog) if getattr(r, "request_id", None) == rid or rid in r.getMessage()]


def requests_counted(route: str, method: str, status: str) -> float:
    labels = {"route": route, "method": method, "status": status}
    return REGISTRY.get_sample_value("atelier_http_requests_total", labels) or 0.0


# --- request ids --------------------------------------------------------------------------------------------------
def test_every_response_carries_a_request_id_and_a_sane_one_is_kept(client: TestClient):
    for path in ("/healthz", "/app/", "/no/such/page"):
        assert HEX_ID.fullmatch(client.get(path).headers["x-request-id"]), path
    first, second = client.get("/healthz").headers["x-request-id"], client.get("/healthz").headers["x-request-id"]
    assert first != second
    assert client.get("/healthz", headers={"X-Request-ID": "shop-7f3a.1_b"}).headers["x-request-id"] == "shop-7f3a.1_b"


@pytest.mark.parametrize("hostile", ["a" * 65, "line\nbreak", "forged\r\nX-Admin: yes", "<script>", "a b", ""])
def test_a_hostile_request_id_is_replaced_and_never_logged(client: TestClient, caplog, hostile: str):
    with caplog.at_level(logging.INFO):
        response = client.get("/healthz", headers={"X-Request-ID": hostile})
    assert response.status_code == 200 and HEX_ID.fullmatch(response.headers["x-request-id"])
    if hostile:  # an empty header has nothing to leak, only to replace
        assert hostile not in response.headers["x-request-id"]
        assert all(hostile not in r.getMessage() for r in caplog.records)


# --- one line for a user error, the traceback for a server error --------------------------------------------------
def test_a_4xx_is_one_log_line_with_the_request_id_and_no_traceback(client: TestClient, caplog, admin_secret: str):
    with caplog.at_level(logging.INFO):
        response = client.get("/api/v1/users/nobody-here", headers={"X-API-Key": admin_secret,
                                                                    "X-Request-ID": "test-4xx-1"})
    assert response.status_code == 404 and response.headers["x-request-id"] == "test-4xx-1"
    [line] = server_lines(caplog)  # one line for the whole request, and it carries the id
    assert line.request_id == "test-4xx-1" and line.levelno == logging.WARNING and line.exc_info is None
    # The route template, never the path with the user id in it.
    assert re.fullmatch(r"GET /api/v1/users/\{user_id\} 404 \d+ ms request_id=test-4xx-1", line.getMessage())


@pytest.mark.parametrize("route", ["/api/v1/tryon", "/api/v1/restyle"])
def test_a_body_over_the_routes_limit_is_one_413_line_and_no_traceback(client: TestClient, caplog,
                                                                        admin_secret: str, route: str):
    """Starlette answers 413 itself when Content-Length is over a route's limit, then unwinds the route with an
    exception: that is an answered user error, not a server error (it printed two tracebacks per request)."""
    body = b'{"person_image": "' + b"A" * (70 * 1024 * 1024) + b'"}'
    with caplog.at_level(logging.INFO):
        response = client.post(route, content=body, headers={"X-API-Key": admin_secret, "X-Request-ID": "big-1",
                                                              "Content-Type": "application/json"})
    assert response.status_code == 413
    [line] = server_lines(caplog)
    assert line.levelno == logging.WARNING and line.exc_info is None and " 413 " in line.getMessage()
    assert "Traceback" not in caplog.text


def test_a_5xx_keeps_its_traceback_with_the_request_id(service_engines: Engines, caplog):
    from ui.api.dependencies import get_engines

    def broken() -> Engines:
        raise RuntimeError("the store went away")

    app = create_app(service_engines)
    app.dependency_overrides[get_engines] = broken
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.INFO):
        response = client.get("/healthz", headers={"X-Request-ID": "test-5xx-1"})
    assert response.status_code == 500 and response.headers["x-request-id"] == "test-5xx-1"
    assert response.json() == {"detail": "internal server error", "request_id": "test-5xx-1"}
    assert response.headers["x-frame-options"] == "DENY"  # the security headers reach the 500 too
    [line] = lines_of(caplog, "test-5xx-1")
    assert line.levelno == logging.ERROR and line.exc_info is not None
    assert "RuntimeError: the store went away" in caplog.text and "Traceback" in caplog.text


# --- metrics ------------------------------------------------------------------------------------------------------
def test_metrics_count_requests_by_route_template_and_need_an_admin_key(client: TestClient, admin_secret: str,
                                                                       widget_secret: str):
    route = "/api/v1/users/{user_id}"
    before = requests_counted(route, "GET", "4xx")
    for user in ("ghost-1", "ghost-2"):
        assert client.get(f"/api/v1/users/{user}", headers={"X-API-Key": admin_secret}).status_code == 404
    assert requests_counted(route, "GET", "4xx") == before + 2
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"X-API-Key": widget_secret}).status_code == 403
    page = client.get("/metrics", headers={"X-API-Key": admin_secret})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
    assert 'atelier_http_requests_total{method="GET",route="/api/v1/users/{user_id}",status="4xx"}' in page.text
    for secret in ("ghost-1", admin_secret, widget_secret, str(DEMO_CATALOG)):  # no user id, key or path
        assert secret not in page.text


def test_an_odd_method_and_an_unknown_path_share_one_label_each(client: TestClient):
    before = requests_counted("unmatched", "OTHER", "4xx")
    assert client.request("BREW", "/coffee/pot/1").status_code == 404
    assert client.request("BREW", "/coffee/pot/2").status_code == 404
    assert requests_counted("unmatched", "OTHER", "4xx") == before + 2


def test_model_time_is_recorded_per_engine(client: TestClient, widget_secret: str):
    def calls() -> float:
        return REGISTRY.get_sample_value("atelier_model_seconds_count", {"engine": "parse"}) or 0.0

    before = calls()
    response = client.post("/api/v1/parse", json={"text": "a red dress in M"}, headers={"X-API-Key": widget_secret})
    assert response.status_code == 200 and calls() == before + 1
    assert REGISTRY.get_sample_value("atelier_model_seconds_sum", {"engine": "parse"}) > 0


def test_the_drawing_process_s_model_time_is_recorded_where_metrics_are_served(client: TestClient, admin_secret):
    """A restyle runs in the drawing process; its seconds come back and count in this process's /metrics."""
    def restyles() -> float:
        return REGISTRY.get_sample_value("atelier_model_seconds_count", {"engine": "restyle"}) or 0.0

    before = restyles()
    garment = client.get("/api/v1/garments", headers={"X-API-Key": admin_secret}).json()[0]["id"]
    response = client.post("/api/v1/restyle", json={"garment_id": garment, "style": "vintage"},
                           headers={"X-API-Key": admin_secret})
    assert response.status_code == 200 and restyles() == before + 1


# --- the Gradio app -----------------------------------------------------------------------------------------------
def test_a_refused_photo_in_the_app_is_one_line_without_a_traceback(live_url: str, caplog, capfd, tmp_path):
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes((DEMO_CATALOG / "images" / "hm_0747346001.jpg").read_bytes()[:2000])
    client = Client(f"{live_url}/app/", verbose=False, headers={"X-Request-ID": "test-app-refusal"})
    with caplog.at_level(logging.INFO), pytest.raises(AppError, match="not a readable image"):
        client.predict(handle_file(str(truncated)), 3, api_name="/search_image")
    refusals = [r for r in lines_of(caplog, "test-app-refusal") if r.name == "atelier.app"]
    assert len(refusals) == 1 and refusals[0].exc_info is None
    assert re.fullmatch(r"app search_photo refused: 'image: not a readable image .*' request_id=test-app-refusal",
                        refusals[0].getMessage())
    assert "Traceback" not in capfd.readouterr().err + caplog.text


def test_an_unexpected_error_in_an_app_listener_keeps_its_traceback_and_shows_only_the_id(caplog):
    import gradio as gr
    from starlette.requests import Request

    from ui.app_rules import logged

    @logged
    def listener(text: str, request: gr.Request) -> str:
        raise RuntimeError(f"/srv/atelier/cache/{text} went missing")

    request = gr.Request(Request({"type": "http", "method": "POST", "path": "/", "query_string": b"",
                                  "headers": [(b"x-request-id", b"test-app-5xx")]}))
    with caplog.at_level(logging.INFO), pytest.raises(gr.Error) as shown:
        listener("x.png", request)
    assert shown.value.message == "something went wrong on our side; quote request id test-app-5xx"
    assert shown.value.print_exception is False  # logged here once; Gradio's queue must not print it again
    [line] = lines_of(caplog, "test-app-5xx")
    assert line.levelno == logging.ERROR and line.exc_info is not None and "RuntimeError" in caplog.text


def test_every_app_listener_goes_through_logged(service_engines: Engines, tmp_path):
    from ui import build_demo

    demo = build_demo(service_engines, service_engines.garments, tmp_path)
    ours = [block.fn for block in demo.fns.values() if getattr(block.fn, "__module__", "").startswith("ui.")]
    assert len(ours) >= 10
    assert [f.__name__ for f in ours if not hasattr(f, "__wrapped__")] == []  # a new listener must log its errors
