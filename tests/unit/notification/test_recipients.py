"""The recipient rules, on a fake contacts lookup (pure: no database, no broker)."""

from __future__ import annotations

import uuid

import pytest

from services.notification.adapters.templating import Catalogue
from services.notification.domain.recipients import (
    AUDIENCES,
    ROUTINE,
    RULES,
    ContactInfo,
    EventFacts,
    goes_to_digest,
    level_unit,
    recipients,
)
from shared.events import EVENT_TYPES


class FakeContacts:
    """The read-model in memory: contacts, consultant grants by producer, council seats."""

    def __init__(self, *contacts: ContactInfo) -> None:
        self.by_id = {c.account_id: c for c in contacts}
        self.granted: dict[uuid.UUID, dict[uuid.UUID, bool]] = {}
        self.producer_of: dict[uuid.UUID, uuid.UUID] = {}
        self.seated: dict[uuid.UUID, dict[uuid.UUID, str]] = {}
        self.handlers: dict[uuid.UUID, uuid.UUID] = {}
        self.exclusions: dict[uuid.UUID, set[uuid.UUID]] = {}

    def get(self, account_id: uuid.UUID) -> ContactInfo | None:
        return self.by_id.get(account_id)

    def with_role_in_unit(self, role: str, unit: str) -> list[ContactInfo]:
        return [c for c in self.by_id.values() if role in c.roles and c.unit == unit]

    def grants(
        self, *, producer_id: uuid.UUID | None, dossier_id: uuid.UUID | None
    ) -> dict[uuid.UUID, bool]:
        producer = producer_id or self.producer_of.get(dossier_id)  # type: ignore[arg-type]
        return dict(self.granted.get(producer, {})) if producer else {}

    def seats(self, council_id: uuid.UUID) -> dict[uuid.UUID, str]:
        return dict(self.seated.get(council_id, {}))

    def handler(self, dossier_id: uuid.UUID | None) -> uuid.UUID | None:
        return self.handlers.get(dossier_id) if dossier_id else None

    def excluded(self, dossier_id: uuid.UUID | None) -> frozenset[uuid.UUID]:
        return frozenset(self.exclusions.get(dossier_id, set())) if dossier_id else frozenset()


def person(
    *roles: str, unit: str | None = None, language: str = "vi", digest: bool = False
) -> ContactInfo:
    account_id = uuid.uuid4()
    return ContactInfo(
        account_id, f"{account_id.hex[:8]}@x.vn", "X", language, frozenset(roles), unit, digest
    )


OWNER = person("applicant", language="en")
CONSULTANT = person("consultant")
OFFICER = person("commune_officer", unit="pre2025:commune:19333")
OTHER_OFFICER = person("commune_officer", unit="pre2025:commune:19336")
PEER = person("commune_officer", unit="pre2025:commune:19333")  # same commune as OFFICER
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
    OWNER, CONSULTANT, OFFICER, OTHER_OFFICER, PEER, DISTRICT, PROVINCE, NATIONAL, AUTHORITY, CHAIR,
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
# The commune officer handling the case, as the dossier's events name it.
HANDLED = {"handler_account_id": str(OFFICER.account_id)}
QUEUE = ids(OFFICER, PEER)  # the commune's officers, while nobody has taken the dossier
BACK_TO_DISTRICT = {"level": "province", "to_level": "district"}


@pytest.mark.parametrize(
    ("event_type", "extra", "expected"),
    [
        ("dossier.submitted", {}, APPLICANT_SIDE | QUEUE),
        ("dossier.submitted", HANDLED, APPLICANT_SIDE | ids(OFFICER)),
        ("dossier.returned", HANDLED, APPLICANT_SIDE),
        ("dossier.resubmitted", HANDLED, APPLICANT_SIDE | ids(OFFICER)),
        ("dossier.accepted", HANDLED, APPLICANT_SIDE),
        ("dossier.withdrawn", HANDLED, APPLICANT_SIDE | ids(OFFICER)),
        ("dossier.withdrawn", {}, APPLICANT_SIDE | QUEUE),
        ("evaluation.opened", {"level": "commune", "council_member_ids": []}, QUEUE),
        ("evaluation.opened", {}, COUNCIL),
        ("evaluation.rescore_requested", {}, COUNCIL),
        ("evaluation.forwarded", {"to_level": "province"}, CLOSE | ids(PROVINCE)),
        ("evaluation.forwarded", UP_TO_NATIONAL, CLOSE | ids(NATIONAL)),
        ("evaluation.handed_back", BACK_TO_DISTRICT, CLOSE | ids(DISTRICT) | QUEUE),
        ("evaluation.handed_back", {**BACK_TO_DISTRICT, **HANDLED}, CLOSE | ids(DISTRICT, OFFICER)),
        ("evaluation.awaiting_decision", {}, ids(AUTHORITY) | COUNCIL),
        ("evaluation.awaiting_decision", {"level": "province"}, COUNCIL),  # not that authority
        ("evaluation.decided", HANDLED, APPLICANT_SIDE | ids(OFFICER) | COUNCIL),
        ("certificate.issued", HANDLED, APPLICANT_SIDE | ids(OFFICER)),
        ("certificate.revoked", HANDLED, APPLICANT_SIDE | ids(OFFICER)),
        ("certificate.expiring", {}, APPLICANT_SIDE),
        ("certificate.expired", {}, APPLICANT_SIDE | QUEUE),
        ("certificate.expired", HANDLED, APPLICANT_SIDE | ids(OFFICER)),
        ("deadline.approaching", {}, ids(DISTRICT)),
        ("deadline.breached", {}, ids(DISTRICT)),
        ("deadline.breached", {"level": "commune", **HANDLED}, ids(OFFICER)),
        ("deadline.breached", {"level": "province"}, ids(PROVINCE)),
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


# --- the people on the case: the commune's handler, conflicted members ---------------------


def on_case(**known: object) -> FakeContacts:
    contacts = FakeContacts(*EVERYONE.by_id.values())
    contacts.handlers[DOSSIER] = OFFICER.account_id
    contacts.exclusions[DOSSIER] = set(known.get("excluded", ()))  # type: ignore[call-overload]
    return contacts


def told_on_case(contacts: FakeContacts, event_type: str, **extra: object) -> set[uuid.UUID]:
    facts = EventFacts(event_type, case(dossier_id=str(DOSSIER), **extra))
    return {r.account_id for r in recipients(facts, contacts)}


def test_evaluation_events_reach_the_handler_the_read_model_knows_not_the_whole_commune() -> None:
    contacts = on_case()
    assert told_on_case(contacts, "evaluation.opened", level="commune", council_member_ids=[]) == (
        ids(OFFICER)
    )
    decided = told_on_case(contacts, "evaluation.decided")
    assert decided == APPLICANT_SIDE | ids(OFFICER) | COUNCIL
    assert PEER.account_id not in decided


def test_a_member_with_a_conflict_is_told_nothing_more_of_the_case() -> None:
    contacts = on_case(excluded={MEMBER.account_id})
    for event_type in ("evaluation.rescore_requested", "evaluation.decided", "evaluation.opened"):
        assert MEMBER.account_id not in told_on_case(contacts, event_type)
    assert CHAIR.account_id in told_on_case(contacts, "evaluation.decided")


def test_an_officer_handed_a_dossier_is_told_one_who_took_it_is_not() -> None:
    by_peer = EventFacts("dossier.assigned", case(**HANDLED), str(PEER.account_id))
    assert {r.account_id for r in recipients(by_peer, EVERYONE)} == ids(OFFICER)
    taken = EventFacts("dossier.assigned", case(**HANDLED), str(OFFICER.account_id))
    assert recipients(taken, EVERYONE) == []


def test_people_without_a_contact_are_skipped() -> None:
    assert told("dossier.returned", owner_account_id=str(uuid.uuid4())) == ids(CONSULTANT)


def test_level_units() -> None:
    p = case()
    assert level_unit(p, "commune") == "pre2025:commune:19333"
    assert level_unit(p, "district") == "pre2025:district:461"
    assert level_unit(p, "province") == "pre2025:province:45"
    assert level_unit(p, "national") == "national"


def test_every_rule_names_a_known_event_with_words_in_both_languages() -> None:
    catalogue = Catalogue()
    for event_type in RULES:
        assert event_type in EVENT_TYPES
        assert catalogue.has(event_type), event_type


def test_every_rule_names_known_audiences() -> None:
    assert {a for audiences in RULES.values() for a in audiences} <= set(AUDIENCES)


# --- consultants while their grant holds ---------------------------------------------------

PRODUCER = uuid.uuid4()
DOSSIER = uuid.uuid4()
LATE_CONSULTANT = person("consultant")


def with_grants(*grants: tuple[ContactInfo, bool], known_case: bool = True) -> FakeContacts:
    contacts = FakeContacts(*EVERYONE.by_id.values(), LATE_CONSULTANT)
    contacts.granted[PRODUCER] = {c.account_id: holds for c, holds in grants}
    if known_case:
        contacts.producer_of[DOSSIER] = PRODUCER
    return contacts


def consultants_told(contacts: FakeContacts, **payload: object) -> set[uuid.UUID]:
    facts = EventFacts("certificate.issued", case(dossier_id=str(DOSSIER), **payload))
    return {r.account_id for r in recipients(facts, contacts) if r.audience == "consultant"}


def test_a_consultant_granted_after_the_event_was_written_is_told() -> None:
    # Evaluation's events carry the list copied at acceptance; the grant came later.
    contacts = with_grants((LATE_CONSULTANT, True))
    assert consultants_told(contacts) == ids(CONSULTANT, LATE_CONSULTANT)


def test_a_withdrawn_grant_silences_the_consultant_the_event_still_lists() -> None:
    contacts = with_grants((CONSULTANT, False))
    assert consultants_told(contacts) == set()


def test_the_producer_named_by_a_dossier_event_wins_over_the_case_lookup() -> None:
    contacts = with_grants((LATE_CONSULTANT, True), known_case=False)
    assert consultants_told(contacts) == ids(CONSULTANT)  # the case is unknown: the list only
    told_by_producer = consultants_told(contacts, producer_id=str(PRODUCER))
    assert told_by_producer == ids(CONSULTANT, LATE_CONSULTANT)


def test_without_any_grant_known_the_event_list_is_used() -> None:
    assert consultants_told(FakeContacts(*EVERYONE.by_id.values())) == ids(CONSULTANT)


# --- deadlines: the council's chair and secretary when the event names the council ----------

COUNCIL_ID = uuid.uuid4()


def seated_council() -> FakeContacts:
    contacts = FakeContacts(*EVERYONE.by_id.values())
    contacts.seated[COUNCIL_ID] = {
        CHAIR.account_id: "chair",
        SECRETARY.account_id: "secretary",
        MEMBER.account_id: "member",
    }
    return contacts


def test_a_recognition_naming_only_its_council_tells_the_seats_the_read_model_knows() -> None:
    # The authority's decision comes after the council closed and lists no seats.
    contacts = seated_council()
    payload = {k: v for k, v in case().items() if k not in ("chair_id", "secretary_id")}
    del payload["council_member_ids"]
    facts = EventFacts("evaluation.decided", {**payload, "council_id": str(COUNCIL_ID)})
    council = {r.account_id for r in recipients(facts, contacts) if r.audience == "council"}
    assert council == COUNCIL
    # A commune decision names no council: no council is told.
    commune = EventFacts("evaluation.decided", {**payload, "council_id": None})
    assert not [r for r in recipients(commune, contacts) if r.audience == "council"]


def deadline_told(event_type: str, contacts: FakeContacts, **extra: object) -> set[uuid.UUID]:
    payload = {k: v for k, v in case(**extra).items() if k not in ("chair_id", "secretary_id")}
    payload.pop("council_member_ids")
    return {r.account_id for r in recipients(EventFacts(event_type, payload), contacts)}


def test_a_deadline_of_a_council_reminds_its_secretary_and_escalates_to_its_chair() -> None:
    contacts = seated_council()
    council = {"council_id": str(COUNCIL_ID)}
    assert deadline_told("deadline.approaching", contacts, **council) == ids(SECRETARY)
    assert deadline_told("deadline.breached", contacts, **council) == ids(CHAIR, SECRETARY)


@pytest.mark.parametrize(
    "council",
    [
        {},  # the field has not landed in the producer's events yet
        {"council_id": None},  # a deadline of no council (intake, revocation)
        {"council_id": str(uuid.uuid4())},  # a council the read-model never heard of
    ],
)
def test_without_a_known_council_the_secretariat_of_the_level_is_told(
    council: dict[str, object],
) -> None:
    contacts = seated_council()
    assert deadline_told("deadline.approaching", contacts, **council) == ids(DISTRICT)
    assert deadline_told("deadline.breached", contacts, **council) == ids(DISTRICT)
    commune = deadline_told("deadline.breached", contacts, level="commune", **council)
    assert commune == QUEUE  # nobody handles the case: the commune's officers


# --- the daily digest -----------------------------------------------------------------------


def test_routine_messages_are_data_and_never_decisions_or_deadlines() -> None:
    assert set(RULES) >= ROUTINE
    urgent = {"evaluation.decided", "certificate.issued", "certificate.revoked"}
    assert not ROUTINE & urgent
    assert not {t for t in ROUTINE if t.startswith("deadline.")}


def digest_of(event_type: str, *contacts: ContactInfo, **extra: object) -> dict[uuid.UUID, bool]:
    found = recipients(EventFacts(event_type, case(**extra)), FakeContacts(*contacts))
    return {r.account_id: r.digest for r in found}


def test_an_official_who_opted_in_gets_routine_messages_in_the_digest() -> None:
    officer = person("commune_officer", unit="pre2025:commune:19333", digest=True)
    assert digest_of("dossier.submitted", officer, OWNER) == {
        OWNER.account_id: False,
        officer.account_id: True,
    }
    assert digest_of("dossier.submitted", OFFICER, OWNER)[OFFICER.account_id] is False


def test_decisions_and_deadlines_go_at_once_even_to_those_who_opted_in() -> None:
    officer = person("commune_officer", unit="pre2025:commune:19333", digest=True)
    secretariat = person("secretariat", unit="pre2025:district:461", digest=True)
    assert digest_of("evaluation.decided", officer, OWNER)[officer.account_id] is False
    assert digest_of("deadline.breached", secretariat) == {secretariat.account_id: False}


def test_the_applicant_side_hears_of_its_own_case_at_once() -> None:
    owner = person("applicant", digest=True)
    assert digest_of("dossier.accepted", owner, owner_account_id=str(owner.account_id)) == {
        owner.account_id: False
    }
    assert not goes_to_digest("dossier.accepted", "consultant", person("consultant", digest=True))
