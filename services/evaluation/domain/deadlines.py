"""The evaluation service's time limits, counted on the shared calendar (``shared.calendar``).

Both are in calendar days, ending on the next working day when the last falls on a day off
(Civil Code Art. 148.5): the texts say "45 days" and "15 days", and Vietnamese texts say
"working days" (ngày làm việc) when they mean them, as for the commune's intake (the
registration service's, ``services.registration.domain.intake``).
"""

from __future__ import annotations

from shared.calendar import Deadline

#: A re-evaluation is decided within 45 days of a complete dossier (docs/domain.md#certificates).
REEVALUATION_DECISION = Deadline("reevaluation_decision", 45, working_days=False)
#: The recognising authority revokes within 15 days of the finding (26/2026 Art. 8).
REVOCATION = Deadline("revocation", 15, working_days=False)
