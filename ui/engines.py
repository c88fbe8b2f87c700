"""The models and the store behind the app, loaded once and shared by the REST API and the Gradio UI.

Both front ends call ``Engines`` methods, so input limits, locking and privacy rules live in one place:
shoppers' photos are decoded in memory and dropped after the request, unless the shopper asks to keep one
(``keep_photo``), which ``delete_user`` removes with the rest of their data.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
from PIL import Image

from atelier_io import MicroBatcher, load_image
from recsys import (
    Catalog,
    Encoder,
    Product,
    Recommendations,
    SearchHit,
    SearchResult,
    Shop,
    Store,
    create_encoder,
    read_products,
)
from style import RestyleOutput
from tryon import (
    Ask,
    Choice,
    Parser,
    ParseResult,
    Wearable,
    ask_from,
    choose_garment,
    load_parser,
    load_tryon,
    read_wearables,
)

from . import DEMO_CATALOG
from .drawing import Drawing, draw_restyle, draw_try_on, yield_runtime_threads
from .keys import KeyStore, RateLimiter
from .observe import model_seconds, model_time
from .served_store import open_store, store_location
from .trends_view import demo_trends_store
from .uploads import MAX_TEXT_CHARS, check_k, check_query, check_user_id, decode_upload
from .vault import PhotoVault, private_folder, write_private

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class TryOnResult:
    image: Image.Image  # read from ``png`` when its pixels are first needed
    png: bytes  # the try-on as the drawing process compressed it
    garment: Wearable
    message: str | None  # how the garment differs from the request ("no t-shirt here; closest: the polo")
    size: str | None
    colour: str | None
    style: str | None
    kept_photo: bool
    seconds: float


class SharedTextTower:
    """An encoder whose text tower any number of threads may call at once: their calls are gathered into batched
    calls (``atelier_io.MicroBatcher``), so the tokenizer runs in one thread at a time (a Hugging Face tokenizer
    rewrites its padding settings on every call: "Already borrowed" in a second thread), and on a float tower a
    burst of requests costs a few calls, not one each (the default int8 tower runs each text of a batch alone).
    Embeddings match encoding alone to float rounding. Images pass through."""

    def __init__(self, encoder: Encoder):
        self.encoder, self.name = encoder, encoder.name
        self._texts = MicroBatcher(self._encode_calls)

    @classmethod
    def around(cls, encoder: Encoder) -> SharedTextTower:
        """``encoder`` with a shared text tower: itself if it is one already (Engines sharing one encoder share its
        batches, so the tokenizer still runs in one thread at a time)."""
        return encoder if isinstance(encoder, cls) else cls(encoder)

    def encode_images(self, images: Sequence, batch_size: int = 32) -> np.ndarray:
        return self.encoder.encode_images(images, batch_size)

    def encode_texts(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        if isinstance(texts, str):  # batched with others, a string would be split into its characters
            raise TypeError("texts must be a list of strings, got str")
        return self._texts((texts, batch_size))

    def _encode_calls(self, calls: list[tuple[Sequence[str], int]]) -> list[np.ndarray]:
        if len(calls) == 1:  # alone: exactly the backend's call, its errors included
            return [self.encoder.encode_texts(*calls[0])]
        vectors = self.encoder.encode_texts([text for texts, _ in calls for text in texts],
                                            min(size for _, size in calls))
        return np.split(vectors, np.cumsum([len(texts) for texts, _ in calls])[:-1])


@dataclass
class Engines:
    """Everything the app serves with. Tests build their own with ``Engines.load(catalog, db=...)``."""

    encoder: Encoder
    store: Store
    parser: Parser
    drawing: Drawing  # try-ons and restyles, with the try-on pipeline (in a process of its own when served)
    garments: list[Wearable]
    data_dir: Path
    # Model calls a minute for each browser address of the public Gradio app (which has no API key to limit).
    app_rate: int = 30
    demo: bool = False  # serving the shipped demo catalog: its trends come from the shipped sample (trends_store)
    keys: KeyStore = field(init=False, repr=False)
    limiter: RateLimiter = field(init=False, repr=False)  # counts in the store: shared by every worker
    photos: PhotoVault = field(init=False, repr=False)
    # Each call takes only the lock its models need, so light requests never wait behind a drawing:
    # - heavy: try-on and restyle, one at a time. MediaPipe's graphs are not thread-safe, and on 2 cores a second
    #   drawing would take the core the light requests run on. More at once: `atelier serve --workers N`.
    # - _refreshing: refresh, so that two refreshes in a row land in order (the later one has read the later store).
    # - none: the text tower (SharedTextTower batches concurrent calls), parsing (ONNX Runtime runs concurrent
    #   calls; the tokenizer locks its own settings), image search (the image tower has no tokenizer),
    #   recommendations, and every read of the served snapshot, which refresh replaces whole.
    heavy: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)
    _refreshing: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)
    _served: Served = field(init=False, repr=False, compare=False)
    _demo_trends: Store | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.encoder = SharedTextTower.around(self.encoder)
        self.keys = KeyStore(self.store.engine)
        self.limiter = RateLimiter(self.store.engine)
        self.photos = PhotoVault(self.data_dir / "photos")
        self.parser("a red dress")  # sets its tokenizer's truncation now, before parses run unlocked in threads
        self.refresh()

    @classmethod
    def load(cls, catalog: str | Path | None = None, db: str | Path | None = None, ingest: bool = True) -> Engines:
        """The default models, the store at ``db`` (default ``recsys.default_db()``) and ``catalog`` (default: the
        demo catalog), whose products are written into the store (updated where their ids are already there).
        ``ingest=False``: they are there already (a worker of ``atelier serve --workers N``: its supervisor wrote
        them once, so that N workers do not write the same rows at once)."""
        start = time.perf_counter()
        folder = Path(catalog or DEMO_CATALOG)
        products = read_products(folder)  # a bad catalog folder fails here, before the slow model loads
        garments = read_wearables(folder)
        db, data_dir = store_location(db)
        # The drawing process loads the try-on models while this one opens the store and loads its own models
        drawing = Drawing.in_process(data_dir, load_tryon)
        try:
            store = open_store(db, products if ingest else None, folder)
            engines = cls(create_encoder(for_requests=True), store, load_parser(), drawing, garments, data_dir,
                          demo=folder.resolve() == DEMO_CATALOG)
            drawing.ready()
        except BaseException:  # a store that is down, a model that will not load: no drawing process left behind
            drawing.close(wait=True)
            raise
        yield_runtime_threads()
        log.info("loaded the models and %d products in %.1f s", len(engines.products), time.perf_counter() - start)
        return engines

    def close(self) -> None:
        """End the drawing process (``Engines.load``'s): its models' memory goes with it."""
        self.drawing.close()

    def trends_store(self) -> Store:
        """The store whose trends the product tab ranks: this one, or, while the demo catalog's store has no
        interactions, the shipped sample in a store of its own beside it (never mixed into this one)."""
        if not self.demo or self.store.counts()["interactions"]:
            return self.store
        if self._demo_trends is None:
            self._demo_trends = demo_trends_store(self.data_dir / "demo-trends.db")
        return self._demo_trends

    def refresh(self) -> None:
        """Re-read the store: the recommender and the search catalog over its items (after ingestion). The new
        snapshot replaces the old in one assignment: a request reads the old one or the new one, never a mix."""
        with self._refreshing:  # two refreshes in a row must land in order (the later one read the later store)
            generation = self.store.generation()  # read first: a write during the build makes it stale, not lost
            shop = Shop.from_store(self.store, self.encoder)
            ids, matrix = self.store.embeddings(self.encoder.name)
            row = {item_id: i for i, item_id in enumerate(ids)}
            items = shop.items[shop.items["image_path"].notna() & shop.items["id"].isin(row)]
            products = [Product(r.id, Path(r.image_path), r.title, r.attributes, _text(r.category), _text(r.colour),
                                None if pd.isna(r.price) else float(r.price)) for r in items.itertuples()]
            catalog = Catalog(products, matrix[[row[p.id] for p in products]], self.encoder)
            titles = dict(zip(shop.items["id"], shop.items["title"], strict=True))
            self._served = Served(catalog, shop, {p.id: p for p in products}, titles, generation)

    def current(self) -> Served:
        """The served snapshot, re-read first if the store changed since it was read: with `atelier serve --workers
        N` a sibling worker may have ingested a catalog or deleted a user, whose history must not stay in this
        worker's recommender. One small query a request."""
        if self.store.generation() != self._served.generation:
            self.refresh()
        return self._served

    @property
    def catalog(self) -> Catalog:
        return self._served.catalog

    @property
    def shop(self) -> Shop:
        return self._served.shop

    @property
    def products(self) -> dict[str, Product]:
        return self._served.products

    @property
    def titles(self) -> dict[str, str]:
        return self._served.titles

    # --- search ------------------------------------------------------------------------------------------
    def search_text(self, query: str, k: int) -> SearchResult:
        """The catalog's products for a request in words: parsed once here, its filters bind (``Catalog.search``);
        ``recsys.RequestError`` (a ValueError) for words with no fashion request, contradictions, impossible budgets."""
        check_query(query, k)
        ask = self.ask(query)[1]
        catalog = self.current().catalog
        with model_time("search"):
            return catalog.search(ask, k=k)

    def search_image(self, image: bytes | Image.Image, k: int) -> list[SearchHit]:
        """Products most like an uploaded photo; raises ``atelier_io.ImageError`` for anything not a usable image."""
        check_k(k)
        # validate before taking the lock, so bad uploads never queue
        decoded = image if isinstance(image, Image.Image) else decode_upload(image)
        catalog = self.current().catalog
        with model_time("search_image"):
            return catalog.search_image(decoded, k=k)

    # --- understanding and try-on ------------------------------------------------------------------------
    def parse(self, text: str) -> ParseResult:
        if isinstance(text, str) and len(text) > MAX_TEXT_CHARS:
            raise ValueError(f"the text has {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}")
        with model_time("parse"):
            return self.parser(text)

    def ask(self, text: str | None, garment: str | None = None, colour: str | None = None, size: str | None = None,
            style: str | None = None) -> tuple[ParseResult | None, Ask]:
        """The one place a front end's words become a request: ``text`` parsed once (None or blank: nothing to
        parse), then what the shopper set explicitly (a field, an edited chip) wins over what the words said."""
        parsed = self.parse(text) if text and text.strip() else None
        return parsed, ask_from(parsed).edited(garment=garment, colour=colour, size=size, style=style)

    def garment(self, garment_id: str) -> Wearable:
        for garment in self.garments:
            if garment.id == garment_id:
                return garment
        raise KeyError(f"no garment {garment_id!r} to try on; the catalog has {[g.id for g in self.garments]}")

    def try_on(self, person: bytes | Image.Image, garment_id: str | None = None, ask: Ask | None = None,
               user_id: str | None = None, keep_photo: bool = False) -> TryOnResult:
        """The shopper wearing a garment: ``garment_id``, else the one the request's words choose
        (``tryon.choose_garment``: type, then colour and details, then closeness of the words to the titles). The
        request (``Engines.ask``) gives the size, colour and a style to restyle the garment into first."""
        start = time.perf_counter()
        photo = person if isinstance(person, Image.Image) else decode_upload(person, "person photo")
        if keep_photo and user_id is None:
            raise ValueError("keep_photo needs a user_id to keep the photo under (and to delete it later)")
        ask = ask or Ask()
        choice = Choice(self.garment(garment_id)) if garment_id else choose_garment(ask, self.garments,
                                                                                    self.title_similarity)
        garment = choice.garment
        if garment_id is None and not choice.recolour:
            ask = replace(ask, colour=None)  # the chosen garment already has the colour asked for: keep its own look
        with self.heavy:
            try:
                out = self.drawing.run(draw_try_on, photo, garment.image_path, garment.category, ask, garment.sleeves)
            except ValueError as err:  # the error names the garment it was about
                raise type(err)(f"{garment.title}: {err}") from err
        model_seconds(out.seconds)  # /metrics is served from this process
        kept = bool(keep_photo) and self.photos.keep(user_id, photo) is not None
        return TryOnResult(Image.open(io.BytesIO(out.png)), out.png, garment, choice.message, out.size, out.colour,
                           ask.style, kept, time.perf_counter() - start)

    def title_similarity(self, words: str, titles: list[str]) -> list[float]:
        """How close ``words`` are to each title (the encoder's text tower): the last tie-break of a choice."""
        with model_time("encode_text"):
            texts = self.encoder.encode_texts([words, *titles])
        return (texts[1:] @ texts[0]).tolist()

    # --- restyle -----------------------------------------------------------------------------------------
    def restyle(self, image: bytes | Image.Image, style: str | None = None,
                style_image: bytes | Image.Image | None = None,
                user_id: str | None = None, strength: float = 0.8, preserve_colour: bool = False) -> RestyleOutput:
        """A garment photo in a named style, a reference picture's style, or a customer's taste (their history);
        the output says what was applied ("vintage: cream, rust, ...; small ditsy floral; cotton, faded")."""
        if sum(x is not None for x in (style, style_image, user_id)) != 1:
            raise ValueError("give exactly one of style (a name), style_image or user_id (a customer's taste)")
        photo = image if isinstance(image, Image.Image) else decode_upload(image, "garment photo")
        if style_image is not None:  # the stylist tab hands in a picture it already decoded under the upload rules
            target = style_image if isinstance(style_image, Image.Image) else decode_upload(style_image, "style image")
        elif user_id is not None:
            paths = self.store.history_images(check_user_id(user_id))  # KeyError for an unknown user
            if not paths:
                raise ValueError(f"user {user_id!r} has no items with photos in their history: no taste to read")
            target = [load_image(p) for p in paths]
        else:
            target = style
        with self.heavy:
            out, seconds = self.drawing.run(draw_restyle, photo, target, strength, preserve_colour)
        model_seconds(seconds)
        return out

    # --- recommendations, catalog and users ----------------------------------------------------------------
    def recommend(self, user_id: str | None = None, ask: Ask | None = None, history: list[str] | None = None,
                  k: int = 10, like: str | None = None) -> Recommendations:
        """For a stored user, a request (``Engines.ask``, with an optional history) or a list of item ids. ``like``:
        words to rank by when the request has none (the garment being tried on); see ``Shop.for_ask``."""
        check_k(k)
        shop = self.current().shop  # one snapshot for the whole call, whatever a refresh does meanwhile
        if ask is not None:
            past = self.history(user_id)["item_id"].tolist() if user_id else list(history or [])
            with model_time("recommend"):
                return shop.for_ask(ask, k, history=past, like=like)
        if user_id is not None:
            with model_time("recommend"):
                return shop.for_user(check_user_id(user_id), k)
        if history:
            with model_time("recommend"):
                return shop.for_history(history, k)
        raise ValueError("give a user_id, a text or a history of item ids")

    def ingest_items(self, items: pd.DataFrame, images: dict[str, Image.Image]) -> int:
        """Write items (and their photos, re-encoded without metadata) into the store; all or nothing. Photos are
        named by their content, so a failed batch never overwrites a stored item's photo; its new files go."""
        folder = private_folder(self.data_dir / "items")
        named, created = {}, []
        for item_id, image in images.items():
            buffer = io.BytesIO()
            image.save(buffer, "PNG")
            path = folder / f"{hashlib.sha256(buffer.getvalue()).hexdigest()[:24]}.png"
            if not path.exists():
                created.append(write_private(path, buffer.getvalue()))
            named[item_id] = path.name
        frame = items.assign(image_path=[named.get(str(i)) for i in items["id"]]) if named else items
        try:  # items without photos: no image folder to look them up in
            report = self.store.ingest(items=frame, image_dir=folder if named else None)[0]
        except Exception:
            for path in created:
                path.unlink(missing_ok=True)
            raise
        self.refresh()
        return report.inserted + report.updated

    def history(self, user_id: str) -> pd.DataFrame:
        return self.store.interactions(check_user_id(user_id))

    def add_interactions(self, user_id: str, rows: pd.DataFrame) -> int:
        self.store.ingest(interactions=rows.assign(user_id=check_user_id(user_id)))
        return len(rows)

    def delete_user(self, user_id: str) -> tuple[int, int, int]:
        """(interactions, reviews, kept photos) deleted. A user with neither history nor photos: KeyError."""
        photos = self.photos.forget(check_user_id(user_id))
        try:
            gone = self.store.delete_user(user_id)
        except KeyError:
            if not photos:
                raise
            return 0, 0, photos
        self.refresh()  # the fitted recommender held their interactions in memory
        return gone.interactions, gone.reviews, photos


@dataclass(frozen=True)
class Served:
    """What requests read from the store's items: replaced whole by ``Engines.refresh``, never changed."""

    catalog: Catalog
    shop: Shop
    products: dict[str, Product]
    titles: dict[str, str]  # every store item's title, photo or not
    generation: int  # the store's generation it was read at (Store.generation)


def _text(value) -> str | None:
    """A store column's text, None for a missing value (pandas reads a NULL as NaN or None)."""
    return value if isinstance(value, str) else None
