"""Evidence documents of a dossier: versioned uploads with SHA-256, downloads for those entitled."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration.adapters.storage import Storage
from services.registration.domain import lifecycle
from services.registration.domain.lifecycle import Status
from services.registration.domain.uploads import KINDS, UploadRejected, check_upload
from services.registration.models import Document, DocumentVersion, Dossier, Producer
from services.registration.service import access
from services.registration.service import dossiers as dossier_service
from services.registration.service.self_assessment import evidence_criteria
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.errors import (
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    Refused,
    TooLarge,
    UnsupportedType,
)
from shared.events import Actor, new_event


def _rejected(exc: UploadRejected) -> DomainError:
    """The upload's refusal under the status it answers, naming the field it concerns."""
    kind = {413: TooLarge, 415: UnsupportedType}.get(exc.status, Invalid)
    return kind(exc.code, errors={exc.field: (exc.code, exc.params)}, **exc.params)


def upload(
    *,
    uow: UnitOfWork,
    storage: Storage,
    principal: Principal,
    dossier_id: uuid.UUID,
    kind: str,
    name: str,
    data: bytes,
    declared_type: str | None,
    max_bytes: int,
    note: str | None = None,
    criteria: list[str] | None = None,
) -> DocumentVersion:
    """Add a document to a dossier in the applicant's hands; the same kind again adds a version.
    ``criteria``, if given, are the Form 02 criteria the document is evidence for (replacing
    what an earlier version named)."""
    dossier, producer = _editable(uow, principal, dossier_id)
    if kind not in KINDS:
        raise Invalid(errors={"kind": ("field.choice", {"choices": ", ".join(KINDS)})})
    named = None if criteria is None else evidence_criteria(dossier, criteria, field="criteria")
    try:
        checked = check_upload(
            name=name, data=data, declared_type=declared_type, max_bytes=max_bytes
        )
    except UploadRejected as exc:
        raise _rejected(exc) from exc

    document = uow.session.execute(
        select(Document).where(Document.dossier_id == dossier.id, Document.kind == kind)
    ).scalar_one_or_none()
    now = datetime.now(UTC)
    if document is None:
        document = Document(dossier_id=dossier.id, kind=kind, latest_version=0, created_at=now)
        uow.session.add(document)
    document.latest_version += 1
    if named is not None:
        document.criteria = named
    key = storage.put(data)
    # The bytes are stored before the row; if the transaction fails they are removed again,
    # and a crash in between leaves an unreferenced file, never a row without its file.
    uow.on_rollback(lambda: storage.delete(key))
    version = DocumentVersion(
        document=document,
        number=document.latest_version,
        storage_key=key,
        original_name=checked.name,
        content_type=checked.content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=access.me(principal),
        uploaded_at=now,
        note=note,
    )
    uow.session.add(version)
    uow.session.flush()
    uow.add_event(
        new_event(
            "dossier.document_added",
            {
                **dossier_service.facts(dossier, producer),
                "from_status": dossier.status,
                "to_status": dossier.status,
                "document_id": document.id,
                "kind": kind,
                "document_version": version.number,
                "sha256": version.sha256,
                "size": version.size,
                "content_type": version.content_type,
                "original_name": version.original_name,
            },
            producer="registration",
            actor=Actor(principal.account_id, principal.primary_role),
            dossier_id=dossier.id,
        )
    )
    return version


def _editable(
    uow: UnitOfWork, principal: Principal, dossier_id: uuid.UUID
) -> tuple[Dossier, Producer]:
    """The dossier and its producer, if the caller may change its documents now: the
    producer's side, while the dossier is a draft or returned for supplement."""
    dossier, producer = dossier_service.get_with_producer(
        session=uow.session, principal=principal, dossier_id=dossier_id
    )
    if not access.acts_for_producer(principal, producer):
        raise Forbidden("dossier.not_applicant_side")
    if Status(dossier.status) not in lifecycle.EDITABLE:
        raise Refused("document.dossier_not_editable", status=dossier.status)
    return dossier, producer


def name_criteria(
    *,
    uow: UnitOfWork,
    principal: Principal,
    dossier_id: uuid.UUID,
    document_id: uuid.UUID,
    criteria: list[str],
) -> Document:
    """Name the Form 02 criteria a document of the dossier is evidence for (none: it is
    evidence for none in particular), as the applicant picks them on the self-assessment."""
    dossier, _ = _editable(uow, principal, dossier_id)
    document = uow.session.execute(
        select(Document).where(Document.id == document_id, Document.dossier_id == dossier.id)
    ).scalar_one_or_none()
    if document is None:
        raise NotFound("document.not_found")
    document.criteria = evidence_criteria(dossier, criteria, field="criteria")
    return document


def list_(
    *,
    session: Session,
    principal: Principal,
    dossier_id: uuid.UUID,
    limit: int = 200,
    after: str | None = None,
) -> tuple[list[Document], str | None]:
    """The documents of a dossier in reach, with all their versions, by kind (one document a
    kind: the kind is the cursor), ``limit`` at a time after the kind ``after``."""
    dossier = dossier_service.get(session=session, principal=principal, dossier_id=dossier_id)
    query = select(Document).where(Document.dossier_id == dossier.id)
    if after is not None:
        query = query.where(Document.kind > after)
    found = list(session.execute(query.order_by(Document.kind).limit(limit + 1)).scalars())
    return found[:limit], found[limit - 1].kind if len(found) > limit else None


def open_version(
    *,
    session: Session,
    storage: Storage,
    principal: Principal,
    dossier_id: uuid.UUID,
    document_id: uuid.UUID,
    number: int,
) -> tuple[DocumentVersion, BinaryIO]:
    """One stored version's metadata and bytes, for a caller entitled to the dossier."""
    dossier = dossier_service.get(session=session, principal=principal, dossier_id=dossier_id)
    version = session.execute(
        select(DocumentVersion)
        .join(Document)
        .where(
            Document.id == document_id,
            Document.dossier_id == dossier.id,
            DocumentVersion.number == number,
        )
    ).scalar_one_or_none()
    if version is None:
        raise NotFound("document.not_found")
    return version, storage.open(version.storage_key)
