"""A KPI as the definitions file writes it: its numerator and denominator (`Aggregate`),
exclusions, target, once-per rule, roster and settings (`KpiDefinition`), and the stages.

Validated by pydantic on reading; compiled against the data contract by `compiled`; the file
as a whole (`Definitions`) and its reading are in `definitions`.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    field_validator,
    model_validator,
)

from . import expr as ex
from .config import currency_code
from .measures import MEASURES
from .parameters import Model, Parameter, Text

ID_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
TARGET_RE = re.compile(r"^\s*(>=|<=|>|<|=)\s*([-+]?\d+(?:\.\d+)?)\s*(%?)\s*$")


def target_shorthand(text: str) -> dict[str, Any]:
    """'> 50%' -> {op: '>', value: 0.5}; 'reference 2.5' -> a reference value."""
    given = text.strip()
    kind = "target"
    if given.lower().startswith("reference"):
        kind, given = "reference", ">= " + given[len("reference") :].strip()
    match = TARGET_RE.match(given)
    if not match:
        raise ValueError(f"target {text!r} is not like '> 50%', '= 100%', '>= 2.5' or 'reference 2.5'")
    op, number, percent = match.groups()
    return {"op": op, "value": float(number) / (100 if percent else 1), "kind": kind}


class Aggregate(Model):
    """A numerator or denominator: what to count or sum over which records."""

    count: Literal["rows"] | None = None
    sum: str | None = None
    count_distinct: str | None = None
    where: str | None = None
    where_all: str | None = None
    label: Text | None = None
    # a measure of `measures.MEASURES` beyond the three above: (name, column)
    _more: tuple[str, str] | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _one_measure(cls, data: Any, handler: ModelWrapValidatorHandler[Aggregate]) -> Aggregate:
        more = {}
        if isinstance(data, dict):
            more = {k: v for k, v in data.items() if k in MEASURES and k not in cls.model_fields}
            data = {k: v for k, v in data.items() if k not in more} if more else data
        agg = handler(data)
        given = [name for name in MEASURES if getattr(agg, name, None) is not None or name in more]
        if len(given) != 1:
            raise ValueError("give exactly one of count: rows, sum: COLUMN, count_distinct: COLUMN")
        if agg.where_all is not None and agg.count_distinct is None:
            raise ValueError("where_all goes with count_distinct (it counts groups whose every row passes)")
        if more:
            agg._more = (given[0], str(more[given[0]]))
        return agg

    @property
    def measure(self) -> str:
        if self._more is not None:
            return self._more[0]
        if self.sum is not None:
            return "sum"
        return "count_distinct" if self.count_distinct is not None else "count"

    @property
    def column(self) -> str | None:
        """The column the measure reads (None: `count: rows`)."""
        if self._more is not None:
            return self._more[1] if MEASURES[self._more[0]].reads != "rows" else None
        return self.sum or self.count_distinct


class Exclusion(Model):
    when: str
    reason: Text


class Target(Model):
    """A target (judged met/missed), a benchmark (judged, labelled as the guide's figure) or a
    reference value (shown, never judged). `currency`: the money a currency figure is in
    (default: the definitions file's `currency`); a store in another currency is not judged."""

    op: Literal[">", ">=", "=", "<", "<="] = ">="
    value: float
    kind: Literal["target", "benchmark", "reference"] = "target"
    currency: str | None = None

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str | None) -> str | None:
        return None if value is None else currency_code(value)


class OncePer(Model):
    """Each value of `key` counts once in the period (once a day with `by_day`): its latest
    record, or its latest where `prefer` holds. `when`: a condition on the KPI's settings
    (e.g. "counting_unit == 'visit'") that switches it on; absent, it is always on."""

    key: str
    reason: Text  # why the other records are left out, shown with their count
    by_day: bool = False
    prefer: str | None = None
    when: str | None = None


class Roster(Model):
    role: Literal["advisor", "technician"]
    column: str  # the column on this KPI's sheet holding the staff member's name


class Stage(Model):
    id: str = Field(pattern=ID_PATTERN)
    name: Text
    purpose: Text | None = None


class KpiDefinition(Model):
    id: str = Field(pattern=ID_PATTERN)
    name: Text
    stage: str
    sheet: str
    period: str
    unit: Literal["percent", "hours", "currency", "number"] = "percent"
    description: Text | None = None
    numerator: Aggregate
    denominator: Aggregate
    exclude: list[Exclusion] = []  # noqa: RUF012 (a pydantic model: copied)
    target: Target | None = None
    # a later record can still change the month's figure: days after the period ends (or
    # the name of a days setting), and why, in words shown with the result
    provisional_days: int | str | None = None
    provisional_reason: Text | None = None
    # each value of `key` counts once, at its latest record in the period (by the period column)
    once_per: OncePer | None = None
    # divide by the staff roster of this role (advisor / technician) when a staff sheet is given
    roster: Roster | None = None
    parameters: dict[str, Parameter] = {}  # noqa: RUF012
    obstacles: list[Text] = []  # noqa: RUF012
    notes: list[Text] = []  # noqa: RUF012

    @field_validator("provisional_days")
    @classmethod
    def _days_in_range(cls, value: int | str | None) -> int | str | None:
        if isinstance(value, int) and not 0 <= value <= 3650:
            raise ValueError("provisional_days must be between 0 and 3650")
        return value

    @field_validator("parameters")
    @classmethod
    def _parameter_names(cls, value: dict[str, Parameter]) -> dict[str, Parameter]:
        for name in value:
            if not re.match(ID_PATTERN, name) or name.lower() in ex.KEYWORDS | set(ex.FUNCTIONS):
                raise ValueError(f"setting name {name!r} must be lower_snake_case and not a keyword")
        return value

    @field_validator("target", mode="before")
    @classmethod
    def _target_shorthand(cls, value: Any) -> Any:
        """Accept '> 50%', '= 100%', '>= 2.5' as well as a mapping."""
        if isinstance(value, str):
            return target_shorthand(value)
        return value

    @property
    def is_count_ratio(self) -> bool:
        return self.numerator.measure != "sum" and self.denominator.measure != "sum"
