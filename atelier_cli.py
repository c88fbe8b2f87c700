"""The ``atelier`` command: serve the app, train and evaluate models, embed and search catalogs.

Every failure a user can cause (bad path, bad image, missing weights) ends with one line on stderr and a
non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

EXIT_USAGE, EXIT_FAILED = 2, 1
DB_HELP = "SQLite file or SQLAlchemy URL (default: $ATELIER_DB, else ~/.local/share/atelier/atelier.db)"


def _data_dir(value: str | None) -> Path:
    return Path(value or os.environ.get("ATELIER_DATA", "../shared/data"))


def _write_json(result: dict, out: str | None) -> None:
    text = json.dumps(result, indent=2)
    print(text)
    if out:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text + "\n")
        tmp.replace(path)


def cmd_serve(args) -> None:
    from ui import serve

    serve(host=args.host, port=args.port, catalog=args.catalog, db=args.db, demo_shop=args.demo_shop)


def cmd_prepare(args) -> None:
    """Export the encoder's and parser's ONNX graphs into the cache now, so the first `atelier serve` is quick."""
    from recsys import create_encoder
    from tryon import load_parser

    start = time.perf_counter()
    create_encoder()
    load_parser()
    print(f"ONNX graphs ready in the cache ({time.perf_counter() - start:.1f} s)")


def cmd_keys(args) -> None:
    from recsys import Store
    from ui import KeyStore

    keys = KeyStore(Store(args.db).engine)
    if args.action == "create":
        made = keys.create(args.name or "", args.scope, args.rate, args.origin or ())
        print(made.secret)
        where = f"pages of {' '.join(made.key.origins)}" if made.key.origins else "no other site's pages"
        print(f"key {made.key.id} ({made.key.scope}, {made.key.rate_per_minute}/min, {where}): shown once, only its "
              "hash is stored", file=sys.stderr)
    elif args.action == "revoke":
        if not args.id:
            raise ValueError("give the id of the key to revoke: atelier keys revoke --id ID")
        keys.revoke(args.id)
        print(f"revoked key {args.id}")
    else:
        for key in keys.list():
            print(f"{key.id}  {key.scope:6}  {key.rate_per_minute:>5}/min  {key.created_at:%Y-%m-%d %H:%M}  "
                  f"{'revoked' if key.revoked else 'live':7}  {key.name}  {' '.join(key.origins)}")


def cmd_train_encoder(args) -> None:
    from recsys.train_encoder import TrainConfig, fit

    data = _data_dir(args.data)
    if not (data / "products" / "styles.csv").is_file():
        raise FileNotFoundError(f"{data}/products/styles.csv not found: pass --data (the folder of products/ and hm/)")
    record = fit(
        TrainConfig(data_dir=data, out=Path(args.out), epochs=args.epochs, seed=args.seed, cache_dir=Path(args.cache))
    )
    print(json.dumps({k: record[k] for k in ("best_epoch", "validation", "n_train", "total_seconds")}, indent=2))
    from weights import get_entry, record_file

    shipped = Path(__file__).resolve().parent / "weights" / get_entry("atelier-fashion-heads").source["path"]
    if Path(args.out).resolve() == shipped:
        print(f"registry updated: atelier-fashion-heads sha256 {record_file('atelier-fashion-heads')}")


def cmd_eval_encoder(args) -> None:
    from recsys import create_encoder
    from recsys.evaluate import evaluate_products, evaluate_visuelle

    if not args.products and not args.visuelle:
        raise ValueError("give --products DIR and/or --visuelle DIR")
    if args.products and not (Path(args.products) / "styles.csv").is_file():
        raise FileNotFoundError(f"{args.products}/styles.csv not found (expected styles.csv + images/{{id}}.jpg)")
    if args.visuelle and not (Path(args.visuelle) / "train.csv").is_file():
        raise FileNotFoundError(f"{args.visuelle}/train.csv not found (expected VISUELLE's train.csv + images/)")
    encoder = create_encoder(backend=args.backend, pretrained=args.heads)
    result = {}
    if args.products:
        result["products"] = evaluate_products(encoder, Path(args.products), limit=args.limit)
    if args.visuelle:
        result["visuelle"] = evaluate_visuelle(encoder, Path(args.visuelle))
    _write_json(result, args.json)


def cmd_embed(args) -> None:
    import numpy as np

    from recsys import create_encoder
    from recsys.catalog import list_images

    paths = list_images(args.images)
    vectors = create_encoder(backend=args.backend).encode_images(paths)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.stem + ".tmp.npy")
    np.save(tmp, vectors)
    tmp.replace(out)
    out.with_suffix(".ids.txt").write_text("\n".join(p.name for p in paths) + "\n")
    ids = out.with_suffix(".ids.txt")
    print(f"wrote {vectors.shape[0]} x {vectors.shape[1]} embeddings to {out} (row order in {ids})")


def cmd_search(args) -> None:
    from recsys import Catalog, create_encoder, read_products

    if not args.query.strip():
        raise ValueError("the query is empty: say what you are looking for, e.g. 'red floral dress'")
    if args.k < 1:
        raise ValueError(f"-k must be at least 1, got {args.k}")
    folder = args.catalog or _default_catalog()
    read_products(folder)  # a bad folder fails here, before the encoder loads
    catalog = Catalog.from_folder(folder, create_encoder(backend=args.backend))
    for rank, hit in enumerate(catalog.search(args.query, k=args.k), 1):
        print(f"{rank:2d}  {hit.score:.3f}  {hit.product.id}  {hit.product.title}")


def _default_catalog() -> Path:
    from ui import DEMO_CATALOG

    return DEMO_CATALOG


def cmd_train_parser(args) -> None:
    from tryon.train_parser import ParserTrainConfig, fit

    data = _data_dir(args.data)
    if not (data / "products" / "styles.csv").is_file():
        raise FileNotFoundError(f"{data}/products/styles.csv not found: pass --data (the shared data folder)")
    dev = _read_jsonl(Path(args.dev)) if args.dev else None
    record = fit(ParserTrainConfig(data_dir=data, out=Path(args.out), n_train=args.n, epochs=args.epochs,
                                   seed=args.seed), dev)
    for split in ("generated_validation", "dev"):
        if split in record:
            print(f"== {split}\n{record[split].pop('report')}")
    print(json.dumps(record, indent=2))


def _read_jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}:{number}: not JSON ({err.msg})") from err
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise ValueError(f"{path}:{number}: expected an object with a string \"text\"")
        rows.append(row)
    return rows


def cmd_parse(args) -> None:
    from tryon import load_parser
    from tryon.inference import check_text

    if (args.text is None) == (args.jsonl is None):
        raise ValueError('give either "TEXT" or --jsonl FILE')
    rows = [{"text": args.text}] if args.text is not None else _read_jsonl(Path(args.jsonl))
    for row in rows:
        check_text(row["text"])  # refuse bad input before the model loads, not after
    parser = load_parser(backend=args.backend)
    for row in rows:
        result = parser.parse(row["text"]).to_dict()
        print(json.dumps(result, ensure_ascii=False, indent=2 if args.text is not None else None))


def cmd_ingest(args) -> None:
    from recsys import Store, read_table

    files = {"items": args.items, "reviews": args.reviews, "interactions": args.interactions}
    if not any(files.values()):
        raise ValueError("give at least one of --items, --reviews, --interactions")
    frames = {table: read_table(path) for table, path in files.items() if path}  # unreadable files fail first
    with Store(args.db) as store:
        for report in store.ingest(**frames, image_dir=args.images):
            print(f"{report.table}: {report.inserted} inserted, {report.updated} updated")
        print("in the store: " + ", ".join(f"{count} {table}" for table, count in store.counts().items()))


def cmd_delete_user(args) -> None:
    from recsys import Store

    with Store(args.db) as store:
        gone = store.delete_user(args.user_id)
    print(f"deleted user {gone.user_id} with {gone.interactions} interactions and {gone.reviews} reviews")


def cmd_train_sentiment(args) -> None:
    from recsys.train_sentiment import REVIEWS, SentimentTrainConfig, fit

    data = _data_dir(args.data)
    if not (data / REVIEWS).is_file():
        raise FileNotFoundError(f"{data / REVIEWS} not found: pass --data (the shared data folder)")
    record = fit(SentimentTrainConfig(data_dir=data, out=Path(args.out), cache_dir=Path(args.cache),
                                      train_layers=args.train_layers, objective=args.objective, epochs=args.epochs,
                                      seed=args.seed))
    print(json.dumps(record, indent=2))
    from weights import get_entry, record_file

    shipped = Path(__file__).resolve().parent / "weights" / get_entry("atelier-sentiment").source["path"]
    if Path(args.out).resolve() == shipped:
        print(f"registry updated: atelier-sentiment sha256 {record_file('atelier-sentiment')}")


def cmd_sentiment(args) -> None:
    from recsys.sentiment import check_csv, load_sentiment, score_csv

    check_csv(args.input, args.text_col)  # a bad file or column fails here, before the model loads
    scorer = load_sentiment(args.model)
    rows = score_csv(args.input, args.text_col, args.out, scorer)
    print(f"wrote {rows} rows with a sentiment column ({scorer.name}) to {args.out}")


def cmd_recommend_batch(args) -> None:
    from recsys import create_encoder, read_table
    from recsys.batch import recommend_batch

    train, users = read_table(args.train), read_table(args.users)
    rows = recommend_batch(train, users, k=args.k, encoder=create_encoder())
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text("".join(json.dumps(row) + "\n" for row in rows))
    tmp.replace(out)  # a crash never leaves a half-written result
    print(f"{len(rows)} shoppers → {out}")


def cmd_recommend(args) -> None:
    from recsys import Store, create_encoder
    from recsys.service import Shop

    if sum(x is not None for x in (args.user, args.history, args.text)) != 1:
        raise ValueError("give exactly one of --user, --history or --text")
    with Store(args.db) as store:
        shop = Shop.from_store(store, create_encoder())
        if args.user is not None:
            recs = shop.for_user(args.user, args.k)
        elif args.history is not None:
            recs = shop.for_history([i.strip() for i in args.history.split(",") if i.strip()], args.k)
        else:
            recs = shop.for_text(args.text, args.k)
    titles = dict(zip(shop.items["id"], shop.items["title"], strict=True))
    for rec in recs:
        print(json.dumps({"item_id": rec.item_id, "title": titles[rec.item_id], "score": rec.score,
                          "reasons": rec.reasons}, ensure_ascii=False))


def _save_image(image, path: Path) -> None:
    """Write through a temporary file, so an interrupted run never leaves half an image."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{path.suffix}")
    image.save(tmp)
    tmp.replace(path)


def cmd_tryon(args) -> None:
    from tryon import load_tryon

    out = Path(args.out)
    if out.suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp"):
        raise ValueError(f"--out {out}: give a .png, .jpg or .webp file name")
    result = load_tryon()(
        person=args.person,
        garment=args.garment,
        category=args.category,
        instruction=args.instruction,
        size=args.size,
        body_size=args.body_size,
    )
    _save_image(result.image, out)
    if args.debug:
        result.debug_image().save(Path(args.debug))
    summary = {"out": str(out), "category": result.category, "size": result.size, "colour": result.colour}
    summary["seconds"] = {step: round(value, 3) for step, value in result.timings.items()}
    print(json.dumps(summary, indent=2))


_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


def _taste_images(db: str, user: str) -> list:
    """Photos of the items in a user's history, from the store."""
    from recsys import Store, load_image

    return [load_image(path) for path in Store(db).history_images(user)]


def cmd_restyle(args) -> None:
    from recsys import load_image
    from style import restyle

    sources = [Path(args.image)] if not Path(args.image).is_dir() else sorted(
        p for p in Path(args.image).iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES
    )
    if not sources:
        raise ValueError(f"--image {args.image}: no .jpg/.png/.webp images in the folder")
    out = Path(args.out)
    batch = Path(args.image).is_dir()
    if not batch and out.suffix.lower() not in _IMAGE_SUFFIXES:
        raise ValueError(f"--out {out}: give a .png, .jpg or .webp file name (or a folder with a folder --image)")
    if args.style_image:
        style = load_image(args.style_image)
    elif args.user:
        style = _taste_images(args.db, args.user)
    else:
        style = args.style
    options = {"steps": args.steps, "guidance": args.guidance, "seed": args.seed} if args.engine == "diffusers" else {}
    done, failed = 0, 0
    for source in sources:
        target = out / f"{source.stem}.png" if batch else out
        try:
            result = restyle(load_image(source), style, engine=args.engine, strength=args.strength,
                             preserve_colour=args.preserve_colour, **options)
        except ValueError as err:
            if not batch:
                raise
            failed += 1
            print(f"atelier: skipped {source.name}: {err}", file=sys.stderr)
            continue
        _save_image(result.image, target)
        done += 1
    print(json.dumps({"restyled": done, "skipped": failed, "out": str(out)}))


def cmd_forecast(args) -> None:
    from recsys import forecast_files

    rows = forecast_files(args.train, args.gtrends, args.products, args.out, use_images=args.images,
                          random_state=args.seed)
    print(f"{rows} products x 12 weeks → {args.out}")


def cmd_trends(args) -> None:
    from recsys import attribute_trends, plot_trends, read_gtrends
    from recsys.trends import default_gtrends_path

    ranking = attribute_trends(read_gtrends(args.gtrends or default_gtrends_path()), args.period, top=args.top)
    if args.plot:
        plot_trends(ranking, args.plot)
    for row in ranking.to_frame().itertuples(index=False):
        print(json.dumps({"kind": row.kind, "rank": row.rank, "term": row.term, "momentum": round(row.momentum, 4),
                          "probability": round(row.probability, 4)}))


def cmd_models(args) -> None:
    from weights import WeightsNotFoundError, get_entry, list_models, resolve

    for model_id in list_models():
        entry = get_entry(model_id)
        try:
            where = str(resolve(model_id, verify=False))
        except WeightsNotFoundError as err:
            where = f"missing: {err}"
        print(f"{model_id:24s} {entry.license[:40]:40s} {where}")


def cmd_embed_catalog(args) -> None:
    from recsys.embed_job import run

    result = run(args.items, args.out, workers=args.workers, batch_size=args.batch_size, address=args.address,
                 image_dir=args.images)
    print(f"{result.items} items ({result.images} from photos, {result.texts} from text) in "
          f"{result.seconds:.1f} s → {result.out_dir}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="atelier", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the app on its embedded defaults")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=7860)
    serve.add_argument("--catalog", help="folder of product photos (default: the shipped demo catalog)")
    serve.add_argument("--db", help=DB_HELP)
    serve.add_argument("--demo-shop", action="store_true",
                       help="also serve a pretend shop page at /shop that embeds the widget (it hands every visitor a "
                            "live widget key: for demos only)")
    serve.set_defaults(func=cmd_serve)

    prepare = sub.add_parser("prepare", help="export the ONNX graphs now (make venv does), for a quick first serve")
    prepare.set_defaults(func=cmd_prepare)

    keys = sub.add_parser("keys", help="create, list or revoke the REST API's keys (stored hashed in the store)")
    keys.add_argument("action", choices=("create", "list", "revoke"))
    keys.add_argument("--name", help="create: what the key is for")
    keys.add_argument("--scope", choices=("widget", "admin"), default="widget",
                      help="widget: try-on, parse, search, recommend (public in shop pages); admin: everything")
    keys.add_argument("--rate", type=int, default=60, help="create: requests a minute (default 60)")
    keys.add_argument("--id", help="revoke: the key's id (from `atelier keys list`)")
    keys.add_argument("--origin", action="append",
                      help="create: a web origin whose pages may use the key, e.g. https://shop.example (repeat for "
                           "more; * for any). Without one, browsers on other sites are refused")
    keys.add_argument("--db", help=DB_HELP)
    keys.set_defaults(func=cmd_keys)

    train = sub.add_parser("train", help="train a model").add_subparsers(dest="model", required=True)
    enc = train.add_parser("encoder", help="train atelier-fashion's heads")
    enc.add_argument("--data", help="data folder with products/ and hm/ (default $ATELIER_DATA or ../shared/data)")
    enc.add_argument("--out", default="weights/files/atelier_fashion_heads.pt")
    enc.add_argument("--cache", default="cache/encoder", help="feature cache folder")
    enc.add_argument("--epochs", type=int, default=20)
    enc.add_argument("--seed", type=int, default=0)
    enc.set_defaults(func=cmd_train_encoder)

    tp = train.add_parser("parser", help="train the instruction parser (LoRA adapters + heads)")
    tp.add_argument("--data", help="data folder (default $ATELIER_DATA or ../shared/data)")
    tp.add_argument("--out", default="weights/files/atelier_parser.pt")
    tp.add_argument("--dev", help="hand-written dev set (JSONL) to score, never trained on")
    tp.add_argument("--n", type=int, default=12000, help="generated training requests")
    tp.add_argument("--epochs", type=int, default=2)
    tp.add_argument("--seed", type=int, default=0)
    tp.set_defaults(func=cmd_train_parser)

    ts = train.add_parser("sentiment", help="fine-tune atelier-sentiment on the review ratings")
    ts.add_argument("--data", help="data folder with reviews/ (default $ATELIER_DATA or ../shared/data)")
    ts.add_argument("--out", default="weights/files/atelier_sentiment.pt")
    ts.add_argument("--cache", default="cache/sentiment", help="cache of the frozen layers' hidden states")
    ts.add_argument("--train-layers", type=int, default=2, help="top MiniLM layers to fine-tune (0-6)")
    ts.add_argument("--objective", choices=["classes", "regression"], default="classes",
                    help="5-way rating cross-entropy, or squared error on (rating - 3) / 2")
    ts.add_argument("--epochs", type=int, default=2)
    ts.add_argument("--seed", type=int, default=0)
    ts.set_defaults(func=cmd_train_sentiment)

    evaluate = sub.add_parser("eval", help="measure a model").add_subparsers(dest="model", required=True)
    ev = evaluate.add_parser("encoder", help="zero-shot and retrieval metrics")
    ev.add_argument("--products", help="folder with styles.csv and images/{id}.jpg")
    ev.add_argument("--visuelle", help="folder with VISUELLE's train.csv and images/")
    ev.add_argument("--limit", type=int, help="evaluate a seeded sample of this many products")
    ev.add_argument("--json", help="also write the result to this file")
    ev.add_argument("--backend", default="auto", choices=["auto", "onnx", "torch"])
    ev.add_argument("--heads", help="heads file to evaluate (default: the registry's)")
    ev.set_defaults(func=cmd_eval_encoder)

    embed = sub.add_parser("embed", help="embed a folder of images into a .npy file")
    embed.add_argument("--images", required=True)
    embed.add_argument("--out", required=True)
    embed.add_argument("--backend", default="auto", choices=["auto", "onnx", "torch"])
    embed.set_defaults(func=cmd_embed)

    search = sub.add_parser("search", help="search a catalog folder by text")
    search.add_argument("query")
    search.add_argument("--catalog", help="folder of product photos (default: the demo catalog)")
    search.add_argument("-k", type=int, default=10)
    search.add_argument("--backend", default="auto", choices=["auto", "onnx", "torch"])
    search.set_defaults(func=cmd_search)

    parse = sub.add_parser("parse", help="understand a shopper's request: intent, labelled spans, request")
    parse.add_argument("text", nargs="?", help="the request, e.g. 'try the red leather jacket on me in M'")
    parse.add_argument("--jsonl", help='file of {"text": ...} lines; one result per line on stdout, in order')
    parse.add_argument("--json", action="store_true", help="print JSON (the only output format)")
    parse.add_argument("--backend", choices=["onnx", "torch"], default="onnx",
                       help="ONNX Runtime (exported once into the cache, then reused) or PyTorch")
    parse.set_defaults(func=cmd_parse)

    ingest = sub.add_parser("ingest", help="load items, reviews and interactions into the store (all or nothing)")
    ingest.add_argument("--db", help=DB_HELP)
    ingest.add_argument("--items", help="items file (.csv, .parquet or .jsonl; columns in docs/store.md)")
    ingest.add_argument("--images", help="folder of item photos: image_path is relative to it, else {id}.jpg")
    ingest.add_argument("--reviews", help="reviews file")
    ingest.add_argument("--interactions", help="interactions file (purchases, rentals, views)")
    ingest.set_defaults(func=cmd_ingest)

    delete_user = sub.add_parser("delete-user", help="delete a user with their interactions and reviews")
    delete_user.add_argument("user_id")
    delete_user.add_argument("--db", help=DB_HELP)
    delete_user.set_defaults(func=cmd_delete_user)

    sentiment = sub.add_parser("sentiment", help="add a sentiment column in [-1, 1] to a CSV of comments")
    sentiment.add_argument("--in", dest="input", required=True, help="CSV file with a text column")
    sentiment.add_argument("--text-col", required=True, help="the column holding the comment text")
    sentiment.add_argument("--out", required=True, help="output CSV: the input plus a sentiment column")
    sentiment.add_argument("--model", choices=["atelier", "vader", "textblob"], default="atelier",
                           help="atelier (fine-tuned MiniLM; VADER if its weights are missing) or a lexicon")
    sentiment.set_defaults(func=cmd_sentiment)

    batch = sub.add_parser("recommend-batch", help="leave-last-out top-k for every shopper in a file")
    batch.add_argument("--train", required=True, help="interactions to learn from (.parquet/.csv/.jsonl)")
    batch.add_argument("--users", required=True, help="shoppers to recommend for; their last interaction is held out")
    batch.add_argument("--k", type=int, default=10)
    batch.add_argument("--out", required=True, help="JSONL: one {user_id, items, held_out} per shopper")
    batch.set_defaults(func=cmd_recommend_batch)

    rec = sub.add_parser("recommend", help="top-k items from the store for a user, a history or a request")
    rec.add_argument("--db", default=None, help="store (default $ATELIER_DB or ~/.local/share/atelier/atelier.db)")
    rec.add_argument("--user", help="a user id in the store: their history")
    rec.add_argument("--history", help="comma-separated item ids")
    rec.add_argument("--text", help="a request such as 'a red dress for a wedding, not black'")
    rec.add_argument("-k", type=int, default=10)
    rec.set_defaults(func=cmd_recommend)

    ec = sub.add_parser("embed-catalog", help="embed a large catalog on Ray into parquet shards (docs/scaling.md)")
    ec.add_argument("--items", required=True, help="items .csv or .parquet file, or a folder of .parquet files")
    ec.add_argument("--out", required=True, help="new or empty folder for the shards (id, source, vector, ...)")
    ec.add_argument("--images", help="folder of item photos: image_path is relative to it, else {id}.jpg")
    ec.add_argument("--workers", type=int, default=1, help="encoder actors, one CPU and one model load each")
    ec.add_argument("--batch-size", type=int, default=64, help="items per encoder call")
    ec.add_argument("--address", help="Ray cluster to join: 'auto' or ray://host:10001 (default: start a local one)")
    ec.set_defaults(func=cmd_embed_catalog)

    tryon = sub.add_parser("tryon", help="draw a garment product photo onto a person photo (CPU, about a second)")
    tryon.add_argument("--person", required=True, help="photo of one person facing the camera")
    tryon.add_argument("--garment", required=True, help="product photo of the garment alone")
    tryon.add_argument("--category", choices=("upper", "lower", "dress"), help="default: instruction, else photo")
    tryon.add_argument("--instruction", help='what the shopper typed, e.g. "in burgundy, size L"')
    tryon.add_argument("--size", help="size to try (letter, EU/UK/US numeric); default: the body size")
    tryon.add_argument("--body-size", help="the size the shopper usually wears (default M)")
    tryon.add_argument("--out", required=True, help="where to write the result (.png, .jpg, .webp)")
    tryon.add_argument("--debug", help="also write a debug view (masks, landmarks, key points) to this file")
    tryon.set_defaults(func=cmd_tryon)

    rs = sub.add_parser("restyle", help="restyle a garment photo (or a folder of them) into a look")
    rs.add_argument("--image", required=True, help="garment photo, or a folder of them (batch)")
    which = rs.add_mutually_exclusive_group(required=True)
    which.add_argument("--style", help="a style name, e.g. vintage, boho, streetwear, y2k, cottagecore")
    which.add_argument("--style-image", help="a reference picture whose style to take")
    which.add_argument("--user", help="a shopper's taste: the photos of the items in their history (needs --db)")
    rs.add_argument("--db", help="the store for --user (default: atelier.db)", default="atelier.db")
    rs.add_argument("--engine", choices=("neural", "diffusers"), default="neural")
    rs.add_argument("--strength", type=float, default=0.8, help="0..1 (default 0.8)")
    rs.add_argument("--preserve-colour", action="store_true", help="keep the garment's own colours")
    rs.add_argument("--steps", type=int, help="diffusers: denoising steps")
    rs.add_argument("--guidance", type=float, help="diffusers: guidance scale")
    rs.add_argument("--seed", type=int, help="diffusers: random seed")
    rs.add_argument("--out", required=True, help="output image, or a folder for a folder --image")
    rs.set_defaults(func=cmd_restyle)

    fc = sub.add_parser("forecast", help="12 weekly sales of new products (no history) from a VISUELLE-style train.csv")
    fc.add_argument("--train", required=True, help="train.csv: products with sales columns 0..11 (normalised)")
    fc.add_argument("--gtrends", required=True, help="weekly Google Trends of the attribute terms (gtrends.csv)")
    fc.add_argument("--products", required=True, help="new products: train.csv's columns, sales columns not needed")
    fc.add_argument("--out", required=True, help="PRED.csv: external_code and columns 0..11 in train.csv's scale")
    fc.add_argument("--images", action="store_true",
                    help="also use photos images/{external_code:05d}.jpg beside each CSV (off: see README)")
    fc.add_argument("--seed", type=int, default=0)
    fc.set_defaults(func=cmd_forecast)

    tr = sub.add_parser("trends", help="colours, fabrics and categories ranked by Google Trends momentum")
    tr.add_argument("--period", required=True, help="month the forecast starts, YYYY-MM (e.g. 2019-09)")
    tr.add_argument("--top", type=int, default=10, help="terms per kind (default 10)")
    tr.add_argument("--gtrends", help="gtrends.csv (default $ATELIER_DATA/trends/visuelle/gtrends.csv)")
    tr.add_argument("--plot", help="also write the bar charts to this .png")
    tr.set_defaults(func=cmd_trends)

    models = sub.add_parser("models", help="list the model registry and where each model resolves")
    models.set_defaults(func=cmd_models)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    try:
        args.func(args)
    except KeyboardInterrupt:
        print("atelier: interrupted", file=sys.stderr)
        return 130
    except (ValueError, TypeError, FileNotFoundError, NotADirectoryError, KeyError, RuntimeError) as err:
        # A KeyError's str() quotes its message again; its argument is the message itself.
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"atelier: error: {message}", file=sys.stderr)
        return EXIT_USAGE if isinstance(err, ValueError | TypeError | KeyError) else EXIT_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
