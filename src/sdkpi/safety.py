"""Run-time safety: what keeps hostile input from hurting the machine or misleading a script.

- `require_defused_xml`: workbooks are XML inside a zip; openpyxl parses that XML through
  defusedxml only when defusedxml is importable and ``OPENPYXL_DEFUSEDXML`` is not "False"
  (decided once, at import). Verified before any data file is opened, so a broken install
  fails with a clear message instead of parsing a billion-laughs workbook unprotected.
- `exit_cleanly_on_sigterm`, `run_cli`: `kill` unwinds (atomic writes clean up), and a crash
  or unwritable stdout exits 4, never 1 (which means "a KPI missed its target").
- `TerminalConsole`: tables print text from the data as text, never rich markup or
  terminal escape sequences.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import signal
import sys
import traceback
from collections.abc import Callable, Iterable
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

from .errors import EXIT_INTERNAL, InputError

if TYPE_CHECKING:
    from rich.console import Console

_HINT = "reinstall sdkpi (`pip install sdkpi` pulls in defusedxml) and unset OPENPYXL_DEFUSEDXML"


def require_defused_xml() -> None:
    """Raise `InputError` unless defusedxml is installed and openpyxl parses through it."""
    try:
        import defusedxml.ElementTree  # noqa: F401
    except ImportError:
        raise InputError(
            "defusedxml is not installed: sdkpi will not read workbooks without it", hint=_HINT
        ) from None
    # openpyxl's own test (openpyxl.xml.DEFUSEDXML), without importing openpyxl for a run that
    # reads CSV only; the workbook reader checks openpyxl's flag itself before parsing
    openpyxl = sys.modules.get("openpyxl")
    defused = (
        getattr(openpyxl, "DEFUSEDXML", False)
        if openpyxl is not None
        else os.environ.get("OPENPYXL_DEFUSEDXML", "True") == "True"
    )
    if defused is not True:
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


def run_cli(app: Callable[[], object]) -> None:
    """Run the command line so that an exit code always means what the README says.

    Uncaught, any exception would exit 1, the code for "a KPI missed its target": a
    cron job would read a crash, or stdout on a full disk, as a miss. Such failures
    exit 4 with one line on stderr (the traceback with SDKPI_DEBUG=1).
    """
    try:
        app()
    except BrokenPipeError:  # `sdkpi ... | head`: the reader has gone; nothing left to say
        _drop_stdout()
        raise SystemExit(EXIT_INTERNAL) from None
    except Exception as err:
        _drop_stdout()
        if isinstance(err, OSError):
            _say_os_error(err)
        else:
            print(f"sdkpi: internal error: {type(err).__name__}: {err}", file=sys.stderr)
            print("  this is a bug in sdkpi; please report it with the command line", file=sys.stderr)
        if os.environ.get("SDKPI_DEBUG"):
            traceback.print_exc()
        raise SystemExit(EXIT_INTERNAL) from None


def exit_now(code: object) -> NoReturn:
    """End the command line's process with `code` (a SystemExit's), once its output is out.

    Every file sdkpi writes is closed (and renamed into place) before this; the caches'
    writes have been waited for. What is left is Python's own teardown, which frees the
    data object by object and runs no code of sdkpi's: after a million work orders, ~0.2 s
    that the operating system does at once. So stdout and stderr are flushed and the
    process ends (`os._exit`): the same output and exit code, sooner.
    """
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # SystemExit("message"): Python prints it and exits 1
        print(code, file=sys.stderr)
        status = 1
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):  # `sdkpi ... | head`: the reader has gone
        status = status or EXIT_INTERNAL
    except OSError as err:  # stdout on a full disk: the output is not all there
        _say_os_error(err)
        status = EXIT_INTERNAL
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    os._exit(status)


def _say_os_error(err: OSError) -> None:
    """One line on stderr for a failed read or write: what went wrong, and on which file."""
    print(f"sdkpi: error: {err.strerror or err} ({err.filename or 'output'})", file=sys.stderr)


def _drop_stdout() -> None:
    """Point stdout at /dev/null so that the final flush at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real stdout (e.g. in-process tests)
        pass


# --------------------------------------------------------------------------- the terminal

#: C0/C1 controls but tab and newline (ESC starts terminal commands: clear screen, colours,
#: hyperlinks, window title), DEL, and the bidi controls that reorder what a line shows.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    """One visible character for one control: its Control Pictures glyph (ESC is ␛), else �."""
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else "\ufffd"


def visible(text: str) -> str:
    return _CONTROL.sub(_visible, text)


def TerminalConsole(**kwargs: Any) -> Console:  # a factory, named like the class it builds
    """A rich Console for text from the data: no markup, no emoji codes, controls made visible.

    A cell reading `[/bold]` crashed a table (rich markup), `[link=...]` drew a link, and an
    ESC sequence from an export could clear the screen or recolour a line. Text is cleaned
    before it is measured (`render_str`) and, for `Text` objects, after rendering; rich adds
    its own styles after that, so they stay intact. (rich is imported only when needed.)
    """
    return _terminal_console_class()(markup=False, emoji=False, **kwargs)


@functools.cache
def _terminal_console_class() -> type[Console]:
    from rich.console import Console, ConsoleOptions, RenderableType
    from rich.segment import Segment
    from rich.text import Text

    class _TerminalConsole(Console):
        def render_str(self, text: str, **kwargs: Any) -> Text:
            return super().render_str(visible(text), **kwargs)

        def render(
            self, renderable: RenderableType, options: ConsoleOptions | None = None
        ) -> Iterable[Segment]:
            for segment in super().render(renderable, options):
                if segment.control is None and _CONTROL.search(segment.text):
                    yield Segment(visible(segment.text), segment.style)
                else:
                    yield segment

    return _TerminalConsole
