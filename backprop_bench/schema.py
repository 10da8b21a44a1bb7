"""The shape of JSON read back from a file that someone else's clone may have written.

``problem(value, hint)`` says where ``value`` departs from a type annotation (``int``,
``str | None``, ``list[dict[str, Any]]``, a ``TypedDict`` of required keys), naming the path to
the field (``sessions[0].environment.cores``), or returns ``None``. A record type states its
fields once, as annotations, and its reader checks a file against them, before any table is
made from it. JSON has one number type: an int passes for a float; a bool passes for neither,
and a float must be finite.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Iterable
from typing import Any

from backprop_bench.errors import BenchError


def problem(value: Any, hint: Any, path: str = "") -> str | None:
    """Where ``value`` does not have the type ``hint``: ``"field PATH: VALUE is not TYPE"``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    where = f"field {path}: " if path else ""
    if hint is Any:
        return None
    if origin in (typing.Union, types.UnionType):
        found = [problem(value, arg, path) for arg in args]
        if all(found):  # the first alternative that is not None says most
            return next((p for p, a in zip(found, args, strict=True) if a is not type(None)),
                        found[0])  # fmt: skip
        return None
    if typing.is_typeddict(hint):
        if not isinstance(value, dict):
            return f"{where}{_short(value)} is not an object"
        hints = typing.get_type_hints(hint)
        required = getattr(hint, "__required_keys__", ())
        missing = next((key for key in hints if key in required and key not in value), None)
        if missing is not None:
            return f"field {_join(path, missing)}: missing"
        return _first((value[k], h, _join(path, k)) for k, h in hints.items() if k in value)
    if origin is list:
        if not isinstance(value, list):
            return f"{where}{_short(value)} is not a list"
        return _first((item, args[0], f"{path}[{i}]") for i, item in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            return f"{where}{_short(value)} is not an object"
        return _first((item, args[1], _join(path, str(key))) for key, item in value.items())
    if origin is tuple:  # a fixed-length JSON array
        if not isinstance(value, list) or len(value) != len(args):
            return f"{where}{_short(value)} is not a list of {len(args)}"
        pairs = enumerate(zip(value, args, strict=True))
        return _first((item, item_hint, f"{path}[{i}]") for i, (item, item_hint) in pairs)
    if hint is type(None):
        return None if value is None else f"{where}{_short(value)} is not null"
    if hint is float:
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not math.isfinite(value):
            return f"{where}{_short(value)} is not a finite number"
        return None
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{where}{_short(value)} is not an integer"
        return None
    if not isinstance(value, hint):
        return f"{where}{_short(value)} is not {getattr(hint, '__name__', hint)}"
    return None


def _first(children: Iterable[tuple[Any, Any, str]]) -> str | None:
    """The first ``problem`` of the (value, hint, path) ``children``, or ``None``."""
    return next((found for child in children if (found := problem(*child))), None)


def check(value: Any, hint: Any, where: str) -> Any:
    """``value`` if it has the type ``hint``; else a ``BenchError``: ``where: field ...``."""
    found = problem(value, hint)
    if found:
        raise BenchError(f"{where}: {found}")
    return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
