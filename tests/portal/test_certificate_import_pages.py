"""The administrator's import page: choose a file, read the dry run's problems by row and
column in words, choose the same file again and confirm; another file is refused; the template
downloads in the reader's language; others may not come in."""

from __future__ import annotations

import hashlib
import io
from typing import Any

from sqlalchemy import func, select

from services.registration.models import Certificate
from tests.integration.registration.test_certificate_import import as_csv, rows

PAGE = "/imports/certificates"


def _send(browser: Any, data: bytes, name: str = "ds.csv", **form: str) -> str:
    return browser.post(
        PAGE,
        {"file": (io.BytesIO(data), name), **form},
        content_type="multipart/form-data",
    )


def _certificates(registration: Any) -> int:
    with registration.db.reader() as session:
        return session.execute(select(func.count()).select_from(Certificate)).scalar_one()


def test_dry_run_then_confirm_with_the_same_file(browser: Any, registration: Any) -> None:
    browser.sign_in("admin@ocop.local")
    assert f'href="{PAGE}"' in browser.html  # in the admin's navigation
    browser.get(PAGE)
    assert browser.status == 200 and "Kiểm tra thử" in browser.html
    table = rows(2)
    table[1]["star_rank"] = "7"
    page = _send(browser, as_csv(table))
    assert browser.status == 200
    assert "Hạng sao “7” không hợp lệ" in page and "<td>3</td><td>Hạng sao</td>" in page
    assert 'name="expected_sha256"' not in page  # nothing to confirm while a problem remains

    clean = as_csv(rows(2))
    before = _certificates(registration)
    page = _send(browser, clean)
    assert 'name="expected_sha256"' in page and _certificates(registration) == before
    page = _send(browser, as_csv(rows(1)), expected_sha256=hashlib.sha256(clean).hexdigest())
    assert "khác tệp đã kiểm tra thử" in page and _certificates(registration) == before
    browser.get(PAGE)
    page = _send(browser, clean, expected_sha256=hashlib.sha256(clean).hexdigest())
    assert "Đã nhập: 2 giấy chứng nhận mới" in page
    assert _certificates(registration) == before + 2


def test_the_template_in_the_readers_language(browser: Any) -> None:
    browser.sign_in("admin@ocop.local")
    resp = browser.client.get(f"{PAGE}/template.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "Tên sản phẩm" in resp.get_data(as_text=True)
    browser.get(f"{PAGE}?lang=en")
    resp = browser.client.get(f"{PAGE}/template.csv")
    assert "Product name" in resp.get_data(as_text=True)


def test_only_administrators(browser: Any, officials: Any) -> None:
    browser.sign_in(officials["officer"].account["email"])
    browser.get(PAGE)
    assert browser.status == 403
