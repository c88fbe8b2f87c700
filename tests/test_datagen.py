"""Generated training requests: exact spans, seeded, real vocabularies, and BIO labels that follow them."""

from __future__ import annotations

import pytest

from tryon import BIO_LABELS, INTENTS, SLOTS
from tryon.datagen import GRAMMAR, Generator, Vocabulary, _Text, generate, label_caption


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


def test_negated_slots_are_flagged(data_dir):
    generator = Generator(Vocabulary.from_data(data_dir), seed=0)
    out = _Text()
    generator.expand("{GARMENT}, any colour but {!COLOR}", out, depth=0)
    assert [e["negated"] for e in out.entities] == [False, True]
    assert out.text.startswith(out.entities[0]["text"] + ", any colour but ")


def test_captions_are_labelled_by_vocabulary(data_dir):
    generator = Generator(Vocabulary.from_data(data_dir), seed=0)
    caption = "is long-sleeve and black with no stripes"
    found = [(e["label"], e["text"], e["negated"]) for e in label_caption(caption, generator.lexicon)]
    assert found == [("SLEEVE", "long-sleeve", False), ("COLOR", "black", False), ("PATTERN", "stripes", True)]


def test_every_grammar_symbol_resolves(data_dir):
    """Every rule, alternative and slot expands without error (a typo in GRAMMAR fails here, not mid-training)."""
    generator = Generator(Vocabulary.from_data(data_dir), seed=0)
    for productions in GRAMMAR.values():
        for production in productions:
            generator.expand(production, _Text(), depth=0)


def test_requests_without_entities_are_generated(rows):
    """Greetings, other languages and injections teach the model that not every word is a slot."""
    assert sum(not r["entities"] and r["intent"] == "search" for r in rows) >= len(rows) // 50


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
