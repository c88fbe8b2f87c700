"""Trends from the shop's own data: colours, categories, materials and styles ranked by momentum in the store's
interactions (purchases, rentals, views) over time.

    trends = shop_trends(store, top=5)                # every kind, up to the store's latest date
    trends.to_frame()                                 # kind, rank, value, shares now and before, momentum, counts
    plot_shop_trends(trends, "trends.png")            # weekly shares of the top values, the two windows shaded

Weeks are counted back from ``until`` (default: the latest date with an interaction; its whole day counts), so
the windows are whole weeks: the recent one is the ``recent_weeks`` before it, the previous one the
``previous_weeks`` before that. A value's share is its part of the interactions of its kind in a window (those
with a value of that kind); its momentum is the recent share minus the previous one, in share points. Shares, not
counts: a busy season or a growing shop lifts every value alike and ranks none. Values with fewer than
``min_count`` interactions in each window are left out: one sale more or less would swing their share. Ties go to
the larger recent share, then the value's name, so the same store gives the same ranking.

Values come from the items: ``category`` and ``colour`` columns (else the ``attributes`` keys of the same name,
or ``color``), ``attributes["material"]`` (else ``fabric``) and ``attributes["style"]``. Colours, categories and
styles are named in the shopper's vocabulary (``tryon``: "Navy Blue" is navy, "long coat" a coat, "70s"
vintage); a value the vocabulary does not know, and every material, is kept lower-cased as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from tryon import canonical_colour, canonical_garment, canonical_style

from .store import Store

TREND_KINDS = ("colour", "category", "material", "style")
# Where each kind is read from: an items column (if any), then attribute keys in order.
SOURCES = {"colour": ("colour", "color"), "category": ("category",), "material": ("material", "fabric"),
           "style": ("style",)}
COLUMNS = {"colour", "category"}
PLOT_LINES = 6  # more lines per panel than this is a tangle, whatever ``top`` is
# One row per item and day: a shop with millions of interactions hands pandas thousands of rows, not millions.
DAILY = sa.text("SELECT item_id, date(ts) AS day, count(*) AS n FROM interactions GROUP BY item_id, date(ts)")


@dataclass
class ValueTrend:
    kind: str  # one of TREND_KINDS
    value: str
    share: float  # of the kind's interactions in the recent window
    previous_share: float  # in the window before it
    momentum: float  # share - previous_share
    count: int  # interactions in the recent window
    previous_count: int


@dataclass
class ShopTrends:
    until: date  # the last day counted
    recent_weeks: int
    previous_weeks: int
    min_count: int
    ranked: dict[str, list[ValueTrend]] = field(default_factory=dict)  # kind -> top values, best first
    weekly: dict[str, pd.DataFrame] = field(default_factory=dict)  # kind -> weekly shares (rows: week's last day)
    notes: list[str] = field(default_factory=list)  # kinds with nothing to rank, and why

    def to_frame(self) -> pd.DataFrame:
        rows = [vars(t) | {"rank": r} for trends in self.ranked.values() for r, t in enumerate(trends, 1)]
        return pd.DataFrame(rows, columns=["kind", "rank", "value", "share", "previous_share", "momentum", "count",
                                           "previous_count"])


def _colour(text: str) -> str | None:
    found = canonical_colour(text)
    return found.name if found else None


def _category(text: str) -> str | None:
    found = canonical_garment(text)
    return found.name if found else None


VOCABULARY: dict[str, Callable[[str], str | None]] = {"colour": _colour, "category": _category,
                                                      "style": canonical_style}


def value_text(raw) -> str | None:
    """Any raw value as lower-cased text with single spaces (a number or a list too); None when missing or blank."""
    if raw is None or (pd.api.types.is_scalar(raw) and pd.isna(raw)):
        return None
    return " ".join(str(raw).split()).lower() or None


def value_name(kind: str, text: str) -> str:
    """The name ``text`` is counted under: the shopper vocabulary's for the kinds it knows, else ``text``."""
    return (VOCABULARY[kind](text) if kind in VOCABULARY else None) or text


def item_values(items: pd.DataFrame, kind: str) -> pd.Series:
    """item id -> the item's value of ``kind`` (``store.items()``'s columns; items without one are left out)."""
    named: dict[str, str] = {}  # the vocabulary's lookups are fuzzy and slow: once per distinct text
    values = {}
    for row in items.itertuples(index=False):
        attributes = row.attributes if isinstance(row.attributes, dict) else {}
        given = ([getattr(row, kind)] if kind in COLUMNS else []) + [attributes.get(k) for k in SOURCES[kind]]
        text = next((t for t in map(value_text, given) if t), None)
        if text is not None:
            if text not in named:
                named[text] = value_name(kind, text)
            values[row.id] = named[text]
    return pd.Series(values, dtype=object)


def daily_counts(store: Store) -> pd.DataFrame:
    """Interactions per item and day (columns item_id, day, n)."""
    with store.engine.connect() as conn:
        frame = pd.read_sql(DAILY, conn)
    return frame.assign(day=pd.to_datetime(frame["day"]))


def check_inputs(kinds: Sequence[str], top: int, recent_weeks: int, previous_weeks: int, min_count: int,
                 history_weeks: int) -> None:
    unknown = [k for k in kinds if k not in TREND_KINDS]
    if unknown or not kinds:
        raise ValueError(f"kinds must be some of {list(TREND_KINDS)}, got {list(kinds)}")
    for name, number in (("top", top), ("recent_weeks", recent_weeks), ("previous_weeks", previous_weeks),
                         ("min_count", min_count), ("history_weeks", history_weeks)):
        if not isinstance(number, int) or number < 1:
            raise ValueError(f"{name} must be a positive integer, got {number!r}")


def last_day(daily: pd.DataFrame, until: str | date | None) -> pd.Timestamp:
    """The last day counted: ``until`` (a date or YYYY-MM-DD), else the latest date with an interaction."""
    if until is None:
        return daily["day"].max().normalize()
    try:
        day = pd.Timestamp(until)
    except ValueError as err:
        raise ValueError(f"until must be a date (YYYY-MM-DD), got {until!r}") from err
    return (day.tz_convert(None) if day.tzinfo else day).normalize()  # the store's dates are UTC, naive


def shop_trends(store: Store, kinds: Sequence[str] = TREND_KINDS, top: int = 10, until: str | date | None = None,
                recent_weeks: int = 4, previous_weeks: int = 12, min_count: int = 10,
                history_weeks: int = 52) -> ShopTrends:
    """Values of each kind ranked by momentum in the store's interactions (see the module docstring)."""
    # 1. Check the arguments, then that there is something to count
    check_inputs(kinds, top, recent_weeks, previous_weeks, min_count, history_weeks)
    daily = daily_counts(store)
    if daily.empty:
        raise ValueError("the store has no interactions yet: ingest the shop's purchases, rentals or views "
                         "(`atelier ingest --interactions FILE`, columns user_id, item_id, ts; see docs/store.md)")
    # 2. Weeks counted back from the last day: 0 is the 7 days ending on it
    end = last_day(daily, until)
    daily = daily[daily["day"] <= end].assign(week=lambda d: (end - d["day"]).dt.days // 7)
    span = recent_weeks + previous_weeks
    if not (daily["week"] < span).any():
        first, last = store_range(store)
        raise ValueError(f"no interactions in the {span} weeks up to {end:%Y-%m-%d}; the store's interactions run "
                         f"from {first} to {last}")
    # 3. Rank each kind on its weekly counts
    trends = ShopTrends(end.date(), recent_weeks, previous_weeks, min_count)
    items = store.items()
    for kind in kinds:
        weekly = weekly_counts(daily, item_values(items, kind), max(span, history_weeks))
        ranked = rank(weekly, kind, recent_weeks, previous_weeks, min_count)[:top]
        if ranked:
            trends.ranked[kind] = ranked
            trends.weekly[kind] = weekly_shares(weekly, [t.value for t in ranked], end, history_weeks)
        else:
            trends.notes.append(nothing_to_rank(kind, weekly, min_count))
    return trends


def weekly_counts(daily: pd.DataFrame, values: pd.Series, weeks: int) -> pd.DataFrame:
    """Interactions per week back (rows, 0 = the last) and value (columns) over ``weeks``; items without a value
    are not counted, so the frame is empty when none has one."""
    counted = daily[daily["week"] < weeks].join(values.rename("value"), on="item_id", how="inner")
    return counted.pivot_table(index="week", columns="value", values="n", aggfunc="sum", fill_value=0)


def nothing_to_rank(kind: str, weekly: pd.DataFrame, min_count: int) -> str:
    if weekly.empty:
        return f"{kind}: no item with interactions in these weeks has one (items' {' or '.join(SOURCES[kind])})"
    return f"{kind}: too few interactions to rank (no value has {min_count} in a window, or a window has none)"


def rank(weekly: pd.DataFrame, kind: str, recent_weeks: int, previous_weeks: int, min_count: int) -> list[ValueTrend]:
    """Every value of ``weekly`` (counts, rows: weeks back) over the floor, best momentum first."""
    recent = weekly[weekly.index < recent_weeks].sum()
    previous = weekly[(weekly.index >= recent_weeks) & (weekly.index < recent_weeks + previous_weeks)].sum()
    if recent.sum() == 0 or previous.sum() == 0:  # a share of nothing is no share: no momentum to measure
        return []
    share, before = recent / recent.sum(), previous / previous.sum()
    kept = [v for v in weekly.columns if recent[v] >= min_count or previous[v] >= min_count]
    trends = [ValueTrend(kind, str(v), float(share[v]), float(before[v]), float(share[v] - before[v]),
                         int(recent[v]), int(previous[v])) for v in kept]
    # rounded: 3/10 - 1/10 and 4/10 - 2/10 are one momentum, whatever the floats say
    return sorted(trends, key=lambda t: (-round(t.momentum, 12), -round(t.share, 12), t.value))


def weekly_shares(weekly: pd.DataFrame, values: list[str], end: pd.Timestamp, history_weeks: int) -> pd.DataFrame:
    """Share of each of ``values`` per week, oldest first, indexed by each week's last day (empty weeks: NaN)."""
    weeks = pd.RangeIndex(history_weeks - 1, -1, -1)
    counts = weekly.reindex(weeks, fill_value=0)
    totals = counts.sum(axis=1)
    shares = counts[values].div(totals.where(totals > 0), axis=0)
    return shares.set_axis(pd.DatetimeIndex([end - pd.Timedelta(weeks=int(w)) for w in weeks]), axis=0)


def store_range(store: Store) -> tuple[str, str]:
    with store.engine.connect() as conn:
        first, last = conn.execute(sa.text("SELECT min(date(ts)), max(date(ts)) FROM interactions")).one()
    return str(first), str(last)


def plot_shop_trends(trends: ShopTrends, path: str | Path | None = None):
    """One panel per ranked kind: the weekly shares of its top values (at most PLOT_LINES), the recent window
    shaded dark and the previous one light. Returns the matplotlib Figure, also saved to ``path`` if given."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers; the app shows the Figure, the CLI the saved PNG
    import matplotlib.pyplot as plt
    from matplotlib.ticker import PercentFormatter

    kinds = list(trends.ranked) or ["none"]
    # constrained: the legends beside the panels stay inside the figure, however the caller saves it
    figure, axes = plt.subplots(len(kinds), 1, figsize=(11, 3.2 * len(kinds)), squeeze=False, layout="constrained")
    end = pd.Timestamp(trends.until)
    recent_start = end - pd.Timedelta(weeks=trends.recent_weeks)
    previous_start = recent_start - pd.Timedelta(weeks=trends.previous_weeks)
    for axis, kind in zip(axes[:, 0], kinds, strict=True):
        if kind not in trends.ranked:
            axis.text(0.5, 0.5, "nothing to rank", ha="center", va="center", transform=axis.transAxes)
            axis.set_axis_off()
            continue
        for item in trends.ranked[kind][:PLOT_LINES]:
            axis.plot(trends.weekly[kind].index, trends.weekly[kind][item.value], marker=".",
                      label=f"{item.value} ({100 * item.momentum:+.1f} pts)")
        axis.axvspan(previous_start, recent_start, color="0.93", zorder=0)
        axis.axvspan(recent_start, end, color="0.82", zorder=0)
        axis.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        axis.set_title(f"{kind}: weekly share of interactions (dark: the last {trends.recent_weeks} weeks, light: "
                       f"the {trends.previous_weeks} before)", fontsize=10, loc="left")
        axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, title="momentum", title_fontsize=9)
        axis.grid(alpha=0.3)
    figure.suptitle(f"Trends in the shop's interactions up to {trends.until:%Y-%m-%d}")
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=100)
    return figure
