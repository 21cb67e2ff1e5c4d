"""GET /producers answers a page at a time (``limit``, ``after``), newest first, like every list."""

from __future__ import annotations

from tests.support import flows


def test_a_consultant_pages_through_the_producers_it_serves(call: flows.Transport) -> None:
    applicant = flows.register(call, "applicant")
    made = [flows.create_producer(applicant)["id"] for _ in range(5)]
    first = applicant("GET", "/api/v1/producers?limit=2")
    assert first.status == 200, first.body
    assert [p["id"] for p in first.body["items"]] == made[::-1][:2]
    second = applicant("GET", f"/api/v1/producers?limit=2&after={first.body['next']}")
    third = applicant("GET", f"/api/v1/producers?limit=2&after={second.body['next']}")
    assert [p["id"] for p in second.body["items"] + third.body["items"]] == made[::-1][2:]
    assert third.body["next"] is None


def test_a_bad_page_request_is_refused(call: flows.Transport) -> None:
    applicant = flows.register(call, "applicant")
    for query in ("limit=0", "limit=201", "after=not-a-cursor"):
        reply = applicant("GET", f"/api/v1/producers?{query}")
        assert reply.status == 422, (query, reply.body)
        assert reply.body["code"] == "request.invalid"
