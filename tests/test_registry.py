"""The registry resolves every shipped or packaged model offline, honours overrides, and names the fix
when something is missing or damaged."""

from __future__ import annotations

import json
import shutil

import pytest

import weights
from weights import WeightsCorruptError, WeightsNotFoundError, get_entry, list_models, resolve


def test_manifest_entries_are_complete():
    assert {"minilm", "mobilenet_v2", "atelier-fashion-heads", "open_clip"} <= set(list_models())
    for model_id in list_models():
        entry = get_entry(model_id)
        assert entry.role and entry.license and entry.source["kind"] in {"file", "package", "user"}


def test_packaged_and_shipped_weights_resolve_offline():
    assert (resolve("minilm") / "config.json").is_file()
    assert resolve("mobilenet_v2").stat().st_size > 10_000_000
    heads = resolve("atelier-fashion-heads")
    assert heads.is_file() and heads.stat().st_size < 8 * 2**20  # "a few MB"


def test_unknown_model_lists_the_known_ones():
    with pytest.raises(KeyError, match="known models: .*minilm"):
        get_entry("gpt-17")


def test_user_entry_without_setting_names_the_variable():
    with pytest.raises(WeightsNotFoundError, match="ATELIER_WEIGHTS_OPEN_CLIP"):
        resolve("open_clip")


def test_override_by_environment_and_config_file(tmp_path, monkeypatch):
    checkpoint = tmp_path / "mine.pt"
    checkpoint.write_bytes(b"x")
    monkeypatch.setenv("ATELIER_WEIGHTS_OPEN_CLIP", str(checkpoint))
    assert resolve("open_clip") == checkpoint
    monkeypatch.delenv("ATELIER_WEIGHTS_OPEN_CLIP")
    config = tmp_path / "weights.json"
    config.write_text(json.dumps({"open_clip": str(checkpoint)}))
    monkeypatch.setenv("ATELIER_WEIGHTS_CONFIG", str(config))
    assert resolve("open_clip") == checkpoint
    monkeypatch.setenv("ATELIER_WEIGHTS_MINILM", str(tmp_path / "missing"))
    with pytest.raises(WeightsNotFoundError, match="does not exist"):
        resolve("minilm")


def test_missing_and_damaged_shipped_file(tmp_path, monkeypatch):
    heads = resolve("atelier-fashion-heads")
    monkeypatch.setattr(weights.registry, "_HERE", tmp_path)
    with pytest.raises(WeightsNotFoundError, match="atelier train"):
        resolve("atelier-fashion-heads")
    target = tmp_path / get_entry("atelier-fashion-heads").source["path"]
    target.parent.mkdir(parents=True)
    shutil.copy(heads, target)
    assert resolve("atelier-fashion-heads") == target
    with open(target, "r+b") as handle:
        handle.seek(100)
        handle.write(b"\x00\xff\x00\xff")
    with pytest.raises(WeightsCorruptError, match="damaged"):
        resolve("atelier-fashion-heads")
