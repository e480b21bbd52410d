"""The tree of a parsed expression (`expr.parse` builds it), its value types, and the walks
every reader of a tree shares: `walk` (its nodes), `to_text` (back to expression text).

Below the parser and the function registry (`functions`), which both build and read trees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Union

# Expression types. Contract types map onto these: enum/text -> text, date -> datetime.
BOOL, NUMBER, TEXT, DATETIME, DURATION, NULL = "bool", "number", "text", "datetime", "duration", "null"


@dataclass(frozen=True)
class Literal:
    value: str | float | bool | None


@dataclass(frozen=True)
class Duration:
    value: timedelta
    text: str
    calendar: bool = False  # whole calendar days (unit cd), see the module docstring


@dataclass(frozen=True)
class Column:
    name: str


@dataclass(frozen=True)
class Compare:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class IsNull:
    operand: Node
    negated: bool


@dataclass(frozen=True)
class InList:
    operand: Node
    values: tuple[Literal, ...]
    negated: bool


@dataclass(frozen=True)
class Between:
    operand: Node
    low: Node
    high: Node


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class Arith:
    op: str  # + - * /
    left: Node
    right: Node


@dataclass(frozen=True)
class Negate:
    operand: Node


@dataclass(frozen=True)
class Call:
    """A call of a function declared in `functions.FUNCTIONS`: its arguments in order (a bare
    column name as its `Column`, an expression as its tree)."""

    name: str
    args: tuple[Node, ...]


Node = Union[Literal, Duration, Column, Compare, IsNull, InList, Between, BoolOp, Not, Arith, Negate, Call]  # noqa: UP007


def walk(node: Node) -> list[Node]:
    out: list[Node] = [node]
    if isinstance(node, (Compare, Arith)):
        out += walk(node.left) + walk(node.right)
    elif isinstance(node, (IsNull, InList, Not, Negate)):
        out += walk(node.operand)
    elif isinstance(node, Between):
        out += walk(node.operand) + walk(node.low) + walk(node.high)
    elif isinstance(node, BoolOp):
        for operand in node.operands:
            out += walk(operand)
    return out


def to_text(node: Node) -> str:
    """Write a tree back as expression text (normalised spacing)."""
    if isinstance(node, Literal):
        if node.value is None:
            return "null"
        if isinstance(node.value, bool):
            return "true" if node.value else "false"
        if isinstance(node.value, float):
            return f"{node.value:g}"
        return repr(node.value)
    if isinstance(node, Duration):
        return node.text
    if isinstance(node, Column):
        return node.name if re.fullmatch(r"[^\W\d]\w*", node.name) else f"`{node.name}`"
    if isinstance(node, Compare):
        return f"{to_text(node.left)} {node.op} {to_text(node.right)}"
    if isinstance(node, Arith):
        return f"{to_text(node.left)} {node.op} {to_text(node.right)}"
    if isinstance(node, IsNull):
        return f"{to_text(node.operand)} is {'not ' if node.negated else ''}null"
    if isinstance(node, InList):
        values = ", ".join(to_text(v) for v in node.values)
        return f"{to_text(node.operand)} {'not ' if node.negated else ''}in [{values}]"
    if isinstance(node, Between):
        return f"{to_text(node.operand)} between {to_text(node.low)} and {to_text(node.high)}"
    if isinstance(node, BoolOp):
        return f" {node.op} ".join(
            f"({to_text(o)})" if isinstance(o, BoolOp) else to_text(o) for o in node.operands
        )
    if isinstance(node, Not):
        inner = to_text(node.operand)
        return f"not ({inner})" if isinstance(node.operand, (BoolOp, Compare)) else f"not {inner}"
    if isinstance(node, Negate):
        return f"-{to_text(node.operand)}"
    return f"{node.name}({', '.join(to_text(arg) for arg in node.args)})"
