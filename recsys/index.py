"""Top-k rows by inner product with a query: exact (FAISS flat) below ``EXACT_BELOW`` rows, IVF above.

For a large catalog (``recsys.recommender.LARGE_CATALOG``) the recommender draws candidates from two of these
instead of scoring every item per request: content candidates from the item embeddings (unit rows, so the inner
product is the cosine) and ALS candidates from the item factors (any norms, inner product = the ALS score).

Measured on this machine (2 shared cores), on the synthetic catalog of bench/recommender_scale.py:
- IVF-Flat, not HNSW. 200k clustered 256-d rows, top-100 of shopper profiles: IVF-Flat (√n lists, 32 probes)
  built in 3.5 s and found 100% of the exact top-100 in 0.7 ms; HNSW-Flat (M=32, efConstruction=40) took 39 s to
  build and found 74-92% at efSearch 64-256 (a one-off comparison, not part of the bench). For 1M items the IVF
  builds take ~17 s (embeddings) and 4-10 s (ALS factors); HNSW would take minutes at every fit.
- Exact below 200k rows: one exact query over 200k 256-d rows costs ~16 ms, so up to there the candidates are
  exactly those a full scoring would pick. At 100k items a whole recommendation took p95 21 ms with exact search
  and 13 ms with IVF, whose ALS candidates were 93% of the exact ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import faiss
import numpy as np

EXACT_BELOW = 200_000  # rows (see above)
PROBES = 32  # IVF lists searched per query; 64 and 128 found barely more of the ALS top-100 (0.91 -> 0.93) at 1M
TRAIN_PER_LIST = 40  # k-means sample per list; FAISS warns below 39
SEARCH_THREADS = 1  # one query is too little work to share: 2 OpenMP threads made exact search 4x slower here


class VectorIndex:
    """Inner-product search over the rows of ``vectors`` (n, d).

    ``normalised``: the rows are L2-normalised (or zero), as catalog embeddings are. With False (ALS item
    factors) every row is lifted to norm 1 by one extra coordinate (Bachrach et al., 2014), which keeps the
    inner-product order and lets the IVF's clustering work as it does for unit vectors (at 1M ALS factors it
    found 91% of the exact top-100 at 32 probes, against 83% for a plain inner-product IVF); scores are still
    the plain inner products with the original rows.
    """

    def __init__(self, vectors: np.ndarray, normalised: bool = True, exact_below: int | None = None, seed: int = 0):
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or not len(vectors) or not vectors.shape[1]:
            raise ValueError(f"vectors must be a non-empty (n, d) array, got shape {vectors.shape}")
        if not np.isfinite(vectors).all():
            raise ValueError("vectors have NaN or infinite values")
        self.dim, self.size = vectors.shape[1], len(vectors)
        self.scale = 1.0
        if not normalised:
            vectors, self.scale = _lift_to_unit(vectors)
        self.approximate = self.size >= (EXACT_BELOW if exact_below is None else exact_below)
        self._index = _ivf(vectors, seed) if self.approximate else faiss.IndexFlatIP(vectors.shape[1])
        self._index.add(np.ascontiguousarray(vectors))
        self._pad = not normalised

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(indices, scores) of the k rows with the largest inner product with ``query``, best first.

        ``query``: (d,) gives 1-d results, (q, d) gives (q, k). An approximate search that finds fewer than k
        rows pads the indices with -1 (and the scores with -inf).
        """
        queries = np.asarray(query, dtype=np.float32)
        if queries.ndim not in (1, 2) or queries.shape[-1] != self.dim:
            raise ValueError(f"query must have shape ({self.dim},) or (q, {self.dim}), got {queries.shape}")
        if not np.isfinite(queries).all():
            raise ValueError("query has NaN or infinite values")
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        batch = np.atleast_2d(queries)
        if self._pad:
            batch = np.hstack([batch, np.zeros((len(batch), 1), np.float32)])
        with _omp_threads(SEARCH_THREADS):
            scores, indices = self._index.search(np.ascontiguousarray(batch), min(k, self.size))
        scores = np.where(indices >= 0, scores * self.scale, -np.inf)
        return (indices[0], scores[0]) if queries.ndim == 1 else (indices, scores)


def _lift_to_unit(vectors: np.ndarray) -> tuple[np.ndarray, float]:
    """Rows divided by the largest norm, plus a coordinate √(1 - ‖x‖²) that brings each to norm 1. A query
    padded with 0 then scores q·x / scale: the same order as q·x."""
    norms = np.linalg.norm(vectors, axis=1)
    scale = float(norms.max()) or 1.0
    extra = np.sqrt(np.clip(1 - (norms / scale) ** 2, 0, None))
    return np.hstack([vectors / scale, extra[:, None]]).astype(np.float32), scale


def _ivf(vectors: np.ndarray, seed: int) -> faiss.IndexIVFFlat:
    """IVF-Flat with ~√n lists, its k-means trained on a seeded sample (training on all rows adds time, not recall)."""
    n, d = vectors.shape
    lists = max(1, int(np.sqrt(n)))
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, lists, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = seed
    sample = np.random.default_rng(seed).choice(n, min(n, TRAIN_PER_LIST * lists), replace=False)
    index.train(np.ascontiguousarray(vectors[np.sort(sample)]))
    index.nprobe = min(PROBES, lists)
    return index


@contextmanager
def _omp_threads(threads: int) -> Iterator[None]:
    """FAISS's OpenMP thread count for one call; builds keep every core. The setting is process-wide, so two
    threads searching at once may briefly see each other's setting: harmless, both ask for the same."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(threads)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)
