"""ONNX exports of registered models, cached on disk: exported once per set of weights, checked on every load.

Graphs live under ``cache_root() / "onnx" / <folder>`` (``$ATELIER_CACHE``, default ``~/.cache/atelier``);
each backend names its folder by a key over everything its graphs depend on. A graph is written to a
temporary file and renamed, and its SHA-256 sidecar is written last, so a crash or a damaged file is
re-exported rather than trusted.
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import onnxruntime as ort

from .registry import sha256_of

if TYPE_CHECKING:  # torch is needed to export a graph, not to run one: `atelier parse` starts without it
    import torch
    from torch import nn

log = logging.getLogger(__name__)
OPSET = 17
PROVIDERS = ["CPUExecutionProvider"]


def cache_root() -> Path:
    return Path(os.environ.get("ATELIER_CACHE") or Path.home() / ".cache" / "atelier")


def export_module(
    module: nn.Module,
    args: tuple[torch.Tensor, ...],
    path: str,
    input_names: list[str],
    output_names: list[str],
    dynamic_axes: dict[str, dict[int, str]],
) -> None:
    """``torch.onnx.export`` in eval mode, leaving every submodule's train/eval mode as it found it."""
    import torch

    # The exporter sets eval mode, then "restores" every submodule to the root's mode (a fresh wrapper is in
    # training mode), which would switch dropout on in the caller's torch model; so restore each one here.
    modes = {sub: sub.training for sub in module.modules()}
    try:
        with warnings.catch_warnings(), torch.no_grad():
            # The tracer warns about Python-side shape checks in transformers; they are constant here.
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", UserWarning)
            # The legacy (TorchScript) exporter: handles MiniLM's dynamic token axis, needs no onnxscript.
            torch.onnx.export(
                module.eval(),
                args,
                path,
                dynamo=False,
                opset_version=OPSET,
                input_names=input_names,
                output_names=output_names,
                dynamic_axes=dynamic_axes,
            )
    finally:
        for sub, training in modes.items():
            sub.train(training)


def write_atomically(path: Path, export: Callable[[str], None]) -> None:
    """Export to a temporary file beside ``path``, then rename: a crash never leaves a half-written graph."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        export(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; a cache is as readable as any other file
        digest = sha256_of(Path(tmp))
        os.replace(tmp, path)
        # The checksum goes last: a graph without a matching one is never trusted (see intact).
        Path(tmp).write_text(digest)
        os.replace(tmp, checksum_path(path))
    finally:
        Path(tmp).unlink(missing_ok=True)


def checksum_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def intact(path: Path) -> bool:
    # A file that loads can still be damaged in its weights and give wrong outputs silently; the
    # checksum (~0.2 s for 100 MB) rules that out.
    try:
        return path.is_file() and checksum_path(path).read_text().strip() == sha256_of(path)
    except OSError:
        return False


@dataclass(frozen=True)
class Threads:
    """How many threads one session's runs use. The default is ONNX Runtime's own: a pool of one thread per core
    that spins while waiting for work, right for one big call at a time. A session that many requests call at
    once wants ``LIGHT``: the requests are the parallelism, and a spinning pool takes the cores they need."""

    intra_op: int = 0  # 0: one per core
    inter_op: int = 0  # 0: ONNX Runtime's default
    spin: bool = True  # idle pool threads busy-wait for the next op instead of sleeping


# For the small models a server calls per request (the parser, the text tower; their calls batched): the requests
# and a try-on already keep 2 cores busy. On a burst of 50 recommendations in one process, p95 went from ~300 ms
# (the default: a spinning pool per session) to ~210 ms.
LIGHT = Threads(intra_op=1, inter_op=1, spin=False)
# For batch work (a catalog's photos or captions): ONNX Runtime's own pool, one spinning thread per core.
POOLED = Threads()


def open_session(path: Path, threads: Threads = Threads()) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads, options.inter_op_num_threads = threads.intra_op, threads.inter_op
    spin = "1" if threads.spin else "0"
    options.add_session_config_entry("session.intra_op.allow_spinning", spin)
    options.add_session_config_entry("session.inter_op.allow_spinning", spin)
    return ort.InferenceSession(str(path), options, providers=PROVIDERS)


def load_or_export(path: Path, export: Callable[[str], None], threads: Threads = Threads(),
                   int8: bool = False) -> ort.InferenceSession:
    """A session on the cached graph at ``path``; ``export(tmp_path)`` writes it first if it is missing or damaged.
    ``int8``: a session on its int8 twin instead (``int8_twin``), made from it once; call it with ``run_each``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if intact(path):
        try:
            return open_session(int8_twin(path) if int8 else path, threads)
        except Exception as err:  # ORT's load errors share no public base class beyond Exception
            log.warning("cached ONNX graph %s does not load (%s); exporting it again", path, err)
    else:
        log.info("exporting %s (once per set of weights)", path)
    write_atomically(path, export)
    return open_session(int8_twin(path, again=True) if int8 else path, threads)


def int8_twin(path: Path, again: bool = False) -> Path:
    """The graph at ``path`` with int8 weights (per output channel) and int8 activations scaled per call: ONNX
    Runtime's dynamic quantisation, written beside it once (``again``: whatever is there) and checked like it.
    MiniLM's graphs run 2.3x faster so; the parser scores the same on its dev set, the text tower's retrieval within a
    point (bench/results/parser_quality.md, weights/cards/atelier-fashion.md)."""
    twin = path.with_name(f"{path.stem}.int8{path.suffix}")
    if again or not intact(twin):
        from onnxruntime.quantization import QuantType, quantize_dynamic

        try:
            write_atomically(twin, lambda tmp: quantize_dynamic(path, tmp, per_channel=True,
                                                                 weight_type=QuantType.QInt8))
        except OSError as err:  # a cache made read-only after an export without its twin: serve the float graph
            log.warning("cannot write the int8 graph beside %s (%s); running the float graph (run `atelier prepare` "
                        "where the cache is writable)", path, err)
            return path
    return twin


def run_each(session: ort.InferenceSession, outputs: list[str], input_ids: np.ndarray,
             attention_mask: np.ndarray) -> list[list[np.ndarray]]:
    """``session``'s outputs for each row of a batch of texts padded on the right, run alone with its padding cut
    off. An int8 graph scales its activations by the largest in the whole input: in a batch, one text's result would
    change with the texts beside it (a parse with who else asked at that moment). Alone, a text's result is its own;
    and an int8 text alone still costs less than a float one in a batch."""
    return [session.run(outputs, {"input_ids": ids[None, :n], "attention_mask": mask[None, :n]})
            for ids, mask, n in zip(input_ids, attention_mask, attention_mask.sum(axis=1), strict=True)]
