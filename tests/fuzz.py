"""Corrupted scenario and region files for the fuzz tests: the shipped files, mutated.

``mutate`` applies one damage to a file's text: a line dropped, duplicated or garbled; a number
made non-finite, negative, huge or the wrong type; deep nesting; an odd ``name``, ``extends`` or
``region`` (a path, a NUL byte, a very long name, a file outside the allowed folders). ``corpus``
writes ``n`` such files beside copies of the library, so ``extends`` and ``region`` resolve as they
do for a user's own folder.
"""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

LIBRARY = Path(__file__).resolve().parent.parent / "scenarios"
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e-?\d+)?(?![\w.])")
ODD_NUMBERS = (
    "nan",
    "inf",
    "-inf",
    "-1",
    "0",
    "-0.5",
    "1e308",
    "-1e308",
    "1e30",
    "99999999999999999999",
    "1.5",
    '"12"',
    "true",
    "[]",
    "{}",
)
ODD_REFERENCES = (
    "/etc/passwd",
    "/proc/self/environ",
    "../../../../etc/hostname.toml",
    "../outside.toml",
    "x" * 5000 + ".toml",
    "a\\u0000b.toml",
    "",
    "baseline",
    "regions",
    "/dev/zero",
)
ODD_NAMES = ("/tmp/escape", "../../escape", "a b", "x" * 500, "", "name\\u0000", "..", "ok_name-1", "nul\\u0000/..")


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True) or ["\n"]


def mutate(text: str, rng: random.Random) -> str:
    """``text`` with one random damage (see the module docstring)."""
    lines = _lines(text)
    kind = rng.choice(
        ["drop", "duplicate", "garble", "number", "number", "number", "nesting", "name", "extends", "region", "table", "truncate"]
    )
    i = rng.randrange(len(lines))
    if kind == "drop":
        del lines[i]
    elif kind == "duplicate":
        lines.insert(i, lines[i])
    elif kind == "garble":
        chars = list(lines[i])
        for _ in range(rng.randint(1, 4)):
            if chars:
                chars[rng.randrange(len(chars))] = rng.choice("[]{}=\"'#.,\\\x00\u00e9 9-")
        lines[i] = "".join(chars)
    elif kind == "number":
        candidates = [k for k, line in enumerate(lines) if NUMBER.search(line.split("#")[0])]
        if candidates:
            k = rng.choice(candidates)
            matches = list(NUMBER.finditer(lines[k].split("#")[0]))
            m = rng.choice(matches)
            lines[k] = lines[k][: m.start()] + rng.choice(ODD_NUMBERS) + lines[k][m.end() :]
    elif kind == "nesting":
        depth = rng.choice([20, 100, 495, 3000])
        lines.insert(
            i,
            "deep = " + "[" * depth + "]" * depth + "\n" if rng.random() < 0.5 else "deep = " + "{a = " * depth + "1" + "}" * depth + "\n",
        )
    elif kind == "name":
        lines.insert(0, f'name = "{rng.choice(ODD_NAMES)}"\n')
    elif kind in ("extends", "region"):
        lines.insert(0, f'{kind} = "{rng.choice(ODD_REFERENCES)}"\n')
    elif kind == "table":
        lines.insert(i, rng.choice(["[agencies.x]\n", "[[events]]\ntype = 'deploy'\n", "[groups]\n", "events = 5\n", "[time]\n[time]\n"]))
    else:
        lines = lines[: rng.randrange(1, len(lines) + 1)]
        lines[-1] = lines[-1][: rng.randrange(len(lines[-1]) + 1)]
    return "".join(lines)


def corpus(folder: Path, n: int, seed: int) -> list[Path]:
    """``n`` corrupted scenario and region files in ``folder`` (beside copies of the library)."""
    rng = random.Random(seed)
    shutil.copytree(LIBRARY, folder, dirs_exist_ok=True)
    scenarios = sorted(p for p in folder.glob("*.toml"))
    region = folder / "regions" / "baja_sonora.toml"
    sources = [(p.name, p.read_text()) for p in scenarios]
    region_text = region.read_text()
    written = []
    for k in range(n):
        if rng.random() < 0.25:  # a damaged region file, named by a scenario that is otherwise fine
            damaged = folder / "regions" / f"fuzz_{k:05d}.toml"
            damaged.write_text(mutate(region_text, rng), errors="surrogatepass")
            path = folder / f"fuzz_{k:05d}.toml"
            path.write_text(f'extends = "baseline.toml"\nregion = "regions/{damaged.name}"\n')
        else:
            _, text = rng.choice(sources)
            path = folder / f"fuzz_{k:05d}.toml"
            path.write_text(mutate(text, rng), errors="surrogatepass")
        written.append(path)
    return written
