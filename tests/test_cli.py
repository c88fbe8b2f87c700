"""The `atelier` command as users run it: real encoder, real photos, clean errors and exit codes."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from atelier_cli import main


def test_search_ranks_the_demo_catalog(capsys):
    assert main(["search", "a top", "-k", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    scores = [float(line.split()[1]) for line in lines]
    assert scores == sorted(scores, reverse=True)


def test_search_binds_the_request_and_says_when_nothing_matches(capsys):
    # The demo catalog has two blue jeans: the colour and the garment bind, whatever k asks for.
    assert main(["search", "blue jeans", "-k", "5"]) == 0
    captured = capsys.readouterr()
    assert [line.split()[2] for line in captured.out.strip().splitlines()] == ["13350", "28790"]
    assert captured.err == ""
    assert main(["search", "a green dress", "-k", "3"]) == 0
    captured = capsys.readouterr()
    assert "atelier: note: no green dresses; these are dresses in other colours" in captured.err
    assert all("dress" in line.lower() for line in captured.out.strip().splitlines())


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
        (["search", "blorp zzz qwerty"], 2, "no fashion request in 'blorp zzz qwerty'"),
        (["search", "a black dress, not black"], 2, "asks for black and also rules black out"),
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


def test_recommend_text_binds_the_request_with_a_note_and_refuses_nonsense(tmp_path, capsys):
    """`atelier ingest` then `atelier recommend --text` on real catalog rows (demo catalog titles and attributes,
    prices set here): the only red shoes cost 55, so "red shoes under 50" offers them with a note."""
    from ui import DEMO_CATALOG

    products = {p["id"]: p for p in json.loads((DEMO_CATALOG / "products.json").read_text())}
    prices = {"56882": 55, "22853": 45, "18540": 70, "49633": 40, "57043": 35, "6979": 20}  # red heels: 55
    rows = [{"id": i, "title": products[i]["title"], "price": price,
             "attributes": json.dumps(products[i]["attributes"])} for i, price in prices.items()]
    items = tmp_path / "items.jsonl"
    items.write_text("".join(json.dumps(row) + "\n" for row in rows))
    db = str(tmp_path / "shop.db")
    assert main(["ingest", "--db", db, "--items", str(items)]) == 0
    capsys.readouterr()
    assert main(["recommend", "--db", db, "--text", "red shoes under 50"]) == 0
    captured = capsys.readouterr()
    assert "atelier: note: no red shoes under 50; the cheapest red shoes are 55" in captured.err
    results = [json.loads(line) for line in captured.out.strip().splitlines()]
    assert [r["item_id"] for r in results] == ["56882"]
    assert results[0]["reasons"][0] == "matches your request: red heels, 55 (over your 50)"
    assert main(["recommend", "--db", db, "--text", "blorp zzz qwerty"]) == 2
    assert "no fashion request" in capsys.readouterr().err


@pytest.mark.parametrize("workers", ["0", "1000"])
def test_serve_refuses_a_worker_count_the_machine_cannot_hold(workers, tmp_path, capsys):
    """Checked before any model loads: a typo must not start a thousand model loads."""
    assert main(["serve", "--workers", workers, "--db", str(tmp_path / "shop.db"), "--port", "0"]) == 2
    assert "workers must be an integer from 1 to" in capsys.readouterr().err
