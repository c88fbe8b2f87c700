"""VectorIndex (exact and IVF) and the recommender's large-catalog path: the candidate pool drawn from the indexes
reproduces dense scoring when it covers the catalog, and small catalogs keep scoring every item."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from test_recommender import SMALL, clustered_shop

import recsys.recommender as recommender
from recsys.index import VectorIndex


def clustered(n: int, d: int = 32, clusters: int = 20, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, d))
    rows = centres[rng.integers(0, clusters, n)] + 0.5 * rng.normal(size=(n, d))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def true_top(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-(queries @ vectors.T), axis=1)[:, :k]


def test_exact_index_returns_the_true_top_k():
    vectors, queries = clustered(500), clustered(20, seed=1)
    index = VectorIndex(vectors)
    indices, scores = index.search(queries, 10)
    assert not index.approximate and indices.shape == scores.shape == (20, 10)
    np.testing.assert_array_equal(indices, true_top(vectors, queries, 10))
    np.testing.assert_allclose(scores, np.take_along_axis(queries @ vectors.T, indices, 1), rtol=1e-5)
    one, _ = index.search(queries[0], 10)  # a single (d,) query gives 1-d results
    np.testing.assert_array_equal(one, indices[0])


def test_approximate_index_finds_most_of_the_top_10():
    vectors, queries = clustered(20_000), clustered(50, seed=1)
    index = VectorIndex(vectors, exact_below=10_000)
    indices, _ = index.search(queries, 10)
    truth = true_top(vectors, queries, 10)
    recall = np.mean([len(np.intersect1d(a, b)) / 10 for a, b in zip(indices, truth, strict=True)])
    assert index.approximate and recall >= 0.9


@pytest.mark.parametrize("exact_below", [10**9, 1000])
def test_unnormalised_rows_rank_by_raw_inner_product(exact_below):
    """ALS item factors have any norms: the lifted index must still rank by (and report) q·x."""
    rng = np.random.default_rng(0)
    factors = (rng.normal(size=(5000, 8)) * rng.gamma(1.0, size=(5000, 1))).astype(np.float32)
    query = rng.normal(size=8).astype(np.float32)
    indices, scores = VectorIndex(factors, normalised=False, exact_below=exact_below).search(query, 20)
    truth = true_top(factors, query[None], 20)[0]
    assert len(np.intersect1d(indices, truth)) >= 18
    np.testing.assert_allclose(scores, factors[indices] @ query, rtol=1e-4, atol=1e-4)


def test_bad_vectors_and_queries_are_refused():
    index = VectorIndex(clustered(100))
    with pytest.raises(ValueError, match=r"shape \(32,\) or \(q, 32\)"):
        index.search(np.ones(31, np.float32), 5)
    with pytest.raises(ValueError, match="shape"):
        index.search(np.ones((2, 2, 32), np.float32), 5)
    with pytest.raises(ValueError, match="NaN"):
        index.search(np.full(32, np.nan, np.float32), 5)
    with pytest.raises(ValueError, match="k must be"):
        index.search(np.ones(32, np.float32), 0)
    with pytest.raises(ValueError, match="non-empty"):
        VectorIndex(np.ones(32, np.float32))
    with pytest.raises(ValueError, match="non-empty"):
        VectorIndex(np.zeros((0, 32), np.float32))


def test_small_catalog_scores_every_item():
    frame, signals = clustered_shop()
    model = recommender.Recommender(SMALL).fit(frame, signals)
    assert len(signals.ids) < recommender.LARGE_CATALOG and not model.large_
    visit = model._visit(["i0", "i4"])
    assert visit.x.shape == (len(signals.ids), len(recommender.FEATURES))
    assert (visit.pool == np.arange(len(signals.ids))).all()


def test_a_pool_covering_the_catalog_reproduces_dense_scoring(monkeypatch):
    """With each signal's top list as long as the catalog, the pool is every item: the large-catalog path must
    then give the dense path's blend and recommendations."""
    frame, signals = clustered_shop()
    rng = np.random.default_rng(0)
    signals.sentiment = np.where(rng.random(len(signals.ids)) < 0.5, rng.uniform(-1, 1, len(signals.ids)), np.nan)
    config = replace(SMALL, candidates=len(signals.ids))
    dense = recommender.Recommender(config).fit(frame, signals)
    monkeypatch.setattr(recommender, "LARGE_CATALOG", 1)
    pooled = recommender.Recommender(config).fit(frame, signals)
    assert pooled.large_ and not dense.large_
    for history in (["i0", "i4", "i8"], ["i1"], []):
        want, got = dense.recommend(history, k=10), pooled.recommend(history, k=10)
        assert [r.item_id for r in got] == [r.item_id for r in want]
        np.testing.assert_allclose([r.score for r in got], [r.score for r in want], atol=1e-3)


def test_large_catalog_path_ranks_its_pool(monkeypatch):
    frame, signals = clustered_shop()
    monkeypatch.setattr(recommender, "LARGE_CATALOG", 1)
    model = recommender.Recommender(replace(SMALL, candidates=10)).fit(frame, signals)
    history = ["i0", "i4", "i8"]  # cluster 0
    assert 10 <= len(model._visit(history).pool) < len(signals.ids)
    recs = model.recommend(history, k=5)
    assert len(recs) == 5 and not {r.item_id for r in recs} & set(history)
    assert all(int(r.item_id[1:]) % 4 == 0 for r in recs)


def test_large_catalog_path_without_embeddings(monkeypatch):
    """Collaborative signals alone (no images, no comments) still fill the pool."""
    frame, signals = clustered_shop()
    monkeypatch.setattr(recommender, "LARGE_CATALOG", 1)
    model = recommender.Recommender(replace(SMALL, candidates=10)).fit(frame, recommender.ItemSignals(signals.ids))
    assert model.content_index_ is None
    recs = model.recommend(["i0", "i4"], k=5)
    assert len(recs) == 5 and not {r.item_id for r in recs} & {"i0", "i4"}


def test_a_narrow_filter_in_a_large_catalog_is_served_from_its_own_items(monkeypatch):
    frame, signals = clustered_shop()
    monkeypatch.setattr(recommender, "LARGE_CATALOG", 1)
    model = recommender.Recommender(replace(SMALL, candidates=5)).fit(frame, signals)
    history = ["i0", "i4", "i8"]  # cluster 0; the request allows three cluster-3 items only
    allowed = np.isin(signals.ids, ["i3", "i7", "i11"])
    assert not set(np.flatnonzero(allowed)) <= set(model._visit(history).pool)  # the signals alone miss some
    recs = model.recommend(history, k=5, allowed=allowed)
    assert sorted(r.item_id for r in recs) == ["i11", "i3", "i7"]
