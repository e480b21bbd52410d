"""Results: plain objects that renderers draw. No pandas, no file access."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from .issues import DataIssue
from .reasons import Reason, reason_code, reason_dict

#: "reference": a value shown beside the KPI and never judged (the guide's `(2.5)`, or a
#: benchmark in a currency other than the store's); `--fail-on-miss` looks at "missed" only
Status = Literal["met", "missed", "no_target", "reference", "no_data"]
STATUSES: tuple[str, ...] = ("met", "missed", "no_target", "reference", "no_data")

#: why a target is shown but not judged
NOT_JUDGED = {
    "reference": {
        "en": "a reference value: shown, not judged",
        "zh": "参考值，仅供对照，不判定达标与否",
    },
    "currency": {
        "en": (
            "the benchmark is in {target}, the store's money in {store}: "
            "set the store's own target to judge it"
        ),
        "zh": "参考值以{target}计，本店以{store}计，不作判定；请在 sdkpi.toml 中设定本店目标",
    },
}


@dataclass(frozen=True)
class Period:
    """A reporting window [start, end): end is exclusive."""

    start: date
    end: date

    @classmethod
    def month(cls, text: str) -> Period:
        year, month = (int(part) for part in text.split("-"))
        start = date(year, month, 1)
        end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        return cls(start, end)

    @property
    def label(self) -> str:
        if self.start.day == 1 and self == Period.month(f"{self.start.year}-{self.start.month}"):
            return f"{self.start:%Y-%m}"
        last = date.fromordinal(self.end.toordinal() - 1)
        return f"{self.start.isoformat()}..{last.isoformat()}"

    def previous_month(self) -> Period:
        start = self.start
        prev = date(start.year - 1, 12, 1) if start.month == 1 else date(start.year, start.month - 1, 1)
        return Period.month(f"{prev.year}-{prev.month}")

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclass(frozen=True)
class TargetSpec:
    op: str
    value: float
    kind: str  # "target" | "benchmark" | "reference"
    source: str = "definitions"  # or where a store set it: "sdkpi.toml:7", "targets.csv:4"
    currency: str | None = None  # a money target's currency (ISO code)
    store_currency: str | None = None  # the store's money, for a money KPI

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op": self.op, "value": self.value, "kind": self.kind, "source": self.source}
        if self.currency is not None:
            out["currency"] = self.currency
        if self.not_judged is not None:
            out["not_judged"] = self.not_judged
        return out

    @property
    def not_judged(self) -> str | None:
        """Why this target is shown but never judged: "reference", "currency", or None."""
        if self.kind == "reference":
            return "reference"
        if (
            self.currency is not None
            and self.store_currency is not None
            and self.currency != self.store_currency
        ):
            return "currency"
        return None

    def not_judged_text(self, lang: str) -> str | None:
        why = self.not_judged
        if why is None:
            return None
        text = NOT_JUDGED[why]["zh" if lang == "zh" else "en"]
        return text.format(target=self.currency, store=self.store_currency)

    def status(self, value: float) -> Status:
        """met / missed, or "reference" when this target is not judged."""
        if self.not_judged is not None:
            return "reference"
        return "met" if self.is_met(value) else "missed"

    def is_met(self, value: float) -> bool:
        tolerance = 1e-9 * max(1.0, abs(self.value))
        if self.op == "=":
            return abs(value - self.value) <= tolerance
        if self.op == ">":
            return value > self.value
        if self.op == ">=":
            return value >= self.value - tolerance
        if self.op == "<":
            return value < self.value
        return value <= self.value + tolerance

    def text(self, unit: str) -> str:
        op = "=" if self.op == "=" else self.op
        if unit == "percent":
            return f"{op} {self.value * 100:g}%"
        return f"{op} {self.value:g}"


class _KeepsReasonCode:
    """A result whose `reason` (why no figure) keeps its code and parameters beside its words in
    `reason_said`, a plain dict that survives the result cache; restored, it is a `Reason` again."""

    reason: str | None
    reason_said: dict[str, Any] | None

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name == "reason":
            object.__setattr__(self, "reason_said", reason_dict(value))

    def __post_init__(self) -> None:
        if isinstance(self.reason, Reason) or not self.reason_said:
            self.reason = self.reason  # `reason_said` from the reason itself
            return
        try:
            restored = Reason.from_dict(self.reason_said)
        except (KeyError, TypeError, ValueError, AttributeError):  # a code no longer known
            restored = None
        self.reason = restored if restored == self.reason else self.reason


@dataclass
class KpiResult(_KeepsReasonCode):
    id: str
    name: dict[str, str]
    stage: str
    stage_name: dict[str, str]
    sheet: str
    unit: str
    value: float | None
    numerator: float | int
    denominator: float | int
    target: TargetSpec | None
    status: Status
    reason: str | None = None  # why there is no data
    rows_in_period: int = 0
    excluded: list[dict[str, Any]] = field(default_factory=list)  # [{reason: {zh,en}, count}]
    rows_unusable: int = 0
    provisional_until: date | None = None
    provisional_reason: dict[str, str] | None = None  # {zh, en}: why later records may change it
    settings: list[dict[str, Any]] = field(default_factory=list)  # named settings used (SettingUsed)
    description: dict[str, str] | None = None
    numerator_label: dict[str, str] | None = None
    denominator_label: dict[str, str] | None = None
    obstacles: list[dict[str, str]] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)
    reason_said: dict[str, Any] | None = None  # the reason's code and parameters (see `reasons`)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "stage": self.stage,
            "sheet": self.sheet,
            "unit": self.unit,
            "value": self.value,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "target": self.target.to_dict() if self.target else None,
            "status": self.status,
            "reason": self.reason,
            "no_data_code": reason_code(self.reason),
            "rows_in_period": self.rows_in_period,
            "excluded": self.excluded,
            "rows_unusable": self.rows_unusable,
            "provisional_until": self.provisional_until.isoformat() if self.provisional_until else None,
            "provisional": self.provisional,
            "provisional_reason": self.provisional_reason if self.provisional else None,
            "settings": self.settings,
        }

    @property
    def provisional(self) -> bool:
        """Later records can still change this figure (see `provisional_until`)."""
        return self.provisional_until is not None


@dataclass
class GroupRow:
    """One group's (or the total's) figures in a breakdown (`breakdown`)."""

    group: str | None  # None: rows whose cell is empty
    numerator: float | int
    denominator: float | int
    value: float | None
    status: Status
    records: int = 0  # the group's records in the denominator (its ROs, say)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class SheetInfo(_KeepsReasonCode):
    sheet: str
    file: str | None
    worksheet: str | None
    file_format: str | None
    encoding: str | None
    header_row: int | None
    rows_read: int
    rows_usable: int
    status: str  # "ok" | "missing" | "error"
    reason: str | None = None
    header_map: dict[str, str] = field(default_factory=dict)
    missing_columns: list[str] = field(default_factory=list)  # contract columns not in the file
    files: list[str] = field(default_factory=list)  # a sheet read from several files: each of them
    reason_said: dict[str, Any] | None = None  # the reason's code and parameters (see `reasons`)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if (k != "files" or v) and k != "reason_said"}


@dataclass
class CheckResult:
    """`sdkpi check`: how the data was read, without computing anything."""

    source: str
    mapping: str | None
    sheets: list[SheetInfo]
    data_issues: list[DataIssue]
    kpis_without_data: list[dict[str, str]] = field(default_factory=list)  # {kpi, sheet, reason}

    @property
    def ok(self) -> bool:
        """No error-severity issue: every file, column and row could be read as asked."""
        return not any(issue.severity == "error" for issue in self.data_issues)

    def counts(self) -> dict[str, int]:
        counts = {"error": 0, "warning": 0, "info": 0}
        for issue in self.data_issues:
            counts[issue.severity] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "sdkpi_version": _version(),
            "source": self.source,
            "mapping": self.mapping,
            "ok": self.ok,
            "summary": self.counts(),
            "sheets": [s.to_dict() for s in self.sheets],
            "kpis_without_data": self.kpis_without_data,
            "data_issues": [issue.to_dict() for issue in self.data_issues],
        }


@dataclass
class ComputeResult:
    period: Period
    kpis: list[KpiResult]
    data_issues: list[DataIssue]
    sheets: list[SheetInfo]
    source: str
    generated_at: datetime
    definitions: str
    store: str | None = None
    stage_order: list[str] = field(default_factory=list)

    def kpi(self, kpi_id: str) -> KpiResult:
        return next(k for k in self.kpis if k.id == kpi_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sdkpi_version": _version(),
            "period": self.period.to_dict(),
            "store": self.store,
            "source": self.source,
            "definitions": self.definitions,
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "summary": self.summary(),
            "kpis": [k.to_dict() for k in self.kpis],
            "sheets": [s.to_dict() for s in self.sheets],
            "data_issues": [issue.to_dict() for issue in self.data_issues],
        }

    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for kpi in self.kpis:
            counts[kpi.status] += 1
        counts["data_errors"] = sum(1 for i in self.data_issues if i.severity == "error")
        counts["data_warnings"] = sum(1 for i in self.data_issues if i.severity == "warning")
        return counts


def _version() -> str:
    from . import __version__

    return __version__
