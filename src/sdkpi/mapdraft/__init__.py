"""`sdkpi map`: draft the mapping file for DMS exports sdkpi has never seen.

`draft_mapping(folder)` looks at the exports (`draft`), `render_yaml` writes the
draft as the `sdkpi-mapping.yaml` a user edits, `summary` says on stderr what was
drafted and what could not be decided.
"""

from __future__ import annotations

from .draft import Draft, draft_mapping
from .render import render_yaml, summary

__all__ = ["Draft", "draft_mapping", "render_yaml", "summary"]
