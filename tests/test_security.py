"""The security review's findings (issue 15), each replayed as the request that exposed it, on the real service.

High: path traversal through user ids; the public Gradio app skipping the REST API's rules. Medium and low: CORS
for the widget, bodies read before the key, item ids with '/', Gradio's run history, one shared widget bucket,
decoding memory, and the smaller defects (nested JSON, absurd timestamps, items without photos, server paths in
messages, temp zips, upload metadata, security headers, file modes, a deleted user left in memory).
"""

from __future__ import annotations

import base64
import http.client
import io
import stat
import tempfile
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageFile

from ui import DEMO_CATALOG, Engines, create_app

ROOT = Path(__file__).resolve().parents[1]
PERSON = DEMO_CATALOG / "tryon" / "people" / "00055_00.jpg"
POLO = "09163_00"
SHOP = "https://shop.example"


@pytest.fixture(scope="module")
def engines(service_engines) -> Engines:
    return service_engines


@pytest.fixture(scope="module")
def client(engines: Engines):
    with TestClient(create_app(engines)) as test_client:
        yield test_client


def admin(secret: str) -> dict[str, str]:
    return {"X-API-Key": secret}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}  # GPS latitude
    buffer = io.BytesIO()
    Image.open(PERSON).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


# --- 1. path traversal through user ids ------------------------------------------------------------------------
@pytest.mark.parametrize("user_id", ["%2E%2E", "%2E", "..%2F..", "%2Fetc", "a%5C..", "-rf", "_x"])
def test_dot_and_slash_user_ids_are_refused_and_delete_nothing(live_url: str, engines: Engines, admin_secret,
                                                               user_id: str):
    """Sent as raw bytes to the real server, which decodes %2E%2E to '..' (an HTTP library would tidy it away)."""
    folder = Path(engines.store.engine.url.database).parent
    canary = folder / "canary.txt"
    canary.write_text("still here")
    engines.photos.keep("someone", Image.new("RGB", (8, 8)))  # the vault exists, as in a shop in use
    host, port = live_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("DELETE", f"/api/v1/users/{user_id}", headers=admin(admin_secret))
    assert connection.getresponse().status in (404, 422)
    connection.close()
    assert canary.read_text() == "still here" and Path(engines.store.engine.url.database).is_file()
    engines.keys.create("the store is still writable", "widget")  # "readonly database" once followed
    canary.unlink()
    engines.photos.forget("someone")


@pytest.mark.parametrize("user_id", ["..", ".", "a/b", "../x", "", "x" * 65])
def test_kept_photos_refuse_a_path_user_id(client: TestClient, engines: Engines, admin_secret, user_id: str):
    payload = {"person_image": b64(PERSON.read_bytes()), "garment_id": POLO, "user_id": user_id, "keep_photo": True}
    assert client.post("/api/v1/tryon", headers=admin(admin_secret), json=payload).status_code == 422
    with pytest.raises(ValueError, match="user id"):
        engines.photos.folder(user_id)


def test_kept_photo_folders_are_named_by_a_hash_inside_the_vault(engines: Engines):
    folder = engines.photos.folder("alice@example.com")
    assert folder.parent == engines.photos.root.resolve() and "alice" not in folder.name


# --- 2. the public Gradio app applies the API's rules --------------------------------------------------------------
def test_public_tryon_has_no_customer_id_or_keep_photo(live_url: str):
    from gradio_client import Client

    endpoint = Client(f"{live_url}/app/", verbose=False).view_api(print_info=False, return_format="dict")
    names = [p["parameter_name"] for p in endpoint["named_endpoints"]["/tryon"]["parameters"]]
    assert not {"user", "keep_photo", "user_id"} & set(names)


def test_stylist_taste_needs_an_admin_key_and_tells_nothing_about_ids(live_url: str, engines: Engines,
                                                                      admin_secret: str, widget_secret: str):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    engines.add_interactions("taste-owner", _rows(["hm-0747346001"]))
    client = Client(f"{live_url}/app/", verbose=False)
    answers = []
    for customer, secret in (("taste-owner", ""), ("nobody", ""), ("taste-owner", widget_secret)):
        with pytest.raises(AppError) as refused:
            client.predict([POLO], None, [], None, customer, secret, 0.8, False, api_name="/restyle")
        answers.append(str(refused.value))
    assert all("admin key" in a for a in answers) and len(set(answers)) == 1
    looks, _, applied = client.predict([POLO], None, [], None, "taste-owner", admin_secret, 0.8, False,
                                       api_name="/restyle")
    assert len(looks) == 1 and "; " in applied  # what was read from the customer's history, in words
    engines.delete_user("taste-owner")


def test_app_limits_each_client_and_bounds_its_queue(live_url: str, engines: Engines, tmp_path):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    from ui import build_demo
    from ui.app_rules import QUEUE_SIZE

    client = Client(f"{live_url}/app/", verbose=False)
    rate, engines.app_rate = engines.app_rate, 2
    try:
        engines.limiter.take("app|127.0.0.1", 2)  # whatever the bucket held, start from a known state
        engines.limiter.take("app|127.0.0.1", 2)
        with pytest.raises(AppError, match="too many requests"):
            client.predict("red dress", 3, api_name="/search")
    finally:
        engines.app_rate = rate
    # Gradio keeps the bound on its queue object only; the public config does not carry it.
    assert build_demo(engines, [], tmp_path)._queue.max_size == QUEUE_SIZE


def test_run_history_is_off_and_key_listeners_are_private(live_url: str):
    import httpx

    config = httpx.get(f"{live_url}/app/config").json()
    assert config["run_history"] is False
    private = {d["api_name"] for d in config["dependencies"] if d.get("api_visibility") == "private"}
    assert {"list_keys", "create_key", "revoke_key"} <= private


# --- 3. CORS, origins and per-client widget limits -----------------------------------------------------------------
def test_preflight_from_another_origin_allows_the_key_header_without_credentials(client: TestClient):
    response = client.options("/api/v1/tryon", headers={
        "Origin": SHOP, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-api-key,content-type"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] in (SHOP, "*")
    assert "x-api-key" in response.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in response.headers


def test_a_key_works_only_from_the_origins_it_lists(client: TestClient, engines: Engines):
    listed = engines.keys.create("shop pages", "widget", 1000, origins=[SHOP]).secret
    unlisted = engines.keys.create("no origins", "widget", 1000).secret
    body = {"text": "red dress"}

    def parse(secret: str, origin: str | None) -> int:
        headers = {"X-API-Key": secret} | ({"Origin": origin} if origin else {})
        return client.post("/api/v1/parse", json=body, headers=headers).status_code

    assert parse(listed, SHOP) == 200
    assert parse(listed, "https://evil.example") == 403
    assert parse(unlisted, SHOP) == 403
    assert parse(unlisted, None) == 200  # a server or script sends no Origin
    assert parse(unlisted, "http://testserver") == 200  # the server's own pages
    answer = client.post("/api/v1/parse", json=body, headers={"X-API-Key": listed, "Origin": SHOP})
    assert answer.headers["access-control-allow-origin"] == SHOP  # the widget can read the answer
    with pytest.raises(ValueError, match="not an origin"):
        engines.keys.create("bad", "widget", origins=["https://shop.example/path"])


def test_widget_keys_are_limited_per_client(engines: Engines):
    secret = engines.keys.create("tight", "widget", 2).secret
    with TestClient(create_app(engines), client=("10.0.0.1", 1)) as abuser, \
            TestClient(create_app(engines), client=("10.0.0.2", 1)) as shopper:
        codes = [abuser.post("/api/v1/parse", json={"text": "red"}, headers=admin(secret)).status_code
                 for _ in range(3)]
        assert codes == [200, 200, 429]
        assert shopper.post("/api/v1/parse", json={"text": "red"}, headers=admin(secret)).status_code == 200


# --- 4. limits before work ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/api/v1/parse", "/api/v1/recommend", "/api/v1/users/someone/interactions"])
def test_the_key_is_checked_before_the_body_is_read(client: TestClient, path: str):
    """Without a key, an unreadable body is a 401, not a 422: the body was never parsed."""
    response = client.post(path, content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 401


def test_every_route_caps_its_body_while_reading(client: TestClient, widget_secret: str):
    big = b'{"text": "' + b"a" * 2_000_000 + b'"}'
    response = client.post("/api/v1/parse", content=big, headers={"content-type": "application/json",
                                                                   "X-API-Key": widget_secret})
    assert response.status_code == 413

    def chunked():  # no Content-Length: counted as it arrives
        for _ in range(40):
            yield b"a" * 100_000

    response = client.post("/api/v1/recommend", content=chunked(), headers={"content-type": "application/json",
                                                                            "X-API-Key": widget_secret})
    assert response.status_code == 413


def test_concurrent_decodes_are_bounded(monkeypatch):
    from ui import uploads

    active, peak, lock = [0], [0], threading.Lock()

    def slow_load(data):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.2)
        with lock:
            active[0] -= 1
        return Image.new("RGB", (8, 8))

    monkeypatch.setattr(uploads, "load_image", slow_load)
    threads = [threading.Thread(target=uploads.decode_upload, args=(PERSON.read_bytes(),)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == 2


def test_a_catalog_request_has_a_pixel_budget_checked_before_decoding(client: TestClient, admin_secret, monkeypatch):
    buffer = io.BytesIO()
    Image.new("L", (7000, 7000)).save(buffer, "PNG")  # 49 MP in about 50 KB
    items = [{"id": f"bomb{i}", "title": "bomb", "image": b64(buffer.getvalue())} for i in range(9)]

    def refuse(*args, **kwargs):
        raise AssertionError("an over-budget catalog photo was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    response = client.post("/api/v1/catalog", headers=admin(admin_secret), json={"items": items})
    assert response.status_code == 413 and "pixels" in response.json()["detail"]


# --- 5. item ids ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("item_id", ["../../x", "a/b", "a\\b", ".hidden", "..", "-x"])
def test_item_ids_that_are_paths_are_refused_and_search_still_works(client: TestClient, admin_secret, widget_secret,
                                                                    item_id: str):
    photo = b64((DEMO_CATALOG / "images" / "30615.jpg").read_bytes())
    response = client.post("/api/v1/catalog", headers=admin(admin_secret),
                           json={"items": [{"id": item_id, "title": "red dress", "image": photo}]})
    assert response.status_code == 422
    assert client.get("/api/v1/search", params={"q": "red dress"}, headers=admin(widget_secret)).status_code == 200
    assert client.post("/api/v1/recommend", json={"text": "red dress"},
                       headers=admin(widget_secret)).status_code == 200


# --- 9. smaller defects --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/api/v1/tryon", "/api/v1/restyle", "/api/v1/catalog"])
def test_deeply_nested_json_is_a_400(client: TestClient, admin_secret, path: str):
    body = b"[" * 200_000 + b"]" * 200_000
    response = client.post(path, content=body, headers={"content-type": "application/json", **admin(admin_secret)})
    assert response.status_code == 400 and "nested" in response.json()["detail"]


@pytest.mark.parametrize("ts", ["1e400", "99999999999999999999", "0001-01-01T00:00:00", "not a date"])
def test_absurd_timestamps_are_a_422(client: TestClient, admin_secret, ts: str):
    response = client.post("/api/v1/users/ts-user/interactions", headers=admin(admin_secret),
                           json={"interactions": [{"item_id": "49633", "ts": ts}]})
    assert response.status_code == 422


def test_items_without_a_photo_are_accepted(client: TestClient, admin_secret):
    response = client.post("/api/v1/catalog", headers=admin(admin_secret),
                           json={"items": [{"id": "no-photo-1", "title": "Plain grey scarf"}]})
    assert response.status_code == 200, response.text


def test_messages_carry_no_server_paths(client: TestClient, engines: Engines, admin_secret, live_url: str,
                                        tmp_path):
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    from ui.uploads import public_message

    assert public_message(ValueError("/srv/atelier/data/x.csv: not a readable CSV")) == "x.csv: not a readable CSV"
    assert public_message(ValueError("send multipart/form-data")) == "send multipart/form-data"
    not_trends = tmp_path / "sales.csv"
    not_trends.write_text("week,units\n1,2\n")
    with pytest.raises(AppError) as refused:
        Client(f"{live_url}/app/", verbose=False).predict("2019-09", 5, handle_file(str(not_trends)),
                                                          api_name="/trends")
    assert "/tmp" not in str(refused.value) and str(Path.home()) not in str(refused.value)


def test_stylist_zips_go_with_the_server(engines: Engines, tmp_path, monkeypatch):
    """The zips' folder is made with the app and removed with everything in it when the app stops (its lifespan's
    end, which uvicorn reaches on SIGTERM too; `atelier serve`'s own stop is checked in test_serve_parallel)."""
    from fastapi.testclient import TestClient

    from ui import create_app

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with TestClient(create_app(engines)):
        [folder] = tmp_path.glob("atelier-looks-*")
        (folder / "looks-1.zip").write_bytes(b"PK")
    assert not folder.exists()


def test_uploads_to_the_app_lose_their_metadata(live_url: str, tmp_path):
    from gradio.utils import get_upload_folder
    from gradio_client import Client, handle_file

    photo = tmp_path / "me.jpg"
    photo.write_bytes(jpeg_with_gps())
    Client(f"{live_url}/app/", verbose=False).predict(handle_file(str(photo)), 3, api_name="/search_image")
    cached = [p for p in Path(get_upload_folder()).rglob("*") if p.is_file()]
    assert cached and not [p for p in cached if b"PhoneMaker" in p.read_bytes()]


@pytest.mark.parametrize("path", ["/app/", "/docs", "/api/v1/garments", "/healthz"])
def test_every_page_sends_security_headers(client: TestClient, widget_secret, path: str):
    response = client.get(path, headers=admin(widget_secret))
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_the_store_and_kept_photos_are_private(client: TestClient, engines: Engines, admin_secret):
    payload = {"person_image": b64(PERSON.read_bytes()), "garment_id": POLO, "user_id": "private-photo",
               "keep_photo": True}
    assert client.post("/api/v1/tryon", headers=admin(admin_secret), json=payload).status_code == 200
    photo = next(engines.photos.folder("private-photo").glob("*.png"))
    mode = lambda path: stat.S_IMODE(path.stat().st_mode)  # noqa: E731
    assert mode(Path(engines.store.engine.url.database)) == 0o600
    assert mode(engines.data_dir) == mode(engines.photos.root) == mode(photo.parent) == 0o700
    assert mode(photo) == 0o600
    engines.delete_user("private-photo")


def test_deleting_a_user_refreshes_the_models(engines: Engines):
    engines.add_interactions("to-forget", _rows(["49633", "hm-0747346001"]))
    engines.refresh()
    before = engines.shop
    engines.delete_user("to-forget")
    assert engines.shop is not before
    assert "to-forget" not in set(engines.shop.store.interactions()["user_id"])


def _rows(item_ids: list[str]):
    import pandas as pd

    return pd.DataFrame({"item_id": item_ids, "ts": [f"2024-05-0{i + 1}" for i in range(len(item_ids))]})


def test_a_blank_recommend_text_is_refused(client: TestClient, widget_secret):
    """Whitespace is no request: a 422, as before the text was parsed once at the route."""
    response = client.post("/api/v1/recommend", json={"text": "   "}, headers=admin(widget_secret))
    assert response.status_code == 422 and "whitespace" in response.text
