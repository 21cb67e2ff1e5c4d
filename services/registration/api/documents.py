"""Documents of a dossier: multipart upload, listing, download."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from flask import Response, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint

from services.registration.domain.uploads import ALLOWED_TYPES
from services.registration.models import Document, DocumentVersion
from services.registration.runtime import current
from services.registration.schemas.documents import (
    DocumentCriteriaIn,
    DocumentFile,
    DocumentOut,
    DocumentPage,
    DocumentUploadForm,
    DocumentVersionOut,
)
from services.registration.schemas.paging import KeyPageArgs
from services.registration.service import accounts as account_service
from services.registration.service import documents as document_service
from shared.openapi import link, links
from shared.web import READ_ERRORS, WRITE_ERRORS, current_principal, document_errors

blp = Blueprint(
    "documents", __name__, url_prefix="/api/v1/dossiers", description="Dossier documents"
)


def _url(dossier_id: uuid.UUID, document: Document, number: int) -> str:
    return f"/api/v1/dossiers/{dossier_id}/documents/{document.id}/versions/{number}/content"


_VERSION_FIELDS = [name for name in DocumentVersionOut().fields if name != "download_url"]


def _version_out(document: Document, version: DocumentVersion) -> dict[str, Any]:
    data = {name: getattr(version, name) for name in _VERSION_FIELDS}
    data["download_url"] = _url(document.dossier_id, document, version.number)
    return data


def _out(document: Document) -> dict[str, Any]:
    return {
        "id": document.id,
        "kind": document.kind,
        "latest_version": document.latest_version,
        "criteria": document.criteria or [],
        "versions": [_version_out(document, v) for v in document.versions],
    }


@blp.route("/<uuid:dossier_id>/documents")
class Documents(MethodView):
    @blp.arguments(KeyPageArgs, location="query")
    @blp.response(200, DocumentPage)
    @document_errors(blp, *READ_ERRORS, 422)
    def get(self, args: dict[str, Any], dossier_id: uuid.UUID) -> Any:
        """The dossier's documents with every version, by kind, a page at a time (the cursor
        is a kind; one page holds them all by default)"""
        with current().db.reader() as session:
            docs, cursor = document_service.list_(
                session=session,
                principal=current_principal(),
                dossier_id=dossier_id,
                limit=args["limit"],
                after=args.get("after"),
            )
            return {"items": [_out(d) for d in docs], "next": cursor}

    @blp.arguments(DocumentUploadForm, location="form")
    @blp.arguments(DocumentFile, location="files")
    @blp.response(201, DocumentVersionOut)
    @blp.doc(
        **links(
            201,
            ListDocuments=link(
                "get",
                "/api/v1/dossiers/{dossier_id}/documents",
                "The dossier's documents, this version among them",
                parameters={"path.dossier_id": "$request.path.dossier_id"},
            ),
        )
    )
    @document_errors(blp, 400, 401, 403, 404, 409, 413, 415, 422, 429)
    def post(self, form: dict[str, Any], files: dict[str, Any], dossier_id: uuid.UUID) -> Any:
        """Upload a document (multipart: kind, file); the same kind again adds a version"""
        rt = current()
        principal = current_principal()
        account_service.limit(
            rt.db, "upload", rt.settings.uploads_per_minute, f"account:{principal.account_id}"
        )
        upload = files["file"]
        limit = rt.settings.upload_max_bytes
        data = upload.stream.read(limit + 1)
        with rt.db.unit_of_work() as uow:
            version = document_service.upload(
                uow=uow,
                storage=rt.storage,
                principal=principal,
                dossier_id=dossier_id,
                kind=form["kind"],
                name=upload.filename or "",
                data=data,
                declared_type=upload.mimetype,
                max_bytes=limit,
                note=form.get("note"),
                criteria=form.get("criteria"),
            )
            uow.commit()
            return _version_out(version.document, version)


@blp.route("/<uuid:dossier_id>/documents/<uuid:document_id>", methods=["PATCH"])
@blp.arguments(DocumentCriteriaIn)
@blp.response(200, DocumentOut)
@document_errors(blp, *WRITE_ERRORS)
def name_criteria(data: dict[str, Any], dossier_id: uuid.UUID, document_id: uuid.UUID) -> Any:
    """Name the Form 02 criteria a document is evidence for (the producer's side, while the
    dossier is a draft or returned for supplement)"""
    with current().db.unit_of_work() as uow:
        document = document_service.name_criteria(
            uow=uow,
            principal=current_principal(),
            dossier_id=dossier_id,
            document_id=document_id,
            criteria=data["criteria"],
        )
        uow.commit()
        return _out(document)


def _stored_types(fn: Any) -> Any:
    """The 200 of a download comes in the type the upload was checked to be (any accepted)."""
    for content_type in ALLOWED_TYPES:
        fn = blp.alt_response(
            200,
            schema={"format": "binary", "type": "string"},
            content_type=content_type,
            description="The file, in the type it was checked to be when uploaded",
            success=True,
        )(fn)
    return fn


@blp.route("/<uuid:dossier_id>/documents/<uuid:document_id>/versions/<int:number>/content")
@_stored_types
@document_errors(blp, *READ_ERRORS)
def download(dossier_id: uuid.UUID, document_id: uuid.UUID, number: int) -> Any:
    """Download one version of a document (only for those entitled to the dossier)"""
    rt = current()
    with rt.db.reader() as session:
        version, stream = document_service.open_version(
            session=session,
            storage=rt.storage,
            principal=current_principal(),
            dossier_id=dossier_id,
            document_id=document_id,
            number=number,
        )
        name, content_type, sha = version.original_name, version.content_type, version.sha256

    def chunks() -> Any:
        with stream:
            while block := stream.read(64 * 1024):
                yield block

    response = Response(stream_with_context(chunks()), mimetype=content_type)
    response.headers["Content-Disposition"] = _disposition(name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Digest"] = f"sha-256={sha}"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _disposition(name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
