"""Contract tests of the REST API and the Gradio UI, on the real default encoder and the demo catalog.

The engines load once per module (encoding the catalog takes seconds on two cores); every test shares them.
"""

from __future__ import annotations

import io
import json
import struct
import tempfile
import zlib

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from ui import DEMO_CATALOG, Engines, create_app

SEARCH, IMAGE_SEARCH = "/api/v1/search", "/api/v1/search/image"
PRODUCTS = json.loads((DEMO_CATALOG / "products.json").read_text())


@pytest.fixture(scope="module")
def engines(service_engines) -> Engines:
    return service_engines


@pytest.fixture(scope="module")
def client(engines: Engines, widget_secret: str):
    with TestClient(create_app(engines), headers={"X-API-Key": widget_secret}) as test_client:
        yield test_client


def upload(client: TestClient, data: bytes, k: int = 5, name: str = "photo.jpg"):
    return client.post(IMAGE_SEARCH, params={"k": k}, files={"image": (name, data, "image/jpeg")})


def png_header(width: int, height: int) -> bytes:
    """A PNG that only declares its size: enough to test refusal before any pixel is decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_text_search_returns_k_results_best_first(client: TestClient):
    response = client.get(SEARCH, params={"q": "a top", "k": 7})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "a top" and body["k"] == 7 and body["message"] is None
    hits = body["results"]
    assert len(hits) == 7
    scores = [hit["score"] for hit in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(-1.001 <= s <= 1.001 for s in scores)
    known = {p["id"]: p for p in PRODUCTS}
    for hit in hits:
        assert set(hit) == {"id", "title", "attributes", "score", "image_url"}
        assert hit["title"] == known[hit["id"]]["title"]
        assert hit["attributes"] == known[hit["id"]]["attributes"]
        assert kind(hit["attributes"]) in TOPS  # "a top" binds: the whole family, nothing else
    assert len({hit["id"] for hit in hits}) == 7


def kind(attributes: dict) -> str:
    """A product's type as the catalog names it: "articleType" (Fashion Product Images), "product_type_name" (H&M)."""
    return attributes.get("articleType", attributes.get("product_type_name"))


def colour(attributes: dict) -> str:
    return attributes.get("baseColour", attributes.get("colour_group_name"))


TOPS = {"Tops", "Tshirts", "Shirts", "Sweaters", "Shirt", "Blouse", "Sweater"}


@pytest.mark.parametrize(("query", "types", "not_colour"), [
    ("any top but black", TOPS, "Black"),
    ("a red dress, not black", {"Dresses", "Dress"}, "Black"),
])
def test_text_search_binds_the_garment_and_the_excluded_colour(client: TestClient, query, types, not_colour):
    hits = client.get(SEARCH, params={"q": query, "k": 48}).json()["results"]
    assert hits and all(kind(h["attributes"]) in types and colour(h["attributes"]) != not_colour for h in hits)


def test_text_search_with_no_match_says_so_and_offers_the_nearest(client: TestClient):
    body = client.get(SEARCH, params={"q": "a green dress", "k": 10}).json()
    assert body["message"] == "no green dresses; these are dresses in other colours"
    assert body["results"] and all(kind(h["attributes"]) in {"Dresses", "Dress"} for h in body["results"])


@pytest.mark.parametrize(("query", "message"), [("blorp zzz qwerty", "no fashion request"),
                                                ("a black dress, not black", "rules black out")])
def test_text_search_refuses_nonsense_and_contradictions(client: TestClient, query, message):
    response = client.get(SEARCH, params={"q": query})
    assert response.status_code == 422 and message in response.json()["detail"]


@pytest.mark.parametrize(
    ("query", "types"),
    [
        ("jeans", {"Jeans"}),
        ("watch", {"Watches"}),
        ("handbag", {"Handbags"}),
        ("shirt", {"Shirts", "Shirt"}),
    ],
)
def test_plain_product_words_find_that_kind_of_product_first(client: TestClient, query: str, types: set[str]):
    top = client.get(SEARCH, params={"q": query, "k": 1}).json()["results"][0]
    assert kind(top["attributes"]) in types


def test_text_search_defaults_to_ten_results(client: TestClient):
    assert len(client.get(SEARCH, params={"q": "a top"}).json()["results"]) == 10


def test_k_larger_than_the_catalog_returns_every_product(client: TestClient):
    # A style is a soft signal: it ranks, it removes nothing.
    assert len(client.get(SEARCH, params={"q": "something vintage", "k": 100}).json()["results"]) == len(PRODUCTS)


@pytest.mark.parametrize(
    "params",
    [
        {"q": ""},
        {"q": "   "},
        {"q": "\t\n"},
        {"q": "a" * 501},
        {},
        {"q": "dress", "k": 0},
        {"q": "dress", "k": 101},
        {"q": "dress", "k": -3},
        {"q": "dress", "k": "ten"},
    ],
)
def test_invalid_text_search_is_422(client: TestClient, params: dict):
    response = client.get(SEARCH, params=params)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_image_url_serves_the_product_photo(client: TestClient):
    hit = client.get(SEARCH, params={"q": "watch", "k": 1}).json()["results"][0]
    response = client.get(hit["image_url"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(response.content)).size[0] > 0


def test_unknown_product_image_is_404(client: TestClient):
    assert client.get("/api/v1/products/no-such-id/image").status_code == 404


@pytest.mark.parametrize("product_id", ["30615", "56882", "hm-0747346001"])
def test_image_search_with_a_catalog_photo_finds_that_product_first(client: TestClient, product_id: str):
    row = next(p for p in PRODUCTS if p["id"] == product_id)
    response = upload(client, (DEMO_CATALOG / row["image"]).read_bytes(), k=4)
    assert response.status_code == 200
    body = response.json()
    assert body["query"] is None and body["k"] == 4
    hits = body["results"]
    assert len(hits) == 4 and hits[0]["id"] == product_id
    assert hits[0]["score"] == pytest.approx(1.0, abs=1e-3)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_image_search_accepts_png_with_alpha(client: TestClient):
    buffer = io.BytesIO()
    Image.new("RGBA", (64, 96), (200, 20, 20, 128)).save(buffer, "PNG")
    response = upload(client, buffer.getvalue(), name="red.png")
    assert response.status_code == 200 and len(response.json()["results"]) == 5


def test_large_upload_stays_in_memory(client: TestClient, monkeypatch: pytest.MonkeyPatch):
    # Starlette spools uploads over 1 MB to a temporary file; ours must never reach the disk.
    def refuse(*args, **kwargs):
        raise AssertionError("an upload was written to a temporary file")

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    buffer = io.BytesIO()
    Image.effect_noise((1200, 1200), 64).convert("RGB").save(buffer, "PNG")
    assert buffer.tell() > 2 * 2**20
    assert upload(client, buffer.getvalue(), name="big.png").status_code == 200


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"this is not an image",
        (DEMO_CATALOG / "images" / "30615.jpg").read_bytes()[:200],
        b"GIF89a" + b"\0" * 10,
        png_header(20_000, 20_000),
        png_header(4, 4),
    ],
    ids=["empty", "text", "truncated-jpeg", "bad-gif", "decompression-bomb", "too-small"],
)
def test_bad_image_upload_is_422_with_the_reason(client: TestClient, data: bytes):
    response = upload(client, data)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]


def test_oversized_upload_is_413(client: TestClient):
    assert upload(client, b"\xff" * (25 * 2**20)).status_code == 413


def test_upload_needs_multipart_with_an_image_field(client: TestClient):
    photo = (DEMO_CATALOG / "images" / "30615.jpg").read_bytes()
    raw = client.post(IMAGE_SEARCH, content=photo, headers={"content-type": "image/jpeg"})
    assert raw.status_code == 415
    wrong_field = client.post(IMAGE_SEARCH, files={"file": ("a.jpg", photo, "image/jpeg")})
    assert wrong_field.status_code == 422
    assert upload(client, photo, k=0).status_code == 422


def test_healthz_and_root_redirect(client: TestClient):
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["products"] == len(PRODUCTS) and health["encoder"]
    root = client.get("/", follow_redirects=False)
    assert root.status_code in (302, 307) and root.headers["location"].startswith("/app")


def test_app_serves_the_gradio_page(client: TestClient):
    response = client.get("/app/")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert "gradio" in response.text.lower()


def test_openapi_lists_the_endpoints(client: TestClient):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert {"/api/v1/search", "/api/v1/search/image", "/api/v1/products/{product_id}/image", "/healthz"} <= set(paths)
    assert "multipart/form-data" in paths["/api/v1/search/image"]["post"]["requestBody"]["content"]
    assert "SearchResponse" in spec["components"]["schemas"]


def test_gradio_client_calls_catalog_search(live_url: str):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(f"{live_url}/app/", verbose=False)
    gallery, note = client.predict("a top", 6, api_name="/search")
    assert len(gallery) == 6 and note == ""
    captions = [item["caption"] for item in gallery]
    assert all(" · " in caption for caption in captions)
    scores = [float(caption.rsplit(" · ", 1)[1]) for caption in captions]
    assert scores == sorted(scores, reverse=True)
    with pytest.raises(AppError, match="empty"):
        client.predict("   ", 6, api_name="/search")
    with pytest.raises(AppError, match="no fashion request"):
        client.predict("blorp zzz qwerty", 6, api_name="/search")
    gallery, note = client.predict("a green dress", 6, api_name="/search")
    assert gallery and "no green dresses" in note


def test_gradio_client_calls_image_search(live_url: str, tmp_path):
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    client = Client(f"{live_url}/app/", verbose=False)
    photo = DEMO_CATALOG / "images" / "hm_0747346001.jpg"
    gallery, note = client.predict(handle_file(str(photo)), 3, api_name="/search_image")
    assert len(gallery) == 3 and gallery[0]["caption"].startswith("Dress Midi Wrap") and note == ""
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(photo.read_bytes()[:2000])
    with pytest.raises(AppError, match="not a readable image"):
        client.predict(handle_file(str(truncated)), 3, api_name="/search_image")


PERSON = DEMO_CATALOG / "tryon" / "people" / "00055_00.jpg"


def test_gradio_client_parses_into_editable_chips(live_url: str):
    from gradio_client import Client

    client = Client(f"{live_url}/app/", verbose=False)
    update = client.predict("try the red polo on me in M, make it vintage", api_name="/parse")
    assert update["value"] == ["garment: polo shirt", "colour: red", "size: M", "style: vintage"]
    assert [choice[0] for choice in update["choices"]] == update["value"]


def test_gradio_client_tries_on_from_words_and_edited_chips(live_url: str):
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    client = Client(f"{live_url}/app/", verbose=False)
    image, note, looks = client.predict(handle_file(str(PERSON)), "", "the polo please",
                                        ["size: L", "colour: burgundy"], api_name="/tryon")
    assert Image.open(image).size == Image.open(PERSON).size
    assert "polo" in note.lower() and "size L" in note and "burgundy" in note
    # Every recommendation's reasons in full in the note (a gallery caption is cut to one line).
    assert looks and "You might also like" in note and all(item["caption"] in note for item in looks)
    # Words that name nothing: the try-on stands, and the note says the looks go with the garment instead.
    _, note, looks = client.predict(handle_file(str(PERSON)), "09163_00", "blorp zzz qwerty", [], api_name="/tryon")
    assert "Your words name no garment, colour, size, style or budget" in note and looks
    with pytest.raises(AppError, match="upload a photo"):
        client.predict(None, "", "the polo", [], api_name="/tryon")
    with pytest.raises(AppError, match="slot: value"):
        client.predict(handle_file(str(PERSON)), "09163_00", "", ["burgundy"], api_name="/tryon")


def test_gradio_client_restyles_side_by_side_with_a_download(live_url: str):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(f"{live_url}/app/", verbose=False)
    looks, archive, applied = client.predict(["09163_00", "14673_00"], None, ["vintage", "boho"], None, "", "", 0.8,
                                             False, api_name="/restyle")
    assert [item["caption"].split(" · ")[0] for item in looks] == ["vintage", "boho", "vintage", "boho"]  # look first
    assert applied.count("vintage: rust, mustard") == 2 and "paisley" in applied  # what each look applied
    from gradio_client import handle_file

    reference = handle_file(str(DEMO_CATALOG / "tryon" / "garments" / "053319_1.jpg"))
    looks, _, applied = client.predict(["04469_00"], None, [], reference, "", "", 0.8, False, api_name="/restyle")
    assert [item["caption"].split(" · ")[0] for item in looks] == ["reference picture"] and "; " in applied
    import zipfile

    assert len(zipfile.ZipFile(archive).namelist()) == 4
    with pytest.raises(AppError, match="at least one garment"):
        client.predict([], None, ["vintage"], None, "", "", 0.8, False, api_name="/restyle")


def test_gradio_key_management_is_not_in_the_app_api(live_url: str):
    """Key management is for the product tab's page only (tests/test_browser.py drives it): no script can find or
    call it through gradio_client."""
    from gradio_client import Client

    client = Client(f"{live_url}/app/", verbose=False)
    listed = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert {"/tryon", "/parse", "/restyle", "/search"} <= listed
    assert not listed & {"/list_keys", "/create_key", "/revoke_key"}
    assert not any("strip" in name for name in listed)


@pytest.mark.data
def test_gradio_trends_rank_each_kind_for_a_month(live_url: str, data_dir, tmp_path):
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    client = Client(f"{live_url}/app/", verbose=False)
    plot, table = client.predict("2019-09", 5, None, api_name="/trends")
    rows = table["data"]
    kinds = [row[table["headers"].index("kind")] for row in rows]
    assert sorted(set(kinds)) == ["category", "color", "fabric"] and len(rows) == 15
    shares = [row[table["headers"].index("probability")] for row in rows]
    assert all(0 < share <= 1 for share in shares) and plot
    with pytest.raises(AppError, match="outside"):
        client.predict("2031-01", 5, None, api_name="/trends")
    not_trends = tmp_path / "not_trends.csv"
    not_trends.write_text("a,b\n1,2\n")
    with pytest.raises(AppError, match="date"):
        client.predict("2019-09", 5, handle_file(str(not_trends)), api_name="/trends")


@pytest.mark.parametrize("scheme, server, host, root_path", [
    ("http", ("127.0.0.1", 7860), b"shop.example:8080", ""),  # behind a proxy that passes the shop's Host
    ("https", ("10.0.0.1", 443), None, "/atelier"),  # no Host header, a default port, mounted under a path
    ("http", ("10.0.0.1", 7860), None, ""),
])
def test_photo_urls_are_those_the_router_builds_with_the_id_percent_encoded(scheme, server, host, root_path):
    from starlette.requests import Request

    from ui.api.routers.recsys import _image_urls, router

    class Catalog:
        products = {"a b?c#d": None, "30615": None}

    request = Request({"type": "http", "scheme": scheme, "server": server, "root_path": root_path, "path": "/",
                       "query_string": b"", "headers": [(b"host", host)] if host else []})
    built = str(router.url_path_for("product_image", product_id="30615").make_absolute_url(request.base_url))
    assert _image_urls(request, Catalog, ["30615", "a b?c#d", "gone"]) == [
        built, built.replace("/30615/", "/a%20b%3Fc%23d/"), None]
