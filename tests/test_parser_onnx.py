"""The instruction parser on ONNX Runtime against PyTorch: the exported float graph's parity on the dev set, the
int8 graph that parses by default (as right on the dev set, each text's result its own), and the export cache.

Exporting takes a few seconds on a small CPU, so it happens once per module into a temporary cache; the
cache tests copy that export.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from tryon import onnx_parser
from tryon import parser as parser_module
from tryon.inference import InstructionParserPipeline, ParseResult
from weights import onnx_cache, resolve

DEV = Path(__file__).resolve().parent / "data" / "parser_dev.jsonl"
SCORE_TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("atelier-cache")


@pytest.fixture(scope="module")
def torch_pipeline() -> Iterator[InstructionParserPipeline]:
    # Beside another busy process, torch's threads wait on each other at every op (measured ~30x slower on a
    # 2-core machine); one thread keeps this module's time bounded and changes results only at float rounding.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield InstructionParserPipeline.from_pretrained(backend="torch")
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def onnx_pipeline(cache) -> InstructionParserPipeline:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ATELIER_CACHE", str(cache))
        return InstructionParserPipeline.from_pretrained()


@pytest.fixture(scope="module")
def float_pipeline(onnx_pipeline, cache) -> InstructionParserPipeline:
    """The exported graph itself, before quantisation (cached beside the int8 one)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ATELIER_CACHE", str(cache))
        scorer = onnx_parser.OnnxScorer.from_weights(resolve("atelier-parser"), int8=False)
    return InstructionParserPipeline(scorer, onnx_pipeline.tokenizer, "onnx")


@pytest.fixture(scope="module")
def dev() -> list[dict]:
    return [json.loads(line) for line in DEV.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def graph(onnx_pipeline, cache) -> Path:
    return cache / "onnx" / f"parser-{onnx_parser.cache_key(resolve('atelier-parser'))}" / "parser.onnx"


def labels(result: ParseResult) -> tuple[str, list[tuple[str, int, int]]]:
    return result.intent, [(e.label, e.start, e.end) for e in result.entities]


def test_onnx_int8_is_the_default(onnx_pipeline, torch_pipeline, graph):
    assert (onnx_pipeline.backend, torch_pipeline.backend) == ("onnx", "torch")
    assert isinstance(onnx_pipeline.run, onnx_parser.OnnxScorer)
    assert onnx_pipeline.run.int8 and (graph.parent / "parser.int8.onnx").is_file()


def test_float_graph_parity_on_every_dev_request(torch_pipeline, float_pipeline, dev):
    for text in (request["text"] for request in dev):
        tokens = float_pipeline.tokenize(text)
        # Each backend's scores on the same tokens, decoded by the one decoder both pipelines share.
        scores = [p.run(tokens["input_ids"], tokens["attention_mask"]) for p in (torch_pipeline, float_pipeline)]
        for want, got in zip(*scores, strict=True):
            np.testing.assert_allclose(got, want, atol=SCORE_TOLERANCE, err_msg=text)
        expected, actual = (
            float_pipeline.decode(text, tokens["offset_mapping"][0], token_probs[0], intent_probs[0])
            for token_probs, intent_probs in scores
        )
        assert labels(actual) == labels(expected), text


def test_padded_batch_matches_torch(torch_pipeline, float_pipeline):
    # The pipeline runs one text at a time; the graph's batch and token axes are dynamic all the same.
    batch = float_pipeline.tokenizer(
        ["red dress", "slim fit blue denim jeans for men, not orange"] * 2, padding=True, return_tensors="np"
    )
    for want, got in zip(
        torch_pipeline.run(batch["input_ids"], batch["attention_mask"]),
        float_pipeline.run(batch["input_ids"], batch["attention_mask"]),
        strict=True,
    ):
        np.testing.assert_allclose(got, want, atol=SCORE_TOLERANCE)


def dev_scores(pipeline: InstructionParserPipeline, dev: list[dict]) -> tuple[float, float]:
    """Entity micro-F1 on exact character spans and labels, and intent accuracy, on the dev set."""
    gold, found, intents = set(), set(), 0
    for index, request in enumerate(dev):
        result = pipeline(request["text"])
        gold |= {(index, e["label"], e["start"], e["end"]) for e in request["entities"]}
        found |= {(index, e.label, e.start, e.end) for e in result.entities}
        intents += result.intent == request["intent"]
    return 2 * len(gold & found) / (len(gold) + len(found)), intents / len(dev)


def test_int8_graph_parses_the_dev_set_as_well_as_the_float_one(onnx_pipeline, float_pipeline, dev):
    (f1, intents), (float_f1, float_intents) = (dev_scores(p, dev) for p in (onnx_pipeline, float_pipeline))
    assert f1 >= float_f1 - 0.005 and intents >= float_intents - 0.005, (f1, float_f1, intents, float_intents)


def test_int8_scores_of_a_text_do_not_depend_on_its_batch(onnx_pipeline):
    # Activations are quantised with one scale over the whole input: batched, a text would be scored differently
    # beside a longer or a louder one. Each row runs alone, padding cut off, so its scores are exactly its own.
    texts = ["red dress", "slim fit blue denim jeans for men, not orange, under $80", "make it boho"]
    batch = onnx_pipeline.tokenizer(texts, padding=True, return_tensors="np")
    together = onnx_pipeline.run(batch["input_ids"], batch["attention_mask"])
    for row, text in enumerate(texts):
        alone = onnx_pipeline.tokenize(text)
        token_probs, intent_probs = onnx_pipeline.run(alone["input_ids"], alone["attention_mask"])
        np.testing.assert_array_equal(together[0][row, : token_probs.shape[1]], token_probs[0], err_msg=text)
        np.testing.assert_array_equal(together[1][row], intent_probs[0], err_msg=text)


def test_second_load_hits_cache(onnx_pipeline, graph, cache, monkeypatch):
    before = graph.stat().st_mtime_ns

    def refuse(*args):
        raise AssertionError("built the torch model or re-exported although the cache holds this export")

    monkeypatch.setattr(onnx_parser, "_export", refuse)
    monkeypatch.setattr(parser_module, "build_parser", refuse)  # a warm start needs no torch model at all
    monkeypatch.setenv("ATELIER_CACHE", str(cache))
    again = InstructionParserPipeline.from_pretrained()
    assert graph.stat().st_mtime_ns == before
    assert not list(graph.parent.glob("*.tmp"))
    text = "try the red leather jacket on me in M"
    assert again(text).to_dict() == onnx_pipeline(text).to_dict()


@pytest.mark.parametrize("damage", ["truncated", "wrong-checksum"])
@pytest.mark.parametrize("name", ["parser.onnx", "parser.int8.onnx"])
def test_damaged_cache_is_reexported(onnx_pipeline, graph, tmp_path, monkeypatch, damage, name):
    # A copy of the module's cache, so the damage stays in this test.
    folder = tmp_path / "onnx" / graph.parent.name
    shutil.copytree(graph.parent, folder)
    original, copy = graph.parent / name, folder / name
    if damage == "truncated":  # an interrupted copy: does not even parse
        copy.write_bytes(original.read_bytes()[: original.stat().st_size // 2])
    else:  # still loads, but the checksum no longer vouches for it
        (folder / f"{name}.sha256").write_text("0" * 64)
    monkeypatch.setenv("ATELIER_CACHE", str(tmp_path))
    rebuilt = InstructionParserPipeline.from_pretrained()
    assert copy.read_bytes() == original.read_bytes()
    text = "any colour but orange, under $150"
    assert rebuilt(text).to_dict() == onnx_pipeline(text).to_dict()


def test_a_cache_that_cannot_take_the_int8_graph_serves_the_float_one(onnx_pipeline, graph, tmp_path, monkeypatch,
                                                                      caplog):
    folder = tmp_path / "onnx" / graph.parent.name
    folder.mkdir(parents=True)
    for name in ("parser.onnx", "parser.onnx.sha256"):  # the float export only, as an older version left it
        shutil.copyfile(graph.parent / name, folder / name)

    def read_only(path, export):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(onnx_cache, "write_atomically", read_only)
    monkeypatch.setenv("ATELIER_CACHE", str(tmp_path))
    served = InstructionParserPipeline.from_pretrained()
    assert "running the float graph" in caplog.text and not (folder / "parser.int8.onnx").exists()
    assert labels(served("try the red leather jacket on me in M")) == labels(
        onnx_pipeline("try the red leather jacket on me in M"))


def test_other_weights_change_the_key(tmp_path):
    weights = resolve("atelier-parser")
    same, other = tmp_path / "same.pt", tmp_path / "other.pt"
    shutil.copyfile(weights, same)
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    other.write_bytes(bytes(data))
    assert onnx_parser.cache_key(same) == onnx_parser.cache_key(weights)  # the content counts, not the path
    assert onnx_parser.cache_key(other) != onnx_parser.cache_key(weights)


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="backend"):
        InstructionParserPipeline.from_pretrained(backend="tensorrt")
