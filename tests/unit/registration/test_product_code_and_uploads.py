"""Product codes and the upload checks."""

from __future__ import annotations

import pytest

from services.registration.domain.product_code import PATTERN, format_product_code
from services.registration.domain.uploads import UploadRejected, check_upload

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def test_product_code_format() -> None:
    code = format_product_code(province_code="45", commune_code="19333", serial=7, year=2026)
    assert code == "45-19333-007-2026"
    assert PATTERN.match(code)
    assert format_product_code(
        province_code="45", commune_code="19333", serial=1234, year=2026
    ) == ("45-19333-1234-2026")
    with pytest.raises(ValueError):
        format_product_code(province_code="45", commune_code="19333", serial=0, year=2026)


def test_a_pdf_is_accepted() -> None:
    checked = check_upload(
        name="Giấy phép.pdf", data=PDF, declared_type="application/pdf", max_bytes=1000
    )
    assert checked.content_type == "application/pdf"


@pytest.mark.parametrize(
    ("name", "data", "declared", "status"),
    [
        ("x.pdf", b"", None, 422),
        ("x.pdf", PDF + b"0" * 1000, None, 413),
        ("../../x.pdf", PDF, None, 422),
        ("a.pdf.exe", PDF, None, 415),
        ("a" * 300 + ".pdf", PDF, None, 422),
        ("hoa\u202efdp.exe", PDF, None, 422),
        ("x.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 64, None, 415),
        ("x.pdf", PDF, "image/png", 415),
        ("x.png", PDF, None, 415),
    ],
)
def test_bad_uploads_are_refused(name: str, data: bytes, declared: str | None, status: int) -> None:
    with pytest.raises(UploadRejected) as info:
        check_upload(name=name, data=data, declared_type=declared, max_bytes=1000)
    assert info.value.status == status
