"""The `atelier` command as users run it: real encoder, real photos, clean errors and exit codes."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from atelier_cli import main


def test_search_ranks_the_demo_catalog(capsys):
    assert main(["search", "blue jeans", "-k", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    scores = [float(line.split()[1]) for line in lines]
    assert scores == sorted(scores, reverse=True)
    assert "jeans" in lines[0].lower()


def test_embed_writes_vectors_and_row_order(tmp_path, product_images, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    for path in product_images[:3]:
        shutil.copy(path, folder)
    out = tmp_path / "emb.npy"
    assert main(["embed", "--images", str(folder), "--out", str(out)]) == 0
    vectors = np.load(out)
    assert vectors.shape[0] == 3 and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    assert out.with_suffix(".ids.txt").read_text().split() == sorted(p.name for p in product_images[:3])


def test_eval_encoder_reports_every_metric(tmp_path, product_images, styles, capsys):
    """The measurement contract on a small products-layout folder (styles.csv + images/{id}.jpg)."""
    (tmp_path / "images").mkdir()
    for path in product_images:
        shutil.copy(path, tmp_path / "images")
    styles.loc[[int(p.stem) for p in product_images]].reset_index().to_csv(tmp_path / "styles.csv", index=False)
    out = tmp_path / "result.json"
    assert main(["eval", "encoder", "--products", str(tmp_path), "--json", str(out)]) == 0
    result = json.loads(out.read_text())["products"]
    assert result["products"] == len(product_images)
    for key in ("articleType", "baseColour", "usage"):
        assert 0 <= result[key]["top1"] <= 1 and 0 <= result[key]["weighted_f1"] <= 1
    assert 0 <= result["text_to_image"]["recall@1"] <= result["text_to_image"]["recall@10"] <= 1
    assert 0 <= result["image_to_image"]["precision@10_same_articleType"] <= 1


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["search", "   "], 2, "empty"),
        (["search", "red", "-k", "0"], 2, "-k must be at least 1"),
        (["search", "red", "--catalog", "/nonexistent"], 1, "not a folder"),
        (["embed", "--images", "/nonexistent", "--out", "x.npy"], 1, "not a folder"),
        (["eval", "encoder"], 2, "--products"),
        (["eval", "encoder", "--products", "/nonexistent"], 1, "styles.csv not found"),
    ],
)
def test_bad_input_gives_one_line_and_an_exit_code(argv, code, message, capsys):
    assert main(argv) == code
    err = capsys.readouterr().err
    assert err.startswith("atelier: error:") and message in err and "Traceback" not in err


def test_corrupt_image_in_a_folder_names_the_file(tmp_path, product_images, capsys):
    shutil.copy(product_images[0], tmp_path)
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    assert main(["embed", "--images", str(tmp_path), "--out", str(tmp_path / "e.npy")]) == 2
    assert "broken.jpg" in capsys.readouterr().err
    assert not (tmp_path / "e.npy").exists()  # nothing half-written


def test_forecast_and_trends_follow_the_contract(tmp_path, data_dir, capsys):
    """`atelier forecast` on a time split of the real train.csv: PRED.csv with external_code and 0..11."""
    import pandas as pd

    folder = data_dir / "trends" / "visuelle"
    train = pd.read_csv(folder / "train.csv", parse_dates=["release_date"]).sort_values("release_date")
    cut = int(len(train) * 0.9)
    train.iloc[:cut].to_csv(tmp_path / "train.csv", index=False)
    new = train.iloc[cut:].drop(columns=[str(week) for week in range(12)])
    new.assign(color=new["color"].where(new.index % 7 != 0, "octarine")).to_csv(tmp_path / "new.csv", index=False)
    out = tmp_path / "pred.csv"
    argv = ["forecast", "--train", str(tmp_path / "train.csv"), "--gtrends", str(folder / "gtrends.csv"),
            "--products", str(tmp_path / "new.csv"), "--out", str(out)]
    assert main(argv) == 0
    pred = pd.read_csv(out)
    assert list(pred.columns) == ["external_code"] + [str(week) for week in range(12)]
    assert pred["external_code"].tolist() == new["external_code"].tolist()
    assert (pred.drop(columns="external_code").to_numpy() >= 0).all()
    capsys.readouterr()
    assert main(["trends", "--period", "2019-09", "--top", "2", "--gtrends", str(folder / "gtrends.csv")]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["kind"], r["rank"]) for r in rows] == [(k, n) for k in ("category", "color", "fabric") for n in (1, 2)]
    assert main(["trends", "--period", "2031-01", "--gtrends", str(folder / "gtrends.csv")]) == 2
    assert "outside" in capsys.readouterr().err
    (tmp_path / "bad.csv").write_text("external_code,season\n1,SS19\n")
    assert main([*argv[:5], "--products", str(tmp_path / "bad.csv"), "--out", str(out)]) == 2
    assert "column" in capsys.readouterr().err
