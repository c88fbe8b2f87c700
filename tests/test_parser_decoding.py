"""Turning token tags back into character spans, and refusing text that cannot be parsed."""

from __future__ import annotations

import pytest

from tryon.inference import check_text, spans_from_tags


def test_bio_tags_become_spans_with_mean_scores():
    text = "red leather jacket in M"
    offsets = [(0, 0), (0, 3), (4, 11), (12, 18), (19, 21), (22, 23), (0, 0)]
    tags = ["O", "B-COLOR", "B-MATERIAL", "B-GARMENT", "O", "B-SIZE", "O"]
    probs = [1.0, 0.9, 0.8, 0.7, 1.0, 0.6, 1.0]
    spans = spans_from_tags(text, offsets, tags, probs)
    assert [(s.label, s.text, s.start, s.end) for s in spans] == [
        ("COLOR", "red", 0, 3),
        ("MATERIAL", "leather", 4, 11),
        ("GARMENT", "jacket", 12, 18),
        ("SIZE", "M", 22, 23),
    ]
    assert spans[0].score == pytest.approx(0.9)


def test_subwords_join_and_stray_inside_tags_start_a_span():
    text = "tshirt polka dot"
    offsets = [(0, 2), (2, 6), (7, 12), (13, 16)]
    tags = ["B-GARMENT", "I-GARMENT", "I-PATTERN", "I-PATTERN"]
    spans = spans_from_tags(text, offsets, tags, [0.8, 0.6, 0.5, 0.7])
    assert [(s.label, s.text) for s in spans] == [("GARMENT", "tshirt"), ("PATTERN", "polka dot")]
    assert spans[0].score == pytest.approx(0.7)


@pytest.mark.parametrize(
    ("text", "error"), [("", ValueError), ("   \n", ValueError), (None, TypeError), ("x" * 10_001, ValueError)]
)
def test_unparseable_text_is_refused(text, error):
    with pytest.raises(error):
        check_text(text)


def test_words_split_at_punctuation_but_not_inside_words():
    from tryon.parser import word_starts

    text = "red jacket, $150 flannel"
    offsets = [[0, 0], [0, 3], [4, 10], [10, 11], [12, 13], [13, 16], [17, 21], [21, 24], [0, 0]]
    assert word_starts(text, offsets) == [(1, 0, 3), (2, 4, 10), (3, 10, 11), (4, 12, 13), (5, 13, 16), (6, 17, 24)]
