"""A small, whitelisted expression language for KPI filters.

KPI definition files are shared between dealerships, so they are untrusted input.
Expressions are tokenised and parsed here by a recursive-descent parser into a
tree of plain dataclasses; nothing is ever passed to ``eval``, ``exec``,
``DataFrame.query`` or ``DataFrame.eval``. Anything outside the grammar is a
clean `ExpressionError` with the position of the offending text.

Grammar::

    expr     := or_expr
    or_expr  := and_expr ("or" and_expr)*
    and_expr := not_expr ("and" not_expr)*
    not_expr := "not" not_expr | compare
    compare  := sum ( CMP sum
                    | "is" ["not"] "null"
                    | ["not"] "in" "[" literal ("," literal)* "]"
                    | "between" sum "and" sum )?
    sum      := product (("+" | "-") product)*
    product  := unary (("*" | "/") unary)*
    unary    := "-" unary | atom
    atom     := NUMBER | DURATION | STRING | "true" | "false" | "null"
              | NAME | `quoted name` | FUNC "(" NAME ")" | "(" expr ")"

Durations are a number glued to a unit: ``30min``, ``24h``, ``90d``, ``2w``, ``45s``, and
``90cd``: calendar days, counted on the date: ``b + 90cd`` is the last instant of the 90th
day after ``b``'s date (a contact on day 90 at 10:00 is within ``b + 90cd``), ``b - 2cd``
the first instant of the 2nd day before it.

Named settings: a KPI's ``parameters`` are substituted at parse time as typed literals
(`parse(text, params)`): a duration, number, text, yes/no, or a list of texts after ``in``.
The tree then holds literals only, and `fold` settles what they decide (``false or x``
is ``x``), so every evaluator and the words of ``explain`` see the condition in force.
Functions: a call of a name declared in `functions.FUNCTIONS` (today ``named_by(column)``
or ``named_by(column, time, window)``: true for a row whose key, e.g. ``ro_number``, another
row of the same sheet names in ``column``), its arguments as that declaration says: a bare
column name, or an expression. The tree's nodes are in `expr_tree` (importable from here).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Union

from .errors import ExpressionError
from .expr_tree import (
    Arith,
    Between,
    BoolOp,
    Call,
    Column,
    Compare,
    Duration,
    InList,
    IsNull,
    Literal,
    Negate,
    Node,
    Not,
    walk,
)
from .expr_tree import (
    to_text as to_text,  # re-exported: callers write ex.to_text
)
from .functions import COLUMN, FUNCTIONS
from .suggest import did_you_mean

MAX_LENGTH = 2000
MAX_DEPTH = 40
MAX_NUMBER = 1e15
KEYWORDS = {"and", "or", "not", "is", "null", "in", "between", "true", "false"}
COMPARISONS = {"==", "!=", "<", "<=", ">", ">="}
DURATION_UNITS = {
    "cd": timedelta(days=1),
    "s": timedelta(seconds=1),
    "min": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}


# --------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Token:
    kind: str  # NUMBER DURATION STRING NAME OP EOF
    text: str
    pos: int


_TOKEN_RE = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<duration>\d+(?:\.\d+)?(?:min|s|h|cd|d|w)\b)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d{1,3})?)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<quoted>`[^`]+`)
  | (?P<name>[^\W\d]\w*)
  | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,|\+|-|\*|/)
    """,
    re.VERBOSE,
)

_FORBIDDEN_HINTS = {
    ".": "attribute access is not allowed",
    "@": "'@' local variables are not allowed",
    "**": "powers are not allowed",
    "=": "use '==' to compare",
    ":": "lambdas, slices and dict syntax are not allowed",
    ";": "only one expression is allowed",
    "{": "braces are not allowed",
    "&": "use 'and'",
    "|": "use 'or'",
    "~": "use 'not'",
    "%": "'%' is not an operator here; write 50% targets as 0.5",
}


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is longer than {MAX_LENGTH} characters")
    _refuse_invisible(text)
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        if text.startswith("**", pos):
            raise _error(text, pos, _FORBIDDEN_HINTS["**"])
        match = _TOKEN_RE.match(text, pos)
        if match is None or match.end() == pos:
            char = text[pos]
            hint = _FORBIDDEN_HINTS.get(char, "unexpected character")
            raise _error(text, pos, f"{hint}: {char!r}")
        kind = match.lastgroup or ""
        value = match.group()
        if kind == "name" and pos + len(value) < len(text) and text[pos + len(value)] == ".":
            raise _error(text, pos + len(value), "attribute access is not allowed")
        if kind != "space":
            tokens.append(Token(kind.upper(), value, pos))
        pos = match.end()
    tokens.append(Token("EOF", "", len(text)))
    return tokens


def _refuse_invisible(text: str) -> None:
    """Refuse control and format characters (NUL, U+202E, zero-width space) anywhere.

    Even inside quotes: they can make an expression read differently than it runs.
    """
    for pos, char in enumerate(text):
        if char not in "\t\n\r" and unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            raise _error(text, pos, f"invisible or control character U+{ord(char):04X} is not allowed")


def _error(text: str, pos: int, message: str) -> ExpressionError:
    pointer = f"\n    {text}\n    {' ' * pos}^"
    return ExpressionError(f"{message} at position {pos + 1}{pointer}", value=text)


# --------------------------------------------------------------------------- parser


#: a named setting's value as the parser substitutes it: one literal, or a list after `in`
ParamValue = Union[Literal, Duration, tuple[Literal, ...]]  # noqa: UP007


class _Parser:
    def __init__(self, text: str, params: Mapping[str, ParamValue] | None = None) -> None:
        self.text = text
        self.params = params or {}
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    # helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def _is(self, kind: str, text: str | None = None) -> bool:
        tok = self.tok
        if kind == "KW":
            return tok.kind == "NAME" and tok.text.lower() == text
        return tok.kind == kind and (text is None or tok.text == text)

    def _take(self) -> Token:
        tok = self.tok
        self.i += 1
        return tok

    def _expect(self, kind: str, text: str | None = None) -> Token:
        if not self._is(kind, text):
            want = text or kind.lower()
            got = self.tok.text or "end of expression"
            raise _error(self.text, self.tok.pos, f"expected {want!r}, found {got!r}")
        return self._take()

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _error(self.text, self.tok.pos, f"expression nested deeper than {MAX_DEPTH} levels")

    # grammar
    def parse(self) -> Node:
        if not self.text.strip():
            raise ExpressionError("empty expression")
        node = self.or_expr()
        if self.tok.kind != "EOF":
            raise _error(self.text, self.tok.pos, f"unexpected {self.tok.text!r}")
        return node

    def or_expr(self) -> Node:
        return self._bool_chain("or", self.and_expr)

    def and_expr(self) -> Node:
        return self._bool_chain("and", self.not_expr)

    def _bool_chain(self, op: str, sub: Callable[[], Node]) -> Node:
        operands = [sub()]
        while self._is("KW", op):
            self._take()
            operands.append(sub())
        return operands[0] if len(operands) == 1 else BoolOp(op, tuple(operands))

    def not_expr(self) -> Node:
        if self._is("KW", "not"):
            self._take()
            self._enter()
            node = Not(self.not_expr())
            self.depth -= 1
            return node
        return self.compare()

    def compare(self) -> Node:
        left = self.sum_expr()
        if self.tok.kind == "OP" and self.tok.text in COMPARISONS:
            op = self._take().text
            return Compare(op, left, self.sum_expr())
        if self._is("KW", "is"):
            self._take()
            negated = False
            if self._is("KW", "not"):
                self._take()
                negated = True
            self._expect("KW", "null")
            return IsNull(left, negated)
        negated = False
        if self._is("KW", "not") and self.tokens[self.i + 1].text.lower() == "in":
            self._take()
            negated = True
        if self._is("KW", "in"):
            self._take()
            if self.tok.kind == "NAME" and isinstance(self.params.get(self.tok.text), tuple):
                values = self.params[self._take().text]
                assert isinstance(values, tuple)
                return InList(left, values, negated)
            return InList(left, self._literal_list(), negated)
        if negated:
            raise _error(self.text, self.tok.pos, "expected 'in' after 'not'")
        if self._is("KW", "between"):
            self._take()
            low = self.sum_expr()
            self._expect("KW", "and")
            return Between(left, low, self.sum_expr())
        return left

    def _literal_list(self) -> tuple[Literal, ...]:
        self._expect("OP", "[")
        values = [self._literal()]
        while self._is("OP", ","):
            self._take()
            values.append(self._literal())
        self._expect("OP", "]")
        return tuple(values)

    def _literal(self) -> Literal:
        node = self.unary()
        if isinstance(node, Negate) and isinstance(node.operand, Literal):
            value = node.operand.value
            if isinstance(value, float):
                return Literal(-value)
        if not isinstance(node, Literal):
            raise _error(self.text, self.tok.pos, "a list may hold only literal values")
        return node

    def sum_expr(self) -> Node:
        node = self.product()
        entered = self.depth
        while self.tok.kind == "OP" and self.tok.text in "+-":
            op = self._take().text
            self._enter()  # each link nests the tree one level deeper (a+b+c = (a+b)+c)
            node = Arith(op, node, self.product())
        self.depth = entered
        return node

    def product(self) -> Node:
        node = self.unary()
        entered = self.depth
        while self.tok.kind == "OP" and self.tok.text in ("*", "/"):
            op = self._take().text
            self._enter()
            node = Arith(op, node, self.unary())
        self.depth = entered
        return node

    def unary(self) -> Node:
        if self._is("OP", "-"):
            self._take()
            self._enter()
            node = Negate(self.unary())
            self.depth -= 1
            return node
        return self.atom()

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "NUMBER":
            self._take()
            value = float(tok.text)
            if abs(value) > MAX_NUMBER:
                raise _error(self.text, tok.pos, f"number {tok.text} is too large")
            return Literal(value)
        if tok.kind == "DURATION":
            self._take()
            number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)(\w+)", tok.text).groups()  # type: ignore[union-attr]
            if float(number) > 100_000:
                raise _error(self.text, tok.pos, f"duration {tok.text} is too large")
            if unit == "cd" and not float(number).is_integer():
                raise _error(self.text, tok.pos, f"calendar days are whole days: {tok.text}")
            return Duration(DURATION_UNITS[unit] * float(number), tok.text, unit == "cd")
        if tok.kind == "STRING":
            self._take()
            return Literal(_unquote(tok.text))
        if tok.kind == "QUOTED":
            self._take()
            return Column(tok.text[1:-1].strip())
        if tok.kind == "NAME":
            return self._name()
        if self._is("OP", "("):
            self._take()
            self._enter()
            node = self.or_expr()
            self.depth -= 1
            self._expect("OP", ")")
            return node
        got = tok.text or "end of expression"
        raise _error(self.text, tok.pos, f"expected a value, found {got!r}")

    def _name(self) -> Node:
        tok = self._take()
        lowered = tok.text.lower()
        if lowered in ("true", "false"):
            return Literal(lowered == "true")
        if lowered == "null":
            return Literal(None)
        if lowered in KEYWORDS:
            raise _error(self.text, tok.pos, f"unexpected keyword {tok.text!r}")
        if tok.text in self.params:
            value = self.params[tok.text]
            if isinstance(value, tuple):
                raise _error(self.text, tok.pos, f"setting {tok.text!r} is a list: use it after 'in'")
            return value
        if tok.text.startswith("__"):
            raise _error(self.text, tok.pos, f"names starting with '__' are not allowed: {tok.text!r}")
        if self._is("OP", "("):
            return self._call(tok)
        return Column(tok.text)

    def _call(self, tok: Token) -> Call:
        """A call of a registered function, its arguments as it declares them."""
        function = FUNCTIONS.get(tok.text)
        if function is None:
            allowed = ", ".join(sorted(FUNCTIONS))
            hint = did_you_mean(tok.text, set(FUNCTIONS))
            raise _error(self.text, tok.pos, f"calls are not allowed except {allowed}: {tok.text!r}{hint}")
        self._take()
        args: list[Node] = []
        for i, arg in enumerate(function.args):
            given = not self._is("OP", ",") if i else self._is("OP", ")")
            if given and len(args) in function.arities:
                break
            if i:
                self._expect("OP", ",")
            args.append(Column(self._expect("NAME").text) if arg.kind == COLUMN else self.sum_expr())
        self._expect("OP", ")")
        return Call(tok.text, tuple(args))


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def parse(text: str, params: Mapping[str, ParamValue] | None = None) -> Node:
    """Parse an expression into a tree, or raise `ExpressionError`.

    `params`: named settings, substituted where their name stands (see the module docstring).
    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, not {type(text).__name__}")
    return _Parser(text, params).parse()


_CONSTANT = (Literal, Duration)


def fold(node: Node) -> Node:
    """Settle what literals decide: `1 == 1` is true, `false or x` is x, `not true` is false.

    Settings are literals after substitution, so a condition like
    `(window == 0d) or called_at <= due_at + window` comes out as the one branch in force.
    """
    if isinstance(node, Compare):
        left, right = fold(node.left), fold(node.right)
        if isinstance(left, _CONSTANT) and isinstance(right, _CONSTANT):
            decided = _compare_constants(node.op, left, right)
            if decided is not None:
                return Literal(decided)
        return Compare(node.op, left, right)
    if isinstance(node, Not):
        inner = fold(node.operand)
        if isinstance(inner, Literal) and isinstance(inner.value, bool):
            return Literal(not inner.value)
        return Not(inner)
    if isinstance(node, BoolOp):
        stop, skip = (False, True) if node.op == "and" else (True, False)
        kept: list[Node] = []
        for operand in (fold(o) for o in node.operands):
            if isinstance(operand, Literal) and operand.value is stop:
                return Literal(stop)
            if not (isinstance(operand, Literal) and operand.value is skip):
                kept.append(operand)
        if not kept:
            return Literal(skip)
        return kept[0] if len(kept) == 1 else BoolOp(node.op, tuple(kept))
    if isinstance(node, IsNull):
        operand = fold(node.operand)
        if isinstance(operand, _CONSTANT):
            return Literal((operand.value is None) != node.negated)
        return IsNull(operand, node.negated)
    if isinstance(node, InList):
        if not node.values:  # a list setting left empty: nothing is in it
            return Literal(node.negated)
        return InList(fold(node.operand), node.values, node.negated)
    if isinstance(node, Between):
        return Between(fold(node.operand), fold(node.low), fold(node.high))
    if isinstance(node, Call):
        args = tuple(fold(arg) for arg in node.args)
        function = FUNCTIONS.get(node.name)
        settle = function.settle if function is not None else None
        return Call(node.name, settle(args) if settle is not None else args)
    if isinstance(node, Arith):
        left, right = fold(node.left), fold(node.right)
        if node.op in "+-" and isinstance(right, Duration) and not right.value and not right.calendar:
            return left  # `promised_at - 0min` is `promised_at`
        return Arith(node.op, left, right)
    return node


def _compare_constants(op: str, left: Literal | Duration, right: Literal | Duration) -> bool | None:
    a = left.value
    b = right.value
    if a is None or b is None or type(a) is not type(b):
        return None
    if op == "==":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if isinstance(a, (bool, str)):
        return None
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]  # type: ignore[operator]


def columns(node: Node) -> set[str]:
    """Every column an expression reads (of a call: the columns it names as column arguments)."""
    found: set[str] = set()
    for child in walk(node):
        if isinstance(child, Column):
            found.add(child.name)
        elif isinstance(child, Call) and child.name in FUNCTIONS:
            found.update(FUNCTIONS[child.name].column_args(child.args))
    return found


def calls(node: Node) -> set[str]:
    """The names of the functions an expression calls."""
    return {child.name for child in walk(node) if isinstance(child, Call)}
