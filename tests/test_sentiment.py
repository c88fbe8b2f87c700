"""Comment sentiment: the `atelier sentiment` CSV contract, scorer input rules, the VADER fallback, the
per-item aggregate, and a tiny end-to-end training run."""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest
import torch

from atelier_cli import main
from recsys.sentiment import (
    VaderSentiment,
    aggregate,
    build_model,
    item_sentiment,
    load_sentiment,
)

POSITIVE = "I absolutely love this dress, the fabric is soft and it fits perfectly. Got so many compliments!"
NEGATIVE = "Terrible quality, the seams ripped after one wear and it looks cheap. Returning it."


@pytest.fixture(scope="module")
def atelier():
    return load_sentiment("atelier")


@pytest.fixture
def comments_csv(tmp_path):
    path = tmp_path / "comments.csv"
    path.write_text(
        "id,Review Text,Rating,note\n"
        f'007,"{POSITIVE}",5,NA\n'
        f'008,"{NEGATIVE}",1,\n'
        "009,,3,empty text\n"
        '010,"Okay, nothing special.",3,"quoted, with comma"\n',
        encoding="utf-8",
    )
    return path


def test_cli_copies_the_input_and_adds_sentiment(comments_csv, tmp_path, capsys):
    out = tmp_path / "scored.csv"
    assert main(["sentiment", "--in", str(comments_csv), "--text-col", "Review Text", "--out", str(out)]) == 0
    original = pd.read_csv(comments_csv, dtype=str, keep_default_na=False)
    scored = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(scored.columns) == [*original.columns, "sentiment"]
    pd.testing.assert_frame_equal(scored[original.columns], original)  # cells unchanged: "007" stays "007"
    sentiment = scored["sentiment"].astype(float).to_numpy()
    assert (np.abs(sentiment) <= 1).all()
    assert sentiment[0] > 0.5 > -0.5 > sentiment[1]
    assert sentiment[2] == 0.0  # an empty cell is neutral, not an error
    assert "4 rows" in capsys.readouterr().out


def test_cli_streams_in_chunks_like_one_pass(comments_csv, tmp_path, atelier):
    from recsys.sentiment import score_csv

    whole, chunked = tmp_path / "whole.csv", tmp_path / "chunked.csv"
    score_csv(comments_csv, "Review Text", whole, atelier)
    assert score_csv(comments_csv, "Review Text", chunked, atelier, rows=1) == 4
    assert chunked.read_text() == whole.read_text()


def test_cli_header_only_file(tmp_path):
    src, out = tmp_path / "empty.csv", tmp_path / "out.csv"
    src.write_text("id,text\n")
    assert main(["sentiment", "--in", str(src), "--text-col", "text", "--out", str(out), "--model", "vader"]) == 0
    assert out.read_text().strip() == "id,text,sentiment"


@pytest.mark.parametrize(
    ("content", "column", "message"),
    [
        (None, "text", "no such file"),
        ("id,body\n1,hello\n", "text", "no column 'text'; available columns: id, body"),
        ("", "text", "not a readable CSV"),
        (b"\xff\xfe\x00\x01garbage\x00", "text", "not a readable CSV"),
        ('id,text\n1,"unterminated\n', "text", "not a readable CSV"),
    ],
)
def test_cli_bad_input_exits_2(tmp_path, capsys, content, column, message):
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    if isinstance(content, bytes):
        src.write_bytes(content)
    elif content is not None:
        src.write_text(content)
    assert main(["sentiment", "--in", str(src), "--text-col", column, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("atelier: error: ") and message in err
    assert not out.exists()


@pytest.mark.parametrize("kind", ["atelier", "vader", "textblob"])
def test_scorers_rank_and_bound(kind, atelier):
    scorer = atelier if kind == "atelier" else load_sentiment(kind)
    scores = scorer.score([POSITIVE, NEGATIVE, "", None, float("nan"), "   "])
    assert scores.dtype == np.float32 and scores.shape == (6,)
    assert scores[0] > scores[1] and (np.abs(scores) <= 1).all()
    assert (scores[2:] == 0).all()


def test_scorers_refuse_non_strings(atelier):
    for scorer in (atelier, VaderSentiment()):
        with pytest.raises(TypeError, match=r"texts\[1\] must be a string"):
            scorer.score(["fine", 5])
        with pytest.raises(TypeError, match="not one string"):
            scorer.score("a single string")


def test_atelier_batching_does_not_change_scores(atelier):
    texts = [POSITIVE, NEGATIVE, "ok", "Runs small, order a size up. " * 40]  # the last is truncated at 128 tokens
    together = atelier.score(texts)
    alone = np.concatenate([atelier.score([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=2e-3)


def test_missing_weights_fall_back_to_vader_with_a_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("ATELIER_WEIGHTS_ATELIER_SENTIMENT", str(tmp_path / "missing.pt"))
    with caplog.at_level(logging.WARNING, logger="recsys.sentiment"):
        scorer = load_sentiment("atelier")
    assert scorer.name == "vader"
    assert "atelier-sentiment" in caplog.text and "ATELIER_WEIGHTS_ATELIER_SENTIMENT" in caplog.text


def test_unknown_kind_is_a_value_error():
    with pytest.raises(ValueError, match="choose from atelier, vader, textblob"):
        load_sentiment("bert")


@pytest.mark.parametrize("prior_mean", [-1.0, -0.3, 0.0, 0.3, 0.6, 0.75])
@pytest.mark.parametrize("prior_strength", [5, 10, 20, 50])
def test_one_glowing_review_ranks_below_two_hundred_good_ones(prior_mean, prior_strength):
    one, n_one = aggregate([1.0], prior_mean, prior_strength)
    many, n_many = aggregate([0.8] * 200, prior_mean, prior_strength)
    assert (n_one, n_many) == (1, 200)
    assert one < many
    assert min(prior_mean, 1.0) <= one <= max(prior_mean, 1.0)  # a smoothed mean sits between prior and data


def test_aggregate_edge_cases():
    assert aggregate([], 0.4) == (0.4, 0)
    with pytest.raises(ValueError, match="prior_strength"):
        aggregate([0.5], 0.0, prior_strength=0)
    with pytest.raises(ValueError, match="NaN"):
        aggregate([0.5, float("nan")], 0.0)


def test_item_sentiment_on_a_catalog():
    rng = np.random.default_rng(0)
    background = pd.DataFrame({"item_id": rng.integers(10, 60, 2000), "sentiment": rng.uniform(-0.6, 1.0, 2000)})
    reviews = pd.concat([
        background,
        pd.DataFrame({"item_id": [1], "sentiment": [1.0]}),
        pd.DataFrame({"item_id": [2] * 200, "sentiment": [0.8] * 200}),
    ])
    items = item_sentiment(reviews)
    assert items.loc[1, "sentiment"] < items.loc[2, "sentiment"]
    assert items.loc[1, "n_reviews"] == 1 and items.loc[2, "n_reviews"] == 200
    assert items.loc[1, "raw_mean"] == 1.0
    with pytest.raises(KeyError, match="available"):
        item_sentiment(reviews.rename(columns={"sentiment": "score"}))


def test_split_model_equals_minilm():
    """bottom + top is exactly MiniLM: the frozen layers' cache feeds the same network inference runs."""
    model, tokenizer = build_model(train_layers=2)
    model.eval()
    batch = tokenizer([POSITIVE, "short"], padding=True, return_tensors="pt")
    with torch.no_grad():
        reference = model.backbone(**batch).last_hidden_state
        hidden = model.bottom(batch["input_ids"], batch["attention_mask"])
        mask = model._mask(hidden, batch["attention_mask"])
        for layer in model.backbone.encoder.layer[model.split :]:
            hidden = layer(hidden, mask)
    torch.testing.assert_close(hidden, reference)


def test_tiny_training_run_saves_a_loadable_compact_model(tmp_path):
    from recsys.sentiment import AtelierSentiment
    from recsys.train_sentiment import SentimentTrainConfig, fit

    reviews = tmp_path / "reviews"
    reviews.mkdir()
    rows = [(i, 100 + i % 3, "t", POSITIVE if i % 2 else NEGATIVE, 5 if i % 2 else 1) for i in range(40)]
    pd.DataFrame(rows, columns=["review_id", "Clothing ID", "Title", "Review Text", "Rating"]).to_csv(
        reviews / "womens_clothing_reviews.csv", index=False
    )
    out = tmp_path / "sentiment.pt"
    config = SentimentTrainConfig(data_dir=tmp_path, out=out, cache_dir=tmp_path / "cache", train_layers=1,
                                  epochs=1, batch_size=8, val_mod=2)  # half validation: both classes in it
    record = fit(config)
    assert record["n_train"] + record["n_validation"] == 40
    assert out.stat().st_size < 5 * 2**20  # one layer + head in fp16, not MiniLM's 90 MB
    payload = torch.load(out, weights_only=True)
    assert {v.dtype for v in payload["state_dict"].values()} == {torch.float16}
    assert json.dumps(payload["meta"])
    scores = AtelierSentiment.from_weights(out).score([POSITIVE, NEGATIVE])
    assert (np.abs(scores) <= 1).all()
