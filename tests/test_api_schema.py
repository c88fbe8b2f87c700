"""Property-based tests of the whole REST API from its own OpenAPI schema (schemathesis): whatever a client sends,
within the schema or not, the answer is never a 5xx.

Every operation in /openapi.json gets the cases schemathesis builds for it (the schema's examples, boundary and
negative coverage cases, then random fuzzing), sent in-process to the ASGI app: once with an admin key, so that
the routes really run, and once with no key, where every keyed route must answer 401. Random text is never a
decodable image, so a third pass sends the image routes' cases with real photos in their image fields (and, for
half the cases, a real garment id and style name): the rest of each body stays random and reaches the models. The
app runs over the session's models but a store of its own, so random catalog items and user deletions cannot
reach the other service tests.

Why not ``@schema.parametrize()``: the app needs the session's engines, so the schema comes from a fixture, and
``schemathesis.pytest.from_fixture`` (4.32) sets ``Function._nodeid``, which pytest 9 no longer has. The loop below
builds the same per-operation Hypothesis tests the plugin builds (``get_all_tests``) and runs each one.
"""

from __future__ import annotations

import base64
import collections
from collections.abc import Callable
from pathlib import Path

import hypothesis
import pytest

schemathesis = pytest.importorskip("schemathesis")

from schemathesis import Case  # noqa: E402
from schemathesis.pytest.lazy import get_all_tests  # noqa: E402

SETTINGS = hypothesis.settings(
    max_examples=25,  # random cases per operation, after the examples and coverage cases: the file takes ~2 minutes
    deadline=None,  # try-on and restyle run real models: a valid call takes seconds
    derandomize=True,  # the same cases every run, so that a failure reproduces
    database=None,  # nothing written to .hypothesis/
    suppress_health_check=list(hypothesis.HealthCheck),
)
NO_KEY_SETTINGS = hypothesis.settings(SETTINGS, max_examples=5)
PHOTO_SETTINGS = hypothesis.settings(SETTINGS, max_examples=15)  # valid photos run the models: ~1 s a call
KEY_HEADER = "X-API-Key"
IMAGE_ROUTES = r"^/api/v1/(tryon|restyle|search/image|catalog)$"


@pytest.fixture(scope="module")
def schema_engines(service_engines, tmp_path_factory):
    """The session's models over a store of their own holding the demo catalog (no second model load)."""
    from recsys import Store, read_products
    from ui import DEMO_CATALOG, Engines
    from ui.served_store import items_frame

    db = tmp_path_factory.mktemp("schema_store") / "shop.db"
    store = Store(str(db))
    store.ingest(items=items_frame(read_products(DEMO_CATALOG)), image_dir=DEMO_CATALOG)
    return Engines(service_engines.encoder, store, service_engines.parser, service_engines.drawing,
                   service_engines.garments, db.parent)


@pytest.fixture(scope="module")
def schema_admin_secret(schema_engines) -> str:
    return schema_engines.keys.create("schemathesis (admin)", "admin", 10_000).secret


@pytest.fixture(scope="module")
def api_schema(schema_engines):
    from ui import create_app

    return schemathesis.openapi.from_asgi("/openapi.json", create_app(schema_engines))


def _described(case: Case, response) -> str:
    return (f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:1500]}\n"
            f"reproduce: {case.as_curl_command()}")


def _run_every_operation(schema, check: Callable[[Case], int], settings: hypothesis.settings,
                         expected: int = 14) -> dict[str, dict]:
    """Run ``check`` on every operation's generated cases; the status codes seen per operation, or the failure."""
    seen: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    failures: dict[str, str] = {}

    def test(case: Case) -> None:
        seen[case.operation.label][check(case)] += 1

    operations = 0
    for result in get_all_tests(schema=schema, test_func=test, settings=settings, given_kwargs={}):
        operation, run = result.ok()  # an operation the schema cannot describe fails here, by name
        operations += 1
        try:
            run()
        except Exception as err:  # Hypothesis re-raises the (shrunk) failing case's error; keep going
            notes = "\n".join(getattr(err, "__notes__", []))  # the falsifying case, as Hypothesis reports it
            failures[operation.label] = f"{type(err).__name__}: {err}\n{notes}"
    assert operations >= expected, f"only {operations} operations in the schema"
    assert not failures, "\n\n".join(f"{label}:\n{message}" for label, message in failures.items())
    for label, codes in sorted(seen.items()):  # shown with -s: what the cases got
        print(f"{label}: {sum(codes.values())} cases, status codes {dict(sorted(codes.items()))}")
    return {label: dict(codes) for label, codes in seen.items()}


def test_no_server_error_anywhere_with_an_admin_key(api_schema, schema_admin_secret):
    def check(case: Case) -> int:
        response = case.call(headers={KEY_HEADER: schema_admin_secret})
        assert response.status_code < 500, _described(case, response)
        return response.status_code

    seen = _run_every_operation(api_schema, check, SETTINGS)
    # The key really opened the routes: every keyed operation answered something other than 401 at least once.
    for label, codes in seen.items():
        assert set(codes) - {401}, f"{label} answered only 401 with an admin key: {codes}"
    # And the cases really reached the handlers: some succeeded beyond the trivial GETs.
    assert any(code == 200 for code in seen["POST /api/v1/recommend"]), seen["POST /api/v1/recommend"]


def _real_photos(case: Case, photos: dict[str, bytes], garment_ids: list[str]) -> None:
    """Real photos in the body's image fields; for even-length random ids and styles, real ones (half the cases)."""
    body = case.body
    if not isinstance(body, dict):
        return
    b64 = {name: base64.b64encode(data).decode() for name, data in photos.items()}
    if case.operation.path == "/api/v1/search/image":
        if "image" in body:
            body["image"] = photos["image"]
        return
    for item in body.get("items", []) if isinstance(body.get("items"), list) else []:  # /catalog
        if isinstance(item, dict) and "image" in item:
            item["image"] = b64["image"]
    for field in ("person_image", "image", "style_image"):
        if field in body:
            body[field] = b64[field]
    if isinstance(body.get("garment_id"), str) and len(body["garment_id"]) % 2 == 0:
        body["garment_id"] = garment_ids[len(body["garment_id"]) // 2 % len(garment_ids)]
    if isinstance(body.get("style"), str) and len(body["style"]) % 2 == 0:
        body["style"] = "vintage"


def test_no_server_error_on_the_image_routes_with_real_photos(api_schema, schema_admin_secret, schema_engines):
    from ui import DEMO_CATALOG

    product = next((DEMO_CATALOG / "images").iterdir())
    photos = {"person_image": (DEMO_CATALOG / "tryon" / "people" / "00034_00.jpg").read_bytes(),
              "image": schema_engines.garments[0].image_path.read_bytes(), "style_image": Path(product).read_bytes()}
    garment_ids = [g.id for g in schema_engines.garments]

    def check(case: Case) -> int:
        _real_photos(case, photos, garment_ids)
        response = case.call(headers={KEY_HEADER: schema_admin_secret})
        assert response.status_code < 500, _described(case, response)
        return response.status_code

    seen = _run_every_operation(api_schema.include(path_regex=IMAGE_ROUTES), check, PHOTO_SETTINGS, expected=4)
    assert any(code == 200 for codes in seen.values() for code in codes), seen


def test_keyed_routes_refuse_without_a_key(api_schema):
    def check(case: Case) -> int:
        if case.headers:
            case.headers.pop(KEY_HEADER, None)
        response = case.call()
        assert response.status_code < 500, _described(case, response)
        if case.operation.definition.raw.get("security"):
            assert response.status_code == 401, _described(case, response)
        return response.status_code

    _run_every_operation(api_schema, check, NO_KEY_SETTINGS)
