"""The product tab: the embed snippet, API keys and trends (the shop's own, or Google Trends)."""

from __future__ import annotations

from collections.abc import Callable

import gradio as gr

from recsys import TREND_KINDS, TrendRanking

from .app_rules import admin, allow, logged, shown
from .engines import Engines
from .keys import SCOPES, ApiKey
from .trends_view import ALL_KINDS, shop_trends_view, trends_view
from .uploads import public_message

SNIPPET = """<!-- On your product page: the script once, then the element wherever the widget goes. -->
<script src="{origin}/widget/atelier-tryon.js" defer></script>
<atelier-tryon product="GARMENT_ID" api-key="{key}" api="{origin}"></atelier-tryon>"""
KEY_PLACEHOLDER = "atl_YOUR_WIDGET_KEY"
PYTHON = """# From Python, the same app through gradio_client (no key: it runs on your server), or the REST API:
from gradio_client import Client, handle_file
client = Client("{origin}/app/")
image, note, looks = client.predict(handle_file("me.jpg"), "", "try the polo on me in M", [], api_name="/tryon")"""
KEY_COLUMNS = ["id", "name", "scope", "per minute", "sites", "created (UTC)", "revoked"]


def _rows(keys: list[ApiKey]) -> list[list]:
    return [[k.id, k.name, k.scope, k.rate_per_minute, " ".join(k.origins), k.created_at.strftime("%Y-%m-%d %H:%M"),
             k.revoked] for k in keys]


def _base(request: gr.Request | None) -> str:
    """This server's address as the browser reached it."""
    host = request.headers.get("host", "127.0.0.1:7860") if request else "127.0.0.1:7860"
    return f"{request.headers.get('x-forwarded-proto', 'http') if request else 'http'}://{host}"


def product_tab(engines: Callable[[], Engines]) -> tuple[Callable, list[gr.Code]]:
    """Lays the tab out; returns the function that fills the snippets in with this server's address, and them."""
    gr.Markdown("### Embed the try-on widget\nOne script tag defines `<atelier-tryon>`; give it a garment id from "
                "`GET /api/v1/garments` and a **widget** key that lists your site's origin (widget keys are public in "
                "your page, so they can only try on, parse, search and recommend). With `--demo-shop`, see it on the "
                "[demo shop page](/shop). "
                "The REST API's contract is at [/docs](/docs).")
    snippet = gr.Code(SNIPPET.format(origin="http://127.0.0.1:7860", key=KEY_PLACEHOLDER), language="html",
                      label="Embed snippet")
    python = gr.Code(PYTHON.format(origin="http://127.0.0.1:7860"), language="python", label="Python")

    gr.Markdown("### API keys\nManaging keys needs an admin key (create the first with "
                "`atelier keys create --name NAME --scope admin`). A new key is shown once; only its hash is stored.")
    with gr.Row():
        admin_box = gr.Textbox(label="Your admin key", type="password", max_lines=1, scale=2)
        show = gr.Button("Show keys", scale=1)
    with gr.Row():
        name = gr.Textbox(label="New key's name", max_lines=1, placeholder="my-shop product pages")
        scope = gr.Radio(list(SCOPES), value="widget", label="Scope")
        rate = gr.Number(value=60, precision=0, minimum=1, maximum=10_000, label="Requests a minute")
        origins = gr.Textbox(label="Sites whose pages may use it", max_lines=1, placeholder="https://shop.example",
                             info="origins, space-separated; * for any; empty: no other site's pages")
        create = gr.Button("Create key", variant="primary")
    new_key = gr.Textbox(label="The new key (copy it now: it is not shown again)", interactive=False)
    with gr.Row():
        revoke_id = gr.Textbox(label="Key id to revoke", max_lines=1)
        revoke = gr.Button("Revoke", variant="stop")
    table = gr.Dataframe(headers=KEY_COLUMNS, label="Keys", interactive=False)

    gr.Markdown("### Trends\nColours, categories, materials and styles ranked by momentum in this shop's own "
                "interactions: each value's share of the last 4 weeks against its share of the 12 weeks before. "
                "The demo catalog shows a shipped sample of real sales (VISUELLE, 2016-2019) until its store has "
                "interactions of its own.")
    with gr.Row():
        kind = gr.Dropdown([ALL_KINDS, *TREND_KINDS], value=ALL_KINDS, label="Kind")
        values = gr.Slider(1, 30, value=10, step=1, label="Values per kind")
        until = gr.Textbox(label="Up to the day (YYYY-MM-DD)", max_lines=1, placeholder="empty: the latest date")
        show_shop_trends = gr.Button("Show trends", variant="primary")
    shop_note = gr.Markdown()
    shop_plot = gr.Plot(label="Weekly shares", visible=False)
    # Hidden until there is a ranking: an empty table shows stray "1 2 3" headers.
    shop_table = gr.Dataframe(label="Ranking", interactive=False, visible=False)
    with gr.Accordion("Google Trends instead (optional)", open=False):
        gr.Markdown("Colours, fabrics and categories ranked by their Google Trends momentum over the 12 weeks from "
                    "a month (the share is a softmax over each kind, not a calibrated probability). Uses "
                    "VISUELLE's `gtrends.csv` under `$ATELIER_DATA`, or a weekly Google Trends export of your own "
                    "(a `date` column and one column per term).")
        with gr.Row():
            period = gr.Textbox(value="2019-09", label="From the month (YYYY-MM)", max_lines=1)
            top = gr.Slider(1, 30, value=10, step=1, label="Terms per kind")
            series = gr.File(label="Your Google Trends CSV (optional)", file_types=[".csv"])
            show_trends = gr.Button("Show Google Trends")
        trend_plot = gr.Plot(label="Momentum")
        trend_table = gr.Dataframe(TrendRanking("", 0).to_frame(), label="Ranking", interactive=False)

    def check_admin(secret: str, request: gr.Request) -> Engines:
        loaded = allow(engines(), request)  # guessing keys costs a rate-limit token a try
        admin(loaded, secret)
        return loaded

    @logged
    def list_keys(secret: str, request: gr.Request) -> list[list]:
        return _rows(check_admin(secret, request).keys.list())

    @logged
    def create_key(secret: str, key_name: str, key_scope: str, per_minute: float | None, sites: str,
                   request: gr.Request) -> tuple[str, list[list], str]:
        """The new key, the keys, and the embed snippet with a new widget key filled in (an admin key never goes
        into a page: anyone can read a page's source)."""
        loaded = check_admin(secret, request)
        try:
            made = loaded.keys.create(key_name, key_scope, int(per_minute or 0), (sites or "").split())
        except ValueError as err:
            raise shown(err) from err
        key = made.secret if made.key.scope == "widget" else KEY_PLACEHOLDER
        return made.secret, _rows(loaded.keys.list()), SNIPPET.format(origin=_base(request), key=key)

    @logged
    def revoke_key(secret: str, key_id: str, request: gr.Request) -> list[list]:
        loaded = check_admin(secret, request)
        try:
            loaded.keys.revoke(key_id.strip())
        except KeyError as err:
            raise shown(err) from err
        return _rows(loaded.keys.list())

    @logged
    def own_trends(trend_kind: str, count: float, last_day: str, request: gr.Request) -> tuple:
        """The shop's ranking; what stops it (an empty store, a bad date) is said in the note, not as a table."""
        loaded = allow(engines(), request)
        try:
            view = shop_trends_view(loaded.trends_store(), trend_kind, int(count), (last_day or "").strip() or None)
        except ValueError as err:
            return f"**Nothing to show.** {public_message(err)}", gr.Plot(visible=False), gr.Dataframe(visible=False)
        ranked = view.figure is not None
        return view.message, gr.Plot(view.figure, visible=ranked), gr.Dataframe(view.table, visible=ranked)

    @logged
    def trends(month: str, count: float, upload: str | None, request: gr.Request) -> tuple:
        allow(engines(), request)
        try:
            table, figure = trends_view((month or "").strip(), int(count), upload or None)
        except FileNotFoundError as err:
            raise gr.Error("no Google Trends file: upload one, or set ATELIER_DATA to a folder with "
                           "trends/visuelle/gtrends.csv") from err
        except ValueError as err:
            raise shown(err) from err
        return figure, table.round(4)

    @logged
    def origin(request: gr.Request) -> tuple[str, str]:
        """The snippets with this server's address as the browser reached it."""
        base = _base(request)
        return SNIPPET.format(origin=base, key=KEY_PLACEHOLDER), PYTHON.format(origin=base)

    show_shop_trends.click(own_trends, inputs=[kind, values, until], outputs=[shop_note, shop_plot, shop_table],
                           api_name="shop_trends")
    # "/trends" keeps its Google Trends contract for the clients that already call it.
    show_trends.click(trends, inputs=[period, top, series], outputs=[trend_plot, trend_table], api_name="trends")
    # Key management is for people at this page, not for scripts: absent from the app's API listing.
    private = {"api_visibility": "private"}
    show.click(list_keys, inputs=admin_box, outputs=table, **private)
    create.click(create_key, inputs=[admin_box, name, scope, rate, origins], outputs=[new_key, table, snippet],
                 **private)
    revoke.click(revoke_key, inputs=[admin_box, revoke_id], outputs=table, **private)
    return origin, [snippet, python]
