"""docs/quality.md 14: hostile uploads are refused with 4xx problem+json and store nothing; accepted
files get server-generated names and are served only to those entitled, as attachments."""

from __future__ import annotations

import dataclasses
import io
import re
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.http import parse_options_header

from tests.security.conftest import (
    assert_problem,
    document_version_count,
    outbox_count,
    stored_files,
)
from tests.support import flows

SMALL_LIMIT = 1024

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + b"\x00" * 200
PE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8"
    + b"\x00" * 43
    + b"\x80\x00\x00\x00"
    + b"\x00" * 64
    + b"PE\x00\x00\x4c\x01"
    + b"\x00" * 100
)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)
JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + b"\x00" * 64
    + b"\xff\xd9"
)
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 64
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _zip(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _ooxml(main_part: str, main_type: str) -> bytes:
    types = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{main_part}" ContentType="{main_type}"/></Types>'
    )
    return _zip(
        {"[Content_Types].xml": types, "_rels/.rels": "<Relationships/>", main_part: "<x/>"}
    )


DOCX = _ooxml(
    "word/document.xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
)
XLSX = _ooxml(
    "xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
)
ZIP_WITH_EXE = _zip({"setup.exe": b"MZ" + b"\x00" * 200})
JAR = _zip(
    {
        "META-INF/MANIFEST.MF": "Manifest-Version: 1.0\nMain-Class: Evil\n",
        "Evil.class": b"\xca\xfe\xba\xbe" + b"\x00" * 64,
    }
)
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
DOWNLOAD_URL = re.compile(rf"/api/v1/dossiers/{UUID}/documents/{UUID}/versions/[0-9]+/content")


def _pdf_of_size(size: int) -> bytes:
    body = flows.PDF
    assert len(body) <= size
    return body[:-6] + b"%" * (size - len(body)) + body[-6:]


@dataclasses.dataclass
class Setup:
    owner: flows.Actor
    stranger: flows.Actor
    consultant: flows.Actor
    officer: flows.Actor
    dossier: dict[str, Any]


@pytest.fixture(scope="module")
def setup(call: flows.Transport, sec_admin: flows.Actor) -> Setup:
    owner = flows.register(call, "applicant", own_address=True)
    producer = flows.create_producer(owner)
    return Setup(
        owner=owner,
        stranger=flows.register(call, "applicant", own_address=True),
        consultant=flows.register(call, "consultant", own_address=True),
        officer=flows.create_official(
            sec_admin, ["commune_officer"], flows.COMMUNE, own_address=True
        ),
        dossier=flows.create_dossier(owner, producer["id"]),
    )


@pytest.fixture(scope="module")
def small_call(registration: Any) -> Iterator[flows.Transport]:
    """A second app on the same database and storage with a 1 KiB upload limit."""
    from services.registration.app import create_app
    from services.registration.runtime import Registration
    from shared import config

    rt = Registration(
        settings=dataclasses.replace(config.load("registration"), upload_max_bytes=SMALL_LIMIT)
    )
    assert rt.settings.service_dir == registration.settings.service_dir
    try:
        yield flows.flask_transport(create_app(rt).test_client())
    finally:
        rt.db.dispose()


def _state(registration: Any, setup: Setup) -> tuple[Any, ...]:
    docs = setup.owner("GET", f"/api/v1/dossiers/{setup.dossier['id']}/documents")
    assert docs.status == 200, docs.body
    return (
        document_version_count(registration),
        outbox_count(registration),
        frozenset(stored_files(registration)),
        repr(docs.body),
    )


def _upload(
    actor: flows.Actor, dossier_id: str, name: str, content: bytes, ctype: str
) -> flows.Reply:
    return flows.upload(actor, dossier_id, "other", name, content, ctype)


# --- refused uploads ------------------------------------------------------------------------

PDF = flows.PDF
REFUSED: dict[str, tuple[str, bytes, str, int]] = {
    # name, content, declared type, expected status
    "elf-renamed-pdf": ("chung-nhan.pdf", ELF, "application/pdf", 415),
    "pe-renamed-pdf": ("chung-nhan.pdf", PE, "application/pdf", 415),
    "pe-as-exe": ("setup.exe", PE, "application/octet-stream", 415),
    "html-renamed-pdf": ("chung-nhan.pdf", HTML, "application/pdf", 415),
    "svg-renamed-png": ("logo.png", SVG, "image/png", 415),
    "empty-file": ("trong.pdf", b"", "application/pdf", 422),
    "path-traversal": ("../../x.pdf", PDF, "application/pdf", 422),
    "path-traversal-backslash": ("..\\..\\x.pdf", PDF, "application/pdf", 422),
    "absolute-path": ("/etc/cron.d/x.pdf", PDF, "application/pdf", 422),
    "dot-dot-only": ("..", PDF, "application/pdf", 422),
    "double-extension-exe": ("a.pdf.exe", PDF, "application/pdf", 415),
    "no-extension": ("giay-phep", PDF, "application/pdf", 415),
    "name-201-chars": ("a" * 197 + ".pdf", PDF, "application/pdf", 422),
    "right-to-left-override": ("hoa-don\u202egpj.pdf", PDF, "application/pdf", 422),
    "left-to-right-isolate": ("hoa-don\u2066x\u2069.pdf", PDF, "application/pdf", 422),
    "right-to-left-mark": ("hoa-don\u200f.pdf", PDF, "application/pdf", 422),
    "arabic-letter-mark": ("hoa-don\u061c.pdf", PDF, "application/pdf", 422),
    "nul-in-name": ("a\x00.pdf", PDF, "application/pdf", 422),
    "control-char-in-name": ("a\x1b[31m.pdf", PDF, "application/pdf", 422),
    "png-declared-pdf-named-pdf": ("anh.pdf", flows.PNG, "application/pdf", 415),
    "pdf-named-png": ("tai-lieu.png", PDF, "image/png", 415),
    "pdf-declared-png": ("tai-lieu.pdf", PDF, "image/png", 415),
    "pdf-declared-html": ("tai-lieu.pdf", PDF, "text/html", 415),
    "zip-of-exe-renamed-docx": ("bao-cao.docx", ZIP_WITH_EXE, "application/octet-stream", 415),
    "jar-renamed-docx": ("bao-cao.docx", JAR, DOCX_TYPE, 415),
    "docx-renamed-xlsx": ("bao-cao.xlsx", DOCX, "application/octet-stream", 415),
    "xlsx-renamed-docx": ("bao-cao.docx", XLSX, "application/octet-stream", 415),
    "truncated-zip-renamed-docx": ("bao-cao.docx", DOCX[:40], DOCX_TYPE, 415),
}
SLUGS = {413: "payload-too-large", 415: "unsupported-media-type", 422: "validation-error"}


def _params(table: dict[str, tuple[Any, ...]]) -> list[Any]:
    """The table's rows as pytest params named by their keys."""
    return [pytest.param(*row, id=key) for key, row in sorted(table.items())]


@pytest.mark.parametrize(("name", "content", "ctype", "status"), _params(REFUSED))
def test_hostile_upload_is_refused_and_nothing_is_stored(
    registration: Any, setup: Setup, name: str, content: bytes, ctype: str, status: int
) -> None:
    before = _state(registration, setup)
    reply = _upload(setup.owner, setup.dossier["id"], name, content, ctype)
    assert_problem(reply, status, SLUGS[status])
    assert "file" in reply.body.get("errors", {}), reply.body
    assert _state(registration, setup) == before


ACCEPTED_TYPES: dict[str, tuple[str, bytes, str]] = {
    "pdf": ("ho-so.pdf", PDF, "application/pdf"),
    "png": ("nhan-mac.png", flows.PNG, "image/png"),
    "jpeg": ("anh-san-pham.jpg", JPEG, "image/jpeg"),
    "mp4": ("gioi-thieu.mp4", MP4, "video/mp4"),
    "docx": ("cau-chuyen.docx", DOCX, DOCX_TYPE),
    "xlsx": ("bao-cao-tai-chinh.xlsx", XLSX, XLSX_TYPE),
}


@pytest.mark.parametrize(("name", "content", "ctype"), _params(ACCEPTED_TYPES))
def test_each_accepted_type_is_stored_and_served_as_sniffed(
    setup: Setup, name: str, content: bytes, ctype: str
) -> None:
    # The positive control of the refusals above: real files of each accepted type go in.
    reply = flows.upload(setup.owner, setup.dossier["id"], "other", name, content, ctype)
    assert reply.status == 201, reply.body
    assert reply.body["content_type"] == ctype
    download = setup.owner("GET", reply.body["download_url"])
    assert download.status == 200 and download.body == content
    assert download.headers["Content-Type"].startswith(ctype)


def test_exactly_the_limit_is_accepted(
    registration: Any, setup: Setup, small_call: flows.Transport
) -> None:
    small_owner = flows.Actor(small_call, setup.owner.token, setup.owner.account)
    content = _pdf_of_size(SMALL_LIMIT)
    reply = _upload(small_owner, setup.dossier["id"], "vua-du.pdf", content, "application/pdf")
    assert reply.status == 201, reply.body
    assert reply.body["size"] == SMALL_LIMIT
    download = setup.owner("GET", reply.body["download_url"])
    assert download.status == 200 and download.body == content


@pytest.mark.parametrize("size", [SMALL_LIMIT + 1, SMALL_LIMIT * 4, SMALL_LIMIT + 200 * 1024])
def test_over_the_limit_is_413_and_nothing_is_stored(
    registration: Any, setup: Setup, small_call: flows.Transport, size: int
) -> None:
    small_owner = flows.Actor(small_call, setup.owner.token, setup.owner.account)
    before = _state(registration, setup)
    reply = _upload(
        small_owner, setup.dossier["id"], "qua-lon.pdf", _pdf_of_size(size), "application/pdf"
    )
    assert_problem(reply, 413, "payload-too-large")
    assert _state(registration, setup) == before


# --- accepted uploads -----------------------------------------------------------------------

CLIENT_NAME = "Giấy phép kinh doanh (bản gốc) HTX-Đông-Hà.pdf"


@pytest.fixture(scope="module")
def accepted(registration: Any, setup: Setup) -> dict[str, Any]:
    content = _pdf_of_size(600)
    reply = flows.upload(
        setup.owner,
        setup.dossier["id"],
        "business_registration",
        CLIENT_NAME,
        content,
        "application/pdf",
    )
    assert reply.status == 201, reply.body
    from services.registration.models import Document, DocumentVersion

    with registration.db.reader() as session:
        key = session.execute(
            select(DocumentVersion.storage_key)
            .join(Document)
            .where(
                Document.dossier_id == uuid.UUID(setup.dossier["id"]),
                Document.kind == "business_registration",
                DocumentVersion.number == reply.body["number"],
            )
        ).scalar_one()
    return {"reply": reply, "content": content, "key": key}


def test_stored_name_is_server_generated(registration: Any, accepted: dict[str, Any]) -> None:
    key = accepted["key"]
    assert re.fullmatch(r"[0-9a-f]{32}", key), key
    root = registration.settings.service_dir / "documents"
    path = root / key[:2] / key
    assert path.read_bytes() == accepted["content"]
    for stored in stored_files(registration):
        assert re.fullmatch(r"[0-9a-f]{32}", stored.name), stored
        assert stored.resolve().is_relative_to(root.resolve())
    assert accepted["reply"].body["original_name"] == CLIENT_NAME
    assert accepted["reply"].body["content_type"] == "application/pdf"


def test_same_bytes_twice_get_unrelated_names(registration: Any, setup: Setup) -> None:
    content = _pdf_of_size(700)
    replies = [
        flows.upload(setup.owner, setup.dossier["id"], "award", "giai-thuong.pdf", content)
        for _ in range(2)
    ]
    assert [r.status for r in replies] == [201, 201], [r.body for r in replies]
    from services.registration.models import DocumentVersion

    with registration.db.reader() as session:
        keys = (
            session.execute(
                select(DocumentVersion.storage_key).where(
                    DocumentVersion.sha256 == replies[0].body["sha256"]
                )
            )
            .scalars()
            .all()
        )
    assert len(set(keys)) == 2, keys  # not content-addressed, so not guessable from the bytes


def test_download_url_holds_only_ids_and_a_version(accepted: dict[str, Any]) -> None:
    url = accepted["reply"].body["download_url"]
    assert DOWNLOAD_URL.fullmatch(url), url
    assert accepted["key"] not in str(accepted["reply"].body)


def test_owner_downloads_as_nosniff_attachment(setup: Setup, accepted: dict[str, Any]) -> None:
    reply = setup.owner("GET", accepted["reply"].body["download_url"])
    assert reply.status == 200, reply.body
    assert reply.body == accepted["content"]
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    disposition, params = parse_options_header(reply.headers["Content-Disposition"])
    assert disposition == "attachment"
    assert params["filename"] == CLIENT_NAME
    assert reply.headers["Content-Type"].startswith("application/pdf")
    assert accepted["key"] not in str(reply.headers)


def test_entitled_official_downloads(setup: Setup, accepted: dict[str, Any]) -> None:
    """The commune's officers read a submitted dossier's documents (its queue, until one of
    them takes it); nobody but the producer's side reads a draft's (ADR 0009)."""
    assert_problem(setup.officer("GET", accepted["reply"].body["download_url"]), 404, "not-found")
    content = _pdf_of_size(700)
    dossier = flows.create_dossier(setup.owner, setup.dossier["producer_id"])
    upload = flows.upload(setup.owner, dossier["id"], "business_registration", CLIENT_NAME, content)
    assert upload.status == 201, upload.body
    assert flows.act(setup.owner, dossier, "submit").status == 200
    reply = setup.officer("GET", upload.body["download_url"])
    assert reply.status == 200 and reply.body == content


@pytest.mark.parametrize("who", ["stranger", "consultant"])
def test_download_by_someone_not_entitled_is_404(
    setup: Setup, accepted: dict[str, Any], who: str
) -> None:
    reply = getattr(setup, who)("GET", accepted["reply"].body["download_url"])
    assert_problem(reply, 404, "not-found")
    assert accepted["content"] not in repr(reply.body).encode()


def test_download_without_token_is_401(call: flows.Transport, accepted: dict[str, Any]) -> None:
    reply = call("GET", accepted["reply"].body["download_url"])
    assert_problem(reply, 401, "unauthorized")


def test_stored_file_is_not_reachable_by_path(
    call: flows.Transport, setup: Setup, accepted: dict[str, Any]
) -> None:
    key = accepted["key"]
    for path in (
        f"/static/{key}",
        f"/static/{key[:2]}/{key}",
        f"/static/documents/{key[:2]}/{key}",
        f"/static/../documents/{key[:2]}/{key}",
        f"/documents/{key[:2]}/{key}",
        f"/registration/documents/{key[:2]}/{key}",
        f"/api/v1/documents/{key}",
        f"/api/v1/dossiers/{setup.dossier['id']}/documents/{key}",
    ):
        for actor in (call, setup.owner):
            reply = actor("GET", path)
            assert reply.status == 404, (path, reply.status)
            assert accepted["content"] not in (
                reply.body if isinstance(reply.body, bytes) else repr(reply.body).encode()
            )


def _raw_upload(
    actor: flows.Actor, dossier_id: str, filename: bytes, content: bytes
) -> flows.Reply:
    """A multipart body written by hand, for names a client escapes (quotes) in the header."""
    boundary = uuid.uuid4().hex
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nproduct_story\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="'.encode()
        + filename
        + b'"\r\nContent-Type: application/pdf\r\n\r\n'
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return actor(
        "POST",
        f"/api/v1/dossiers/{dossier_id}/documents",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_quotes_in_name_cannot_inject_header_parameters(setup: Setup) -> None:
    name = 'bao "cao"; filename=evil.html; x=.pdf'
    content = _pdf_of_size(650)
    up = _raw_upload(setup.owner, setup.dossier["id"], name.replace('"', '\\"').encode(), content)
    assert up.status == 201, up.body
    assert up.body["original_name"] == name
    reply = setup.owner("GET", up.body["download_url"])
    assert reply.status == 200
    disposition, params = parse_options_header(reply.headers["Content-Disposition"])
    assert disposition == "attachment"
    assert params == {"filename": name}  # the whole name is one parameter value
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Content-Type"].startswith("application/pdf")


def test_upload_to_someone_elses_dossier_stores_nothing(registration: Any, setup: Setup) -> None:
    before = _state(registration, setup)
    reply = flows.upload(setup.stranger, setup.dossier["id"], "other", "x.pdf", flows.PDF)
    assert_problem(reply, 404, "not-found")
    assert _state(registration, setup) == before
