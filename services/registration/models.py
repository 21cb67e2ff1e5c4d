"""The registration service's tables (SQLAlchemy 2.0 typed mappings)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    event,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.registration.service import account_index
from shared import calendar_store, participants, unit_map
from shared.db import UtcDateTime
from shared.ids import new_id
from shared.messaging.outbox import define_inbox, define_outbox
from shared.powers import define_revoked_tokens_table
from shared.ratelimit import define_rate_limit_table


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


outbox = define_outbox(Base.metadata)
inbox = define_inbox(Base.metadata)
rate_limits = define_rate_limit_table(Base.metadata)
# Signed-out tokens, refused until they expire (shared.powers, ADR 0002).
revoked_tokens = define_revoked_tokens_table(Base.metadata)
# The officials on each case (shared.participants), kept from every service's events.
participant_tables = participants.define_tables(Base.metadata, seats=True)
# The yearly notices of days off an operator loaded (shared.calendar_store, ADR 0010): the
# working days the intake deadline is counted in. Loaded here, told to the other services.
calendar_notices = calendar_store.define_table(Base.metadata)
# The map of the 2025 merger (shared.unit_map): which 2025 commune each pre-2025 commune
# became, so a 2025 unit's jurisdiction holds the records of the communes merged into it.
unit_map_tables = unit_map.define_tables(Base.metadata)
unit_successors = unit_map_tables[0]

Timestamp = UtcDateTime()


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (Index("ix_accounts_name_key", "name_key", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2), default="vi")
    roles: Mapped[list[Any]] = mapped_column(JSON)
    # Jurisdiction as "tree:level:code" (or "national"); applicants and consultants have none.
    unit: Mapped[str | None] = mapped_column(String(40))
    councils: Mapped[list[Any]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    # When roles, unit, councils or the active flag last changed: tokens issued before no
    # longer speak for the account (ADR 0002). None: not since it was created.
    powers_changed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # When the holder proved the address is theirs (service.email_confirmation); None: not yet.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # The administrators' list: the name's Vietnamese sort key and the folded words searched
    # (service.account_index), written by the hook below whenever the row is.
    name_key: Mapped[str] = mapped_column(String(1300), default="", server_default="")
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")


@event.listens_for(Account, "before_insert")
@event.listens_for(Account, "before_update")
def _describe_account(_mapper: Any, _connection: Any, account: Account) -> None:
    """Keep the sort key and searched words in step with the name and email, whoever writes."""
    account.name_key = account_index.name_key(account.display_name)
    account.search_text = account_index.search_text(account.display_name, account.email)


class PasswordLink(Base):
    """The one-time link an account holder sets their password with (a reset asked for by
    email, or an official's invitation): only the token's SHA-256 is kept, one link per
    account (a newer one replaces the older), deleted once used."""

    __tablename__ = "password_links"

    account_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))  # reset | invitation | confirmation
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    expires_at: Mapped[datetime] = mapped_column(Timestamp)


class SigningKey(Base):
    """Token signing keys; the newest active one signs, all unexpired ones verify (rotation)."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_pem: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    # Set by ``ocop keys retire``: out of the key set, its tokens refused (ADR 0002).
    retired_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)


class AdminUnit(Base):
    """An administrative unit of one tree ("2025" current, "pre2025" with districts)."""

    __tablename__ = "admin_units"
    __table_args__ = (
        UniqueConstraint("tree", "level", "code"),
        Index("ix_admin_units_parent", "tree", "parent_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tree: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(120))
    parent_code: Mapped[str | None] = mapped_column(String(8))
    province_code: Mapped[str] = mapped_column(String(8))
    district_code: Mapped[str | None] = mapped_column(String(8))


class Producer(Base):
    """An applicant entity (chủ thể OCOP)."""

    __tablename__ = "producers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    owner_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    entity_type: Mapped[str] = mapped_column(String(40))
    representative: Mapped[dict[str, Any]] = mapped_column(JSON)
    unit_tree: Mapped[str] = mapped_column(String(16))
    province_code: Mapped[str] = mapped_column(String(8))
    district_code: Mapped[str | None] = mapped_column(String(8))
    commune_code: Mapped[str] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(500))
    phone: Mapped[str] = mapped_column(String(40))
    email: Mapped[str] = mapped_column(String(254))
    business_registration_no: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(Timestamp)

    grants: Mapped[list[ConsultantGrant]] = relationship(
        back_populates="producer", lazy="selectin", cascade="all, delete-orphan"
    )


class ConsultantGrant(Base):
    __tablename__ = "consultant_grants"
    __table_args__ = (UniqueConstraint("producer_id", "consultant_account_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    producer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("producers.id"))
    consultant_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    granted_at: Mapped[datetime] = mapped_column(Timestamp)

    producer: Mapped[Producer] = relationship(back_populates="grants")


#: A dossier changing its certificate (an upgrade or a re-evaluation) filed and not decided.
CHANGE_UNDER_WAY = (
    "registration_type IN ('upgrade', 're_evaluation') "
    "AND status IN ('submitted', 'returned', 'resubmitted', 'accepted') "
    "AND decided_outcome IS NULL"
)
ONE_CHANGE_PER_CERTIFICATE = "uq_dossiers_one_change_per_certificate"


class Dossier(Base):
    """A product dossier (hồ sơ sản phẩm) filed at the producer's commune."""

    __tablename__ = "dossiers"
    __table_args__ = (
        # Listing is keyset-paginated on id (UUIDv7, time-ordered) within the caller's reach.
        Index("ix_dossiers_province", "province_code", "id"),
        Index("ix_dossiers_district", "district_code", "id"),
        Index("ix_dossiers_commune", "commune_code", "id"),
        # The commune officer's queues: one commune, one status, newest first.
        Index("ix_dossiers_commune_status", "commune_code", "status", "id"),
        # The officer's own dossiers (the handler), by status, newest first.
        Index("ix_dossiers_handler", "handler_account_id", "status", "id"),
        Index("ix_dossiers_producer", "producer_id", "id"),
        Index("ix_dossiers_status", "status", "id"),
        Index("ix_dossiers_product_set", "product_set_code", "id"),
        # The dossiers naming a certificate.
        Index("ix_dossiers_certificate", "certificate_number"),
        # One upgrade or re-evaluation of a certificate under way at a time, held by the
        # database: two filed at the same instant cannot both pass (migration 0012).
        Index(
            ONE_CHANGE_PER_CERTIFICATE,
            "certificate_number",
            unique=True,
            sqlite_where=text(CHANGE_UNDER_WAY),
            postgresql_where=text(CHANGE_UNDER_WAY),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20))
    producer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("producers.id"))
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    registration_type: Mapped[str] = mapped_column(String(20))
    product_name: Mapped[str] = mapped_column(String(300))
    product_set_code: Mapped[str] = mapped_column(String(4))
    rubric_version: Mapped[str] = mapped_column(String(20))
    regime: Mapped[str] = mapped_column(String(20))
    unit_tree: Mapped[str] = mapped_column(String(16))
    province_code: Mapped[str] = mapped_column(String(8))
    district_code: Mapped[str | None] = mapped_column(String(8))
    commune_code: Mapped[str] = mapped_column(String(8))
    form01: Mapped[dict[str, Any]] = mapped_column(JSON)
    self_assessment: Mapped[dict[str, Any]] = mapped_column(JSON)
    samples_count: Mapped[int] = mapped_column(Integer, default=0)
    product_code: Mapped[str | None] = mapped_column(String(40), unique=True)
    # An upgrade or a re-evaluation names the certificate it concerns (a first filing none).
    certificate_number: Mapped[str | None] = mapped_column(String(40))
    # The day (Vietnam) the dossier was first submitted: a re-evaluation's filing date, which
    # its window is judged on; a return for supplement does not move it.
    filed_on: Mapped[date | None] = mapped_column(Date)
    # A re-evaluation filed after its window closed (None for other registration types).
    late_filing: Mapped[bool | None] = mapped_column()
    missing_items: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # The commune officer handling the dossier: who took it from the commune's queue (or acted
    # on it first), or whom the commune assigned; None while it waits in the queue.
    handler_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", name="fk_dossiers_handler")
    )
    # The public status of the case as other services report it (e.g. "at province council").
    public_status: Mapped[str | None] = mapped_column(String(200))
    # The same in parts, so a client can say it in its own language (public_status.py).
    public_status_key: Mapped[str | None] = mapped_column(String(60))
    public_status_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The decision that ended the case at a level, as evaluation announced it (recognised,
    # not_recognised, rejected); None before. From then on the dossier cannot be withdrawn.
    decided_outcome: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)
    submitted_at: Mapped[datetime | None] = mapped_column(Timestamp)
    accepted_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # A dossier imported with a certificate issued before the platform: the file's name, its
    # SHA-256, the row and the row's facts (service.certificate_import); None for one filed here.
    imported: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __mapper_args__ = {"version_id_col": version}


class ProductCodeCounter(Base):
    """Serial numbers of product codes, per commune and year (the NNN of T-X-NNN-YYYY)."""

    __tablename__ = "product_code_counters"

    unit_tree: Mapped[str] = mapped_column(String(16), primary_key=True)
    commune_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_serial: Mapped[int] = mapped_column(Integer, default=0)


class Document(Base):
    """An evidence document of a dossier, one per kind; uploads of the same kind are versions."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("dossier_id", "kind"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    dossier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dossiers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    latest_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    # The Form 02 criteria (codes of the dossier's sheet) it is evidence for; None names none.
    criteria: Mapped[list[Any] | None] = mapped_column(JSON)

    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document", order_by="DocumentVersion.number", lazy="selectin"
    )


class DocumentVersion(Base):
    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"))
    number: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    uploaded_at: Mapped[datetime] = mapped_column(Timestamp)
    note: Mapped[str | None] = mapped_column(Text)

    document: Mapped[Document] = relationship(back_populates="versions")


class Certificate(Base):
    """A certificate as the evaluation service announced it (``certificate.*`` events): the
    read model an upgrade or re-evaluation is checked against (owner, rank, status, expiry)."""

    __tablename__ = "certificates"
    __table_args__ = (Index("ix_certificates_producer", "producer_id", "number"),)

    number: Mapped[str] = mapped_column(String(40), primary_key=True)
    dossier_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dossiers.id", name="fk_certificates_dossier")
    )
    producer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("producers.id", name="fk_certificates_producer")
    )
    product_name: Mapped[str] = mapped_column(String(300))
    star_rank: Mapped[int] = mapped_column(Integer)
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    # valid → expired | revoked | superseded (by the certificate an upgrade or re-evaluation
    # issued in its place)
    status: Mapped[str] = mapped_column(String(16))
    # The certificate that superseded this one (its number), once one did.
    superseded_by: Mapped[str | None] = mapped_column(String(40))


class CertificateImport(Base):
    """An applied import of certificates (service.certificate_import), kept for the audit."""

    __tablename__ = "certificate_imports"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    imported_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    imported_at: Mapped[datetime] = mapped_column(Timestamp)
    rows: Mapped[int] = mapped_column(Integer)
    created: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    producers_created: Mapped[int] = mapped_column(Integer)
    accounts_created: Mapped[int] = mapped_column(Integer)


# --- the case file (ledger) -----------------------------------------------------------------

# SQLite makes an INTEGER PRIMARY KEY the rowid (no second index); PostgreSQL gets 64 bits.
_Seq = BigInteger().with_variant(Integer(), "sqlite")


class LedgerEntry(Base):
    """One entry of a case file: the canonical body of an event about a dossier (or of an
    auditor's read), chained to the case's previous entry and to the global chain."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("dossier_id", "n", name="uq_ledger_entries_position"),
        # One entry per event, however often it is delivered.
        UniqueConstraint("event_id", name="uq_ledger_entries_event"),
        # The history filtered by kind pages within the case on this index.
        Index("ix_ledger_entries_kind", "dossier_id", "kind", "n"),
    )

    seq: Mapped[int] = mapped_column(_Seq, primary_key=True, autoincrement=False)
    dossier_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    n: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(Timestamp)
    actor_id: Mapped[str | None] = mapped_column(String(64))
    # The exact bytes hashed (canonical JSON, UTF-8).
    body: Mapped[bytes] = mapped_column(LargeBinary)
    case_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    global_prev: Mapped[bytes] = mapped_column(LargeBinary(32))
    global_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerHead(Base):
    """The head of each chain: ``global`` and one per dossier (its id), so an append reads
    and writes two rows by key whatever the size of the ledger."""

    __tablename__ = "ledger_heads"

    chain: Mapped[str] = mapped_column(String(36), primary_key=True)
    length: Mapped[int] = mapped_column(BigInteger)
    head: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerCheckpoint(Base):
    """A signed statement of the global head (Ed25519), chained to the previous one."""

    __tablename__ = "ledger_checkpoints"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    statement: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[str] = mapped_column(String(120))
    signed_at: Mapped[datetime] = mapped_column(Timestamp)


class LedgerKey(Base):
    """Checkpoint signing keys (Ed25519), kept like the token keys; all are published."""

    __tablename__ = "ledger_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_pem: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
