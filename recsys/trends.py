"""Fashion trend forecasting on VISUELLE-style data: new-product sales and attribute momentum.

    train, gtrends = read_products_csv("train.csv", require_sales=True), read_gtrends("gtrends.csv")
    model = TrendForecaster(random_state=0).fit(train, gtrends)
    model.predict(new_products)                       # external_code + columns "0".."11", train.csv's scale
    ranking = attribute_trends(gtrends, "2019-09", top=10)
    plot_trends(ranking, "trends.png")                # matplotlib Figure, also written to the path

The forecaster averages five HistGradientBoostingRegressors (each split sees a random half of the features;
seeds ``random_state`` + i) with absolute-error loss (WAPE is an L1 measure) on log1p(100 x sales), on a
long table: one row per product and week ahead ``h``. Its inputs are what a product team knows before the
launch: category, colour, fabric, detail (``extra``) as native categoricals, the season half and the release
week, month and weekday, the calendar week each forecast week falls in (the shop's seasons and sales), the
level of the shop's most recent launches (overall and per attribute: sales drift by a third from year to
year) and, optionally, Google Trends of the product's attributes over the 52 weeks before release and an
image-kNN sales estimate. ``bench/trend_forecast.py`` measures each choice: on time-based validation the
Google Trends features made WAPE worse (they mostly fingerprint the date), so they are off by default
(``use_gtrends=True`` turns them on). The previous single model is ``n_models=1, max_features=1.0,
log_target=False, use_sale_week=False``. Fitting runs OpenMP on one thread: on 2 cores with another job
running, a fit took 5 s on one thread and 70-110 s on two (threads spin-waiting for the busy core).

Fallbacks, never a crash: an unknown category/colour/fabric/extra becomes a missing value, so the trees send
it down their learned missing-value branch (a prior over all products); a release date after the last
Google Trends week uses the last 52 available weeks, one before the first gets missing trend features (both
with a warning); a product without an image (or any, with ``use_images=False``) gets a missing image feature.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from atelier_io import data_dir, replacing
from recsys.trends_features import image_knn, long_table, recent_level, trend_features

log = logging.getLogger(__name__)

WEEKS = 12
SALES_COLUMNS = [str(i) for i in range(WEEKS)]
REQUIRED_COLUMNS = ("external_code", "season", "category", "release_date", "color", "fabric")
ATTRIBUTES = ("category", "color", "fabric")
CATEGORICALS = ("category", "color", "fabric", "extra")
# Google Trends terms of VISUELLE by kind; every other gtrends column is a fabric.
COLOURS = ("yellow", "brown", "blue", "grey", "green", "black", "red", "white", "orange", "violet")
CATEGORIES = (
    "long sleeve", "culottes", "miniskirt", "short sleeves", "printed", "short cardigan", "solid colours",
    "trapeze dress", "sleeveless", "long cardigan", "sheath dress", "short coat", "medium coat", "doll dress",
    "long dress", "shorts", "long coat", "tracksuit", "drop sleeve", "patterned", "kimono dress", "medium cardigan",
    "shirt dress", "maxi", "capris", "gitana skirt", "long duster",
)
NOISE_FLOOR = 10.0  # Google Trends points: below this a term's weekly values are mostly sampling noise
# Softmax temperature in momentum units: 0.25 more momentum (a quarter of the 52-week mean) = e times the share.
# Fixed, not per-kind, so kinds that barely move (colours) get flat shares instead of a manufactured winner.
TEMPERATURE = 0.25
LOG_SCALE = 100.0  # log_target fits log1p(100 x sales): train.csv's weekly sales are mostly 0.01 .. 0.1
MOMENTUM_HISTORY = 64  # weeks: the last 12 plus the same 12 a year earlier, for a seasonal forecast


def check_products(frame: pd.DataFrame, require_sales: bool = False) -> pd.DataFrame:
    """A validated copy: required columns present, release dates parsed, sales numeric (if required)."""
    need = list(REQUIRED_COLUMNS) + (SALES_COLUMNS if require_sales else [])
    frame = frame.rename(columns=str)
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise ValueError(f"products table lacks column(s) {missing}; expected VISUELLE train.csv columns {need}")
    if frame.empty:
        raise ValueError("products table has no rows")
    out = frame.copy()
    out["release_date"] = pd.to_datetime(out["release_date"], errors="coerce", format="mixed")
    bad = out.index[out["release_date"].isna()]
    if len(bad):
        raise ValueError(f"release_date is not a date (YYYY-MM-DD) in {len(bad)} row(s), first rows {list(bad[:5])}")
    codes = pd.to_numeric(out["external_code"], errors="coerce")
    if codes.isna().any():
        raise ValueError(f"external_code must be an integer; bad rows {list(out.index[codes.isna()][:5])}")
    out["external_code"] = codes.astype(int)
    for column in (*CATEGORICALS, "season"):
        out[column] = out[column].astype("string").str.strip().str.lower() if column in out else pd.NA
    if require_sales:
        sales = out[SALES_COLUMNS].apply(pd.to_numeric, errors="coerce")
        if sales.isna().any().any():  # small negatives are returns (14 weeks in train.csv): kept as they are
            bad = list(out.index[sales.isna().any(axis=1)][:5])
            raise ValueError(f"sales columns 0..11 must be numbers; bad rows {bad}")
        out[SALES_COLUMNS] = sales
    return out.reset_index(drop=True)


def read_products_csv(path: str | Path, require_sales: bool = False) -> pd.DataFrame:
    """Read and validate a VISUELLE-style products CSV (train.csv's columns; sales only if ``require_sales``)."""
    return check_products(_read_csv(path), require_sales)


def read_gtrends(path: str | Path) -> pd.DataFrame:
    """Weekly Google Trends, indexed by date; VISUELLE's -1 (no data) becomes NaN."""
    frame = _read_csv(path)
    if "date" not in frame.columns or frame.shape[1] < 2:
        raise ValueError(f"{path}: expected a 'date' column and one column per search term")
    return check_gtrends(frame.set_index("date"))


def check_gtrends(gtrends: pd.DataFrame) -> pd.DataFrame:
    index = pd.to_datetime(pd.Series(gtrends.index), errors="coerce")
    if index.isna().any():
        raise ValueError(f"gtrends dates must be YYYY-MM-DD; {int(index.isna().sum())} are not")
    values = gtrends.apply(pd.to_numeric, errors="coerce").set_axis(pd.DatetimeIndex(index), axis=0)
    values.columns = [str(c).strip().lower() for c in values.columns]
    return values.where(values >= 0).sort_index()


def _read_csv(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: not a readable CSV ({str(err).splitlines()[0]})") from err


class TrendForecaster(BaseEstimator):
    """12-week sales of products with no sales history (scikit-learn conventions; see the module docstring).

    fit(frame, gtrends, embeddings=None): ``frame`` has train.csv's columns with sales; ``gtrends`` is
    ``read_gtrends``'s table; ``embeddings`` maps external_code -> L2-normalised image vector (optional).
    predict(frame, embeddings=None) -> DataFrame with external_code and "0".."11", non-negative.
    """

    def __init__(self, use_gtrends: bool = False, use_recent_level: bool = True, use_images: bool = False,
                 trend_weeks: int = 52, recent_products: int = 100, recent_per_attribute: int = 40,
                 image_neighbours: int = 10, max_iter: int = 200, learning_rate: float = 0.1,
                 min_samples_leaf: int = 100, random_state: int | None = 0, n_models: int = 5,
                 max_features: float = 0.5, log_target: bool = True, use_sale_week: bool = True):
        self.use_gtrends = use_gtrends
        self.use_recent_level = use_recent_level
        self.use_images = use_images
        self.trend_weeks = trend_weeks
        self.recent_products = recent_products
        self.recent_per_attribute = recent_per_attribute
        self.image_neighbours = image_neighbours
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.min_samples_leaf = min_samples_leaf
        self.random_state = random_state
        self.n_models = n_models
        self.max_features = max_features
        self.log_target = log_target
        self.use_sale_week = use_sale_week

    def fit(self, frame: pd.DataFrame, gtrends: pd.DataFrame, embeddings: dict[int, np.ndarray] | None = None):
        frame = check_products(frame, require_sales=True)
        self.gtrends_ = check_gtrends(gtrends)
        self.categories_ = {c: sorted(frame[c].dropna().unique()) for c in CATEGORICALS}
        self.history_ = frame[["external_code", "release_date", *ATTRIBUTES]].assign(
            total=frame[SALES_COLUMNS].sum(axis=1))
        self.image_bank_ = self._image_bank(frame, embeddings)
        features = self._features(frame, embeddings)
        target = frame[SALES_COLUMNS].to_numpy(float).T.ravel()
        if self.log_target:  # returns (small negatives) count as zero sales here
            target = np.log1p(LOG_SCALE * np.clip(target, 0.0, None))
        rows = self._long(features, frame)
        seeds = [None if self.random_state is None else self.random_state + i for i in range(self.n_models)]
        with threadpool_limits(1, user_api="openmp"):  # see the module docstring: 15x slower when a core is busy
            self.models_ = [HistGradientBoostingRegressor(
                loss="absolute_error", max_iter=self.max_iter, learning_rate=self.learning_rate,
                min_samples_leaf=self.min_samples_leaf, max_features=self.max_features,
                categorical_features="from_dtype", random_state=seed,
            ).fit(rows, target) for seed in seeds]
        self.feature_names_ = list(features.columns)
        return self

    def predict(self, frame: pd.DataFrame, embeddings: dict[int, np.ndarray] | None = None) -> pd.DataFrame:
        check_is_fitted(self, "models_")
        frame = check_products(frame)
        self._warn_unknown(frame)
        features = self._features(frame, embeddings)
        rows = self._long(features, frame)
        with threadpool_limits(1, user_api="openmp"):
            members = [model.predict(rows) for model in self.models_]
        if self.log_target:
            members = [np.expm1(member) / LOG_SCALE for member in members]
        sales = np.mean(members, axis=0).reshape(WEEKS, len(frame)).T
        out = pd.DataFrame(np.clip(sales, 0.0, None), columns=SALES_COLUMNS)
        out.insert(0, "external_code", frame["external_code"].to_numpy())
        return out

    def _long(self, features: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
        return long_table(features, frame["release_date"] if self.use_sale_week else None)

    def _features(self, frame: pd.DataFrame, embeddings: dict[int, np.ndarray] | None) -> pd.DataFrame:
        dates = frame["release_date"]
        features = pd.DataFrame({
            column: pd.Categorical(frame[column].where(frame[column].isin(self.categories_[column])),
                                   categories=self.categories_[column])  # unknown -> missing, on purpose
            for column in CATEGORICALS
        })
        features["spring_summer"] = frame["season"].str.startswith("ss").fillna(False).astype(int).to_numpy()
        features["release_week"] = dates.dt.isocalendar().week.astype(int).to_numpy()
        features["release_month"] = dates.dt.month.to_numpy()
        features["release_weekday"] = dates.dt.dayofweek.to_numpy()
        if self.use_recent_level:
            features["recent_level"] = recent_level(self.history_, frame, None, self.recent_products)
            for attribute in ATTRIBUTES:
                features[f"recent_{attribute}"] = recent_level(self.history_, frame, attribute,
                                                               self.recent_per_attribute)
        if self.use_gtrends:
            features = features.join(trend_features(self.gtrends_, frame, self.trend_weeks))
        if self.use_images:
            features["image_knn"] = image_knn(self.image_bank_, frame["external_code"].to_numpy(), embeddings,
                                              self.image_neighbours)
        return features

    def _image_bank(self, frame: pd.DataFrame, embeddings: dict[int, np.ndarray] | None):
        if not self.use_images or not embeddings:
            return None
        rows = frame[frame["external_code"].isin(list(embeddings))]
        if len(rows) <= self.image_neighbours:
            return None
        vectors = np.stack([embeddings[int(c)] for c in rows["external_code"]]).astype(np.float32)
        return rows["external_code"].to_numpy(), vectors, rows[SALES_COLUMNS].sum(axis=1).to_numpy(float)

    def _warn_unknown(self, frame: pd.DataFrame) -> None:
        for column in CATEGORICALS:
            unknown = sorted(set(frame[column].dropna()) - set(self.categories_[column]))
            if unknown:
                log.warning("unknown %s %s: treated as missing (the model's prior over all products)",
                            column, unknown[:5])


def embed_product_images(frame: pd.DataFrame, folder: str | Path, encoder=None) -> dict[int, np.ndarray]:
    """external_code -> image embedding for the products with ``folder/images/{code:05d}.jpg``; others are
    skipped (images are optional per product). Unreadable photos are skipped with a warning."""
    images = Path(folder) / "images"
    found = {int(c): images / f"{int(c):05d}.jpg" for c in frame["external_code"]}
    found = {c: p for c, p in found.items() if p.is_file()}
    if not found:
        return {}
    if encoder is None:
        from recsys import create_encoder

        encoder = create_encoder()
    out = {}
    for code, path in found.items():  # one at a time so a broken file costs only itself
        try:
            out[code] = encoder.encode_images([path])[0]
        except Exception as err:  # noqa: BLE001 - any decoder failure means "no image" here
            log.warning("skipped image %s: %s", path, err)
    return out


def forecast_files(train_csv: str | Path, gtrends_csv: str | Path, products_csv: str | Path, out_csv: str | Path,
                   use_images: bool = False, random_state: int = 0) -> int:
    """``atelier forecast``: train on ``train_csv``, write PRED.csv (external_code, "0".."11") for the products.

    All inputs are read and checked before training, so a bad file fails in a second, not after a minute.
    Photos (``images/{code:05d}.jpg`` beside each CSV) are used only with ``use_images``. Returns the rows.
    """
    train = read_products_csv(train_csv, require_sales=True)
    gtrends, products = read_gtrends(gtrends_csv), read_products_csv(products_csv)
    train_images = embed_product_images(train, Path(train_csv).parent) if use_images else None
    new_images = embed_product_images(products, Path(products_csv).parent) if use_images else None
    model = TrendForecaster(use_images=use_images, random_state=random_state).fit(train, gtrends, train_images)
    prediction = model.predict(products, new_images)
    with replacing(out_csv) as tmp:  # never a half-written PRED.csv
        prediction.to_csv(tmp, index=False)
    return len(prediction)


def default_gtrends_path() -> Path:
    """VISUELLE's gtrends.csv under $ATELIER_DATA (default ../shared/data)."""
    return data_dir() / "trends" / "visuelle" / "gtrends.csv"


# ---- attribute trends -------------------------------------------------------------------------------------


@dataclass
class TrendScore:
    term: str
    kind: str  # "category", "color" or "fabric"
    momentum: float  # forecast mean of the next weeks minus the last 12 weeks' mean, over the 52-week mean
    probability: float  # softmax share (temperature TEMPERATURE) among all terms of this kind; not calibrated


@dataclass
class TrendRanking:
    period: str
    horizon_weeks: int
    categories: list[TrendScore] = field(default_factory=list)
    colours: list[TrendScore] = field(default_factory=list)
    fabrics: list[TrendScore] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        rows = [vars(s) | {"rank": r} for group in (self.categories, self.colours, self.fabrics)
                for r, s in enumerate(group, 1)]
        return pd.DataFrame(rows, columns=["kind", "rank", "term", "momentum", "probability"])


def term_kinds(gtrends: pd.DataFrame) -> dict[str, str]:
    """VISUELLE's terms by kind: its colours and categories; every other column is a fabric."""
    return {t: "color" if t in COLOURS else "category" if t in CATEGORIES else "fabric" for t in gtrends.columns}


def period_range(gtrends: pd.DataFrame) -> tuple[str, str]:
    """First and last YYYY-MM that ``attribute_trends`` accepts for this table."""
    first = (gtrends.index[0] + pd.Timedelta(weeks=MOMENTUM_HISTORY)).to_period("M") + 1
    return str(first), str(gtrends.index[-1].to_period("M"))


def momentum(gtrends: pd.DataFrame, start: pd.Timestamp, horizon: int = 12) -> pd.Series:
    """Per term: seasonal forecast of the next ``horizon`` weeks (same weeks a year ago, scaled by the year-
    on-year change of the last 12) against the last 12 weeks, relative to the 52-week mean."""
    past = gtrends[gtrends.index < start]
    last12, last52 = past.iloc[-12:].mean(), past.iloc[-52:].mean()
    year_ago = past.iloc[-64:-52].mean()
    next_year_ago = past.iloc[-52:-52 + horizon].mean()
    growth = ((last12 + 1) / (year_ago + 1)).clip(0.5, 2.0)  # +1: terms near zero would explode the ratio
    forecast = next_year_ago * growth
    # + NOISE_FLOOR: a rare term (mostly zero weeks, a few 33s) would otherwise swing by 200 % on one search
    return ((forecast - last12) / (last52 + NOISE_FLOOR)).dropna()


def attribute_trends(gtrends: pd.DataFrame, period: str, top: int = 10, horizon: int = 12) -> TrendRanking:
    """Colours, fabrics and categories ranked by Google Trends momentum from the start of ``period`` (YYYY-MM)."""
    gtrends = check_gtrends(gtrends)
    try:
        start = pd.Period(period, freq="M").start_time
    except (ValueError, TypeError) as err:
        raise ValueError(f"period must be YYYY-MM, got {period!r}") from err
    first, last = period_range(gtrends)
    if not first <= str(pd.Period(period, freq="M")) <= last:
        raise ValueError(f"period {period} is outside the Google Trends range: give {first} .. {last}")
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}")
    scores, kinds = momentum(gtrends, start, horizon), term_kinds(gtrends)
    ranking = TrendRanking(period=period, horizon_weeks=horizon)
    for kind, attribute in (("category", "categories"), ("color", "colours"), ("fabric", "fabrics")):
        values = scores[[t for t in scores.index if kinds[t] == kind]].sort_values(ascending=False)
        clipped = values.clip(-1.0, 1.0)  # beyond doubling or vanishing, one term must not take every share
        weights = np.exp((clipped - clipped.max()) / TEMPERATURE)
        probability = weights / weights.sum()
        setattr(ranking, attribute, [TrendScore(t, kind, float(values[t]), float(probability[t]))
                                     for t in values.index[:top]])
    return ranking


def plot_trends(ranking: TrendRanking, path: str | Path | None = None):
    """Three bar charts (categories, colours, fabrics) of top-k probabilities; saved to ``path`` if given."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers; the app shows the saved PNG or the Figure
    import matplotlib.pyplot as plt

    groups = [("Categories", ranking.categories), ("Colours", ranking.colours), ("Fabrics", ranking.fabrics)]
    figure, axes = plt.subplots(1, 3, figsize=(15, 0.35 * max(len(g) for _, g in groups) + 1.5))
    for axis, (title, scores) in zip(axes, groups, strict=True):
        terms = [s.term for s in scores][::-1]
        colours = ["tab:green" if s.momentum > 0 else "tab:red" for s in scores][::-1]
        axis.barh(terms, [s.probability for s in scores][::-1], color=colours)
        axis.set_title(title)
        axis.set_xlabel("probability of trending (green: rising, red: falling)")
    figure.suptitle(f"Forecast momentum from {ranking.period}, next {ranking.horizon_weeks} weeks")
    figure.tight_layout()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=100)
    return figure

