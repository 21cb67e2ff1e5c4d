"""Where a council's result sends the dossier: recognised, forwarded, handed back or refused.

The star rank decides, never the raw mean: a mean of 93 with a 5★ mark unmet is a 4★ result.
At a scoring level:

* a rank this level recognises is **recognised** here (công nhận);
* a rank above its authority is **forwarded** to the next level (đề nghị cấp trên);
* a rank of 3★ or more below its authority is **handed back** to the level whose authority
  covers it (in the four-level regime a national 3★ result goes straight to the district,
  the level that recognises 3★, rather than through the province, which could not);
* a rank below 3★, or a result with a knockout or stop finding, is **not recognised**. The
  level concerned is the first scoring level, the one that refuses a result below 3★ in the
  ordinary flow; the procedure's "hands back … or none below 50" read as one step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from .aggregation import CouncilResult
from .regime import RECOGNISED_RANKS, Level, LevelCode, Regime


class OutcomeKind(StrEnum):
    """What the result does to the dossier."""

    RECOGNISED = "recognised"
    FORWARDED = "forwarded"
    HANDED_BACK = "handed_back"
    NOT_RECOGNISED = "not_recognised"


@dataclass(frozen=True, slots=True)
class Outcome:
    """A decision on a council result; ``level`` is the level that acts on it next."""

    kind: OutcomeKind
    #: Recognised: this level; forwarded: the next one; handed back: the level that
    #: recognises ``star_rank``; not recognised: the first scoring level.
    level: Level
    star_rank: int
    #: The level of the council whose result this is.
    decided_at: Level
    knocked_out: bool = False

    @property
    def recognised_rank(self) -> int | None:
        """The rank ``level`` recognises on this outcome, if any."""
        if self.kind in (OutcomeKind.RECOGNISED, OutcomeKind.HANDED_BACK):
            return self.star_rank
        return None


def decide(regime: Regime, level: Level | LevelCode | str, result: CouncilResult) -> Outcome:
    """The outcome of ``result`` from the council at ``level`` of ``regime``."""
    here = regime.level(level.code if isinstance(level, Level) else level)
    if not here.scores:
        raise ValueError(f"the {here.code} level reviews dossiers; it does not score them")
    rank = result.star_rank
    if result.knocked_out or rank not in RECOGNISED_RANKS:
        return Outcome(
            OutcomeKind.NOT_RECOGNISED,
            regime.first_scoring_level,
            rank,
            here,
            knocked_out=result.knocked_out,
        )
    if here.recognises(rank):
        return Outcome(OutcomeKind.RECOGNISED, here, rank, here)
    assert here.highest_authority is not None  # a scoring level has an authority
    if rank > here.highest_authority:
        upper = regime.next_level(here)
        assert upper is not None  # the regime's top level recognises 5★
        return Outcome(OutcomeKind.FORWARDED, upper, rank, here)
    return Outcome(OutcomeKind.HANDED_BACK, regime.recognising_level(rank), rank, here)


class RefusalReason(StrEnum):
    """Why a council's closed result recognised nothing (``reason_code``)."""

    KNOCKED_OUT = "knocked_out"  # a knockout or stop finding, whatever the score
    BELOW_THREE_STARS = "below_three_stars"
    RANK_NOT_HIGHER = "rank_not_higher"  # an upgrade not above the certificate it names


def refusal_reason(
    outcome: str | None, star_rank: int | None, findings: Sequence[str] = ()
) -> RefusalReason | None:
    """The reason of a closed evaluation's ``not_recognised`` outcome, from what it stores
    (``None`` for any other outcome). A refused result of 3★ or more without findings can only
    be an upgrade's not above its certificate: :func:`decide` refuses nothing else."""
    if outcome != OutcomeKind.NOT_RECOGNISED:
        return None
    if findings:
        return RefusalReason.KNOCKED_OUT
    if star_rank is None or star_rank not in RECOGNISED_RANKS:
        return RefusalReason.BELOW_THREE_STARS
    return RefusalReason.RANK_NOT_HIGHER
