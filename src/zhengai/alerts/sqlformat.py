"""Alert messages and values rendered by the database, exactly as Python renders them.

A run inside the database writes its alerts with ``INSERT … SELECT``, so each
alert's ``message`` (a pack's template, see :class:`zhengai.packs.Template`) and
its ``input_values`` JSON are SQL expressions.  They must be the text Python
would produce, character for character, and SQL's number formatting is not
Python's: SQLite's ``printf`` and MariaDB's ``FORMAT``/``ROUND`` round ties
half-up on the rounded decimal (``format(0.845, '.2f')`` is ``0.84``; they say
``0.85``), and SQLite's ``json_object`` keeps 15 significant digits.  So:

* **SQLite** runs in this process: two Python functions are registered on the
  connection (:func:`register_sqlite`), ``zhengai_format`` (one placeholder,
  through the same ``format`` call as the template) and ``zhengai_json`` (the
  values object, through ``json.dumps`` as SQLAlchemy's JSON type writes it).
  Every row renders in SQL.
* **PostgreSQL**: ``to_char`` formats doubles with the C library's correctly
  rounded ``printf``, and ``float8out`` prints the shortest exact decimal
  (``extra_float_digits`` ≥ 1, set per transaction by the caller), so ``.Nf``,
  ``.N%``, ``g`` and the empty spec are rendered in SQL for ordinary
  magnitudes.  Each row also gets a predicate saying whether every placeholder
  was in that safe range; the caller renders the rest (almost never any) in
  Python.
* **MySQL/MariaDB**: no exact number formatting in SQL; every row is rendered
  in Python by the caller (in bounded chunks).

:func:`render_value` is the one-placeholder rule of ``Template.render``, shared
by the Python renderings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Integer, String, and_, case, cast, func, literal, or_
from sqlalchemy.sql import ColumnElement
from sqlalchemy.types import Text

from zhengai.packs import CompiledRule

__all__ = [
    "MessageColumns",
    "message_sql",
    "register_sqlite",
    "render_value",
    "values_json_sql",
]

Col = ColumnElement[Any]

#: The value kinds a placeholder can have in SQL.
STRING, INTEGER, NUMBER, BOOLEAN = "string", "integer", "number", "bool"


def render_value(value: object, spec: str) -> str:
    """One placeholder as ``Template.render`` fills it (missing or NaN → ``—``)."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    try:
        return format(value, spec)
    except (ValueError, TypeError):
        return str(value)


def _plain_number(value: object, kind: str) -> object:
    # What AlertSet shows: numbers as floats, booleans as booleans, ids as strings.
    if value is None:
        return None
    if kind == NUMBER:
        return float(value)  # type: ignore[arg-type]
    if kind == BOOLEAN:
        return bool(value)
    if kind == INTEGER:
        return int(value)  # type: ignore[call-overload]
    return str(value)


def _sqlite_format(value: object, spec: str, kind: str) -> str:
    return render_value(_plain_number(value, kind), spec)


def _sqlite_json(*pairs: object) -> str:
    out: dict[str, object] = {}
    for i in range(0, len(pairs), 2):
        value = pairs[i + 1]
        out[str(pairs[i])] = None if value is None else float(value)  # type: ignore[arg-type]
    return json.dumps(out)


def register_sqlite(conn: Connection) -> None:
    """Register ``zhengai_format`` and ``zhengai_json`` on a SQLite connection (idempotent)."""
    raw = conn.connection.driver_connection
    assert raw is not None
    raw.create_function("zhengai_format", 3, _sqlite_format, deterministic=True)
    raw.create_function("zhengai_json", -1, _sqlite_json, deterministic=True)


@dataclass(frozen=True)
class MessageColumns:
    """The columns a rule's alert rows offer to its message template."""

    subject_id: Col
    name: Col
    severity: Col
    streak: Col
    period: str
    values: Mapping[str, Col]
    attributes: Mapping[str, tuple[Col, str]]


def _concat(parts: Sequence[Col]) -> Col:
    if not parts:
        return literal("", String)
    out = parts[0]
    for part in parts[1:]:
        out = out + part
    return out


def message_sql(
    rule: CompiledRule, dialect: str, columns: MessageColumns
) -> tuple[Col, list[Col]] | None:
    """The rule's message as a SQL string expression, and the predicates that it is exact.

    Where a predicate is false (a magnitude outside the safe range, a format
    spec the database cannot reproduce) the message expression is not to be
    used: render that row in Python.  None when the database renders no message
    exactly (MySQL/MariaDB): render every row in Python.
    """
    if dialect not in ("sqlite", "postgresql"):
        return None
    parts: list[Col] = []
    exact: list[Col] = []
    for text, name, spec in rule.template.pieces:
        if text:
            parts.append(literal(text, String))
        if name is None:
            continue
        kind, target = rule.fields.get(name, ("", ""))
        value: Col | None
        if kind == "constant":
            parts.append(literal(render_value(rule.constants.get(target), spec), String))
            continue
        if kind == "indicator":
            value, value_kind = columns.values[target], NUMBER
        elif kind == "attribute":
            value, value_kind = columns.attributes[target]
        elif target == "subject":
            value, value_kind = columns.subject_id, STRING
        elif target == "subject_name":
            value = func.coalesce(func.nullif(columns.name, ""), columns.subject_id)
            value_kind = STRING
        elif target == "severity":
            value, value_kind = columns.severity, STRING
        elif target == "period":
            parts.append(literal(render_value(columns.period, spec), String))
            continue
        elif target == "rule":
            parts.append(literal(render_value(rule.rule.name, spec), String))
            continue
        elif target == "streak":
            value, value_kind = columns.streak, INTEGER
        else:  # an unknown placeholder renders as missing, as in Template.render
            parts.append(literal("—", String))
            continue
        if dialect == "sqlite":
            parts.append(func.zhengai_format(value, spec, value_kind, type_=String))
            continue
        rendered, ok = _postgres(value, spec, value_kind)
        parts.append(rendered)
        if ok is not None:
            exact.append(ok)
    return _concat(parts), exact


def _postgres(value: Col, spec: str, kind: str) -> tuple[Col, Col | None]:
    missing = literal("—", String)
    if kind == STRING and spec == "":
        return func.coalesce(cast(value, Text), missing), None
    if kind == INTEGER and spec in ("", "d"):
        return func.coalesce(cast(value, Text), missing), None
    if kind != NUMBER:
        return missing, literal(0, Integer) == 1
    # -0.0 prints as "-0…" in Python; PostgreSQL drops the sign in to_char.
    signed_zero = and_(value == 0, cast(value, Text).like("-%"))
    plain = or_(value.is_(None), ~signed_zero)
    fixed = _fixed_spec(spec)
    if fixed is not None:
        decimals, percent = fixed
        scaled = value * 100 if percent else value
        digits = 15 - decimals  # to_char keeps DBL_DIG (15) significant digits
        pattern = "FM" + "9" * (digits - 1) + "0" + ("." + "0" * decimals if decimals else "")
        text: Col = func.to_char(scaled, pattern, type_=String)
        if percent:
            text = text + literal("%", String)
        bound = 10.0**digits - 1
        ok = or_(value.is_(None), and_(func.abs(scaled) < bound, plain))
        return func.coalesce(text, missing), ok
    if spec == "g":
        ok = or_(value.is_(None), and_(func.abs(value) < 1e300, plain))
        return func.coalesce(_postgres_general(value), missing), ok
    if spec == "":
        shortest = cast(value, Text)
        repr_text: Col = case(
            (
                and_(func.strpos(shortest, ".") == 0, func.strpos(shortest, "e") == 0),
                shortest + literal(".0", String),
            ),
            else_=shortest,
        )
        # float8out and repr agree on fixed notation between 1e-4 and 1e15.
        size = func.abs(value)
        ordinary = or_(value == 0, and_(size >= 1e-4, size < 1e15))
        return func.coalesce(repr_text, missing), or_(value.is_(None), and_(ordinary, plain))
    return missing, literal(0, Integer) == 1


def _fixed_spec(spec: str) -> tuple[int, bool] | None:
    """``.Nf`` / ``.N%`` → (N, percent); None for any other spec."""
    if len(spec) < 3 or spec[0] != "." or spec[-1] not in "f%" or not spec[1:-1].isdigit():
        return None
    decimals = int(spec[1:-1])
    return (decimals, spec[-1] == "%") if decimals <= 10 else None


def _postgres_general(value: Col) -> Col:
    """Python's ``format(x, 'g')`` (6 significant digits) from ``to_char``'s ``%.5e``."""
    scientific = func.btrim(func.to_char(func.abs(value), "9.99999EEEE", type_=String))
    mantissa = func.split_part(scientific, "e", 1)
    exponent = cast(func.split_part(scientific, "e", 2), Integer)
    digits = func.replace(mantissa, ".", "")  # six digits
    sign = case((value < 0, literal("-", String)), else_=literal("", String))

    def strip(text: Col) -> Col:
        # Trailing zeros of the fraction, then a bare point.
        return func.regexp_replace(func.regexp_replace(text, "0+$", ""), "\\.$", "")

    whole = func.substr(digits, 1, exponent + 1)
    after = func.substr(digits, exponent + 2)
    positive = strip(whole + literal(".", String) + after)
    negative = strip(literal("0.", String) + func.repeat("0", -exponent - 1, type_=String) + digits)
    exp_text = (
        case((exponent < 0, literal("-", String)), else_=literal("+", String))
        + case((func.abs(exponent) < 10, literal("0", String)), else_=literal("", String))
        + cast(func.abs(exponent), Text)
    )
    scientific_text = strip(mantissa) + literal("e", String) + exp_text
    body = case(
        (and_(exponent >= 0, exponent < 6), positive),
        (and_(exponent < 0, exponent >= -4), negative),
        else_=scientific_text,
    )
    return sign + body


def values_json_sql(names: Sequence[str], values: Sequence[Col], dialect: str) -> Col:
    """The ``input_values`` JSON object of the rule's indicators (SQLite and PostgreSQL)."""
    pairs: list[Any] = []
    for name, value in zip(names, values, strict=True):
        pairs.extend([literal(name, String), value])
    if dialect == "sqlite":
        return func.zhengai_json(*pairs, type_=String)
    return func.json_build_object(*pairs)
