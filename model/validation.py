"""Reading TOML input files and turning validation failures into one-line ``InputError`` s."""

from __future__ import annotations

import difflib
import enum
import json
import tomllib
import typing
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pydantic
from pydantic import BaseModel

from mandosim.model.errors import InputError
from mandosim.model.limits import MAX_FILE_BYTES, MAX_NESTING, nesting_depth

M = TypeVar("M", bound=BaseModel)


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file, raising ``InputError`` (with the line) on a missing file or bad syntax."""
    path = Path(path)
    try:
        if not path.is_file():
            raise InputError(path, "", "file not found")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(path, "", f"file too large: {path.stat().st_size:,} bytes (at most {MAX_FILE_BYTES:,})")
        raw = path.read_bytes()
    except (OSError, ValueError) as error:  # unreadable, a name too long, a NUL byte in the name
        raise InputError(path, "", f"cannot read the file ({type(error).__name__})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(path, "", "not a UTF-8 text file") from None
    return parse_toml(text, path)


def parse_toml(text: str, label: str | Path) -> dict[str, Any]:
    """Parse TOML text; nesting deeper than ``MAX_NESTING`` is refused before the parser sees it."""
    if len(text) > MAX_FILE_BYTES:
        raise InputError(label, "", f"file too large: {len(text):,} characters (at most {MAX_FILE_BYTES:,})")
    depth = nesting_depth(text)
    if depth > MAX_NESTING:
        raise InputError(label, "", f"tables or arrays nested {depth} deep (at most {MAX_NESTING})")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(label, "", f"TOML syntax error: {error}") from None
    except RecursionError:  # pragma: no cover - the nesting check comes first
        raise InputError(label, "", f"tables or arrays nested too deep (at most {MAX_NESTING})") from None


def _unwrap(annotation: Any) -> Any:
    """The model class or container inside Optional/Union/Annotated."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                return _unwrap(arg)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    return annotation


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Names of the fields valid at ``loc`` (the parent of the offending key)."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return []
            current = field.annotation
            continue
        origin = typing.get_origin(current)
        args = typing.get_args(current)
        if origin is dict and len(args) == 2:
            current = args[1]
        elif origin in (list, tuple) and args:
            current = args[0]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    origin = typing.get_origin(current)
    if origin is dict:
        value = _unwrap(typing.get_args(current)[1])
        if isinstance(value, type) and issubclass(value, BaseModel):
            return list(value.model_fields)
    return []


def dotted(loc: tuple[Any, ...]) -> str:
    """``("agencies", "state_bc", "officers")`` → ``agencies.state_bc.officers``; list items as ``[i]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def explain(error: dict[str, Any], model: type[BaseModel]) -> tuple[str, str]:
    """The dotted key and a one-line message for one pydantic error."""
    loc = tuple(p for p in error["loc"] if p not in ("function-after", "function-before"))
    key = dotted(loc)
    kind = error["type"]
    ctx = error.get("ctx", {}) or {}
    given = error.get("input")
    if kind == "extra_forbidden":
        valid = _fields_at(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else "allowed keys: " + ", ".join(sorted(valid))
        return key, f"unknown key; {hint}"
    if kind == "missing":
        return key, "required key is missing"
    bounds = {
        "greater_than": ("> ", "gt"),
        "greater_than_equal": (">= ", "ge"),
        "less_than": ("< ", "lt"),
        "less_than_equal": ("<= ", "le"),
    }
    if kind in bounds:
        sign, name = bounds[kind]
        return key, f"value {given!r} out of range: must be {sign}{ctx.get(name)}"
    if kind in ("literal_error", "enum"):
        return key, f"value {given!r} not allowed; allowed: {ctx.get('expected')}"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        expected = kind.removesuffix("_type").removesuffix("_parsing")
        return key, f"wrong type: got {type(given).__name__} {given!r}, expected {expected}"
    message = error["msg"].removeprefix("Value error, ")
    return key, message


def _json_value(value: Any) -> Any:
    """What ``json.dumps`` cannot write itself: NumPy scalars (from designs and samplers), enums, paths."""
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not allowed")


def validate(model: type[M], data: dict[str, Any], path: str | Path) -> M:
    """Validate ``data`` against ``model`` strictly; the first problem becomes an ``InputError``.

    Types are checked, not coerced (pydantic's strict mode, on the data as JSON so that arrays
    may fill tuples): a boolean must be a TOML boolean, a number a TOML number (an integer is
    accepted where a float is wanted), a string a string — ``horizon_days = true`` or
    ``officers = "1"`` are errors naming the key and both types.
    """
    try:
        text = json.dumps(data, default=_json_value, allow_nan=True)
    except (TypeError, ValueError) as error:
        raise InputError(path, "", f"holds a value that is not a TOML string, number, boolean, array or table ({error})") from None
    try:
        return model.model_validate_json(text, strict=True)
    except pydantic.ValidationError as error:
        first = error.errors(include_url=False)[0]
        key, message = explain(first, model)
        raise InputError(path, key, message) from None
