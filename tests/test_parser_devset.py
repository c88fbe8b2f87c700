"""The hand-written parser dev set (tests/data/parser_dev.jsonl) is well-formed: every line parses, uses the
schema's intents and slots, offsets match the text, spans do not overlap, and every slot and intent is covered."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tryon import INTENTS, SLOTS

DEVSET = Path(__file__).parent / "data" / "parser_dev.jsonl"


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    lines = DEVSET.read_text(encoding="utf-8").splitlines()
    parsed = []
    for number, line in enumerate(lines, start=1):
        assert line.strip(), f"line {number} is blank"
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError as error:
            pytest.fail(f"line {number} is not JSON: {error}")
    return parsed


def test_enough_lines(rows):
    assert len(rows) >= 150


def test_row_shape(rows):
    for row in rows:
        assert set(row) == {"text", "intent", "entities"}, row
        assert isinstance(row["text"], str) and row["text"].strip(), row
        assert isinstance(row["entities"], list), row


def test_texts_unique(rows):
    duplicates = [text for text, n in Counter(row["text"] for row in rows).items() if n > 1]
    assert not duplicates


def test_intents_known(rows):
    for row in rows:
        assert row["intent"] in INTENTS, row


def test_entities_valid(rows):
    for row in rows:
        text = row["text"]
        for entity in row["entities"]:
            assert set(entity) == {"label", "start", "end", "text", "negated"}, (text, entity)
            assert entity["label"] in SLOTS, (text, entity)
            assert isinstance(entity["negated"], bool), (text, entity)
            start, end = entity["start"], entity["end"]
            assert isinstance(start, int) and isinstance(end, int), (text, entity)
            assert 0 <= start < end <= len(text), (text, entity)
            assert text[start:end] == entity["text"], (text, entity)
            assert entity["text"] == entity["text"].strip(), (text, entity)


def test_spans_do_not_overlap(rows):
    for row in rows:
        spans = sorted((e["start"], e["end"]) for e in row["entities"])
        for (_, end), (next_start, _) in zip(spans, spans[1:], strict=False):
            assert end <= next_start, (row["text"], spans)


def test_every_slot_covered(rows):
    counts = Counter(e["label"] for row in rows for e in row["entities"])
    thin = {slot: counts[slot] for slot in SLOTS if counts[slot] < 5}
    assert not thin, f"slots with fewer than 5 spans: {thin}"


def test_every_intent_covered(rows):
    counts = Counter(row["intent"] for row in rows)
    thin = {intent: counts[intent] for intent in INTENTS if counts[intent] < 20}
    assert not thin, f"intents with fewer than 20 requests: {thin}"


def test_negation_and_empty_requests_present(rows):
    assert sum(e["negated"] for row in rows for e in row["entities"]) >= 20
    empty = [row for row in rows if not row["entities"]]
    assert len(empty) >= 10
    assert all(row["intent"] == "search" for row in empty)
