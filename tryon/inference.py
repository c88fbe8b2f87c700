"""Run the trained instruction parser (ONNX Runtime by default, or PyTorch): text → intent + scored spans → request."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .request import Request, build_request, find_negated, vocabulary_checked
from .schema import BIO_LABELS, INTENTS, Entity
from .tokens import MAX_TOKENS, load_tokenizer, word_starts

if TYPE_CHECKING:
    from .parser import InstructionParser

log = logging.getLogger(__name__)
MAX_CHARS = 10_000
BACKENDS = ("onnx", "torch")
# A backend: (input_ids, attention_mask) → (token_probs, intent_probs), batch first, as numpy arrays.
Scorer = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass
class ParseResult:
    text: str
    intent: str
    intent_score: float
    entities: list[Entity] = field(default_factory=list)
    request: Request | None = None

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "intent": self.intent,
            "intent_score": round(self.intent_score, 4),
            "entities": [asdict(e) for e in self.entities],
            "request": self.request.to_dict() if self.request else None,
        }


def check_text(text: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    if not text.strip():
        raise ValueError("text is empty: say what you want, e.g. 'try the red leather jacket on me in M'")
    if len(text) > MAX_CHARS:
        raise ValueError(f"text has {len(text):,} characters; the limit is {MAX_CHARS:,}")
    return text


def spans_from_tags(text: str, offsets: list[tuple[int, int]], tags: list[str], probs: list[float]) -> list[Entity]:
    """BIO tags on sub-word tokens → character spans; a span's score is its tokens' mean probability.
    An I- tag that does not continue a span of its label starts one (the model's slip, not a dropped span)."""
    entities: list[Entity] = []
    current: dict | None = None
    for (start, end), tag, prob in zip(offsets, tags, probs, strict=True):
        if start == end:
            continue
        prefix, _, label = tag.partition("-")
        continues = current is not None and prefix == "I" and label == current["label"]
        if current is not None and not continues:
            entities.append(_entity(text, current))
            current = None
        if prefix == "B" or (prefix == "I" and not continues):
            current = {"label": label, "start": start, "end": end, "probs": [prob]}
        elif continues:
            current["end"], current["probs"] = end, current["probs"] + [prob]
    if current is not None:
        entities.append(_entity(text, current))
    return entities


def _entity(text: str, span: dict) -> Entity:
    score = sum(span["probs"]) / len(span["probs"])
    return Entity(span["label"], text[span["start"] : span["end"]], span["start"], span["end"], round(score, 4))


class TorchScorer:
    """The parser's scores in PyTorch: (input_ids, attention_mask) → (token_probs, intent_probs), as numpy.
    torch is imported here, not with the module, so that parsing on ONNX Runtime never loads it."""

    def __init__(self, model: InstructionParser):
        from .parser import ParserScores

        self.scores = ParserScores(model).eval()

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import torch

        with torch.no_grad():
            token_probs, intent_probs = self.scores(torch.from_numpy(input_ids), torch.from_numpy(attention_mask))
        return token_probs.numpy(), intent_probs.numpy()


class InstructionParserPipeline:
    """Tokenizes text, scores it with a backend (``run``: ONNX Runtime or PyTorch) and decodes the scores."""

    def __init__(self, run: Scorer, tokenizer, backend: str):
        self.run, self.tokenizer, self.backend = run, tokenizer, backend

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None, backend: str = "onnx") -> InstructionParserPipeline:
        """The trained parser (``path`` overrides the registry's weights) on ``backend``: "onnx" or "torch"."""
        from weights import resolve

        if backend not in BACKENDS:
            raise ValueError(f"unknown parser backend {backend!r}; known: {', '.join(BACKENDS)}")
        weights = Path(path) if path else resolve("atelier-parser")
        if backend == "torch":
            from .parser import load_trained

            model, tokenizer = load_trained(weights)
            return cls(TorchScorer(model), tokenizer, backend)
        from .onnx_parser import OnnxScorer

        # Not batched: its int8 graph scores each text on its own (OnnxScorer), and ONNX Runtime runs concurrent
        # calls side by side, so a burst of parses needs no queue.
        return cls(OnnxScorer.from_weights(weights), load_tokenizer(), backend)

    def tokenize(self, text: str) -> dict[str, np.ndarray]:
        """One text as a batch of one: input_ids, attention_mask and each token's character offsets."""
        return self.tokenizer(
            text,
            truncation=True,
            max_length=MAX_TOKENS,
            return_offsets_mapping=True,
            return_overflowing_tokens=False,
            return_tensors="np",
        )

    def __call__(self, text: str) -> ParseResult:
        text = check_text(text)
        batch = self.tokenize(text)
        if batch["offset_mapping"][0, -2, 1] < len(text.rstrip()) and batch["input_ids"].shape[1] >= MAX_TOKENS:
            log.warning(
                "text is longer than %d tokens; only its first %d characters were read",
                MAX_TOKENS,
                int(batch["offset_mapping"][0, -2, 1]),
            )
        token_probs, intent_probs = self.run(batch["input_ids"], batch["attention_mask"])
        return self.decode(text, batch["offset_mapping"][0], token_probs[0], intent_probs[0])

    @staticmethod
    def decode(text: str, offsets: np.ndarray, token_probs: np.ndarray, intent_probs: np.ndarray) -> ParseResult:
        """One text's token offsets and scores (from either backend) → intent, scored spans and request."""
        # Each word takes its first token's tag, as in training, so spans always cover whole words.
        words = word_starts(text, offsets.tolist())
        tags = [BIO_LABELS[int(token_probs[j].argmax())] for j, _, _ in words]
        probs = [float(token_probs[j].max()) for j, _, _ in words]
        spans = spans_from_tags(text, [(start, end) for _, start, end in words], tags, probs)
        entities = find_negated(text, vocabulary_checked(spans))
        intent = INTENTS[int(intent_probs.argmax())]
        request = build_request(text, intent, entities, detect_negation=False)
        return ParseResult(text, intent, float(intent_probs.max()), entities, request)

    def parse(self, text: str) -> ParseResult:
        return self(text)
