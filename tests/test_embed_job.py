"""Catalog embedding on Ray (recsys/embed_job.py): a local run over demo items, checked against the encoder and
against Store.embed_items; bad tables refused before Ray starts; a bad row reported as the store reports it; the
error without the optional extra. Ray tests skip, with the reason, where the `scale` extra is not installed."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from atelier_cli import main
from recsys import Store, StoreError
from recsys.embed_job import read_embeddings, run

DEMO = Path(__file__).resolve().parents[1] / "ui" / "demo_catalog"
needs_ray = pytest.mark.skipif(
    importlib.util.find_spec("ray") is None, reason="ray is an optional extra: pip install 'atelier[scale]'"
)
PHOTOS = ("49633", "57043")  # the two items with a readable photo
MISSING_PHOTO = "48083"  # its image_path names no file: embedded from its text instead
# The store's text recipe: title, description, colour, category, then the attributes by key
DRESS_TEXT = "Sepia Women Pink Dress. A light cotton sundress. Pink. Dresses. gender: Women. usage: Casual"
FALLBACK_TEXT = (
    "French Connection Women Blue Dress. articleType: Dresses. baseColour: Blue. gender: Women. usage: Casual"
)


def demo_items() -> pd.DataFrame:
    """Eight demo products: two with photos, one whose photo is missing, five text-only (one with every text field)."""
    products = {p["id"]: p for p in json.loads((DEMO / "products.json").read_text())}
    ids = [*PHOTOS, MISSING_PHOTO, "33225", "40413", "4619", "6979", "3958"]
    frame = pd.DataFrame({
        "id": ids,
        "title": [products[i]["title"] for i in ids],
        "image_path": ["images/49633.jpg", "images/57043.jpg", "images/missing.jpg"] + [None] * 5,
        "attributes": [json.dumps(products[i]["attributes"]) for i in ids],
    })
    dress = frame.index[frame["id"] == "33225"][0]
    frame.loc[dress, ["description", "colour", "category"]] = ["A light cotton sundress", "Pink", "Dresses"]
    frame.loc[dress, "attributes"] = json.dumps({"gender": "Women", "usage": "Casual"})
    return frame


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    """One local run (Ray started and stopped by run itself) over the demo items, written as parquet."""
    folder = tmp_path_factory.mktemp("embed_job")
    demo_items().to_parquet(folder / "items.parquet")
    result = run(folder / "items.parquet", folder / "shards", workers=1, batch_size=4, image_dir=DEMO)
    return result, pq.read_table(folder / "shards").to_pandas().set_index("id")


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


@needs_ray
def test_one_normalised_row_per_item(job):
    result, shards = job
    assert (result.items, result.images, result.texts) == (8, 2, 6)
    assert sorted(shards.index) == sorted(demo_items()["id"]) and shards.index.is_unique
    assert set(shards["model"]) == {"atelier-fashion"}
    assert shards.loc[list(PHOTOS), "source"].eq("image").all()
    assert shards.drop(index=list(PHOTOS))["source"].eq("text").all()
    vectors = np.stack(shards["vector"].to_numpy())
    assert vectors.dtype == np.float32 and vectors.shape == (8, 256)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@needs_ray
def test_vectors_equal_the_encoders(job, default_encoder):
    _, shards = job
    photos = default_encoder.encode_images([DEMO / "images" / f"{i}.jpg" for i in PHOTOS])
    texts = default_encoder.encode_texts([DRESS_TEXT, FALLBACK_TEXT])
    expected = {PHOTOS[0]: photos[0], PHOTOS[1]: photos[1], "33225": texts[0], MISSING_PHOTO: texts[1]}
    for item_id, vector in expected.items():
        assert cosine(np.asarray(shards.loc[item_id, "vector"]), vector) > 0.9999, item_id


@needs_ray
def test_shards_match_store_embed_items(job, default_encoder, tmp_path):
    """Same vectors and content hashes as the store computes: shards can stand in for Store.embed_items."""
    _, shards = job
    items = demo_items()
    with_photo = items["id"].isin(PHOTOS)
    with Store(tmp_path / "shop.db") as store:
        store.ingest_items(items[with_photo], image_dir=DEMO)
        # without image_path: the store refuses a missing photo, and (pandas 3) trips on an empty image_path cell
        store.ingest_items(items[~with_photo].drop(columns="image_path"))
        store.embed_items(default_encoder)
        ids, matrix = store.embeddings(default_encoder.name)
        with store.engine.connect() as conn:
            hashes = dict(conn.exec_driver_sql("SELECT item_id, content_hash FROM embeddings").all())
    for item_id, vector in zip(ids, matrix, strict=True):
        assert cosine(np.asarray(shards.loc[item_id, "vector"]), vector) > 0.9999, item_id
        assert shards.loc[item_id, "content_hash"] == hashes[item_id], item_id


@needs_ray
def test_read_embeddings_gives_sorted_ids_and_a_matrix(job):
    result, shards = job
    ids, matrix = read_embeddings(result.out_dir)
    assert ids == sorted(shards.index) and matrix.shape == (8, 256) and matrix.dtype == np.float32
    np.testing.assert_array_equal(matrix[ids.index("4619")], shards.loc["4619", "vector"])


@needs_ray
def test_cli_on_csv_keeps_text_ids_and_finds_photos_by_id(tmp_path, capsys):
    # No image_path column: --images gives each item {id}.jpg, as `atelier ingest` does; "007" stays "007"
    items = pd.DataFrame({"id": ["49633", "007"], "title": ["Mineral Coral Dress", "Red wool scarf"]})
    items.to_csv(tmp_path / "items.csv", index=False)
    argv = ["embed-catalog", "--items", str(tmp_path / "items.csv"), "--out", str(tmp_path / "shards"),
            "--images", str(DEMO / "images")]
    assert main(argv) == 0
    assert "2 items (1 from photos, 1 from text)" in capsys.readouterr().out
    shards = pq.read_table(tmp_path / "shards").to_pandas().set_index("id")
    assert shards["source"].to_dict() == {"49633": "image", "007": "text"}


@needs_ray
@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"id": ["a"], "name": ["Red dress"]}), "missing required column 'title'"),
        (pd.DataFrame({"sku": ["a"], "title": ["Red dress"]}), "missing required column 'id' or 'item_id'"),
    ],
)
def test_a_table_without_required_columns_is_refused(tmp_path, frame, message):
    frame.to_parquet(tmp_path / "items.parquet")
    with pytest.raises(ValueError, match=message):
        run(tmp_path / "items.parquet", tmp_path / "shards")


@needs_ray
def test_bad_arguments_are_refused(tmp_path):
    (tmp_path / "items.json").write_text("[]")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "old.parquet").write_bytes(b"")
    items = demo_items()
    with pytest.raises(ValueError, match="unsupported items file"):
        run(tmp_path / "items.json", tmp_path / "shards")
    with pytest.raises(ValueError, match="already holds files"):
        run(items, tmp_path / "full")
    with pytest.raises(ValueError, match="workers must be a positive integer"):
        run(items, tmp_path / "shards", workers=0)
    with pytest.raises(FileNotFoundError, match="no such file"):
        run(tmp_path / "nope.parquet", tmp_path / "shards")


@needs_ray
def test_a_bad_row_is_named_as_the_store_names_it(tmp_path):
    items = pd.DataFrame({"id": ["a", "b"], "title": ["Red dress", "   "]})
    with pytest.raises(StoreError, match="column 'title' is blank in row 2 of the 2-item batch that starts with id"):
        run(items, tmp_path / "shards")


def test_without_ray_the_error_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails, whether or not ray is installed
    monkeypatch.setitem(sys.modules, "ray.data", None)
    with pytest.raises(RuntimeError, match=r"pip install 'atelier\[scale\]'"):
        run(demo_items(), tmp_path / "shards")
    assert not (tmp_path / "shards").exists()


def test_importing_recsys_does_not_import_ray():
    # A fresh interpreter: this one may have imported ray for the tests above
    code = "import sys, recsys, recsys.embed_job, atelier_cli; sys.exit('ray' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
