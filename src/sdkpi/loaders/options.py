"""What the user's mapping file says about one sheet (`loaders.mapping` reads it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .names import normalize_header


@dataclass
class SheetOptions:
    """What the user's mapping file says about one sheet."""

    file: str | None = None
    worksheet: str | None = None
    header_row: int | None = None
    encoding: str | None = None
    delimiter: str | None = None
    date_order: str | None = None  # "dmy" | "mdy"
    columns: dict[str, str] = field(default_factory=dict)  # file header -> canonical column
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> {raw: canonical}
    total_markers: tuple[str, ...] | None = None
    # real exports (see docs/reading-exports.md): every file a sheet is read from (names or
    # globs, stacked in name order), a header feeding more canonical columns than one, columns
    # made of two headers (date + time), raw-text conditions dropping report furniture, a
    # line-level export summed per key, and columns this DMS does not export
    files: tuple[str, ...] = ()
    also: dict[str, tuple[str, ...]] = field(default_factory=dict)  # file header -> more columns
    combine: dict[str, tuple[str, ...]] = field(default_factory=dict)  # column -> file headers
    skip_rows: tuple[str, ...] = ()
    lines_key: str | None = None
    lines_sum: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()

    @property
    def mapped_names(self) -> dict[str, str]:
        """The mapping's file headers, normalised as headers are compared -> canonical column."""
        return {normalize_header(h): c for h, c in self.columns.items()}

    @property
    def reshapes(self) -> bool:
        """Does the mapping change rows or columns beyond naming them (not the typed lane's)?"""
        return bool(
            len(self.files) > 1
            or any(ch in "*?[" for ch in "".join(self.files))
            or self.also
            or self.combine
            or self.skip_rows
            or self.lines_key
        )
