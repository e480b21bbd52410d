"""A KPI compiled: its conditions parsed with its settings in force, type-checked against
the data contract's columns, and the columns it reads (`compile_kpi` -> `CompiledKpi`), with
the settings and targets a computation used, and its texts (description, labels, provisional
reason) stating the settings in force (`setting_texts`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from . import expr as ex
from .column_words import setting_value
from .contract import SHEETS
from .errors import DefinitionError, ExpressionError
from .evaluate import DATETIME, NUMBER, infer, kind_of
from .functions import FUNCTIONS
from .kpi_model import Exclusion, KpiDefinition, Target
from .measures import MEASURES
from .parameters import DURATION_TEXT, NO_LIMIT, fill_text, param_node, placeholders, setting_words
from .suggest import did_you_mean


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
    # {zh, en} with the settings in force (`setting_texts`); None: the KPI has none
    description: dict[str, str] | None = None
    numerator_label: dict[str, str] | None = None
    denominator_label: dict[str, str] | None = None
    provisional_reason: dict[str, str] | None = None

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
    text: str | None,
    field: str,
    kinds: dict[str, str],
    params: dict[str, ex.ParamValue] | None = None,
    calls: set[str] | None = None,
) -> ex.Node | None:
    """The condition parsed, its settings in force, type-checked (None: no condition left);
    `calls` gathers the functions it calls as written (before the settings settle it)."""
    if text is None:
        return None
    try:
        written = ex.parse(text, params)
        node = ex.fold(written)
        kind = infer(node, kinds)
        if calls is not None:
            calls |= ex.calls(written)
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
    called: set[str] = set()  # the functions its conditions call (one reading the key: it is used)
    parsed: dict[str, ex.Node | None] = {}
    for side, agg in (("numerator", kpi.numerator), ("denominator", kpi.denominator)):
        for attr in ("where", "where_all"):
            node = _parse_checked(getattr(agg, attr), f"{side}.{attr}", kinds, params, called)
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
        node = _parse_checked(exclusion.when, f"exclude[{i}].when", kinds, params, called)
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
    if key is not None and any(FUNCTIONS[name].reads_key for name in called if name in FUNCTIONS):
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
    texts = setting_texts(kpi, settings)
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
        texts["description"],
        texts["numerator.label"],
        texts["denominator.label"],
        texts["provisional_reason"],
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
    number, unit = DURATION_TEXT.match(setting.value).groups()  # type: ignore[union-attr]
    return math.ceil(ex.DURATION_UNITS[unit] * float(number) / timedelta(days=1))


# --------------------------------------------------------------------------- texts stating settings

#: a text that does not state a setting in force which differs from its default says so
_NOT_STATED = {
    "description": {
        "zh": "（按默认设置撰写；此处生效：{settings}）",
        "en": " (written for the default settings; in force here: {settings})",
    },
    "label": {"zh": "（{settings}）", "en": " ({settings})"},
}


def setting_texts(kpi: KpiDefinition, settings: tuple[SettingUsed, ...]) -> dict[str, dict[str, str] | None]:
    """The KPI's description, labels and provisional reason, {zh, en}, with each `{setting}`
    filled by the value in force; a setting in force that differs from its default and that a
    text does not state (the description: any; a label: one its side's conditions use) is
    named after the text. An unknown `{name}` or a stray brace is a definitions error."""
    by_name = {s.name: s for s in settings}
    changed = [s for s in settings if not _same_value(s)]
    out: dict[str, dict[str, str] | None] = {}
    for field, text, concerns in (
        ("description", kpi.description, set(by_name)),
        (
            "numerator.label",
            kpi.numerator.label,
            _named(kpi.numerator.where, kpi.numerator.where_all, by_name),
        ),
        (
            "denominator.label",
            kpi.denominator.label,
            _named(kpi.denominator.where, kpi.denominator.where_all, by_name),
        ),
        ("provisional_reason", kpi.provisional_reason, _named(str(kpi.provisional_days), None, by_name)),
    ):
        if text is None:
            out[field] = None
            continue
        filled = {}
        for lang in ("zh", "en"):
            written = text.get(lang)
            try:
                names = placeholders(written)
            except ValueError as err:
                raise DefinitionError(f"{field}.{lang}: {err}") from None
            for name in names:
                if name not in by_name:
                    raise DefinitionError(
                        f"{field}.{lang}: unknown setting {{{name}}}{did_you_mean(name, set(by_name))}"
                        " (a text names this KPI's settings; write {{ and }} for a literal brace)"
                    )
            values, stated = {}, set()
            for name in names:
                said = setting_words(by_name[name].value, by_name[name].unit, lang)
                if said is not None:
                    stated.add(name)
                else:  # not statable (no limit): the default's words, and the setting named after
                    said = setting_words(by_name[name].default, by_name[name].unit, lang) or NO_LIMIT[lang]
                values[name] = said
            result = fill_text(written, values)
            unstated = [s for s in changed if s.name in concerns and s.name not in stated]
            if unstated:
                note = _NOT_STATED["description" if field == "description" else "label"][lang]
                result += note.format(
                    settings=", ".join(f"{s.name} = {setting_value(s.value, s.unit, lang)}" for s in unstated)
                )
            filled[lang] = result
        out[field] = filled
    return out


def _named(where: str | None, where_all: str | None, by_name: dict[str, SettingUsed]) -> set[str]:
    """The settings a condition's text names."""
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", f"{where or ''} {where_all or ''}"))
    return words & set(by_name)


def _same_value(setting: SettingUsed) -> bool:
    """The setting in force equals its default ('1h' and '60min' are the same)."""
    if setting.unit in ("min", "h", "d", "cd") and setting.value is not None and setting.default is not None:
        now, default = param_node(setting.value, setting.unit), param_node(setting.default, setting.unit)
        assert isinstance(now, ex.Duration) and isinstance(default, ex.Duration)
        return now.value == default.value and now.calendar == default.calendar
    return bool(setting.value == setting.default)
