"""Feature builders for ``recsys.trends.TrendForecaster``: Google Trends windows, the shop's recent level,
image-kNN sales and the long (product x week ahead) table. Warnings go to the ``recsys.trends`` logger."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd

log = logging.getLogger("recsys.trends")

WEEKS = 12
ATTRIBUTES = ("category", "color", "fabric")


def trend_windows(gtrends: pd.DataFrame, terms: pd.Series, dates: pd.Series, weeks: int = 52) -> np.ndarray:
    """[n, weeks] Google Trends of each term over the ``weeks`` before its date (NaN where unknown).

    A date after the last week uses the last ``weeks`` available (the nearest window); one before the first
    week, or an unknown term, gives NaNs. Both are logged as warnings, once per call.
    """
    values, stamps = gtrends.to_numpy(float), gtrends.index.to_numpy()
    column = {term: i for i, term in enumerate(gtrends.columns)}
    ends = np.searchsorted(stamps, dates.to_numpy(), side="right")  # weeks up to and including the date
    late, early = dates > gtrends.index[-1] + pd.Timedelta(weeks=1), ends == 0
    if late.any() or early.any():
        log.warning("%d release date(s) outside Google Trends %s..%s: nearest window or no trend features",
                    int(late.sum() + early.sum()), gtrends.index[0].date(), gtrends.index[-1].date())
    out = np.full((len(terms), weeks), np.nan)
    for row, (term, end) in enumerate(zip(terms, ends, strict=True)):
        if term in column and end > 0:
            series = values[max(0, end - weeks):end, column[term]]
            out[row, weeks - len(series):] = series
    return out


def trend_features(gtrends: pd.DataFrame, frame: pd.DataFrame, weeks: int) -> pd.DataFrame:
    """Per attribute: level (52/12/4-week means), 12-week change, and the recent weeks on the window's own
    min-max scale (GTM-Transformer's normalisation: the shape, not the term's popularity)."""
    features = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows are expected: they stay NaN
        for attribute in ATTRIBUTES:
            window = trend_windows(gtrends, frame[attribute], frame["release_date"], weeks)
            low, high = np.nanmin(window, 1, keepdims=True), np.nanmax(window, 1, keepdims=True)
            scaled = (window - low) / (high - low + 1e-9)
            features[f"{attribute}_gt_mean"] = np.nanmean(window, 1)
            features[f"{attribute}_gt_last12"] = np.nanmean(window[:, -12:], 1)
            features[f"{attribute}_gt_last4"] = np.nanmean(window[:, -4:], 1)
            features[f"{attribute}_gt_change"] = features[f"{attribute}_gt_last12"] - np.nanmean(window[:, -24:-12], 1)
            features[f"{attribute}_gt_shape4"] = np.nanmean(scaled[:, -4:], 1)
            features[f"{attribute}_gt_shape12"] = np.nanmean(scaled[:, -12:], 1)
    return pd.DataFrame(features, index=frame.index)


def recent_level(history: pd.DataFrame, frame: pd.DataFrame, key: str | None, last: int) -> np.ndarray:
    """Mean 12-week sales of the ``last`` history products released strictly before each product's date
    (of the same ``key`` value when given); NaN with fewer than 10. Tracks the shop's level, which drifts."""
    out = np.full(len(frame), np.nan)
    groups = history.groupby(key, sort=False) if key else [(None, history)]
    for value, group in groups:
        group = group.sort_values("release_date", kind="stable")
        cumulative = np.concatenate([[0.0], np.cumsum(group["total"].to_numpy())])
        rows = np.flatnonzero(frame[key].to_numpy() == value) if key else np.arange(len(frame))
        count = np.searchsorted(group["release_date"].to_numpy(), frame["release_date"].to_numpy()[rows], "left")
        first = np.maximum(count - last, 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = (cumulative[count] - cumulative[first]) / (count - first)
        out[rows] = np.where(count - first >= min(10, last), mean, np.nan)
    return out


def image_knn(bank: tuple[np.ndarray, np.ndarray, np.ndarray] | None, codes: np.ndarray,
               embeddings: dict[int, np.ndarray] | None, k: int) -> np.ndarray:
    """Mean 12-week sales of the k training products whose photos are closest (cosine); a product never
    counts as its own neighbour. NaN without a photo."""
    out = np.full(len(codes), np.nan)
    if bank is None or not embeddings:
        return out
    bank_codes, bank_vectors, bank_totals = bank
    rows = [i for i, code in enumerate(codes) if int(code) in embeddings]
    if not rows:
        return out
    query = np.stack([embeddings[int(codes[i])] for i in rows])
    similarity = query @ bank_vectors.T
    similarity[np.asarray(codes)[rows][:, None] == bank_codes[None, :]] = -np.inf
    nearest = np.argsort(-similarity, axis=1)[:, :k]
    out[rows] = bank_totals[nearest].mean(1)
    return out


def long_table(features: pd.DataFrame, dates: pd.Series | None = None) -> pd.DataFrame:
    """One row per (week ahead, product), week-major, with the week ``h`` as a feature and, given the release
    ``dates``, the ISO calendar week the sales fall in (``sale_week``: the shop's seasons, sales and holidays)."""
    frames = []
    for h in range(WEEKS):
        frame = features.assign(h=h)
        if dates is not None:
            frame["sale_week"] = (dates + pd.Timedelta(weeks=h)).dt.isocalendar().week.astype(int).to_numpy()
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
