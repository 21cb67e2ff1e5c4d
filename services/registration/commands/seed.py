"""Reference data every deployment needs, and the demo data of the embedded quickstart.

Demo data lives in Quảng Trị (province 45) under the four-level tree: the OCOP training the
project starts from was held in Đông Hà (district 461).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sqlalchemy import select

from services.registration.models import Account
from services.registration.runtime import Registration
from services.registration.service import accounts as account_service
from services.registration.service import units as unit_service
from shared.auth import Principal

DEMO_PASSWORD = "ocop-demo-2026"
DEMO_COMMUNE = "pre2025:commune:19333"  # Phường 1, Đông Hà


@dataclass(frozen=True, slots=True)
class DemoAccount:
    email: str
    display_name: str
    roles: tuple[str, ...]
    unit: str | None


DEMO_ACCOUNTS = (
    DemoAccount("admin@ocop.local", "Quản trị hệ thống", ("admin",), "national"),
    DemoAccount("xa.dongha@ocop.local", "Cán bộ UBND Phường 1", ("commune_officer",), DEMO_COMMUNE),
    DemoAccount(
        "huyen.dongha@ocop.local",
        "Văn phòng OCOP TP Đông Hà",
        ("secretariat",),
        "pre2025:district:461",
    ),
    DemoAccount(
        "tinh.quangtri@ocop.local",
        "Văn phòng Điều phối NTM tỉnh Quảng Trị",
        ("secretariat",),
        "pre2025:province:45",
    ),
    DemoAccount(
        "thanhtra@ocop.local", "Thanh tra tỉnh Quảng Trị", ("auditor",), "pre2025:province:45"
    ),
)


def ensure_reference_data(rt: Registration) -> dict[str, int] | None:
    """Load the administrative trees once; returns the counts when it loaded them."""
    with rt.db.reader() as session:
        if unit_service.is_loaded(session):
            return None
    with rt.db.unit_of_work() as uow:
        counts = unit_service.load_builtin_trees(uow=uow)
        uow.commit()
    return counts


def seed_demo(rt: Registration) -> list[DemoAccount]:
    """Create the demo accounts (idempotent) through the same use cases the API calls."""
    ensure_reference_data(rt)
    created: list[DemoAccount] = []
    # The seed acts as the system: its events name "system" as the actor.
    system_admin = Principal(account_id="system", roles=frozenset({"admin"}))
    for demo in DEMO_ACCOUNTS:
        with rt.db.unit_of_work() as uow:
            exists = uow.session.execute(
                select(Account.id).where(Account.email == demo.email)
            ).first()
            if exists:
                continue
            account_service.create(
                uow=uow,
                principal=system_admin,
                email=demo.email,
                password=DEMO_PASSWORD,
                display_name=demo.display_name,
                language="vi",
                roles=list(demo.roles),
                unit=demo.unit,
                councils=[],
            )
            uow.commit()
            created.append(demo)
    for email, name, role in (
        ("hoptacxa@ocop.local", "HTX Nông nghiệp Đông Hà", "applicant"),
        ("tuvan@ocop.local", "Công ty Tư vấn OCOP Miền Trung", "consultant"),
    ):
        with rt.db.unit_of_work() as uow:
            if uow.session.execute(select(Account.id).where(Account.email == email)).first():
                continue
            account_service.register(
                uow=uow,
                # The demo's addresses reach nobody: taken as given, no confirmation sent.
                settings=dataclasses.replace(rt.settings, email_confirmation="off"),
                email=email,
                password=DEMO_PASSWORD,
                display_name=name,
                language="vi",
                role=role,
            )
            uow.commit()
            created.append(DemoAccount(email, name, (role,), None))
    return created
