"""Dynamic micro-batching: the generic batcher and the text tower the server batches with it, whose rows must match
encoding each text alone; and the parser, which many threads call at once unqueued."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from atelier_io import MicroBatcher
from tryon import load_parser
from tryon.onnx_parser import OnnxScorer
from ui.engines import SharedTextTower

TOLERANCE = 1e-5
TEXTS = ["red dress", "slim fit blue denim jeans for men, not orange", "shoes", "a warm winter coat under 80 euros",
         "something casual for the weekend", "black leather jacket in M"]


class FirstCallWaits:
    """Wraps a batch function: records each batch's items, and holds the first call for a moment so that the
    other threads of a test queue behind it and land together in the second."""

    def __init__(self, run: Callable, hold_s: float = 0.3):
        self.run, self.hold_s, self.batches = run, hold_s, []

    def __call__(self, *args):
        self.batches.append(args)
        if len(self.batches) == 1:
            time.sleep(self.hold_s)
        return self.run(*args)


def in_threads(call: Callable, items: Sequence) -> list:
    """``call(item)`` for every item, in one thread each, released together."""
    start = threading.Barrier(len(items))

    def one(item):
        start.wait()
        return call(item)

    with ThreadPoolExecutor(len(items)) as pool:
        return list(pool.map(one, items))


# --- the batcher ---------------------------------------------------------------------------------------------------
def doubled(items: list[int]) -> list[int]:
    if any(item < 0 for item in items):
        raise ValueError(f"negative item in {items}")
    return [2 * item for item in items]


def test_a_lone_call_runs_at_once():
    run = FirstCallWaits(doubled, hold_s=0)
    assert MicroBatcher(run)(21) == 42
    assert run.batches == [([21],)]


def test_calls_that_queue_meanwhile_share_one_batch():
    run = FirstCallWaits(doubled)
    batcher = MicroBatcher(run)
    assert in_threads(batcher, list(range(12))) == [2 * i for i in range(12)]
    sizes = [len(items) for (items,) in run.batches]
    assert sum(sizes) == 12 and len(sizes) < 12 and max(sizes) > 1


def test_max_items_bounds_a_batch():
    run = FirstCallWaits(doubled)
    assert in_threads(MicroBatcher(run, max_items=3), list(range(10))) == [2 * i for i in range(10)]
    assert max(len(items) for (items,) in run.batches) <= 3


def test_one_bad_item_fails_only_its_caller():
    batcher = MicroBatcher(FirstCallWaits(doubled))

    def outcome(item: int) -> int | str:
        try:
            return batcher(item)
        except ValueError as err:
            return str(err)

    results = in_threads(outcome, [1, 2, -3, 4, 5])
    assert results[:2] + results[3:] == [2, 4, 8, 10]
    assert results[2] == "negative item in [-3]"


def test_a_wrong_number_of_results_is_an_error():
    with pytest.raises(RuntimeError, match="returned 2 results for 1 items"):
        MicroBatcher(lambda items: [1, 2])(0)


def test_max_items_must_be_positive():
    with pytest.raises(ValueError, match="max_items must be at least 1"):
        MicroBatcher(doubled, max_items=0)


# --- the parser: one text a call, called from many threads at once -----------------------------------------------
@pytest.fixture(scope="module")
def parser():
    return load_parser()


def test_onnx_parser_is_light_and_unqueued(parser):
    assert isinstance(parser.run, OnnxScorer) and parser.run.int8
    options = parser.run.session.get_session_options()
    assert (options.intra_op_num_threads, options.get_session_config_entry("session.intra_op.allow_spinning")) == (
        1, "0")


def test_concurrent_parses_equal_serial_ones(parser):
    serial = [parser(text).to_dict() for text in TEXTS]
    concurrent = in_threads(lambda text: parser(text).to_dict(), TEXTS * 3)
    assert concurrent == serial * 3  # each text scored on its own: exactly the same, scores included


# --- the text tower --------------------------------------------------------------------------------------------------
class SlowFirstEncoder:
    """An encoder whose first text call waits a moment, so a test's other calls queue and are batched together."""

    def __init__(self, encoder):
        self.name, self.encoder = encoder.name, encoder
        self.texts = FirstCallWaits(encoder.encode_texts)

    def encode_images(self, images, batch_size: int = 32) -> np.ndarray:
        return self.encoder.encode_images(images, batch_size)

    def encode_texts(self, texts, batch_size: int = 64) -> np.ndarray:
        return self.texts(texts, batch_size)


def test_shared_text_tower_matches_encoding_alone(default_encoder):
    slow = SlowFirstEncoder(default_encoder)
    tower = SharedTextTower(slow)
    calls = [[text] for text in TEXTS] + [TEXTS[:3], [TEXTS[4], TEXTS[1]]]
    batched = in_threads(tower.encode_texts, calls)
    assert max(len(texts) for texts, _ in slow.texts.batches) > 2  # several callers' texts in one call
    for texts, vectors in zip(calls, batched, strict=True):
        np.testing.assert_allclose(vectors, default_encoder.encode_texts(texts), atol=TOLERANCE, err_msg=str(texts))


def test_shared_text_tower_keeps_each_callers_errors(default_encoder):
    tower = SharedTextTower(SlowFirstEncoder(default_encoder))

    def outcome(texts: list[str]) -> str:
        try:
            return f"{tower.encode_texts(texts).shape}"
        except ValueError as err:
            return str(err)

    dim = default_encoder.embed_dim
    assert in_threads(outcome, [["red dress"], ["  "], ["shoes", "coat"]]) == [
        f"(1, {dim})", "texts[0] is empty or only whitespace", f"(2, {dim})"]
    with pytest.raises(TypeError, match="list of strings"):
        tower.encode_texts("red dress")


def test_shared_text_tower_wraps_once(default_encoder):
    tower = SharedTextTower.around(default_encoder)
    assert SharedTextTower.around(tower) is tower and tower.name == default_encoder.name
