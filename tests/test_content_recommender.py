"""The recommender of a shop too new to learn from: m'(h, y)·p'(y) over embeddings and comments only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from recsys import ContentRecommender, ItemSignals, RecommenderConfig, Shop, Store


def signals() -> ItemSignals:
    # Items 0-2 point one way, 3-5 the other; item 1 has glowing comments, item 2 poor ones.
    base = np.array([[1, 0, 0]] * 3 + [[0, 1, 0]] * 3, np.float32) + np.eye(6, 3, dtype=np.float32) * 0.05
    embeddings = base / np.linalg.norm(base, axis=1, keepdims=True)
    sentiment = np.array([np.nan, 0.9, -0.8, np.nan, np.nan, np.nan], np.float32)
    return ItemSignals([f"i{n}" for n in range(6)], embeddings=embeddings, sentiment=sentiment,
                       comment_counts=np.array([0, 12, 7, 0, 0, 0]), titles=[f"item {n}" for n in range(6)])


def test_history_and_comments_both_lift_an_item():
    model = ContentRecommender().fit(signals())
    recs = model.recommend(["i0"], k=5)
    # i1: like the history and loved; i2: like the history but panned, so it sinks below unreviewed others
    assert recs[0].item_id == "i1" and recs[-1].item_id == "i2"
    assert "i0" not in [r.item_id for r in recs]
    assert recs[0].reasons[0] == "looks like the item 0 in your history"
    assert recs[0].reasons[1] == "4.8★ from 12 comments"


def test_profile_filters_and_refusals():
    model = ContentRecommender().fit(signals())
    towards_second = np.array([0, 1, 0], np.float32)
    recs = model.recommend([], k=3, profile=towards_second)
    # No reason that every item would share: what of a request an item meets is the Shop's to say.
    assert {r.item_id for r in recs} == {"i3", "i4", "i5"} and all(r.reasons == [] for r in recs)
    allowed = np.array([True, False, False, False, False, True])
    assert [r.item_id for r in model.recommend([], k=6, profile=towards_second, allowed=allowed)] == ["i5", "i0"]
    with pytest.raises(KeyError, match="unknown item"):
        model.recommend(["nope"])
    with pytest.raises(ValueError, match="at least 1"):
        model.recommend(["i0"], k=0)


def test_scikit_learn_estimator_conventions():
    unfitted = ContentRecommender()
    assert unfitted.config is None and unfitted.get_params() == {"config": None}
    with pytest.raises(NotFittedError, match="ContentRecommender is not fitted yet: call its fit"):
        unfitted.recommend(["i0"])
    with pytest.raises(NotFittedError, match="fit"):
        unfitted.profile(["i0"])
    model = ContentRecommender()
    assert model.fit(signals()) is model and model.config is None and model.config_ == RecommenderConfig()
    assert sorted(vars(model)) == ["appeal_", "config", "config_", "index_", "items_"]
    short = signals()
    short.sentiment = short.sentiment[:4]
    with pytest.raises(ValueError, match=r"sentiment must have one value per id \(6\); got 4"):
        ContentRecommender().fit(short)


def test_a_new_shop_is_served_by_the_content_recommender_until_it_can_learn(tmp_path):
    store = Store(tmp_path / "shop.db")
    store.ingest(items=pd.DataFrame({"id": ["a", "b", "c"], "title": ["red dress", "blue jeans", "red skirt"]}))
    shop = Shop.from_store(store)
    assert isinstance(shop.model, ContentRecommender)
    assert len(shop.for_history(["a"], k=5).items) == 2

