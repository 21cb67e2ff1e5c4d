"""People most evaluation modules need, one set per module: an applicant with a producer in
the commune, the commune officer on the evaluation API, and the district secretariat."""

from __future__ import annotations

import pytest

from tests.support import councils as kit


@pytest.fixture(scope="module")
def owner(call):
    return kit.applicant(call)


@pytest.fixture(scope="module")
def officer(commune_officer, eval_call):
    return kit.on_evaluation(eval_call, commune_officer)


@pytest.fixture(scope="module")
def secretariat(admin, eval_call):
    return kit.official(admin, eval_call, ["secretariat"], kit.DISTRICT)
