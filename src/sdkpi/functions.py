"""The functions of the KPI expression language, each declared once.

A function is one `Function` in `FUNCTIONS`: its name, its arguments (a bare column name or
an expression) and how many a call may give, its type rule, its evaluation on a sheet, and its
words in English and Chinese. The parser (`expr`) accepts a call of any name here, the type
checker and evaluator (`evaluate`) type and run it through its entry, the definitions find it
in the parsed tree, and `words` says it with its words. Adding a function is one entry here
(its evaluation in a module of its own when it is long, like `named_by`), plus tests.

`sql` leaves room for the same definitions to run on a SQL engine later: a function's
rendering there (not built yet).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from . import named_by
from .errors import ExpressionError
from .expr_tree import BOOL, DATETIME, DURATION, TEXT, Literal, Node, to_text
from .frame import Evaluator, Frame, Vec

COLUMN, VALUE = "column", "value"  # argument kinds: a bare column name; an expression

#: an argument's type (the type checker's `infer`, bound to the sheet's columns)
KindOf = Callable[[Node], str]
#: the values of a function's "why_not" words for one record (None: say "is" instead)
WhyNot = Callable[[Frame, tuple[Node, ...], int, Callable[[str], str]], dict[str, str] | None]


@dataclass(frozen=True)
class Arg:
    name: str  # what its words call it: "{column}" in a function's words is its column's label
    kind: str  # COLUMN: a bare column name (a `Column` in the tree); VALUE: an expression


@dataclass(frozen=True)
class Function:
    """One function of the language.

    `type_rule(args, kind_of)` checks the arguments' types (ExpressionError saying what is
    wrong) and gives the result's type; `evaluate(frame, args, value)` gives its `Vec` on a
    frame. `words[lang]`: "is" (a condition holding), "not" (its negation), and with
    `why_not`, "why_not" (a record failing `not f(...)`), formatted with the labels of the
    arguments (by their names) and what `why_not(frame, args, position, label)` adds.
    `settle(args)`: the arguments once settings are substituted (a setting left empty may drop
    one). `reads_key`: the function reads the sheet's key column besides its arguments.
    """

    name: str
    args: tuple[Arg, ...]
    arities: frozenset[int]  # how many arguments a call may give (the first n of `args`)
    type_rule: Callable[[tuple[Node, ...], KindOf], str]
    evaluate: Callable[[Frame, tuple[Node, ...], Evaluator], Vec]
    words: Mapping[str, Mapping[str, str]]
    why_not: WhyNot | None = None
    settle: Callable[[tuple[Node, ...]], tuple[Node, ...]] | None = None
    reads_key: bool = False
    sql: str | None = None  # room for a SQL engine's rendering; not built yet

    def column_args(self, args: tuple[Node, ...]) -> list[str]:
        """The columns a call names as bare column arguments."""
        return [to_text(arg) for arg, spec in zip(args, self.args, strict=False) if spec.kind == COLUMN]


FUNCTIONS: dict[str, Function] = {}


def register(function: Function) -> Function:
    FUNCTIONS[function.name] = function
    return function


def words_of(function: Function, lang: str) -> Mapping[str, str]:
    return function.words["zh" if lang == "zh" else "en"]


# --------------------------------------------------------------------------- named_by


def _named_by_type(args: tuple[Node, ...], kind: KindOf) -> str:
    if kind(args[0]) != TEXT:
        raise ExpressionError(f"named_by() needs a text column, {to_text(args[0])!r} is not")
    if len(args) == 3:
        if kind(args[1]) != DATETIME:
            raise ExpressionError(f"named_by(): {to_text(args[1])!r} is not a date or time column")
        if kind(args[2]) != DURATION:
            raise ExpressionError("named_by(): the window must be a duration like 30d")
    return BOOL


def _named_by_settle(args: tuple[Node, ...]) -> tuple[Node, ...]:
    if len(args) == 3 and isinstance(args[2], Literal) and args[2].value is None:
        return args[:1]  # no window: any later comeback counts
    return args


register(
    Function(
        "named_by",
        (Arg("column", COLUMN), Arg("time", COLUMN), Arg("window", VALUE)),
        frozenset({1, 3}),
        _named_by_type,
        named_by.evaluate,
        {
            "en": {
                "is": "another record names it in {column}",
                "not": "no other record names it in {column}",
                "why_not": "{key} {who} names it in {column} (a comeback)",
            },
            "zh": {
                "is": "有其他工单的{column}指向本单",
                "not": "没有其他工单的{column}指向本单(无返修)",
                "why_not": "{key} {who} 的{column}指向本单(返修)",
            },
        },
        why_not=named_by.why_not,
        settle=_named_by_settle,
        reads_key=True,
    )
)
