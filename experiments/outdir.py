"""Output folders: where a command may write, and how a finished result replaces an earlier one.

A command's ``--out`` is resolved once (``resolve_out``), before any work: a symbolic link, the
working directory or a folder that contains it, a name too long for the file system, an empty or
unusable name are refused with one line naming ``--out``. A folder is only ever replaced when it
carries ``OUTPUT_MARK`` (mandosim wrote it) or is empty; anything else is refused untouched.

``atomic_output`` writes into a new hidden sibling and swaps it in with one rename (Linux'
``renameat2(RENAME_EXCHANGE)`` where available: the old folder and the new change places in one
step), so a reader sees the old result or the new one, never a mixture, and an interrupted command
leaves the old result in place. Hidden siblings a killed command left behind are recognised by their
name and marker and removed by the next command writing the same folder.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import functools
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mandosim.model.errors import InputError

#: Written into every output folder a command makes: only such a folder (or an empty one) is replaced.
OUTPUT_MARK = ".mandosim-output"
#: Longest folder name in ``--out``, in bytes: the hidden sibling adds about 40 bytes to it
#: and file systems allow 255 bytes a name (NAME_MAX).
MAX_OUT_NAME_BYTES = 200
#: Longest ``--out`` path, in bytes (Linux' PATH_MAX is 4096; room is left for the files inside).
MAX_OUT_PATH_BYTES = 3072
_WORK_TAG = ".mandosim-"
_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


def resolve_out(value: str | os.PathLike[str] | None, default: Path, where: tuple[str, str] = ("<command line>", "--out")) -> Path:
    """The absolute output folder ``--out`` names (``default`` when not given), checked before any work.

    Args:
        value: What the user gave (``None`` when the option was left out).
        default: The command's default folder (relative to the working directory).
        where: The source and key an error names (``("<api>", "out")`` from the Python API).

    Returns:
        An absolute path whose parent folders are real (symbolic links in them resolved); the folder
        itself may not exist yet.

    Raises:
        InputError: Empty, NUL, too long, a symbolic link, the working directory or one of its parents,
            or something that is not a folder.
    """
    text = os.fspath(default if value is None else value)
    if not text.strip():
        raise InputError(*where, "empty; give a folder name, e.g. --out results/run1")
    if "\x00" in text:
        raise InputError(*where, "contains a NUL character; give a folder name")
    if len(os.fsencode(text)) > MAX_OUT_PATH_BYTES:
        raise InputError(*where, f"path is {len(os.fsencode(text)):,} bytes long; at most {MAX_OUT_PATH_BYTES:,}")
    given = Path(os.path.abspath(os.path.expanduser(text)))
    name = given.name
    if not name or name in (".", ".."):
        raise InputError(*where, "names the working directory or a folder above it; give a new folder, e.g. --out results/run1")
    too_long = [part for part in Path(text).parts if len(os.fsencode(part)) > MAX_OUT_NAME_BYTES]
    if too_long:
        raise InputError(*where, f"a folder name is {len(os.fsencode(too_long[0])):,} bytes long; at most {MAX_OUT_NAME_BYTES}")
    try:
        parent = Path(os.path.realpath(given.parent))
        out = parent / name
        if out.is_symlink():
            raise InputError(*where, "is a symbolic link; give the real folder (a link's target is never replaced)")
        cwd = Path.cwd().resolve()
        if cwd == out or cwd.is_relative_to(out):
            raise InputError(*where, "is the working directory or a folder above it; give a new folder, e.g. --out results/run1")
        if out.exists() and not out.is_dir():
            raise InputError(*where, "exists and is not a folder; choose another --out")
        above = next(p for p in (parent, *parent.parents) if p.exists())
        if not above.is_dir():
            raise InputError(*where, f"{above.name!r} above it is a file, not a folder; choose another --out")
    except OSError as error:
        raise InputError(*where, f"not a usable folder ({error.strerror or type(error).__name__})") from None
    return out


def check_replaceable(out: Path) -> None:
    """Refuse ``out`` unless it is absent, empty, or a folder mandosim wrote (``OUTPUT_MARK``).

    Raises:
        InputError: A symbolic link, not a folder, or a folder of someone else's files (nothing is changed).
    """
    if out.is_symlink():
        raise InputError(out, "", "is a symbolic link; a link's target is never replaced (nothing was changed)")
    if out.exists() and not out.is_dir():
        raise InputError(out, "", "exists and is not a folder; choose another --out")
    if out.is_dir() and not (out / OUTPUT_MARK).is_file() and any(out.iterdir()):
        raise InputError(out, "", "exists, is not empty and was not written by mandosim; choose another --out (nothing was changed)")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _work_name(out: Path, kind: str) -> str:
    return f".{out.name}{_WORK_TAG}{kind}-{os.getpid()}-{os.urandom(4).hex()}"


def remove_leftovers(out: Path) -> list[Path]:
    """Remove hidden siblings of ``out`` that a killed command left (its name, our marker, its process gone).

    Returns:
        The folders removed.
    """
    removed = []
    prefix = f".{out.name}{_WORK_TAG}"
    if not out.parent.is_dir():
        return removed
    for sibling in out.parent.iterdir():
        if not sibling.name.startswith(prefix) or sibling.is_symlink() or not sibling.is_dir():
            continue
        fields = sibling.name[len(prefix) :].split("-")
        if len(fields) != 3 or fields[0] not in ("new", "old") or not fields[1].isdigit():
            continue
        if _pid_alive(int(fields[1])) or not (sibling / OUTPUT_MARK).is_file():
            continue
        shutil.rmtree(sibling, ignore_errors=True)
        removed.append(sibling)
    return removed


@functools.cache
def _renameat2() -> Any:
    """The C library's ``renameat2`` (Linux), or ``None``."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return function


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); ``False`` where the system or file system cannot."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def swap_in(work: Path, out: Path) -> None:
    """Put the finished folder ``work`` at ``out``, removing the result it replaces (checked again first)."""
    check_replaceable(out)
    if not out.exists():
        work.rename(out)
        return
    if _exchange(work, out):
        shutil.rmtree(work)  # the old result, now under the hidden name
        return
    old = out.parent / _work_name(out, "old")
    out.rename(old)
    work.rename(out)
    shutil.rmtree(old)


@contextlib.contextmanager
def atomic_output(out: Path) -> Iterator[Path]:
    """A new hidden folder beside ``out`` to write into; on success it replaces ``out``, on failure it is removed.

    ``out`` must come from ``resolve_out``. The folder (and the files written in it) get the
    permissions the umask allows, like any folder the user makes.

    Yields:
        The folder to write the results into (it already holds ``OUTPUT_MARK``).
    """
    check_replaceable(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(out)
        work = out.parent / _work_name(out, "new")
        work.mkdir()
    except OSError as error:
        raise InputError(out, "", f"cannot make the folder ({error.strerror or type(error).__name__}); choose another --out") from None
    try:
        (work / OUTPUT_MARK).write_text("written by mandosim; the folder is replaced when the same command runs again\n")
        yield work
        swap_in(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
