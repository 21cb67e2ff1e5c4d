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


# --- finding and ordering names -------------------------------------------------------------
#
# Vietnamese is written in Latin letters with two kinds of marks: the letter's own (ă, â, ê,
# ô, ơ, ư, and đ, a letter of its own) and the tone (à ả ã á ạ). People search without either
# ("nguyen van an" finds "Nguyễn Văn An", "d" finds "Đ"), and expect names in the order of the
# Vietnamese alphabet, tones after their base letter: the dictionary order (CLDR's "vi"). PyICU
# is not at hand, so both are done here from the Unicode decomposition.

#: The Vietnamese alphabet, the other Latin letters placed where the Latin alphabet puts them.
ALPHABET = (
    "a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "f", "g", "h", "i", "j", "k", "l", "m", "n",
    "o", "ô", "ơ", "p", "q", "r", "s", "t", "u", "ư", "v", "w", "x", "y", "z",
)  # fmt: skip
_LETTER_WEIGHT = {letter: 0x40 + i for i, letter in enumerate(ALPHABET)}
# The letter's own marks (combining breve, circumflex, horn) make another letter of the base.
_LETTER_MARKS = {"\u0306": "\u0306", "\u0302": "\u0302", "\u031b": "\u031b"}
# Tones in dictionary order after the unmarked syllable: huyền, hỏi, ngã, sắc, nặng.
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_SPACE_WEIGHT = 0x01
_DIGIT_WEIGHT = 0x10
_OTHER_WEIGHT = 0x100  # + code point: after every letter, among themselves by code point
_WIDTH = 4  # hexadecimal digits a unit's primary weight takes in a key
_END = "0" * _WIDTH  # below every weight: a name sorts before the longer names it begins


def fold(text: str) -> str:
    """``text`` as searched: without tones or letter marks, đ as d, case-folded, one space
    between words ("Nguyễn  Văn Đức" → "nguyen van duc")."""
    stripped = "".join(
        c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn"
    )
    folded = stripped.replace("đ", "d").replace("Đ", "d").casefold()
    return " ".join(folded.split())


def sort_key(text: str) -> str:
    """A key ordering names as a Vietnamese reader does, compared as a plain string.

    Three levels, as collation does: the letters (with their own marks: a < ă < â < b … d < đ),
    then the tones (a < à < ả < ã < á < ạ), then the case (lower first). The key holds only
    the characters 0-9 and a-f, so a database orders it the same under any collation."""
    primary: list[int] = []
    tones: list[int] = []
    cases: list[int] = []
    pending_space = False
    for base, marks in _clusters(unicodedata.normalize("NFD", text.strip())):
        if base.isspace():
            pending_space = bool(primary)
            continue
        weight = _weight(base, marks)
        if weight is None:
            continue  # punctuation and symbols do not order names
        if pending_space:
            primary.append(_SPACE_WEIGHT)
            tones.append(0)
            cases.append(0)
            pending_space = False
        primary.append(weight)
        tones.append(next((_TONES[m] for m in marks if m in _TONES), 0))
        cases.append(1 if base.isupper() else 0)
    return (
        "".join(f"{w:0{_WIDTH}x}" for w in primary)
        + _END
        + "".join(f"{t:x}" for t in tones)
        + "".join(f"{c:x}" for c in cases)
    )


def _clusters(decomposed: str) -> list[tuple[str, str]]:
    """(base character, the combining marks after it) of a decomposed text."""
    out: list[tuple[str, str]] = []
    for c in decomposed:
        if unicodedata.category(c) == "Mn" and out:
            out[-1] = (out[-1][0], out[-1][1] + c)
        else:
            out.append((c, ""))
    return out


def _weight(base: str, marks: str) -> int | None:
    lower = base.lower()
    if lower.isdigit() and lower.isascii():
        return _DIGIT_WEIGHT + int(lower)
    letter = lower + "".join(m for m in marks if m in _LETTER_MARKS)
    weight = _LETTER_WEIGHT.get(unicodedata.normalize("NFC", letter))
    if weight is not None:
        return weight
    if lower in _LETTER_WEIGHT:  # a Latin letter with a mark Vietnamese does not use (ç, ñ)
        return _LETTER_WEIGHT[lower]
    if unicodedata.category(base)[0] in "PSZC":
        return None
    return _OTHER_WEIGHT + min(ord(lower), 0xFFFF - _OTHER_WEIGHT)
