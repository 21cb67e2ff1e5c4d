"""The home page: for each of the person's roles, the work waiting for them.

Each list fits its role under the people on a case (ADR 0009): the commune's queue (dossiers
nobody handles yet, with a button to take one) and the officer's own dossiers; a secretariat's
and an authority's queues hold the cases they act on now (``current=true``: at their own level,
not those that moved on to the next); a council member sees the evaluations of their own seats
(``mine=true``), each named by product, producer, level and the round's closing date."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from services.portal import signin
from services.portal.views.common import EVERY, items_of, maybe

bp = Blueprint("home", __name__)

Lists = dict[str, tuple[str, str, dict[str, Any]]]

# The statuses of a dossier at the commune's intake: waiting for an officer's decision, and
# (for the officer handling it) returned to the applicant for supplement.
INTAKE = ("submitted", "resubmitted")
HANDLED = (*INTAKE, "returned")


def _lists() -> Lists:
    """Every list the person's home shows, by role (fetched together)."""
    wanted: Lists = {}
    if signin.has("applicant", "consultant"):
        wanted["dossiers"] = ("registration", "/dossiers", {"limit": 100})
        wanted["producers"] = ("registration", "/producers", {})
    if signin.has("commune_officer"):
        # The commune's queue, and the dossiers the officer handles: one call each.
        wanted["queue"] = (
            "registration",
            "/dossiers",
            {"status": list(INTAKE), "handler": "none", "limit": 100},
        )
        wanted["mine"] = (
            "registration",
            "/dossiers",
            {"status": list(HANDLED), "handler": "me", "limit": 100},
        )
        wanted["reviews"] = (
            "evaluation",
            "/cases",
            {"stage": "commune_review", "level": "commune"},
        )
    if signin.has("secretariat"):
        for stage in ("awaiting_assignment", "in_evaluation"):
            wanted[stage] = ("evaluation", "/cases", {"stage": stage, "current": "true"})
        wanted["councils"] = ("evaluation", "/councils", EVERY)
        wanted["rounds"] = ("evaluation", "/rounds", EVERY)
    if signin.has("secretariat", "decision_authority"):
        wanted["awaiting_decision"] = (
            "evaluation",
            "/cases",
            {"stage": "awaiting_decision", "current": "true"},
        )
    if signin.has("decision_authority"):
        wanted["recognised"] = ("evaluation", "/cases", {"stage": "recognised"})
    if signin.has(*signin.COUNCIL_ROLES):
        wanted["evaluations"] = ("evaluation", "/evaluations", {"status": "open", "mine": "true"})
    if signin.has("auditor", "admin"):
        wanted["cases"] = ("evaluation", "/cases", {})
    return wanted


def _sections(got: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    sections: dict[str, Any] = {}
    if "dossiers" in got:
        dossiers = got["dossiers"]
        sections["applicant"] = {
            "producers": got["producers"],
            "drafts": [d for d in dossiers if d["status"] in ("draft", "returned")],
            "filed": [d for d in dossiers if d["status"] not in ("draft", "returned")],
        }
    if "reviews" in got:
        sections["commune"] = {
            "queue": _by_due(got["queue"]),
            "mine": _by_due(got["mine"]),
            "reviews": got["reviews"],
        }
    if "councils" in got:
        names = ("awaiting_assignment", "in_evaluation", "awaiting_decision", "councils", "rounds")
        sections["secretariat"] = {name: got[name] for name in names}
    if "evaluations" in got:
        # The nearest deadline first; an evaluation outside any round last.
        evaluations = sorted(
            got["evaluations"],
            key=lambda e: (e.get("round_closes_on") is None, e.get("round_closes_on") or ""),
        )
        sections["council"] = {"evaluations": evaluations}
    if "recognised" in got:
        sections["authority"] = {
            "awaiting_decision": got["awaiting_decision"],
            "recognised": got["recognised"],
        }
    if "cases" in got:
        sections["auditor"] = {"cases": got["cases"]}
    return sections


def _by_due(listed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dossiers by the intake deadline registration answers (``intake_due_on``), soonest first
    (a returned dossier, waiting for the applicant, has none and comes last)."""
    return sorted(
        listed, key=lambda d: (d.get("intake_due_on") is None, d.get("intake_due_on") or "")
    )


@bp.get("/")
def index() -> Any:
    if signin.token() is None:
        return render_template("home/welcome.html")
    if signin.unconfirmed():
        # Confirmed since signing in (the link opened on a phone, say)? Asked only until it is.
        me = maybe("registration", "/accounts/me")
        if me is not None:
            signin.refresh(me)
    return render_template(
        "home/index.html",
        sections=_sections(items_of(_lists())),
        unconfirmed=signin.unconfirmed(),
    )
