"""`sdkpi.toml`: defaults for a store's runs, so a cron line stays short.

The file is read from the working folder (or `--config FILE`); command-line
options always win over it. Keys::

    data = "exports/store-a"      # the data folder (relative to this file)
    store = "Store A"             # the store's name (or the store to pick from a group)
    lang = "zh"                   # en | zh
    currency = "¥"
    defs = "my_kpis.yaml"         # definitions file (relative to this file)
    mapping = "sdkpi-mapping.yaml"
    fail_on_miss = true           # exit 1 when a KPI misses its target

The store's identity on a report's cover and page headers (the folder name is
only the fallback), for one store or, in a dealer group, per store folder::

    [store]                       # instead of store = "..." (then no store is picked)
    name = "Shenzhen Nanshan Service"
    brand = "Volkswagen"
    address = "1 Keyuan Road, Nanshan, Shenzhen"

    [stores."深圳南山店"]          # a group: the store's folder (or its store column value)
    name = "南山服务中心"

A store's own KPI settings and targets (see `sdkpi.store_settings`)::

    currency = "CNY"              # the store's money (¥, RMB, USD, $ ...; default the catalog's CNY)
    targets_file = "targets.csv"  # kpi,store,from_month,target rows

    [settings]                    # a KPI's named settings (`sdkpi explain KPI` lists them)
    punctuality_rate.early = 10

    [targets]                     # this store's targets (else the definitions file's)
    appointment_rate = "> 55%"
    parts_sales_per_ro = [{ target = ">= 600" }, { store = "Store A", from = "2024-07", target = ">= 650" }]

An unknown key, a wrong type or a file that is not TOML is a usage error
(exit 2) naming the file and the key. Settings and targets are checked against
the KPIs when the definitions are loaded (`Definitions.for_store`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import UsageError

if TYPE_CHECKING:
    from .store_settings import TargetRow

CONFIG_FILE = "sdkpi.toml"
PATH_KEYS = ("data", "defs", "mapping", "targets_file")
TEXT_KEYS = ("store", "lang", "currency")
LANGS = ("en", "zh")
IDENTITY_KEYS = ("name", "brand", "address")


@dataclass(frozen=True)
class StoreIdentity:
    """How a store is named on a report: display name, brand, address (any may be None)."""

    name: str | None = None
    brand: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class Config:
    """Defaults from a config file; None where the file says nothing."""

    file: Path | None = None
    data: Path | None = None
    store: str | None = None
    lang: str | None = None
    currency: str | None = None
    defs: Path | None = None
    mapping: Path | None = None
    fail_on_miss: bool | None = None
    identity: StoreIdentity | None = None  # [store]
    stores: dict[str, StoreIdentity] = field(default_factory=dict)  # [stores.<folder>]
    targets_file: Path | None = None
    # [settings]: kpi -> setting -> value; [targets] and the targets file's rows
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    setting_lines: dict[str, int] = field(default_factory=dict)
    targets: tuple[TargetRow, ...] = ()

    @property
    def changes_kpis(self) -> bool:
        """Whether the definitions must be adapted to this store (settings, targets, currency)."""
        return bool(self.settings or self.targets or self.currency)


def load_config(path: str | Path | None = None, cwd: str | Path | None = None) -> Config:
    """The config given by `--config`, else `sdkpi.toml` in `cwd` if present, else no defaults."""
    if path is None:
        found = Path(cwd or Path.cwd()) / CONFIG_FILE
        if not found.is_file():
            return Config()
        path = found
    file = Path(path)
    if not file.is_file():
        raise UsageError("config file not found", file=str(file))
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        raise UsageError("reading a config file needs Python 3.11 or later", file=str(file)) from None
    try:
        text = file.read_text(encoding="utf-8-sig")
        table = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise UsageError(f"not a valid TOML file: {err}", file=str(file)) from None
    return parse_config(table, file, text)


def parse_config(table: dict[str, Any], file: Path, text: str = "") -> Config:
    from .store_settings import key_lines, read_targets_file, settings_table, targets_table

    values: dict[str, Any] = {}
    known = set(PATH_KEYS) | set(TEXT_KEYS) | {"fail_on_miss", "stores", "settings", "targets"}
    lines = key_lines(text)
    for key, value in table.items():
        if key == "settings":
            values["settings"] = settings_table(value, file, lines)
            values["setting_lines"] = {k: v for k, v in lines.items() if k.startswith("settings.")}
            continue
        if key == "targets":
            values["targets"] = targets_table(value, file, lines)
            continue
        if key == "store" and isinstance(value, dict):
            values["identity"] = _identity(value, file, "store")
            continue
        if key == "stores":
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise UsageError(
                    '[stores] must hold one table per store: [stores."<folder>"]', file=str(file)
                )
            values["stores"] = {name: _identity(v, file, f"stores.{name}") for name, v in value.items()}
            continue
        if key not in known:
            raise UsageError(
                f"unknown key {key!r}{_did_you_mean(key, known)}",
                file=str(file),
                hint=f"keys: {', '.join(sorted(known))}",
            )
        values[key] = _checked(key, value, file)
    if values.get("currency") is not None:
        try:
            currency_code(values["currency"])
        except ValueError as err:
            raise UsageError(str(err), file=str(file), line=lines.get("currency")) from None
    if values.get("targets_file") is not None:
        values["targets"] = (*values.get("targets", ()), *read_targets_file(values["targets_file"]))
    return Config(file=file, **values)


def _identity(table: dict[str, Any], file: Path, where: str) -> StoreIdentity:
    """A [store] or [stores.<folder>] table: name, brand and address, each a non-empty text."""
    for key, value in table.items():
        if key not in IDENTITY_KEYS:
            raise UsageError(
                f"unknown key {key!r} in [{where}]{_did_you_mean(key, set(IDENTITY_KEYS))}",
                file=str(file),
                hint=f"keys: {', '.join(IDENTITY_KEYS)}",
            )
        if not isinstance(value, str) or not value.strip():
            raise UsageError(
                f"key {key!r} in [{where}] must be a non-empty text, not {value!r}", file=str(file)
            )
    return StoreIdentity(**{k: table[k].strip() for k in table})


def _checked(key: str, value: Any, file: Path) -> Any:
    def bad(expected: str) -> UsageError:
        return UsageError(f"key {key!r} must be {expected}, not {value!r}", file=str(file))

    if key == "fail_on_miss":
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if not isinstance(value, str) or not value.strip():
        raise bad("a non-empty text")
    if key == "lang" and value not in LANGS:
        raise bad(" or ".join(LANGS))
    if key in PATH_KEYS:
        return (file.parent / value).resolve() if not Path(value).is_absolute() else Path(value)
    return value


def _did_you_mean(name: str, choices: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, sorted(choices), n=2, cutoff=0.6)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""


# currency signs and names -> ISO 4217 code
CURRENCY_SIGNS = {
    "¥": "CNY",
    "￥": "CNY",
    "元": "CNY",
    "RMB": "CNY",
    "人民币": "CNY",
    "$": "USD",
    "US$": "USD",
    "€": "EUR",
    "£": "GBP",
    "HK$": "HKD",
    "NT$": "TWD",
}


def currency_code(text: str) -> str:
    """'¥', 'RMB', 'cny' -> 'CNY'; '$' -> 'USD'; another three-letter code as it is."""
    given = text.strip()
    code = CURRENCY_SIGNS.get(given) or CURRENCY_SIGNS.get(given.upper())
    if code is not None:
        return code
    if len(given) == 3 and given.isascii() and given.isalpha():
        return given.upper()
    raise ValueError(f"currency {text!r} is not a code like CNY or USD, nor a sign like ¥ or $")


def pick(given: Any, configured: Any, default: Any = None) -> Any:
    """A command-line value wins, then the config file's, then the built-in default."""
    if given is not None:
        return given
    return configured if configured is not None else default


def default_definitions_path() -> Path:
    """The shipped kpi_definitions.yaml (here, not in `definitions`, so that finding it
    imports neither pydantic nor pandas: the result cache keys on its bytes)."""
    return Path(str(resources.files("sdkpi") / "data" / "kpi_definitions.yaml"))
