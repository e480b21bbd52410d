"""Start-up safety checks: refuse to run in a setup that cannot read hostile files safely.

Workbooks are XML inside a zip. openpyxl parses that XML through defusedxml only
when defusedxml is importable and ``OPENPYXL_DEFUSEDXML`` is not set to "False"; it
decides once, at import. `require_defused_xml` verifies that decision before any
data file is opened, so a broken install fails with a clear message instead of
parsing a billion-laughs workbook with the plain XML parser.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

from .errors import InputError

_HINT = "reinstall sdkpi (`pip install sdkpi` pulls in defusedxml) and unset OPENPYXL_DEFUSEDXML"


def require_defused_xml() -> None:
    """Raise `InputError` unless defusedxml is installed and openpyxl parses through it."""
    try:
        import defusedxml.ElementTree  # noqa: F401
    except ImportError:
        raise InputError(
            "defusedxml is not installed: sdkpi will not read workbooks without it", hint=_HINT
        ) from None
    import openpyxl

    if getattr(openpyxl, "DEFUSEDXML", False) is not True:
        raise InputError(
            "openpyxl is not using defusedxml (OPENPYXL_DEFUSEDXML=False?): "
            "sdkpi will not read workbooks with an unprotected XML parser",
            hint=_HINT,
        )


def exit_cleanly_on_sigterm() -> None:
    """Turn SIGTERM (`kill PID`, a cron timeout) into SystemExit.

    Python's default is to die on the spot; as an exception it unwinds, so
    `atomic_path` removes its temporary file and the old report stays as it was.
    """
    if sys.platform != "win32":
        signal.signal(signal.SIGTERM, _terminate)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)
