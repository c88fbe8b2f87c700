"""The instruction parser on ONNX Runtime: the merged parser's scores, exported once per set of weights.

The graph (``ParserScores``: input_ids, attention_mask → token_probs, intent_probs) is cached under
``$ATELIER_CACHE/onnx/parser-<key>/parser.onnx``, with its int8 twin beside it, which is what parses (each text
on its own; see ``weights.onnx_cache.run_each``). The key is computed from files alone, so a warm start opens
the cached graph without building the torch model; only a cache miss builds it and exports.
"""

from __future__ import annotations

import hashlib
from importlib.metadata import version
from pathlib import Path

import numpy as np
import onnxruntime as ort

from weights import resolve, sha256_of
from weights.onnx_cache import LIGHT, OPSET, Threads, cache_root, export_module, load_or_export, run_each

GRAPH_VERSION = 1  # bump when ParserScores or the export below change, so old caches are not reused
INPUTS = ["input_ids", "attention_mask"]
OUTPUTS = ["token_probs", "intent_probs"]


def cache_key(weights: Path) -> str:
    """First 16 hex of a SHA-256 over the exporter's versions, the parser's weights and MiniLM's files."""
    # torch's version from its package metadata: a warm start opens the graph without importing torch.
    digest = hashlib.sha256(f"{GRAPH_VERSION}|{OPSET}|{version('torch')}|".encode())
    # MiniLM is hashed too: the registry lets users swap it (ATELIER_WEIGHTS_MINILM), and its ~90 MB hash
    # in a fraction of a second, far less than building the torch model a key over tensors would need.
    for path in (weights, *_backbone_files(resolve("minilm"))):
        digest.update(sha256_of(path).encode())
    return digest.hexdigest()[:16]


def _backbone_files(folder: Path) -> list[Path]:
    # What AutoModel.from_pretrained reads into the graph: the config and the weights (safetensors or .bin).
    return sorted(p for p in folder.iterdir() if p.name == "config.json" or p.suffix in (".safetensors", ".bin"))


def _export(weights: Path, path: str) -> None:
    from .parser import ParserScores, load_trained  # the torch model: built only on a cache miss

    model, tokenizer = load_trained(weights)
    # A padded example, so the attention mask is surely traced as live rather than folded away.
    example = tokenizer(["red dress", "slim fit blue denim jeans for men"], padding=True, return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in [*INPUTS, "token_probs"]}
    export_module(
        ParserScores(model),
        tuple(example[name] for name in INPUTS),
        path,
        INPUTS,
        OUTPUTS,
        {**axes, "intent_probs": {0: "batch"}},
    )


class OnnxScorer:
    """The parser's scores on ONNX Runtime: (input_ids, attention_mask) → (token_probs, intent_probs). On the int8
    graph (``int8``) each row is scored on its own, so a text's scores never depend on the rows beside it."""

    def __init__(self, session: ort.InferenceSession, int8: bool = False):
        self.session, self.int8 = session, int8

    @classmethod
    def from_weights(cls, weights: Path, threads: Threads = LIGHT, int8: bool = True) -> OnnxScorer:
        """Open the cached export of ``weights``, exporting it first if it is missing or damaged. ``threads``: the
        session's; one by default, as a server parses many short requests at once. ``int8``: its int8 twin (the
        default: the same labels on the dev set at less than half the time), or the float graph."""
        folder = cache_root() / "onnx" / f"parser-{cache_key(weights)}"
        return cls(load_or_export(folder / "parser.onnx", lambda tmp: _export(weights, tmp), threads, int8), int8)

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not self.int8:
            token_probs, intent_probs = self.session.run(
                OUTPUTS, {"input_ids": input_ids, "attention_mask": attention_mask}
            )
            return token_probs, intent_probs
        rows = run_each(self.session, OUTPUTS, input_ids, attention_mask)
        width = input_ids.shape[1]  # each row's token scores padded back to the batch's width (read up to its mask)
        token_probs = np.concatenate([np.pad(t, ((0, 0), (0, width - t.shape[1]), (0, 0))) for t, _ in rows])
        return token_probs, np.concatenate([intent for _, intent in rows])
