"""Form 02 as councils need it (issue 15.6), on the pages: the applicant ticks uploaded
documents as evidence beside each criterion, the dossier page says the self-assessment's total,
parts and star rank, and a council member's sheet shows, beside each criterion, the applicant's
own option and the evidence files as links the member may open."""

from __future__ import annotations

import html
import io
import re
from typing import Any

from tests.portal.conftest import Browser
from tests.support import councils as kit
from tests.support import flows
from tests.support.cases import deliver, deliver_seats


def _fieldset(page: str, code: str) -> str:
    found = re.search(rf'<fieldset[^>]*id="c-{code.replace(".", "-")}".*?</fieldset>', page, re.S)
    assert found, f"no fieldset for {code}"
    return found.group(0)


def _upload(owner: flows.Actor, dossier_id: str, kind: str, name: str, criteria: list[str]) -> str:
    reply = owner(
        "POST",
        f"/api/v1/dossiers/{dossier_id}/documents",
        data={"kind": kind, "criteria": criteria},
        files={"file": (name, flows.PDF, "application/pdf")},
    )
    assert reply.status == 201, reply.body
    documents = owner("GET", f"/api/v1/dossiers/{dossier_id}/documents").body["items"]
    return next(d["id"] for d in documents if d["kind"] == kind)


def test_evidence_beside_each_criterion_and_the_self_assessment_score(
    new_browser: Any,
    call: flows.Transport,
    admin: flows.Actor,
    eval_call: flows.Transport,
    commune_officer: flows.Actor,
    officials: dict[str, flows.Actor],
    registration: Any,
    evaluation: Any,
) -> None:
    owner = kit.applicant(call)
    dossier = flows.create_dossier(owner, flows.create_producer(owner)["id"])  # set 04: 99, 5★
    report = _upload(owner, dossier["id"], "test_report", "kiem-nghiem.pdf", ["1.3"])
    licence = _upload(owner, dossier["id"], "business_registration", "giay-phep.pdf", [])

    applicant: Browser = new_browser()
    applicant.sign_in(owner.account["email"])
    page = applicant.get(f"/dossiers/{dossier['id']}")
    assert "Tự đánh giá: 99 điểm, 5 sao" in page
    assert "Phần A: 39 · Phần B: 25 · Phần C: 35" in page
    assert "Minh chứng cho tiêu chí: 1.3" in page and 'name="criteria"' in page

    # The self-assessment page offers the uploaded documents beside each criterion, ticked
    # where the document names it.
    path = f"/dossiers/{dossier['id']}/assessment"
    page = applicant.get(path)
    assert f'name="evidence.1.3" value="{report}" checked' in _fieldset(page, "1.3")
    assert f'name="evidence.1.3" value="{licence}">' in _fieldset(page, "1.3")
    assert f'name="evidence.1.1" value="{report}">' in _fieldset(page, "1.1")

    # Ticked and saved with the answers: each document names its criteria.
    form: dict[str, Any] = {f"answer.{k}": v for k, v in dossier["self_assessment"].items()}
    form.update({"answer.1.3": "b", "version": str(dossier["version"]), "action": "check"})
    form.update({"evidence.1.1": [licence], "evidence.1.3": [report, licence]})
    page = applicant.post(path, form)  # "check" keeps the ticks, saves nothing
    assert f'name="evidence.1.1" value="{licence}" checked' in _fieldset(page, "1.1")
    applicant.post(path, {**form, "action": "save"})
    assert "Đã lưu tự đánh giá." in applicant.html
    named = {
        d["id"]: d["criteria"]
        for d in owner("GET", f"/api/v1/dossiers/{dossier['id']}/documents").body["items"]
    }
    assert named == {report: ["1.3"], licence: ["1.1", "1.3"]}
    # 1.3 at b misses its 5-star mark: 98 points, ranked 4 stars.
    assert "Tự đánh giá: 98 điểm, 4 sao" in applicant.html

    # A criterion the sheet lacks, typed at upload, is refused and said in words.
    applicant.post(
        f"/dossiers/{dossier['id']}/documents",
        {
            "kind": "label_packaging",
            "criteria": "1.3, 9.9",
            "file": (io.BytesIO(flows.PDF), "nhan.pdf"),
        },
        content_type="multipart/form-data",
    )
    # (Its words come from the API's field message: Vietnamese once the portal reads the
    # field's error code, issue 15.2.)
    flashes = re.findall(r'class="flash error"[^>]*>(.*?)<', applicant.html, re.S)
    assert any("9.9" in f and "04" in f for f in flashes), flashes
    assert "nhan.pdf" not in applicant.html

    # Filed, accepted, proposed by the commune, assigned to a district council.
    current = owner("GET", f"/api/v1/dossiers/{dossier['id']}").body
    assert flows.act(owner, current, "submit").status == 200
    current = commune_officer("GET", f"/api/v1/dossiers/{dossier['id']}").body
    assert flows.act(commune_officer, current, "accept").status == 200
    assert deliver(registration, evaluation, dossier["id"]) == 3
    kit.propose(kit.on_evaluation(eval_call, commune_officer), dossier["id"])
    council = kit.form_council(
        admin, eval_call, evaluation, level="district", unit=kit.DISTRICT, members=1
    )
    assigned = kit.assign(officials["secretariat"], dossier["id"], council.id)
    assert assigned.status == 201, assigned.body
    # Registration hears of the seats and the assignment: the members are on the case there.
    deliver_seats(evaluation, registration)
    assert deliver(evaluation, registration, dossier["id"]) == 3

    # The member's sheet, once no conflict is declared: the self-assessment's score, and
    # beside each criterion the applicant's option and the evidence files as links.
    member: Browser = new_browser()
    member.sign_in(council.members[0].account["email"])
    evaluation_url = f"/evaluations/{assigned.body['id']}"
    member.get(evaluation_url)
    member.post(f"{evaluation_url}/conflict", {"conflicted": "no"})
    page = member.get(evaluation_url)
    assert "Tự đánh giá: 98 điểm, 4 sao" in page and "Phần A: 38" in page
    c13 = _fieldset(page, "1.3")
    assert "Chủ thể tự đánh giá: phương án b (2 điểm)" in c13
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', c13)
    assert sorted(name for _, name in links) == ["giay-phep.pdf", "kiem-nghiem.pdf"]
    assert "chưa có tài liệu minh chứng" in _fieldset(page, "2.1")
    # The member may open them (a council member of the case reads its documents).
    opened = member.client.get(links[0][0])
    assert opened.status_code == 200 and opened.data == flows.PDF
    # Nobody else: a stranger's download of the same link is refused.
    stranger: Browser = new_browser()
    stranger.sign_in(kit.applicant(call).account["email"])
    assert stranger.client.get(links[0][0]).status_code in (403, 404)

    # In English too.
    page = member.get(f"{evaluation_url}?lang=en")
    assert "Self-assessment: 98 points, 4 stars" in page
    assert "Applicant's self-assessment: option b (2 points)" in html.unescape(
        _fieldset(page, "1.3")
    )
