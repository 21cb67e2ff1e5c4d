"""Revocation of a recognition (thu hồi quyết định công nhận, Decision 26/2026 Art. 8).

The authority that recognised the rank revokes it, within 15 days of the finding, on one of
six grounds. The 15 days are calendar days, ending on the next working day if the last falls
on a weekend or holiday (see :data:`.calendar.REVOCATION`): the text says "15 days", and
Vietnamese texts say "working days" (ngày làm việc) when they mean them, as for intake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from .calendar import REVOCATION, VIETNAM, WorkingCalendar
from .regime import Level, Regime


class RevocationGround(StrEnum):
    """The six grounds for revocation (căn cứ thu hồi)."""

    UNTRUTHFUL_DOSSIER = "untruthful_dossier"
    CRITERIA_NO_LONGER_MET = "criteria_no_longer_met"
    BREACH_OF_LAW = "breach_of_law"
    MARK_MISUSE = "mark_misuse"
    PRODUCTION_STOPPED = "production_stopped"
    AUTHORITY_CONCLUSION = "authority_conclusion"

    @property
    def label_vi(self) -> str:
        """The ground in Vietnamese, as the regulation words it."""
        return LABELS_VI[self]

    @property
    def label_en(self) -> str:
        """The ground in English."""
        return LABELS_EN[self]


LABELS_VI: dict[RevocationGround, str] = {
    RevocationGround.UNTRUTHFUL_DOSSIER: "Hồ sơ không trung thực hoặc giả mạo",
    RevocationGround.CRITERIA_NO_LONGER_MET: (
        "Sản phẩm không còn đáp ứng tiêu chí theo hạng sao đã được công nhận"
    ),
    RevocationGround.BREACH_OF_LAW: (
        "Vi phạm pháp luật về chất lượng, an toàn thực phẩm, môi trường, "
        "sở hữu trí tuệ hoặc ghi nhãn hàng hóa"
    ),
    RevocationGround.MARK_MISUSE: "Sử dụng sai biểu trưng (logo) OCOP",
    RevocationGround.PRODUCTION_STOPPED: "Chủ thể ngừng sản xuất sản phẩm",
    RevocationGround.AUTHORITY_CONCLUSION: "Theo kết luận khác của cơ quan có thẩm quyền",
}

LABELS_EN: dict[RevocationGround, str] = {
    RevocationGround.UNTRUTHFUL_DOSSIER: "Untruthful or forged dossier",
    RevocationGround.CRITERIA_NO_LONGER_MET: "The product no longer meets the criteria",
    RevocationGround.BREACH_OF_LAW: (
        "Breach of quality, food-safety, environment, intellectual-property or labelling law"
    ),
    RevocationGround.MARK_MISUSE: "Misuse of the OCOP mark",
    RevocationGround.PRODUCTION_STOPPED: "Production stopped",
    RevocationGround.AUTHORITY_CONCLUSION: "Another conclusion of a competent authority",
}


@dataclass(frozen=True, slots=True)
class RevocationCase:
    """A finding that may lead to revocation, and the date by which to decide."""

    ground: RevocationGround
    found_on: date
    due_on: date


def revocation_due(finding_date: date, calendar: WorkingCalendar = VIETNAM) -> date:
    """Last day to revoke after a finding on ``finding_date`` (15 days)."""
    return REVOCATION.due(finding_date, calendar)


def open_case(ground: RevocationGround | str, found_on: date) -> RevocationCase:
    """A revocation case on ``ground`` found on ``found_on``, with its due date."""
    return RevocationCase(RevocationGround(ground), found_on, revocation_due(found_on))


def revoking_level(regime: Regime, star_rank: int) -> Level:
    """The level whose authority revokes a ``star_rank`` recognition: the one that gave it."""
    return regime.recognising_level(star_rank)
