"""The map step's header rule: which file column is which canonical column.

Light (the contract and the header names only): the speed lane's early start uses it too,
before pandas is imported, so that both lanes map headers by this one rule.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..contract import Sheet
from ..errors import InputError
from .names import normalize_header


def map_headers(
    headers: list[str],
    known: dict[str, str],
    mapped: dict[str, str],
    sheet: Sheet,
    file: str,
    fixed: Mapping[int, str | None] | None = None,
) -> dict[int, str]:
    """File column position -> canonical column name, for the columns we recognise.

    fixed: positions whose meaning the mapping decided (`rows.derive`): a derived column's
    canonical name, or None for a header read only through a `combine`."""
    result: dict[int, str] = {}
    taken: dict[str, int] = {}
    for position, header in enumerate(headers):
        norm = normalize_header(header)
        canonical = fixed[position] if fixed and position in fixed else mapped.get(norm) or known.get(norm)
        if canonical is None:
            continue
        if sheet.column(canonical) is None and canonical != "store":
            raise InputError(
                f"the mapping file maps {header!r} to {canonical!r}, which is not a column of {sheet.name}",
                file=file,
                sheet=sheet.name,
                hint=f"columns of {sheet.name}: {', '.join(sheet.column_names)}",
            )
        if canonical in taken:
            first = headers[taken[canonical]]
            raise InputError(
                f"two columns mean {canonical!r}: {first!r} and {header!r}",
                file=file,
                sheet=sheet.name,
                column=header,
                hint="remove one, or map one of them to another name in the mapping file",
            )
        taken[canonical] = position
        result[position] = canonical
    return result
