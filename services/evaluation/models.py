"""The evaluation service's tables (SQLAlchemy 2.0 typed mappings).

A *case* is this service's view of an accepted dossier (built from registration's events); it
climbs the levels of its regime. At each scoring level an *evaluation* is one council's
scoring of the case in one round: conflict declarations, one score sheet per member (with
every revision), the result and its outcome. A recognition becomes a *decision* and a
*certificate*.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared import calendar_store, participants, unit_map
from shared.db import UtcDateTime
from shared.ids import new_id
from shared.messaging.outbox import define_inbox, define_outbox
from shared.powers import define_account_powers_table, define_revoked_tokens_table


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


outbox = define_outbox(Base.metadata)
inbox = define_inbox(Base.metadata)
# The officials on each case (shared.participants), kept from this service's own events and
# registration's (the commune officer handling the dossier).
participant_tables = participants.define_tables(Base.metadata)
# Whether an account's tokens still speak for it (shared.powers, ADR 0002).
account_powers = define_account_powers_table(Base.metadata)
revoked_tokens = define_revoked_tokens_table(Base.metadata)
# The yearly notices of days off (shared.calendar_store, ADR 0010), kept from registration's
# ``calendar.notice_loaded``: the working days this service counts deadlines in.
calendar_notices = calendar_store.define_table(Base.metadata)
# The map of the 2025 merger (shared.unit_map): which 2025 commune each pre-2025 commune
# became, so a 2025 unit's jurisdiction holds the records of the communes merged into it.
unit_map_tables = unit_map.define_tables(Base.metadata)
unit_successors = unit_map_tables[0]

Timestamp = UtcDateTime()


class Official(Base):
    """An official's account as told by ``account.*`` events (to check council members)."""

    __tablename__ = "officials"
    # The seat picker lists a jurisdiction's officials in Vietnamese order, a page at a time.
    __table_args__ = (Index("ix_officials_name_key", "name_key", "account_id"),)

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    roles: Mapped[list[Any]] = mapped_column(JSON)
    unit: Mapped[str | None] = mapped_column(String(40))
    # shared.names.sort_key of the name, and the folded name, email and unit searched (both
    # written with the rest by officials.describe).
    name_key: Mapped[str] = mapped_column(String(1300), default="", server_default="")
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # A deactivated official is seated on no new council.
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    # When the newest account event applied here happened (a late redelivery of an older one
    # must not undo a newer change).
    account_as_of: Mapped[datetime | None] = mapped_column(Timestamp)


class Case(Base):
    """An accepted dossier on its way through the levels (hồ sơ đang đánh giá)."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_stage", "level", "stage", "dossier_id"),
        Index("ix_cases_province", "province_code", "dossier_id"),
        Index("ix_cases_district", "district_code", "dossier_id"),
        Index("ix_cases_commune", "commune_code", "dossier_id"),
        Index("ix_cases_previous_certificate", "previous_certificate"),
    )

    dossier_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    producer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    producer_name: Mapped[str] = mapped_column(String(300))
    owner_account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    consultant_account_ids: Mapped[list[Any]] = mapped_column(JSON)
    product_name: Mapped[str] = mapped_column(String(300))
    product_set_code: Mapped[str] = mapped_column(String(4))
    product_code: Mapped[str] = mapped_column(String(40))
    registration_type: Mapped[str] = mapped_column(String(20))
    rubric_version: Mapped[str] = mapped_column(String(20))
    regime: Mapped[str] = mapped_column(String(20))
    unit_tree: Mapped[str] = mapped_column(String(16))
    province_code: Mapped[str] = mapped_column(String(8))
    district_code: Mapped[str | None] = mapped_column(String(8))
    commune_code: Mapped[str] = mapped_column(String(8))
    self_assessment: Mapped[dict[str, Any]] = mapped_column(JSON)
    # An upgrade or re-evaluation: the certificate it concerns (superseded on recognition), and
    # the filing date (Vietnam), which decides whether a late filer's certificate stays valid.
    previous_certificate: Mapped[str | None] = mapped_column(String(40))
    filed_on: Mapped[date | None] = mapped_column(Date)
    # A re-evaluation is decided within 45 days of the complete dossier (its acceptance): the
    # day they are counted from, kept to count them again when a notice of days off is loaded.
    decision_due_on: Mapped[date | None] = mapped_column(Date)
    decision_counted_from: Mapped[date | None] = mapped_column(Date)
    # Where the case is: the level it is at, and what it waits for there.
    level: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(24))
    # The star rank awaiting the authority's decision, once a council has recognised one.
    pending_rank: Mapped[int | None] = mapped_column(Integer)
    # Recognised before this platform: kept from registration's import (service.imports), with
    # no commune review, council or decision here behind it.
    imported: Mapped[bool] = mapped_column(default=False, server_default=false())
    opened_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)

    __mapper_args__ = {"version_id_col": version}


class CaseDocument(Base):
    """A document version of the case as registration announced it (its SHA-256 above all)."""

    __tablename__ = "case_documents"
    __table_args__ = (UniqueConstraint("dossier_id", "document_id", "document_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    document_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(40))
    document_version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    original_name: Mapped[str] = mapped_column(String(255))


class CommuneReview(Base):
    """The commune's report (Mẫu 03): four local criteria and its proposal upward."""

    __tablename__ = "commune_reviews"

    dossier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.dossier_id"), primary_key=True)
    local_criteria: Mapped[dict[str, Any]] = mapped_column(JSON)
    proposal: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    reviewed_at: Mapped[datetime] = mapped_column(Timestamp)


class Council(Base):
    """An evaluation council (hội đồng đánh giá, phân hạng) of one level and unit."""

    __tablename__ = "councils"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(300))
    level: Mapped[str] = mapped_column(String(16))
    # "tree:level:code" of the unit it serves, or "national".
    unit: Mapped[str] = mapped_column(String(40), index=True)
    quorum_numerator: Mapped[int] = mapped_column(Integer, default=3)
    quorum_denominator: Mapped[int] = mapped_column(Integer, default=4)
    chair_required: Mapped[bool] = mapped_column(default=True)
    max_spread: Mapped[float] = mapped_column(Float, default=10.0)
    created_at: Mapped[datetime] = mapped_column(Timestamp)

    members: Mapped[list[CouncilMember]] = relationship(
        back_populates="council",
        lazy="selectin",
        primaryjoin="and_(Council.id == CouncilMember.council_id, "
        "CouncilMember.removed_at.is_(None))",
        viewonly=True,
    )


class CouncilMember(Base):
    """A seat on a council: chair, secretary or member; removal keeps the row (history)."""

    __tablename__ = "council_members"
    __table_args__ = (Index("ix_council_members_account", "account_id", "council_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    council_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("councils.id"))
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    role: Mapped[str] = mapped_column(String(16))
    added_at: Mapped[datetime] = mapped_column(Timestamp)
    removed_at: Mapped[datetime | None] = mapped_column(Timestamp)

    council: Mapped[Council] = relationship(back_populates="members", viewonly=True)


class Round(Base):
    """An evaluation round (đợt đánh giá) of a level and unit, with its cut-off dates."""

    __tablename__ = "rounds"
    __table_args__ = (
        UniqueConstraint("level", "unit", "proposals_due", "closes_on", name="uq_rounds_calendar"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    level: Mapped[str] = mapped_column(String(16))
    unit: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200))
    proposals_due: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)


class Evaluation(Base):
    """One council's scoring of one case at one level, in one round."""

    __tablename__ = "evaluations"
    __table_args__ = (
        Index("ix_evaluations_council", "council_id", "status"),
        Index("ix_evaluations_dossier", "dossier_id", "opened_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    version: Mapped[int] = mapped_column(Integer, default=1)
    dossier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.dossier_id"))
    level: Mapped[str] = mapped_column(String(16))
    council_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("councils.id"))
    round_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("rounds.id"))
    # open → (rescoring → open …) → closed
    status: Mapped[str] = mapped_column(String(16))
    rescore_count: Mapped[int] = mapped_column(Integer, default=0)
    # The finalised result: raw means per part and total, star rank, outcome.
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    outcome: Mapped[str | None] = mapped_column(String(20))
    star_rank: Mapped[int | None] = mapped_column(Integer)
    opened_at: Mapped[datetime] = mapped_column(Timestamp)
    closed_at: Mapped[datetime | None] = mapped_column(Timestamp)

    __mapper_args__ = {"version_id_col": version}


class ConflictDeclaration(Base):
    """A member's declaration about ties to the applicant, before opening the dossier, or a
    conflict the secretariat or the chair found and recorded for the member (``recorded_by``)."""

    __tablename__ = "conflict_declarations"
    __table_args__ = (UniqueConstraint("evaluation_id", "account_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evaluation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("evaluations.id"))
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    conflicted: Mapped[bool] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)
    declared_at: Mapped[datetime] = mapped_column(Timestamp)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class ScoreSheet(Base):
    """A member's score sheet (phiếu đánh giá) for an evaluation; revisions are kept apart."""

    __tablename__ = "score_sheets"
    __table_args__ = (UniqueConstraint("evaluation_id", "account_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    evaluation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("evaluations.id"))
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(Text)
    total: Mapped[float] = mapped_column(Float)
    part_points: Mapped[dict[str, Any]] = mapped_column(JSON)
    # SHA-256 of each document version the member had when scoring: {document_id: sha256}.
    document_hashes: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)


class ScoreSheetRevision(Base):
    """One revision of a score sheet: what it said before and after."""

    __tablename__ = "score_sheet_revisions"
    __table_args__ = (UniqueConstraint("sheet_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sheet_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("score_sheets.id"))
    revision: Mapped[int] = mapped_column(Integer)
    old_answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    new_answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    old_total: Mapped[float] = mapped_column(Float)
    new_total: Mapped[float] = mapped_column(Float)
    old_comment: Mapped[str | None] = mapped_column(Text)
    new_comment: Mapped[str | None] = mapped_column(Text)
    revised_at: Mapped[datetime] = mapped_column(Timestamp)


class Certificate(Base):
    """A recognition certificate (giấy chứng nhận), valid 36 months from issue."""

    __tablename__ = "certificates"
    __table_args__ = (
        Index("ix_certificates_expiry", "status", "expires_on"),
        # The public register lists certificates in Vietnamese order of the product name, a
        # page at a time: of one stored status (the default, valid) or of all, of a province,
        # a district or a commune (service.register).
        Index("ix_certificates_register", "status", "name_key", "number"),
        Index("ix_certificates_register_all", "name_key", "number"),
        Index(
            "ix_certificates_register_province", "unit_tree", "province_code", "name_key", "number"
        ),
        Index(
            "ix_certificates_register_district", "unit_tree", "district_code", "name_key", "number"
        ),
        Index(
            "ix_certificates_register_commune", "unit_tree", "commune_code", "name_key", "number"
        ),
    )

    number: Mapped[str] = mapped_column(String(40), primary_key=True)
    dossier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.dossier_id"), index=True)
    # None for an imported certificate (issued before this platform): no evaluation here.
    evaluation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("evaluations.id"))
    product_name: Mapped[str] = mapped_column(String(300))
    product_code: Mapped[str] = mapped_column(String(40))
    producer_name: Mapped[str] = mapped_column(String(300))
    star_rank: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(16))
    authority_unit: Mapped[str] = mapped_column(String(40))
    decision_number: Mapped[str] = mapped_column(String(60))
    decided_on: Mapped[date] = mapped_column(Date)
    # The account that signed; None for an imported certificate (its signer is not an account).
    decided_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    # valid → expired | revoked | superseded (by an upgrade's or re-evaluation's certificate)
    status: Mapped[str] = mapped_column(String(16))
    revoked_on: Mapped[date | None] = mapped_column(Date)
    revocation_ground: Mapped[str | None] = mapped_column(String(40))
    revocation_note: Mapped[str | None] = mapped_column(Text)
    # The day the ground was found, and whether the revocation came after Art. 8's 15 days.
    revocation_found_on: Mapped[date | None] = mapped_column(Date)
    revocation_late: Mapped[bool | None] = mapped_column()
    superseded_by: Mapped[str | None] = mapped_column(String(40))
    # Issued before this platform and imported from an operator's file (service.imports): its
    # original number, decision and dates; it never took a number from the counters.
    imported: Mapped[bool] = mapped_column(default=False, server_default=false())
    # What the public register filters and orders by, written with the certificate
    # (service.register.describe): shared.names.sort_key of the product name, and the case's
    # product set and units as filed (its words: certificate_words).
    name_key: Mapped[str] = mapped_column(String(1300), default="", server_default="")
    product_set_code: Mapped[str] = mapped_column(String(4), default="", server_default="")
    unit_tree: Mapped[str] = mapped_column(String(16), default="", server_default="")
    province_code: Mapped[str] = mapped_column(String(8), default="", server_default="")
    district_code: Mapped[str | None] = mapped_column(String(8))
    commune_code: Mapped[str] = mapped_column(String(8), default="", server_default="")

    # The upgrade and re-evaluation cases that name this certificate: a pending re-evaluation
    # filed by the expiry keeps it valid past ``expires_on`` (see service.certificates).
    follow_ups: Mapped[list[Case]] = relationship(
        primaryjoin="Certificate.number == foreign(Case.previous_certificate)",
        viewonly=True,
        lazy="selectin",
    )


# Each folded word of a certificate's product and producer names and number (service.register):
# the public register finds the words a search begins by a range of this key.
certificate_words = Table(
    "certificate_words",
    Base.metadata,
    Column("word", String(300), primary_key=True),
    Column("number", String(40), primary_key=True),
    Index("ix_certificate_words_number", "number"),
)


class CertificateCounter(Base):
    """Serial numbers of certificates per issuing unit and year."""

    __tablename__ = "certificate_counters"

    authority_unit: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_serial: Mapped[int] = mapped_column(Integer, default=0)


class Notice(Base):
    """A scheduled notice already raised (expiry, deadline), so each is raised once only."""

    __tablename__ = "notices"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    raised_at: Mapped[datetime] = mapped_column(Timestamp)
