"""Input limits: the types, ranges and sizes every scenario and region file must respect.

Scenario and region files are untrusted data. Every number in them is finite and inside a documented
range; every name is an identifier (never a path); every table and list has a bounded length; and a
scenario whose size (units, criminal cells, grid cells, days) would not fit this machine is refused
before anything is built, with the estimate and the limit. The ceilings below are documented in
docs/ODD.md §6 (input data); all of them are assumptions sized for a 24 GiB, 2-core machine with
room to spare for the border region (about 20 times its real forces and groups).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

#: Names of scenarios, zones, agencies, groups, states: letters, digits, ``_`` and ``-``.
IDENTIFIER_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$"
#: Longest free text (labels, descriptions, sources), in characters.
MAX_TEXT = 2_000
#: Longest file reference (``extends``, ``region``), in characters.
MAX_FILE_REFERENCE = 1_024
#: Most entries in a table of named things (zones, agencies, groups, officers per zone, ...).
MAX_NAMED = 64
#: Most events in a timeline, and most listed trust pairs.
MAX_EVENTS = 1_000
MAX_TRUST_PAIRS = MAX_NAMED * MAX_NAMED
#: Most vertices of a polygon or points of a road, and most towns, roads, ports, terrain pieces.
MAX_POINTS = 10_000
MAX_FEATURES = 1_000
#: Widest town (km) and heaviest port or entry point (relative weight).
MAX_TOWN_RADIUS_KM = 100.0
MAX_POINT_WEIGHT = 1_000.0
#: Officers of one agency in one zone (Baja California's municipal police are ~7,000 in all: FACTS: Forces).
MAX_OFFICERS_PER_ZONE = 100_000.0
#: Members of one group in one zone (~175,000 members nationally: FACTS: Criminal groups).
MAX_MEMBERS_PER_ZONE = 200_000.0
#: People in one zone or town (Tijuana: 1.9 M, FACTS: Region).
MAX_POPULATION = 50_000_000.0
#: A parameter with no natural upper bound accepts at most this multiple of its default (or of 1).
CEILING_FACTOR = 100.0
#: Longest horizon and burn-in, in days (100 and 10 years).
MAX_HORIZON_DAYS = 36_500
MAX_BURN_IN_DAYS = 3_650
#: Sizes a run may reach (estimated before anything is built).
MAX_UNITS = 20_000
MAX_CRIMINAL_CELLS = 50_000
MAX_GRID_CELLS = 400_000
#: Bytes of the run's daily records and beliefs (estimated) — a fraction of this machine's 24 GiB.
MAX_STATE_BYTES = 4 * 2**30
#: Deepest nesting of tables and arrays a TOML file may have (the schemas need 5), checked before parsing.
MAX_NESTING = 12
#: Largest scenario or region file, in bytes.
MAX_FILE_BYTES = 2_000_000

Identifier = Annotated[str, StringConstraints(pattern=IDENTIFIER_PATTERN)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
FileReference = Annotated[str, StringConstraints(min_length=1, max_length=MAX_FILE_REFERENCE, pattern=r"^[^\x00]*\.toml$")]
#: ``extends``: a ``.toml`` file, or a library scenario's bare name (``extends = "baseline"``).
ScenarioReference = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_FILE_REFERENCE, pattern=r"^([A-Za-z0-9_][A-Za-z0-9_-]{0,63}|[^\x00]*\.toml)$")
]
Share = Annotated[float, Field(ge=0, le=1)]
Officers = Annotated[float, Field(ge=0, le=MAX_OFFICERS_PER_ZONE)]
Members = Annotated[float, Field(ge=0, le=MAX_MEMBERS_PER_ZONE)]
Population = Annotated[float, Field(ge=0, le=MAX_POPULATION)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


def ceiling(default: float) -> float:
    """Upper bound of a parameter with no natural one: ``CEILING_FACTOR`` × its default (at least × 1)."""
    return CEILING_FACTOR * max(abs(float(default)), 1.0)


def nesting_depth(text: str) -> int:
    """Deepest nesting of ``[``/``{`` in TOML text, outside strings and comments (headers count their dots).

    A cheap scan run before ``tomllib`` so that a pathological file cannot make the parser recurse.
    """
    depth = deepest = 0
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        ch = text[i]
        if ch in "\"'":
            i = _after_string(text, i)
            at_line_start = False
            continue
        if ch == "#":
            newline = text.find("\n", i)
            i = n if newline < 0 else newline
            continue
        if ch == "\n":
            at_line_start = True
        elif ch == "[" and at_line_start and depth == 0:  # a table header: its dotted key's depth
            close = text.find("]", i)
            deepest = max(deepest, text[i : close if close > 0 else n].count(".") + 1)
            i = n if close < 0 else close + 1
            continue
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(0, depth - 1)
        if not ch.isspace():
            at_line_start = False
        i += 1
    return deepest


def _after_string(text: str, start: int) -> int:
    """Index just after the TOML string that opens at ``start`` (basic or literal, single or triple)."""
    quote = text[start]
    delimiter = quote * 3 if text.startswith(quote * 3, start) else quote
    i, n = start + len(delimiter), len(text)
    while i < n:
        if quote == '"' and text[i] == "\\":
            i += 2  # an escaped character never ends a basic string
            continue
        if text.startswith(delimiter, i):
            return i + len(delimiter)
        if len(delimiter) == 1 and text[i] == "\n":
            return i  # an unterminated one-line string: the parser will report it
        i += 1
    return n
