"""Run-time safety: what keeps hostile input from hurting the machine or misleading a script.

- `require_defused_xml`: workbooks are XML inside a zip; openpyxl parses that XML through
  defusedxml only when defusedxml is importable and ``OPENPYXL_DEFUSEDXML`` is not "False"
  (decided once, at import). Verified before any data file is opened, so a broken install
  fails with a clear message instead of parsing a billion-laughs workbook unprotected.
- `exit_cleanly_on_sigterm`, `run_cli`: `kill` unwinds (atomic writes clean up), a crash exits
  4 and an output that could not be written 5 (141 when the reader of a pipe went away), never
  1 (which means "a KPI missed its target").
- `prepare_streams`: a closed stdout or stderr, a full disk or a stdout in GBK or cp1252 end in
  a documented exit code, never a traceback nor a half-written output passed as whole.
- `TerminalConsole`: tables print text from the data as text, never rich markup or
  terminal escape sequences.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import functools
import io
import os
import re
import signal
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

from .errors import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERNAL,
    EXIT_OUTPUT,
    InputError,
    OutputError,
    SdkpiError,
    escape_char,
)

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
    (Ctrl-C unwinds as KeyboardInterrupt, which typer ends with 130.)
    """
    if sys.platform != "win32":
        signal.signal(signal.SIGTERM, _terminate)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def run_cli(app: Callable[[], object]) -> None:
    """Run the command line so that an exit code always means what docs/exit-codes.md says.

    Uncaught, any exception would exit 1, the code for "a KPI missed its target": a
    cron job would read a crash, or stdout on a full disk, as a miss. An output that
    could not be written exits 5 and a pipe whose reader went away 141, quietly; any
    other failure exits 4 with one line on stderr (the traceback with SDKPI_DEBUG=1).
    """
    try:
        app()
    except (PipeClosed, BrokenPipeError):  # `sdkpi ... | head`: the reader has gone
        _drop_stdout()
        raise SystemExit(EXIT_BROKEN_PIPE) from None
    except SdkpiError as err:  # raised outside a library call: stdout could not be written
        _drop_stdout()
        print(f"sdkpi: error: {visible(str(err))}", file=sys.stderr)
        raise SystemExit(err.exit_code) from None
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
    process ends (`os._exit`): the same output and exit code, sooner. Output that could
    not be flushed changes the code: 141 when the reader went away, else 5.
    """
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # SystemExit("message"): Python would print it and exit 1, which means "missed"
        print(code, file=sys.stderr)
        status = EXIT_INTERNAL
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except (PipeClosed, BrokenPipeError):  # `sdkpi ... | head`: the reader has gone
        status = EXIT_BROKEN_PIPE
    except ValueError:  # stdout closed by the command itself
        pass
    except (OSError, OutputError) as err:  # stdout on a full disk: the output is not all there
        if isinstance(err, OSError):
            _say_os_error(err)
        else:
            print(f"sdkpi: error: {err}", file=sys.stderr)
        status = EXIT_OUTPUT
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.flush()
    os._exit(status)


def _say_os_error(err: OSError) -> None:
    """One line on stderr for a failed read or write: what went wrong, and on which file."""
    print(f"sdkpi: error: {err.strerror or err} ({err.filename or 'output'})", file=sys.stderr)


def _drop_stdout() -> None:
    """Point stdout at /dev/null so that the final flush at exit cannot fail again."""
    if isinstance(sys.stdout, _Output):
        sys.stdout.drop()
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real stdout (e.g. in-process tests)
        pass


# --------------------------------------------------------------------------- standard streams


class PipeClosed(OutputError):
    """The reader of standard output went away (`sdkpi ... | head -1`): exit 141, quietly.

    Not an OSError on purpose: click turns an EPIPE OSError into exit 1, "a KPI missed".
    """

    exit_code = EXIT_BROKEN_PIPE


#: Symbols sdkpi draws, and what to write on a stdout whose encoding lacks them (GBK has
#: √ and ×, cp1252 has neither): the first one the encoding can write, else the last.
SYMBOL_FALLBACKS: dict[str, tuple[str, ...]] = {
    "✓": ("√", "v"),
    "✗": ("×", "x"),
    "·": ("-",),
    "…": ("...",),
    "→": ("->",),
    "–": ("-",),
    "—": ("-",),
    "¥": ("￥", "RMB "),
    "␛": ("^[",),
    "�": ("?",),
}
ENCODE_ERRORS = "sdkpi-symbols"


def _symbols_or_escapes(err: UnicodeError) -> tuple[str, int]:
    """An encoding error handler: sdkpi's own symbols as their nearest look-alike, any other
    character (a name from the data) as a backslash escape: nothing is dropped or turned to ?."""
    if not isinstance(err, UnicodeEncodeError):
        raise err
    out = []
    for char in err.object[err.start : err.end]:
        for fallback in SYMBOL_FALLBACKS.get(char, ()):
            try:
                fallback.encode(err.encoding)
            except UnicodeError:
                continue
            out.append(fallback)
            break
        else:
            out.append(escape_char(char))
    return "".join(out), err.end


codecs.register_error(ENCODE_ERRORS, _symbols_or_escapes)


def writes_unicode(stream: object) -> bool:
    """Whether `stream` can write any character (UTF-8, UTF-16 ...), not only a code page's."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        return codecs.lookup(encoding).name.startswith("utf")
    except LookupError:
        return False


class _Closed:
    """Standard output closed before the run (`>&-`): writing to it is an output error."""

    encoding = "utf-8"
    errors = "strict"
    closed = False

    def write(self, text: str | bytes) -> int:
        raise OutputError("standard output is closed (>&-): nowhere to write the result")

    @property
    def buffer(self) -> _Closed:  # bytes (a workbook to `-o -`) fail the same way
        return self

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError(errno.EBADF, "standard output is closed")


class _Output:
    """sys.stdout during a command-line run: a failed write is an `OutputError` (exit 5) and a
    gone reader a `PipeClosed` (exit 141), never an OSError that click would turn into 1."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._dropped = False

    def write(self, text: str) -> int:
        if self._dropped:
            return len(text)
        with self._failures():
            return int(self._stream.write(text))

    def write_bytes(self, data: bytes) -> None:
        """A binary output (a workbook) after any text already written."""
        with self._failures():
            self._stream.flush()
            buffer = self._stream.buffer
            buffer.write(data)
            buffer.flush()

    def flush(self) -> None:
        if not self._dropped:
            with self._failures():
                self._stream.flush()

    def drop(self) -> None:
        """Write nothing more (after a failure: the process is about to exit)."""
        self._dropped = True

    @contextlib.contextmanager
    def _failures(self) -> Iterator[None]:
        try:
            yield
        except BrokenPipeError:
            self._dropped = True
            raise PipeClosed("the reader of the output went away") from None
        except OSError as err:
            self._dropped = True
            raise OutputError(f"cannot write the output: {err.strerror or err}") from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def prepare_streams() -> None:
    """Make stdout and stderr safe for one command-line run (called once, by `cli.main`).

    - stderr closed (`2>&-`): diagnostics go to /dev/null and the run goes on as usual.
    - stdout closed (`>&-`): a command that has something to print exits 5, saying so.
    - a closed descriptor 1 or 2 is pointed at /dev/null, so that no file sdkpi opens later
      (a report) can take its number and receive what a library prints there.
    - stdout or stderr in a code page (GBK, cp1252): the symbols sdkpi draws are written as
      look-alikes the code page has (√ ×, else v x), any other missing character as a
      backslash escape (\u5f20): the run writes everything and exits as usual. The same on
      UTF-8 for a file name's undecodable bytes (\xff), which no encoding can write.
    - stdout's writes that fail (full disk) are an `OutputError`, exit 5; unbuffered
      (PYTHONUNBUFFERED=1) they are first made whole (`whole_writes`).
    """
    for fd in (1, 2):
        try:
            os.fstat(fd)
        except OSError:
            with contextlib.suppress(OSError):
                devnull = os.open(os.devnull, os.O_WRONLY)
                if devnull != fd:
                    os.dup2(devnull, fd)
                    os.close(devnull)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the process
    stdout: Any = whole_writes(sys.stdout) if sys.stdout is not None else _Closed()
    for stream in (stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            with contextlib.suppress(ValueError, LookupError):
                stream.reconfigure(errors=ENCODE_ERRORS)
    sys.stdout = _Output(stdout)


def whole_writes(stream: Any) -> Any:
    """`stream` (a text stream), such that every write is written whole or fails.

    With PYTHONUNBUFFERED=1 Python writes stdout straight to the file descriptor and keeps
    no count of what a write left out: on a disk that fills up, the file kept the first
    8 KB or so, the rest was dropped without an error and the run exited 0. A buffered
    writer writes the rest or raises; with `line_buffering` each line still goes out at once.
    """
    raw = getattr(stream, "buffer", None)
    if not isinstance(raw, io.RawIOBase) or not isinstance(stream, io.TextIOWrapper):
        return stream
    encoding, errors = stream.encoding, stream.errors
    stream.detach()
    return io.TextIOWrapper(io.BufferedWriter(raw), encoding=encoding, errors=errors, line_buffering=True)


def write_binary_stdout(data: bytes) -> None:
    """Write bytes (a workbook) to standard output, with the failures of any other output."""
    stream: Any = sys.stdout
    if isinstance(stream, _Output):
        stream.write_bytes(data)
        return
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        raise OutputError("standard output takes no binary data here")
    stream.flush()
    buffer.write(data)
    buffer.flush()


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
