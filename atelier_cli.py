"""The ``atelier`` command: serve the app, train and evaluate models, embed and search catalogs.

Every failure a user can cause (bad path, bad image, missing weights) ends with one line on stderr and a
non-zero exit, never a traceback.

Each command is a ``cmd_<name>(args)`` with, right above it, the ``add_<name>(sub)`` that declares its arguments (the
role of ``register_subcommand`` in diffusers' CLI); ``COMMANDS`` lists them in ``--help`` order. Command bodies import
what they need, so importing this module loads no model code.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from atelier_io import atomic_write, data_dir, replacing

EXIT_USAGE, EXIT_FAILED = 2, 1
DB_HELP = "SQLite file or SQLAlchemy URL (default: $ATELIER_DB, else ~/.local/share/atelier/atelier.db)"


def _write_json(result: dict, out: str | None) -> None:
    text = json.dumps(result, indent=2)
    print(text)
    if out:
        atomic_write(out, text + "\n")


def add_serve(sub) -> None:
    p = sub.add_parser("serve", help="run the app on its embedded defaults")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--catalog", help="folder of product photos (default: the shipped demo catalog)")
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--demo-shop", action="store_true",
                   help="also serve a pretend shop page at /shop that embeds the widget (it hands every visitor a "
                        "live widget key: for demos only)")
    p.add_argument("--workers", type=int, default=1,
                   help="processes answering on the port, each with its own models (about 2 GB each) over the one "
                        "store; at most one try-on or restyle runs at a time in each (default 1)")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args) -> None:
    from ui import serve

    serve(host=args.host, port=args.port, catalog=args.catalog, db=args.db, demo_shop=args.demo_shop,
          workers=args.workers)


def add_prepare(sub) -> None:
    p = sub.add_parser("prepare", help="export the ONNX graphs now (make venv does), for a quick first serve")
    p.set_defaults(func=cmd_prepare)


def cmd_prepare(args) -> None:
    """Export the encoder's and parser's ONNX graphs into the cache now, so the first `atelier serve` is quick."""
    from recsys import create_encoder
    from tryon import load_parser

    start = time.perf_counter()
    create_encoder()
    load_parser()
    print(f"ONNX graphs ready in the cache ({time.perf_counter() - start:.1f} s)")


def add_keys(sub) -> None:
    p = sub.add_parser("keys", help="create, list or revoke the REST API's keys (stored hashed in the store)")
    p.add_argument("action", choices=("create", "list", "revoke"))
    p.add_argument("--name", help="create: what the key is for")
    p.add_argument("--scope", choices=("widget", "admin"), default="widget",
                   help="widget: try-on, parse, search, recommend (public in shop pages); admin: everything")
    p.add_argument("--rate", type=int, default=60, help="create: requests a minute (default 60)")
    p.add_argument("--id", help="revoke: the key's id (from `atelier keys list`)")
    p.add_argument("--origin", action="append",
                   help="create: a web origin whose pages may use the key, e.g. https://shop.example (repeat for "
                        "more; * for any). Without one, browsers on other sites are refused")
    p.add_argument("--db", help=DB_HELP)
    p.set_defaults(func=cmd_keys)


def cmd_keys(args) -> None:
    from recsys import open_database
    from ui import KeyStore

    keys = KeyStore(open_database(args.db))  # the database alone: no pandas, no encoders
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


def _add_group(sub, name: str, summary: str, adds: tuple) -> None:
    """A command whose models are its subcommands: `atelier train encoder`; each `add` declares one of them."""
    models = sub.add_parser(name, help=summary).add_subparsers(dest="model", required=True)
    for add in adds:
        add(models)


def add_train(sub) -> None:
    _add_group(sub, "train", "train a model", (add_train_encoder, add_train_parser, add_train_sentiment))


def add_train_encoder(sub) -> None:
    p = sub.add_parser("encoder", help="train atelier-fashion's heads")
    p.add_argument("--data", help="data folder with products/ and hm/ (default $ATELIER_DATA or ../shared/data)")
    p.add_argument("--out", default="weights/files/atelier_fashion_heads.pt")
    p.add_argument("--cache", default="cache/encoder", help="feature cache folder")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_train_encoder)


def cmd_train_encoder(args) -> None:
    from recsys.train_encoder import TrainConfig, fit

    data = data_dir(args.data)
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


def add_eval(sub) -> None:
    _add_group(sub, "eval", "measure a model", (add_eval_encoder,))


def add_eval_encoder(sub) -> None:
    p = sub.add_parser("encoder", help="zero-shot and retrieval metrics")
    p.add_argument("--products", help="folder with styles.csv and images/{id}.jpg")
    p.add_argument("--visuelle", help="folder with VISUELLE's train.csv and images/")
    p.add_argument("--limit", type=int, help="evaluate a seeded sample of this many products")
    p.add_argument("--json", help="also write the result to this file")
    p.add_argument("--backend", default="auto", choices=["auto", "onnx", "torch"])
    p.add_argument("--heads", help="heads file to evaluate (default: the registry's)")
    p.set_defaults(func=cmd_eval_encoder)


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


def add_embed(sub) -> None:
    p = sub.add_parser("embed", help="embed a folder of images into a .npy file")
    p.add_argument("--images", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--backend", default="auto", choices=["auto", "onnx", "torch"])
    p.set_defaults(func=cmd_embed)


def cmd_embed(args) -> None:
    import numpy as np

    from recsys import create_encoder, list_images

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


def add_search(sub) -> None:
    p = sub.add_parser("search", help="search a catalog folder by a request ('any top but black, under 40')")
    p.add_argument("query", help="garment, colours, exclusions, budget and size bind; the words rank the rest")
    p.add_argument("--catalog", help="folder of product photos (default: the demo catalog)")
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--backend", default="auto", choices=["auto", "onnx", "torch"])
    p.set_defaults(func=cmd_search)


def cmd_search(args) -> None:
    from recsys import Catalog, check_request, create_encoder, read_products
    from tryon import ask_from, load_parser

    if not args.query.strip():
        raise ValueError("the query is empty: say what you are looking for, e.g. 'red floral dress'")
    if args.k < 1:
        raise ValueError(f"-k must be at least 1, got {args.k}")
    folder = args.catalog or _default_catalog()
    read_products(folder)  # a bad folder fails here, before the models load
    ask = ask_from(load_parser()(args.query))
    check_request(ask)  # nonsense, a contradiction, an impossible budget: refused before the catalog is embedded
    result = Catalog.from_folder(folder, create_encoder(backend=args.backend)).search(ask, k=args.k)
    _note(result.message)
    for rank, hit in enumerate(result.hits, 1):
        print(f"{rank:2d}  {hit.score:.3f}  {hit.product.id}  {hit.product.title}")


def _note(message: str | None) -> None:
    """What the shopper should know about the results (a relaxed condition, one that could not be checked): on
    stderr, so that stdout stays the results alone."""
    if message:
        print(f"atelier: note: {message}", file=sys.stderr)


def _default_catalog() -> Path:
    from ui import DEMO_CATALOG

    return DEMO_CATALOG


def add_train_parser(sub) -> None:
    p = sub.add_parser("parser", help="train the instruction parser (LoRA adapters + heads)")
    p.add_argument("--data", help="data folder (default $ATELIER_DATA or ../shared/data)")
    p.add_argument("--out", default="weights/files/atelier_parser.pt")
    p.add_argument("--dev", help="hand-written dev set (JSONL) to score, never trained on")
    p.add_argument("--n", type=int, default=12000, help="generated training requests")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_train_parser)


def cmd_train_parser(args) -> None:
    from tryon.train_parser import ParserTrainConfig, fit

    data = data_dir(args.data)
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


def add_parse(sub) -> None:
    p = sub.add_parser("parse", help="understand a shopper's request: intent, labelled spans, request")
    p.add_argument("text", nargs="?", help="the request, e.g. 'try the red leather jacket on me in M'")
    p.add_argument("--jsonl", help='file of {"text": ...} lines; one result per line on stdout, in order')
    p.add_argument("--json", action="store_true", help="print JSON (the only output format)")
    p.add_argument("--backend", choices=["onnx", "torch"], default="onnx",
                   help="ONNX Runtime (exported once into the cache, then reused) or PyTorch")
    p.set_defaults(func=cmd_parse)


def cmd_parse(args) -> None:
    from tryon import check_text, load_parser

    if (args.text is None) == (args.jsonl is None):
        raise ValueError('give either "TEXT" or --jsonl FILE')
    rows = [{"text": args.text}] if args.text is not None else _read_jsonl(Path(args.jsonl))
    for row in rows:
        check_text(row["text"])  # refuse bad input before the model loads, not after
    parser = load_parser(backend=args.backend)
    for row in rows:
        result = parser.parse(row["text"]).to_dict()
        print(json.dumps(result, ensure_ascii=False, indent=2 if args.text is not None else None))


def add_ingest(sub) -> None:
    p = sub.add_parser("ingest", help="load items, reviews and interactions into the store (all or nothing)")
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--items", help="items file (.csv, .parquet or .jsonl; columns in docs/store.md)")
    p.add_argument("--images", help="folder of item photos: image_path is relative to it, else {id}.jpg")
    p.add_argument("--reviews", help="reviews file")
    p.add_argument("--interactions", help="interactions file (purchases, rentals, views)")
    p.set_defaults(func=cmd_ingest)


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


def add_delete_user(sub) -> None:
    p = sub.add_parser("delete-user", help="delete a user with their interactions and reviews")
    p.add_argument("user_id")
    p.add_argument("--db", help=DB_HELP)
    p.set_defaults(func=cmd_delete_user)


def cmd_delete_user(args) -> None:
    from recsys import Store

    with Store(args.db) as store:
        gone = store.delete_user(args.user_id)
    print(f"deleted user {gone.user_id} with {gone.interactions} interactions and {gone.reviews} reviews")


def add_train_sentiment(sub) -> None:
    p = sub.add_parser("sentiment", help="fine-tune atelier-sentiment on the review ratings")
    p.add_argument("--data", help="data folder with reviews/ (default $ATELIER_DATA or ../shared/data)")
    p.add_argument("--out", default="weights/files/atelier_sentiment.pt")
    p.add_argument("--cache", default="cache/sentiment", help="cache of the frozen layers' hidden states")
    p.add_argument("--train-layers", type=int, default=2, help="top MiniLM layers to fine-tune (0-6)")
    p.add_argument("--objective", choices=["classes", "regression"], default="classes",
                   help="5-way rating cross-entropy, or squared error on (rating - 3) / 2")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_train_sentiment)


def cmd_train_sentiment(args) -> None:
    from recsys.train_sentiment import REVIEWS, SentimentTrainConfig, fit

    data = data_dir(args.data)
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


def add_sentiment(sub) -> None:
    p = sub.add_parser("sentiment", help="add a sentiment column in [-1, 1] to a CSV of comments")
    p.add_argument("--in", dest="input", required=True, help="CSV file with a text column")
    p.add_argument("--text-col", required=True, help="the column holding the comment text")
    p.add_argument("--out", required=True, help="output CSV: the input plus a sentiment column")
    p.add_argument("--model", choices=["atelier", "vader", "textblob"], default="atelier",
                   help="atelier (fine-tuned MiniLM; VADER if its weights are missing) or a lexicon")
    p.set_defaults(func=cmd_sentiment)


def cmd_sentiment(args) -> None:
    from recsys.sentiment import check_csv, load_sentiment, score_csv

    check_csv(args.input, args.text_col)  # a bad file or column fails here, before the model loads
    scorer = load_sentiment(args.model)
    rows = score_csv(args.input, args.text_col, args.out, scorer)
    print(f"wrote {rows} rows with a sentiment column ({scorer.name}) to {args.out}")


def add_recommend_batch(sub) -> None:
    p = sub.add_parser("recommend-batch", help="leave-last-out top-k for every shopper in a file")
    p.add_argument("--train", required=True, help="interactions to learn from (.parquet/.csv/.jsonl)")
    p.add_argument("--users", required=True, help="shoppers to recommend for; their last interaction is held out")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--out", required=True, help="JSONL: one {user_id, items, held_out} per shopper")
    # Off by default: on RentTheRunway the embedded captions (category, occasion) did not pay their way
    # (NDCG@10 0.0282 with them, 0.0281 without, bench/recommender_quality.py).
    p.add_argument("--embed-captions", action="store_true",
                   help="also embed each item's attribute caption with the encoder's text tower (the m and t signals)")
    p.set_defaults(func=cmd_recommend_batch)


def cmd_recommend_batch(args) -> None:
    from recsys import create_encoder, read_table, recommend_batch

    train, users = read_table(args.train), read_table(args.users)
    encoder = create_encoder() if args.embed_captions else None
    rows = recommend_batch(train, users, k=args.k, encoder=encoder)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text("".join(json.dumps(row) + "\n" for row in rows))
    tmp.replace(out)  # a crash never leaves a half-written result
    print(f"{len(rows)} shoppers → {out}")


def add_recommend(sub) -> None:
    p = sub.add_parser("recommend", help="top-k items from the store for a user, a history or a request")
    p.add_argument("--db", default=None, help="store (default $ATELIER_DB or ~/.local/share/atelier/atelier.db)")
    p.add_argument("--user", help="a user id in the store: their history")
    p.add_argument("--history", help="comma-separated item ids")
    p.add_argument("--text", help="a request such as 'a red dress for a wedding, not black': its garment, colours, "
                                  "exclusions, budget and size bind")
    p.add_argument("-k", type=int, default=10)
    p.set_defaults(func=cmd_recommend)


def cmd_recommend(args) -> None:
    from recsys import Shop, Store, check_request, create_encoder

    if sum(x is not None for x in (args.user, args.history, args.text)) != 1:
        raise ValueError("give exactly one of --user, --history or --text")
    ask = None
    if args.text is not None:
        from tryon import ask_from, load_parser

        ask = ask_from(load_parser()(args.text))
        check_request(ask)  # nonsense, a contradiction, an impossible budget: refused before the store is read
    with Store(args.db) as store:
        shop = Shop.from_store(store, create_encoder())
        if args.user is not None:
            answer = shop.for_user(args.user, args.k)
        elif args.history is not None:
            answer = shop.for_history([i.strip() for i in args.history.split(",") if i.strip()], args.k)
        else:
            answer = shop.for_ask(ask, args.k)
    _note(answer.message)
    titles = dict(zip(shop.items["id"], shop.items["title"], strict=True))
    for rec in answer.items:
        print(json.dumps({"item_id": rec.item_id, "title": titles[rec.item_id], "score": rec.score,
                          "reasons": rec.reasons}, ensure_ascii=False))


def _save_image(image, path: Path) -> None:
    """Write through a temporary file, so an interrupted run never leaves half an image."""
    from PIL import Image

    with replacing(path) as tmp:
        image.save(tmp, format=Image.registered_extensions()[path.suffix.lower()])


def add_tryon(sub) -> None:
    p = sub.add_parser("tryon", help="draw a garment product photo onto a person photo (CPU, about a second)")
    p.add_argument("--person", required=True, help="photo of one person facing the camera")
    p.add_argument("--garment", help="product photo of the garment alone; default: the catalog's try-on garment "
                                     "that the instruction names")
    p.add_argument("--catalog", help="catalog folder whose tryon/garments.json to choose from (default: the demo)")
    p.add_argument("--category", choices=("upper", "lower", "dress"), help="default: instruction, else photo")
    p.add_argument("--instruction", help='what the shopper typed, e.g. "in burgundy, size L"')
    p.add_argument("--size", help="size to try (letter, EU/UK/US numeric); default: the body size")
    p.add_argument("--out", required=True, help="where to write the result (.png, .jpg, .webp)")
    p.add_argument("--debug", help="also write a debug view (masks, landmarks, key points) to this file")
    p.set_defaults(func=cmd_tryon)


def cmd_tryon(args) -> None:
    from dataclasses import replace

    from tryon import ask_from, choose_garment, load_parser, load_tryon, read_wearables

    out = Path(args.out)
    if out.suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp"):
        raise ValueError(f"--out {out}: give a .png, .jpg or .webp file name")
    # The instruction is parsed once, here, into the request the pipeline takes.
    ask = ask_from(load_parser()(args.instruction) if args.instruction else None)
    garment, category, chosen = args.garment, args.category, None
    if garment is None:  # the words choose among the catalog's try-on garments, as in the app and the REST API
        from ui import DEMO_CATALOG

        chosen = choose_garment(ask, read_wearables(Path(args.catalog or DEMO_CATALOG)))
        garment, category = chosen.garment.image_path, category or chosen.garment.category
        ask = ask if chosen.recolour else replace(ask, colour=None)
    classifier = None
    if category is None and ask.family is None:  # only then is the encoder needed: it names the category
        from recsys import create_encoder, garment_classifier

        classifier = garment_classifier(create_encoder())
    result = load_tryon(classifier=classifier)(
        person=args.person,
        garment=garment,
        category=category,
        ask=ask,
        size=args.size,
        sleeves=chosen.garment.sleeves if chosen else None,
    )
    _save_image(result.image, out)
    if args.debug:
        result.debug_image().save(Path(args.debug))
    summary = {"out": str(out), "category": result.category, "size": result.size, "colour": result.colour}
    if chosen is not None:
        summary |= {"garment": chosen.garment.id, "title": chosen.garment.title, "message": chosen.message}
    summary["seconds"] = {step: round(value, 3) for step, value in result.timings.items()}
    print(json.dumps(summary, indent=2))


_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


def _taste_images(db: str, user: str) -> list:
    """Photos of the items in a user's history, from the store."""
    from atelier_io import load_image
    from recsys import Store

    return [load_image(path) for path in Store(db).history_images(user)]


def add_restyle(sub) -> None:
    p = sub.add_parser("restyle", help="restyle a garment photo (or a folder of them) into a look")
    p.add_argument("--image", required=True, help="garment photo, or a folder of them (batch)")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--style", help="a style name, e.g. vintage, boho, streetwear, y2k, cottagecore")
    which.add_argument("--style-image", help="a reference picture whose style to take")
    which.add_argument("--user", help="a shopper's taste: the photos of the items in their history (needs --db)")
    p.add_argument("--db", help="the store for --user (default: atelier.db)", default="atelier.db")
    p.add_argument("--engine", choices=("recipe", "neural", "diffusers"), default="recipe",
                   help="recipe: the style's palette, print and fabric (default); neural: Magenta; diffusers")
    p.add_argument("--strength", type=float, default=0.8, help="0..1 (default 0.8)")
    p.add_argument("--preserve-colour", action="store_true", help="keep the garment's own colours")
    p.add_argument("--steps", type=int, help="diffusers: denoising steps")
    p.add_argument("--guidance", type=float, help="diffusers: guidance scale")
    p.add_argument("--seed", type=int, help="diffusers: random seed")
    p.add_argument("--out", required=True, help="output image, or a folder for a folder --image")
    p.set_defaults(func=cmd_restyle)


def cmd_restyle(args) -> None:
    from atelier_io import load_image
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
    done, failed, applied = 0, 0, set()
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
        applied.add(result.description)
        done += 1
    print(json.dumps({"restyled": done, "skipped": failed, "out": str(out), "applied": sorted(applied)}))


def add_forecast(sub) -> None:
    p = sub.add_parser("forecast", help="12 weekly sales of new products (no history) from a VISUELLE-style train.csv")
    p.add_argument("--train", required=True, help="train.csv: products with sales columns 0..11 (normalised)")
    p.add_argument("--gtrends", required=True, help="weekly Google Trends of the attribute terms (gtrends.csv)")
    p.add_argument("--products", required=True, help="new products: train.csv's columns, sales columns not needed")
    p.add_argument("--out", required=True, help="PRED.csv: external_code and columns 0..11 in train.csv's scale")
    p.add_argument("--images", action="store_true",
                   help="also use photos images/{external_code:05d}.jpg beside each CSV (off: see README)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_forecast)


def cmd_forecast(args) -> None:
    from recsys import forecast_files

    rows = forecast_files(args.train, args.gtrends, args.products, args.out, use_images=args.images,
                          random_state=args.seed)
    print(f"{rows} products x 12 weeks → {args.out}")


def add_trends(sub) -> None:
    p = sub.add_parser("trends", help="colours, categories, materials and styles ranked by momentum in the store's "
                                      "interactions (Google Trends momentum with --gtrends/--period)")
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--demo", action="store_true",
                   help="rank the shipped demo sample (real VISUELLE sales, 2016-2019) instead of a store")
    p.add_argument("--kind", default="all", help="all (default), or one of colour, category, material, style")
    p.add_argument("--until", help="last day counted, YYYY-MM-DD (default: the latest date in the store)")
    p.add_argument("--top", type=int, default=10, help="values per kind (default 10)")
    p.add_argument("--plot", help="also write the plot to this .png")
    p.add_argument("--period", help="Google Trends: month the forecast starts, YYYY-MM (e.g. 2019-09)")
    p.add_argument("--gtrends", help="Google Trends: gtrends.csv (default $ATELIER_DATA/trends/visuelle/gtrends.csv)")
    p.set_defaults(func=cmd_trends)


def cmd_trends(args) -> None:
    if args.period or args.gtrends:
        _google_trends(args)
        return
    import tempfile

    from recsys import TREND_KINDS, Store, plot_shop_trends, shop_trends
    from ui import demo_trends_store

    kinds = TREND_KINDS if args.kind == "all" else (args.kind,)
    if args.demo:
        with tempfile.TemporaryDirectory() as folder, demo_trends_store(Path(folder) / "demo.db") as store:
            trends = shop_trends(store, kinds, top=args.top, until=args.until)
    else:
        with Store(args.db) as store:
            trends = shop_trends(store, kinds, top=args.top, until=args.until)
    if args.plot:
        plot_shop_trends(trends, args.plot)
    for note in trends.notes:
        print(f"atelier: {note}", file=sys.stderr)
    for row in trends.to_frame().itertuples(index=False):
        print(json.dumps({"kind": row.kind, "rank": row.rank, "value": row.value, "share": round(row.share, 4),
                          "previous_share": round(row.previous_share, 4), "momentum": round(row.momentum, 4),
                          "count": row.count, "previous_count": row.previous_count, "until": str(trends.until)}))


def _google_trends(args) -> None:
    from recsys import attribute_trends, default_gtrends_path, plot_trends, read_gtrends

    if not args.period:
        raise ValueError("--gtrends needs --period YYYY-MM (the month the forecast starts)")
    ranking = attribute_trends(read_gtrends(args.gtrends or default_gtrends_path()), args.period, top=args.top)
    if args.plot:
        plot_trends(ranking, args.plot)
    for row in ranking.to_frame().itertuples(index=False):
        print(json.dumps({"kind": row.kind, "rank": row.rank, "term": row.term, "momentum": round(row.momentum, 4),
                          "probability": round(row.probability, 4)}))


def add_models(sub) -> None:
    p = sub.add_parser("models", help="list the model registry and where each model resolves")
    p.set_defaults(func=cmd_models)


def cmd_models(args) -> None:
    from weights import WeightsNotFoundError, get_entry, list_models, resolve

    for model_id in list_models():
        entry = get_entry(model_id)
        try:
            where = str(resolve(model_id, verify=False))
        except WeightsNotFoundError as err:
            where = f"missing: {err}"
        print(f"{model_id:24s} {entry.license[:40]:40s} {where}")


def add_embed_catalog(sub) -> None:
    p = sub.add_parser("embed-catalog", help="embed a large catalog on Ray into parquet shards (docs/scaling.md)")
    p.add_argument("--items", required=True, help="items .csv or .parquet file, or a folder of .parquet files")
    p.add_argument("--out", required=True, help="new or empty folder for the shards (id, source, vector, ...)")
    p.add_argument("--images", help="folder of item photos: image_path is relative to it, else {id}.jpg")
    p.add_argument("--workers", type=int, default=1, help="encoder actors, one CPU and one model load each")
    p.add_argument("--batch-size", type=int, default=64, help="items per encoder call")
    p.add_argument("--address", help="Ray cluster to join: 'auto' or ray://host:10001 (default: start a local one)")
    p.set_defaults(func=cmd_embed_catalog)


def cmd_embed_catalog(args) -> None:
    from recsys.embed_job import run

    result = run(args.items, args.out, workers=args.workers, batch_size=args.batch_size, address=args.address,
                 image_dir=args.images)
    print(f"{result.items} items ({result.images} from photos, {result.texts} from text) in "
          f"{result.seconds:.1f} s → {result.out_dir}")


COMMANDS = [add_serve, add_prepare, add_keys, add_train, add_eval, add_embed, add_search, add_parse, add_ingest,
            add_delete_user, add_sentiment, add_recommend_batch, add_recommend, add_embed_catalog, add_tryon,
            add_restyle, add_forecast, add_trends, add_models]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="atelier", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in COMMANDS:
        add(sub)
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
