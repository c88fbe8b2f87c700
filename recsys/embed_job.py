"""Catalog embedding as a Ray Data job, for a catalog that outgrows one machine (docs/scaling.md).

    from recsys.embed_job import read_embeddings, run
    run("items.parquet", "shards/", workers=2, image_dir="images/")      # a local Ray instance, 2 encoder actors
    run("/mnt/shop/items/", "/mnt/shop/shards/", workers=32, address="auto")  # a running cluster (`ray start`)
    ids, matrix = read_embeddings("shards/")                               # as Store.embeddings() returns them

Each item is embedded as ``Store.embed_items`` embeds it: from its photo if it has one, else from its text (title,
description, colour, category, attributes), after the store's validation and with the store's content hash.
Unlike the store, a photo that is missing or does not decode falls back to the item's text, with a warning that
names the item: one bad file must not sink a job over millions of items. Ray is an optional extra
(``pip install 'atelier[scale]'``), imported only when a job runs.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from atelier_io import ImageError, load_image

from .catalog import IMAGE_SUFFIXES
from .ingest import ITEM_FIELDS, StoreError, is_missing, item_rows
from .item_embeddings import EmbedJob, job_for
from .store import Embeddings

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'atelier[scale]'"
ROWS_PER_SHARD = 50_000  # ~50 MB of 256-d float32 vectors per parquet file: few files, none too big to read
OUTPUT_SCHEMA = pa.schema([
    ("id", pa.string()),
    ("model", pa.string()),  # the encoder's name, as the store's embeddings table keys it
    ("source", pa.string()),  # "image" or "text"
    ("content_hash", pa.string()),  # the store's hash of exactly what the encoder saw
    ("vector", pa.list_(pa.float32())),  # L2-normalised
])
IMAGE_COLUMNS = ("image_path", "image")  # the store's name for the photo column, and its alias
AUTH_NOTICE_LOGGER = "ray._private.authentication.authentication_token_setup"


@dataclass
class EmbedJobResult:
    out_dir: str
    items: int
    images: int  # embedded from their photo
    texts: int  # embedded from their text: no photo, or one that could not be read
    seconds: float  # reading, embedding and writing; not Ray's start-up


def _import_ray():
    try:
        import ray
        import ray.data
    except ImportError as err:
        raise RuntimeError(f"catalog embedding on Ray needs the optional extra: {INSTALL_HINT} ({err})") from err
    return ray


# -- on each worker -----------------------------------------------------------------------------------------------


class _Embedder:
    """One per actor: the encoder loads once, here, and then embeds every batch the actor is handed."""

    def __init__(self, image_dir: str, named_by_id: bool):
        from .factory import create_encoder

        self.encoder = create_encoder()
        self.image_dir, self.named_by_id = Path(image_dir), named_by_id

    def __call__(self, batch: pd.DataFrame) -> pa.Table:
        prepared = [self._prepare(item) for item in self._items(batch)]
        jobs = [job for job, _ in prepared]
        vectors = np.zeros((len(jobs), self.encoder.embed_dim), np.float32)
        # one encoder call per modality, as Store.embed_items makes; rows keep the batch's order
        images = [i for i, job in enumerate(jobs) if job.source == "image"]
        texts = [i for i, job in enumerate(jobs) if job.source == "text"]
        if images:
            vectors[images] = self.encoder.encode_images([prepared[i][1] for i in images])
        if texts:
            vectors[texts] = self.encoder.encode_texts([jobs[i].payload for i in texts])
        return _table(jobs, self.encoder.name, vectors)

    def _items(self, batch: pd.DataFrame) -> list[dict]:
        """The batch's rows as the store would hold them (validated, attributes as JSON), with photo paths."""
        present = [c for c in IMAGE_COLUMNS if c in batch.columns]
        given = batch[present[0]].tolist() if present else [None] * len(batch)
        try:
            rows = item_rows(batch.drop(columns=present), None)
        except StoreError as err:  # its row numbers are the batch's; say where the batch starts in the table
            first = batch.iloc[0][next((c for c in ("id", "item_id") if c in batch.columns), batch.columns[0])]
            raise StoreError(f"{err} of the {len(batch)}-item batch that starts with id {first!r}") from err
        defaults = {"description": None, "colour": None, "category": None, "attributes": "{}"}
        # pandas 3 hands missing text back as NaN, which the text recipe would spell "nan"; the store's database
        # turns it into NULL on the way in, so None here gives the store's text
        return [{**defaults, **{k: None if is_missing(v) else v for k, v in row.items()},
                 "image_path": self._photo(row["id"], path)} for row, path in zip(rows, given, strict=True)]

    def _photo(self, item_id: str, given) -> str | None:
        if isinstance(given, str) and given.strip():
            return str(self.image_dir / given)  # an absolute path stays itself
        if self.named_by_id:  # the store's other rule: {image_dir}/{id}.jpg and friends
            return next((str(p) for s in IMAGE_SUFFIXES if (p := self.image_dir / f"{item_id}{s}").is_file()), None)
        return None

    def _prepare(self, item: dict) -> tuple[EmbedJob, object]:
        """The store's job for the item and its decoded photo; the text job if the photo cannot be had."""
        try:
            job = job_for(item)
        except FileNotFoundError as err:  # the store's message names the item and the file
            return _text_instead(item, str(err))
        if job.source == "text":
            return job, None
        try:
            return job, load_image(job.payload)
        except ImageError as err:
            return _text_instead(item, f"item {item['id']}: {err}")


def _text_instead(item: dict, why: str) -> tuple[EmbedJob, None]:
    log.warning("%s; embedding its text instead", why)
    return job_for({**item, "image_path": None}), None


def _table(jobs: list[EmbedJob], model: str, vectors: np.ndarray) -> pa.Table:
    # list<float32> built from one flat buffer: no Python float per element
    offsets = pa.array(np.arange(0, vectors.size + 1, vectors.shape[1], dtype=np.int32))
    columns = {
        "id": [job.item_id for job in jobs],
        "model": [model] * len(jobs),
        "source": [job.source for job in jobs],
        "content_hash": [job.content_hash for job in jobs],
        "vector": pa.ListArray.from_arrays(offsets, pa.array(vectors.reshape(-1), pa.float32())),
    }
    return pa.table(columns, schema=OUTPUT_SCHEMA)


# -- on the driver ------------------------------------------------------------------------------------------------


def check_inputs(items, out_dir, workers, batch_size, image_dir) -> None:
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if isinstance(items, pd.DataFrame):
        if items.empty:
            raise ValueError("items: no rows")
    elif not isinstance(items, str | Path):
        raise TypeError(f"items must be a file path or a pandas DataFrame, got {type(items).__name__}")
    elif "://" not in str(items) and not Path(items).exists():
        raise FileNotFoundError(f"{items}: no such file or folder")
    if image_dir is not None and not Path(image_dir).is_dir():
        raise NotADirectoryError(f"{image_dir}: not a folder of images")
    out = Path(out_dir)
    if "://" not in str(out_dir) and out.exists() and (not out.is_dir() or any(out.iterdir())):
        # Ray appends shards to a folder: old shards would mix with the new ones
        raise ValueError(f"out_dir {out} already holds files; give a new or empty folder")


def _kind(items) -> str:
    if isinstance(items, pd.DataFrame):
        return "frame"
    if str(items).lower().endswith(".csv"):
        return "csv"
    if str(items).lower().endswith(".parquet") or Path(items).is_dir():
        return "parquet"
    raise ValueError(f"{items}: unsupported items file; give a .csv or .parquet file, or a folder of .parquet files")


def _columns(items, kind: str) -> list[str]:
    """The table's column names, read here from the header or parquet footer: a bad table fails before Ray starts."""
    try:
        if kind == "frame":
            return [str(c) for c in items.columns]
        if kind == "csv":
            with pacsv.open_csv(str(items)) as reader:
                return reader.schema.names
        return pads.dataset(str(items), format="parquet").schema.names
    except (pa.ArrowInvalid, OSError) as err:
        raise ValueError(f"{items}: cannot read it as {kind}: {err}") from err


def _read(ray, items, kind: str, names: list[str]):
    """A lazy Dataset over the items."""
    if kind == "frame":
        return ray.data.from_pandas(items)
    if kind == "csv":
        # Every cell as text and only empty cells missing, as read_table does: ids such as "007" keep their zeros
        text = pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, null_values=[""],
                                    strings_can_be_null=True)
        return ray.data.read_csv(str(items), convert_options=text)
    return ray.data.read_parquet(str(items))


def _check_columns(names: list[str], items) -> None:
    what = "items" if isinstance(items, pd.DataFrame) else str(items)
    for field in (f for f in ITEM_FIELDS if f.required):
        if not {field.name, *field.aliases} & set(names):
            wanted = " or ".join(repr(n) for n in (field.name, *field.aliases))
            raise ValueError(f"{what}: missing required column {wanted}; columns are {', '.join(names)}")


def _start(ray, address: str | None, workers: int) -> None:
    if address is not None:
        ray.init(address=address, logging_level=logging.WARNING)
        return
    # Each actor holds a CPU for the whole job and the read and write tasks need one more: with no CPU left over
    # the job waits forever. So a local instance counts at least workers + 1 (actors then share the cores).
    cpus = max(os.cpu_count() or 1, workers + 1)
    # A local instance keeps Ray's default, token auth on, minus the warning it prints at every start about that
    # default. (Setting RAY_AUTH_MODE here would not do: Ray reads it once, at import, and its servers again.)
    notice = logging.getLogger(AUTH_NOTICE_LOGGER)
    level = notice.level
    notice.setLevel(logging.ERROR)
    try:
        ray.init(num_cpus=cpus, include_dashboard=False, logging_level=logging.WARNING)
    finally:
        notice.setLevel(level)


def _embedded(ray, dataset, workers: int, batch_size: int, image_dir, names: list[str]):
    """The lazy pipeline: blocks of batch_size rows (so every actor gets work, even from one file) to the actors."""
    named_by_id = image_dir is not None and not set(IMAGE_COLUMNS) & set(names)
    folder = str(Path(image_dir or os.getcwd()).resolve())  # absolute: workers run in other folders
    return dataset.repartition(target_num_rows_per_block=batch_size).map_batches(
        _Embedder, fn_constructor_args=(folder, named_by_id), batch_size=batch_size, batch_format="pandas",
        compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=1,
    )


def run(items: str | Path | pd.DataFrame, out_dir: str | Path, workers: int = 1, batch_size: int = 64,
        address: str | None = None, image_dir: str | Path | None = None) -> EmbedJobResult:
    """Embed every item into parquet shards (id, model, source, content_hash, vector) under ``out_dir``.

    items: a .csv or .parquet file, a folder of .parquet files, or a DataFrame; columns as docs/store.md.
    workers: encoder actors, each with one CPU and its own encoder. batch_size: items per encoder call.
    address: None starts a local Ray instance (and stops it after); "auto" or "ray://host:10001" joins a cluster.
    image_dir: what image_path is relative to (default: this working directory); without an image_path column,
    photos named after the item id ({id}.jpg, ...) are looked for here. Every node must see the same paths.
    """
    ray = _import_ray()
    check_inputs(items, out_dir, workers, batch_size, image_dir)
    kind = _kind(items)
    names = _columns(items, kind)
    _check_columns(names, items)
    started = not ray.is_initialized()
    if started:
        _start(ray, address, workers)
    elif ray.cluster_resources().get("CPU", 0) <= workers:  # an autoscaling cluster may yet grow: warn, go on
        log.warning("the cluster has %s CPUs for %d workers, which need one more; the job may wait for it",
                    ray.cluster_resources().get("CPU", 0), workers)
    context = ray.data.DataContext.get_current()
    wrapped = context.raise_original_map_exception
    context.raise_original_map_exception = True  # a bad row reaches the caller as the store's ValueError
    try:
        begin = time.perf_counter()
        embedded = _embedded(ray, _read(ray, items, kind, names), workers, batch_size, image_dir, names)
        embedded.write_parquet(str(out_dir), min_rows_per_file=ROWS_PER_SHARD)
        return _summary(out_dir, time.perf_counter() - begin)
    except ray.exceptions.RayTaskError as err:
        if isinstance(err.cause, ValueError):  # a bad row: the store's one-line message, not a worker's traceback
            raise err.cause from err
        raise
    finally:
        context.raise_original_map_exception = wrapped
        if started:
            ray.shutdown()


def _summary(out_dir, seconds: float) -> EmbedJobResult:
    try:
        sources = pq.read_table(str(out_dir), columns=["source"])["source"].to_pylist()
    except (FileNotFoundError, pa.ArrowInvalid):  # Ray writes no file for an empty dataset
        sources = []
    if not sources:
        raise ValueError("the items table has no rows: nothing was embedded")
    images = sources.count("image")
    return EmbedJobResult(str(out_dir), len(sources), images, len(sources) - images, seconds)


def read_embeddings(out_dir: str | Path) -> Embeddings:
    """The job's shards as ``Store.embeddings`` returns a model's: ids in order, float32 [n, dim]."""
    table = pq.read_table(str(out_dir), columns=["id", "model", "vector"]).sort_by("id")
    if table.num_rows == 0:
        raise ValueError(f"{out_dir}: no embeddings")
    models = table["model"].unique().to_pylist()
    if len(models) > 1:
        raise ValueError(f"{out_dir}: shards of several encoders ({', '.join(models)}); keep one run per folder")
    ids = table["id"].to_pylist()
    repeated = pd.Series(ids)[pd.Series(ids).duplicated()].unique().tolist()
    if repeated:
        raise ValueError(f"{out_dir}: item ids repeated across shards: {repeated[:5]}; the items table had duplicates")
    vectors = table["vector"].combine_chunks()
    dim = len(vectors[0])
    return Embeddings(ids, vectors.flatten().to_numpy().reshape(-1, dim).astype(np.float32, copy=False))
