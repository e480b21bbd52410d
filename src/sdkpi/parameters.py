"""A KPI's named settings (`parameters` in the definitions file): the choices a guide leaves
open, each with its unit, default and meaning, checked here and substituted into its conditions
as typed literals (`param_node`), and into the texts that state them (`fill_text`: a
description's `{early}`, `{{`/`}}` for a literal brace). Also the two base models every part
of a definition uses.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from . import expr as ex


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Model):
    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


# --------------------------------------------------------------------------- named settings

SETTING_UNITS = ("min", "h", "d", "cd", "number", "percent", "bool", "text", "list")
DURATION_TEXT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(min|h|cd|d|w)\s*$")


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
            raise ValueError(f"a {unit_words(unit)} is needed, not an empty value")
        if unit in ("min", "h", "d", "cd"):
            if isinstance(value, str):
                match = DURATION_TEXT.match(value)
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


def unit_words(unit: str) -> str:
    return {"bool": "true or false", "list": "list", "text": "text"}.get(unit, "number")


def param_node(value: Any, unit: str) -> ex.ParamValue:
    """A checked setting value as the literal its conditions are parsed with."""
    if value is None:
        return ex.Literal(None)
    if unit in ("min", "h", "d", "cd"):
        number, given = DURATION_TEXT.match(value).groups()  # type: ignore[union-attr]
        return ex.Duration(ex.DURATION_UNITS[given] * float(number), value, given == "cd")
    if unit == "list":
        return tuple(ex.Literal(v) for v in value)
    return ex.Literal(value)


# --------------------------------------------------------------------------- texts that state settings

PLACEHOLDER_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
NO_LIMIT = {"zh": "不限", "en": "no limit"}


def placeholders(text: str) -> list[str]:
    """The settings a text names, as `{name}` (`{{` and `}}`: a literal brace), or ValueError."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as err:
        raise ValueError(f"{err} (write {{{{ and }}}} for a literal brace)") from None
    names = []
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if not PLACEHOLDER_NAME.match(name) or spec or conversion:
            written = (
                "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            )
            raise ValueError(
                f"{written} is not a setting's name in braces like {{early}} "
                "(write {{ and }} for a literal brace)"
            )
        names.append(name)
    return names


def fill_text(text: str, values: Mapping[str, str]) -> str:
    """The text with each `{name}` replaced by `values[name]` and `{{`/`}}` by a brace."""
    return "".join(
        literal + (values[name] if name is not None else "")
        for literal, name, _, _ in string.Formatter().parse(text)
    )


def setting_words(value: Any, unit: str, lang: str) -> str | None:
    """A checked setting value as a text states it, in the setting's own unit ('1h' of a
    minutes setting: '60'); None when a text cannot state it (a duration with no limit)."""
    if unit in ("min", "h", "d", "cd"):
        if value is None:
            return None
        number, given = DURATION_TEXT.match(value).groups()  # type: ignore[union-attr]
        amount = ex.DURATION_UNITS[given] * float(number) / ex.DURATION_UNITS[unit]
        return f"{round(amount, 6):g}"
    if unit in ("number", "percent"):
        return f"{value:g}"
    if unit == "bool":
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if unit == "list":
        return ("、" if lang == "zh" else ", ").join(value) or ("无" if lang == "zh" else "none")
    return str(value)
