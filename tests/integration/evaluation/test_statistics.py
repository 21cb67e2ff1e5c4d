"""Statistics count only what the caller may read, and export as CSV."""

from __future__ import annotations

import pytest

from tests.support import flows
from tests.support.cases import make_case

# Provinces no other test files a case in, so that the figures of their auditors are exact.
QUANG_NAM = {"province_code": "49", "district_code": "502", "commune_code": "20335"}
DA_NANG = {"province_code": "48", "district_code": "490", "commune_code": "20194"}


@pytest.fixture(scope="module")
def seeded(evaluation) -> None:
    with evaluation.db.unit_of_work() as uow:
        for _ in range(3):
            make_case(
                uow, **QUANG_NAM, product_set_code="21", level="district", stage="in_evaluation"
            )
        make_case(
            uow,
            **DA_NANG,
            product_set_code="21",
            level="province",
            stage="awaiting_assignment",
        )
        uow.commit()


def _count(rows: list[dict], **key: str) -> int:
    return sum(r["count"] for r in rows if all(r[k] == v for k, v in key.items()))


def test_counts_within_reach(seeded, admin, eval_call) -> None:
    quang_nam = flows.create_official(admin, ["auditor"], "pre2025:province:49")
    national = flows.create_official(admin, ["auditor"], "national")
    mine = eval_call("GET", "/api/v1/statistics", token=quang_nam.token)
    everyone = eval_call("GET", "/api/v1/statistics", token=national.token)
    assert mine.status == 200 and everyone.status == 200
    # Đà Nẵng's case (province 48) is outside Quảng Nam's reach.
    assert _count(mine.body["province"], province_code="48") == 0
    assert _count(everyone.body["province"], province_code="48") == 1
    assert _count(mine.body["product_set"], product_set_code="21") == 3
    # The national auditor's figure of a product set counts every province's cases, other
    # tests' among them (the suite shares one database): Quảng Nam's and Đà Nẵng's at least.
    assert _count(everyone.body["product_set"], product_set_code="21") >= 3 + 1


def test_csv_export_and_bad_input(seeded, admin, call, eval_call) -> None:
    auditor = flows.create_official(admin, ["auditor"], "pre2025:province:49")
    reply = eval_call(
        "GET", "/api/v1/statistics/export.csv?group_by=level_stage", token=auditor.token
    )
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/csv")
    text = reply.body.decode("utf-8-sig")
    assert text.splitlines()[0] == "level,stage,count"
    assert "district,in_evaluation," in text
    bad = eval_call("GET", "/api/v1/statistics/export.csv?group_by=nope", token=auditor.token)
    assert bad.status == 422 and bad.body["type"] == "urn:ocop:problem:validation-error"
    applicant = flows.register(call, "applicant")
    assert eval_call("GET", "/api/v1/statistics", token=applicant.token).status == 403
    assert eval_call("GET", "/api/v1/statistics").status == 401


# --- the funnel, deadlines breached and councils' score distributions ---------------------

CA_MAU = {"province_code": "96", "district_code": "964", "commune_code": "32002"}


@pytest.fixture(scope="module")
def programme(evaluation) -> str:
    """Cases of one province (Cà Mau, no other test's) at every level, one of them handed
    back from the province to the district, a round that closed yesterday with an evaluation
    still open, an overdue re-evaluation, and one council's sheets: 62, 64, 66, 95 and 100 on
    its closed evaluation, beside a sheet set aside there for a conflict (10) and sheets of its
    two open evaluations (30, 35; 40), which its figures do not count (ADR 0009). Returns the
    council's id."""
    import uuid
    from datetime import UTC, datetime, timedelta

    from services.evaluation.models import (
        ConflictDeclaration,
        Council,
        Evaluation,
        Round,
        ScoreSheet,
    )
    from services.evaluation.service.certificates import today

    now, day = datetime.now(UTC), today()
    with evaluation.db.unit_of_work() as uow:

        def case(level: str, stage: str, **extra):
            return make_case(uow, **CA_MAU, level=level, stage=stage, **extra)

        for _ in range(2):
            case("commune", "commune_review")
        case("district", "recognised", decision_due_on=day - timedelta(days=3))  # decided
        late = case("district", "in_evaluation")
        case("district", "awaiting_decision", decision_due_on=day - timedelta(days=1))
        case("province", "in_evaluation", decision_due_on=day + timedelta(days=5))
        high = case("national", "recognised")
        council = Council(
            name=f"Hội đồng huyện Cà Mau {uuid.uuid4().hex[:6]}",
            level="district",
            unit="pre2025:district:964",
            created_at=now,
        )
        closed = Round(
            level="district",
            unit=council.unit,
            name="closed",
            proposals_due=day - timedelta(days=30),
            closes_on=day - timedelta(days=1),
        )
        coming = Round(
            level="district",
            unit=council.unit,
            name="coming",
            proposals_due=day + timedelta(days=10),
            closes_on=day + timedelta(days=30),
        )
        uow.session.add_all([council, closed, coming])
        uow.session.flush()

        def evaluation_of(dossier, round_, status):
            found = Evaluation(
                dossier_id=dossier.dossier_id,
                level="district",
                council_id=council.id,
                round_id=round_.id,
                status=status,
                opened_at=now,
            )
            uow.session.add(found)
            uow.session.flush()
            return found

        # Handed back by the province's council to the district, which recognises its rank:
        # at the district now, it reached the province (its evaluation there says so).
        handed_back = case("district", "awaiting_decision", pending_rank=3)
        province_council = Council(
            name=f"Hội đồng tỉnh Cà Mau {uuid.uuid4().hex[:6]}",
            level="province",
            unit="pre2025:province:96",
            created_at=now,
        )
        uow.session.add(province_council)
        uow.session.flush()
        uow.session.add(
            Evaluation(
                dossier_id=handed_back.dossier_id,
                level="province",
                council_id=province_council.id,
                status="closed",
                outcome="handed_back",
                star_rank=3,
                opened_at=now,
                closed_at=now,
            )
        )
        overdue = evaluation_of(late, closed, "open")  # the round closed, still open
        done = evaluation_of(high, closed, "closed")  # closed in time: not a breach
        other = evaluation_of(case("district", "in_evaluation"), coming, "open")
        uow.session.flush()

        def sheet(found, total: int) -> uuid.UUID:
            author = uuid.uuid4()
            uow.session.add(
                ScoreSheet(
                    evaluation_id=found.id,
                    account_id=author,
                    answers={},
                    total=float(total),
                    part_points={},
                    document_hashes={},
                    submitted_at=now,
                    updated_at=now,
                )
            )
            return author

        for found, totals in ((done, (62, 64, 66, 95, 100)), (overdue, (30, 35)), (other, (40,))):
            for total in totals:
                sheet(found, total)
        # A sheet handed in before a conflict was found for its author: set aside.
        conflicted = sheet(done, 10)
        uow.session.add(
            ConflictDeclaration(
                evaluation_id=done.id,
                account_id=conflicted,
                conflicted=True,
                reason="Họ hàng",
                declared_at=now,
                recorded_by=uuid.uuid4(),
            )
        )
        uow.commit()
        return str(council.id)


def _funnel(rows: list[dict]) -> dict[str, tuple[int, int, int]]:
    return {
        r["level"]: (r["reached"], r["at_level"], r["recognised"])
        for r in rows
        if r["regime"] == "four-level"
    }


def test_the_funnel_through_the_levels(programme, admin, eval_call) -> None:
    ca_mau = flows.create_official(admin, ["auditor"], "pre2025:province:96")
    body = eval_call("GET", "/api/v1/statistics", token=ca_mau.token).body
    # 9 cases: 2 at the commune, 5 at the district (one recognised, one handed back from the
    # province), 1 each above. The one handed back reached the province all the same.
    assert _funnel(body["funnel"]) == {
        "commune": (9, 2, 0),
        "district": (7, 5, 1),
        "province": (3, 1, 0),
        "national": (1, 1, 1),
    }
    assert [r["level"] for r in body["funnel"] if r["regime"] == "four-level"] == [
        "commune",
        "district",
        "province",
        "national",
    ]
    # Figures count over the caller's jurisdiction, never a case's content: the province's
    # secretariat, on none of these cases (ADR 0009), counts the same.
    secretariat = flows.create_official(admin, ["secretariat"], "pre2025:province:96")
    theirs = eval_call("GET", "/api/v1/statistics", token=secretariat.token).body
    assert _funnel(theirs["funnel"]) == _funnel(body["funnel"])
    listed = eval_call("GET", "/api/v1/cases", token=secretariat.token)
    assert listed.status == 200 and listed.body["items"] == []


def test_the_funnel_of_the_two_tier_regime_counts_a_case_handed_back(
    evaluation, admin, eval_call
) -> None:
    """Decision 26/2026 on the 2025 tree: commune review, province, centre. A case the
    central council handed back to the province reached the centre; one forwarded there and
    not yet assigned a council is at the centre now."""
    import uuid
    from datetime import UTC, datetime

    from services.evaluation.models import Council, Evaluation

    now = datetime.now(UTC)
    unit = {"unit_tree": "2025", "province_code": "96", "district_code": None}
    auditor = flows.create_official(admin, ["auditor"], "2025:province:96")

    def funnel() -> dict[str, tuple[int, int, int]]:
        rows = eval_call("GET", "/api/v1/statistics", token=auditor.token).body["funnel"]
        return {
            r["level"]: (r["reached"], r["at_level"], r["recognised"])
            for r in rows
            if r["regime"] == "two-tier"
        }

    # Other suites' cases in Cà Mau (the two-tier browser run) count too: compare with before.
    before = funnel()
    with evaluation.db.unit_of_work() as uow:

        def case(level: str, stage: str, **extra):
            return make_case(
                uow,
                **unit,
                commune_code="32002",
                regime="two-tier",
                level=level,
                stage=stage,
                **extra,
            )

        case("commune", "commune_review")
        case("province", "in_evaluation")
        case("national", "awaiting_assignment")  # forwarded, no council yet
        handed_back = case("province", "awaiting_decision", pending_rank=4)
        tag = uuid.uuid4().hex[:6]
        councils = {
            "province": Council(
                name=f"Hội đồng tỉnh Cà Mau {tag}",
                level="province",
                unit="2025:province:96",
                created_at=now,
            ),
            "national": Council(
                name=f"Hội đồng trung ương {tag}", level="national", unit="national", created_at=now
            ),
        }
        uow.session.add_all(councils.values())
        uow.session.flush()
        for level, outcome in (("province", "forwarded"), ("national", "handed_back")):
            uow.session.add(
                Evaluation(
                    dossier_id=handed_back.dossier_id,
                    level=level,
                    council_id=councils[level].id,
                    status="closed",
                    outcome=outcome,
                    opened_at=now,
                    closed_at=now,
                )
            )
        uow.commit()

    after = funnel()
    added = {
        level: tuple(n - m for n, m in zip(after[level], before.get(level, (0, 0, 0)), strict=True))
        for level in after
    }
    assert added == {"commune": (4, 1, 0), "province": (3, 2, 0), "national": (2, 1, 0)}


def test_deadlines_breached_today(programme, admin, eval_call) -> None:
    ca_mau = flows.create_official(admin, ["auditor"], "pre2025:province:96")
    rows = eval_call("GET", "/api/v1/statistics", token=ca_mau.token).body["deadlines"]
    # The overdue re-evaluation still awaiting its decision; the evaluation left open after
    # its round closed. Decided cases, closed evaluations and future dates are no breach.
    assert rows == [
        {"deadline": "decision", "level": "district", "count": 1},
        {"deadline": "round", "level": "district", "count": 1},
    ]


def test_each_councils_score_distribution(programme, admin, eval_call) -> None:
    ca_mau = flows.create_official(admin, ["auditor"], "pre2025:province:96")
    body = eval_call("GET", "/api/v1/statistics", token=ca_mau.token).body
    # The sheets of the closed evaluation only: those of its open ones are not counted (before
    # ADR 0009 they were, which told the figures of a council still scoring), nor the one set
    # aside for a conflict.
    (scores,) = [r for r in body["council_scores"] if r["council_id"] == programme]
    assert (scores["sheets"], scores["lowest"], scores["mean"], scores["highest"]) == (
        5,
        62.0,
        77.4,
        100.0,
    )
    bands = {r["band"]: r["sheets"] for r in body["council_bands"] if r["council_id"] == programme}
    assert bands == {60: 3, 90: 2}  # 100 falls in the last band, 90 to 100
    # Outside the province the council's sheets are not counted.
    quang_tri = flows.create_official(admin, ["auditor"], "pre2025:province:45")
    other = eval_call("GET", "/api/v1/statistics", token=quang_tri.token).body
    assert all(r["council_id"] != programme for r in other["council_scores"])


def test_the_new_groupings_export_as_csv(programme, admin, eval_call) -> None:
    ca_mau = flows.create_official(admin, ["auditor"], "pre2025:province:96")
    for grouping, header in (
        ("funnel", "regime,level,reached,at_level,recognised"),
        ("deadlines", "deadline,level,count"),
        ("council_scores", "council_id,council,level,sheets,lowest,mean,highest"),
        ("council_bands", "council_id,council,band,sheets"),
    ):
        reply = eval_call(
            "GET", f"/api/v1/statistics/export.csv?group_by={grouping}", token=ca_mau.token
        )
        assert reply.status == 200, grouping
        lines = reply.body.decode("utf-8-sig").splitlines()
        assert lines[0] == header
    reply = eval_call(
        "GET", "/api/v1/statistics/export.csv?group_by=council_bands", token=ca_mau.token
    )
    assert f"{programme}," in reply.body.decode("utf-8-sig")
