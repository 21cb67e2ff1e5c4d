"""Programme regimes: the chain of levels a dossier climbs and the star ranks each recognises.

A regime (the shape of the process, chosen by configuration and pinned to each dossier) is
data: an ordered tuple of :class:`Level` objects, each with its *authority*, the star ranks
its chair (or the minister) recognises (thẩm quyền công nhận). The commune does a review
only (Mẫu 03) and recognises nothing.

Forwarding thresholds are not configured separately: a council forwards a dossier when its
star rank exceeds the level's highest authority, so the threshold on the mean is the lowest
total of the next band up (70 for a district whose authority ends at 3★, 90 for a province
whose authority ends at 4★), which are the procedure's "≥ 70 from district, ≥ 90 from province".
The threshold is necessary, not sufficient: the star marks must also be met.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise

#: Star ranks that can be recognised and certified (3★ and above).
RECOGNISED_RANKS = frozenset({3, 4, 5})


class LevelCode(StrEnum):
    """Administrative level of the process (cấp xã / huyện / tỉnh / trung ương).

    The level above the province is ``national`` in both regimes (ADR 0011); the two-tier
    regime's former name for it, ``central``, is read at the boundary (``shared.levels``)."""

    COMMUNE = "commune"
    DISTRICT = "district"
    PROVINCE = "province"
    NATIONAL = "national"


@dataclass(frozen=True, slots=True)
class Level:
    """One level of a regime and the star ranks it recognises (empty: review only)."""

    code: LevelCode
    authority: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if not self.authority <= RECOGNISED_RANKS:
            raise ValueError(f"{self.code}: authority {sorted(self.authority)} outside 3..5")
        ranks = sorted(self.authority)
        if ranks and ranks != list(range(ranks[0], ranks[-1] + 1)):
            raise ValueError(f"{self.code}: authority {ranks} is not a contiguous range")

    @property
    def scores(self) -> bool:
        """Whether a council at this level scores dossiers (the commune only reviews)."""
        return bool(self.authority)

    @property
    def highest_authority(self) -> int | None:
        """The highest rank this level recognises, ``None`` for a review-only level."""
        return max(self.authority, default=None)

    def recognises(self, star_rank: int) -> bool:
        """Whether this level's authority covers ``star_rank``."""
        return star_rank in self.authority


@dataclass(frozen=True, slots=True)
class Regime:
    """A programme regime: its levels in order, from the commune up."""

    name: str
    levels: tuple[Level, ...]
    legal_basis: str = ""

    def __post_init__(self) -> None:
        codes = [level.code for level in self.levels]
        if len(set(codes)) != len(codes):
            raise ValueError(f"{self.name}: a level appears twice in {codes}")
        scoring = [level for level in self.levels if level.scores]
        if not scoring:
            raise ValueError(f"{self.name}: no level recognises anything")
        first = self.levels.index(scoring[0])
        if not all(level.scores for level in self.levels[first:]):
            raise ValueError(f"{self.name}: review-only levels must come before scoring ones")
        covered = frozenset().union(*(level.authority for level in scoring))
        if covered != RECOGNISED_RANKS:
            raise ValueError(f"{self.name}: authorities cover {sorted(covered)}, not 3..5")
        for lower, upper in pairwise(scoring):
            if min(upper.authority) != max(lower.authority) + 1:
                raise ValueError(
                    f"{self.name}: {upper.code} must recognise right above {lower.code}"
                )

    def level(self, code: LevelCode | str) -> Level:
        """The level with ``code``; ``KeyError`` if the regime has none."""
        for level in self.levels:
            if level.code == code:
                return level
        raise KeyError(f"regime {self.name} has no {code} level")

    def _index(self, level: Level | LevelCode | str) -> int:
        code = level.code if isinstance(level, Level) else level
        return self.levels.index(self.level(code))

    def next_level(self, level: Level | LevelCode | str) -> Level | None:
        """The level above ``level``, ``None`` at the top."""
        i = self._index(level) + 1
        return self.levels[i] if i < len(self.levels) else None

    @property
    def scoring_levels(self) -> tuple[Level, ...]:
        """The levels whose councils score (and recognise), from the lowest up."""
        return tuple(level for level in self.levels if level.scores)

    @property
    def first_scoring_level(self) -> Level:
        """The lowest scoring level: where a result below 3★ is refused recognition."""
        return self.scoring_levels[0]

    def recognising_level(self, star_rank: int) -> Level:
        """The level whose authority covers ``star_rank``; ``ValueError`` below 3★."""
        for level in self.scoring_levels:
            if level.recognises(star_rank):
                return level
        raise ValueError(f"{star_rank}★ is not recognised at any level")


#: Default regime (Decision 148/2023): commune → district 3★ → province 4★ → national 5★.
FOUR_LEVEL = Regime(
    name="four-level",
    legal_basis="148/QĐ-TTg",
    levels=(
        Level(LevelCode.COMMUNE),
        Level(LevelCode.DISTRICT, frozenset({3})),
        Level(LevelCode.PROVINCE, frozenset({4})),
        Level(LevelCode.NATIONAL, frozenset({5})),
    ),
)

#: Decisions 1489/2025 and 26/2026: commune review → province 3★/4★ → central (national) 5★.
TWO_TIER = Regime(
    name="two-tier",
    legal_basis="26/2026/QĐ-TTg",
    levels=(
        Level(LevelCode.COMMUNE),
        Level(LevelCode.PROVINCE, frozenset({3, 4})),
        Level(LevelCode.NATIONAL, frozenset({5})),
    ),
)

REGIMES: dict[str, Regime] = {regime.name: regime for regime in (FOUR_LEVEL, TWO_TIER)}


def regime_by_name(name: str) -> Regime:
    """The regime called ``name`` ("four-level" or "two-tier"); ``KeyError`` if unknown."""
    try:
        return REGIMES[name]
    except KeyError:
        known = ", ".join(sorted(REGIMES))
        raise KeyError(f"unknown programme regime {name!r}; expected one of {known}") from None
