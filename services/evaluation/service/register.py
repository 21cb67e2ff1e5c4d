"""The public register of recognised OCOP products: which products hold a certificate, where,
with how many stars, until when; for anyone, without signing in.

Every certificate is in it, whatever became of it; the status asked for is the one on the day
asked about (:func:`services.evaluation.service.certificates.status_on`), valid by default.
Each certificate row keeps what the register filters and orders by: its product name's
Vietnamese sort key, its product set and the units where the product is made (its case's, as
filed), and each folded word of the product's and producer's names and of the number is a row of
``certificate_words``, so a word is found through an index rather than by reading every row.
They are written with the certificate wherever one is written (:func:`describe`, or
:func:`columns` and :func:`word_rows` for a bulk INSERT: on issue and on import); revocation,
expiry and supersession change only its status, which is read live. Lists are ordered and paged
by indexes that end in (name_key, number).

A stored ``valid`` past ``expires_on`` may still be valid for a few months: a re-evaluation
filed by the expiry keeps it so until decided (docs/domain.md#certificates). The query asks the
database for a superset (a valid row in those 180 days with such a filing) and the exact status
of those few rows is computed here, so a page holds only what was asked for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from services.evaluation.models import Case, Certificate, certificate_words, unit_successors
from services.evaluation.service import cases as case_service

# A module, not its names: certificates.issue writes these columns (imports this module).
from services.evaluation.service import certificates as certificate_service
from shared.auth import UnitRef
from shared.catalogue import translate
from shared.certificates import LATE_FILER_GRACE_DAYS
from shared.errors import Invalid, NotFound
from shared.jurisdiction import UnitColumns, within
from shared.names import fold, sort_key
from shared.units.lookup import by_ref

# certificates.STATUSES (named again here: that module imports this one while loading).
VALID, EXPIRED, REVOKED, SUPERSEDED = "valid", "expired", "revoked", "superseded"
ALL = "all"
MAX_LIMIT = 100
# Rows read from the database at a time while exporting (streamed, never all in memory).
EXPORT_BATCH = 500

# With the merger's map (shared.unit_map): a 2025 province or commune asked for finds the
# pre-2025 certificates of the communes merged into it; each entry keeps its filed unit.
_UNITS = UnitColumns(
    tree=Certificate.unit_tree,
    province=Certificate.province_code,
    district=Certificate.district_code,
    commune=Certificate.commune_code,
    successors=unit_successors,
)


# --- the stored columns -----------------------------------------------------------------------

# A searched word: letters and digits of the folded text ("Đông Hà, Q.Trị" → dong, ha, q, tri).
# Only [a-z0-9]: a word's prefix range is then the same under every database collation.
_WORD = re.compile(r"[a-z0-9]+")


def words(*texts: str) -> list[str]:
    """The distinct searched words of ``texts``, folded (no tones, letter marks or case)."""
    return sorted({w for text in texts for w in _WORD.findall(fold(text))})


def columns(*, number: str, product_name: str, producer_name: str, case: Any) -> dict[str, Any]:
    """The register's columns of a certificate, for an INSERT's values (the name's sort key, the
    case's product set and units): call it wherever a certificate row is written. ``case`` is
    its Case, or any row with the case's ``product_set_code`` and unit columns."""
    del number, producer_name  # the words are rows of their own (word_rows)
    return {
        "name_key": sort_key(product_name),
        "product_set_code": case.product_set_code,
        "unit_tree": case.unit_tree,
        "province_code": case.province_code,
        "district_code": case.district_code,
        "commune_code": case.commune_code,
    }


def word_rows(*, number: str, product_name: str, producer_name: str) -> list[dict[str, str]]:
    """The ``certificate_words`` rows of a certificate, for a bulk INSERT."""
    return [{"word": w, "number": number} for w in words(product_name, producer_name, number)]


def describe(session: Session, certificate: Certificate, case: Case) -> None:
    """Keep a certificate's register columns and words in step with its names and case (an
    ORM row, inserted or not yet: it is flushed first)."""
    for name, value in columns(
        number=certificate.number,
        product_name=certificate.product_name,
        producer_name=certificate.producer_name,
        case=case,
    ).items():
        setattr(certificate, name, value)
    session.flush()
    table = certificate_words
    session.execute(delete(table).where(table.c.number == certificate.number))
    rows = word_rows(
        number=certificate.number,
        product_name=certificate.product_name,
        producer_name=certificate.producer_name,
    )
    if rows:
        session.execute(table.insert(), rows)


def _next_prefix(word: str) -> str | None:
    """The least string above every string beginning ``word`` (of [a-z0-9]), or None."""
    stem = word.rstrip("z")
    if not stem:
        return None
    last = stem[-1]
    return stem[:-1] + ("a" if last == "9" else chr(ord(last) + 1))


def _word_range(word: str) -> ColumnElement[bool]:
    """The rows of ``certificate_words`` whose word begins ``word``: a range of its key."""
    column = certificate_words.c.word
    upper = _next_prefix(word)
    return column >= word if upper is None else and_(column >= word, column < upper)


def _holding(word: str) -> Select[str]:
    """The numbers of the certificates one of whose words begins ``word``."""
    return select(certificate_words.c.number).where(_word_range(word))


#: A word held by at most this many certificates is looked up first, and the certificates
#: holding it are ordered here; a commoner one is a condition of the walk along the name index.
FEW = 2000


def _words_asked(session: Session, asked: list[str]) -> tuple[str | None, list[Any]]:
    """The rarest word asked for if few certificates hold it (at most :data:`FEW`), and a
    condition for each of the other words.

    A rare word's certificates may all sit far along the name order ("Mật ong" in the middle
    of the alphabet): walking the name index until a page of them is found reads most of the
    table, and PostgreSQL's planner, which cannot know where they sit, chooses that walk.
    Reading the few that hold it by number and ordering them here costs as little wherever
    they sit. A common word's certificates are met soon along the walk."""
    held = {
        word: session.execute(
            select(func.count()).select_from(_holding(word).limit(FEW + 1).subquery())
        ).scalar_one()
        for word in asked
    }
    rarest = min(asked, key=held.__getitem__, default=None)
    if rarest is not None and held[rarest] > FEW:
        rarest = None
    others = [Certificate.number.in_(_holding(w)) for w in asked if w != rarest]
    return rarest, others


# --- reading it -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filters:
    """What the register is asked for; ``None`` asks for anything."""

    q: str | None = None
    province: UnitRef | None = None
    district: UnitRef | None = None
    commune: UnitRef | None = None
    product_set: str | None = None
    star_rank: int | None = None
    status: str = VALID


# The re-evaluation case naming a certificate (an alias: a query may join the own case too).
_FOLLOW_UP = aliased(Case)


def _may_be_kept_valid(day: date) -> ColumnElement[bool]:
    """A stored valid certificate past its expiry whose holder filed a re-evaluation by then,
    within the 180 days such a filing can keep it valid: valid or not, as its case says."""
    return and_(
        Certificate.expires_on < day,
        Certificate.expires_on >= day - timedelta(days=LATE_FILER_GRACE_DAYS),
        exists().where(
            _FOLLOW_UP.previous_certificate == Certificate.number,
            _FOLLOW_UP.registration_type == case_service.RE_EVALUATION,
            _FOLLOW_UP.filed_on <= Certificate.expires_on,
        ),
    )


def _status_condition(status: str, day: date) -> ColumnElement[bool]:
    """Rows that may have ``status`` on ``day`` (a superset: see the module's doc)."""
    if status == VALID:
        return and_(
            Certificate.status == VALID,
            or_(Certificate.expires_on >= day, _may_be_kept_valid(day)),
        )
    if status == EXPIRED:
        return or_(
            Certificate.status == EXPIRED,
            and_(Certificate.status == VALID, Certificate.expires_on < day),
        )
    if status in (REVOKED, SUPERSEDED):
        return Certificate.status == status
    return true()


def _may_have(status: str, row: Any, day: date) -> bool:
    """:func:`_status_condition` on a row read (its ``status`` and ``expires_on``)."""
    if status == VALID:
        grace = day - timedelta(days=LATE_FILER_GRACE_DAYS)
        return bool(row.status == VALID and row.expires_on >= grace)
    if status == EXPIRED:
        return bool(row.status == EXPIRED or (row.status == VALID and row.expires_on < day))
    return status == ALL or bool(row.status == status)


def _query(filters: Filters, day: date, *, by_status: bool = True) -> Select[Certificate]:
    """Every filter but the words (see :func:`_words_asked`), and the status unless not
    ``by_status``."""
    query = select(Certificate)
    if by_status:
        query = query.where(_status_condition(filters.status, day))
    for place in (filters.province, filters.district, filters.commune):
        if place is not None:
            query = query.where(within(place, _UNITS))
    if filters.product_set:
        query = query.where(Certificate.product_set_code == filters.product_set)
    if filters.star_rank is not None:
        query = query.where(Certificate.star_rank == filters.star_rank)
    return query


def _unit_ref(certificate: Certificate, level: str) -> str | None:
    code = getattr(certificate, f"{level}_code")
    return f"{certificate.unit_tree}:{level}:{code}" if code else None


def entry(certificate: Certificate, day: date) -> dict[str, Any]:
    """A certificate as the register shows it, its status on ``day``."""
    return {
        "number": certificate.number,
        "product_name": certificate.product_name,
        "product_code": certificate.product_code,
        "product_set_code": certificate.product_set_code,
        "producer_name": certificate.producer_name,
        "star_rank": certificate.star_rank,
        "level": certificate.level,
        "authority_unit": certificate.authority_unit,
        "decision_number": certificate.decision_number,
        "decided_on": certificate.decided_on,
        "issued_on": certificate.issued_on,
        "expires_on": certificate.expires_on,
        "valid_until": certificate_service.valid_until(certificate),
        "status": certificate_service.status_on(certificate, day),
        "superseded_by": certificate.superseded_by,
        "revoked_on": certificate.revoked_on,
        "province": _unit_ref(certificate, "province"),
        "district": _unit_ref(certificate, "district"),
        "commune": _unit_ref(certificate, "commune"),
    }


def _wanted(filters: Filters, certificate: Certificate, day: date) -> bool:
    return (
        filters.status == ALL or certificate_service.status_on(certificate, day) == filters.status
    )


def page(
    *,
    session: Session,
    filters: Filters,
    day: date,
    limit: int = 20,
    after: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the register in Vietnamese order of the product name (then number); returns
    the cursor of the next page (the last number shown), or None on the last page."""
    limit = max(1, min(limit, MAX_LIMIT))
    # Every word asked for begins a word of the product's or producer's name (in any order).
    rarest, others = _words_asked(session, words(filters.q or ""))
    position: tuple[str, str] | None = None
    if after is not None:
        last_key = session.execute(
            select(Certificate.name_key).where(Certificate.number == after)
        ).scalar_one_or_none()
        if last_key is None:
            raise Invalid(errors={"after": "page.unknown_cursor"})
        position = (last_key, after)
    batches: Iterator[list[Certificate]]
    if rarest is None:
        query = _query(filters, day).where(*others)
        if position is not None:
            query = query.where(_after(position))
        batches = _along_the_index(session, query, limit + 1)
    else:
        # The status and the position are checked on the rows read, not asked of the database:
        # SQLite would walk the expiry or name index for them rather than fetch the few by key.
        query = _query(filters, day, by_status=False).where(
            Certificate.number.in_(_holding(rarest)), *others
        )
        batches = _of_the_few(session, query, filters.status, day, position, limit + 1)
    found: list[dict[str, Any]] = []
    # Rows are read a page (and one) at a time until enough pass the exact status check: in
    # practice the first read, as the rows that fail it are the rare ones kept valid by a
    # pending re-evaluation.
    for batch in batches:
        found += [entry(c, day) for c in batch if _wanted(filters, c, day)]
        if len(found) > limit:
            break
    next_cursor = found[limit - 1]["number"] if len(found) > limit else None
    return found[:limit], next_cursor


def _after(position: tuple[str, str]) -> ColumnElement[bool]:
    key, number = position
    return or_(
        Certificate.name_key > key,
        and_(Certificate.name_key == key, Certificate.number > number),
    )


def _along_the_index(
    session: Session, query: Select[Certificate], size: int
) -> Iterator[list[Certificate]]:
    """The certificates ``query`` finds, in the register's order, ``size`` at a time, read
    along the name index."""
    position: tuple[str, str] | None = None
    while True:
        batch = query if position is None else query.where(_after(position))
        rows = list(
            session.execute(
                batch.order_by(Certificate.name_key, Certificate.number).limit(size)
            ).scalars()
        )
        if rows:
            yield rows
        if len(rows) < size:
            return
        position = (rows[-1].name_key, rows[-1].number)


def _of_the_few(
    session: Session,
    query: Select[Certificate],
    status: str,
    day: date,
    position: tuple[str, str] | None,
    size: int,
) -> Iterator[list[Certificate]]:
    """The few certificates ``query`` finds (by number), in the register's order after
    ``position``, ``size`` at a time: their keys read, checked and ordered here, then each
    batch read whole."""
    keys = sorted(
        (row.name_key, row.number)
        for row in session.execute(
            query.with_only_columns(
                Certificate.name_key,
                Certificate.number,
                Certificate.status,
                Certificate.expires_on,
            )
        )
        if _may_have(status, row, day)
        and (position is None or (row.name_key, row.number) > position)
    )
    for start in range(0, len(keys), size):
        chunk = [number for _, number in keys[start : start + size]]
        rows = {
            c.number: c
            for c in session.execute(
                select(Certificate).where(Certificate.number.in_(chunk))
            ).scalars()
        }
        yield [rows[number] for number in chunk]


def one(*, session: Session, number: str, day: date) -> dict[str, Any]:
    """One certificate of the register by number, whatever its status; 404 if unknown."""
    certificate = session.get(Certificate, number)
    if certificate is None:
        raise NotFound("certificate.not_found")
    return entry(certificate, day)


# --- the export -------------------------------------------------------------------------------

#: The export's columns, in order (CSV header, JSON keys): the register's entry, with the
#: names of the units (Vietnamese, as the units are named) beside their references.
EXPORT_COLUMNS = (
    "number",
    "product_name",
    "product_code",
    "product_set_code",
    "producer_name",
    "star_rank",
    "status",
    "level",
    "authority_unit",
    "authority_name",
    "decision_number",
    "decided_on",
    "issued_on",
    "expires_on",
    "valid_until",
    "superseded_by",
    "revoked_on",
    "province",
    "province_name",
    "district",
    "district_name",
    "commune",
    "commune_name",
)


def _unit_name(ref: str | None) -> str | None:
    if ref == "national":
        return translate("level.national", "vi")
    found = by_ref(ref)
    return found.name if found else None


def export_row(item: dict[str, Any]) -> dict[str, Any]:
    """An entry as a row of the export: dates as ISO 8601, unit names beside references."""
    row = {
        **item,
        "authority_name": _unit_name(item["authority_unit"]),
        "province_name": _unit_name(item["province"]),
        "district_name": _unit_name(item["district"]),
        "commune_name": _unit_name(item["commune"]),
    }
    return {
        name: row[name].isoformat() if isinstance(row[name], date) else row[name]
        for name in EXPORT_COLUMNS
    }


def export(*, session: Session, day: date) -> Iterator[dict[str, Any]]:
    """Every certificate of the register as export rows, in the register's order, read from
    the database a batch at a time (keyset, so a long export holds no cursor open between
    batches)."""
    filters = Filters(status=ALL)
    position: tuple[str, str] | None = None
    while True:
        query = _query(filters, day)
        if position is not None:
            key, number = position
            query = query.where(
                or_(
                    Certificate.name_key > key,
                    and_(Certificate.name_key == key, Certificate.number > number),
                )
            )
        rows = list(
            session.execute(
                query.order_by(Certificate.name_key, Certificate.number).limit(EXPORT_BATCH)
            ).scalars()
        )
        for certificate in rows:
            yield export_row(entry(certificate, day))
        if len(rows) < EXPORT_BATCH:
            return
        position = (rows[-1].name_key, rows[-1].number)
        # What was read is not needed again: keep the session's memory flat.
        session.expunge_all()
