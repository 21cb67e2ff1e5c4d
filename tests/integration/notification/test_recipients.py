"""The recipient rules, on a fake contacts lookup (pure: no database)."""

from __future__ import annotations

import uuid

import pytest

from services.notification.domain.recipients import (
    RULES,
    ContactInfo,
    EventFacts,
    level_unit,
    recipients,
)
from services.notification.templating import Catalogue
from shared.events import EVENT_TYPES


class FakeContacts:
    def __init__(self, *contacts: ContactInfo) -> None:
        self.by_id = {c.account_id: c for c in contacts}

    def get(self, account_id: uuid.UUID) -> ContactInfo | None:
        return self.by_id.get(account_id)

    def with_role_in_unit(self, role: str, unit: str) -> list[ContactInfo]:
        return [c for c in self.by_id.values() if role in c.roles and c.unit == unit]


def person(*roles: str, unit: str | None = None, language: str = "vi") -> ContactInfo:
    account_id = uuid.uuid4()
    return ContactInfo(
        account_id, f"{account_id.hex[:8]}@x.vn", "X", language, frozenset(roles), unit
    )


OWNER = person("applicant", language="en")
CONSULTANT = person("consultant")
OFFICER = person("commune_officer", unit="pre2025:commune:19333")
OTHER_OFFICER = person("commune_officer", unit="pre2025:commune:19336")
DISTRICT = person("secretariat", unit="pre2025:district:461")
PROVINCE = person("secretariat", unit="pre2025:province:45")
NATIONAL = person("secretariat", unit="national")
AUTHORITY = person("decision_authority", unit="pre2025:district:461")
CHAIR, MEMBER, SECRETARY = (
    person("council_chair"),
    person("council_member"),
    person("council_secretary"),
)
EVERYONE = FakeContacts(
    OWNER, CONSULTANT, OFFICER, OTHER_OFFICER, DISTRICT, PROVINCE, NATIONAL, AUTHORITY, CHAIR,
    MEMBER, SECRETARY,
)  # fmt: skip


def case(**extra: object) -> dict[str, object]:
    return {
        "owner_account_id": str(OWNER.account_id),
        "consultant_account_ids": [str(CONSULTANT.account_id)],
        "unit_tree": "pre2025",
        "province_code": "45",
        "district_code": "461",
        "commune_code": "19333",
        "level": "district",
        "council_member_ids": [str(MEMBER.account_id), str(CHAIR.account_id)],
        "chair_id": str(CHAIR.account_id),
        "secretary_id": str(SECRETARY.account_id),
        **extra,
    }


def told(event_type: str, **extra: object) -> set[uuid.UUID]:
    return {r.account_id for r in recipients(EventFacts(event_type, case(**extra)), EVERYONE)}


def ids(*contacts: ContactInfo) -> set[uuid.UUID]:
    return {c.account_id for c in contacts}


APPLICANT_SIDE = ids(OWNER, CONSULTANT)
COUNCIL = ids(CHAIR, MEMBER, SECRETARY)
# A council's close: the applicant's side and the council, plus the secretariat it goes to.
CLOSE = APPLICANT_SIDE | COUNCIL
UP_TO_NATIONAL = {"level": "province", "to_level": "national"}
BACK_TO_DISTRICT = {"level": "province", "to_level": "district"}


@pytest.mark.parametrize(
    ("event_type", "extra", "expected"),
    [
        ("dossier.submitted", {}, APPLICANT_SIDE | ids(OFFICER)),
        ("dossier.returned", {}, APPLICANT_SIDE),
        ("dossier.resubmitted", {}, APPLICANT_SIDE | ids(OFFICER)),
        ("dossier.accepted", {}, APPLICANT_SIDE),
        ("dossier.withdrawn", {}, APPLICANT_SIDE | ids(OFFICER)),
        ("evaluation.opened", {"level": "commune", "council_member_ids": []}, ids(OFFICER)),
        ("evaluation.opened", {}, COUNCIL),
        ("evaluation.rescore_requested", {}, COUNCIL),
        ("evaluation.forwarded", {"to_level": "province"}, CLOSE | ids(PROVINCE)),
        ("evaluation.forwarded", UP_TO_NATIONAL, CLOSE | ids(NATIONAL)),
        ("evaluation.handed_back", BACK_TO_DISTRICT, CLOSE | ids(DISTRICT)),
        ("evaluation.decided", {}, APPLICANT_SIDE | ids(OFFICER) | COUNCIL),
        ("certificate.issued", {}, APPLICANT_SIDE),
        ("certificate.revoked", {}, APPLICANT_SIDE),
        ("certificate.expiring", {}, APPLICANT_SIDE),
        ("certificate.expired", {}, APPLICANT_SIDE),
        ("deadline.approaching", {}, ids(DISTRICT)),
        ("deadline.breached", {}, ids(DISTRICT, CHAIR)),
        ("deadline.breached", {"level": "commune", "chair_id": None}, ids(OFFICER)),
        ("council.member_added", {"account_id": str(MEMBER.account_id)}, ids(MEMBER)),
        ("dossier.document_added", {}, set()),
    ],
)  # fmt: skip
def test_who_is_told(event_type: str, extra: dict[str, object], expected: set[uuid.UUID]) -> None:
    assert told(event_type, **extra) == expected


def test_someone_in_two_audiences_is_told_once_under_the_first() -> None:
    # The applicant also sits on the council: one email, as the applicant.
    found = recipients(
        EventFacts("evaluation.decided", case(council_member_ids=[str(OWNER.account_id)])),
        EVERYONE,
    )
    mine = [r for r in found if r.account_id == OWNER.account_id]
    assert [(r.audience, r.language) for r in mine] == [("applicant", "en")]
    assert len(found) == len({r.account_id for r in found})


def test_people_without_a_contact_are_skipped() -> None:
    assert told("dossier.returned", owner_account_id=str(uuid.uuid4())) == ids(CONSULTANT)


def test_level_units() -> None:
    p = case()
    assert level_unit(p, "commune") == "pre2025:commune:19333"
    assert level_unit(p, "district") == "pre2025:district:461"
    assert level_unit(p, "province") == "pre2025:province:45"
    assert level_unit(p, "central") == "national"


def test_every_rule_names_a_known_event_with_words_in_both_languages() -> None:
    catalogue = Catalogue()
    for event_type in RULES:
        assert event_type in EVENT_TYPES
        assert catalogue.has(event_type), event_type
