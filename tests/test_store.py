"""The recommender's store on a real SQLite file and on a real PostgreSQL server (the ``db_url`` fixture): ingestion
and read-back, upserts, all-or-nothing failures, bad input named in the error, cascading user deletion,
incremental embeddings with the real encoder, and the CLI."""

from __future__ import annotations

import re
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from atelier_cli import main
from recsys import ID_PATTERN, Store, StoreError, default_db, read_table

DEMO_IMAGES = Path(__file__).resolve().parents[1] / "ui" / "demo_catalog" / "images"
PHOTOS = ("49633", "57043")  # two real product photos shipped with the demo catalog


def item_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["49633", "57043", "scarf"],
            "title": ["Mineral Coral Dress", "Elle Black Dress", "Red wool scarf"],
            "price": ["59.5", "45", None],
            "currency": ["EUR", "EUR", None],
            "articleType": ["Dresses", "Dresses", "Scarves"],  # not a schema column: becomes an attribute
        }
    )


def review_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "review_id": ["r1", "r2", "r3"],
            "item_id": ["49633", "49633", "scarf"],
            "user_id": ["ann", "bob", None],
            "text": ["Lovely colour", "Runs small", "Warm"],
            "rating": ["5", "3", "4"],
            "created_at": ["2024-05-01", "2024-05-03T10:00:00Z", None],
        }
    )


def interaction_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ["ann", "ann", "bob", "cat"],
            "item_id": ["49633", "scarf", "57043", "57043"],
            "kind": ["rental", "purchase", "rental", "view"],
            "ts": ["2024-04-01", "2024-05-02", "2024-03-01", "2024-06-01"],
        }
    )


@pytest.fixture
def images(tmp_path) -> Path:
    folder = tmp_path / "images"
    folder.mkdir()
    for name in PHOTOS:
        shutil.copy(DEMO_IMAGES / f"{name}.jpg", folder)
    return folder


@pytest.fixture
def store(db_url, images) -> Store:
    with Store(db_url) as store:
        store.ingest(items=item_frame(), image_dir=images, reviews=review_frame(), interactions=interaction_frame())
        yield store


def snapshot(store: Store) -> dict:
    return {
        "counts": store.counts(),
        "items": store.items().drop(columns="updated_at"),
        "reviews": store.reviews(),
        "interactions": store.interactions(),
    }


def assert_unchanged(store: Store, before: dict) -> None:
    after = snapshot(store)
    assert after["counts"] == before["counts"]
    for table in ("items", "reviews", "interactions"):
        pd.testing.assert_frame_equal(after[table], before[table])


def test_ingest_and_read_back(store, images):
    items = store.items().set_index("id")
    assert list(items.index) == ["49633", "57043", "scarf"]
    assert items.loc["49633", "price"] == 59.5 and items.loc["49633", "currency"] == "EUR"
    assert items.loc["49633", "attributes"] == {"articleType": "Dresses"}
    assert items.loc["49633", "image_path"] == str((images / "49633.jpg").resolve())
    assert pd.isna(items.loc["scarf", "image_path"]) and pd.isna(items.loc["scarf", "price"])

    reviews = store.reviews("49633")
    assert list(reviews["id"]) == ["r1", "r2"] and list(reviews["rating"]) == [5.0, 3.0]
    assert reviews["created_at"].iloc[1] == pd.Timestamp("2024-05-03 10:00:00")
    history = store.interactions("ann")
    assert list(history["item_id"]) == ["49633", "scarf"] and list(history["kind"]) == ["rental", "purchase"]
    assert list(store.users()["id"]) == ["ann", "bob", "cat"]  # created by the reviews and interactions
    assert store.counts() == {"users": 3, "items": 3, "reviews": 3, "interactions": 4, "embeddings": 0}


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_read_table_formats(tmp_path, db_url, suffix):
    frame = pd.DataFrame({"id": ["007", "8"], "title": ["Trench coat", "Loafers"], "price": [120.0, 80.5]})
    path = tmp_path / f"items{suffix}"
    {".csv": lambda: frame.to_csv(path, index=False), ".parquet": lambda: frame.to_parquet(path),
     ".jsonl": lambda: frame.to_json(path, orient="records", lines=True)}[suffix]()
    with Store(db_url) as store:
        store.ingest_items(read_table(path))
        items = store.items()
    assert list(items["id"]) == ["007", "8"]  # a CSV id keeps its leading zeros
    assert list(items["price"]) == [120.0, 80.5]


def test_reingesting_an_item_updates_it(store):
    report = store.ingest_items(pd.DataFrame({"item_id": ["scarf", "belt"], "title": ["Blue scarf", "Belt"]}))
    assert (report.inserted, report.updated) == (1, 1)
    scarf = store.items().set_index("id").loc["scarf"]
    assert scarf["title"] == "Blue scarf"
    assert scarf["attributes"] == {"articleType": "Scarves"}  # columns absent from the file keep their values
    assert store.counts()["items"] == 4


def test_reingesting_events_updates_instead_of_duplicating(store):
    before = store.counts()
    reports = store.ingest(reviews=review_frame(), interactions=interaction_frame())
    assert [(r.table, r.inserted, r.updated) for r in reports] == [("reviews", 0, 3), ("interactions", 0, 4)]
    assert store.counts() == before
    twice = pd.concat([interaction_frame().iloc[:1]] * 2)  # the same rental twice on one day: two events
    assert store.ingest_interactions(twice).inserted == 1


def test_a_bad_row_leaves_the_store_unchanged(store):
    before = snapshot(store)
    bad = interaction_frame()
    bad.loc[len(bad)] = ["dan", "no-such-item", "view", "2024-07-01"]
    with pytest.raises(StoreError, match="no-such-item"):
        store.ingest_interactions(bad)
    # items are written before reviews in one transaction: a bad review must undo them too
    new_items = pd.DataFrame({"id": ["boots"], "title": ["Boots"]})
    bad_reviews = pd.DataFrame({"item_id": ["boots", "boots"], "text": ["ok", "fine"], "rating": ["4", "great"]})
    with pytest.raises(StoreError, match="rating"):
        store.ingest(items=new_items, reviews=bad_reviews)
    unknown_later = pd.DataFrame({"item_id": ["boots", "hat"], "text": ["ok", "fine"]})
    with pytest.raises(StoreError, match="hat"):
        store.ingest(items=new_items, reviews=unknown_later)
    assert_unchanged(store, before)
    assert "dan" not in set(store.users()["id"])


@pytest.mark.parametrize(
    ("table", "frame", "message"),
    [
        ("items", pd.DataFrame({"id": ["a"], "name": ["x"]}), "missing required column 'title'"),
        ("items", pd.DataFrame({"id": ["a", "b"], "title": ["x", "y"], "price": ["9", "cheap"]}), "'price'.*cheap"),
        ("items", pd.DataFrame({"id": ["a", "b", "a"], "title": ["x", "y", "z"]}), "duplicate ids a"),
        ("items", pd.DataFrame({"id": ["a", None], "title": ["x", "y"]}), "'id' is empty in row 2"),
        ("items", pd.DataFrame({"id": ["a"], "title": ["  "]}), "'title' is blank"),
        ("items", pd.DataFrame({"id": ["a"], "item_id": ["b"], "title": ["x"]}), "id and item_id both mean"),
        ("items", pd.DataFrame({"id": ["a"], "title": ["x"], "attributes": ["{oops"]}), "'attributes'.*not JSON"),
        ("items", pd.DataFrame({"id": ["a"], "title": ["x"], "image_path": ["gone.jpg"]}), "no file for items a"),
        ("items", pd.DataFrame({"id": [1.5], "title": ["x"]}), "strings or integers"),
        ("items", pd.DataFrame(columns=["id", "title"]), "no rows"),
        ("reviews", pd.DataFrame({"item_id": ["49633"], "text": ["x"], "rating": ["five"]}), "'rating'.*five"),
        ("reviews", pd.DataFrame({"item_id": ["49633"], "text": ["x"], "created_at": ["soon"]}), "'created_at'.*soon"),
        ("reviews", pd.DataFrame({"item_id": ["49633"], "stars": [5]}), "'text' or 'review_text'"),
        ("reviews", pd.DataFrame({"id": ["r", "r"], "item_id": ["49633"] * 2, "text": ["x", "y"]}), "duplicate ids r"),
        ("interactions", pd.DataFrame({"user_id": ["u"], "item_id": ["49633"]}), "missing required column 'ts'"),
        ("interactions", pd.DataFrame({"user_id": ["u"] * 2, "item_id": ["49633"] * 2, "ts": ["2024-01-01", None]}),
         "'ts' is empty in row 2"),
        ("interactions", pd.DataFrame({"user_id": ["u"], "item_id": ["49633"], "ts": ["last tuesday"]}),
         "'ts'.*last tuesday"),
        # Unix seconds past 2100 are no dates: a refusal, not an OverflowError (issue 15)
        ("interactions", pd.DataFrame({"user_id": ["u"], "item_id": ["49633"], "ts": ["1e400"]}), "'ts'.*1e400"),
        ("interactions", pd.DataFrame({"user_id": ["u"], "item_id": ["49633"], "ts": [1e12]}), "'ts'.*1000000000000"),
        ("interactions", pd.DataFrame({"user_id": ["u"] * 7, "item_id": list("abcdefg"), "ts": ["2024-01-01"] * 7}),
         "unknown item ids a, b, c, d, e and 2 more"),
    ],
)
def test_bad_input_is_named_and_changes_nothing(store, table, frame, message):
    before = snapshot(store)
    with pytest.raises(StoreError, match=message):
        store.ingest(**{table: frame})
    assert_unchanged(store, before)


def test_read_table_refuses_what_it_cannot_read(tmp_path):
    (tmp_path / "items.xlsx").write_bytes(b"x")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text("id,title\n")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet at all")
    (tmp_path / "broken.jsonl").write_text('{"id": 1}\n{oops\n')
    for name, message in [("items.xlsx", "unsupported file type '.xlsx'"), ("empty.csv", "file is empty"),
                          ("header.csv", "no rows"), ("broken.parquet", "cannot read it as parquet"),
                          ("broken.jsonl", "cannot read it as jsonl")]:
        with pytest.raises(StoreError, match=message):
            read_table(tmp_path / name)
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        read_table(tmp_path / "missing.csv")


def test_delete_user_takes_their_history_and_nothing_else(store):
    gone = store.delete_user("ann")
    assert (gone.interactions, gone.reviews) == (2, 1)
    assert list(store.users()["id"]) == ["bob", "cat"]
    assert set(store.interactions()["user_id"]) == {"bob", "cat"}
    assert list(store.reviews()["id"]) == ["r2", "r3"]  # bob's and the anonymous review stay
    assert store.counts()["items"] == 3
    with pytest.raises(KeyError, match="ann"):
        store.delete_user("ann")
    with pytest.raises(KeyError, match="ann"):
        store.interactions("ann")


def test_embeddings_are_computed_once_and_only_for_what_changed(store, images, default_encoder):
    assert store.embed_items(default_encoder) == 3
    assert store.embed_items(default_encoder) == 0
    ids, matrix = store.embeddings(default_encoder.name)
    assert ids == ["49633", "57043", "scarf"] and matrix.dtype == np.float32
    assert matrix.shape == (3, default_encoder.embed_dim)
    np.testing.assert_allclose(matrix[0], default_encoder.encode_images([images / "49633.jpg"])[0], atol=1e-5)

    # the scarf has no photo, so it is embedded from its text: a new title changes what the encoder sees
    store.ingest_items(pd.DataFrame({"id": ["scarf"], "title": ["Blue silk scarf"]}))
    assert store.embed_items(default_encoder) == 1
    scarf = store.embeddings(default_encoder.name).matrix[2]
    np.testing.assert_allclose(scarf, default_encoder.encode_texts(["Blue silk scarf. articleType: Scarves"])[0],
                               atol=1e-5)
    # a dress is embedded from its photo: a new title does not touch it, a new photo does
    store.ingest_items(pd.DataFrame({"id": ["49633"], "title": ["Coral dress"]}))
    assert store.embed_items(default_encoder) == 0
    shutil.copy(DEMO_IMAGES / "11431.jpg", images / "49633.jpg")
    assert store.embed_items(default_encoder) == 1
    with pytest.raises(KeyError, match="open_clip:ViT-B-32"):
        store.embeddings("open_clip:ViT-B-32")


def test_a_corrupt_photo_names_its_item(store, images, default_encoder):
    (images / "57043.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(StoreError, match="item 57043"):
        store.embed_items(default_encoder)


def test_default_db_and_bad_urls(monkeypatch, tmp_path):
    monkeypatch.setenv("ATELIER_DB", str(tmp_path / "elsewhere.db"))
    assert default_db() == str(tmp_path / "elsewhere.db")
    monkeypatch.delenv("ATELIER_DB")
    assert default_db().endswith(".local/share/atelier/atelier.db")
    with pytest.raises(RuntimeError, match="cannot open the store"):
        Store("nosuchdialect://somewhere")


def test_cli_ingest_and_delete_user(tmp_path, db_url, images, capsys):
    db = db_url
    item_frame().to_csv(tmp_path / "items.csv", index=False)
    interaction_frame().to_parquet(tmp_path / "interactions.parquet")
    argv = ["ingest", "--db", db, "--items", str(tmp_path / "items.csv"), "--images", str(images),
            "--interactions", str(tmp_path / "interactions.parquet")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "items: 3 inserted, 0 updated" in out and "interactions: 4 inserted" in out and "users: 3 inserted" in out

    bad = interaction_frame()
    bad.loc[0, "ts"] = "not a date"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    assert main(["ingest", "--db", db, "--interactions", str(tmp_path / "bad.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("atelier: error:") and "'ts'" in err and "Traceback" not in err

    assert main(["delete-user", "--db", db, "ann"]) == 0
    assert "2 interactions" in capsys.readouterr().out
    assert main(["delete-user", "--db", db, "ann"]) == 2
    assert "unknown user" in capsys.readouterr().err
    with Store(db) as store:
        assert store.counts()["interactions"] == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ingest"], "give at least one of"),
        (["ingest", "--items", "items.xlsx"], "unsupported file type"),
        (["ingest", "--reviews", "r.csv", "--images", "."], "image_dir belongs to items"),
    ],
)
def test_cli_ingest_usage_errors(tmp_path, monkeypatch, argv, message, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ATELIER_DB", str(tmp_path / "env.db"))
    pd.DataFrame({"item_id": ["a"], "text": ["x"]}).to_csv(tmp_path / "r.csv", index=False)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("atelier: error:") and message in err


BAD_IDS = ["..", ".", "../../x", "a/b", "a\\b", "\x00x", "x\ny", "", "-x", "a" * 129]
GOOD_IDS = ["12345", "hm_0747346001", "user@example.com", "A-1.b", "a" * 128]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_ids_that_could_be_path_parts_are_refused(store, bad):
    # item and user ids end up in file paths and URLs: a traversal or control character must never get stored
    before = snapshot(store)
    with pytest.raises(StoreError, match=r"column 'id'.*row 2 hold"):
        store.ingest_items(pd.DataFrame({"id": ["ok", bad], "title": ["x", "y"]}))
    with pytest.raises(StoreError, match=r"column 'user_id'.*row 1 hold"):
        store.ingest_interactions(pd.DataFrame({"user_id": [bad], "item_id": ["49633"], "ts": ["2024-01-01"]}))
    with pytest.raises(StoreError, match=r"column 'item_id'.*row 1 hold"):
        store.ingest_reviews(pd.DataFrame({"item_id": [bad], "text": ["x"]}))
    with pytest.raises(StoreError, match=r"column 'user_id'.*row 1 hold"):
        store.ingest_reviews(pd.DataFrame({"item_id": ["49633"], "user_id": [bad], "text": ["x"]}))
    assert_unchanged(store, before)
    for lookup in (store.delete_user, store.interactions, store.history_images, store.reviews):
        with pytest.raises(StoreError, match="not valid"):
            lookup(bad)
    assert_unchanged(store, before)


def test_ordinary_ids_are_accepted_and_row_ids_are_free(store):
    store.ingest_items(pd.DataFrame({"id": GOOD_IDS, "title": ["x"] * len(GOOD_IDS)}))
    rows = pd.DataFrame({"id": ["../row/1"], "user_id": ["user@example.com"], "item_id": ["A-1.b"],
                         "ts": ["2024-01-01"]})  # a review or interaction's own id never names a file
    store.ingest_interactions(rows)
    assert set(GOOD_IDS) <= set(store.items()["id"])
    assert list(store.interactions("user@example.com")["id"]) == ["../row/1"]
    assert store.delete_user("user@example.com").interactions == 1


def test_id_pattern_is_one_regex_for_every_layer():
    assert all(re.fullmatch(ID_PATTERN, good) for good in GOOD_IDS)
    assert not any(re.fullmatch(ID_PATTERN, bad) for bad in BAD_IDS)


def test_sqlite_keeps_a_connection_for_each_server_thread(tmp_path):
    """A burst as wide as the server's threadpool opens its connections once and keeps them, so the next burst opens
    none (SQLAlchemy's default pool kept 5, and each connection opened again sets its PRAGMAs again)."""
    from recsys.database import SQLITE_POOL

    store = Store(tmp_path / "shop.db")
    opened = []
    sa.event.listen(store.engine, "connect", lambda *_: opened.append(1))

    def burst() -> None:
        barrier = threading.Barrier(SQLITE_POOL)

        def hold(_: int) -> None:
            with store.engine.connect():
                barrier.wait(timeout=30)  # all of them checked out at once

        with ThreadPoolExecutor(SQLITE_POOL) as pool:
            list(pool.map(hold, range(SQLITE_POOL)))

    burst()
    first = len(opened)
    burst()
    assert first <= SQLITE_POOL and len(opened) == first
