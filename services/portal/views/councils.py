"""The secretariat's councils and rounds: form a council of its unit (name, level, quorum
rule, maximum spread), seat and remove its chair, secretary and members, and schedule the
evaluation rounds of its level (one at a time, or the year's default calendar).

The level and unit come from the person's jurisdiction: a district secretariat forms district
councils of its district. A seat is given by choosing one of the active officials of the
secretariat's jurisdiction, found by a search (seat_picker); only when the API lists nobody does
the form ask for an account id, suggesting the officials already seated on councils within reach.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from services.portal import i18n, seat_picker, signin, units
from services.portal.api_client import ApiError
from services.portal.i18n import translate
from services.portal.views.common import (
    EVERY,
    call,
    done,
    form,
    items,
    items_of,
    refused,
    today,
)
from shared.names import sort_key

bp = Blueprint("councils", __name__)

MANAGERS = ("secretariat", "admin")
SEAT_ROLES = ("chair", "secretary", "member")


def jurisdiction() -> tuple[str | None, tuple[str, ...]]:
    """The unit the person manages (``None``: an admin of everywhere, who types it) and the
    levels it may form councils and rounds at."""
    unit = (signin.account() or {}).get("unit")
    levels = units.scoring_levels()  # the deployment's regime's, from its tree of units
    if not unit:
        return None, levels
    parts = unit.split(":")
    kind = units.TOP if unit == units.TOP else (parts[1] if len(parts) == 3 else "")
    return unit, tuple(level for level in levels if level == kind)


def _served(values: dict[str, str]) -> tuple[str, str]:
    """The level and unit a form is about: the person's own unit unless they have none."""
    unit, levels = jurisdiction()
    level = values.get("level") or (levels[0] if len(levels) == 1 else "")
    return level, unit or values.get("served_unit", "").strip()


def _field_errors(errors: dict[str, str]) -> dict[str, str]:
    """The API calls the unit ``unit``; the forms ``served_unit`` (not the producer's)."""
    return {("served_unit" if k == "unit" else k): v for k, v in errors.items()}


def refused_locally() -> None:
    """A form the portal itself rejected before calling the API."""
    flash(translate("flash.fix_fields"), "error")


# --- the overview -------------------------------------------------------------------------


@bp.get("/councils/")
@signin.required(*MANAGERS)
def index() -> Any:
    got = items_of(
        {"councils": ("evaluation", "/councils", EVERY), "rounds": ("evaluation", "/rounds", EVERY)}
    )
    unit = jurisdiction()[0]
    rounds = [r for r in got["rounds"] if unit is None or r["unit"] == unit]
    return render_template(
        "councils/index.html", councils=got["councils"], rounds=rounds, unit=unit, today=today()
    )


# --- forming a council -------------------------------------------------------------------


@bp.route("/councils/new", methods=["GET", "POST"])
@signin.required(*MANAGERS)
def new() -> Any:
    unit, levels = jurisdiction()
    values, errors = form(), {}
    if request.method == "POST":
        level, served = _served(values)
        body: dict[str, Any] = {
            "name": values.get("name", "").strip(),
            "level": level,
            "unit": served,
            "chair_required": values.get("chair_required") == "yes",
        }
        for name in ("quorum_numerator", "quorum_denominator", "max_spread"):
            if values.get(name, "").strip():
                body[name] = values[name].strip()
        try:
            council = call("evaluation", "POST", "/councils", json=body)
        except ApiError as exc:
            errors = _field_errors(refused(exc))
        else:
            done("flash.council_formed", name=council["name"])
            return redirect(url_for("councils.council", council_id=council["id"]))
    else:
        values = {"quorum_numerator": "3", "quorum_denominator": "4", "max_spread": "10"}
        values["chair_required"] = "yes"
    return render_template(
        "councils/new.html", values=values, errors=errors, unit=unit, levels=levels
    )


# --- seats -------------------------------------------------------------------------------


def _known_officials(councils: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Officials seated on any council within reach (suggestions for the seat form)."""
    seen: dict[str, dict[str, Any]] = {}
    for council in councils:
        for seat in council.get("members", ()):
            seen.setdefault(seat["account_id"], seat)
    return sorted(seen.values(), key=lambda s: sort_key(s.get("display_name") or s["account_id"]))


def _council_page(council_id: Any, values: dict[str, str], errors: dict[str, str]) -> Any:
    got = items_of(
        {
            "history": (
                "evaluation",
                f"/councils/{council_id}/members",
                {**EVERY, "include_removed": "true"},
            ),
            "councils": ("evaluation", "/councils", EVERY),
        }
    )
    council = call("evaluation", "GET", f"/councils/{council_id}")
    seated = {s["account_id"] for s in council["members"]}
    return render_template(
        "councils/council.html",
        council=council,
        # A rejected seat form sends back the search it was given from.
        picker=seat_picker.search(seated, values if request.method == "POST" else None),
        history=[s for s in got["history"] if s.get("removed_at")],
        known=[s for s in _known_officials(got["councils"]) if s["account_id"] not in seated],
        roles=[(r, translate(f"seat.{r}")) for r in SEAT_ROLES],
        values=values,
        errors=errors,
    )


@bp.get("/councils/<uuid:council_id>")
@signin.required(*MANAGERS)
def council(council_id: Any) -> Any:
    return _council_page(council_id, {}, {})


@bp.post("/councils/<uuid:council_id>/members")
@signin.required(*MANAGERS)
def seat(council_id: Any) -> Any:
    values = form()
    account_id = values.get("account_id", "").strip()
    role = values.get("role", "")
    errors: dict[str, str] = {}
    if not account_id:
        errors["account_id"] = i18n.error_words("field.required")
    else:
        try:
            uuid.UUID(account_id)
        except ValueError:
            errors["account_id"] = translate("seat.account_id_invalid")
    if role not in SEAT_ROLES:
        errors["role"] = i18n.error_words("field.choose")
    if errors:
        refused_locally()
        return _council_page(council_id, values, errors), 422
    try:
        added = call(
            "evaluation",
            "POST",
            f"/councils/{council_id}/members",
            json={"account_id": account_id, "role": role},
        )
    except ApiError as exc:
        if exc.status == 409:
            # Refused as a whole (a second chair, a person seated twice): say why beside it.
            return _council_page(council_id, values, {"account_id": i18n.refusal(exc)}), 409
        return _council_page(council_id, values, refused(exc)), 422
    done("flash.seated", name=added.get("display_name") or account_id)
    # Back to the same search, to seat the next one found there.
    q = values.get("q", "").strip() or None
    return redirect(url_for("councils.council", council_id=council_id, q=q, _anchor="h-seat"))


@bp.post("/councils/<uuid:council_id>/members/<uuid:account_id>/remove")
@signin.required(*MANAGERS)
def unseat(council_id: Any, account_id: Any) -> Any:
    if request.form.get("confirm") != "yes":
        # The member leaves the council at once: the row's box must be ticked first.
        flash(translate("flash.confirm_unseat"), "error")
        return redirect(url_for("councils.council", council_id=council_id))
    try:
        removed = call("evaluation", "DELETE", f"/councils/{council_id}/members/{account_id}")
    except ApiError as exc:
        refused(exc)
    else:
        done("flash.unseated", name=removed.get("display_name") or str(account_id))
    return redirect(url_for("councils.council", council_id=council_id))


# --- rounds ------------------------------------------------------------------------------


@bp.route("/rounds/new", methods=["GET", "POST"])
@signin.required(*MANAGERS)
def new_round() -> Any:
    unit, levels = jurisdiction()
    values, errors = form(), {}
    if request.method == "POST":
        level, served = _served(values)
        try:
            if values.get("action") == "defaults":
                body: dict[str, Any] = {"level": level, "unit": served}
                body["year"] = values.get("year", "").strip() or None
                reply = call("evaluation", "POST", "/rounds/defaults", json=body)
                done("flash.rounds_defaults", created=reply["created"], year=body["year"])
            else:
                body = {
                    "name": values.get("name", "").strip(),
                    "level": level,
                    "unit": served,
                    "proposals_due": values.get("proposals_due") or None,
                    "closes_on": values.get("closes_on") or None,
                }
                created = call("evaluation", "POST", "/rounds", json=body)
                done("flash.round_scheduled", name=created["name"])
        except ApiError as exc:
            if exc.status == 409:
                errors = {"proposals_due": translate("round.duplicate")}
                refused_locally()
            else:
                errors = _field_errors(refused(exc))
        else:
            return redirect(url_for("councils.index"))
    else:
        values = {"year": today()[:4]}
    scheduled = items("evaluation", "/rounds", **EVERY, **({"unit": unit} if unit else {}))
    return render_template(
        "councils/round_new.html",
        values=values,
        errors=errors,
        unit=unit,
        levels=levels,
        rounds=scheduled,
    )
