"""The home page: for each of the person's roles, the work waiting for them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from services.portal import deadlines, signin
from services.portal.views.common import items_of

bp = Blueprint("home", __name__)

Lists = dict[str, tuple[str, str, dict[str, Any]]]


def _lists() -> Lists:
    """Every list the person's home shows, by role (fetched together)."""
    wanted: Lists = {}
    if signin.has("applicant", "consultant"):
        wanted["dossiers"] = ("registration", "/dossiers", {"limit": 100})
        wanted["producers"] = ("registration", "/producers", {})
    if signin.has("commune_officer"):
        for status in ("submitted", "resubmitted"):
            wanted[status] = ("registration", "/dossiers", {"status": status, "limit": 100})
        wanted["reviews"] = (
            "evaluation",
            "/cases",
            {"stage": "commune_review", "level": "commune"},
        )
    if signin.has("secretariat"):
        for stage in ("awaiting_assignment", "in_evaluation"):
            wanted[stage] = ("evaluation", "/cases", {"stage": stage})
        wanted["councils"] = ("evaluation", "/councils", {})
        wanted["rounds"] = ("evaluation", "/rounds", {})
    if signin.has("secretariat", "decision_authority"):
        wanted["awaiting_decision"] = ("evaluation", "/cases", {"stage": "awaiting_decision"})
    if signin.has("decision_authority"):
        wanted["recognised"] = ("evaluation", "/cases", {"stage": "recognised"})
    if signin.has(*signin.COUNCIL_ROLES):
        wanted["evaluations"] = ("evaluation", "/evaluations", {"status": "open"})
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
        queue = [
            {**d, "due_on": deadlines.intake_due(d.get("filed_on"))}
            for status in ("submitted", "resubmitted")
            for d in got[status]
        ]
        queue.sort(key=lambda d: d["due_on"] or "")
        sections["commune"] = {"intake": queue, "reviews": got["reviews"]}
    if "councils" in got:
        names = ("awaiting_assignment", "in_evaluation", "awaiting_decision", "councils", "rounds")
        sections["secretariat"] = {name: got[name] for name in names}
    if "evaluations" in got:
        sections["council"] = {"evaluations": got["evaluations"]}
    if "recognised" in got:
        sections["authority"] = {
            "awaiting_decision": got["awaiting_decision"],
            "recognised": got["recognised"],
        }
    if "cases" in got:
        sections["auditor"] = {"cases": got["cases"]}
    return sections


@bp.get("/")
def index() -> Any:
    if signin.token() is None:
        return render_template("home/welcome.html")
    return render_template("home/index.html", sections=_sections(items_of(_lists())))
