"""The errors of frozen versions. Both are ValidationErrors keyed by field, so every view that already
turns a service's ValidationError into a 400 (or a message on the page) handles them without a 500;
a view that wants a sharper status (409 for a checksum mismatch) catches them first."""
from __future__ import annotations

from django.core.exceptions import ValidationError


class FrozenVersionError(ValidationError):
    """A write that would change a frozen version's samples, their media links or the version's own
    content (number, request, checksum, frozen flag)."""

    def __init__(self, message: str, *, field: str = "version") -> None:
        super().__init__({field: [message]})


class ChecksumMismatchError(ValidationError):
    """A frozen version whose content no longer hashes to the checksum recorded when it was frozen:
    something changed it behind the platform's back (the database edited directly, a media file
    replaced). It is not exported until a person finds out what changed."""

    def __init__(self, message: str, *, recorded: str = "", actual: str = "",
                 problems: list[str] | None = None) -> None:
        super().__init__({"checksum": [message]})
        self.recorded, self.actual, self.problems = recorded, actual, list(problems or [])
