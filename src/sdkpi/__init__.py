"""sdkpi: after-sales KPIs for car dealerships, from the DMS's monthly exports.

The library works without the CLI::

    from sdkpi import compute
    result = compute("examples/store-demo", month="2024-05")
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "compute", "load_definitions"]


def __getattr__(name: str) -> Any:
    # Imported lazily so that `sdkpi --version` does not pay for pandas.
    if name == "compute":
        from .api import compute

        return compute
    if name == "load_definitions":
        from .definitions import load_definitions

        return load_definitions
    raise AttributeError(name)
