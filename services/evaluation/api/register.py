"""The public register of recognised OCOP products (no sign-in): a searchable, paged list, one
certificate's entry, and the whole register as CSV and JSON for open data."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema, fields, post_load, validate

from services.evaluation.runtime import current
from services.evaluation.service import certificates as certificate_service
from services.evaluation.service import register
from shared.auth import UnitRef
from shared.db import Database
from shared.spreadsheet import neutralise_row
from shared.web import document_errors, public

blp = Blueprint(
    "register",
    __name__,
    url_prefix="/api/v1",
    description="The public register of recognised products",
)

STATUS_CHOICES = (*certificate_service.STATUSES, register.ALL)
# Exports change when a certificate is issued, revoked or expires: caches may keep one an hour.
EXPORT_MAX_AGE = 3600


_EXAMPLES = {
    "province": "pre2025:province:45",
    "district": "pre2025:district:461",
    "commune": "pre2025:commune:19333",
}


def _unit(level: str) -> fields.Str:
    return fields.Str(
        validate=validate.Regexp(
            rf"^[a-z0-9]{{1,16}}:{level}:[0-9A-Za-z.]{{1,8}}$",
            error=f"A {level} as tree:{level}:code.",
        ),
        metadata={
            "description": f"the {level} where the product is made, as tree:level:code (e.g. "
            + _EXAMPLES[level]
            + "), like every unit reference"
        },
    )


class RegisterArgs(Schema):
    q = fields.Str(
        validate=validate.Length(max=200),
        metadata={
            "description": "words, each beginning a word of the product's or producer's name "
            "(or the number), in any order, regardless of case, tones and letter marks (đ is "
            "found as d)"
        },
    )
    province = _unit("province")
    district = _unit("district")
    commune = _unit("commune")
    product_set = fields.Str(
        validate=validate.Regexp(r"^[0-9]{2}$"),
        metadata={"description": "the product set's code (01 … 06)"},
    )
    star_rank = fields.Int(validate=validate.Range(min=3, max=5))
    status = fields.Str(
        load_default=certificate_service.VALID,
        validate=validate.OneOf(STATUS_CHOICES),
        metadata={
            "description": "the status today in Asia/Ho_Chi_Minh (default valid: a certificate "
            "kept valid by a pending re-evaluation counts), or all"
        },
    )
    limit = fields.Int(load_default=20, validate=validate.Range(min=1, max=register.MAX_LIMIT))
    after = fields.Str(
        validate=validate.Length(min=1, max=40),
        metadata={"description": "cursor: the `next` of the previous page"},
    )

    @post_load
    def _filters(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["filters"] = register.Filters(
            q=data.pop("q", None),
            province=UnitRef.parse(data.pop("province")) if "province" in data else None,
            district=UnitRef.parse(data.pop("district")) if "district" in data else None,
            commune=UnitRef.parse(data.pop("commune")) if "commune" in data else None,
            product_set=data.pop("product_set", None),
            star_rank=data.pop("star_rank", None),
            status=data.pop("status"),
        )
        return data


class RegisterEntry(Schema):
    """A certificate as the register shows it: no ids of people, no revocation note."""

    number = fields.Str()
    product_name = fields.Str()
    product_code = fields.Str()
    product_set_code = fields.Str()
    producer_name = fields.Str()
    star_rank = fields.Int()
    level = fields.Str(metadata={"description": "the level whose authority recognised it"})
    authority_unit = fields.Str(metadata={"description": "tree:level:code, or national"})
    decision_number = fields.Str()
    decided_on = fields.Date()
    issued_on = fields.Date()
    expires_on = fields.Date()
    valid_until = fields.Date(
        metadata={
            "description": "its last day of validity: expires_on, or later while a "
            "re-evaluation filed by then is pending (at most 180 days)"
        }
    )
    status = fields.Str(
        validate=validate.OneOf(certificate_service.STATUSES),
        metadata={"description": "as of today in Asia/Ho_Chi_Minh"},
    )
    superseded_by = fields.Str(
        allow_none=True, metadata={"description": "the certificate that replaced it"}
    )
    revoked_on = fields.Date(allow_none=True)
    province = fields.Str(metadata={"description": "where the product is made: tree:level:code"})
    district = fields.Str(allow_none=True, metadata={"description": "null on the 2025 tree"})
    commune = fields.Str()


class RegisterPage(Schema):
    items = fields.List(fields.Nested(RegisterEntry))
    next = fields.Str(allow_none=True, metadata={"description": "cursor of the next page"})


@blp.route("/register", methods=["GET"])
@blp.arguments(RegisterArgs, location="query")
@blp.response(200, RegisterPage)
@public(blp)
@document_errors(blp, 401, 422)  # 401 only for a malformed or invalid token, if one is sent
def search(args: dict[str, Any]) -> Any:
    """Search the register of recognised products (no sign-in needed), in Vietnamese
    alphabetical order of the product name (a ă â … d đ …, tones after their letter)"""
    with current().db.reader() as session:
        items, cursor = register.page(
            session=session,
            filters=args["filters"],
            day=certificate_service.today(),
            limit=args["limit"],
            after=args.get("after"),
        )
        return {"items": items, "next": cursor}


# ``path``: a number issued before the platform may hold a slash (123/GCN-UBND, imported).
@blp.route("/register/<path:number>", methods=["GET"])
@blp.response(200, RegisterEntry)
@public(blp)
@document_errors(blp, 401, 404)
def entry(number: str) -> Any:
    """One certificate of the register, whatever its status (no sign-in needed)"""
    with current().db.reader() as session:
        return register.one(session=session, number=number, day=certificate_service.today())


def _rows(db: Database) -> Iterator[dict[str, Any]]:
    """The export's rows, read with ``db`` taken while the request lasted: the body streams
    after it, with no request context to lean on (so nothing is left to pop when a client
    goes away mid-download, or never reads)."""
    with db.reader() as session:
        yield from register.export(session=session, day=certificate_service.today())


def _export(body: Iterator[str], mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = f"public, max-age={EXPORT_MAX_AGE}"
    return response


@blp.route("/register.csv", methods=["GET"])
@blp.response(200, {"type": "string"}, content_type="text/csv")
@public(blp)
@document_errors(blp, 401)
def export_csv() -> Any:
    """The whole register as CSV, every status, in the register's order (UTF-8 with BOM; a
    text cell a spreadsheet would run as a formula starts with '). Columns: see
    docs/services/evaluation.md#the-public-register"""

    db = current().db

    def lines() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=register.EXPORT_COLUMNS)
        out.write("\ufeff")
        writer.writeheader()
        for row in _rows(db):
            writer.writerow(neutralise_row(row))
            if out.tell() >= 64 * 1024:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
        yield out.getvalue()

    return _export(lines(), "text/csv", "ocop-register.csv")


@blp.route("/register.json", methods=["GET"])
@blp.response(200, {"type": "object"})
@public(blp)
@document_errors(blp, 401)
def export_json() -> Any:
    """The whole register as JSON, every status: ``{"as_of": day, "items": [...]}``, each item
    with the keys of the CSV's columns (docs/services/evaluation.md#the-public-register)"""

    db = current().db

    def chunks() -> Iterator[str]:
        day = certificate_service.today().isoformat()
        yield f'{{"as_of": "{day}", "items": ['
        for i, row in enumerate(_rows(db)):
            yield ("," if i else "") + "\n" + json.dumps(row, ensure_ascii=False)
        yield "\n]}\n"

    return _export(chunks(), "application/json", "ocop-register.json")
