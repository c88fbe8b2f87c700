"""Run the trained instruction parser: text → intent + labelled spans (with scores) → normalised request."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from .parser import MAX_TOKENS, build_parser, word_starts
from .request import Request, build_request, find_negated
from .schema import BIO_LABELS, INTENTS, Entity

log = logging.getLogger(__name__)
MAX_CHARS = 10_000


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


class InstructionParserPipeline:
    """Loads the packaged MiniLM, applies the trained adapters and heads, and parses text."""

    def __init__(self, model, tokenizer):
        self.model, self.tokenizer = model.eval(), tokenizer

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None) -> InstructionParserPipeline:
        from weights import resolve

        payload = torch.load(Path(path) if path else resolve("atelier-parser"), map_location="cpu", weights_only=True)
        model, tokenizer = build_parser(payload["config"]["lora_rank"])
        missing = model.load_state_dict({k: v.float() for k, v in payload["state_dict"].items()}, strict=False)
        if missing.unexpected_keys:
            raise RuntimeError(f"parser weights do not fit the model: {missing.unexpected_keys[:3]}")
        model.backbone = model.backbone.merge_and_unload()  # adapters folded in: plain MiniLM speed
        return cls(model, tokenizer)

    @torch.no_grad()
    def __call__(self, text: str) -> ParseResult:
        text = check_text(text)
        batch = self.tokenizer(
            text,
            truncation=True,
            max_length=MAX_TOKENS,
            return_offsets_mapping=True,
            return_overflowing_tokens=False,
            return_tensors="pt",
        )
        if batch["offset_mapping"][0, -2, 1] < len(text.rstrip()) and batch["input_ids"].shape[1] >= MAX_TOKENS:
            log.warning(
                "text is longer than %d tokens; only its first %d characters were read",
                MAX_TOKENS,
                int(batch["offset_mapping"][0, -2, 1]),
            )
        token_logits, intent_logits = self.model(batch["input_ids"], batch["attention_mask"])
        token_probs = token_logits[0].softmax(-1)
        best = token_probs.max(-1)
        intent_probs = intent_logits[0].softmax(-1)
        # Each word takes its first token's tag, as in training, so spans always cover whole words.
        words = word_starts(text, batch["offset_mapping"][0].tolist())
        tags = [BIO_LABELS[int(best.indices[j])] for j, _, _ in words]
        probs = [float(best.values[j]) for j, _, _ in words]
        entities = find_negated(text, spans_from_tags(text, [(start, end) for _, start, end in words], tags, probs))
        intent = INTENTS[int(intent_probs.argmax())]
        request = build_request(text, intent, entities, detect_negation=False)
        return ParseResult(text, intent, float(intent_probs.max()), entities, request)

    def parse(self, text: str) -> ParseResult:
        return self(text)
