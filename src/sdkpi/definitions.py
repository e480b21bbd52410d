"""KPI definitions: the YAML file, validated into typed models.

The file is untrusted (definitions get passed between dealerships): YAML is read
with a safe loader that also rejects duplicate keys, models are validated by
pydantic, every expression is parsed by the whitelisted parser in `expr` and
type-checked against the data contract. Every error names the KPI, the field,
what was expected and the line in the file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from . import expr as ex
from .config import currency_code, default_definitions_path
from .contract import SHEETS
from .errors import DefinitionError, ExpressionError
from .suggest import did_you_mean
from .evaluate import DATETIME, NUMBER, infer, kind_of
from .measures import MEASURES
from .yaml_lines import LineDict, YamlProblem, load_yaml

if TYPE_CHECKING:
    from .config import Config
    from .store_settings import TargetRow

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


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Model):
    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


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


# --------------------------------------------------------------------------- named settings

SETTING_UNITS = ("min", "h", "d", "cd", "number", "percent", "bool", "text", "list")
_DURATION_TEXT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(min|h|cd|d|w)\s*$")


class Parameter(Model):
    """A named setting of a KPI: a choice the guide leaves open, with its default.

    Its conditions use it by name; `sdkpi.toml` may change its value per store
    (`[settings] kpi_id.name = value`). Units: min/h/d (a duration; a number in this unit
    or a text like '45min'), cd (calendar days, see `expr`), number, percent, bool,
    text (one of `choices` when given), list (texts, used after `in`).
    """

    default: bool | float | str | list[str] | None
    unit: Literal["min", "h", "d", "cd", "number", "percent", "bool", "text", "list"]
    meaning: Text
    choices: list[str] | None = None

    @model_validator(mode="after")
    def _default_fits(self) -> Parameter:
        self.checked(self.default)
        return self

    def checked(self, value: Any) -> Any:
        """The value as this setting holds it, or ValueError saying what it must be."""
        unit = self.unit
        if value is None:
            if unit in ("min", "h", "d", "cd"):
                return None  # a duration left open: no limit
            raise ValueError(f"a {_unit_words(unit)} is needed, not an empty value")
        if unit in ("min", "h", "d", "cd"):
            if isinstance(value, str):
                match = _DURATION_TEXT.match(value)
                if not match:
                    raise ValueError(f"{value!r} is not a duration like 30min, 24h, 90d or 90cd")
                number, given = float(match.group(1)), match.group(2)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                number, given = float(value), unit
            else:
                raise ValueError(f"{value!r} is not a duration (a number of {unit}, or like 30min)")
            if not 0 <= number <= 100_000:
                raise ValueError(f"{value!r} is out of range (0 to 100000)")
            if given == "cd" and not number.is_integer():
                raise ValueError(f"calendar days are whole days, not {value!r}")
            return f"{number:g}{given}"
        if unit in ("number", "percent"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{value!r} is not a number")
            return float(value)
        if unit == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"{value!r} is not true or false")
            return value
        if unit == "text":
            if not isinstance(value, str):
                raise ValueError(f"{value!r} is not a text")
            if self.choices is not None and value not in self.choices:
                raise ValueError(f"{value!r} is not one of {', '.join(self.choices)}")
            return value
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{value!r} is not a list of texts like ['internal']")
        if self.choices is not None and (bad := [v for v in value if v not in self.choices]):
            raise ValueError(f"{bad[0]!r} is not one of {', '.join(self.choices)}")
        return list(value)


def _unit_words(unit: str) -> str:
    return {"bool": "true or false", "list": "list", "text": "text"}.get(unit, "number")


def param_node(value: Any, unit: str) -> ex.ParamValue:
    """A checked setting value as the literal its conditions are parsed with."""
    if value is None:
        return ex.Literal(None)
    if unit in ("min", "h", "d", "cd"):
        number, given = _DURATION_TEXT.match(value).groups()  # type: ignore[union-attr]
        return ex.Duration(ex.DURATION_UNITS[given] * float(number), value, given == "cd")
    if unit == "list":
        return tuple(ex.Literal(v) for v in value)
    return ex.Literal(value)


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
    exclude: list[Exclusion] = []
    target: Target | None = None
    # a later record can still change the month's figure: days after the period ends (or
    # the name of a days setting), and why, in words shown with the result
    provisional_days: int | str | None = None
    provisional_reason: Text | None = None
    # each value of `key` counts once, at its latest record in the period (by the period column)
    once_per: OncePer | None = None
    # divide by the staff roster of this role (advisor / technician) when a staff sheet is given
    roster: Roster | None = None
    parameters: dict[str, Parameter] = {}
    obstacles: list[Text] = []
    notes: list[Text] = []

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


class Definitions(Model):
    version: int = 1
    # the money currency figures and targets are in, unless a target says otherwise
    currency: str = "CNY"
    stages: list[Stage]
    kpis: list[KpiDefinition]
    # columns beyond the data contract that custom KPIs read, per sheet: {column: type}
    extra_columns: dict[str, dict[str, Literal["text", "number", "bool", "datetime", "date"]]] = {}
    # a store's own settings, targets and currency (`for_store`); empty: the file as written
    _store: StoreOverrides | None = PrivateAttr(default=None)

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        return currency_code(value)

    @property
    def store_overrides(self) -> StoreOverrides | None:
        return self._store

    def for_store(self, config: Config, store: str | None = None) -> Definitions:
        """These definitions with a store's `sdkpi.toml` applied: settings, targets, currency.

        Every setting and target is checked against the KPIs here (unknown KPI or setting,
        a value of the wrong kind: exit 2 naming the file and line). Settings are resolved
        once, when the KPIs are compiled: no per-row cost.
        """
        overrides = build_overrides(self, config, store)
        if overrides is None:
            return self
        copy = self.model_copy()
        copy._store = overrides
        copy.__dict__.pop("compiled", None)
        return copy

    @property
    def store_currency(self) -> str:
        if self._store is not None and self._store.currency is not None:
            return self._store.currency
        return self.currency

    def kpi(self, kpi_id: str) -> KpiDefinition:
        for kpi in self.kpis:
            if kpi.id == kpi_id:
                return kpi
        raise DefinitionError(
            f"unknown KPI {kpi_id!r}{did_you_mean(kpi_id, {k.id for k in self.kpis})}", kpi=kpi_id
        )

    def stage(self, stage_id: str) -> Stage:
        return next(s for s in self.stages if s.id == stage_id)

    def column_types(self, sheet: str) -> dict[str, str]:
        """Contract type of every column a KPI on this sheet may read."""
        types: dict[str, str] = {c.name: c.type for c in SHEETS[sheet].columns}
        types.update(self.extra_columns.get(sheet, {}))
        return types

    @cached_property
    def compiled(self) -> dict[str, CompiledKpi]:
        store = self._store
        return {
            kpi.id: compile_kpi(
                kpi,
                self.column_types(kpi.sheet),
                store.settings.get(kpi.id) if store else None,
                targets=store.targets_for(kpi.id) if store else (),
                currency=self.store_currency,
                catalog_currency=self.currency,
                settings_source=store.source if store else None,
            )
            for kpi in self.kpis
        }


# --------------------------------------------------------------------------- compiled form


@dataclass(frozen=True)
class SettingUsed:
    """A named setting as a computation used it: shown by `explain` and the report."""

    name: str
    value: Any  # as checked: '30min', 90.0, True, 'ro', ['internal'] or None (no limit)
    unit: str
    meaning: dict[str, str]
    default: Any
    source: str  # "definitions" or the sdkpi.toml file that changed it

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class TargetRule:
    """A store's target for a KPI from a month on (sdkpi.toml `[targets]` or a targets file)."""

    kpi: str
    store: str | None  # None: every store
    from_month: str | None  # 'YYYY-MM'; None: every month
    target: Target | None  # None: no target from that month (report only)
    source: str  # "sdkpi.toml:7" / "targets.csv:4"
    order: int = 0  # later entries win a tie


@dataclass(frozen=True)
class CompiledKpi:
    """A definition with its expressions parsed and the columns it reads."""

    definition: KpiDefinition
    exclusions: tuple[tuple[Exclusion, ex.Node], ...]
    numerator_where: ex.Node | None
    numerator_where_all: ex.Node | None
    denominator_where: ex.Node | None
    denominator_where_all: ex.Node | None
    columns: frozenset[str]
    settings: tuple[SettingUsed, ...] = ()
    targets: tuple[TargetRule, ...] = ()  # the store's, most specific first
    currency: str = "CNY"  # the store's money
    catalog_currency: str = "CNY"  # the definitions file's
    provisional_days: int | None = None
    once_per_prefer: ex.Node | None = None  # once_per.prefer, parsed
    once_per_on: bool = False  # once_per applies with the settings in force

    def setting(self, name: str) -> Any:
        return next(s.value for s in self.settings if s.name == name)

    def target_for(self, period_start: date) -> tuple[Target | None, str, str | None]:
        """(target, where it comes from, its currency) in force at `period_start`."""
        month = f"{period_start:%Y-%m}"
        for rule in self.targets:
            if rule.from_month is None or rule.from_month <= month:
                currency = self.currency if self.definition.unit == "currency" else None
                if rule.target is not None and rule.target.currency is not None:
                    currency = rule.target.currency
                return rule.target, rule.source, currency
        target = self.definition.target
        currency = None
        if self.definition.unit == "currency" and target is not None:
            currency = target.currency or self.catalog_currency
        return target, "definitions", currency


def _parse_checked(
    text: str | None, field: str, kinds: dict[str, str], params: dict[str, ex.ParamValue] | None = None
) -> ex.Node | None:
    if text is None:
        return None
    try:
        node = ex.fold(ex.parse(text, params))
        kind = infer(node, kinds)
    except ExpressionError as err:
        message = err.message
        if err.column and params and "did you mean" not in message:
            message += did_you_mean(err.column, set(params)).replace(
                "did you mean", "did you mean the setting"
            )
        raise ExpressionError(f"{field}: {message}", column=err.column, value=text) from None
    if kind != "bool":
        raise ExpressionError(f"{field}: {text!r} is a {kind} value, not a condition", value=text)
    if isinstance(node, ex.Literal) and node.value is True:
        return None  # the settings in force leave no condition
    return node


def _settings_used(
    kpi: KpiDefinition, kinds: dict[str, str], values: Mapping[str, Any] | None, source: str | None
) -> tuple[SettingUsed, ...]:
    used = []
    for name, param in kpi.parameters.items():
        if name in kinds:
            raise DefinitionError(f"parameters: setting {name!r} has the name of a column of {kpi.sheet}")
        given = values is not None and name in values
        value = param.checked(values[name] if given else param.default)  # type: ignore[index]
        used.append(
            SettingUsed(
                name,
                value,
                param.unit,
                param.meaning.model_dump(),
                param.checked(param.default),
                (source or "sdkpi.toml") if given else "definitions",
            )
        )
    return tuple(used)


def compile_kpi(
    kpi: KpiDefinition,
    column_types: dict[str, str],
    values: Mapping[str, Any] | None = None,
    *,
    targets: tuple[TargetRule, ...] = (),
    currency: str = "CNY",
    catalog_currency: str = "CNY",
    settings_source: str | None = None,
) -> CompiledKpi:
    """Parse and type-check a KPI's conditions with its settings (`values`: a store's own)."""
    kinds = {name: kind_of(t) for name, t in column_types.items()}
    settings = _settings_used(kpi, kinds, values, settings_source)
    params = {s.name: param_node(s.value, s.unit) for s in settings}
    used: set[str] = {kpi.period}
    parsed: dict[str, ex.Node | None] = {}
    for side, agg in (("numerator", kpi.numerator), ("denominator", kpi.denominator)):
        for attr in ("where", "where_all"):
            node = _parse_checked(getattr(agg, attr), f"{side}.{attr}", kinds, params)
            parsed[f"{side}.{attr}"] = node
            used |= ex.columns(node) if node is not None else set()
        column = agg.column
        if column is not None:
            if column not in kinds:
                raise DefinitionError(
                    f"{side}: unknown column {column!r}{did_you_mean(column, set(kinds))}", column=column
                )
            if MEASURES[agg.measure].reads == "number" and kinds[column] != NUMBER:
                raise DefinitionError(
                    f"{side}.{agg.measure}: column {column!r} is not a number column", column=column
                )
            used.add(column)
    exclusions = []
    for i, exclusion in enumerate(kpi.exclude):
        node = _parse_checked(exclusion.when, f"exclude[{i}].when", kinds, params)
        if node is None:
            node = ex.Literal(True)  # the settings make it leave out every row
        elif isinstance(node, ex.Literal) and node.value is False:
            continue  # the settings in force switch this exclusion off
        exclusions.append((exclusion, node))
        used |= ex.columns(node)
    if kpi.period not in kinds:
        raise DefinitionError(
            f"period: unknown column {kpi.period!r}{did_you_mean(kpi.period, set(kinds))}", column=kpi.period
        )
    if kinds[kpi.period] != DATETIME:
        raise DefinitionError(f"period: column {kpi.period!r} is not a date or datetime column")
    key = SHEETS[kpi.sheet].key
    if key is not None and "named_by" in _all_text(kpi):
        used.add(key)
    for where, column in (
        ("once_per.key", kpi.once_per.key if kpi.once_per else None),
        ("roster.column", kpi.roster.column if kpi.roster else None),
    ):
        if column is not None and column not in kinds:
            raise DefinitionError(f"{where}: unknown column {column!r}{did_you_mean(column, set(kinds))}")
    if kpi.roster is not None:
        used.add(kpi.roster.column)
    once_prefer, once_on = _once_per(kpi, kinds, params, used)
    if once_on and kpi.once_per is not None:  # read only when on: a column read is one checked
        used.add(kpi.once_per.key)
    return CompiledKpi(
        kpi,
        tuple(exclusions),
        parsed["numerator.where"],
        parsed["numerator.where_all"],
        parsed["denominator.where"],
        parsed["denominator.where_all"],
        frozenset(used),
        settings,
        targets,
        currency,
        catalog_currency,
        _provisional_days(kpi, settings),
        once_prefer,
        once_on,
    )


def _once_per(
    kpi: KpiDefinition, kinds: dict[str, str], params: dict[str, ex.ParamValue], used: set[str]
) -> tuple[ex.Node | None, bool]:
    once = kpi.once_per
    if once is None:
        return None, False
    if once.when is not None:
        switch = ex.fold(ex.parse(once.when, params))
        if not (isinstance(switch, ex.Literal) and isinstance(switch.value, bool)):
            raise DefinitionError("once_per.when: must be a condition on the KPI's settings only")
        if not switch.value:
            return None, False
    prefer = _parse_checked(once.prefer, "once_per.prefer", kinds, params)
    if prefer is not None:
        used |= ex.columns(prefer)
    return prefer, True


def _provisional_days(kpi: KpiDefinition, settings: tuple[SettingUsed, ...]) -> int | None:
    """`provisional_days`: a number, or the name of a days setting (its value; none: not provisional)."""
    days = kpi.provisional_days
    if not isinstance(days, str):
        return days
    setting = next((s for s in settings if s.name == days), None)
    if setting is None or setting.unit not in ("d", "cd"):
        raise DefinitionError(f"provisional_days: {days!r} is not a days setting of this KPI")
    if setting.value is None:
        return None
    number, unit = _DURATION_TEXT.match(setting.value).groups()  # type: ignore[union-attr]
    return math.ceil(ex.DURATION_UNITS[unit] * float(number) / timedelta(days=1))


def _all_text(kpi: KpiDefinition) -> str:
    parts = [kpi.numerator.where, kpi.numerator.where_all, kpi.denominator.where, kpi.denominator.where_all]
    parts += [e.when for e in kpi.exclude]
    return " ".join(p for p in parts if p)


# --------------------------------------------------------------------------- a store's own


@dataclass(frozen=True)
class StoreOverrides:
    """A store's `sdkpi.toml` as checked against the KPIs."""

    source: str  # the config file
    store: str | None
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    targets: tuple[TargetRule, ...] = ()
    currency: str | None = None

    def targets_for(self, kpi_id: str) -> tuple[TargetRule, ...]:
        """The rules for this KPI and store, most specific first (see `sdkpi.store_settings`)."""
        mine = [
            r
            for r in self.targets
            if r.kpi == kpi_id and (r.store is None or _same_store(r.store, self.store))
        ]
        return tuple(
            sorted(mine, key=lambda r: (r.store is not None, r.from_month or "", r.order), reverse=True)
        )


def _same_store(a: str, b: str | None) -> bool:
    return b is not None and a.strip().casefold() == b.strip().casefold()


def build_overrides(definitions: Definitions, config: Config, store: str | None) -> StoreOverrides | None:
    """Check a config's settings, targets and currency against the KPIs (exit 2 on a mistake)."""
    from .errors import UsageError

    if not config.changes_kpis:
        return None
    source = str(config.file) if config.file else "sdkpi.toml"
    ids = {kpi.id for kpi in definitions.kpis}
    settings: dict[str, dict[str, Any]] = {}
    for kpi_id, values in config.settings.items():
        line = config.setting_lines.get(f"settings.{kpi_id}")
        if kpi_id not in ids:
            raise UsageError(
                f"settings: unknown KPI {kpi_id!r}{did_you_mean(kpi_id, ids)}", file=source, line=line
            )
        kpi = definitions.kpi(kpi_id)
        for name, value in values.items():
            line = config.setting_lines.get(f"settings.{kpi_id}.{name}", line)
            if name not in kpi.parameters:
                known = ", ".join(sorted(kpi.parameters)) or "none"
                raise UsageError(
                    f"settings: {kpi_id} has no setting {name!r}{did_you_mean(name, set(kpi.parameters))}",
                    file=source,
                    line=line,
                    hint=f"its settings: {known}",
                )
            try:
                kpi.parameters[name].checked(value)
            except ValueError as err:
                raise UsageError(f"settings: {kpi_id}.{name}: {err}", file=source, line=line) from None
        settings[kpi_id] = dict(values)
    rules = []
    for row in config.targets:

        def bad(message: str, row: TargetRow = row) -> UsageError:
            return UsageError(f"targets: {message}", file=row.file, line=row.line)

        if row.kpi not in ids:
            raise bad(f"unknown KPI {row.kpi!r}{did_you_mean(row.kpi, ids)}")
        kpi = definitions.kpi(row.kpi)
        target = None
        if row.text.strip().lower() not in ("none", "-", "无"):
            try:
                target = Target.model_validate(target_shorthand(row.text))
            except (ValueError, ValidationError) as err:
                message = err.errors()[0]["msg"] if isinstance(err, ValidationError) else str(err)
                raise bad(f"{row.kpi}: {message}") from None
            if kpi.unit == "percent" and not 0 <= target.value <= 1:
                raise bad(f"{row.kpi}: {target.value:.0%} is not a possible rate (between 0% and 100%)")
        rules.append(TargetRule(row.kpi, row.store, row.from_month, target, row.source, row.order))
    currency = currency_code(config.currency) if config.currency else None
    return StoreOverrides(source, store or config.store, settings, tuple(rules), currency)


MAX_DEFINITIONS_BYTES = 2_000_000


def load_definitions(path: str | Path | None = None) -> Definitions:
    """Read, validate and compile a definitions file (the shipped one by default)."""
    file = Path(path) if path is not None else default_definitions_path()
    from .loaders.paths import read_user_file

    raw = read_user_file(file, MAX_DEFINITIONS_BYTES, "definitions file", DefinitionError)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DefinitionError(f"not UTF-8 text (byte offset {err.start})", file=str(file)) from None
    return parse_definitions(text, source=str(file))


def parse_definitions(text: str, source: str = "<definitions>") -> Definitions:
    try:
        data = load_yaml(text)
    except YamlProblem as problem:
        column = f"column {problem.column}" if problem.column else None
        raise DefinitionError(problem.message, file=source, line=problem.line, hint=column) from None
    if not isinstance(data, dict):
        raise DefinitionError("the file must hold a mapping with 'stages' and 'kpis'", file=source, line=1)
    try:
        definitions = Definitions.model_validate(data)
    except ValidationError as err:
        raise _validation_error(err, data, source) from None
    _check_references(definitions, data, source)
    return definitions


def _validation_error(err: ValidationError, data: Any, source: str) -> DefinitionError:
    first = err.errors()[0]
    loc = first["loc"]
    line, kpi_id = _locate(data, loc)
    field = ".".join(str(p) for p in loc if not isinstance(p, int) or p is None)
    more = f" (and {err.error_count() - 1} more problems)" if err.error_count() > 1 else ""
    message = f"{field}: {first['msg']}{more}"
    return DefinitionError(message, file=source, line=line, kpi=kpi_id)


def _locate(data: Any, loc: tuple[Any, ...]) -> tuple[int | None, str | None]:
    """The line of the deepest mapping along `loc`, and the KPI id it sits in."""
    line = getattr(data, "line", None)
    kpi_id = None
    node = data
    for part in loc:
        if isinstance(node, LineDict) and isinstance(part, str):
            line = node.key_lines.get(part, node.line)
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            line = getattr(node, "line", line)
            if isinstance(node, dict) and isinstance(node.get("id"), str) and kpi_id is None:
                kpi_id = node["id"]
        else:
            break
    return line, kpi_id


def _kpi_nodes(data: Any) -> Iterator[tuple[int, Any]]:
    yield from enumerate(data.get("kpis") or [])


def _check_references(definitions: Definitions, data: Any, source: str) -> None:
    """Cross-field checks: unique ids, known stages, sheets and columns, sane targets."""
    stage_ids = {stage.id for stage in definitions.stages}
    unknown_extra = set(definitions.extra_columns) - set(SHEETS)
    if unknown_extra:
        name = sorted(unknown_extra)[0]
        raise DefinitionError(
            f"extra_columns: unknown sheet {name!r}{did_you_mean(name, set(SHEETS))}",
            file=source,
            line=data.key_lines.get("extra_columns"),
        )
    seen: dict[str, int] = {}
    raw_kpis = dict(_kpi_nodes(data))
    for i, kpi in enumerate(definitions.kpis):
        node = raw_kpis[i]

        def fail(message: str, field: str, kpi: KpiDefinition = kpi, node: Any = node) -> DefinitionError:
            line = node.key_lines.get(field, node.line)
            return DefinitionError(message, file=source, line=line, kpi=kpi.id)

        if kpi.id in seen:
            raise fail(f"duplicate KPI id {kpi.id!r} (also KPI #{seen[kpi.id] + 1})", "id")
        seen[kpi.id] = i
        if kpi.stage not in stage_ids:
            raise fail(f"stage: unknown stage {kpi.stage!r}{did_you_mean(kpi.stage, stage_ids)}", "stage")
        if kpi.sheet not in SHEETS:
            raise fail(f"sheet: unknown sheet {kpi.sheet!r}{did_you_mean(kpi.sheet, set(SHEETS))}", "sheet")
        if kpi.unit == "percent" and kpi.target is not None and not 0 <= kpi.target.value <= 1:
            raise fail(
                f"target: {kpi.target.value:.0%} is not a possible rate (between 0% and 100%)", "target"
            )
        try:
            compile_kpi(kpi, definitions.column_types(kpi.sheet))
        except DefinitionError as err:
            field = _field_of(err.message)
            raise DefinitionError(
                err.message, file=source, line=_field_line(node, field), kpi=kpi.id, value=err.value
            ) from None


def _field_of(message: str) -> str:
    return message.split(":", 1)[0]


def _field_line(node: Any, field: str) -> int | None:
    """Line of e.g. 'numerator.where' or 'exclude[0].when' inside a KPI mapping."""
    current = node
    line = getattr(node, "line", None)
    for part in re.split(r"\.|\[|\]", field):
        if not part:
            continue
        if part.isdigit() and isinstance(current, list) and int(part) < len(current):
            current = current[int(part)]
            line = getattr(current, "line", line)
        elif isinstance(current, LineDict) and part in current:
            line = current.key_lines.get(part, line)
            current = current[part]
        else:
            break
    return line
