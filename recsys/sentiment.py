"""Comment sentiment s(x) in [-1, 1] and its per-item aggregate.

    scorer = load_sentiment()                  # atelier-sentiment; VADER (with a warning) if its weights are missing
    scorer.score(["Love it!", "Cheap fabric"])  # float32 [n] in [-1, 1]; empty or NaN text scores 0.0
    item_sentiment(reviews)                     # per item: Bayesian-smoothed mean and review count

``atelier-sentiment`` is the packaged MiniLM with its top transformer layers fine-tuned on review ratings and a
5-way rating head on the mean-pooled tokens; the score is the expected rating rescaled, (E[rating] - 3) / 2.
VADER and TextBlob are the lexicon baselines (no training, bundled offline).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import torch
from torch import nn

from atelier_io import replacing

log = logging.getLogger(__name__)

MODEL_ID = "atelier-sentiment"
KINDS = ("atelier", "vader", "textblob")
MAX_TOKENS = 128
RATINGS = torch.arange(1, 6, dtype=torch.float32)
# Empirical Bayes on the Women's reviews: within-item variance of (rating - 3) / 2 over the variance of the
# item means (per Clothing ID) is 0.298 / 0.0151 ≈ 20, i.e. an item's own mean is worth trusting as much as
# the catalog's after about 20 reviews.
PRIOR_STRENGTH = 20.0


class SentimentModel(nn.Module):
    """MiniLM split in two: frozen bottom layers (their output can be cached for training) and
    ``train_layers`` fine-tuned top layers, then a rating head on the mean-pooled tokens."""

    def __init__(self, backbone: nn.Module, train_layers: int, objective: str = "classes", dropout: float = 0.1):
        super().__init__()
        self.backbone = backbone
        self.split = backbone.config.num_hidden_layers - train_layers
        self.objective = objective
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(backbone.config.hidden_size, _outputs(objective)))

    def _mask(self, hidden: torch.Tensor, attention_mask: torch.Tensor):
        from transformers.masking_utils import create_bidirectional_mask

        return create_bidirectional_mask(config=self.backbone.config, inputs_embeds=hidden,
                                         attention_mask=attention_mask)

    def bottom(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Hidden states [b, t, 384] after the frozen layers."""
        hidden = self.backbone.embeddings(input_ids=input_ids)
        mask = self._mask(hidden, attention_mask)
        for layer in self.backbone.encoder.layer[: self.split]:
            hidden = layer(hidden, mask)
        return hidden

    def top(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Head outputs from the frozen layers' hidden states: rating logits [b, 5] or a raw polarity [b, 1]."""
        mask = self._mask(hidden, attention_mask)
        for layer in self.backbone.encoder.layer[self.split :]:
            hidden = layer(hidden, mask)
        weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1)
        return self.head(pooled)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.top(self.bottom(input_ids, attention_mask), attention_mask)

    def polarity(self, outputs: torch.Tensor) -> torch.Tensor:
        """Head outputs → sentiment in [-1, 1]."""
        if self.objective == "classes":
            return (outputs.softmax(-1) @ RATINGS - 3) / 2
        return torch.tanh(outputs.squeeze(-1))


def _outputs(objective: str) -> int:
    sizes = {"classes": 5, "regression": 1}  # 5 ratings (cross-entropy) or (rating - 3) / 2 (squared error)
    if objective not in sizes:
        raise ValueError(f"objective must be one of {sorted(sizes)}, got {objective!r}")
    return sizes[objective]


def build_model(train_layers: int, objective: str = "classes") -> tuple[SentimentModel, object]:
    """The packaged MiniLM (through the registry) with a fresh head; returns (model, tokenizer)."""
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    from weights import resolve

    hf_logging.disable_progress_bar()
    folder = str(resolve("minilm"))
    backbone = AutoModel.from_pretrained(folder)
    if not 0 <= train_layers <= backbone.config.num_hidden_layers:
        raise ValueError(f"train_layers must be in 0..{backbone.config.num_hidden_layers}, got {train_layers}")
    return SentimentModel(backbone, train_layers, objective), AutoTokenizer.from_pretrained(folder)


def trainable_state(model: SentimentModel) -> dict[str, torch.Tensor]:
    """Only what training changed (the top layers and the head): a few MB instead of MiniLM's 90."""
    names = {name for name, param in model.named_parameters() if param.requires_grad}
    return {name: tensor for name, tensor in model.state_dict().items() if name in names}


def freeze_bottom(model: SentimentModel) -> None:
    top = {f"backbone.encoder.layer.{i}." for i in range(model.split, model.backbone.config.num_hidden_layers)}
    for name, param in model.named_parameters():
        param.requires_grad = name.startswith("head.") or any(name.startswith(prefix) for prefix in top)


class SentimentScorer(Protocol):
    name: str

    def score(self, texts: Sequence[str]) -> np.ndarray: ...


def _texts(texts: Sequence[str]) -> tuple[list[int], list[str]]:
    """Indices and stripped texts of the non-empty entries; None, NaN and blank strings are empty."""
    if isinstance(texts, str | bytes):
        raise TypeError("texts must be a sequence of strings, not one string: wrap it in a list")
    keep, kept = [], []
    for i, text in enumerate(texts):
        if text is None or (isinstance(text, float) and math.isnan(text)):
            continue
        if not isinstance(text, str):
            raise TypeError(f"texts[{i}] must be a string (or None/NaN for no text), got {type(text).__name__}")
        if text.strip():
            keep.append(i)
            kept.append(text.strip())
    return keep, kept


def _scatter(n: int, keep: list[int], values: Sequence[float]) -> np.ndarray:
    scores = np.zeros(n, dtype=np.float32)  # no text is neutral
    scores[keep] = np.clip(np.asarray(values, dtype=np.float32), -1.0, 1.0)
    return scores


class AtelierSentiment:
    """The fine-tuned MiniLM: batches of texts sorted by length (little padding), truncated to 128 tokens."""

    name = "atelier"

    def __init__(self, model: SentimentModel, tokenizer, batch_size: int = 64):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.batch_size = batch_size

    @classmethod
    def from_weights(cls, path: str | Path, batch_size: int = 64) -> AtelierSentiment:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        config = payload["config"]
        model, tokenizer = build_model(config["train_layers"], config["objective"])
        loaded = model.load_state_dict({k: v.float() for k, v in payload["state_dict"].items()}, strict=False)
        if loaded.unexpected_keys:
            raise RuntimeError(f"sentiment weights at {path} do not fit the model: {loaded.unexpected_keys[:3]}")
        return cls(model, tokenizer, batch_size)

    @torch.inference_mode()
    def score(self, texts: Sequence[str]) -> np.ndarray:
        keep, kept = _texts(texts)
        order = np.argsort([len(t) for t in kept], kind="stable")
        values = np.zeros(len(kept), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            batch = self.tokenizer([kept[i] for i in rows], padding=True, truncation=True, max_length=MAX_TOKENS,
                                   return_tensors="pt")
            outputs = self.model(batch["input_ids"], batch["attention_mask"])
            values[rows] = self.model.polarity(outputs).numpy()
        return _scatter(len(texts), keep, values)


class VaderSentiment:
    """VADER's compound score: a rule-based lexicon, the baseline and the fallback."""

    name = "vader"

    def __init__(self):
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self.analyzer = SentimentIntensityAnalyzer()

    def score(self, texts: Sequence[str]) -> np.ndarray:
        keep, kept = _texts(texts)
        return _scatter(len(texts), keep, [self.analyzer.polarity_scores(t)["compound"] for t in kept])


class TextBlobSentiment:
    """TextBlob's pattern-lexicon polarity, a second lexicon baseline."""

    name = "textblob"

    def score(self, texts: Sequence[str]) -> np.ndarray:
        from textblob import TextBlob

        keep, kept = _texts(texts)
        return _scatter(len(texts), keep, [TextBlob(t).sentiment.polarity for t in kept])


def load_sentiment(kind: str = "atelier", weights: str | Path | None = None) -> SentimentScorer:
    """A scorer by name. ``atelier`` reads ``weights`` or the registry's atelier-sentiment; when the registry
    has no weights on this machine it warns and returns VADER, so scoring still works (less well)."""
    from weights import WeightsNotFoundError, resolve

    if kind not in KINDS:
        raise ValueError(f"unknown sentiment model {kind!r}; choose from {', '.join(KINDS)}")
    if kind == "vader":
        return VaderSentiment()
    if kind == "textblob":
        return TextBlobSentiment()
    if weights is not None:
        return AtelierSentiment.from_weights(weights)
    try:
        return AtelierSentiment.from_weights(resolve(MODEL_ID))
    except WeightsNotFoundError as err:
        log.warning("sentiment model %r is unavailable, scoring with VADER instead: %s", MODEL_ID, err)
        return VaderSentiment()


def aggregate(scores: Sequence[float], prior_mean: float, prior_strength: float = PRIOR_STRENGTH) -> tuple[float, int]:
    """(Bayesian-smoothed mean, count): the item's mean pulled towards ``prior_mean`` as if it had
    ``prior_strength`` extra reviews at that mean, so a few reviews cannot outrank many good ones."""
    values = np.asarray(scores, dtype=np.float64)
    if prior_strength <= 0:
        raise ValueError(f"prior_strength must be positive, got {prior_strength}")
    if not np.isfinite(values).all():
        raise ValueError("scores contain NaN or infinite values")
    return float((values.sum() + prior_strength * prior_mean) / (len(values) + prior_strength)), len(values)


def item_sentiment(reviews: pd.DataFrame, item_col: str = "item_id", score_col: str = "sentiment",
                   prior_mean: float | None = None, prior_strength: float = PRIOR_STRENGTH) -> pd.DataFrame:
    """Per item: ``sentiment`` (smoothed mean, see ``aggregate``), ``n_reviews`` and ``raw_mean``, indexed
    by item. The prior defaults to the mean of all reviews given (the catalog's average comment)."""
    missing = [c for c in (item_col, score_col) if c not in reviews.columns]
    if missing:
        raise KeyError(f"reviews lack column(s) {missing}; available: {list(reviews.columns)}")
    scores = reviews[score_col].astype(float)
    if scores.isna().any():
        raise ValueError(f"column {score_col!r} has {int(scores.isna().sum())} missing values")
    prior = float(scores.mean()) if prior_mean is None else prior_mean
    groups = scores.groupby(reviews[item_col])
    total, count = groups.sum(), groups.count()
    return pd.DataFrame({
        "sentiment": (total + prior_strength * prior) / (count + prior_strength),
        "n_reviews": count,
        "raw_mean": total / count,
    })


def check_csv(path: str | Path, text_col: str) -> list[str]:
    """The CSV's columns, after checking it exists, parses and has ``text_col`` (before any model loads)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path} is not a file" if path.exists() else f"{path}: no such file")
    try:
        columns = list(pd.read_csv(path, nrows=0, dtype=str).columns)
    except ValueError as err:  # pandas parser errors and UnicodeDecodeError are ValueErrors
        raise ValueError(f"{path} is not a readable CSV file: {err}") from err
    if text_col not in columns:
        raise ValueError(f"{path} has no column {text_col!r}; available columns: {', '.join(columns)}")
    return columns


def _chunks(path: Path, rows: int) -> Iterator[pd.DataFrame]:
    # Every cell is read as the string it is, so the output copies the input exactly (no 3 → 3.0, no "NA" → NaN).
    try:
        yield from pd.read_csv(path, dtype=str, keep_default_na=False, chunksize=rows)
    except ValueError as err:
        raise ValueError(f"{path} is not a readable CSV file: {err}") from err


def score_csv(src: str | Path, text_col: str, dst: str | Path, scorer: SentimentScorer, rows: int = 2048) -> int:
    """Copy ``src`` to ``dst`` with a ``sentiment`` column added (or replaced), ``rows`` rows at a time so
    a large file never sits in memory at once. Returns the number of rows written."""
    src, dst = Path(src), Path(dst)
    columns = check_csv(src, text_col)
    written = 0
    with replacing(dst) as tmp:
        for chunk in _chunks(src, rows):
            chunk["sentiment"] = np.round(scorer.score(chunk[text_col].tolist()), 4)
            chunk.to_csv(tmp, mode="a" if written else "w", header=not written, index=False)
            written += len(chunk)
        if not written:  # a header-only file: keep its header
            header = columns if "sentiment" in columns else [*columns, "sentiment"]
            pd.DataFrame(columns=header).to_csv(tmp, index=False)
    return written
