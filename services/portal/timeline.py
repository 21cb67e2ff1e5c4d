"""A case's timeline as the applicant and officials follow it, assembled from what the APIs
return (dossier timestamps, the commune review, each council's evaluation, certificates)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from shared.calendar import TIMEZONE


def when(at: str) -> tuple[date, int, datetime]:
    """The order of an entry in time: its day in Vietnam, then its moment. A date without a
    time (a certificate issued, revoked) is the outcome of that day's acts, so it comes after
    the timestamps of that day, not before them (as it would sorted as a string)."""
    if len(at) <= 10:
        return date.fromisoformat(at), 1, datetime.min.replace(tzinfo=UTC)
    moment = datetime.fromisoformat(at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the APIs' timestamps are UTC
    return moment.astimezone(TIMEZONE).date(), 0, moment


def timeline(
    dossier: dict[str, Any], case: dict[str, Any] | None, certificates: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Entries ``{"at", "key", "values"}`` (a catalogue key and its placeholders), oldest first."""
    entries: list[dict[str, Any]] = [
        {"at": dossier.get("created_at"), "key": "timeline.created", "values": {}},
        {"at": dossier.get("submitted_at"), "key": "timeline.submitted", "values": {}},
        {"at": dossier.get("accepted_at"), "key": "timeline.accepted", "values": {}},
    ]
    if dossier.get("status") == "returned":
        entries.append({"at": dossier.get("updated_at"), "key": "timeline.returned", "values": {}})
    if case:
        review = case.get("commune_review")
        if review:
            entries.append(
                {
                    "at": review["reviewed_at"],
                    "key": f"timeline.review.{review['proposal']}",
                    "values": {},
                }
            )
        for ev in case.get("evaluations", ()):
            level = {"level": ev["level"]}
            entries.append({"at": ev["opened_at"], "key": "timeline.opened", "values": level})
            if ev.get("closed_at"):
                entries.append(
                    {
                        "at": ev["closed_at"],
                        "key": f"timeline.outcome.{ev.get('outcome')}",
                        "values": {**level, "stars": ev.get("star_rank") or "—"},
                    }
                )
    for cert in certificates:
        entries.append(
            {
                "at": cert["issued_on"],
                "key": "timeline.certificate",
                "values": {"number": cert["number"], "stars": cert["star_rank"]},
            }
        )
        if cert.get("revoked_on"):
            entries.append({"at": cert["revoked_on"], "key": "timeline.revoked", "values": {}})
    return sorted((e for e in entries if e["at"]), key=lambda e: when(e["at"]))
