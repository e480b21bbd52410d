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
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from . import expr as ex
from .config import default_definitions_path
from .contract import SHEETS
from .errors import DefinitionError, ExpressionError
from .evaluate import DATETIME, NUMBER, did_you_mean, infer, kind_of
from .yaml_lines import LineDict, YamlProblem, load_yaml

ID_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
TARGET_RE = re.compile(r"^\s*(>=|<=|>|<|=)\s*([-+]?\d+(?:\.\d+)?)\s*(%?)\s*$")


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

    @model_validator(mode="after")
    def _one_measure(self) -> Aggregate:
        given = [name for name in ("count", "sum", "count_distinct") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of count: rows, sum: COLUMN, count_distinct: COLUMN")
        if self.where_all is not None and self.count_distinct is None:
            raise ValueError("where_all goes with count_distinct (it counts groups whose every row passes)")
        return self

    @property
    def measure(self) -> str:
        if self.sum is not None:
            return "sum"
        return "count_distinct" if self.count_distinct is not None else "count"


class Exclusion(Model):
    when: str
    reason: Text


class Target(Model):
    op: Literal[">", ">=", "=", "<", "<="]
    value: float
    kind: Literal["target", "benchmark"] = "target"


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
    provisional_days: int | None = Field(default=None, ge=0, le=3650)
    obstacles: list[Text] = []
    notes: list[Text] = []

    @field_validator("target", mode="before")
    @classmethod
    def _target_shorthand(cls, value: Any) -> Any:
        """Accept '> 50%', '= 100%', '>= 2.5' as well as a mapping."""
        if isinstance(value, str):
            match = TARGET_RE.match(value)
            if not match:
                raise ValueError(f"target {value!r} is not like '> 50%', '= 100%' or '>= 2.5'")
            op, number, percent = match.groups()
            return {"op": op, "value": float(number) / (100 if percent else 1)}
        return value

    @property
    def is_count_ratio(self) -> bool:
        return self.numerator.measure != "sum" and self.denominator.measure != "sum"


class Definitions(Model):
    version: int = 1
    stages: list[Stage]
    kpis: list[KpiDefinition]
    # columns beyond the data contract that custom KPIs read, per sheet: {column: type}
    extra_columns: dict[str, dict[str, Literal["text", "number", "bool", "datetime", "date"]]] = {}

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
        return {kpi.id: compile_kpi(kpi, self.column_types(kpi.sheet)) for kpi in self.kpis}


# --------------------------------------------------------------------------- compiled form


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


def _parse_checked(text: str | None, field: str, kinds: dict[str, str]) -> ex.Node | None:
    if text is None:
        return None
    try:
        node = ex.parse(text)
        kind = infer(node, kinds)
    except ExpressionError as err:
        raise ExpressionError(f"{field}: {err.message}", column=err.column, value=text) from None
    if kind != "bool":
        raise ExpressionError(f"{field}: {text!r} is a {kind} value, not a condition", value=text)
    return node


def compile_kpi(kpi: KpiDefinition, column_types: dict[str, str]) -> CompiledKpi:
    kinds = {name: kind_of(t) for name, t in column_types.items()}
    used: set[str] = {kpi.period}
    parsed: dict[str, ex.Node | None] = {}
    for side, agg in (("numerator", kpi.numerator), ("denominator", kpi.denominator)):
        for attr in ("where", "where_all"):
            node = _parse_checked(getattr(agg, attr), f"{side}.{attr}", kinds)
            parsed[f"{side}.{attr}"] = node
            used |= ex.columns(node) if node is not None else set()
        column = agg.sum or agg.count_distinct
        if column is not None:
            if column not in kinds:
                raise DefinitionError(
                    f"{side}: unknown column {column!r}{did_you_mean(column, set(kinds))}", column=column
                )
            if agg.sum is not None and kinds[column] != NUMBER:
                raise DefinitionError(f"{side}.sum: column {column!r} is not a number column", column=column)
            used.add(column)
    exclusions = []
    for i, exclusion in enumerate(kpi.exclude):
        node = _parse_checked(exclusion.when, f"exclude[{i}].when", kinds)
        assert node is not None
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
    return CompiledKpi(
        kpi,
        tuple(exclusions),
        parsed["numerator.where"],
        parsed["numerator.where_all"],
        parsed["denominator.where"],
        parsed["denominator.where_all"],
        frozenset(used),
    )


def _all_text(kpi: KpiDefinition) -> str:
    parts = [kpi.numerator.where, kpi.numerator.where_all, kpi.denominator.where, kpi.denominator.where_all]
    parts += [e.when for e in kpi.exclude]
    return " ".join(p for p in parts if p)


MAX_DEFINITIONS_BYTES = 2_000_000


def load_definitions(path: str | Path | None = None) -> Definitions:
    """Read, validate and compile a definitions file (the shipped one by default)."""
    file = Path(path) if path is not None else default_definitions_path()
    try:
        raw = file.read_bytes()
    except OSError as err:
        raise DefinitionError(f"cannot read definitions file: {err.strerror}", file=str(file)) from None
    if len(raw) > MAX_DEFINITIONS_BYTES:
        raise DefinitionError("definitions file is larger than 2 MB", file=str(file))
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
