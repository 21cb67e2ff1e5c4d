"""The portal in headless Chromium under the two-tier regime (Decision 26/2026, OCOP_REGIME
two-tier, the 2025 tree): the producer places itself by province then commune (no district),
two products climb commune → province → national (trung ương); the minister recognises one
5★, the other scores 4★ and is handed back to the province, whose chair recognises it. The
climb is shared with the four-level regime's test (tests/e2e/national_climb.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e import national_climb
from tests.e2e.national_climb import Tree
from tests.e2e.stack import Stack

pytestmark = pytest.mark.e2e

PROCESSES = national_climb.PROCESSES
TWO_TIER = Tree(
    regime="two-tier",
    commune="2025:commune:32002",  # Phường An Xuyên, in Tỉnh Cà Mau
    scoring=(("province", "2025:province:96"),),
    picker=("96",),
    address="Phường An Xuyên, Tỉnh Cà Mau",
    product="Mật ong rừng U Minh",
    shots="t2",
)
in_regime = national_climb.regime(TWO_TIER.regime)


def test_two_products_climb_to_the_national_council_and_one_comes_back_to_the_province(
    stack: Stack, portal: str, chromium: Any, artifacts: Path, tmp_path: Path
) -> None:
    national_climb.climb(TWO_TIER, stack, portal, chromium, artifacts, tmp_path)
