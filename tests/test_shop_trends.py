"""Trends from the store's own interactions: small stores whose ranking is known, the shipped demo sample, the view
and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from atelier_cli import main
from recsys import Store, plot_shop_trends, shop_trends
from ui.trends_view import TRENDS_SAMPLE, demo_trends_store, shop_trends_view

END = pd.Timestamp("2024-06-30")  # the last day of the small stores below


def sales(counts: dict[str, tuple[int, int]], end: pd.Timestamp = END) -> pd.DataFrame:
    """Interactions per item id: (previous, recent) = how many 60 days before ``end`` (week 8 back) and on it."""
    rows = []
    for item_id, (previous, recent) in counts.items():
        rows += [(item_id, end - pd.Timedelta(days=60))] * previous + [(item_id, end)] * recent
    return pd.DataFrame(rows, columns=["item_id", "ts"]).assign(user_id="u1", kind="purchase")


def store_with(where, items: list[dict], interactions: pd.DataFrame) -> Store:
    """A store at ``where``: a folder (a new SQLite file in it) or a database URL."""
    store = Store(where / "shop.db" if isinstance(where, Path) else where)
    store.ingest(items=pd.DataFrame(items), interactions=interactions)
    return store


def colours(*names: str) -> list[dict]:
    return [{"id": name, "title": f"a {name} dress", "colour": name} for name in names]


def ranked(trends, kind: str = "colour") -> list[str]:
    return [t.value for t in trends.ranked[kind]]


def test_a_rising_share_ranks_first_even_when_smaller(db_url):
    store = store_with(db_url, colours("red", "blue", "green"),
                       sales({"red": (10, 30), "blue": (40, 40), "green": (50, 30)}))
    trends = shop_trends(store, ["colour"], min_count=5)
    assert ranked(trends) == ["red", "blue", "green"]
    red = trends.ranked["colour"][0]
    assert (red.count, red.previous_count) == (30, 10)
    assert red.share == pytest.approx(0.3) and red.previous_share == pytest.approx(0.1)
    assert red.momentum == pytest.approx(0.2) and trends.until == END.date()


def test_ties_go_to_the_larger_share_then_the_name(tmp_path):
    store = store_with(tmp_path, colours("red", "blue", "green"),
                       sales({"red": (10, 10), "blue": (10, 10), "green": (20, 20)}))
    assert ranked(shop_trends(store, ["colour"], min_count=5)) == ["green", "blue", "red"]


def test_the_latest_date_not_the_last_row_sets_the_window(tmp_path):
    rows = sales({"red": (0, 20), "blue": (20, 10)}).sort_values("ts", ascending=False)  # newest rows first
    assert rows["ts"].iloc[-1] < END
    trends = shop_trends(store_with(tmp_path, colours("red", "blue"), rows), ["colour"], min_count=5)
    assert trends.until == END.date() and ranked(trends) == ["red", "blue"]


def test_until_moves_the_windows_and_is_checked(tmp_path):
    store = store_with(tmp_path, colours("red", "blue"), sales({"red": (20, 0), "blue": (0, 20)}))
    before = shop_trends(store, ["colour"], until="2024-05-11", min_count=5)  # red's sales are in its last 4 weeks
    assert before.until == date(2024, 5, 11) and not before.ranked and "a window has none" in before.notes[0]
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        shop_trends(store, until="last friday")
    with pytest.raises(ValueError, match="run from 2024-05-01 to 2024-06-30"):
        shop_trends(store, until="2020-01-01")


def test_an_empty_store_says_what_to_ingest(tmp_path):
    with pytest.raises(ValueError, match="no interactions yet.*atelier ingest --interactions"):
        shop_trends(Store(tmp_path / "empty.db"))


def test_rare_values_are_left_out_under_the_floor(tmp_path):
    store = store_with(tmp_path, colours("red", "blue", "green"),
                       sales({"red": (2, 3), "blue": (12, 2), "green": (40, 40)}))
    trends = shop_trends(store, ["colour"], min_count=10)
    assert ranked(trends) == ["green", "blue"]  # blue falls but had 12 before; red never reached 10
    with pytest.raises(ValueError, match="min_count"):
        shop_trends(store, min_count=0)


def test_values_are_named_in_the_shoppers_vocabulary(tmp_path):
    items = [{"id": "a", "title": "a", "colour": "Navy Blue", "category": "Dresses"},
             {"id": "b", "title": "b", "colour": "navy", "category": "dress"},
             {"id": "c", "title": "c", "attributes": json.dumps({"color": "RED", "fabric": "Linen ", "style": "70s"})}]
    store = store_with(tmp_path, items, sales({"a": (5, 5), "b": (5, 5), "c": (10, 10)}))
    trends = shop_trends(store, min_count=1)
    assert sorted(ranked(trends)) == ["navy", "red"] and ranked(trends, "category") == ["dress"]
    assert ranked(trends, "material") == ["linen"] and ranked(trends, "style") == ["vintage"]


def test_odd_attribute_values_are_only_strings(tmp_path):
    hostile = ["'; DROP TABLE items; --", 'x") OR 1=1 --', "%_*", "🧵 Silk", "42", "[1, 2]"]
    items = [{"id": f"i{n}", "title": "t", "attributes": json.dumps({"material": value})}
             for n, value in enumerate(hostile)]
    store = store_with(tmp_path, items, sales({f"i{n}": (n + 1, 6 - n) for n in range(len(hostile))}))
    trends = shop_trends(store, ["material"], min_count=1)
    assert {t.value for t in trends.ranked["material"]} == {v.lower() for v in hostile}
    assert len(store.items()) == len(hostile)  # the table is still there


def test_a_kind_no_item_has_is_a_note_not_an_error(tmp_path):
    store = store_with(tmp_path, colours("red", "blue"), sales({"red": (10, 10), "blue": (10, 10)}))
    trends = shop_trends(store, min_count=5)
    assert list(trends.ranked) == ["colour"]
    assert [n.split(":")[0] for n in trends.notes] == ["category", "material", "style"]
    figure = plot_shop_trends(trends, tmp_path / "trends.png")
    assert len(figure.axes) == 1 and (tmp_path / "trends.png").stat().st_size > 0
    view = shop_trends_view(store, "style")
    assert view.table.empty and view.figure is None and "Nothing to rank" in view.message


def test_the_same_store_gives_the_same_ranking(tmp_path):
    store = store_with(tmp_path, colours("red", "blue", "green"),
                       sales({"red": (13, 17), "blue": (11, 19), "green": (23, 7)}))
    assert shop_trends(store, min_count=1).to_frame().equals(shop_trends(store, min_count=1).to_frame())


def test_the_demo_sample_ranks_every_kind_it_has(tmp_path):
    """The shipped sample goes through the store's own ingest, into a store of its own."""
    assert sum(f.stat().st_size for f in TRENDS_SAMPLE.iterdir()) < 500_000
    store = demo_trends_store(tmp_path / "demo.db")
    assert store.counts()["interactions"] == 27_149
    view = shop_trends_view(store, top=3)
    assert set(view.table["kind"]) == {"colour", "category", "material"} and len(view.table) == 9
    assert "2019-10-25" in view.message and "style" in view.message and len(view.figure.axes) == 3
    assert demo_trends_store(tmp_path / "demo.db").counts()["interactions"] == 27_149  # not ingested twice


def test_two_processes_building_the_demo_sample_at_once_ingest_it_once(tmp_path):
    """Two workers of `atelier serve --workers 2`, each asked for the demo's trends first: one file, one sample."""
    count = ("import sys; from ui.trends_view import demo_trends_store; "
             "print(demo_trends_store(sys.argv[1]).counts()['interactions'])")
    runs = [subprocess.Popen([sys.executable, "-c", count, str(tmp_path / "demo.db")], stdout=subprocess.PIPE,
                             text=True) for _ in range(2)]
    assert [int(run.communicate(timeout=300)[0]) for run in runs] == [27_149, 27_149]
    assert Store(tmp_path / "demo.db").counts()["interactions"] == 27_149


def test_cli_ranks_the_store_and_says_when_it_is_empty(tmp_path, capsys):
    store = store_with(tmp_path, colours("red", "blue"), sales({"red": (10, 30), "blue": (30, 10)}))
    store.close()
    db = str(tmp_path / "shop.db")
    assert main(["trends", "--db", db, "--kind", "colour", "--top", "1", "--plot", str(tmp_path / "t.png")]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["kind"], r["rank"], r["value"], r["until"]) for r in lines] == [("colour", 1, "red", "2024-06-30")]
    assert (tmp_path / "t.png").is_file()
    assert main(["trends", "--db", db, "--kind", "colour", "--until", "2024-13-01"]) == 2
    assert main(["trends", "--db", str(tmp_path / "empty.db")]) == 2
    assert "no interactions yet" in capsys.readouterr().err
    assert main(["trends", "--db", db, "--kind", "sizes"]) == 2
    assert main(["trends", "--gtrends", "x.csv"]) == 2


def test_cli_ranks_the_shipped_sample_with_demo(capsys):
    assert main(["trends", "--demo", "--kind", "colour", "--top", "2"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["kind"], r["rank"]) for r in lines] == [("colour", 1), ("colour", 2)]
    assert lines[0]["until"] == "2019-10-25"  # the sample's own latest date, not today


def test_only_the_demo_catalogs_empty_store_shows_the_sample(tmp_path):
    from types import SimpleNamespace

    from ui.engines import Engines

    own = store_with(tmp_path, colours("red"), sales({"red": (10, 10)}))
    empty = Store(tmp_path / "empty.db")
    demo = SimpleNamespace(demo=True, store=empty, data_dir=tmp_path, _demo_trends=None)
    assert Engines.trends_store(demo).counts()["interactions"] == 27_149
    assert Engines.trends_store(SimpleNamespace(demo=True, store=own, data_dir=tmp_path)) is own
    assert Engines.trends_store(SimpleNamespace(demo=False, store=empty, data_dir=tmp_path)) is empty
    assert empty.counts()["interactions"] == 0  # the sample never enters the shop's store
