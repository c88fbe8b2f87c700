"""Real-browser tests: Debian's Chromium, driven by Playwright, against the whole app on a live server (``live_url``).

They check what only a browser shows: the Gradio try-on tab doing a try-on from an uploaded photo, Gradio's error
toast, the product tab's key management (its listeners are private, so only a page can drive them: an admin key
creates a key with its sites, a widget key is refused), and the embeddable <atelier-tryon> widget (shadow DOM, fetch,
FormData) on the demo shop page and on a shop of another origin (a second local server): CORS lets it try on with a
key listing that origin, and a key that does not list it is refused with the widget's message; and that /app, /docs
and /shop ask no host but this server (they must work offline). The module skips,
with the reason, where Chromium or Playwright is absent (``playwright install`` cannot download browsers here, so
the system's Chromium is used: ``apt-get install chromium``)."""

from __future__ import annotations

import functools
import html
import importlib.util
import json
import os
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PEOPLE = ROOT / "ui" / "demo_catalog" / "tryon" / "people"
GARMENTS = ROOT / "ui" / "demo_catalog" / "tryon" / "garments.json"
CHROMIUM = os.environ.get("ATELIER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
TIMEOUT_MS = 60_000  # a try-on takes 1-3 s here, the first Gradio page load several; CI machines may be slower
INSTRUCTION = "try the polo on me in M, make it vintage"
REFUSED_KEY = "This shop's try-on is not set up (API key)."  # the widget's message for a 401 or 403

# Checked before any fixture: skipping must not first load the engines and start the server (session fixtures).
_MISSING = ("playwright is not installed" if importlib.util.find_spec("playwright") is None
            else f"no Chromium at {CHROMIUM} (apt-get install chromium)" if not Path(CHROMIUM).is_file() else None)
pytestmark = pytest.mark.skipif(_MISSING is not None, reason=f"{_MISSING}: browser tests skipped")

# A loaded <img>: has a src and decoded to a real bitmap.
IMG_LOADED = "img => !!img.getAttribute('src') && img.complete && img.naturalWidth > 0"


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # --no-sandbox: CI and this machine run as root, where Chromium's sandbox refuses to start.
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda err: errors.append(str(err)))
    tab.errors = errors  # uncaught JavaScript errors, for the tests to assert none happened
    yield tab
    context.close()


@pytest.fixture(scope="module")
def person_photo() -> Path:
    photo = PEOPLE / "00055_00.jpg"
    assert photo.is_file(), f"demo person photo missing: {photo}"
    return photo


def _block(page, label: str):
    """The Gradio component block whose label is ``label`` (the innermost one, not a column around it)."""
    return page.locator(".block").filter(
        has=page.locator('[data-testid="block-label"]', has_text=label)).last


def _open_try_on_tab(page, live_url: str) -> None:
    page.goto(f"{live_url}/app/")
    page.get_by_role("tab", name="Try on").click()
    page.get_by_role("button", name="Try it on").wait_for(state="visible")


# --- the Gradio app ------------------------------------------------------------------------------------------------
def _gradio_try_on(page, live_url: str, photo: Path) -> None:
    """A shopper's try-on on the "Try on" tab; fails fast with the toast's text where Gradio shows an error."""
    _open_try_on_tab(page, live_url)
    upload = _block(page, "Your photo")
    upload.locator("input[type=file]").set_input_files(photo)
    preview = upload.locator("img").first  # the upload is done when the component previews the photo
    preview.wait_for(state="visible")
    page.wait_for_function(IMG_LOADED, arg=preview.element_handle())
    page.get_by_label("What would you like?").fill(INSTRUCTION)
    page.get_by_role("button", name="Try it on").click()

    result = _block(page, "You, wearing it").locator("img").first
    toast = page.get_by_test_id("toast-body")
    result.or_(toast).first.wait_for(state="visible")
    if toast.is_visible():
        page.wait_for_timeout(500)  # the toast's message renders just after its title
        pytest.fail(f"Gradio showed an error toast: {' '.join(toast.first.text_content().split())}")
    page.wait_for_function(IMG_LOADED, arg=result.element_handle())
    assert result.get_attribute("src")
    assert result.evaluate("img => img.naturalWidth") > 0
    assert not page.errors, page.errors


def test_gradio_try_on_shows_the_result(page, live_url, person_photo):
    _gradio_try_on(page, live_url, person_photo)
    # The page has no login, so it asks for no customer id (anyone could type anyone's).
    assert page.get_by_label("Customer id").count() == 0


def test_gradio_try_on_without_a_photo_shows_an_error_toast(page, live_url):
    _open_try_on_tab(page, live_url)
    page.get_by_label("What would you like?").fill(INSTRUCTION)
    page.get_by_role("button", name="Try it on").click()

    toast = page.get_by_test_id("toast-body").filter(has_text="upload a photo of yourself first")
    toast.wait_for(state="visible")
    assert _block(page, "You, wearing it").locator("img").count() == 0
    assert not page.errors, page.errors


# --- the product tab: API keys ------------------------------------------------------------------------------------
def _open_product_tab(page, live_url: str) -> None:
    page.goto(f"{live_url}/app/")
    page.get_by_role("tab", name="For product teams").click()
    page.get_by_role("button", name="Create key").wait_for(state="visible")


def test_key_management_in_the_product_tab(page, live_url, admin_secret, service_engines):
    _open_product_tab(page, live_url)
    page.get_by_label("Your admin key").fill(admin_secret)
    page.get_by_label("New key's name").fill("browser test shop")
    page.get_by_label("Sites whose pages may use it").fill("https://shop.example")
    page.get_by_role("button", name="Create key").click()

    new_key = page.get_by_label("The new key (copy it now")
    toast = page.get_by_test_id("toast-body")
    page.wait_for_function("box => box.value || document.querySelector('[data-testid=toast-body]')",
                           arg=new_key.element_handle())  # the key, or Gradio's error toast
    if toast.count():
        page.wait_for_timeout(500)  # the toast's message renders just after its title
        pytest.fail(f"Gradio showed an error toast: {' '.join(toast.first.text_content().split())}")
    secret = new_key.input_value()
    assert secret.startswith("atl_"), secret
    made = service_engines.keys.verify(secret)
    assert made is not None
    assert (made.name, made.scope, made.origins) == ("browser test shop", "widget", ("https://shop.example",))
    page.get_by_text(made.id, exact=True).first.wait_for(state="visible")  # the keys' table lists it
    assert secret in _block(page, "Embed snippet").text_content()  # the new widget key, filled into the snippet
    assert not page.errors, page.errors


def test_product_tab_refuses_a_widget_key(page, live_url, widget_secret):
    _open_product_tab(page, live_url)
    page.get_by_label("Your admin key").fill(widget_secret)
    page.get_by_role("button", name="Show keys").click()

    page.get_by_test_id("toast-body").filter(has_text="that is not a live admin key").wait_for(state="visible")
    assert not page.errors, page.errors


# --- each tab as a person sees it at 1400x1000: screenshots (kept in $ATELIER_SCREENSHOTS if set) -----------------
SCREEN = {"width": 1400, "height": 1000}


@pytest.fixture
def screenshots(tmp_path) -> Path:
    folder = Path(os.environ.get("ATELIER_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _in_view(locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= SCREEN["height"]


def _captions_whole(page) -> list[str]:
    """The gallery captions cut short (their text wider than their box)."""
    return page.eval_on_selector_all(".caption-label", "els => els.filter(e => e.scrollWidth > e.clientWidth + 1)"
                                     ".map(e => e.textContent)")


def test_try_on_tab_has_its_button_above_the_fold(page, live_url, screenshots):
    page.set_viewport_size(SCREEN)
    _open_try_on_tab(page, live_url)
    page.screenshot(path=screenshots / "tab_try_on.png")
    assert _in_view(page.get_by_role("button", name="Try it on"))
    assert not page.errors, page.errors


def test_stylist_tab_shows_every_look_whole(page, live_url, screenshots):
    page.set_viewport_size(SCREEN)
    page.goto(f"{live_url}/app/")
    page.get_by_role("tab", name="Stylist").click()
    go = page.get_by_role("button", name="Restyle")
    go.wait_for(state="visible")
    assert _in_view(go)
    page.get_by_role("checkbox").nth(2).check()  # a third garment: 3 x 4 default styles, three rows of looks
    go.click()
    gallery = _block(page, "Looks")
    gallery.locator("img").nth(11).wait_for(state="visible")
    page.screenshot(path=screenshots / "tab_stylist.png", full_page=True)
    bottom = gallery.bounding_box()["y"] + gallery.bounding_box()["height"]
    tiles = gallery.locator("img")
    assert tiles.count() == 12
    assert all(tiles.nth(i).bounding_box()["y"] + tiles.nth(i).bounding_box()["height"] <= bottom + 1
               for i in range(12)), "the gallery clips a row of looks"
    assert not _captions_whole(page)
    assert gallery.locator(".caption-label").first.text_content().startswith("vintage")  # the look leads
    assert not page.errors, page.errors


def test_search_tab_captions_are_whole(page, live_url, screenshots):
    page.set_viewport_size(SCREEN)
    page.goto(f"{live_url}/app/")
    page.get_by_role("tab", name="Catalog search").click()
    page.get_by_label("Describe what you want").fill("a red dress")
    page.get_by_role("button", name="Search", exact=True).click()
    _block(page, "Results").locator("img").first.wait_for(state="visible")
    page.screenshot(path=screenshots / "tab_search.png", full_page=True)
    assert not _captions_whole(page)
    assert not page.errors, page.errors


def test_product_tab_has_no_empty_tables(page, live_url, screenshots):
    page.set_viewport_size(SCREEN)
    _open_product_tab(page, live_url)
    page.screenshot(path=screenshots / "tab_product.png", full_page=True)
    # the shop's trends table stays hidden until there is a ranking: no stray "1 2 3" header row
    assert page.locator("th", has_text="1").count() == 0
    assert not page.errors, page.errors


# --- the widget on the demo shop page --------------------------------------------------------------------------------
def _open_shop(page, live_url: str):
    page.goto(f"{live_url}/shop")
    widget = page.locator("atelier-tryon")
    widget.locator("#go").wait_for(state="visible")  # the script defined the element and it built its shadow DOM
    return widget


def test_widget_tries_on_in_the_shop_page(page, live_url, person_photo):
    widget = _open_shop(page, live_url)
    garment_id = widget.get_attribute("product")
    titles = {g["id"]: g["title"] for g in json.loads(GARMENTS.read_text())}
    assert garment_id in titles, garment_id

    widget.locator("#photo").set_input_files(person_photo)
    widget.locator("#instruction").fill("size M, make it vintage")
    widget.locator("#go").click()

    result = widget.locator("#result")
    result.wait_for(state="visible")
    page.wait_for_function(IMG_LOADED, arg=result.element_handle())
    assert result.get_attribute("src").startswith("data:image/png;base64,")
    assert result.evaluate("img => img.naturalWidth") > 0
    status = widget.locator(".status")
    assert titles[garment_id] in status.inner_text()
    assert "size M" in status.inner_text()
    assert "error" not in (status.get_attribute("class") or "")
    assert widget.locator("#go").is_enabled()
    assert not page.errors, page.errors


def test_widget_reports_a_file_that_is_not_an_image(page, live_url, tmp_path):
    fake = tmp_path / "not-a-photo.jpg"
    fake.write_bytes(b"this is plain text, not a JPEG\n" * 20)
    widget = _open_shop(page, live_url)
    widget.locator("#photo").set_input_files(fake)
    widget.locator("#go").click()

    error = widget.locator(".status.error")
    error.wait_for(state="visible")
    assert "image" in error.inner_text().lower()  # the API's reason (e.g. "not a readable image"), shown as is
    assert not widget.locator("#result").is_visible()
    assert widget.locator("#go").is_enabled()  # ready for another go
    assert not page.errors, page.errors


def test_widget_without_a_photo_asks_for_one(page, live_url):
    widget = _open_shop(page, live_url)
    widget.locator("#go").click()
    widget.locator(".status.error").filter(has_text="Choose a photo").wait_for(state="visible")
    assert not page.errors, page.errors


# --- the widget on a shop of another origin --------------------------------------------------------------------------
OTHER_SHOP_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Another shop</title>
  <script src="{api}/widget/atelier-tryon.js" defer></script>
</head>
<body>
  <h1>{title}</h1>
  <atelier-tryon product="{garment_id}" api-key="{key}" api="{api}"></atelier-tryon>
</body>
</html>
"""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass  # no request lines in the test output


@pytest.fixture(scope="module")
def other_shop(tmp_path_factory):
    """A shop's own site: a second local web server, on another port than ``live_url`` and so on another origin,
    serving the pages the tests write into its folder. Yields (its origin, the folder)."""
    folder = tmp_path_factory.mktemp("other-shop")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()
    server.server_close()
    thread.join(timeout=30)


def _open_other_shop(page, live_url: str, other_shop, key: str, name: str):
    """The widget on a page of ``other_shop`` (``name``.html), with ``key`` and the first demo garment."""
    origin, folder = other_shop
    garment = json.loads(GARMENTS.read_text())[0]
    (folder / f"{name}.html").write_text(OTHER_SHOP_PAGE.format(
        api=live_url, title=html.escape(garment["title"]), garment_id=garment["id"], key=key))
    page.goto(f"{origin}/{name}.html")
    assert page.evaluate("location.origin") == origin != live_url  # a cross-origin embed, as on a real shop
    widget = page.locator("atelier-tryon")
    widget.locator("#go").wait_for(state="visible")
    return widget, garment


def _widget_try_on(widget, photo: Path) -> None:
    """Choose ``photo`` and press "Try it on"; returns once the widget shows a result or an error."""
    widget.locator("#photo").set_input_files(photo)
    widget.locator("#go").click()
    widget.locator("#result").or_(widget.locator(".status.error")).first.wait_for(state="visible")


def test_widget_embedded_on_another_origin_tries_on(page, live_url, other_shop, service_engines, person_photo):
    shop_origin = other_shop[0]
    key = service_engines.keys.create("other shop", "widget", 1000, origins=[shop_origin]).secret
    widget, garment = _open_other_shop(page, live_url, other_shop, key, "allowed")
    _widget_try_on(widget, person_photo)

    status = widget.locator(".status")
    assert "error" not in (status.get_attribute("class") or ""), status.inner_text()  # e.g. "Failed to fetch"
    result = widget.locator("#result")
    page.wait_for_function(IMG_LOADED, arg=result.element_handle())
    assert result.get_attribute("src").startswith("data:image/png;base64,")
    assert result.evaluate("img => img.naturalWidth") > 0
    assert garment["title"] in status.inner_text()
    assert not page.errors, page.errors


@pytest.mark.parametrize("origins", [[], ["https://shop.example"]], ids=["no-sites", "another-site"])
def test_widget_on_an_origin_its_key_does_not_list_is_refused(page, live_url, other_shop, service_engines,
                                                              person_photo, origins):
    key = service_engines.keys.create("a shop elsewhere", "widget", 1000, origins=origins).secret
    widget, _ = _open_other_shop(page, live_url, other_shop, key, f"refused-{len(origins)}")
    _widget_try_on(widget, person_photo)

    # The API's 403 reaches the widget (CORS answers refusals too), so it says why instead of "Failed to fetch".
    widget.locator(".status.error").filter(has_text=REFUSED_KEY).wait_for(state="visible")
    assert not widget.locator("#result").is_visible()
    assert not widget.locator("#result").get_attribute("src")
    assert widget.locator("#go").is_enabled()
    assert not page.errors, page.errors


# Each page, and what shows once it has rendered: the app's tabs, Swagger UI's list of routes, the shop's widget.
OWN_PAGES = {"/app/": "button[role=tab]", "/docs": ".opblock-summary-path", "/shop": "atelier-tryon"}


@pytest.mark.parametrize("path", OWN_PAGES)
def test_pages_render_with_no_request_leaving_the_server(page, live_url, path):
    """The app, the API docs (Swagger UI from the fastapi-offline package) and the demo shop ask no host but this
    server: a font or script from a CDN would leave a page blank or half-styled offline."""
    from urllib.parse import urlparse

    host = urlparse(live_url).hostname
    elsewhere: list[str] = []

    def only_here(route):
        if urlparse(route.request.url).hostname == host:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_here)
    page.goto(f"{live_url}{path}")
    page.locator(OWN_PAGES[path]).first.wait_for(state="visible")
    page.wait_for_load_state("networkidle")  # the fonts and lazy scripts a page asks for after it renders
    assert not elsewhere, elsewhere
    assert not page.errors, page.errors
    if path == "/docs":
        assert page.locator(".opblock-summary-path", has_text="/api/v1/restyle").count() == 1
