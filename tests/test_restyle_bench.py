"""The restyle benchmark's own arithmetic (edge F1, the blind judge's score), on cases whose answer is known."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import load_bench


@pytest.fixture(scope="module")
def bench():
    return load_bench("restyle_quality")


def square(size: int = 64, lo: int = 20, hi: int = 44) -> np.ndarray:
    img = np.full((size, size, 3), 200, np.uint8)
    img[lo:hi, lo:hi] = 30
    return img


def test_the_same_edges_score_one(bench):
    mask = np.ones((64, 64), bool)
    assert bench.edge_scores(square(), square(), mask) == (1.0, 1.0)


def test_edges_gone_score_zero(bench):
    mask = np.ones((64, 64), bool)
    f1, recall = bench.edge_scores(square(), np.full((64, 64, 3), 200, np.uint8), mask)
    assert (f1, recall) == (0.0, 0.0)


def test_an_added_print_costs_precision_not_recall(bench):
    mask = np.ones((64, 64), bool)
    printed = square()
    printed[4:10, 4:10] = 30  # a motif the original did not have
    f1, recall = bench.edge_scores(square(), printed, mask)
    assert recall == 1.0 and 0.5 < f1 < 1.0


def test_edges_outside_the_mask_do_not_count(bench):
    mask = np.zeros((64, 64), bool)
    mask[:, :10] = True  # the square's edges lie outside
    assert bench.edge_scores(square(), np.full((64, 64, 3), 200, np.uint8), mask) == (0.0, 0.0)


def test_the_judge_score_counts_against_the_key(bench, tmp_path):
    key = {"1": {"garment": "g", "style": "boho"}, "2": {"garment": "g", "style": "luxe"}}
    answers = {"1": {"style": "boho", "real": True, "recognisable": True},
               "2": {"style": "elegant", "real": False, "recognisable": True}}
    (tmp_path / "key.json").write_text(json.dumps(key))
    (tmp_path / "answers.json").write_text(json.dumps(answers))
    scored = bench.score(tmp_path / "answers.json", tmp_path / "key.json")
    assert scored["style_named"] == 0.5 and scored["real_fabric"] == 0.5 and scored["recognisable"] == 1.0
    assert scored["style_named_per_style"] == {"boho": "1/1", "luxe": "0/1"}


def test_the_robustness_bench_counts_answers_of_500_not_requests_that_took_500_ms():
    bench = load_bench("service_robustness")
    log = "\n".join([
        "2026-12-04 17:35:39,753 INFO [1] atelier.access: POST /api/v1/recommend 200 500 ms request_id=a",
        "2026-12-04 17:35:39,754 ERROR [1] atelier.access: POST /api/v1/tryon 500 12 ms request_id=b",
        "2026-12-04 17:35:39,755 WARNING [1] atelier.access: GET /api/v1/garments/x/image 404 500 ms request_id=c",
    ])
    assert bench.server_errors(log) == 1


def test_the_drawn_sample_leaves_out_the_benchmark_s_garments_and_the_photos_of_people(tmp_path):
    drawn = load_bench("restyle_drawn")
    for folder, names in {"cloth": ["09163_00", "a", "b", "c"], "garment": ["d", "e"], "model": ["f"]}.items():
        (tmp_path / "tryon" / "set" / folder).mkdir(parents=True)
        for name in names:
            (tmp_path / "tryon" / "set" / folder / f"{name}.jpg").touch()
    pairs = drawn.draw(tmp_path, 5, seed=1)
    assert sorted(p.stem for p, _ in pairs) == ["a", "b", "c", "d", "e"]  # not the bench's 09163_00, not "f"
    assert all(style in drawn.RECIPES for _, style in pairs)
    assert drawn.draw(tmp_path, 5, seed=1) == pairs  # the seed fixes the sample
    with pytest.raises(SystemExit, match="only 5 garment photos"):
        drawn.draw(tmp_path, 6, seed=1)
    with pytest.raises(SystemExit, match="at least 1"):
        drawn.draw(tmp_path, 0, seed=1)
