"""YAML for the files people edit (KPI definitions, mapping files).

Loaded with a SafeLoader (no tags, no Python objects), duplicate keys refused, keys
kept as written (`yes:` stays "yes", not True) and the line of every mapping and key
remembered, so that a validation error can point at the line to fix. Callers turn a
`YamlProblem` into their own error type (definitions: exit 2 as a definitions error,
mapping: exit 2 as a usage error).
"""

from __future__ import annotations

from typing import Any

import yaml


class LineDict(dict[str, Any]):
    """A YAML mapping that remembers its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


class YamlProblem(Exception):
    """A file that is not YAML we accept, with the place where it went wrong."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader keeping keys as written, with lines, refusing duplicate keys."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            key = str(key_node.value)
        else:
            key = str(loader.construct_object(key_node, deep=True))
        mark = key_node.start_mark
        if key in mapping:
            first = mapping.key_lines[key]
            raise YamlProblem(
                f"duplicate key {key!r} (first at line {first})", mark.line + 1, mark.column + 1
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = mark.line + 1
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(text: str) -> Any:
    """Parse `text`, or raise `YamlProblem` (syntax, duplicate key, depth, unreadable value)."""
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        raise YamlProblem(
            f"YAML syntax error: {err.problem}",
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as err:
        raise YamlProblem(f"YAML cannot be read: {err}") from None
    except RecursionError:  # [[[[...]]]] thousands deep: PyYAML's composer recurses
        raise YamlProblem("YAML nested too deeply") from None
    except ValueError as err:  # e.g. an integer of more than 4300 digits
        raise YamlProblem(f"YAML value cannot be read: {err}") from None


def line_of(node: Any, *path: str) -> int | None:
    """The line of the deepest key along `path` that exists."""
    line = getattr(node, "line", None)
    for key in path:
        if not isinstance(node, LineDict) or key not in node:
            break
        line = node.key_lines.get(key, line)
        node = node[key]
    return line
