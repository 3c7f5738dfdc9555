"""Names people give to things (benchmarks, datasets, teams, models): what is stored is what is seen.

Control characters (Unicode category Cc: NUL, ESC, ...) and format characters (Cf: the bidi
overrides and isolates such as RLO U+202E, the zero-width space U+200B and joiners, the BOM, the
soft hyphen) show as nothing or reorder the text around them, so a name can pass for another name
("report\u202Egpj.exe" shows as "reportexe.jpg") or hide text; they are removed. Lone surrogates (Cs)
cannot even be stored in PostgreSQL. Whitespace of any kind (tabs, newlines, no-break and
ideographic spaces, line separators) becomes one ordinary space between words.

The price: the zero-width joiners of emoji sequences and of some scripts go too; a name is a label,
and one that cannot be spoofed is worth more than a joined emoji.

Every service that writes a name uses name_clean() (a name is required) or name_strip() (a fallback
name is at hand).
"""
from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError

REMOVED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})


def name_strip(value: object) -> str:
    """The name without control and invisible characters, whitespace collapsed to single spaces,
    trimmed; "" when nothing visible is left."""
    kept = []
    for char in str(value):
        if char.isspace():  # tab, newline, NBSP, U+2028 ...: a word break, kept as a space
            kept.append(" ")
        elif unicodedata.category(char) not in REMOVED_CATEGORIES:
            kept.append(char)
    return " ".join("".join(kept).split())


def name_clean(value: object, *, field: str = "name", max_length: int | None = None, what: str = "The name") -> str:
    """name_strip(), cut to max_length; ValidationError({field: ...}) when nothing visible is left."""
    cleaned = name_strip(value)
    if max_length is not None:
        cleaned = cleaned[:max_length].rstrip()
    if not cleaned:
        raise ValidationError({field: f"{what} is empty once control and invisible characters are removed; "
                                      f"give one with visible characters."})
    return cleaned
