"""User-facing input errors: one line naming the file, the key and what is allowed."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad user input (scenario, region or sweep file).

    The command line prints ``str(error)`` as a single line and exits with code 2.

    Args:
        path: File the problem is in.
        key: Dotted key inside the file ("" when the file itself is the problem).
        message: What is wrong and what is allowed.
    """

    def __init__(self, path: str | Path, key: str, message: str) -> None:
        self.path = str(path)
        self.key = key
        self.message = " ".join(str(message).split())
        where = f"{self.path}: {key}: " if key else f"{self.path}: "
        super().__init__(where + self.message)
