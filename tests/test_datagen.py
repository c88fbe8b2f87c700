"""Generated training requests: exact spans, seeded, real vocabularies, and BIO labels that follow them."""

from __future__ import annotations

import pytest

from tryon import BIO_LABELS, INTENTS, SLOTS
from tryon.datagen import Vocabulary, generate, mark_negation


@pytest.fixture(scope="module")
def rows(data_dir):
    return generate(Vocabulary.from_data(data_dir), 400, seed=3)


def test_spans_are_exact_and_labels_known(rows):
    for row in rows:
        assert row["intent"] in INTENTS
        for entity in row["entities"]:
            assert entity["label"] in SLOTS
            assert row["text"][entity["start"] : entity["end"]] == entity["text"]


def test_same_seed_same_requests(data_dir):
    vocab = Vocabulary.from_data(data_dir)
    assert generate(vocab, 50, seed=7) == generate(vocab, 50, seed=7)
    assert generate(vocab, 50, seed=7) != generate(vocab, 50, seed=8)


def test_every_slot_and_intent_is_generated(rows):
    assert {e["label"] for r in rows for e in r["entities"]} == set(SLOTS)
    assert {r["intent"] for r in rows} == set(INTENTS)


def test_negation_cues_mark_the_following_span():
    text = "jeans, any colour but orange"
    entities = [{"label": "GARMENT", "start": 0, "end": 5}, {"label": "COLOR", "start": 22, "end": 28}]
    mark_negation(text, entities)
    assert [e["negated"] for e in entities] == [False, True]


def test_bio_labels_follow_character_spans():
    from transformers import AutoTokenizer

    from tryon.train_parser import encode
    from weights import resolve

    tokenizer = AutoTokenizer.from_pretrained(str(resolve("minilm")))
    row = {
        "text": "red leather jacket",
        "intent": "search",
        "entities": [
            {"label": "COLOR", "start": 0, "end": 3},
            {"label": "MATERIAL", "start": 4, "end": 11},
            {"label": "GARMENT", "start": 12, "end": 18},
        ],
    }
    batch = encode(tokenizer, [row])
    tags = [BIO_LABELS[i] for i in batch["labels"][0].tolist() if i != -100]
    assert tags == ["B-COLOR", "B-MATERIAL", "B-GARMENT"]
