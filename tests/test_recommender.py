"""The fused recommender and the recommend-batch contract: held-out rows never leak, weights are learned,
items with missing signals still rank, bad input is refused with a clear error."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import atelier_cli
from recsys.batch import item_signals, read_interactions, recommend_batch
from recsys.holdout import last_interactions
from recsys.recommender import FEATURES, ItemSignals, Recommender, RecommenderConfig

SMALL = RecommenderConfig(factors=8, iterations=5, fusion_users=300, candidates=50)


def clustered_shop(seed: int = 0, users: int = 400, items: int = 120) -> tuple[pd.DataFrame, ItemSignals]:
    """Shoppers who stay within one of four item clusters: content similarity predicts the next choice."""
    rng = np.random.default_rng(seed)
    cluster = np.arange(items) % 4
    centres = rng.normal(size=(4, 16))
    vectors = centres[cluster] + 0.3 * rng.normal(size=(items, 16))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = []
    for user in range(users):
        own = np.flatnonzero(cluster == user % 4)
        for step, item in enumerate(rng.choice(own, 6, replace=False)):
            when = pd.Timestamp("2024-01-01") + pd.Timedelta(days=step + user % 30)
            rows.append({"user_id": f"u{user}", "item_id": f"i{item}", "ts": when})
    ids = [f"i{i}" for i in range(items)]
    return pd.DataFrame(rows), ItemSignals(ids, vectors.astype(np.float32), titles=[f"item {i}" for i in ids])


def test_last_interaction_ties_go_to_the_later_row():
    frame = pd.DataFrame({"user_id": ["a", "a", "a", "b"], "item_id": ["1", "2", "3", "4"],
                          "ts": pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-03", "2024-01-01"])})
    assert last_interactions(frame).tolist() == [False, False, True, True]


def test_last_interaction_is_the_latest_date_not_the_last_row():
    # The rule the recommend-batch contract states: by date; the file's order only breaks a tie.
    frame = pd.DataFrame({"user_id": ["a", "a", "b", "a", "b"], "item_id": ["late", "2", "3", "early", "4"],
                          "ts": pd.to_datetime(["2024-03-01", "2024-01-02", "2024-05-01", "2024-01-01",
                                                "2024-02-01"])})
    assert last_interactions(frame).tolist() == [True, False, True, False, False]


def test_last_interaction_ignores_the_frame_index():
    frame = pd.DataFrame({"user_id": ["a", "a"], "item_id": ["new", "old"],
                          "ts": pd.to_datetime(["2024-02-01", "2024-01-01"])}, index=[7, 3])
    assert last_interactions(frame).tolist() == [True, False]


def test_blend_is_learned_and_content_wins_where_it_should():
    frame, signals = clustered_shop()
    model = Recommender(SMALL).fit(frame, signals)
    weights = dict(zip(FEATURES, model.ranker_[-1].coef_[0], strict=False))
    assert weights["m"] > 0  # learned from the shoppers, not set by hand
    history = ["i0", "i4", "i8"]  # cluster 0
    recs = model.recommend(history, k=5)
    assert all(int(r.item_id[1:]) % 4 == 0 for r in recs)
    assert not {r.item_id for r in recs} & set(history)
    assert all(r.reasons for r in recs)


def test_items_without_signals_still_rank():
    frame, signals = clustered_shop()
    signals.embeddings[5] = 0  # i5 (cluster 1): no image embedding, but other shoppers chose it
    frame = frame[frame["item_id"] != "i117"]  # i117 (cluster 1): an embedding, but nobody ever chose it
    config = RecommenderConfig(factors=8, iterations=5, fusion_users=300, candidates=1000)
    model = Recommender(config).fit(frame, signals)
    ranked = [r.item_id for r in model.recommend(["i1", "i9", "i13"], k=len(signals.ids))]
    assert ranked.index("i5") < len(ranked) // 2 and ranked.index("i117") < len(ranked) // 2


def test_scikit_learn_estimator_conventions():
    """__init__ stores its parameter as given (no defaults computed there); fit resolves it, learns ``_`` state and
    returns self; recommend and profile refuse an unfitted model, naming fit."""
    unfitted = Recommender()
    assert unfitted.config is None and unfitted.get_params() == {"config": None}
    assert not [name for name in vars(unfitted) if name.endswith("_")]
    with pytest.raises(NotFittedError, match="Recommender is not fitted yet: call its fit"):
        unfitted.recommend(["i0"])
    with pytest.raises(NotFittedError, match="fit"):
        unfitted.profile(["i0"])
    frame, signals = clustered_shop()
    model = Recommender(SMALL)
    assert model.fit(frame, signals) is model
    assert model.config is SMALL and model.config_ is SMALL and model.ranker_.n_features_in_ == len(FEATURES)
    assert {"items_", "index_", "users_", "als_", "knn_", "popularity_", "counts_", "co_", "large_"} <= set(vars(model))
    assert not [name for name in vars(model) if not name.endswith("_") and name != "config"]
    assert clone(model).get_params() == {"config": SMALL}
    assert Recommender(None).fit(frame, signals).config_ == RecommenderConfig()
    with pytest.raises(TypeError, match="config must be a RecommenderConfig"):
        Recommender({"factors": 8}).fit(frame, signals)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: replace(s, ids=s.ids[:-1] + ["i0"]), r"ids must be unique; repeated: \['i0'\]"),
        (lambda s: replace(s, embeddings=s.embeddings[:-1]), r"embeddings must have shape \(120, d\)"),
        (lambda s: replace(s, titles=s.titles[:3]), r"titles must have one value per id \(120\); got 3"),
    ],
)
def test_item_signals_that_do_not_line_up_are_refused(change, message):
    frame, signals = clustered_shop()
    with pytest.raises(ValueError, match=message):
        Recommender(SMALL).fit(frame, change(signals))


def test_unknown_history_and_bad_k_are_refused():
    frame, signals = clustered_shop()
    model = Recommender(SMALL).fit(frame, signals)
    with pytest.raises(KeyError, match="nope"):
        model.recommend(["nope"])
    with pytest.raises(ValueError, match="k must be"):
        model.recommend(["i1"], k=0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns=["item_id"]), "missing columns"),
        (lambda f: f.assign(ts="not a date"), "no readable date"),
        (lambda f: f.assign(user_id=None), "lack an id"),
    ],
)
def test_bad_interaction_files_name_the_problem(change, message):
    frame, _ = clustered_shop()
    with pytest.raises(ValueError, match=message):
        read_interactions(change(frame), "train")


def test_batch_never_lets_held_out_rows_in(monkeypatch):
    frame, _ = clustered_shop()
    train = frame[frame["user_id"].str[1:].astype(int) >= 40]
    users = frame[frame["user_id"].str[1:].astype(int) < 40].copy()
    # The first shopper's last rental is an item nobody else has: it must not even exist in the catalog.
    users.loc[users.index[5], "item_id"] = "secret"
    rows = recommend_batch(train, users, k=5, config=SMALL)
    assert [r["user_id"] for r in rows] == [f"u{i}" for i in range(40)]
    assert rows[0]["held_out"] == "secret"
    assert all(len(r["items"]) == 5 and "secret" not in r["items"] for r in rows)
    history = set(users[users["user_id"] == "u0"]["item_id"]) - {"secret"}
    assert not history & set(rows[0]["items"])


def test_batch_holds_out_the_latest_date_even_when_it_is_not_the_last_row():
    frame, _ = clustered_shop()
    train = frame[frame["user_id"].str[1:].astype(int) >= 40]
    users = frame[frame["user_id"].str[1:].astype(int) < 40].copy()
    first = users.index[users["user_id"] == "u0"][0]
    users.loc[first, "ts"] = users["ts"].max() + pd.Timedelta(days=1)  # u0's first row is now their latest rental
    rows = recommend_batch(train, users, k=5, config=SMALL)
    assert rows[0]["user_id"] == "u0" and rows[0]["held_out"] == users.loc[first, "item_id"]


def test_item_signals_from_rentals_smooth_ratings():
    frame = pd.DataFrame({"item_id": ["a"] + ["b"] * 50 + ["c"] * 50, "rating": [10] + [8] * 50 + [6] * 50,
                          "category": ["gown"] * 101})
    signals = item_signals(frame)
    by_id = dict(zip(signals.ids, signals.sentiment, strict=True))
    assert by_id["b"] > by_id["a"]  # one perfect rating does not beat fifty good ones
    assert signals.titles[0].startswith("gown")


def test_cli_contract(tmp_path, capsys):
    frame, _ = clustered_shop()
    frame = frame.rename(columns={"ts": "review_date"})
    train, users = tmp_path / "train.parquet", tmp_path / "users.parquet"
    frame[frame["user_id"].str[1:].astype(int) >= 20].to_parquet(train)
    frame[frame["user_id"].str[1:].astype(int) < 20].to_parquet(users)
    out = tmp_path / "out.jsonl"
    argv = ["recommend-batch", "--train", str(train), "--users", str(users), "--k", "3", "--out", str(out)]
    assert atelier_cli.main(argv) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 20 and all(set(r) == {"user_id", "items", "held_out"} and len(r["items"]) == 3 for r in rows)
    bad = tmp_path / "bad.csv"
    bad.write_text("user_id,when\n1,2\n")
    assert atelier_cli.main(["recommend-batch", "--train", str(bad), "--users", str(users), "--out", str(out)]) == 2
    assert "missing columns" in capsys.readouterr().err
