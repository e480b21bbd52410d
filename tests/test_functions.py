"""The expression functions' registry (`sdkpi.functions`): a function declared there is parsed,
validated in a definitions file, evaluated and said in both languages without any other change."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from conftest import evaluate
from sdkpi import expr as ex
from sdkpi.column_words import column_label
from sdkpi.definitions import parse_definitions
from sdkpi.errors import DefinitionError, ExpressionError
from sdkpi.evaluate import Frame, infer
from sdkpi.expr_tree import BOOL, TEXT, Node, to_text
from sdkpi.frame import Vec
from sdkpi.functions import COLUMN, FUNCTIONS, Arg, Evaluator, Function, KindOf, register
from sdkpi.words import condition_words, failure_words
from test_kpi_boundaries import counts, wo


def _blank_type(args: tuple[Node, ...], kind: KindOf) -> str:
    if kind(args[0]) != TEXT:
        raise ExpressionError(f"blank() needs a text column, {to_text(args[0])!r} is not")
    return BOOL


def _blank(frame: Frame, args: tuple[Node, ...], value: Evaluator) -> Vec:
    cells = value(args[0], frame)
    data, null = np.asarray(cells.data, dtype=object), np.asarray(cells.null, dtype=bool)
    return Vec(BOOL, np.array([n or not str(v).strip() for v, n in zip(data, null, strict=True)]), False)


BLANK = Function(
    "blank",
    (Arg("column", COLUMN),),
    frozenset({1}),
    _blank_type,
    _blank,
    {
        "en": {"is": "{column} is blank", "not": "{column} is not blank"},
        "zh": {"is": "{column}为空白", "not": "{column}不为空白"},
    },
)


@pytest.fixture
def blank() -> Iterator[Function]:
    """A throwaway function `blank(column)`: the cell is empty or spaces only."""
    register(BLANK)
    try:
        yield BLANK
    finally:
        del FUNCTIONS["blank"]


YAML = """
version: 1
stages:
  - id: s
    name: {zh: 环节, en: Stage}
kpis:
  - id: k
    name: {zh: 指标, en: KPI}
    stage: s
    sheet: work_orders
    period: opened_at
    denominator: {count: rows}
    numerator:
      count: rows
      where: "not blank(advisor)"
"""


def test_a_registered_function_validates_evaluates_and_is_said_in_both_languages(blank: Function) -> None:
    definitions = parse_definitions(YAML)
    compiled = definitions.compiled["k"]
    assert "advisor" in compiled.columns  # its column argument is a column the KPI reads
    rows = [wo("R1", advisor="SA01"), wo("R2", advisor="  "), wo("R3", advisor=None)]
    assert counts(evaluate(definitions, "k", work_orders=rows)) == (1, 3, pytest.approx(1 / 3))
    node = compiled.numerator_where
    assert node is not None
    for lang in ("en", "zh"):
        said = condition_words(node, lang, "work_orders")
        assert said == blank.words[lang]["not"].format(column=column_label("advisor", lang, "work_orders"))
    assert condition_words(ex.parse("blank(advisor)"), "en") == "advisor is blank"


def test_a_registered_function_is_type_checked_and_its_failure_has_words(blank: Function) -> None:
    with pytest.raises(DefinitionError, match="blank\\(\\) needs a text column, 'opened_at'"):
        parse_definitions(YAML.replace("blank(advisor)", "blank(opened_at)"))
    import pandas as pd

    frame = Frame(pd.DataFrame({"advisor": [" "]}, dtype=object), {"advisor": "text"})
    said = failure_words(ex.parse("not blank(advisor)"), frame, 0)
    assert said.endswith("needs advisor is not blank")


def test_an_unknown_function_says_the_close_registered_name(blank: Function) -> None:
    with pytest.raises(
        ExpressionError, match="calls are not allowed except blank, named_by: 'blnk'; did you mean 'blank'"
    ):
        ex.parse("blnk(advisor)")


def test_a_function_gone_from_the_registry_is_refused() -> None:
    assert "blank" not in FUNCTIONS
    with pytest.raises(ExpressionError, match="calls are not allowed except named_by: 'blank'"):
        ex.parse("blank(advisor)")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("named_by()", "expected 'name', found ')'"),
        ("named_by('x')", "expected 'name', found \"'x'\""),
        ("named_by(a b)", "expected ')', found 'b'"),
        ("named_by(a, b)", "expected ',', found ')'"),
        ("named_by(a, b, 30d, c)", "expected ')', found ','"),
        ("named_by(named_by(a))", "expected ')', found '('"),
    ],
)
def test_a_call_with_the_wrong_arguments_is_refused_as_before(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message.replace("(", "\\(").replace(")", "\\)")):
        ex.parse(text)


def test_named_by_keeps_its_tree_and_types() -> None:
    node = ex.fold(ex.parse("named_by(comeback_of, opened_at, null)"))
    assert node == ex.Call("named_by", (ex.Column("comeback_of"),))  # no window: any comeback
    kinds: dict[str, Any] = {"comeback_of": TEXT, "opened_at": "datetime"}
    assert infer(ex.parse("named_by(comeback_of, opened_at, 90d)"), kinds) == BOOL
    assert ex.columns(ex.parse("named_by(comeback_of, opened_at, 90d)")) == {"comeback_of", "opened_at"}
    with pytest.raises(ExpressionError, match="the window must be a duration"):
        infer(ex.parse("named_by(comeback_of, opened_at, 3)"), kinds)
