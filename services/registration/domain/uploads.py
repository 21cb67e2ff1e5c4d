"""What an uploaded document may be: its kind, its real type (sniffed, never trusted from the
client), and a displayable original name."""

from __future__ import annotations

import io
import unicodedata
import zipfile
from dataclasses import dataclass

import puremagic

# Evidence documents of a dossier (docs/domain.md#the-dossier).
KINDS = (
    "business_registration",
    "food_safety_certificate",
    "quality_standard_declaration",
    "test_report",
    "label_packaging",
    "ip_certificate",
    "raw_material_contract",
    "product_story",
    "financial_statement",
    "award",
    "self_assessment_evidence",
    "supplement",
    "other",
)

# Sniffed type → the file name extensions that may carry it.
ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "video/mp4": (".mp4",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
}

MAX_NAME_LENGTH = 200
# Control (Cc) and format (Cf) characters: the latter include every bidirectional control, which
# can hide a real extension ("invoice\u202efdp.exe"), and zero-width characters.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf"})


class UploadRejected(Exception):
    """A file refused: the HTTP ``status`` it answers (413 too large, 415 its type, 422 its
    name), the form ``field`` it came in, a ``code`` and the values its message names."""

    def __init__(self, status: int, field: str, code: str, /, **params: object) -> None:
        super().__init__(f"{code}: {params}")
        self.status = status
        self.field = field
        self.code = code
        self.params = params


@dataclass(frozen=True, slots=True)
class Checked:
    name: str
    content_type: str


def check_name(name: str) -> str:
    """The original name, kept for display only; refused if it could mislead or escape."""
    name = unicodedata.normalize("NFC", name or "")
    if not name or name in (".", ".."):
        raise UploadRejected(422, "file", "upload.no_name")
    if len(name) > MAX_NAME_LENGTH:
        raise UploadRejected(422, "file", "upload.name_too_long", max=MAX_NAME_LENGTH)
    if any(ch in name for ch in "/\\") or ".." in name:
        raise UploadRejected(422, "file", "upload.name_has_path")
    if any(unicodedata.category(ch) in _REFUSED_CATEGORIES for ch in name):
        raise UploadRejected(422, "file", "upload.name_has_control")
    return name


# Office Open XML files are ZIP archives; the main part named in the archive tells which kind.
_OOXML_MAIN_PARTS = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _sniff_zip(data: bytes) -> str:
    """A ZIP's real kind: DOCX or XLSX only if it is an OOXML package, else a plain archive
    (magic bytes alone cannot tell a Word file from any other ZIP, a JAR included)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        return "application/zip"
    if "[Content_Types].xml" in names:
        for part, mime in _OOXML_MAIN_PARTS.items():
            if part in names:
                return mime
    return "application/zip"


def sniff(data: bytes) -> str | None:
    """The content type the bytes show, whatever the name or the client says."""
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    try:
        mime = puremagic.from_string(data[:8192] if len(data) > 8192 else data, mime=True)
    except (puremagic.PureError, ValueError):
        return None
    return mime or None


def check_upload(*, name: str, data: bytes, declared_type: str | None, max_bytes: int) -> Checked:
    """Validate one upload; raises UploadRejected with the HTTP status that fits."""
    if len(data) > max_bytes:
        raise UploadRejected(413, "file", "upload.too_large", max_mb=round(max_bytes / 2**20, 2))
    if not data:
        raise UploadRejected(422, "file", "upload.empty")
    name = check_name(name)
    actual = sniff(data)
    if actual not in ALLOWED_TYPES:
        raise UploadRejected(415, "file", "upload.type_not_accepted")
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED_TYPES[actual]:
        raise UploadRejected(
            415, "file", "upload.extension_mismatch", extension=extension or "—", actual=actual
        )
    declared = (declared_type or "").split(";")[0].strip().lower()
    if declared and declared != "application/octet-stream" and declared != actual:
        raise UploadRejected(
            415, "file", "upload.declared_mismatch", declared=declared, actual=actual
        )
    return Checked(name=name, content_type=actual)
