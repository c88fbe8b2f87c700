"""The store a server serves and its catalog written into it, with no model loaded: ``Engines.load`` starts here,
and so does the supervisor of ``atelier serve --workers N``, which prepares the store once before its workers load
their models (importing this module costs a fraction of a second; ``ui.engines`` costs four)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from recsys import Product, Store, default_db

from .vault import private_folder


def store_location(db: str | Path | None) -> tuple[str, Path]:
    """(the store's path or URL, default ``recsys.default_db()``; its private files folder). A SQLite file's folder
    is made private when it is new: nobody else reads the store."""
    db = str(db or default_db())
    if "://" not in db and not Path(db).parent.is_dir():
        private_folder(Path(db).parent)
    return db, files_folder(db if "://" not in db else default_db())


def open_store(db: str, products: list[Product] | None = None, image_dir: Path | None = None) -> Store:
    """The store at ``db`` (its tables migrated), with ``products`` written into it (updated where their ids are
    there already) when given. A store that is down or unreachable raises here, naming its URL."""
    store = Store(db)
    if "://" not in db:
        Path(db).chmod(0o600)  # SQLite gives its journal files the database's mode
    if products is not None:
        store.ingest(items=items_frame(products), image_dir=image_dir)
    return store


def files_folder(db: str | Path) -> Path:
    """The private folder beside a store's database for its kept photos and catalog photos: ``shop.db`` keeps
    them in ``shop-files/``, never in the database's folder itself, which may be anyone's working folder."""
    return private_folder(Path(db).with_name(Path(db).stem + "-files"))


def items_frame(products: list[Product]) -> pd.DataFrame:
    return pd.DataFrame({"id": [p.id for p in products], "title": [p.title for p in products],
                         "image_path": [str(p.image_path) for p in products],
                         "attributes": [p.attributes for p in products]})
