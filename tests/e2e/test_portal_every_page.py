"""Every page of the portal, for every role, in Vietnamese and in English, on a phone (issue 15).

A case is taken over the APIs from filing to a province 4★ certificate (``climb``); more
dossiers wait at the commune's intake and review, for a council, and at a council's scoring.
Then each role signs in, in a browser context of its own at 390×844, opens every page it
reaches in both languages and sends a few forms the portal refuses. Each page answers its
expected status, names its language in ``html[lang]``, does not scroll sideways (nor does its
header), labels every form control, writes no ISO date, shows no code meant for machines
(``notification.sent``, ``breach_of_law``, ``(system)``, ``pre2025:district:461``) and, in
Vietnamese, no English: no English catalogue phrase and none of a few English function words.
The people's and products' own names (the data) are set aside first. The certificate, the
recognition decision, Form 03, the council minutes and the case-file report are downloaded in
the browser's session and read as rendered (``pdftotext``); their first pages are kept as PNG
beside the screenshots. Last, the certificate is revoked and its public check read again.

The pages come from the portal's own URL map: a page (a GET route) nobody visits fails the
test, unless ``UNVISITED`` says why. Findings that another piece of work is fixing are waived
in ``WAIVERS`` (one entry per page and check, with the reason); a waiver no page needs any more
is printed, to be removed.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from services.portal.app import create_app
from shared import catalogue
from shared.config import PortalSettings
from tests.e2e.browser import PHONE, UNLABELLED, Person
from tests.e2e.stack import Stack
from tests.e2e.test_evaluation_e2e import PROCESSES as EVALUATION_PROCESSES
from tests.e2e.test_evaluation_e2e import SET_CODE, VIETNAM, Climb, climb
from tests.support import councils as kit
from tests.support import flows
from tests.support.observe import eventually

pytestmark = pytest.mark.e2e

PROCESSES = EVALUATION_PROCESSES
LANGUAGES = ("vi", "en")

SEND = "main form[method=post] button.primary"
# GET routes no role visits as a page, and why.
UNVISITED = {
    "healthz": "a probe answering JSON, not a page",
    "readyz": "a probe answering JSON, not a page",
    "static": "the stylesheet and scripts every page loads",
}

# Findings another piece of work is fixing: (endpoint, check) → reason. Remove an entry once
# the test prints it as no longer needed.
WAIVERS: dict[tuple[str, str], str] = {}

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# Codes meant for machines: snake_case, dotted event names, "(system)", a unit's reference.
RAW_CODE = re.compile(
    r"\b[a-z]+(?:_[a-z0-9]+)+\b|\b[a-z]{2,}\.[a-z_]{2,}\b|\(system\)|\b[a-z0-9]+:[a-z]+:\d+\b"
)
ENGLISH_WORDS = re.compile(r"\b(the|of|and|only|not|is|must|cannot)\b", re.IGNORECASE)
# What the data and the machine put on a page that is nobody's wording: addresses, links,
# file names, certificate numbers.
NOT_WORDING = re.compile(
    r"\S+@\S+|https?://\S+|\S+\.(?:pdf|png|jpe?g|zip|csv|xlsx)\b|OCOP-[0-9.]+-\d{4}-\d{5}"
)
# The page as checked: its language, its width, its unlabelled controls and the words it shows
# (its title, the visible text, and what a screen reader reads: aria-label, placeholder,
# title, alt).
# Where a page is too wide: the outermost elements past the viewport's right edge that no
# scrolling box clips (a table's own sideways scroll is fine; an absolutely placed element
# escapes a box that is not its containing block, so it counts).
TOO_WIDE = """() => {
  const clipped = (el) => {
    if (["absolute", "fixed"].includes(getComputedStyle(el).position)) return false;
    for (let p = el.parentElement; p; p = p.parentElement)
      if (getComputedStyle(p).overflowX !== "visible") return true;
    return false;
  };
  const past = (el) => el && el.getBoundingClientRect().right > innerWidth + 0.5;
  const name = (el) => el.tagName.toLowerCase() + (el.className ? "." + el.className : "");
  return [...document.querySelectorAll("body *")]
    .filter((el) => past(el) && !clipped(el) && !past(el.parentElement))
    .slice(0, 4).map((el) => `${name(el)} ${Math.round(el.getBoundingClientRect().right)}px`);
}"""
PAGE_FACTS = """() => ({
  lang: document.documentElement.lang,
  width: document.scrollingElement.scrollWidth,
  viewport: window.innerWidth,
  wide: document.scrollingElement.scrollWidth > innerWidth ? (TOO_WIDE)() : [],
  // The header's menu wraps on a phone; none of it scrolls sideways.
  header: [...document.querySelectorAll("header *")]
    .filter((el) => el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 1)  // not .sr
    .map((el) => el.tagName.toLowerCase()),
  unlabelled: (UNLABELLED)(),
  text: [document.title, document.body.innerText,
    ...[...document.querySelectorAll("[aria-label], [placeholder], [title], img[alt]")].map(
      (el) => ["aria-label", "placeholder", "title", "alt"].map((a) => el.getAttribute(a))
        .filter(Boolean).join("\\n"))].join("\\n"),
})""".replace("UNLABELLED", UNLABELLED).replace("TOO_WIDE", TOO_WIDE)


def english_phrases() -> list[str]:
    """The English catalogue's phrases of two words or more that Vietnamese says otherwise
    (a message's parts between its placeholders)."""
    vi, en = catalogue.messages("vi"), catalogue.messages("en")
    phrases = set()
    for key, text in en.items():
        if text == vi.get(key):
            continue
        for part in re.split(r"\{[^}]*\}", text):
            part = part.strip(" .,:;·—-()“”\"'")
            if len(re.findall(r"[A-Za-z]+", part)) >= 2 and part not in vi.get(key, ""):
                phrases.add(part)
    return sorted(phrases, key=len, reverse=True)


@dataclass
class Visit:
    """A page to open, and what it answers. ``then``: a button to press there (its form sent
    as it is, the browser's own checks off) to see the page the portal answers with."""

    path: str
    status: int = 200
    kind: str = "page"  # "page", "pdf" (read as text), "file" (a download: status only)
    then: str | None = None
    shows: str | None = None  # an element the page must have


@dataclass
class Finding:
    role: str
    endpoint: str
    lang: str
    check: str
    detail: str

    def __str__(self) -> str:
        return f"{self.role} {self.endpoint} [{self.lang}] {self.check}: {self.detail}"


@dataclass
class Inspector:
    """The checks of a page or a document's text, and what they found."""

    portal: str
    shots: Path
    data: list[str]  # names from the data, set aside before looking for English
    endpoints: Any  # the portal's URL map, bound
    phrases: list[str] = field(default_factory=english_phrases)
    findings: list[Finding] = field(default_factory=list)
    visited: set[str] = field(default_factory=set)

    def endpoint(self, path: str) -> str:
        return self.endpoints.match(urlsplit(path).path, method="GET")[0]

    def words(self, role: str, endpoint: str, lang: str, text: str) -> None:
        found = self.findings.append
        text = " ".join(text.split())  # a name may wrap onto the next line
        for name in sorted(self.data, key=len, reverse=True):
            text = text.replace(name, " ")
        text = NOT_WORDING.sub(" ", text)
        for what, pattern in (("iso-date", ISO_DATE), ("raw-code", RAW_CODE)):
            hits = sorted(set(pattern.findall(text)))
            if hits:
                found(Finding(role, endpoint, lang, what, ", ".join(hits[:8])))
        if lang != "vi":
            return
        english = [p for p in self.phrases if p in text]
        if english:
            found(Finding(role, endpoint, lang, "english-text", " | ".join(english[:6])))
        hits = sorted({w for w in ENGLISH_WORDS.findall(text)})
        if hits:
            around = re.compile(r".{0,30}" + ENGLISH_WORDS.pattern + r".{0,30}", re.IGNORECASE)
            context = [m.group(0) for m in around.finditer(text)]
            found(Finding(role, endpoint, lang, "english-word", " | ".join(context[:4])))

    def page(self, who: Person, role: str, visit: Visit, lang: str, n: int) -> None:
        endpoint = self.endpoint(visit.path)
        self.visited.add(endpoint)
        url = f"{visit.path}{'&' if '?' in visit.path else '?'}lang={lang}"
        found = self.findings.append
        if visit.kind != "page":
            got = who.page.request.get(self.portal + url)
            if got.status != visit.status:
                found(Finding(role, endpoint, lang, "status", f"{got.status} for {url}"))
            elif visit.kind == "pdf":
                name = f"{role}-{n:02d}-{endpoint.replace('.', '-')}-{lang}"
                self.document(role, endpoint, lang, got.body(), name)
            return
        reply = who.page.goto(self.portal + url)
        if visit.then:
            who.page.eval_on_selector_all(
                "form", "(forms) => forms.forEach((f) => f.noValidate = true)"
            )
            with who.page.expect_navigation() as navigation:
                who.page.locator(visit.then).first.click()
            reply = navigation.value
        if reply is None or reply.status != visit.status:
            status = reply.status if reply else None
            found(Finding(role, endpoint, lang, "status", f"{status} for {url}"))
        if visit.shows and not who.page.locator(visit.shows).count():
            found(Finding(role, endpoint, lang, "missing", visit.shows))
        self.layout(role, endpoint, lang, who.page.evaluate(PAGE_FACTS))
        shot = self.shots / f"{role}-{n:02d}-{endpoint.replace('.', '-')}-{lang}.png"
        who.page.screenshot(path=str(shot), full_page=True)

    def layout(self, role: str, endpoint: str, lang: str, facts: dict[str, Any]) -> None:
        """What the page measured in the browser: its language, width, header, labels, words."""
        found = self.findings.append
        if facts["lang"] != lang:
            found(Finding(role, endpoint, lang, "html-lang", facts["lang"]))
        if facts["width"] > facts["viewport"]:
            detail = f"{facts['width']}px wide in {facts['viewport']}px: {facts['wide']}"
            found(Finding(role, endpoint, lang, "overflow", detail))
        if facts["header"]:
            found(Finding(role, endpoint, lang, "header-scrolls", ", ".join(facts["header"])))
        if facts["unlabelled"]:
            found(Finding(role, endpoint, lang, "unlabelled", ", ".join(facts["unlabelled"])))
        self.words(role, endpoint, lang, facts["text"])

    def document(self, role: str, endpoint: str, lang: str, content: bytes, name: str) -> None:
        if not content.startswith(b"%PDF-"):
            self.findings.append(
                Finding(role, endpoint, lang, "pdf", content[:80].decode(errors="replace"))
            )
            return
        path = self.shots / f"{name}.pdf"
        path.write_bytes(content)
        text = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-singlefile", str(path), str(path.with_suffix(""))],
            check=True,
        )
        self.words(role, endpoint, lang, text)


def test_every_page_of_every_role_in_both_languages_on_a_phone(
    stack: Stack, portal: str, chromium: Any, artifacts: Path, tmp_path: Path
) -> None:
    case = climb(stack)
    roles, data = people(stack, case)
    settings = PortalSettings(
        data_dir=tmp_path,
        public_url=portal,
        registration_url=stack.urls["registration"],
        evaluation_url=stack.urls["evaluation"],
        notification_url=stack.urls["evaluation"],
        secret_key="url-map-only",
        secure_cookie=False,
        api_timeout_seconds=1,
    )
    url_map = create_app(settings).url_map
    inspector = Inspector(portal, artifacts, data, url_map.bind("localhost"))

    def go_round(roles: Roles) -> None:
        """Each role in a browser context of its own, its pages in both languages."""
        for role, (account, visits) in roles.items():
            who = Person(chromium, portal, artifacts, PHONE)
            if account is not None:
                who.sign_in(account.account["email"])
            for lang in LANGUAGES:
                for n, step in enumerate(visits, 1):
                    inspector.page(who, role, step, lang, n)
            who.close()

    go_round(roles)
    # Revoked, the certificate's public check and its dossier give the day and the ground.
    number, dossier = case.certificate["number"], case.dossier_id
    revoked = case.province_chair(
        "POST",
        f"/api/v1/certificates/{number}/revocation",
        json={"ground": "breach_of_law", "found_on": datetime.now(VIETNAM).date().isoformat()},
    )
    assert revoked.status in (200, 201), revoked.body
    check = Visit(f"/certificates/check?number={number}", shows=".status-revoked")
    go_round(
        {
            "consumer-revoked": (None, [check]),
            "applicant-revoked": (case.applicant, [Visit(f"/dossiers/{dossier}")]),
        }
    )

    pages = {r.endpoint for r in url_map.iter_rules() if "GET" in (r.methods or ())}
    unvisited = pages - inspector.visited - set(UNVISITED)
    assert not unvisited, f"pages no role visits (visit them, or say why in UNVISITED): {unvisited}"
    waived = {(f.endpoint, f.check) for f in inspector.findings} & set(WAIVERS)
    for stale in sorted(set(WAIVERS) - waived):
        print(f"waiver no longer needed: {stale}")
    failing = [f for f in inspector.findings if (f.endpoint, f.check) not in WAIVERS]
    for finding in inspector.findings:
        if finding not in failing:
            print(f"waived: {finding}")
    print(
        f"\n{len(inspector.findings)} findings, {len(failing)} not waived; screenshots: {artifacts}"
    )
    assert not failing, "\n".join(str(f) for f in failing)


Roles = dict[str, tuple[flows.Actor | None, list[Visit]]]


def people(stack: Stack, case: Climb) -> tuple[Roles, list[str]]:
    """Every role with the pages it reaches once the case is recognised; a second dossier
    waits at the commune's review, a third in its intake queue. Also the names from the data."""
    rcall = flows.http_transport(stack.urls["registration"])
    admin, officer, applicant = case.admin, case.officer, case.applicant
    dossier, number = case.dossier_id, case.certificate["number"]
    d_council, d_people = case.district_council
    p_council, p_people = case.province_council
    d_evaluation, p_evaluation = case.evaluations
    consultant = flows.register(rcall, "consultant")
    auditor = flows.create_official(admin, ["auditor"], "pre2025:province:45")

    producer = applicant("GET", "/api/v1/producers").body["items"][0]
    # More dossiers of the producer: at the commune's review, awaiting a council, being
    # scored (one member has declared no conflict), and in the commune's intake queue.
    reviewed, unassigned, scored = (filed(applicant, producer["id"]) for _ in range(3))
    for accepted in (reviewed, unassigned, scored):
        assert flows.act(officer.on(rcall), accepted, "accept").status == 200
    waiting = filed(applicant, producer["id"])
    for accepted in (reviewed, unassigned, scored):
        eventually(
            lambda d=accepted: officer("GET", f"/api/v1/cases/{d['id']}"),
            lambda r: r.status == 200,
        )
    kit.propose(officer, unassigned["id"])
    kit.propose(officer, scored["id"])
    opened = kit.assign(case.district_office, scored["id"], d_council)
    assert opened.status == 201, opened.body
    scoring = opened.body["id"]
    assert kit.declare(d_people[3], scoring).status == 201
    document = applicant("GET", f"/api/v1/dossiers/{dossier}/documents").body["items"][0]
    version = document["versions"][-1]["number"]
    download = f"/dossiers/{dossier}/documents/{document['id']}/{version}"

    signed_in_home = [Visit("/"), Visit("/certificates/check")]
    roles: Roles = {
        "consumer": (
            None,
            [
                Visit("/"),
                Visit(f"/certificates/check?number={number}"),
                Visit("/certificates/check?number=OCOP-45-2026-99999"),
                Visit("/signin"),
                Visit("/signin", then=SEND),  # nothing typed
                Visit("/register"),
                Visit("/password/forgot"),
                Visit("/password/forgot", then=SEND),  # nothing typed
                Visit("/password/set?token=used-or-lapsed", status=410),
                Visit("/email/confirm?token=used-or-lapsed", shows="main form button"),
                Visit("/email/confirm", status=410),  # no token
                Visit("/dashboard/"),  # to sign in first
                Visit("/products", shows=".register-cards"),
                Visit("/products?unit.province=45&unit.district=461&status=all&star_rank=4"),
                Visit(f"/products/{number}", shows=".qr svg"),
                Visit("/products.csv", kind="file"),
                Visit("/products.json", kind="file"),
                Visit("/sitemap.xml", kind="file"),
            ],
        ),
        "applicant": (
            applicant,
            [
                *signed_in_home,
                Visit(f"/dossiers/{dossier}"),
                Visit(f"/dossiers/{waiting['id']}"),
                Visit(f"/dossiers/{waiting['id']}/assessment"),
                Visit(f"/dossiers/{waiting['id']}", then="form[data-withdraw] button"),  # unticked
                Visit("/dossiers/new"),
                Visit("/producers/new"),
                Visit(f"/certificates/of/{dossier}"),
                Visit(f"/certificates/of/{dossier}.pdf", kind="pdf"),
                Visit(f"/certificates/of/{dossier}/decision"),
                Visit(f"/cases/{dossier}/commune-report"),
                Visit(download, kind="file"),
                Visit("/councils/", status=403),
            ],
        ),
        "consultant": (
            consultant,
            [*signed_in_home, Visit("/producers/new"), Visit("/account/password")],
        ),
        "commune-officer": (
            officer,
            [
                *signed_in_home,
                Visit(f"/dossiers/{waiting['id']}"),
                Visit(f"/dossiers/{waiting['id']}/return"),
                Visit(f"/cases/{reviewed['id']}/review"),
                Visit(f"/cases/{reviewed['id']}/review", then=SEND),  # nothing chosen
                Visit(f"/dossiers/{dossier}"),
                Visit(f"/cases/{dossier}/commune-report"),
                Visit(f"/cases/{dossier}/commune-report.pdf", kind="pdf"),
                Visit("/dashboard/"),
            ],
        ),
        "district-secretariat": (
            case.district_office,
            [
                *signed_in_home,
                Visit("/councils/"),
                Visit(f"/cases/{unassigned['id']}/assign"),
                Visit(f"/councils/{d_council}"),
                Visit("/councils/new"),
                Visit("/councils/new", then=SEND),  # no name
                Visit("/rounds/new"),
                Visit("/dashboard/"),
                Visit("/dashboard/export.xlsx", kind="file"),
                Visit("/dashboard/export/star_rank.csv", kind="file"),
            ],
        ),
        "province-secretariat": (
            case.province_office,
            [
                *signed_in_home,
                Visit(f"/councils/{p_council}"),
                Visit(f"/cases/{dossier}/assign", shows="[data-not-waiting]"),  # recognised
                Visit(f"/dossiers/{dossier}"),
            ],
        ),
        "council-chair": (
            p_people[0],
            [
                *signed_in_home,
                Visit(f"/evaluations/{p_evaluation}"),
                Visit(f"/evaluations/{p_evaluation}/minutes"),
                Visit(f"/evaluations/{p_evaluation}/minutes.pdf", kind="pdf"),
            ],
        ),
        "council-member": (
            d_people[2],
            [
                *signed_in_home,
                Visit(f"/evaluations/{scoring}"),  # asked to declare first
                Visit(f"/evaluations/{d_evaluation}"),
                Visit(f"/evaluations/{d_evaluation}/minutes"),
                Visit(f"/cases/{dossier}/decide", status=403),
            ],
        ),
        "council-member-scoring": (
            d_people[3],
            [
                Visit(f"/evaluations/{scoring}"),  # the sheet, with the dossier beside it
                Visit(f"/evaluations/{scoring}", then='button[name=action][value="check"]'),
            ],
        ),
        "authority": (
            case.province_chair,
            [
                *signed_in_home,
                Visit(f"/cases/{dossier}/decide", shows="[data-not-waiting]"),  # decided
                Visit(f"/certificates/{number}/revoke", then=SEND),  # no ground: refused
                Visit(f"/dossiers/{dossier}"),
                Visit(f"/certificates/{number}/revoke"),
                Visit(f"/certificates/of/{dossier}/decision"),
                Visit(f"/certificates/of/{dossier}/decision.pdf", kind="pdf"),
                Visit("/dashboard/"),
            ],
        ),
        "auditor": (
            auditor,
            [
                *signed_in_home,
                Visit("/audit/"),
                Visit("/audit/?status=accepted&unit.province=45&unit.district=461"),
                Visit(f"/audit/{dossier}"),
                Visit(f"/audit/{dossier}/report", kind="pdf"),
                Visit(f"/audit/{dossier}/export", kind="file"),
            ],
        ),
        "admin": (
            admin,
            [
                *signed_in_home,
                Visit("/councils/"),
                Visit("/councils/new"),
                Visit("/rounds/new"),
                Visit("/audit/"),
                Visit("/dashboard/"),
                Visit("/accounts"),
                Visit("/accounts?q=admin&active=true"),
                Visit("/accounts/new"),
                Visit("/accounts/new", then=SEND),  # nothing typed
                Visit("/imports/certificates"),
                Visit("/imports/certificates", then=SEND),  # no file chosen
                Visit("/imports/certificates/template.csv", kind="file"),
            ],
        ),
    }
    councils = [
        office("GET", f"/api/v1/councils/{council}").body["name"]
        for office, council in (
            (case.district_office, d_council),
            (case.province_office, p_council),
        )
    ]
    everyone = [admin, officer, applicant, consultant, auditor, *d_people, *p_people]
    everyone += [case.district_office, case.province_office, case.province_chair]
    representative = flows.producer_body()["representative"]["name"]
    data = [a.account["display_name"] for a in everyone] + councils
    data += [producer["name"], producer["address"], representative, reviewed["product_name"]]
    return roles, data


def filed(applicant: flows.Actor, producer_id: str) -> dict[str, Any]:
    """Another dossier of the same producer, submitted."""
    dossier = flows.create_dossier(applicant, producer_id, SET_CODE)
    assert flows.upload(applicant, dossier["id"], "business_registration").status == 201
    submitted = flows.act(applicant, dossier, "submit")
    assert submitted.status == 200, submitted.body
    return submitted.body
