"""The registry resolves every shipped or packaged model offline, honours overrides, and names the fix
when something is missing or damaged."""

from __future__ import annotations

import json
import shutil

import pytest

import weights
from weights import WeightsCorruptError, WeightsNotFoundError, get_entry, list_models, resolve
from weights.registry import is_hub_id, resolve_pretrained


def test_manifest_entries_are_complete():
    assert {"minilm", "mobilenet_v2", "atelier-fashion-heads", "open_clip", "diffusion"} <= set(list_models())
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


def test_diffusion_weights_come_from_the_user_as_a_folder_or_a_hub_id(tmp_path, monkeypatch):
    monkeypatch.delenv("ATELIER_WEIGHTS_DIFFUSION", raising=False)
    monkeypatch.delenv("ATELIER_WEIGHTS_CONFIG", raising=False)
    assert get_entry("diffusion").source == {"kind": "user", "setting": "ATELIER_WEIGHTS_DIFFUSION", "hub": True}
    with pytest.raises(WeightsNotFoundError, match="ATELIER_WEIGHTS_DIFFUSION"):
        resolve_pretrained("diffusion")
    monkeypatch.setenv("ATELIER_WEIGHTS_DIFFUSION", str(tmp_path))
    assert resolve_pretrained("diffusion") == str(tmp_path) and resolve("diffusion") == tmp_path
    monkeypatch.setenv("ATELIER_WEIGHTS_DIFFUSION", "stabilityai/sd-turbo")
    assert resolve_pretrained("diffusion") == "stabilityai/sd-turbo"  # passed on as is; nothing downloaded here
    with pytest.raises(WeightsNotFoundError, match="resolve_pretrained"):
        resolve("diffusion")  # a hub id is not a local path
    monkeypatch.setenv("ATELIER_WEIGHTS_DIFFUSION", str(tmp_path / "missing"))
    with pytest.raises(WeightsNotFoundError, match="does not exist"):
        resolve_pretrained("diffusion")
    monkeypatch.delenv("ATELIER_WEIGHTS_DIFFUSION")
    config = tmp_path / "weights.json"
    config.write_text(json.dumps({"diffusion": "owner/model"}))
    monkeypatch.setenv("ATELIER_WEIGHTS_CONFIG", str(config))
    assert resolve_pretrained("diffusion") == "owner/model"


def test_hub_ids_only_where_the_entry_allows_them(monkeypatch):
    assert is_hub_id("stabilityai/sd-turbo") and is_hub_id("gpt2")
    assert not any(is_hub_id(p) for p in ("/models/sd", "./sd", "~/sd", "a/b/c", "../sd", "name with space"))
    monkeypatch.setenv("ATELIER_WEIGHTS_OPEN_CLIP", "laion/clip")  # open_clip's entry takes local files only
    with pytest.raises(WeightsNotFoundError, match="does not exist"):
        resolve_pretrained("open_clip")
