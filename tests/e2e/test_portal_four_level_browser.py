"""The portal in headless Chromium under the four-level regime (Decision 148/2023, the default,
the pre-2025 tree): the producer places itself by province, district then commune, two
products climb commune → district → province → national (trung ương); the minister recognises
one 5★, the other scores 4★ and is handed back to the province, whose chair recognises it. The
climb is shared with the two-tier regime's test (tests/e2e/national_climb.py); the district
and province pages in English and the certificate's public check are in test_portal_browser.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e import national_climb
from tests.e2e.national_climb import Tree
from tests.e2e.stack import Stack
from tests.support import flows

pytestmark = pytest.mark.e2e

PROCESSES = national_climb.PROCESSES
FOUR_LEVEL = Tree(
    regime="four-level",
    commune=flows.COMMUNE,  # Phường 1, Đông Hà
    scoring=(("district", "pre2025:district:461"), ("province", "pre2025:province:45")),
    picker=("45", "461"),
    address="Phường 1, Thành phố Đông Hà, Quảng Trị",
    product="Mật ong rừng Đakrông",
    shots="t4",
)
in_regime = national_climb.regime(FOUR_LEVEL.regime)


def test_two_products_climb_through_the_district_to_the_national_council_and_one_comes_back(
    stack: Stack, portal: str, chromium: Any, artifacts: Path, tmp_path: Path
) -> None:
    national_climb.climb(FOUR_LEVEL, stack, portal, chromium, artifacts, tmp_path)
