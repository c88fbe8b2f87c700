"""The time-aware signals and the recommender benchmark's own arithmetic, on cases whose answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import load_bench

from recsys.signals import RentalCounts, co_rentals, co_score

INDEX = {"a": 0, "b": 1, "c": 2}


def rentals(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["user_id", "item_id", "ts"]).assign(ts=lambda f: pd.to_datetime(f["ts"]))


@pytest.fixture(scope="module")
def bench():
    return load_bench("recommender_quality")


def test_counts_never_see_the_visit_or_after():
    frame = rentals([("u1", "a", "2024-01-01"), ("u2", "a", "2024-01-03"), ("u3", "b", "2024-03-01"),
                     ("u4", "b", "2024-03-02"), ("u5", "b", "2024-03-03")])
    counts = RentalCounts(frame, INDEX)
    visit = pd.Timestamp("2024-02-01")
    assert np.expm1(counts.window(visit, None)).round().tolist() == [2, 0, 0]  # b's rentals come later
    assert np.expm1(counts.window(pd.Timestamp("2024-04-01"), 28)).round().tolist() == [0, 3, 0]
    age = counts.age_weeks(visit)
    assert age[0] >= 4 and np.isnan(age[1]) and np.isnan(age[2])  # b is not yet in the catalog's past


def test_co_rentals_count_shoppers_within_the_window_only():
    frame = rentals([("u1", "a", "2024-01-01"), ("u1", "b", "2024-01-20"), ("u2", "a", "2024-01-01"),
                     ("u2", "b", "2024-01-05"), ("u2", "c", "2024-09-01")])
    co = co_rentals(frame, INDEX, days=60).toarray()
    assert np.expm1(co).round().tolist() == [[0, 2, 0], [2, 0, 0], [0, 0, 0]]  # c came months later
    # History: a picked today, b three months ago. b is rented with the recent pick, a only with the old one.
    scores = co_score(co_rentals(frame, INDEX, 60), np.array([0, 1]), np.array([0.0, 90.0])).toarray()[0]
    via_old, via_recent = scores[0], scores[1]
    assert via_old < via_recent


def test_metric_scores_a_perfect_ranking_one_and_a_miss_zero(bench):
    perfect = bench.metrics([["x", "y"], ["z"]], ["x", "z"], catalog_size=3)
    assert perfect["HR@10"] == 1 and perfect["NDCG@10"] == 1 and perfect["MAP@12"] == 1
    second = bench.metrics([["y", "x"]], ["x"], catalog_size=2)
    assert second["NDCG@10"] == pytest.approx(1 / np.log2(3), abs=1e-5) and second["MAP@12"] == 0.5
    assert bench.metrics([["y"] * 10 + ["x"]], ["x"], catalog_size=2)["hits"] == 0  # rank 11 is not in the top 10


def test_recent_popularity_baseline_reads_only_the_weeks_before_the_visit(bench):
    train = rentals([("u1", "a", "2024-01-01"), ("u2", "a", "2024-01-02"), ("u3", "b", "2024-05-01"),
                     ("u4", "b", "2024-05-02"), ("u5", "b", "2024-05-03"), ("u6", "c", "2024-04-20")])
    model = bench.Baselines(train, ["a", "b", "c"], (2, 0.1, 1.0, False, 2))
    empty = train.iloc[:0]
    assert model.top(empty, pd.Timestamp("2024-05-20"))["recent popularity"][0] == "b"
    # b's rentals fall in the visit's own week, which is never counted
    assert model.top(empty, pd.Timestamp("2024-05-02"))["recent popularity"][0] == "c"
