"""Numbers checked against exactly what their column stores: digits, places, sign, finite.

A value the database cannot hold is refused with a message naming the field, the limit and
the unit; it is never rounded. Rounding breaks the risk limits: a NUMERIC(20, 6) column
turns ``price_collar_bps = 0.0000001`` into 0, which the CHECK (> 0) then refuses on every
later save of the row.

``column_spec`` derives the rules from the model field and its single-field CHECK constraints,
so a new constraint tightens every interface at once; ``number_parse`` applies them. The DRF
field, the form field and the argparse type in this module wrap the same two functions.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any, TypedDict

from django import forms
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

SQLITE_DECIMAL_DIGITS = 15
_BOUNDS = {"gt": ("minimum", True), "gte": ("minimum", False)}
_BOUNDS |= {"lt": ("maximum", True), "lte": ("maximum", False)}


class DecimalDigits(TypedDict):
    """The digits of a ``DecimalField``, kept once per app and spread into each field."""

    max_digits: int
    decimal_places: int


class NumberRefused(ValueError):
    """A number its column cannot hold; the message says which field, limit and unit."""


@dataclass(frozen=True)
class ColumnSpec:
    """What one numeric column stores: ``max_digits`` digits, ``decimal_places`` of them after
    the point (0 for integers), and the bounds of its CHECK constraints."""

    label: str
    unit: str
    max_digits: int
    decimal_places: int
    significant_digits: int | None = None
    minimum: Decimal | None = None
    minimum_exclusive: bool = False
    maximum: Decimal | None = None
    maximum_exclusive: bool = False

    @property
    def step(self) -> Decimal:
        return Decimal(1).scaleb(-self.decimal_places)

    @property
    def largest(self) -> Decimal:
        """The largest magnitude the column's digits hold, e.g. 99999999999999.999999."""
        return Decimal(10) ** (self.max_digits - self.decimal_places) - self.step

    def describe(self) -> str:
        """The accepted range in words, for help texts and the API schema."""
        low = "" if self.minimum is None else f"{'>' if self.minimum_exclusive else '≥'} "
        low += "" if self.minimum is None else f"{self.minimum} "
        digits = f", {self.significant_digits} significant" if self.significant_digits else ""
        return (
            f"{self.unit}; {low}at most {self.largest:f}, "
            f"at most {self.decimal_places} decimal places{digits}"
        )


def column_spec(model: type[models.Model], field_name: str, *, unit: str) -> ColumnSpec:
    """The storage rules of ``model.field_name`` (a DecimalField, FloatField or an integer
    field)."""
    field = model._meta.get_field(field_name)
    bounds: dict[str, Any] = {}
    if isinstance(field, models.FloatField):
        # A double keeps 15 significant digits; a 16th would come back rounded.
        digits, places = 2 * SQLITE_DECIMAL_DIGITS, SQLITE_DECIMAL_DIGITS
        bounds["significant_digits"] = SQLITE_DECIMAL_DIGITS
    elif isinstance(field, models.DecimalField):
        digits, places = field.max_digits, field.decimal_places
        # SQLite keeps a decimal as a double and Django reads it back with 15 significant
        # digits; the same limit on PostgreSQL keeps one API contract on both databases.
        bounds["significant_digits"] = min(digits, SQLITE_DECIMAL_DIGITS)
    else:
        # The narrowest range any supported database gives this integer type (PostgreSQL's).
        low, high = BaseDatabaseOperations.integer_field_ranges[field.get_internal_type()]
        digits, places = len(str(high)), 0
        bounds = {"minimum": Decimal(low), "maximum": Decimal(high)}
    for lookup, value in _constraint_bounds(model, field_name):
        side, exclusive = _BOUNDS[lookup]
        bounds[side], bounds[f"{side}_exclusive"] = Decimal(value), exclusive
    return ColumnSpec(field_name, unit, digits, places, **bounds)


def _constraint_bounds(model: type[models.Model], field_name: str) -> list[tuple[str, Any]]:
    """``(lookup, value)`` of every bound a CHECK puts on this field alone: ``Q(f__gt=0)``,
    optionally OR-ed with ``Q(f__isnull=True)``. Constraints over several fields are left to
    the database (and the API's IntegrityError handling)."""
    found = []
    for constraint in model._meta.constraints:
        condition = getattr(constraint, "condition", None)
        if not isinstance(condition, models.Q) or condition.negated:
            continue
        leaves = [child for child in condition.children if isinstance(child, tuple)]
        if len(leaves) != len(condition.children):
            continue
        names = [name.split("__") for name, _ in leaves]
        if any(parts[0] != field_name or len(parts) != 2 for parts in names):
            continue
        bounds = [(parts[1], value) for parts, (_, value) in zip(names, leaves, strict=True)]
        nulls = [pair for pair in bounds if pair == ("isnull", True)]
        bounds = [pair for pair in bounds if pair[0] in _BOUNDS]
        if len(bounds) + len(nulls) != len(leaves):
            continue
        if condition.connector == models.Q.AND or (nulls and len(bounds) == 1):
            found.extend(bounds)
    return found


def number_parse(raw: object, spec: ColumnSpec) -> Decimal:
    """``raw`` (text, int, Decimal or float) as the Decimal its column stores exactly, or
    ``NumberRefused`` saying why not."""
    value = _as_decimal(raw, spec)
    # Bounds first: an integer column's range (2147483647) says more than its digit count.
    _check_bounds(value, spec, raw)
    if abs(value) > spec.largest:
        raise NumberRefused(
            f"{spec.label} is at most {spec.largest:f} {spec.unit} (the column holds "
            f"{spec.max_digits} digits, {spec.decimal_places} after the point), not {raw}"
        )
    with localcontext() as context:
        context.prec = spec.max_digits + 2
        stored = value.quantize(spec.step)
    if stored != value:
        raise NumberRefused(
            f"{spec.label} takes at most {spec.decimal_places} decimal places (steps of "
            f"{spec.step:f} {spec.unit}); {raw} would be stored as {stored:f}"
        )
    if (
        spec.significant_digits
        and len(value.normalize().as_tuple().digits) > spec.significant_digits
    ):
        raise NumberRefused(
            f"{spec.label} keeps at most {spec.significant_digits} significant digits, "
            f"not {raw} ({spec.unit})"
        )
    return value


def _as_decimal(raw: object, spec: ColumnSpec) -> Decimal:
    if isinstance(raw, bool) or raw is None:
        raise NumberRefused(f"{spec.label} must be a number in {spec.unit}, not {raw!r}")
    # repr, not the binary expansion: a JSON 0.1 means the decimal 0.1.
    text = repr(raw) if isinstance(raw, float) else str(raw).strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise NumberRefused(f"{spec.label} must be a number in {spec.unit}, not {raw!r}") from None
    if not value.is_finite():
        raise NumberRefused(f"{spec.label} must be a finite number in {spec.unit}, not {raw}")
    return value


def _check_bounds(value: Decimal, spec: ColumnSpec, raw: object) -> None:
    if spec.minimum is not None and (
        value < spec.minimum or (spec.minimum_exclusive and value == spec.minimum)
    ):
        words = "greater than" if spec.minimum_exclusive else "at least"
        raise NumberRefused(f"{spec.label} must be {words} {spec.minimum} {spec.unit}, not {raw}")
    if spec.maximum is not None and (
        value > spec.maximum or (spec.maximum_exclusive and value == spec.maximum)
    ):
        words = "less than" if spec.maximum_exclusive else "at most"
        raise NumberRefused(f"{spec.label} must be {words} {spec.maximum} {spec.unit}, not {raw}")


class DecimalJSONParser(JSONParser):
    """JSON with its non-integer numbers read as Decimal: a float would already have rounded
    12345678901234.123456 to 12345678901234.123 before any check could see it."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding", "utf-8")
        try:
            text = stream.read().decode(encoding)
            return json.loads(text, parse_float=Decimal, parse_constant=json.strict_constant)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


class _ColumnField(serializers.Field):
    """DRF input field for one column: JSON numbers and strings alike, refused (400, naming
    the field, limit and unit) when the column cannot hold them exactly."""

    def __init__(self, spec: ColumnSpec, **kwargs: Any) -> None:
        self.spec = spec
        kwargs.setdefault("help_text", spec.describe())
        super().__init__(**kwargs)

    def parsed(self, data: object) -> Decimal:
        try:
            return number_parse(data, self.spec)
        except NumberRefused as refused:
            raise serializers.ValidationError(str(refused)) from None

    def to_representation(self, value: Decimal) -> str:
        return str(value)


@extend_schema_field(OpenApiTypes.DECIMAL)
class ColumnDecimalField(_ColumnField):
    """A decimal column's field: hands the service a ``Decimal``."""

    def to_internal_value(self, data: object) -> Decimal:
        return self.parsed(data)


@extend_schema_field(OpenApiTypes.INT)
class ColumnIntegerField(_ColumnField):
    """An integer column's field: hands the service an ``int``."""

    def to_internal_value(self, data: object) -> int:
        return int(self.parsed(data))


class ColumnFormField(forms.Field):
    """Admin form field with the API's rules and messages (Django's DecimalField would say
    "no more than 6 decimal places" without the field or unit, and accepts what a CHECK
    refuses)."""

    widget = forms.TextInput

    def __init__(self, spec: ColumnSpec, **kwargs: Any) -> None:
        self.spec = spec
        kwargs.setdefault("help_text", spec.describe())
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Decimal | None:
        if value in self.empty_values:
            return None
        try:
            return number_parse(value, self.spec)
        except NumberRefused as refused:
            raise forms.ValidationError(str(refused), code="invalid") from None


def range_spec(
    label: str,
    unit: str,
    *,
    minimum: int | str,
    maximum: int | str,
    decimal_places: int = 0,
    minimum_exclusive: bool = False,
    maximum_exclusive: bool = False,
) -> ColumnSpec:
    """The rules of a number no column stores (a port, a timeout, a count of sessions): its
    range and how many decimal places it is given in. Digits follow from the maximum, so a
    value past it is refused by its range, never by a digit count the user cannot see."""
    low, high = Decimal(minimum), Decimal(maximum)
    whole_digits = len(str(int(max(abs(low), abs(high)))))
    return ColumnSpec(
        label,
        unit,
        max_digits=whole_digits + 1 + decimal_places,
        decimal_places=decimal_places,
        minimum=low,
        minimum_exclusive=minimum_exclusive,
        maximum=high,
        maximum_exclusive=maximum_exclusive,
    )


def column_argument(spec: ColumnSpec, *, as_float: bool = False) -> Any:
    """An argparse ``type=`` for a command option stored in (or looked up by) this column;
    a refusal is a usage error (exit 2) naming the option, the limit and the unit.
    ``as_float`` hands the command a float, for an option a service takes as one."""

    def parse(text: str) -> int | float | Decimal:
        try:
            value = number_parse(text, spec)
        except NumberRefused as refused:
            raise argparse.ArgumentTypeError(str(refused)) from None
        if as_float:
            return float(value)
        return int(value) if spec.decimal_places == 0 else value

    parse.__name__ = spec.label  # argparse names the type in "invalid <name> value"
    return parse
