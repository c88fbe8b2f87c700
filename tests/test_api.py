"""Contract tests of the REST API's try-on, restyle, recommend, catalog and user routes, keys and privacy rules,
on the real engines over the demo catalog. The module has a store of its own, since it ingests and deletes."""

from __future__ import annotations

import base64
import io
import re
import tempfile

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageFile

from ui import DEMO_CATALOG, Engines, create_app

PERSON = DEMO_CATALOG / "tryon" / "people" / "00055_00.jpg"
POLO = "09163_00"


@pytest.fixture(scope="module")
def engines(tmp_path_factory) -> Engines:
    return Engines.load(DEMO_CATALOG, db=tmp_path_factory.mktemp("api") / "shop.db")


@pytest.fixture(scope="module")
def keys(engines: Engines) -> dict[str, str]:
    return {scope: engines.keys.create(f"api tests ({scope})", scope, 10_000).secret for scope in ("admin", "widget")}


@pytest.fixture(scope="module")
def client(engines: Engines):
    with TestClient(create_app(engines)) as test_client:
        yield test_client


def as_admin(keys: dict[str, str]) -> dict[str, str]:
    return {"X-API-Key": keys["admin"]}


def as_widget(keys: dict[str, str]) -> dict[str, str]:
    return {"X-API-Key": keys["widget"]}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def png_of(body: dict) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(body["image"])))
    assert image.format == "PNG"
    return image


def jpeg_with_gps(path) -> bytes:
    """The photo re-saved with EXIF that names a camera and a place, as phone photos do."""
    image = Image.open(path)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}  # GPS latitude
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    assert Image.open(io.BytesIO(buffer.getvalue())).getexif()
    return buffer.getvalue()


# --- keys -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("header", [{}, {"X-API-Key": "atl_nothere_xxxxxxxx"}, {"X-API-Key": "not-a-key"}])
def test_missing_or_unknown_key_is_401_with_the_same_answer(client: TestClient, header: dict):
    response = client.post("/api/v1/parse", json={"text": "red dress"}, headers=header)
    assert response.status_code == 401
    assert response.json() == {"detail": "a valid API key is required in the X-API-Key header"}


def test_revoked_key_is_401_and_widget_key_cannot_use_admin_routes(client: TestClient, engines: Engines, keys):
    made = engines.keys.create("to revoke", "widget")
    header = {"X-API-Key": made.secret}
    assert client.post("/api/v1/parse", json={"text": "red dress"}, headers=header).status_code == 200
    engines.keys.revoke(made.key.id)
    assert client.post("/api/v1/parse", json={"text": "red dress"}, headers=header).status_code == 401
    assert client.get("/api/v1/users/anyone", headers=as_widget(keys)).status_code == 403
    assert client.delete("/api/v1/users/anyone", headers=as_widget(keys)).status_code == 403


def test_keys_are_stored_hashed(engines: Engines, keys):
    with engines.store.engine.connect() as conn:
        stored = " ".join(str(v) for row in conn.exec_driver_sql("SELECT * FROM api_keys").all() for v in row)
    assert keys["admin"] not in stored and keys["widget"] not in stored
    assert keys["admin"].split("_", 2)[2] not in stored  # not even the secret part (which may hold "_")


def test_rate_limit_is_per_key_with_retry_after(client: TestClient, engines: Engines, keys):
    slow = {"X-API-Key": engines.keys.create("slow", "widget", rate_per_minute=2).secret}
    codes = [client.post("/api/v1/parse", json={"text": "red dress"}, headers=slow).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    limited = client.post("/api/v1/parse", json={"text": "red dress"}, headers=slow)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert client.post("/api/v1/parse", json={"text": "red dress"}, headers=as_widget(keys)).status_code == 200


# --- parse and try-on -----------------------------------------------------------------------------------------
def test_parse_returns_intent_slots_and_the_normalised_request(client: TestClient, keys):
    body = client.post("/api/v1/parse", json={"text": "try the red leather jacket on me in M, make it vintage"},
                       headers=as_widget(keys)).json()
    assert body["intent"] == "try_on"
    labels = {e["label"]: e["text"] for e in body["entities"]}
    assert labels.get("SIZE") == "M" and labels.get("STYLE") == "vintage" and labels.get("COLOR") == "red"
    assert body["request"]["style"] == "vintage"


def test_tryon_json_picks_the_garment_the_words_name_and_reads_size_and_style(client: TestClient, keys):
    response = client.post("/api/v1/tryon", headers=as_widget(keys), json={
        "person_image": b64(PERSON.read_bytes()), "instruction": "try the polo on me in M, make it vintage"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["garment"]["id"] == POLO and body["size"] == "M" and body["style"] == "vintage"
    assert body["parsed"]["intent"] == "try_on" and body["kept_photo"] is False
    result = png_of(body)
    assert result.size == Image.open(PERSON).size
    assert result.getexif() == {} and "exif" not in result.info


def test_tryon_recolours_to_the_colour_asked_for_not_the_one_naming_the_garment(client: TestClient, keys):
    response = client.post("/api/v1/tryon", headers=as_widget(keys), json={
        "person_image": b64(PERSON.read_bytes()), "instruction": "the black t-shirt in burgundy, size L"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["garment"]["id"] == "03032_00" and body["colour"] == "burgundy" and body["size"] == "L"
    assert body["message"] == "drawn in burgundy (the photo shows black)"


def test_tryon_says_which_garment_it_chose_and_why_it_refuses(client: TestClient, keys):
    def tryon(words: str):
        return client.post("/api/v1/tryon", headers=as_widget(keys),
                           json={"person_image": b64(PERSON.read_bytes()), "instruction": words})

    body = tryon("try the red t-shirt on me in size L").json()
    assert body["garment"]["title"] == "Red T-shirt with a side tie" and body["message"] is None
    refused = tryon("the grey tank top please")
    assert refused.status_code == 422 and "Grey Guess logo tank top: this garment has no sleeves" in refused.text
    assert tryon("blorp zzz qwerty").status_code == 422


def test_tryon_multipart_with_an_explicit_garment_and_colour(client: TestClient, keys):
    response = client.post("/api/v1/tryon", headers=as_widget(keys),
                           files={"person_image": ("me.jpg", PERSON.read_bytes(), "image/jpeg")},
                           data={"garment_id": "09236_00", "colour": "burgundy", "keep_photo": "false"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["garment"]["id"] == "09236_00" and body["colour"] == "burgundy" and body["style"] is None
    assert client.get(body["garment"]["image_url"]).status_code == 200


@pytest.mark.parametrize(("payload", "code", "says"), [
    ({"person_image": b64(b"not an image")}, 422, "image"),
    ({"person_image": "%%% not base64 %%%"}, 422, "base64"),
    ({"person_image": b64(PERSON.read_bytes()), "garment_id": "nope"}, 404, "no garment"),
    ({"person_image": b64((DEMO_CATALOG / "tryon" / "garments" / POLO).with_suffix(".jpg").read_bytes()),
      "garment_id": POLO}, 422, "person"),
    ({"person_image": b64(PERSON.read_bytes()), "garment_id": POLO, "size": "XXXXXL"}, 422, "size"),
    ({"person_image": b64(PERSON.read_bytes()), "garment_id": POLO, "style": "gotik"}, 422, "gothic"),
    ({"person_image": b64(PERSON.read_bytes())}, 422, "garment"),
    ({"person_image": b64(PERSON.read_bytes()), "garment_id": POLO, "surprise": 1}, 422, "extra"),
])
def test_tryon_refusals_say_why(client: TestClient, keys, payload: dict, code: int, says: str):
    response = client.post("/api/v1/tryon", headers=as_widget(keys), json=payload)
    assert response.status_code == code, response.text
    assert says in str(response.json()["detail"]).lower()


def test_tryon_needs_json_or_multipart(client: TestClient, keys):
    raw = client.post("/api/v1/tryon", headers={**as_widget(keys), "content-type": "image/jpeg"},
                      content=PERSON.read_bytes())
    assert raw.status_code == 415
    broken = client.post("/api/v1/tryon", headers={**as_widget(keys), "content-type": "application/json"},
                         content=b"{not json")
    assert broken.status_code == 400


def test_shopper_photo_is_never_written_unless_asked(client: TestClient, engines: Engines, keys, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a shopper's photo was written to a temporary file")

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    monkeypatch.setattr(tempfile, "NamedTemporaryFile", refuse)
    before = sorted(engines.data_dir.rglob("*"))
    response = client.post("/api/v1/tryon", headers=as_widget(keys),
                           files={"person_image": ("me.jpg", jpeg_with_gps(PERSON), "image/jpeg")},
                           data={"garment_id": POLO, "user_id": "shopper-1"})
    assert response.status_code == 200, response.text
    assert png_of(response.json()).getexif() == {}
    assert sorted(engines.data_dir.rglob("*")) == before


def test_kept_photo_is_stripped_needs_an_admin_key_and_goes_with_the_user(client: TestClient, engines, keys):
    payload = {"person_image": b64(jpeg_with_gps(PERSON)), "garment_id": POLO, "user_id": "keeper",
               "keep_photo": True}
    assert client.post("/api/v1/tryon", headers=as_widget(keys), json=payload).status_code == 403
    assert client.post("/api/v1/tryon", headers=as_admin(keys),
                       json={**payload, "user_id": None}).status_code == 422  # kept under whom?
    response = client.post("/api/v1/tryon", headers=as_admin(keys), json=payload)
    assert response.status_code == 200 and response.json()["kept_photo"] is True
    kept = list((engines.photos.folder("keeper")).glob("*.png"))
    assert len(kept) == 1 and Image.open(kept[0]).getexif() == {}
    assert client.get("/api/v1/users/keeper", headers=as_admin(keys)).json()["kept_photos"] == 1
    gone = client.delete("/api/v1/users/keeper", headers=as_admin(keys)).json()
    assert gone["photos"] == 1 and not (engines.photos.folder("keeper")).exists()
    assert client.get("/api/v1/users/keeper", headers=as_admin(keys)).status_code == 404


# --- restyle ----------------------------------------------------------------------------------------------------
def test_restyle_a_garment_by_name_and_by_reference_picture(client: TestClient, keys):
    named = client.post("/api/v1/restyle", headers=as_widget(keys), json={"garment_id": POLO, "style": "boho"})
    assert named.status_code == 200 and named.json()["style"] == "boho"
    original = Image.open(DEMO_CATALOG / "tryon" / "garments" / f"{POLO}.jpg").convert("RGB")
    assert png_of(named.json()).size == original.size
    reference = client.post("/api/v1/restyle", headers=as_widget(keys), files={
        "image": ("g.jpg", (DEMO_CATALOG / "tryon" / "garments" / "14673_00.jpg").read_bytes(), "image/jpeg"),
        "style_image": ("s.jpg", (DEMO_CATALOG / "images" / "hm_0747346001.jpg").read_bytes(), "image/jpeg")},
        data={"strength": "0.5"})
    assert reference.status_code == 200 and reference.json()["style"] == "reference image"


@pytest.mark.parametrize(("payload", "code"), [
    ({"garment_id": POLO}, 422),  # no look
    ({"garment_id": POLO, "style": "boho", "style_image": b64(PERSON.read_bytes())}, 422),  # two looks
    ({"garment_id": POLO, "image": b64(PERSON.read_bytes()), "style": "boho"}, 422),  # two garments
    ({"garment_id": POLO, "style": "boho", "strength": 1.5}, 422),
    ({"garment_id": POLO, "style": "not-a-style-at-all"}, 422),
    ({"garment_id": POLO, "user_id": "someone"}, 403),  # a customer's taste needs an admin key
])
def test_restyle_refusals(client: TestClient, keys, payload: dict, code: int):
    assert client.post("/api/v1/restyle", headers=as_widget(keys), json=payload).status_code == code


# --- recommend, catalog and users -------------------------------------------------------------------------------
def test_recommend_for_words_history_and_a_stored_user_with_reasons(client: TestClient, engines: Engines, keys):
    words = client.post("/api/v1/recommend", headers=as_widget(keys), json={"text": "a dress", "k": 4}).json()
    assert len(words["results"]) == 4 and words["message"] is None
    assert all(r["reasons"][0] == "matches your request: dress" for r in words["results"])
    for result in words["results"]:
        attributes = engines.products[result["id"]].attributes
        assert attributes.get("articleType", attributes.get("product_type_name")) in {"Dresses", "Dress"}
    assert client.get(words["results"][0]["image_url"]).status_code == 200
    history = client.post("/api/v1/recommend", headers=as_widget(keys), json={"history": ["57043"], "k": 3}).json()
    assert "57043" not in {r["id"] for r in history["results"]}
    assert any("Elle Black Dress" in reason for r in history["results"] for reason in r["reasons"])
    client.post("/api/v1/users/fan/interactions", headers=as_admin(keys),
                json={"interactions": [{"item_id": "57043", "kind": "purchase"}]})
    stored = client.post("/api/v1/recommend", headers=as_admin(keys), json={"user_id": "fan", "k": 3})
    assert stored.status_code == 200 and [r["id"] for r in stored.json()["results"]] == [
        r["id"] for r in history["results"]]
    assert client.post("/api/v1/recommend", headers=as_widget(keys), json={"user_id": "fan"}).status_code == 403


@pytest.mark.parametrize(("payload", "code"), [
    ({}, 422), ({"history": ["no-such-item"]}, 404), ({"text": ""}, 422), ({"text": "x", "k": 0}, 422),
    ({"user_id": "nobody"}, 404), ({"user_id": "../etc"}, 422),
    ({"text": "blorp zzz qwerty"}, 422), ({"text": "a black dress, not black"}, 422),
    ({"text": "a dress under 0"}, 422),
])
def test_recommend_refusals(client: TestClient, keys, payload: dict, code: int):
    assert client.post("/api/v1/recommend", headers=as_admin(keys), json=payload).status_code == code


def test_recommend_binds_the_request_and_says_when_nothing_matches(client: TestClient, engines: Engines, keys):
    tops = client.post("/api/v1/recommend", headers=as_widget(keys), json={"text": "any top but black please",
                                                                          "k": 48}).json()["results"]
    types = {"Tops", "Tshirts", "Shirts", "Sweaters", "Shirt", "Blouse", "Sweater"}
    for result in tops:
        attributes = engines.products[result["id"]].attributes
        assert attributes.get("articleType", attributes.get("product_type_name")) in types
        assert attributes.get("baseColour", attributes.get("colour_group_name")) != "Black"
    assert tops and all(r["reasons"][0].startswith("matches your request: ") for r in tops)
    green = client.post("/api/v1/recommend", headers=as_widget(keys), json={"text": "a green dress", "k": 3}).json()
    assert green["message"] == "no green dresses; these are dresses in other colours" and green["results"]
    nonsense = client.post("/api/v1/recommend", headers=as_widget(keys), json={"text": "blorp zzz qwerty"})
    assert "no fashion request" in nonsense.json()["detail"]


def test_catalog_ingest_makes_items_searchable_and_a_bad_batch_writes_nothing(client: TestClient, engines, keys):
    shirt = (DEMO_CATALOG / "images" / "hm_0552743021.jpg").read_bytes()
    good = {"id": "api-shirt", "title": "Api test striped shirt", "colour": "blue", "price": 19.99,
            "image": b64(jpeg_with_gps(DEMO_CATALOG / "images" / "hm_0552743021.jpg"))}
    photos = engines.data_dir / "items"
    counts, files = engines.store.counts(), sorted(photos.glob("*")) if photos.exists() else []
    bad = client.post("/api/v1/catalog", headers=as_admin(keys),
                      json={"items": [good, {"id": "broken", "title": "Broken", "image": b64(shirt[:100])}]})
    assert bad.status_code == 422 and engines.store.counts() == counts  # all or nothing
    duplicate = client.post("/api/v1/catalog", headers=as_admin(keys), json={"items": [good, good]})
    assert duplicate.status_code == 422 and engines.store.counts() == counts
    assert sorted(photos.glob("*")) == files  # no photo left behind by a refused batch
    assert client.post("/api/v1/catalog", headers=as_widget(keys), json={"items": [good]}).status_code == 403
    response = client.post("/api/v1/catalog", headers=as_admin(keys), json={"items": [good]})
    assert response.status_code == 200 and response.json()["ingested"] == 1
    assert response.json()["products"] == len(engines.products)
    found = client.get("/api/v1/search", params={"q": "striped shirt", "k": 48}, headers=as_widget(keys)).json()
    assert "api-shirt" in [hit["id"] for hit in found["results"]]
    stored = engines.products["api-shirt"].image_path
    assert Image.open(stored).getexif() == {}
    # an id may hold what a URL gives a meaning to ('?', '#', a space): its photo's URL still leads to the photo
    odd = {**good, "id": "api shirt?v=2#front", "title": "Api test odd id shirt"}
    assert client.post("/api/v1/catalog", headers=as_admin(keys), json={"items": [odd]}).status_code == 200
    hits = client.get("/api/v1/search", params={"q": "odd id shirt", "k": 48}, headers=as_widget(keys)).json()
    url = next(hit["image_url"] for hit in hits["results"] if hit["id"] == odd["id"])
    assert client.get(url, headers=as_widget(keys)).content == engines.products[odd["id"]].image_path.read_bytes()


def test_deleting_a_user_leaves_other_users_alone(client: TestClient, keys):
    for user in ("alice", "bob"):
        response = client.post(f"/api/v1/users/{user}/interactions", headers=as_admin(keys),
                               json={"interactions": [{"item_id": "49633"}, {"item_id": "57043"}]})
        assert response.status_code == 200 and len(response.json()["interactions"]) == 2
    assert client.post("/api/v1/users/alice/interactions", headers=as_admin(keys),
                       json={"interactions": [{"item_id": "no-such-item"}]}).status_code == 422
    assert len(client.get("/api/v1/users/alice", headers=as_admin(keys)).json()["interactions"]) == 2
    gone = client.delete("/api/v1/users/alice", headers=as_admin(keys)).json()
    assert gone["interactions"] == 2
    assert client.get("/api/v1/users/alice", headers=as_admin(keys)).status_code == 404
    assert len(client.get("/api/v1/users/bob", headers=as_admin(keys)).json()["interactions"]) == 2
    assert client.delete("/api/v1/users/alice", headers=as_admin(keys)).status_code == 404


def test_demo_shop_page_is_opt_in_and_embeds_the_widget_with_a_live_widget_key(client: TestClient, engines: Engines):
    assert client.get("/shop/14673_00").status_code == 404  # off unless the server is started with --demo-shop
    with TestClient(create_app(engines, demo_shop=True)) as shop:
        page = shop.get("/shop/14673_00")
        assert page.status_code == 200 and '<script src="/widget/atelier-tryon.js"' in page.text
        assert 'product="14673_00"' in page.text
        assert 'href="/shop/14673_00"' not in page.text and 'href="/shop/09163_00"' in page.text  # more to try
        secret = page.text.split('api-key="', 1)[1].split('"', 1)[0]
        key = engines.keys.verify(secret)
        assert key is not None and key.scope == "widget"
        script = shop.get("/widget/atelier-tryon.js")
        assert script.status_code == 200 and "customElements.define" in script.text
        assert shop.get("/shop/not-a-garment").status_code == 404


def test_a_real_pixel_bomb_is_refused_before_decoding(client: TestClient, keys, monkeypatch):
    """An 8000x8000 PNG is 200 KB on the wire and 192 MB decoded: refused from its header alone."""
    buffer = io.BytesIO()
    Image.new("L", (8000, 8000)).save(buffer, "PNG")
    assert buffer.tell() < 1_000_000

    def refuse(*args, **kwargs):
        raise AssertionError("an over-limit upload was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    response = client.post("/api/v1/tryon", headers=as_widget(keys),
                           json={"person_image": b64(buffer.getvalue()), "garment_id": POLO})
    assert response.status_code == 422 and "over the limit" in response.json()["detail"]


# --- the REST layer alone: engines swapped through dependency_overrides, where a real model is not the point ------
class _Refusing:
    """The real keys and limiter, and a try-on that refuses the way engines do (ValueError, KeyError)."""

    def __init__(self, real: Engines, error: Exception):
        self.keys, self.limiter, self.error = real.keys, real.limiter, error

    def ask(self, text, *fields):
        from tryon import Ask

        return None, Ask(text=text or "")

    def try_on(self, *args, **kwargs):
        raise self.error


@pytest.mark.parametrize(("error", "status", "detail"), [
    (ValueError("/srv/atelier/cache/x.png: not a readable image"), 422, "x.png: not a readable image"),
    (KeyError("no garment 'nope' to try on"), 404, "no garment 'nope' to try on"),
])
def test_engine_refusals_map_to_4xx_without_server_paths(engines: Engines, keys, error, status, detail):
    from ui.api.dependencies import get_engines

    app = create_app(engines)
    app.dependency_overrides[get_engines] = lambda: _Refusing(engines, error)
    with TestClient(app) as client:
        body = {"person_image": b64(PERSON.read_bytes()), "garment_id": "nope"}
        assert client.post("/api/v1/tryon", json=body).status_code == 401  # the key still comes first
        response = client.post("/api/v1/tryon", json=body, headers=as_widget(keys))
    assert response.status_code == status and response.json()["detail"] == detail


# --- the API's own pages ------------------------------------------------------------------------------------------
def test_docs_pages_and_their_assets_are_served_here(client: TestClient):
    for path, marker in (("/docs", "swagger-ui"), ("/redoc", "redoc")):
        page = client.get(path)
        assert page.status_code == 200 and marker in page.text
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert assets and all(a.startswith("/docs/assets/") for a in assets), assets  # no CDN, no web fonts
        for asset in assets:
            assert client.get(asset).status_code == 200, asset
    assert client.get("/docs/assets/../../main.py").status_code == 404
