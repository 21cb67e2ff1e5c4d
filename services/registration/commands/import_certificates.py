"""``ocop import certificates FILE [--apply]``: the operator's side of the import
(service.certificate_import), a dry run unless ``--apply``; the problems in the operator's
language, one line each (row, column, words). Exit 1 when any problem is found."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import select

from services.registration.models import Account
from services.registration.runtime import Registration
from services.registration.service import certificate_import
from shared import catalogue
from shared.errors import DomainError, Invalid
from shared.events import Actor


def _importer(rt: Registration, email: str | None) -> Actor | None:
    """The administrator the import is recorded under: ``--by``, else the first one."""
    with rt.db.reader() as session:
        query = select(Account).where(Account.active.is_(True))
        if email:
            query = query.where(Account.email == email.strip().lower())
        accounts = session.execute(query.order_by(Account.created_at)).scalars()
        admin = next((a for a in accounts if "admin" in a.roles), None)
    return Actor(str(admin.id), "admin") if admin else None


def run(args: argparse.Namespace, rt: Registration) -> int:
    lang = args.language
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return 2
    try:
        if not args.apply:
            with rt.db.reader() as session:
                report = certificate_import.check(
                    session, name=path.name, data=data, regime=rt.settings.regime
                ).report
        else:
            actor = _importer(rt, args.by)
            if actor is None:
                print("no active administrator to record the import under", file=sys.stderr)
                return 2
            with rt.db.unit_of_work() as uow:
                report = certificate_import.apply(
                    uow=uow, actor=actor, name=path.name, data=data, regime=rt.settings.regime
                )
                uow.commit()
    except Invalid as exc:
        if exc.code != "import.has_problems":
            raise
        problems = [certificate_import.Problem(**p) for p in exc.params["problems"]]
        _print_problems(problems, lang)
        print(exc.message(lang), file=sys.stderr)
        return 1
    except DomainError as exc:
        print(f"{path}: {exc.message(lang)}", file=sys.stderr)
        return 1
    _print_problems(report.problems, lang)
    key = "import.summary.applied" if report.applied else "import.summary.dry_run"
    print(
        catalogue.translate(
            key,
            lang,
            file=path.name,
            sha256=report.sha256,
            rows=report.rows,
            created=report.created,
            unchanged=report.unchanged,
            problems=len(report.problems),
            producers=report.producers_created,
            accounts=report.accounts_created,
        )
    )
    return 1 if report.problems else 0


def _print_problems(problems: list[certificate_import.Problem], lang: str) -> None:
    for problem in problems:
        column = certificate_import.header_words(problem.column, lang) if problem.column else "—"
        row = catalogue.translate("import.row", lang)
        print(f"{row} {problem.row}, {column}: {problem.words(lang)}", file=sys.stderr)
