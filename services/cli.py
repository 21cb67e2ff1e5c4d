"""``ocop``: one command to run, migrate, seed, inspect and test the system."""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from shared import config
from shared.runtime import ServiceRuntime

if TYPE_CHECKING:
    from services.registration.runtime import Registration

ROOT = Path(__file__).resolve().parent.parent
PROCFILE = ROOT / "deploy" / "Procfile"


@contextmanager
def _opened(service: str) -> Iterator[ServiceRuntime]:
    """A service runtime for one command, its database connections released afterwards."""
    rt = _runtime(service)
    try:
        yield rt
    finally:
        rt.close()


def _runtime(service: str) -> ServiceRuntime:
    if service == "registration":
        return _registration()
    if service == "evaluation":
        from services.evaluation.runtime import Evaluation

        return Evaluation()
    from services.notification.runtime import Notification

    return Notification()


def _registration() -> Registration:
    """The registration runtime as its own type, for the commands that take no other (open it
    with ``closing``)."""
    from services.registration.runtime import Registration

    return Registration()


def cmd_migrate(args: argparse.Namespace) -> int:
    from shared.migrate import MigrationError, status, upgrade, upgrade_sql

    if getattr(args, "status", False) or getattr(args, "sql", False):
        behind = 0
        for service in args.services or config.SERVICES:
            url = config.load(service).database_url
            if args.sql:
                try:
                    upgrade_sql(service, url, sys.stdout)
                except MigrationError as exc:
                    print(f"{service}: {exc}", file=sys.stderr)
                    return 2
                continue
            state = status(service, url)
            behind += bool(state.pending)
            print(f"{service}: at {state.current or '(empty)'}, head {state.head}")
            for pending in state.pending:
                print(f"  pending {pending.revision}  {pending.title}")
        # --status exits 1 while a database is behind, so a deploy script can wait on it.
        return 1 if behind else 0
    for service in args.services or config.SERVICES:
        settings = config.load(service)
        settings.service_dir.mkdir(parents=True, exist_ok=True)
        upgrade(service, settings.database_url)
        print(f"{service}: database at head")
    from services.registration.commands.seed import ensure_reference_data

    if not args.services or "registration" in args.services:
        with closing(_registration()) as rt:
            counts = ensure_reference_data(rt)
        if counts:
            print(f"registration: administrative units loaded {counts}")
    return 0


def cmd_units(args: argparse.Namespace) -> int:
    from services.registration.service import units as unit_service
    from shared.units import UnitImportError, read_legacy_csv

    if args.file == "map":
        if not args.map_file:
            print("ocop units map: give the map's CSV file", file=sys.stderr)
            return 2
        return cmd_units_map(args.map_file, args.language)
    try:
        with open(args.file, encoding="utf-8-sig", newline="") as stream:
            rows = read_legacy_csv(stream, tree=args.tree)
    except (OSError, UnitImportError) as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 1
    with _opened("registration") as rt, rt.db.unit_of_work() as uow:
        count = unit_service.replace_tree(uow=uow, rows=rows)
        uow.commit()
    print(f"tree {args.tree!r}: {count} units loaded from {args.file}")
    return 0


def cmd_units_map(file: str, language: str) -> int:
    """Replace the map of the 2025 merger with a CSV's (shared.units.merger), told to every
    service; problems are listed by line in the operator's language and nothing is loaded."""
    from services.registration.service import unit_map as map_service
    from shared.catalogue import translate
    from shared.units.merger import MapError, read_map

    def say(key: str, **values: object) -> str:
        return translate(f"unit_map.{key}", language, **values)

    try:
        with open(file, encoding="utf-8-sig", newline="") as stream:
            pairs = read_map(stream)
    except OSError as exc:
        print(f"{file}: {say('unreadable', why=exc.strerror or exc)}", file=sys.stderr)
        return 1
    except MapError as exc:
        for p in exc.problems:
            print(f"{file}: {say('line', line=p.line)}: {say(p.code, **p.params)}", file=sys.stderr)
        if exc.total > len(exc.problems):
            print(say("more", count=exc.total - len(exc.problems)), file=sys.stderr)
        print(say("nothing_loaded"), file=sys.stderr)
        return 1
    with closing(_registration()) as rt:
        if not map_service.applies(rt.settings.regime):
            print(say("regime", regime=rt.settings.regime), file=sys.stderr)
            return 1
        with rt.db.unit_of_work() as uow:
            provinces = map_service.load_map(uow=uow, pairs=pairs)
            uow.commit()
    print(say("loaded", pairs=len(pairs), provinces=provinces))
    return 0


def _read_notice(name: str) -> object:
    import json

    text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8-sig")
    return json.loads(text)


def cmd_calendar(args: argparse.Namespace) -> int:
    """Load a year's notice of days off into registration (told to the other services by
    ``calendar.notice_loaded``), or show a year's days off and working weekend days."""
    from datetime import date, timedelta

    from services.registration.service import calendar as calendar_service
    from shared.calendar import WorkingCalendar, parse_notice, today

    if args.action == "load":
        if not args.file:
            print(
                "ocop calendar load: give the notice's JSON file (or - for stdin)", file=sys.stderr
            )
            return 2
        try:
            notice = parse_notice(_read_notice(args.file))
        except (OSError, ValueError) as exc:  # unreadable, not JSON, or not a notice
            print(f"{args.file}: {exc}", file=sys.stderr)
            return 1
        with _opened("registration") as rt, rt.db.unit_of_work() as uow:
            calendar_service.load_notice(uow=uow, notice=notice)
            uow.commit()
        print(
            f"{notice.year}: {notice.reference} loaded (days off: {len(notice.days_off)}, "
            f"working days: {len(notice.working_days)}); every service counts on it"
        )
        return 0
    with _opened("registration") as rt, rt.db.reader() as session:
        notices = calendar_service.notices(session)
    year = args.year or today().year
    calendar = WorkingCalendar.of(notices)
    first = date(year, 1, 1)
    days = [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]
    # What differs from Monday to Friday worked: the days off, and the weekend days worked.
    odd = [day for day in days if calendar.is_working_day(day) == (day.weekday() > 4)]
    loaded = next((n.reference for n in notices if n.year == year), "none loaded")
    print(f"{year}, notice: {loaded}")
    print("days off, Monday to Friday:", ", ".join(d.isoformat() for d in odd if d.weekday() < 5))
    print("working days, weekend:", ", ".join(d.isoformat() for d in odd if d.weekday() > 4))
    return 0


def cmd_rescore(args: argparse.Namespace) -> int:
    """Score evaluation's stored sheets again with the current rubric; report what differs
    (a dry run unless --apply, which writes the current totals)."""
    from services.evaluation.service import rescoring

    with _opened("evaluation") as rt, rt.db.unit_of_work() as uow:
        changed = rescoring.rescore(uow.session, apply=args.apply)
        for found in changed:
            print(found.line())
        if args.apply:
            uow.commit()
    written = sum(found.new_total is not None for found in changed)
    closed = sum(found.evaluation_status == "closed" for found in changed)
    verb = "rescored" if args.apply else "would be rescored (dry run; --apply writes them)"
    print(f"{written} sheet(s) {verb}; {closed} of a closed evaluation, its result left as decided")
    return 0


def cmd_seed(_args: argparse.Namespace) -> int:
    from services.registration.commands.seed import DEMO_PASSWORD, seed_demo

    with closing(_registration()) as rt:
        created = seed_demo(rt)
    print(f"demo accounts created: {len(created)} (password for all: {DEMO_PASSWORD})")
    return 0


def _secret(what: str) -> str | None:
    """A secret from standard input, never from the command line: typed twice without echo at
    a terminal (None when the two differ), else its first line (a pipe, a script)."""
    import getpass

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    secret = getpass.getpass(f"{what}: ")
    if getpass.getpass(f"{what} again: ") != secret:
        print("the two differ; nothing changed", file=sys.stderr)
        return None
    return secret


def cmd_admin(args: argparse.Namespace) -> int:
    """``ocop admin create``: the first administrator, the password from standard input."""
    from services.registration.commands.admin import OperatorError, create_admin

    password = _secret("Password")
    if password is None:
        return 2
    with closing(_registration()) as rt:
        try:
            account_id = create_admin(
                rt,
                email=args.email,
                display_name=args.name,
                password=password,
                language=args.language,
            )
        except OperatorError as exc:
            print(f"not created: {exc}", file=sys.stderr)
            return 2
    print(f"administrator {args.email} created ({account_id})")
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    """``ocop keys``: the registration service's signing keys (ADR 0002)."""
    from services.registration.adapters import keys

    with _opened("registration") as rt:
        if args.action == "list":
            for key in keys.listing(rt.db):
                print(f"{key.kind:<6} {key.kid:<34} {key.created_at:%Y-%m-%d %H:%M} {key.status}")
            return 0
        if args.action == "rotate":
            token_kid, ledger_kid = keys.rotate(rt.db)
            print(f"token key {token_kid} and ledger key {ledger_kid} sign from now on")
            return 0
        try:
            if args.action == "retire":
                if not args.kid:
                    print("ocop keys retire needs the key id (ocop keys list)", file=sys.stderr)
                    return 2
                keys.retire(rt.db, args.kid)
                print(f"token key {args.kid} retired: its tokens are refused from now on")
                return 0
            new = _secret("New passphrase")
            if new is None:
                return 2
            count = keys.rekey(rt.db, new.encode())
        except keys.KeyRefused as exc:
            print(f"refused: {exc}", file=sys.stderr)
            return 2
    print(f"{count} keys encrypted with the new passphrase: set OCOP_SIGNING_KEY_PASSPHRASE to it")
    print("for every registration process and restart them")
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    from shared import gunicorn_conf

    port = args.port or config.DEFAULT_PORTS[args.service]
    workers = str(args.workers or int(os.environ.get("OCOP_WEB_WORKERS", "2")))
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        f"services.{args.service}.wsgi:app",
        "--bind",
        f"{args.host}:{port}",
        "--workers",
        workers,
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "10",
        "--timeout",
        "60",
        # Several gunicorns share a machine in `ocop up`; its control socket path would clash.
        "--no-control-socket",
        "--config",
        f"python:{gunicorn_conf.__name__}",
    ]
    if args.reuse_port:
        # SO_REUSEPORT: the next release's web process binds the same port while this one still
        # serves, so a rolling restart on one machine never refuses a connection.
        argv.append("--reuse-port")
    os.execv(sys.executable, argv)


def _freeze_startup_heap(**_: object) -> None:
    """What the worker holds once it is ready (Celery, kombu, SQLAlchemy, the schemas) lives
    as long as it does: moved out of the garbage collector's sight, so that the collections
    the handlers' short-lived objects trigger do not walk it every time. Measured on the
    evaluation worker's backlog: about a fifth of a batch's CPU."""
    gc.collect()
    gc.freeze()


def _json_logs(process: str) -> str:
    """Celery's processes log as the web and relay ones do: JSON lines at ``OCOP_LOG_LEVEL``
    (Celery leaves logging alone once ``setup_logging`` has a receiver). The level, for
    Celery's own ``--loglevel``."""
    from celery import signals

    from shared import logs

    signals.setup_logging.connect(lambda **_: logs.configure(process), weak=False)
    return os.environ.get("OCOP_LOG_LEVEL", "INFO").upper()


def cmd_worker(args: argparse.Namespace) -> int:
    from celery import signals

    from shared.metrics import serve_worker_metrics

    if args.service == "registration":
        registration = _registration()
        registration.require_protected_keys()
        rt: ServiceRuntime = registration
    else:
        rt = _runtime(args.service)
    signals.worker_ready.connect(_freeze_startup_heap, weak=False)
    level = _json_logs(f"{args.service}-{'sender' if args.sender else 'worker'}")
    # The solo pool (the default) counts in this process, where the port serves the figures.
    serve_worker_metrics()
    pool = os.environ.get("OCOP_WORKER_POOL", "solo")
    argv = [
        "worker",
        "--loglevel",
        level,
        "--pool",
        pool,
        "--without-gossip",
        "--without-mingle",
        "--hostname",
        f"{args.service}@%h-{os.getpid()}",
    ]
    if pool != "solo":
        argv += ["--concurrency", os.environ.get("OCOP_WORKER_CONCURRENCY", "2")]
    if args.service == "notification":
        from shared.messaging.topology import mail_queue

        # Sending has a queue and processes of its own: slow SMTP never holds up the events.
        mail = mail_queue().name
        argv += ["--queues", mail] if args.sender else ["--exclude-queues", mail]
        if args.sender:
            argv[argv.index("--hostname") + 1] = f"notification-sender@%h-{os.getpid()}"
    elif args.sender:
        raise SystemExit("--sender is for the notification worker only")
    rt.celery.worker_main(argv)
    return 0


def cmd_beat(args: argparse.Namespace) -> int:
    from shared import logs
    from shared.beat_lock import BeatLock

    rt = _runtime(args.service)
    schedule = config.data_dir() / "run" / f"{args.service}-beat-schedule"
    schedule.parent.mkdir(parents=True, exist_ok=True)
    level = _json_logs(f"{args.service}-beat")
    logs.configure(f"{args.service}-beat")  # the wait below is logged before Celery starts
    # One beat per service (shared/beat_lock.py): a second one waits here, scheduling nothing.
    lock = BeatLock(rt.settings)
    stop = threading.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in signals}
    if not lock.acquire(stop):
        return 0
    for sig, handler in previous.items():
        signal.signal(sig, handler)
    lock.watch(lambda: os._exit(3))
    rt.celery.start(["beat", "--loglevel", level, "--schedule", str(schedule)])
    return 0


def _run_until_signalled(target: Callable[[threading.Event], None]) -> int:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    target(stop)
    return 0


def cmd_relay(args: argparse.Namespace) -> int:
    from shared import logs

    logs.configure(f"{args.service}-relay")
    relay = _runtime(args.service).relay()
    return _run_until_signalled(relay.run)


def cmd_sink(args: argparse.Namespace) -> int:
    from services.notification.sink import serve_forever

    return serve_forever(args.host, args.port, config.data_dir() / "mail", http_port=args.http_port)


def cmd_mail(_args: argparse.Namespace) -> int:
    from services.notification.sink.cli import list_messages

    print(list_messages(config.data_dir() / "mail"))
    return 0


def cmd_dlq(args: argparse.Namespace) -> int:
    import json

    from shared.messaging import dead_letters

    with _opened(args.service) as rt:
        if args.action == "list":
            for item in dead_letters.list_dead(rt.celery, args.service):
                env = item["envelope"]
                print(
                    json.dumps(
                        {
                            "event_id": env.get("event_id"),
                            "type": env.get("type"),
                            "dead_at": item["dead_at"],
                            "reason": item["reason"],
                        },
                        ensure_ascii=False,
                    )
                )
            return 0
        if args.action in ("show", "drop") and not args.event_id:
            print(f"ocop dlq {args.action} needs --event-id", file=sys.stderr)
            return 2
        if args.action == "show":
            parked = dead_letters.show(rt.celery, args.service, args.event_id)
            if parked is None:
                print(f"{args.service}: no parked event {args.event_id}", file=sys.stderr)
                return 1
            print(json.dumps(parked, ensure_ascii=False, indent=2))
            return 0
        if args.action == "drop":
            count = dead_letters.drop(rt.celery, args.service, args.event_id)
            print(f"{args.service}: {count} event(s) dropped")
            return 0 if count else 1
        count = dead_letters.replay(rt.celery, args.service, args.event_id)
        print(f"{args.service}: {count} event(s) sent back to {args.service}.events")
    return 0


def cmd_events(args: argparse.Namespace) -> int:
    from shared.events.catalog import render

    target = ROOT / "docs" / "events.md"
    text = render()
    if args.check:
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            print(f"{target} is out of date; run `ocop events`", file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0


def cmd_openapi(args: argparse.Namespace) -> int:
    import json

    status = 0
    for service in args.services or config.SERVICES:
        module = __import__(f"services.{service}.app", fromlist=["create_app"])
        with _opened(service) as rt:
            spec = module.create_app(rt).test_client().get("/api/v1/openapi.json").json
        text = json.dumps(spec, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        target = ROOT / "docs" / "openapi" / f"{service}.json"
        if args.check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                print(f"{target} is out of date; run `ocop openapi`", file=sys.stderr)
                status = 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}")
    return status


def cmd_up(args: argparse.Namespace) -> int:
    from honcho.environ import parse_procfile
    from honcho.manager import Manager
    from honcho.printer import Printer

    from services.registration.commands.seed import DEMO_ACCOUNTS, DEMO_PASSWORD

    data = config.data_dir()
    data.mkdir(parents=True, exist_ok=True)
    os.environ["OCOP_DATA_DIR"] = str(data)
    cmd_migrate(argparse.Namespace(services=None))
    if not args.no_seed:
        cmd_seed(args)
    procfile = parse_procfile(PROCFILE.read_text())
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    print("\nOCOP is starting; Ctrl-C stops every process.\n")
    for service in config.SERVICES:
        print(
            f"  {service:<13} http://127.0.0.1:{config.DEFAULT_PORTS[service]}/api/v1/openapi.json"
        )
    print(f"  portal        http://127.0.0.1:{config.DEFAULT_PORTS['portal']}/")
    print("  mail sink     smtp://127.0.0.1:8025  (sent mail: http://127.0.0.1:8026, `ocop mail`)")
    print(f"  data          {data}\n\n  demo accounts (password {DEMO_PASSWORD}):")
    for demo in DEMO_ACCOUNTS:
        print(f"    {demo.email:<28} {', '.join(demo.roles):<18} {demo.unit or ''}")
    print(
        "    hoptacxa@ocop.local          applicant\n    tuvan@ocop.local             consultant\n"
    )
    manager = Manager(Printer(sys.stdout))
    for name, command in procfile.processes.items():
        manager.add_process(name, command, env=env, cwd=str(ROOT))
    manager.loop()
    return manager.returncode or 0


def cmd_audit(args: argparse.Namespace) -> int:
    if args.action == "verify" and not args.online:
        # Offline: the archive alone, no database (shared.ledger needs only cryptography).
        from shared.ledger.__main__ import verify_file

        if not args.file:
            print("ocop audit verify: give a case file, or --online", file=sys.stderr)
            return 2
        return verify_file(args.file, args.key, args.json)
    if args.action in ("reconcile", "export-state"):
        # The audit tool reads each service's own export, not registration's runtime.
        from services import audit

        if args.action == "reconcile":
            return audit.reconcile_command(args.json, args.dossier, args.source)
        return audit.export_command(args.service, args.dossier, args.output)
    from services.registration.ledger import commands

    with closing(_registration()) as rt:
        if args.action == "verify":
            return commands.verify_online(rt, args.dossier, args.json)
        if args.action == "export":
            return commands.export_case(rt, args.dossier, args.output)
        return commands.checkpoint(rt)


def cmd_import(args: argparse.Namespace) -> int:
    """``ocop import certificates FILE [--apply]`` (registration/commands/import_certificates)."""
    from services.registration.commands import import_certificates

    with closing(_registration()) as rt:
        return import_certificates.run(args, rt)


def cmd_backup(args: argparse.Namespace) -> int:
    """``ocop backup DIR``: embedded mode only (shared/backup.py); PostgreSQL is the DBA's."""
    from shared import backup

    try:
        manifest = backup.backup(Path(args.dir))
    except backup.BackupError as exc:
        print(f"ocop backup: {exc}", file=sys.stderr)
        return 2
    for entry in manifest["files"]:
        if entry["kind"] == "database":
            revision = f" at {entry['revision']}" if entry["revision"] else ""
            print(f"{entry['name']}: {entry['bytes']} bytes{revision}")
    documents = sum(e["kind"] == "document" for e in manifest["files"])
    print(f"documents: {documents}; manifest: {Path(args.dir) / backup.MANIFEST}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """``ocop restore DIR``: a checked backup into this data dir, then the ledger verified."""
    from shared import backup
    from shared.migrate import status

    try:
        manifest = backup.restore(Path(args.dir), force=args.force)
    except backup.BackupError as exc:
        print(f"ocop restore: {exc}; nothing restored", file=sys.stderr)
        return 2
    print(f"restored the backup taken at {manifest['taken_at']} into {config.data_dir()}")
    again = ", ".join(f"{s} {n}" for s, n in manifest["republished"].items())
    print(f"events of the minute before the backup, published again by the relays: {again}")
    behind = [s for s in config.SERVICES if status(s, config.load(s).database_url).pending]
    if behind:
        print(f"{', '.join(behind)}: behind this release's schema: run `ocop migrate` first")
    print("then `ocop audit verify --online` and `ocop audit reconcile` once the processes run")
    print("(events lost with the broker: `ocop outbox republish --since TIME`)")
    return 0


def cmd_outbox(args: argparse.Namespace) -> int:
    """``ocop outbox republish --since TIME``: outbox rows published since then unsent again."""
    from shared.messaging.republish import parse_since, republish

    try:
        since = parse_since(args.since)
    except ValueError:
        print(f"--since {args.since!r}: not an ISO 8601 time", file=sys.stderr)
        return 2
    for service in [args.service] if args.service else config.SERVICES:
        with _opened(service) as rt:
            count = republish(rt.db, rt.outbox, since)
        print(f"{service}: {count} event(s) published since {since.isoformat()} to publish again")
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    import pytest

    # From the project root, so pytest finds its settings and `testpaths` (all of tests/) when
    # no paths are given.
    os.chdir(ROOT)
    return pytest.main(list(args.pytest_args))


def build_parser() -> argparse.ArgumentParser:
    """Every ``ocop`` command and its arguments."""
    parser = argparse.ArgumentParser(prog="ocop", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("up", help="run the whole system in the foreground (embedded defaults)")
    p.add_argument("--no-seed", action="store_true", help="skip the demo accounts")
    p.set_defaults(func=cmd_up)

    p = sub.add_parser("migrate", help="bring databases to the latest schema, load reference data")
    p.add_argument("services", nargs="*", metavar="SERVICE", help="default: all")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--status", action="store_true", help="say where each database stands; change nothing"
    )
    mode.add_argument(
        "--sql", action="store_true", help="print the SQL the upgrade would run; change nothing"
    )
    p.set_defaults(func=cmd_migrate)

    sub.add_parser("seed", help="create the demo accounts").set_defaults(func=cmd_seed)

    p = sub.add_parser("keys", help="list, rotate, retire or re-encrypt the signing keys")
    p.add_argument("action", choices=["list", "rotate", "retire", "rekey"])
    p.add_argument("kid", nargs="?", help="the token key to retire")
    p.set_defaults(func=cmd_keys)

    p = sub.add_parser("admin", help="create an administrator (the password from stdin)")
    p.add_argument("action", choices=["create"])
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True, help="the name people see")
    p.add_argument("--language", choices=["vi", "en"], default="vi")
    p.set_defaults(func=cmd_admin)

    p = sub.add_parser(
        "calendar", help="load a year's notice of days off and working days, or show a year"
    )
    p.add_argument("action", choices=["load", "show"])
    p.add_argument(
        "file",
        nargs="?",
        help='load: the notice, JSON ({"year", "reference", '
        '"days_off", "working_days"}); - reads stdin',
    )
    p.add_argument("--year", type=int, help="show: the year (default: this year)")
    p.set_defaults(func=cmd_calendar)

    p = sub.add_parser(
        "rescore", help="score stored evaluation sheets again with the current rubric"
    )
    p.add_argument("--apply", action="store_true", help="write the current totals (else report)")
    p.set_defaults(func=cmd_rescore)

    p = sub.add_parser(
        "units",
        help="import a tree of administrative units with districts (units FILE), or load the "
        "map of the 2025 merger (units map FILE)",
    )
    p.add_argument("file", help="CSV with header level,code,name,parent_code; or: map")
    p.add_argument("map_file", nargs="?", help="map: CSV with header old_code,new_code")
    p.add_argument(
        "--language", choices=["vi", "en"], default="vi", help="map: the problems' language"
    )
    p.add_argument("--tree", default="pre2025", help="name of the tree it replaces or adds")
    p.set_defaults(func=cmd_units)

    for name, func, helptext in (
        ("web", cmd_web, "serve a service's HTTP API with gunicorn"),
        ("worker", cmd_worker, "consume a service's events and tasks (Celery worker)"),
        ("relay", cmd_relay, "publish a service's outbox to the broker"),
        ("beat", cmd_beat, "schedule a service's periodic tasks (Celery beat; one per service)"),
    ):
        p = sub.add_parser(name, help=helptext)
        # The portal is a web process only: it has no worker, relay or schedule.
        web_choices = (*config.SERVICES, "portal")
        p.add_argument("service", choices=web_choices if name == "web" else config.SERVICES)
        if name == "worker":
            p.add_argument(
                "--sender", action="store_true", help="notification: send the queued emails"
            )
        if name == "web":
            p.add_argument("--host", default="127.0.0.1")
            p.add_argument("--port", type=int)
            p.add_argument("--workers", type=int)
            p.add_argument(
                "--reuse-port",
                action="store_true",
                help="let another web process bind the same port (a rolling restart)",
            )
        p.set_defaults(func=func)

    p = sub.add_parser("import", help="import certificates issued before the platform")
    p.add_argument("what", choices=["certificates"])
    p.add_argument("file", help="CSV or XLSX, one certificate per row (docs/import/)")
    p.add_argument("--apply", action="store_true", help="write the rows (else a dry run)")
    p.add_argument("--language", choices=["vi", "en"], default="vi", help="the problems' words")
    p.add_argument("--by", help="the administrator it is recorded under (default: the first)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("sink", help="the local SMTP sink that stores every message")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8025)
    p.add_argument("--http-port", type=int, default=8026)
    p.set_defaults(func=cmd_sink)

    sub.add_parser("mail", help="list the messages the SMTP sink received").set_defaults(
        func=cmd_mail
    )

    p = sub.add_parser("dlq", help="list, show, replay or drop the events a service gave up on")
    p.add_argument("action", choices=["list", "show", "replay", "drop"])
    p.add_argument("service", choices=config.SERVICES)
    p.add_argument("--event-id", help="the one event to show, replay or drop")
    p.set_defaults(func=cmd_dlq)

    p = sub.add_parser("events", help="write docs/events.md from the event schemas")
    p.add_argument("--check", action="store_true", help="fail if the committed copy differs")
    p.set_defaults(func=cmd_events)

    p = sub.add_parser("openapi", help="write docs/openapi/<service>.json from the apps")
    p.add_argument("services", nargs="*")
    p.add_argument("--check", action="store_true", help="fail if a committed copy differs")
    p.set_defaults(func=cmd_openapi)

    p = sub.add_parser(
        "audit", help="the case-file ledger: verify, export, checkpoint; reconcile, export-state"
    )
    p.add_argument(
        "action", choices=["verify", "export", "checkpoint", "reconcile", "export-state"]
    )
    p.add_argument("file", nargs="?", help="verify: the case file archive (offline)")
    p.add_argument("--online", action="store_true", help="verify the stored ledger instead")
    p.add_argument("--dossier", help="export, export-state, verify --online, reconcile: one case")
    p.add_argument("--key", help="verify: the public key (PEM) you trust")
    p.add_argument(
        "--output", "-o", help="export: where to write the archive; export-state: the file"
    )
    p.add_argument("--service", help="export-state: whose state (registration also the ledger's)")
    p.add_argument(
        "--from", dest="source", help="reconcile: a directory of export-state files, no database"
    )
    p.add_argument("--json", action="store_true", help="print reports as JSON")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("backup", help="back up the embedded mode's databases and documents")
    p.add_argument("dir", help="a new (or empty) directory to write the backup into")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="restore a backup of the embedded mode into the data dir")
    p.add_argument("dir", help="the backup's directory (ocop backup)")
    p.add_argument(
        "--force", action="store_true", help="overwrite a data dir that holds data (all stopped)"
    )
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("outbox", help="publish again the outbox events of a period")
    p.add_argument("action", choices=["republish"])
    p.add_argument(
        "--since", required=True, help="ISO 8601 time, e.g. 2026-12-06T08:00+07:00 (no offset: UTC)"
    )
    p.add_argument("--service", choices=config.SERVICES, help="default: every service")
    p.set_defaults(func=cmd_outbox)

    p = sub.add_parser("test", help="run the test suite (pytest arguments may follow)")
    p.add_argument("pytest_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_test)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["test"]:
        # Everything after `test` belongs to pytest, options included (argparse would claim them).
        return cmd_test(argparse.Namespace(pytest_args=argv[1:]))
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
