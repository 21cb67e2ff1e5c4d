"""Names people give (display names, producers, products, councils, rounds): printable text.

A name is shown in pages, emails, certificates and spreadsheets; control characters (tab, line
breaks, NUL, escape, DEL and the C1 range), format characters (bidirectional overrides that
reorder what is shown, zero-width characters), unpaired surrogates and line or paragraph
separators have no place in one and are refused (422) by the schema that reads it. Vietnamese
text, composed or decomposed (combining marks are Mn, not a format character), passes.
"""

from __future__ import annotations

import unicodedata

from marshmallow import ValidationError, validate

REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def refused_character(value: str) -> str | None:
    """The first character a name may not hold, or None."""
    return next((c for c in value if unicodedata.category(c) in REFUSED_CATEGORIES), None)


class PrintableName(validate.Validator):
    """Refuses a name holding a control, format or separator character."""

    error = "A name may not hold control or formatting characters (here U+{code:04X})."

    def __call__(self, value: str) -> str:
        found = refused_character(value)
        if found is not None:
            raise ValidationError(self.error.format(code=ord(found)))
        return value


def printable_name(*, max_length: int) -> list[validate.Validator]:
    """The validators of a name field: 1 to ``max_length`` printable characters."""
    return [validate.Length(min=1, max=max_length), PrintableName()]
