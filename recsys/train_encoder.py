"""Train atelier-fashion's heads on the real product photos (``atelier train encoder --data DIR``).

1. Read the catalog (``products/styles.csv`` + images) and the H&M articles; hold out a validation split
   by id hash, so a product is in the same split on every run.
2. Cache frozen features once: MobileNetV2 + colour descriptor per image, MiniLM per caption and prompt.
3. Train the heads with symmetric InfoNCE over (image, caption) plus prototype losses: each image against
   the prompt ensembles of every articleType, colour and usage (the attribute captions, as a softmax over
   all classes rather than over the batch).
4. Keep the epoch with the best validation score and save heads + config + metrics in one small file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.metrics import f1_score

from atelier_io import ImageError, load_image, replacing

from .backends import tokenize
from .encoder import EncoderCfg, FashionHeads, load_backbones, preprocess_image
from .prompts import CATEGORY_TEMPLATES, attribute_caption, prompts_for

log = logging.getLogger(__name__)
ATTRIBUTES = {"type": "articleType", "colour": "baseColour", "usage": "usage"}


@dataclass
class TrainConfig:
    data_dir: Path
    out: Path
    cache_dir: Path = Path("cache/encoder")
    epochs: int = 20  # validation plateaus after ~16 epochs
    batch_size: int = 512
    lr: float = 1e-3
    weight_decay: float = 0.05
    val_every: int = 2
    val_fraction_mod: int = 10  # ids with crc32 % 10 == 0 are validation
    loss_weights: dict = field(default_factory=lambda: {"caption": 2.0, "type": 1.5, "colour": 1.0, "usage": 0.3})
    seed: int = 0
    encoder: EncoderCfg = field(default_factory=EncoderCfg)


def is_validation(product_id, mod: int) -> bool:
    return zlib.crc32(str(product_id).encode()) % mod == 0


def read_catalog(products_dir: Path) -> pd.DataFrame:
    """styles.csv rows that have an image, with string labels (a few rows have none)."""
    table = pd.read_csv(products_dir / "styles.csv", on_bad_lines="skip")
    table["image"] = [products_dir / "images" / f"{i}.jpg" for i in table["id"]]
    table = table[[p.is_file() for p in table["image"]]].reset_index(drop=True)
    for column in ("articleType", "baseColour", "usage", "gender", "productDisplayName"):
        table[column] = table[column].fillna("").astype(str).str.strip()
    return table


def read_hm(hm_dir: Path) -> pd.DataFrame:
    """H&M articles that have a photo, mapped onto the catalog's columns."""
    if not (hm_dir / "articles.parquet").is_file():
        return pd.DataFrame()
    articles = pd.read_parquet(hm_dir / "articles.parquet")
    articles["image"] = [hm_dir / "images" / f"{int(a):010d}.jpg" for a in articles["article_id"]]
    articles = articles[[p.is_file() for p in articles["image"]]]
    return pd.DataFrame(
        {
            "id": "hm" + articles["article_id"].astype(str),
            "image": articles["image"],
            "productDisplayName": articles["prod_name"] + " " + articles["product_type_name"],
            "articleType": articles["product_type_name"],
            "baseColour": articles["colour_group_name"],
            "usage": "",
            "gender": "",
        }
    )


def _cache_key(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]


def image_features(paths: list[Path], cfg: EncoderCfg, cache_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """Backbone [n, 1280] and colour [n, c] features for each image, cached on disk."""
    # Only what shapes the features goes in the key: retuning the heads must not re-extract 40k images.
    preprocessing = (cfg.vision.image_size, cfg.vision.source_size, cfg.vision.colour_dim)
    cache = cache_dir / f"images-{_cache_key([str(p) for p in paths], preprocessing)}.npz"
    if cache.is_file():
        data = np.load(cache)
        return data["backbone"], data["colour"]
    image_net, _, _ = load_backbones()
    backbone, colour, start = [], [], time.time()
    with torch.no_grad():
        for offset in range(0, len(paths), 128):
            pixels, colours = [], []
            for path in paths[offset : offset + 128]:
                try:
                    p, c = preprocess_image(load_image(path), cfg.vision)
                except ImageError as err:  # keep row alignment; a blank row is never a positive pair
                    log.warning("skipping unreadable image: %s", err)
                    p, c = (
                        np.zeros((3, cfg.vision.image_size, cfg.vision.image_size), np.float32),
                        np.zeros(cfg.vision.colour_dim, np.float32),
                    )
                pixels.append(p)
                colours.append(c)
            backbone.append(image_net(torch.from_numpy(np.stack(pixels))).numpy().astype(np.float16))
            colour.append(np.stack(colours))
            if offset % 2560 == 0:
                log.info(
                    "image features %d/%d (%.0f img/s)", offset, len(paths), offset / max(time.time() - start, 1e-6)
                )
    backbone, colour = np.concatenate(backbone), np.concatenate(colour)
    with replacing(cache) as tmp, tmp.open("wb") as out:  # a file object: np.savez would add ".npz" to a name
        np.savez(out, backbone=backbone, colour=colour)
    return backbone, colour


def sentence_features(texts: list[str], cfg: EncoderCfg, cache_dir: Path) -> np.ndarray:
    """Frozen MiniLM sentence embeddings [n, 384], cached on disk."""
    cache = cache_dir / f"texts-{_cache_key(texts, cfg.text.max_tokens)}.npy"
    if cache.is_file():
        return np.load(cache)
    _, text_net, tokenizer = load_backbones()
    out = []
    with torch.no_grad():
        for offset in range(0, len(texts), 256):
            tokens = tokenize(tokenizer, texts[offset : offset + 256], cfg.text.max_tokens)
            out.append(
                text_net(torch.from_numpy(tokens["input_ids"]), torch.from_numpy(tokens["attention_mask"])).numpy()
            )
    feats = np.concatenate(out).astype(np.float32)
    with replacing(cache) as tmp, tmp.open("wb") as out:
        np.save(out, feats)
    return feats


def _captions(table: pd.DataFrame) -> tuple[list[str], list[str]]:
    names = [
        n if n else attribute_caption(c, t)
        for n, c, t in zip(table["productDisplayName"], table["baseColour"], table["articleType"], strict=True)
    ]
    attrs = [
        attribute_caption(c, t, g, u)
        for c, t, g, u in zip(table["baseColour"], table["articleType"], table["gender"], table["usage"], strict=True)
    ]
    return names, attrs


class _Prototypes:
    """The classes of one attribute and their prompt features, label-major [classes × templates, 384]."""

    def __init__(self, labels: list[str], templates: tuple[str, ...], cfg: EncoderCfg, cache_dir: Path):
        self.labels = labels
        self.n_templates = len(templates)
        self.features = torch.from_numpy(sentence_features(prompts_for(labels, templates), cfg, cache_dir))

    def embed(self, heads: FashionHeads) -> torch.Tensor:
        """Class prototypes [classes, d]: the normalised mean of each label's normalised prompt embeddings."""
        per_prompt = heads.encode_text(self.features).view(len(self.labels), self.n_templates, -1)
        return F.normalize(per_prompt.mean(1), dim=-1)

    def targets(self, values: pd.Series) -> torch.Tensor:
        index = {label: i for i, label in enumerate(self.labels)}
        return torch.tensor([index.get(v, -100) for v in values])


def _clip_loss(image: torch.Tensor, text: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    logits = scale * image @ text.T
    labels = torch.arange(len(image))
    return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2


def validate(heads: FashionHeads, data: dict, protos: dict[str, _Prototypes], val: np.ndarray) -> dict:
    """Zero-shot scores on the validation rows (features cached, so this takes a second)."""
    heads.eval()
    with torch.no_grad():
        image = heads.encode_image(data["backbone"][val], data["colour"][val])
        text = heads.encode_text(data["names"][val])
        scores = {}
        for key, proto in protos.items():
            target = data["targets"][key][val]
            keep = target >= 0
            predicted = (image @ proto.embed(heads).T).argmax(1)
            scores[f"{key}_top1"] = float((predicted[keep] == target[keep]).float().mean())
            if key == "type":
                scores["type_weighted_f1"] = float(f1_score(target[keep], predicted[keep], average="weighted"))
        ranks = (text @ image.T).argsort(dim=1, descending=True)[:, :10]
        scores["t2i_r10"] = float((ranks == torch.arange(len(text))[:, None]).any(1).float().mean())
    heads.train()
    scores["score"] = scores["type_weighted_f1"] + scores["colour_top1"] + scores["t2i_r10"]
    return scores


def fit(cfg: TrainConfig) -> dict:
    """Train, keep the best validation epoch, write ``cfg.out``; returns the training record."""
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    catalog = read_catalog(cfg.data_dir / "products")
    table = pd.concat([catalog, read_hm(cfg.data_dir / "hm")], ignore_index=True)
    val_mask = np.array([is_validation(i, cfg.val_fraction_mod) for i in table["id"]])
    log.info("%d products: %d train, %d validation", len(table), (~val_mask).sum(), val_mask.sum())

    start = time.time()
    backbone, colour = image_features(list(table["image"]), cfg.encoder, cfg.cache_dir)
    names, attrs = _captions(table)
    # Classes come from the catalog alone: H&M spells some of the same classes differently ("T-shirt" vs
    # "Tshirts"), and two prototypes for one class split its votes. H&M rows train through captions only.
    protos = {
        key: _Prototypes(
            sorted(v for v in catalog[ATTRIBUTES[key]].unique() if v),
            CATEGORY_TEMPLATES[key],
            cfg.encoder,
            cfg.cache_dir,
        )
        for key in ATTRIBUTES
    }
    data = {
        "backbone": torch.from_numpy(backbone.astype(np.float32)),
        "colour": torch.from_numpy(colour),
        "names": torch.from_numpy(sentence_features(names, cfg.encoder, cfg.cache_dir)),
        "attrs": torch.from_numpy(sentence_features(attrs, cfg.encoder, cfg.cache_dir)),
        "targets": {key: proto.targets(table[ATTRIBUTES[key]]) for key, proto in protos.items()},
    }
    features_s = time.time() - start

    heads = FashionHeads(cfg.encoder).train()
    optimiser = torch.optim.AdamW(heads.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    train_idx = np.flatnonzero(~val_mask)
    steps = cfg.epochs * (len(train_idx) // cfg.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=cfg.lr, total_steps=steps, pct_start=0.1)
    best, history = None, []
    for epoch in range(1, cfg.epochs + 1):
        order = rng.permutation(train_idx)
        for offset in range(0, len(order) - cfg.batch_size + 1, cfg.batch_size):
            batch = torch.from_numpy(order[offset : offset + cfg.batch_size])
            loss = _step_loss(heads, data, protos, batch, cfg.loss_weights)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            with torch.no_grad():
                heads.logit_scale.clamp_(0, np.log(100))
        if epoch % cfg.val_every == 0 or epoch == cfg.epochs:
            scores = validate(heads, data, protos, torch.from_numpy(np.flatnonzero(val_mask)))
            history.append(
                {"epoch": epoch, "loss": round(loss.item(), 4), **{k: round(v, 4) for k, v in scores.items()}}
            )
            log.info("epoch %d %s", epoch, history[-1])
            if best is None or scores["score"] > best[0]["score"]:
                best = (scores, {k: v.detach().clone() for k, v in heads.state_dict().items()}, epoch)
    scores, state, epoch = best
    record = {
        "best_epoch": epoch,
        "validation": scores,
        "history": history,
        "n_train": int(len(train_idx)),
        "n_validation": int(val_mask.sum()),
        "feature_seconds": round(features_s, 1),
        "total_seconds": round(time.time() - start, 1),
        "config": {**asdict(cfg), "encoder": None},
    }
    save_heads(cfg.out, state, cfg.encoder, record)
    return record


def _step_loss(heads: FashionHeads, data: dict, protos: dict, batch: torch.Tensor, weights: dict) -> torch.Tensor:
    scale = heads.logit_scale.exp()
    image = heads.encode_image(data["backbone"][batch], data["colour"][batch])
    loss = (
        weights["caption"]
        * (
            _clip_loss(image, heads.encode_text(data["names"][batch]), scale)
            + _clip_loss(image, heads.encode_text(data["attrs"][batch]), scale)
        )
        / 2
    )
    for key, proto in protos.items():
        target = data["targets"][key][batch]
        if (target >= 0).any():
            logits = scale * image @ proto.embed(heads).T
            loss = loss + weights[key] * F.cross_entropy(logits, target, ignore_index=-100, label_smoothing=0.1)
    return loss


def save_heads(path: Path, state: dict, cfg: EncoderCfg, record: dict) -> None:
    """fp16 weights (half the size, cast back to fp32 on load) + config + training record, written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "config": cfg.to_dict(),
        "state_dict": {k: v.half() for k, v in state.items()},
        "meta": json.loads(json.dumps(record, default=str)),
    }
    with replacing(path) as tmp:
        torch.save(payload, tmp)
