"""Importing certificates issued before the platform, from an operator's CSV or XLSX file.

A province adopting the platform brings its recognised products: one row per certificate (the
columns are :data:`COLUMNS`; headers are the keys or their words in Vietnamese or English,
matched case- and accent-insensitively). :func:`check` reads and checks the whole file and
lists every problem by row and column (a dry run writes nothing); :func:`apply` writes it in
the caller's one transaction, or nothing when any problem remains:

- per distinct producer (matched by tax or business registration number) a producer, an
  existing one reused; its owner is the applicant account with the producer's email, created
  when missing with no usable password (the person claims it with "forgot password");
- per row an accepted, recognised dossier marked as imported (file, SHA-256, row), a product
  code allocated as for an accepted dossier, the certificates read model row with the file's
  status, and one ``certificate.imported`` event (the case file records it);
- one ``certificate_imports`` row for the audit.

A certificate number already present with the same facts is *unchanged*; with other facts it
is a conflict. So importing the same file twice changes nothing the second time.

Which level recognises which rank follows the regime of the decision's time
(docs/domain.md#regimes-and-levels): 148/2023's four levels for a decision before 1489/2025
took effect (6 July 2025), the deployment's regime from then on.
"""

from __future__ import annotations

import csv
import functools
import gc
import hashlib
import io
import re
import unicodedata
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import event, func, insert, select
from sqlalchemy import text as sql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.registration.domain.product_code import format_product_code
from services.registration.models import (
    Account,
    AdminUnit,
    Certificate,
    CertificateImport,
    Dossier,
    Producer,
    ProductCodeCounter,
    outbox,
    participant_tables,
)
from services.registration.schemas.producers import ENTITY_TYPES
from services.registration.service import account_index
from services.registration.service.bulk_rows import insert_rows
from services.registration.service.dossiers import RUBRIC_VERSION, product_sets
from services.registration.service.units import REGIME_TREE
from shared import calendar, catalogue, participants
from shared.db import UnitOfWork, dialect_insert, table_of
from shared.errors import Conflict, Invalid, TooLarge, UnsupportedType
from shared.events import Actor, Event, new_event
from shared.events.registry import EVENT_TYPES
from shared.ids import new_id
from shared.import_problems import header_words, words
from shared.levels import level_name
from shared.messaging.wakeup import Nudger

#: The largest file taken (a province's whole list fits many times over).
MAX_BYTES = 20 * 1024 * 1024
#: The columns of a row, in the template's order; ``True``: the cell is required.
COLUMNS: dict[str, bool] = {
    "product_name": True,
    "product_set": True,
    "producer_name": True,
    "producer_tax_no": True,
    "producer_email": True,
    "producer_phone": False,
    "producer_address": False,
    "entity_type": False,
    "unit_tree": False,
    "commune": True,
    "star_rank": True,
    "level": True,
    "decision_number": True,
    "decided_on": True,
    "certificate_number": True,
    "issued_on": True,
    "expires_on": True,
    "status": True,
    "revoked_on": False,
}
STATUSES = ("valid", "expired", "revoked")
TREES = tuple(sorted(set(REGIME_TREE.values())))
#: 1489/2025 took effect: districts gone, the province recognises 3★ and 4★.
TWO_TIER_FROM = date(2025, 7, 6)
#: The level whose authority recognises each rank, per regime (docs/domain.md).
RECOGNISING_LEVEL = {
    "four-level": {3: "district", 4: "province", 5: "national"},
    "two-tier": {3: "province", 4: "province", 5: "national"},
}
#: The facts of a certificate that must agree for a number already present to be "unchanged".
FACTS = (
    "product_name",
    "product_set",
    "producer_name",
    "producer_tax_no",
    "producer_email",
    "unit_tree",
    "commune",
    "star_rank",
    "level",
    "decision_number",
    "decided_on",
    "certificate_number",
    "issued_on",
    "expires_on",
    "status",
    "revoked_on",
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CHUNK = 2000


# --- words ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)  # the coded cells repeat a few values thousands of times
def fold(text: str) -> str:
    """Lower case, no accents (đ as d), words separated by one space: how headers and coded
    values are matched."""
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(re.split(r"[^a-z0-9]+", bare)).strip()


def _aliases(prefix: str, codes: Iterable[str]) -> dict[str, str]:
    """Each code by itself and by its words in either language, folded."""
    found: dict[str, str] = {}
    for code in codes:
        found[fold(code)] = code
        for lang in catalogue.LANGUAGES:
            key = f"{prefix}.{code}"
            if catalogue.has(key, lang):
                found[fold(catalogue.translate(key, lang))] = code
    return found


def _header_aliases() -> dict[str, str]:
    return _aliases("import.column", COLUMNS)


# --- problems and the report ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong, where: the file's row (1 is the header) and the column's key."""

    row: int
    column: str | None
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "code": self.code, "params": self.params}

    def words(self, lang: str) -> str:
        """The problem in the operator's language (levels by their names, days as written
        in Vietnam)."""
        return words(self.code, self.params, lang)


@dataclass
class Report:
    """A dry run's or an import's outcome."""

    file_name: str
    sha256: str
    rows: int = 0
    created: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    applied: bool = False
    producers_created: int = 0
    accounts_created: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "file_name": self.file_name,
            "sha256": self.sha256,
            "rows": self.rows,
            "created": self.created,
            "unchanged": self.unchanged,
            "applied": self.applied,
            "producers_created": self.producers_created,
            "accounts_created": self.accounts_created,
            "problems": [p.as_dict() for p in self.problems],
        }


# --- reading the file -----------------------------------------------------------------------


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _is_xlsx(name: str, data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04" or name.lower().endswith(".xlsx")


def read_table(name: str, data: bytes) -> Iterator[tuple[int, list[Any]]]:
    """The file's rows as (row number, cells), the header first; a file that is neither CSV nor
    XLSX is refused (415), a larger one than :data:`MAX_BYTES` too (413)."""
    if len(data) > MAX_BYTES:
        raise TooLarge("import.too_large", limit_mb=MAX_BYTES // (1024 * 1024))
    if _is_xlsx(name, data):
        return _read_xlsx(data)
    return _read_csv(data)


def _read_xlsx(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnsupportedType("import.not_tabular") from exc
    sheet = book.worksheets[0]

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, list(cells)
        finally:
            book.close()

    return rows()


def _read_csv(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    if b"\x00" in data[:4096]:
        raise UnsupportedType("import.not_tabular")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnsupportedType("import.not_tabular") from exc
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return ((reader.line_num, cells) for cells in reader)


# --- checking a row -------------------------------------------------------------------------


@dataclass(slots=True)
class Row:
    """A row's facts as the platform keeps them, once every cell is read."""

    number: int
    facts: dict[str, Any]
    phone: str
    address: str
    entity_type: str
    regime: str = ""
    province_code: str = ""
    district_code: str | None = None
    authority_unit: str = ""


def _text(value: Any) -> str:
    if type(value) is str:  # a CSV's every cell: the common case first
        return " ".join(value.split())
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    return " ".join(str(value).split())


def parse_date(value: Any) -> date | None:
    """A date as a cell of XLSX, ISO (2024-03-15) or as written in Vietnam (15/03/2024)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return _date_of(_text(value))


_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


@functools.lru_cache(maxsize=8192)  # a file's thousands of dates are a few hundred days
def _date_of(text: str) -> date | None:
    match = _DAY_MONTH_YEAR.fullmatch(text)
    try:
        if match:
            return date(int(match[3]), int(match[2]), int(match[1]))
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_rank(value: Any) -> int | None:
    text = fold(_text(value)).replace("sao", "").replace("star", "").replace("s", "").strip()
    return int(text) if text.isdigit() else None


def _bare_level(value: str) -> str:
    """A level as written, without "cấp" before it or "level" after it."""
    folded = fold(value)
    folded = folded.removeprefix("cap ").removesuffix(" level").removeprefix("the ")
    return folded


def recognising_level(decided_on: date, rank: int, deployment_regime: str) -> tuple[str, str]:
    """The regime of the decision's time and the level it names for ``rank``."""
    regime = "four-level" if decided_on < TWO_TIER_FROM else deployment_regime
    return regime, RECOGNISING_LEVEL[regime][rank]


class _Checker:
    """Reads the rows of one file; problems gathered as it goes."""

    def __init__(self, regime: str) -> None:
        self.regime = regime
        self.default_tree = REGIME_TREE[regime]
        self.problems: list[Problem] = []
        self.sets = set(product_sets())
        self.levels = _aliases("level", ("district", "province", "national", "central"))
        # The statuses as the portal names them, and as registers often write them.
        self.statuses = _aliases("certificate_status", STATUSES) | _aliases(
            "import.status", STATUSES
        )
        self.entities = _aliases("entity", ENTITY_TYPES)

    def problem(self, row: int, column: str | None, code: str, **params: Any) -> None:
        plain = {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}
        self.problems.append(Problem(row, column, code, plain))

    def header(self, cells: Sequence[Any]) -> dict[str, int] | None:
        aliases = _header_aliases()
        positions: dict[str, int] = {}
        for index, cell in enumerate(cells):
            key = aliases.get(fold(_text(cell)))
            if key is not None and key not in positions:
                positions[key] = index
        missing = [key for key, required in COLUMNS.items() if required and key not in positions]
        for key in missing:
            self.problem(1, key, "import.missing_column", header=key)
        return None if missing else positions

    def coded(
        self, number: int, text: dict[str, str], key: str, known: dict[str, str], code: str
    ) -> str | None:
        """A coded cell (a level, a status, ...) by its code or words; a problem if unknown."""
        value = known.get(_bare_level(text[key]) if key == "level" else fold(text.get(key, "")))
        if text.get(key) and value is None:
            self.problem(number, key, code, value=text[key])
        return value

    def row(self, number: int, cells: dict[str, Any]) -> Row | None:
        before = len(self.problems)
        text = {key: _text(cells.get(key)) for key in COLUMNS}
        for key, required in COLUMNS.items():
            if required and not text[key]:
                self.problem(number, key, "import.required")
        facts: dict[str, Any] = {
            key: text[key]
            for key in ("product_name", "producer_name", "decision_number", "certificate_number")
        }
        facts["producer_tax_no"] = text["producer_tax_no"].replace(" ", "")
        facts["producer_email"] = email = text["producer_email"].lower()
        if email and not _EMAIL.match(email):
            self.problem(number, "producer_email", "import.bad_email", value=email)
        product_set = text["product_set"]
        facts["product_set"] = product_set.zfill(2) if product_set.isdigit() else product_set
        if product_set and facts["product_set"] not in self.sets:
            self.problem(number, "product_set", "import.unknown_product_set", value=product_set)
        facts["unit_tree"] = text["unit_tree"] or self.default_tree
        if facts["unit_tree"] not in TREES:
            self.problem(number, "unit_tree", "import.unknown_tree", value=facts["unit_tree"])
        facts["commune"] = text["commune"]
        entity = self.coded(
            number, text, "entity_type", self.entities, "import.unknown_entity_type"
        )
        rank = parse_rank(text["star_rank"])
        if text["star_rank"] and (rank is None or not 3 <= rank <= 5):
            self.problem(number, "star_rank", "import.bad_rank", value=text["star_rank"])
            rank = None
        facts["star_rank"] = rank
        level = self.coded(number, text, "level", self.levels, "import.unknown_level")
        facts["level"] = level_name(level) if level else None
        facts["status"] = self.coded(number, text, "status", self.statuses, "import.unknown_status")
        days = self.days(number, cells, text)
        facts.update({key: day.isoformat() if day else None for key, day in days.items()})
        regime = self.consistent(number, facts, days)
        if len(self.problems) > before:
            return None
        return Row(
            number=number,
            facts=facts,
            phone=text["producer_phone"],
            address=text["producer_address"],
            entity_type=entity or "",
            regime=regime,
        )

    def days(self, number: int, cells: dict[str, Any], text: dict[str, str]) -> dict[str, Any]:
        days: dict[str, date | None] = {}
        for key in ("decided_on", "issued_on", "expires_on", "revoked_on"):
            cell = cells.get(key)
            # A text cell is parsed as already read (``text``); a workbook's date as it is.
            day = parse_date(cell) if isinstance(cell, date) else _date_of(text[key])
            if text[key] and day is None:
                self.problem(number, key, "import.bad_date", value=text[key])
            days[key] = day
        return days

    def consistent(self, number: int, facts: dict[str, Any], days: dict[str, Any]) -> str:
        """The rules between cells: expiry after issue, a revocation date for a revoked one
        only, the level the regime of the time names for the rank. Returns that regime."""
        issued, expires = days["issued_on"], days["expires_on"]
        if issued and expires and expires <= issued:
            self.problem(
                number,
                "expires_on",
                "import.expiry_not_after_issue",
                issued_on=issued,
                expires_on=expires,
            )
        status = facts["status"]
        if status == "revoked" and not facts["revoked_on"]:
            self.problem(number, "revoked_on", "import.revoked_on_required")
        if status in ("valid", "expired") and facts["revoked_on"]:
            self.problem(number, "revoked_on", "import.revoked_on_not_revoked")
        decided, rank, level = days["decided_on"], facts["star_rank"], facts["level"]
        if not (decided and rank is not None and level is not None):
            return ""
        regime, expected = recognising_level(decided, rank, self.regime)
        if level != expected:
            self.problem(
                number,
                "level",
                "import.level_mismatch",
                rank=rank,
                level=level,
                expected=expected,
                decided_on=decided,
                regime=regime,
            )
        return regime


# --- the whole file ---------------------------------------------------------------------------


@dataclass
class Plan:
    """A checked file: its report and the rows to create."""

    report: Report
    new_rows: list[Row]


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _existing_facts(session: Session, numbers: list[str]) -> dict[str, dict[str, Any]]:
    """The facts of the certificates already present under ``numbers``: an imported one's as
    its file stated them, one the platform issued as far as it keeps them. Each table is read
    by its key (no join: right after a large import PostgreSQL has no statistics yet, and a
    join planned without them scanned the dossiers once per certificate)."""
    certificates: list[Certificate] = []
    for chunk in _chunks(numbers):
        certificates += session.execute(
            select(Certificate).where(Certificate.number.in_(chunk))
        ).scalars()
    dossiers: dict[uuid.UUID, Any] = {}
    for ids in _chunks(sorted({c.dossier_id for c in certificates})):
        for row in session.execute(
            select(
                Dossier.id,
                Dossier.imported,
                Dossier.product_set_code,
                Dossier.unit_tree,
                Dossier.commune_code,
            ).where(Dossier.id.in_(ids))
        ):
            dossiers[row.id] = row
    platform = [c for c in certificates if not (dossiers[c.dossier_id].imported or {}).get("facts")]
    tax_nos: dict[uuid.UUID, str | None] = {}
    for ids in _chunks(sorted({c.producer_id for c in platform})):
        for producer_id, tax_no in session.execute(
            select(Producer.id, Producer.business_registration_no).where(Producer.id.in_(ids))
        ):
            tax_nos[producer_id] = tax_no
    found: dict[str, dict[str, Any]] = {}
    for certificate in certificates:
        dossier = dossiers[certificate.dossier_id]
        facts = (dossier.imported or {}).get("facts")
        if isinstance(facts, dict):
            found[certificate.number] = dict(facts)
            continue
        found[certificate.number] = {
            "product_name": certificate.product_name,
            "product_set": dossier.product_set_code,
            "producer_tax_no": tax_nos.get(certificate.producer_id),
            "unit_tree": dossier.unit_tree,
            "commune": dossier.commune_code,
            "star_rank": certificate.star_rank,
            "issued_on": certificate.issued_on.isoformat(),
            "expires_on": certificate.expires_on.isoformat(),
            "status": certificate.status,
            "issued_here": True,
        }
    return found


def check(
    session: Session, *, name: str, data: bytes, regime: str, sha256: str | None = None
) -> Plan:
    """Read and check the whole file against the database; nothing is written."""
    with _collector_paused():
        report = Report(file_name=name, sha256=sha256 or sha256_of(data))
        checker = _Checker(regime)
        rows = _check_across(session, checker, _read_rows(checker, report, name, data))
        report.problems = checker.problems
        new_rows = _compare_existing(session, report, rows)
        report.problems.sort(key=lambda p: (p.row, _order(p.column)))
        report.created = len(new_rows)  # to be created, once nothing is wrong
        return Plan(report=report, new_rows=new_rows)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a file is checked and written: an import holds
    about a million objects (cells, rows, events) till its end, and each full collection
    walked them all again (some 15 % of its time). What they leave is collected once it resumes."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read_rows(checker: _Checker, report: Report, name: str, data: bytes) -> list[Row]:
    """Each row of the file checked by itself (problems on ``checker``); the clean ones."""
    rows: list[Row] = []
    positions: dict[str, int] | None = None
    saw_header = False
    for number, cells in read_table(name, data):
        if not any(_text(c) for c in cells):
            continue
        if not saw_header:
            saw_header = True
            positions = checker.header(cells)
            if positions is None:
                break
            continue
        assert positions is not None
        report.rows += 1
        by_key = {
            key: (cells[index] if index < len(cells) else None) for key, index in positions.items()
        }
        row = checker.row(number, by_key)
        if row is not None:
            rows.append(row)
    if not saw_header:
        checker.problem(1, None, "import.empty")
    elif positions is not None and report.rows == 0:
        checker.problem(2, None, "import.empty")
    return rows


def _compare_existing(session: Session, report: Report, rows: list[Row]) -> list[Row]:
    """The rows whose number is new; one already present with the same facts is unchanged,
    with other facts (or issued on the platform) a conflict."""
    new_rows: list[Row] = []
    existing = _existing_facts(session, [r.facts["certificate_number"] for r in rows])
    for row in rows:
        known = existing.get(row.facts["certificate_number"])
        if known is None:
            new_rows.append(row)
            continue
        differ = [k for k in FACTS if k in known and known[k] != row.facts[k]]
        if differ or known.get("issued_here"):
            report.problems.append(
                Problem(
                    row.number,
                    "certificate_number",
                    "import.conflict",
                    {
                        "number": row.facts["certificate_number"],
                        "fields": differ,
                    },
                )
            )
        else:
            report.unchanged += 1
    return new_rows


def _order(column: str | None) -> int:
    keys = list(COLUMNS)
    return keys.index(column) if column in keys else -1


def _check_across(session: Session, checker: _Checker, rows: list[Row]) -> list[Row]:
    """What one row cannot tell: duplicate numbers, one producer told two ways, the communes
    and the producers' emails against the database. Returns the rows still clean."""
    bad = _check_repeats(checker, rows)
    bad |= _check_units(session, checker, rows)
    emails = sorted({r.facts["producer_email"] for r in rows})
    officials: set[str] = set()
    for chunk in _chunks(emails):
        for email, roles in session.execute(
            select(Account.email, Account.roles).where(Account.email.in_(chunk))
        ):
            if "applicant" not in (roles or []):
                officials.add(email)
    for row in rows:
        if row.facts["producer_email"] in officials:
            checker.problem(
                row.number,
                "producer_email",
                "import.email_not_applicant",
                value=row.facts["producer_email"],
            )
            bad.add(row.number)
    return [r for r in rows if r.number not in bad]


def _check_repeats(checker: _Checker, rows: list[Row]) -> set[int]:
    """A certificate number twice in the file; a tax number with two names or emails."""
    first_number: dict[str, int] = {}
    producer_of: dict[str, tuple[int, str, str]] = {}
    bad: set[int] = set()
    for row in rows:
        number = row.facts["certificate_number"]
        if number in first_number:
            checker.problem(
                row.number,
                "certificate_number",
                "import.duplicate_number",
                number=number,
                first_row=first_number[number],
            )
            bad.add(row.number)
        else:
            first_number[number] = row.number
        tax_no = row.facts["producer_tax_no"]
        told = (row.facts["producer_name"], row.facts["producer_email"])
        seen = producer_of.setdefault(tax_no, (row.number, *told))
        if seen[1:] != told:
            checker.problem(
                row.number,
                "producer_tax_no",
                "import.producer_differs",
                tax_no=tax_no,
                first_row=seen[0],
            )
            bad.add(row.number)
    return bad


def _check_units(session: Session, checker: _Checker, rows: list[Row]) -> set[int]:
    """Each commune in its tree, and the unit whose authority recognised the product."""
    communes = _communes(session, {r.facts["unit_tree"] for r in rows})
    bad: set[int] = set()
    for row in rows:
        tree, commune = row.facts["unit_tree"], row.facts["commune"]
        unit = communes.get((tree, commune))
        if unit is None:
            checker.problem(
                row.number, "commune", "import.unknown_commune", value=commune, tree=tree
            )
            bad.add(row.number)
            continue
        row.province_code, row.district_code = unit
        level = row.facts["level"]
        if level == "national":
            row.authority_unit = "national"
        elif level == "province":
            row.authority_unit = f"{tree}:province:{row.province_code}"
        elif row.district_code is None:
            checker.problem(row.number, "level", "import.no_district", commune=commune, tree=tree)
            bad.add(row.number)
        else:
            row.authority_unit = f"{tree}:district:{row.district_code}"
    return bad


def _communes(session: Session, trees: set[str]) -> dict[tuple[str, str], tuple[str, str | None]]:
    """Every commune of ``trees`` in one query: (tree, code) → (province, district)."""
    if not trees:
        return {}
    rows = session.execute(
        select(
            AdminUnit.tree, AdminUnit.code, AdminUnit.province_code, AdminUnit.district_code
        ).where(AdminUnit.tree.in_(sorted(trees)), AdminUnit.level == "commune")
    )
    return {(tree, code): (province, district) for tree, code, province, district in rows}


# --- applying -------------------------------------------------------------------------------


def apply(
    *,
    uow: UnitOfWork,
    actor: Actor,
    name: str,
    data: bytes,
    regime: str,
    expected_sha256: str | None = None,
) -> Report:
    """Check the file and, when nothing is wrong, write it in the caller's transaction (the
    caller commits); any problem (422) writes nothing. ``expected_sha256``: the file a dry run
    was shown, which must be this one."""
    digest = sha256_of(data)
    if expected_sha256 and expected_sha256.lower() != digest:
        raise Invalid("import.other_file", expected=expected_sha256, received=digest)
    with _collector_paused():
        plan = check(uow.session, name=name, data=data, regime=regime, sha256=digest)
        return _apply(uow, actor, plan)


def _apply(uow: UnitOfWork, actor: Actor, plan: Plan) -> Report:
    """The checked file written, or refused with its problems."""
    report = plan.report
    if report.problems:
        raise Invalid(
            "import.has_problems",
            count=len(report.problems),
            problems=[p.as_dict() for p in report.problems],
        )
    report.applied = True
    if not plan.new_rows:
        return report  # the same file again: nothing to write, nothing to announce
    try:
        _write(uow, actor, report, plan.new_rows)
    except IntegrityError as exc:
        # Another import (or a certificate issued) took one of these numbers since the check.
        raise Conflict("import.changed_meanwhile") from exc
    report.created = len(plan.new_rows)
    return report


class _Events:
    """The import's events, thousands of the same two types: the first of each type is built
    by ``new_event`` (its payload validated strictly against the schema), the others the same
    way without the schema's load (about 1 ms each), their payloads already in wire form."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.checked: dict[str, frozenset[str]] = {}
        self.made: list[Event] = []

    def make(self, kind: str, payload: dict[str, Any], dossier_id: uuid.UUID | None) -> None:
        if kind not in self.checked:
            event = new_event(
                kind, payload, producer="registration", actor=self.actor, dossier_id=dossier_id
            )
            # Built in wire form already: what the schema loads is what was given.
            assert event.payload == payload, (kind, event.payload, payload)
            self.checked[kind] = frozenset(payload)
            self.made.append(event)
            return
        assert frozenset(payload) == self.checked[kind], kind
        self.made.append(
            Event(
                event_id=new_id(),
                type=kind,
                version=EVENT_TYPES[kind].version,
                occurred_at=datetime.now(UTC),
                producer="registration",
                actor=self.actor,
                payload=payload,
                dossier_id=dossier_id,
            )
        )


def _write(uow: UnitOfWork, actor: Actor, report: Report, rows: list[Row]) -> None:
    """Everything the import writes, table by table in bulk (``bulk_rows``)."""
    session = uow.session
    now = datetime.now(UTC)
    events = _Events(actor)
    producers = _producers(session, events, report, rows, now)
    _write_cases(session, events, report, rows, producers, now)
    _record_events(uow, events.made)
    if session.get_bind().dialect.name == "postgresql":
        # A bulk load: the planner's statistics of the tables it filled, before its next use
        # (a second import planned without them scanned a table per chunk of numbers).
        session.execute(sql("ANALYZE accounts, producers, dossiers, certificates"))
    session.execute(
        insert(table_of(CertificateImport)),
        [
            {
                "id": new_id(),
                "file_name": report.file_name,
                "sha256": report.sha256,
                "imported_by": uuid.UUID(actor.user_id),
                "imported_at": now,
                "rows": report.rows,
                "created": len(rows),
                "unchanged": report.unchanged,
                "producers_created": report.producers_created,
                "accounts_created": report.accounts_created,
            }
        ],
    )


def _write_cases(
    session: Session,
    events: _Events,
    report: Report,
    rows: list[Row],
    producers: dict[str, dict[str, Any]],
    now: datetime,
) -> None:
    """Per row a dossier, its certificate and its event (kept); the rows of the two tables go
    when written (an import's peak of memory is its events' turn)."""
    actor = events.actor
    codes = _product_codes(session, rows)
    forms: dict[str, dict[str, Any]] = {}
    dossiers: list[dict[str, Any]] = []
    certificates: list[dict[str, Any]] = []
    empty: tuple[dict[str, Any], list[Any]] = ({}, [])  # one object for every row: stored once
    for row in rows:
        tax_no = row.facts["producer_tax_no"]
        producer = producers[tax_no]
        # The producer's form, one object for all its dossiers (serialised once).
        form = forms.get(tax_no) or forms.setdefault(tax_no, _form01(producer, tax_no))
        dossier = _dossier_row(row, producer, form, codes[row.number], actor, report, now, empty)
        dossiers.append(dossier)
        certificates.append(_certificate_row(row, dossier))
        events.make(
            "certificate.imported",
            _imported_payload(row, producer, dossier, report),
            dossier_id=dossier["id"],
        )
    insert_rows(session, table_of(Dossier), dossiers)
    insert_rows(session, table_of(Certificate), certificates)


def _record_events(uow: UnitOfWork, events: list[Event]) -> None:
    """The events written as a commit writes a unit of work's events (``ServiceRuntime``): the
    people on each new case, then the outbox, here in bulk; the relay is woken as for them."""
    session = uow.session
    insert_rows(session, participant_tables.participants, participants.new_case_rows(events))
    insert_rows(
        session,
        outbox,
        [
            # The row ``shared.messaging.outbox.write_events`` writes.
            {
                "event_id": e.event_id,
                "type": e.type,
                "envelope": e.to_dict(),
                "created_at": e.occurred_at,
                "attempts": 0,
            }
            for e in events
        ],
    )
    nudger = Nudger(session.get_bind().engine, "registration")
    nudger.in_transaction(session)
    event.listen(session, "after_commit", lambda _session: nudger.after_commit(), once=True)


def _form01(producer: dict[str, Any], tax_no: str) -> dict[str, Any]:
    """The registration form of an imported dossier: the producer as the file names it."""
    return {
        "unit_name": producer["name"],
        "entity_type": producer["entity_type"],
        "representative": {},
        "address": producer["address"],
        "phone": producer["phone"],
        "email": producer["email"],
        "business_registration_no": tax_no,
        "commitment": False,
    }


def _dossier_row(
    row: Row,
    producer: dict[str, Any],
    form: dict[str, Any],
    product_code: str,
    actor: Actor,
    report: Report,
    now: datetime,
    empty: tuple[dict[str, Any], list[Any]],
) -> dict[str, Any]:
    """An accepted, recognised dossier marked as imported (file, SHA-256, row, facts)."""
    f = row.facts
    return {
        "id": new_id(),
        "version": 1,
        "status": "accepted",
        "producer_id": producer["id"],
        "created_by": uuid.UUID(actor.user_id),
        "registration_type": "first",
        "product_name": f["product_name"],
        "product_set_code": f["product_set"],
        "rubric_version": RUBRIC_VERSION,
        "regime": row.regime,
        "unit_tree": f["unit_tree"],
        "province_code": row.province_code,
        "district_code": row.district_code,
        "commune_code": f["commune"],
        "form01": form,
        "self_assessment": empty[0],
        "samples_count": 0,
        "product_code": product_code,
        "missing_items": empty[1],
        "decided_outcome": "recognised",
        "imported": {
            "file": report.file_name,
            "sha256": report.sha256,
            "row": row.number,
            "facts": f,
        },
        "created_at": now,
        "updated_at": now,
        "accepted_at": now,
    }


def _certificate_row(row: Row, dossier: dict[str, Any]) -> dict[str, Any]:
    """The certificates read model's row, with the file's status."""
    f = row.facts
    return {
        "number": f["certificate_number"],
        "dossier_id": dossier["id"],
        "producer_id": dossier["producer_id"],
        "product_name": f["product_name"],
        "star_rank": f["star_rank"],
        "issued_on": date.fromisoformat(f["issued_on"]),
        "expires_on": date.fromisoformat(f["expires_on"]),
        "status": f["status"],
        "superseded_by": None,
    }


def _imported_payload(
    row: Row, producer: dict[str, Any], dossier: dict[str, Any], report: Report
) -> dict[str, Any]:
    """``certificate.imported``: the case, its producer's people and the certificate's facts."""
    f = row.facts
    return {
        "dossier_id": str(dossier["id"]),
        "producer_id": str(producer["id"]),
        "producer_name": producer["name"],
        "owner_account_id": str(producer["owner_account_id"]),
        "consultant_account_ids": producer.get("consultants", []),
        "product_name": f["product_name"],
        "product_set_code": f["product_set"],
        "product_code": dossier["product_code"],
        "regime": row.regime,
        "unit_tree": f["unit_tree"],
        "province_code": row.province_code,
        "district_code": row.district_code,
        "commune_code": f["commune"],
        "level": f["level"],
        "number": f["certificate_number"],
        "star_rank": f["star_rank"],
        "authority_unit": row.authority_unit,
        "decision_number": f["decision_number"],
        "decided_on": f["decided_on"],
        "issued_on": f["issued_on"],
        "expires_on": f["expires_on"],
        "status": f["status"],
        "revoked_on": f["revoked_on"],
        "source_file": report.file_name,
        "source_sha256": report.sha256,
        "source_row": row.number,
    }


def _producers(
    session: Session, events: _Events, report: Report, rows: list[Row], now: datetime
) -> dict[str, dict[str, Any]]:
    """The producer of each tax number: an existing one reused, else a new one whose owner is
    the applicant account with its email (created with no usable password when missing)."""
    first: dict[str, Row] = {}
    for row in rows:
        first.setdefault(row.facts["producer_tax_no"], row)
    tax_nos = sorted(first)
    found = _existing_producers(session, tax_nos)
    wanting = [first[t] for t in tax_nos if t not in found]
    accounts = _owner_accounts(session, events, report, wanting, now)
    new_producers = [_producer_row(row, accounts, now) for row in wanting]
    insert_rows(session, table_of(Producer), new_producers)
    found.update((p["business_registration_no"], p) for p in new_producers)
    report.producers_created = len(new_producers)
    return found


def _existing_producers(session: Session, tax_nos: list[str]) -> dict[str, dict[str, Any]]:
    """The producers already registered under these tax numbers, with their consultants."""
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(tax_nos):
        for producer in session.execute(
            select(Producer).where(Producer.business_registration_no.in_(chunk))
        ).scalars():
            found.setdefault(
                producer.business_registration_no or "",
                {
                    "id": producer.id,
                    "name": producer.name,
                    "owner_account_id": producer.owner_account_id,
                    "entity_type": producer.entity_type,
                    "address": producer.address,
                    "phone": producer.phone,
                    "email": producer.email,
                    "consultants": [str(g.consultant_account_id) for g in producer.grants],
                },
            )
    return found


def _owner_accounts(
    session: Session, events: _Events, report: Report, firsts: list[Row], now: datetime
) -> dict[str, uuid.UUID]:
    """The applicant account of each new producer's email (``firsts``: each producer's first
    row, by tax number): found, or created with no usable password."""
    by_email = {row.facts["producer_email"]: row for row in reversed(firsts)}
    wanted = sorted(by_email)
    accounts: dict[str, uuid.UUID] = {}
    for chunk in _chunks(wanted):
        for account_id, email in session.execute(
            select(Account.id, Account.email).where(Account.email.in_(chunk))
        ):
            accounts[email] = account_id
    new_accounts = [
        _account_row(email, by_email[email].facts["producer_name"][:200], now)
        for email in wanted
        if email not in accounts
    ]
    for account in new_accounts:
        accounts[account["email"]] = account["id"]
        events.make("account.created", _account_payload(account), dossier_id=None)
    insert_rows(session, table_of(Account), new_accounts)
    report.accounts_created = len(new_accounts)
    return accounts


def _account_row(email: str, name: str, now: datetime) -> dict[str, Any]:
    return {
        "id": new_id(),
        "email": email,
        # No usable password: the person claims the account by "forgot password".
        "password_hash": "",
        "display_name": name,
        "language": "vi",
        "roles": ["applicant"],
        "unit": None,
        "councils": [],
        "active": True,
        "created_at": now,
        "powers_changed_at": None,
        # What the model's hook writes for an account written as an object.
        "name_key": account_index.name_key(name),
        "search_text": account_index.search_text(name, email),
    }


def _account_payload(account: dict[str, Any]) -> dict[str, Any]:
    return {
        "account_id": str(account["id"]),
        "email": account["email"],
        "display_name": account["display_name"],
        "language": "vi",
        "roles": ["applicant"],
        "unit": None,
        "councils": [],
        "powers_changed_at": None,
    }


def _producer_row(row: Row, accounts: dict[str, uuid.UUID], now: datetime) -> dict[str, Any]:
    f = row.facts
    return {
        "id": new_id(),
        "owner_account_id": accounts[f["producer_email"]],
        "name": f["producer_name"],
        "entity_type": row.entity_type,
        "representative": {},
        "unit_tree": f["unit_tree"],
        "province_code": row.province_code,
        "district_code": row.district_code,
        "commune_code": f["commune"],
        "address": row.address,
        "phone": row.phone,
        "email": f["producer_email"],
        "business_registration_no": f["producer_tax_no"],
        "created_at": now,
    }


def _product_codes(session: Session, rows: list[Row]) -> dict[int, str]:
    """A product code per row, allocated as for an accepted dossier (the commune's counter of
    this year), one statement per commune however many rows it has."""
    year = calendar.today().year
    per_commune: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        per_commune.setdefault((row.facts["unit_tree"], row.facts["commune"]), []).append(row)
    table = table_of(ProductCodeCounter)
    upsert = dialect_insert(session)
    codes: dict[int, str] = {}
    for (tree, commune), group in per_commune.items():
        count = len(group)
        last = session.execute(
            upsert(table)
            .values(unit_tree=tree, commune_code=commune, year=year, last_serial=count)
            .on_conflict_do_update(
                index_elements=["unit_tree", "commune_code", "year"],
                set_={"last_serial": table.c.last_serial + count},
            )
            .returning(table.c.last_serial)
        ).scalar_one()
        for offset, row in enumerate(group):
            codes[row.number] = format_product_code(
                province_code=row.province_code,
                commune_code=commune,
                serial=last - count + 1 + offset,
                year=year,
            )
    return codes


def history(session: Session, limit: int = 20) -> list[CertificateImport]:
    """The latest applied imports, newest first."""
    return list(
        session.execute(
            select(CertificateImport).order_by(CertificateImport.imported_at.desc()).limit(limit)
        ).scalars()
    )


def imported_count(session: Session) -> int:
    return int(
        session.execute(select(func.count()).where(Dossier.imported.is_not(None))).scalar_one()
    )


# --- the template ---------------------------------------------------------------------------

EXAMPLE = {
    "product_name": "Mật ong rừng Cam Lộ",
    "product_set": "01",
    "producer_name": "Hợp tác xã Ong mật Đông Hà",
    "producer_tax_no": "3200123456",
    "producer_email": "htx.ongmat@example.vn",
    "producer_phone": "0233 3852 111",
    "producer_address": "12 Lê Lợi, Phường 1, Đông Hà",
    "entity_type": "cooperative",
    "unit_tree": "pre2025",
    "commune": "19333",
    "star_rank": "4",
    "level": "province",
    "decision_number": "1234/QĐ-UBND",
    "decided_on": "15/03/2024",
    "certificate_number": "QT-2024-0042",
    "issued_on": "15/03/2024",
    "expires_on": "15/03/2027",
    "status": "valid",
    "revoked_on": "",
}


def template_csv(lang: str) -> str:
    """The template in ``lang``: the headers and one example row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([header_words(key, lang) for key in COLUMNS])
    # The example's coded cells in the template's words (codes are read too).
    shown = {
        **EXAMPLE,
        "entity_type": catalogue.label("entity", EXAMPLE["entity_type"], lang),
        "level": catalogue.label("level", EXAMPLE["level"], lang),
        "status": catalogue.label("certificate_status", EXAMPLE["status"], lang),
    }
    writer.writerow([shown[key] for key in COLUMNS])
    return out.getvalue()
