"""User-facing input errors: one line naming the file, the key and what is allowed."""

from __future__ import annotations

from pathlib import Path

#: Longest file name or key an error shows, and longest message (characters); the rest is cut with "…".
MAX_SHOWN = 300
MAX_MESSAGE = 600


def _short(text: str, limit: int = MAX_SHOWN) -> str:
    text = text.replace("\x00", "\\0")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class InputError(Exception):
    """Bad user input (scenario, region or sweep file).

    The command line prints ``str(error)`` as a single line and exits with code 2.

    Args:
        path: File the problem is in.
        key: Dotted key inside the file ("" when the file itself is the problem).
        message: What is wrong and what is allowed.
    """

    def __init__(self, path: str | Path, key: str, message: str) -> None:
        self.path = _short(str(path))
        self.key = _short(" ".join(str(key).split()))
        self.message = _short(" ".join(str(message).split()), MAX_MESSAGE)
        where = f"{self.path}: {key}: " if key else f"{self.path}: "
        super().__init__(where + self.message)
