"""The public register of recognised OCOP products, for everyone (no sign-in): a search with
filters (words, province → district → commune through the unit picker, product set, stars,
status) whose results are cards, a page per product, the open-data downloads passed through
from the evaluation API as they stream, and ``/sitemap.xml`` listing the product pages.

Its pages are under ``/products`` (``/register`` is where an applicant opens an account).
Every absolute link (the sitemap's, the QR code's) is on the portal's configured public address
(:mod:`services.portal.links`), never on the Host header of the request."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape

import requests
import segno
from flask import Blueprint, Response, abort, render_template, request, stream_with_context
from markupsafe import Markup

from services.portal import i18n, units
from services.portal.api_client import ApiError
from services.portal.i18n import translate
from services.portal.links import public_url
from services.portal.views.common import api, every

bp = Blueprint("register", __name__)

STATUSES = ("valid", "expired", "revoked", "superseded", "all")
STARS = ("3", "4", "5")
PAGE = 20
# The unit picker's province and district; the commune's reference is the filter ``commune``.
PICKER = ("unit.province", "unit.district")
FILTERS = ("q", "commune", "product_set", "star_rank", "status")
# A sitemap holds at most 50,000 addresses (sitemaps.org); the register's pages come after
# the few fixed ones.
SITEMAP_LIMIT = 50_000
# Certificate numbers (OCOP-45-2026-00017, or an imported one's original): nothing else is
# worth a call.
NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./-]{0,39}$")
CHUNK = 64 * 1024


def _places(lists: dict[str, list[dict[str, Any]]], values: dict[str, str]) -> dict[str, str]:
    """The unit filters the API gets: the commune chosen (if it is among those offered, or
    given in a link without the picker), else the district, else the province."""
    commune = values.get("commune")
    if commune and (
        "unit.province" not in values or commune in {u["ref"] for u in lists["communes"]}
    ):
        return {"commune": commune}
    for listed, key, level in (
        ("districts", "unit.district", "district"),
        ("provinces", "unit.province", "province"),
    ):
        chosen = next((u for u in lists[listed] if u["code"] == values.get(key)), None)
        if chosen:
            return {level: chosen["ref"]}
    return {}


@bp.get("/products")
def search() -> Any:
    """Search the register; without filters, the valid certificates in alphabetical order."""
    asked = (*FILTERS, *PICKER)
    values = {k: request.args[k].strip() for k in asked if request.args.get(k, "").strip()}
    lists = units.choices(values)
    params: dict[str, Any] = {
        k: values[k] for k in ("q", "product_set", "star_rank", "status") if k in values
    }
    params |= _places(lists, values)
    params["limit"] = PAGE
    if request.args.get("after"):
        params["after"] = request.args["after"]
    page: dict[str, Any] = {"items": [], "next": None}
    errors: dict[str, str] = {}
    try:
        page = api().call("evaluation", "GET", "/register", params=params)
    except ApiError as exc:
        if exc.status != 422:
            raise
        # Query-string errors come back under "query."; the form's fields are the bare names.
        errors = {k.removeprefix("query."): v for k, v in i18n.field_refusals(exc).items()}
    return render_template(
        "register/search.html",
        values=values,
        chosen={"status": "valid", **values},
        errors=errors,
        page=page,
        statuses=STATUSES,
        star_choices=STARS,
        units=lists,
        product_sets=every("registration", "/product-sets"),
    )


@bp.get("/products/<path:number>")  # an imported number may hold a slash
def product(number: str) -> Any:
    """One product of the register: producer, stars, validity, and its public check."""
    if not NUMBER.match(number):
        abort(404)
    try:
        entry = api().call("evaluation", "GET", f"/register/{number}")
    except ApiError as exc:
        if exc.status == 404:
            abort(404)
        raise
    check_url = public_url("certificates.check", number=entry["number"])
    qr = segno.make(check_url, error="m").svg_inline(
        scale=4, title=translate("certificate.qr", number=entry["number"])
    )
    return render_template("register/product.html", entry=entry, check_url=check_url, qr=Markup(qr))


def _passed_through(path: str, mimetype: str, filename: str) -> Response:
    """An export of the evaluation API, passed on as it streams (never whole in memory)."""
    upstream = _upstream(path)

    def chunks() -> Iterator[bytes]:
        with upstream:
            yield from upstream.iter_content(CHUNK)

    response = Response(stream_with_context(chunks()), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = upstream.headers.get("Cache-Control", "no-cache")
    return response


@bp.get("/products.csv")
def export_csv() -> Any:
    return _passed_through("/register.csv", "text/csv", "ocop-register.csv")


@bp.get("/products.json")
def export_json() -> Any:
    return _passed_through("/register.json", "application/json", "ocop-register.json")


def _upstream(path: str) -> requests.Response:
    """A streamed GET of the evaluation API (public: no token), or a 502 page."""
    client = api()
    upstream = client.http.get(
        client.bases["evaluation"] + path, stream=True, timeout=client.timeout
    )
    if upstream.status_code != 200:
        upstream.close()
        abort(502)
    return upstream


def _numbers(upstream: requests.Response) -> Iterator[str]:
    """Every certificate number of the register, read from the CSV export as it streams."""
    with upstream:
        upstream.raw.decode_content = True
        text = io.TextIOWrapper(upstream.raw, encoding="utf-8-sig", newline="")
        for row in csv.DictReader(text):
            yield row["number"]


@bp.get("/sitemap.xml")
def sitemap() -> Any:
    """The public pages: home, the check, the register and each product's page (absolute
    links on the configured public address)."""
    upstream = _upstream("/register.csv")
    fixed = [
        public_url("home.index"),
        public_url("certificates.check"),
        public_url("register.search"),
    ]

    def body() -> Iterator[str]:
        yield '<?xml version="1.0" encoding="UTF-8"?>\n'
        yield '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        for url in fixed:
            yield f"<url><loc>{escape(url)}</loc></url>\n"
        for i, number in enumerate(_numbers(upstream)):
            if i + len(fixed) >= SITEMAP_LIMIT:
                break
            url = public_url("register.product", number=number)
            yield f"<url><loc>{escape(url)}</loc></url>\n"
        yield "</urlset>\n"

    response = Response(stream_with_context(body()), mimetype="application/xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
