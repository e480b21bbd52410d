"""KPI definitions: the YAML file, validated into typed models.

The file is untrusted (definitions get passed between dealerships): YAML is read
with a safe loader that also rejects duplicate keys, models are validated by
pydantic, every expression is parsed by the whitelisted parser in `expr` and
type-checked against the data contract. Every error names the KPI, the field,
what was expected and the line in the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import PrivateAttr, ValidationError, field_validator

from .compiled import CompiledKpi, TargetRule, compile_kpi
from .config import currency_code, default_definitions_path
from .contract import SHEETS
from .errors import DefinitionError
from .kpi_model import Aggregate as Aggregate  # re-exported: the engine and analysis take it from here
from .kpi_model import KpiDefinition, Stage, Target, target_shorthand
from .parameters import Model
from .suggest import did_you_mean
from .yaml_lines import LineDict, YamlProblem, load_yaml

if TYPE_CHECKING:
    from .config import Config
    from .store_settings import TargetRow


class Definitions(Model):
    version: int = 1
    # the money currency figures and targets are in, unless a target says otherwise
    currency: str = "CNY"
    stages: list[Stage]
    kpis: list[KpiDefinition]
    # columns beyond the data contract that custom KPIs read, per sheet: {column: type}
    extra_columns: dict[str, dict[str, Literal["text", "number", "bool", "datetime", "date"]]] = {}  # noqa: RUF012 (pydantic)
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


def definitions_for(
    definitions: str | Path | Definitions | None, config: Config | None, store: str | None = None
) -> str | Path | Definitions | None:
    """What a store computes with, decided in this one place for every command: the
    definitions (a file, None for the shipped one, or loaded) with the store's `sdkpi.toml`
    applied when it sets KPI settings, targets or a currency (`Definitions.for_store`).

    Returned as given when the config changes nothing (none, or only the shipped catalog's
    own currency): a file stays a file, and a re-run stays answerable from the result cache.
    """
    if config is None or not config.changes_kpis:
        return definitions
    only_currency = not config.settings and not config.targets and config.currency is not None
    if only_currency and definitions is None and currency_code(config.currency or "") == "CNY":
        return definitions  # the shipped catalog's own currency: nothing changes
    loaded = definitions if isinstance(definitions, Definitions) else load_definitions(definitions)
    return loaded.for_store(config, store)


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
