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

An unknown key, a wrong type or a file that is not TOML is a usage error
(exit 2) naming the file and the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import UsageError

CONFIG_FILE = "sdkpi.toml"
PATH_KEYS = ("data", "defs", "mapping")
TEXT_KEYS = ("store", "lang", "currency")
LANGS = ("en", "zh")


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
        table = tomllib.loads(file.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise UsageError(f"not a valid TOML file: {err}", file=str(file)) from None
    return parse_config(table, file)


def parse_config(table: dict[str, Any], file: Path) -> Config:
    values: dict[str, Any] = {}
    known = set(PATH_KEYS) | set(TEXT_KEYS) | {"fail_on_miss"}
    for key, value in table.items():
        if key not in known:
            raise UsageError(
                f"unknown key {key!r}{_did_you_mean(key, known)}",
                file=str(file),
                hint=f"keys: {', '.join(sorted(known))}",
            )
        values[key] = _checked(key, value, file)
    return Config(file=file, **values)


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


def pick(given: Any, configured: Any, default: Any = None) -> Any:
    """A command-line value wins, then the config file's, then the built-in default."""
    if given is not None:
        return given
    return configured if configured is not None else default


def default_definitions_path() -> Path:
    """The shipped kpi_definitions.yaml (here, not in `definitions`, so that finding it
    imports neither pydantic nor pandas: the result cache keys on its bytes)."""
    return Path(str(resources.files("sdkpi") / "data" / "kpi_definitions.yaml"))
