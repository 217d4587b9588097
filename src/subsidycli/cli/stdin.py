"""A profile from the command line: a file, `-` for stdin (bounded), `--set` pairs, or none on a
terminal (the interview); and batch's input stream."""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING, Any, BinaryIO

from subsidycli.errors import SubsidyError
from subsidycli.i18n import t

if TYPE_CHECKING:
    from subsidycli.policy import Policy


def _piped_profile() -> bool:
    """Whether stdin brings a profile: a redirected file, or a pipe with something in it.

    A pipe that stays open without data (a harness that never closes stdin) is not waited for.
    """
    import os
    import select
    import stat

    try:
        fd = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):  # an in-memory stdin (tests): read it
        return bool(sys.stdin.readable() and _peek_in_memory())
    mode = os.fstat(fd).st_mode
    if stat.S_ISREG(mode):
        return os.fstat(fd).st_size > 0
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        ready, _, _ = select.select([fd], [], [], 0.05)
        return bool(ready) and _has_bytes(fd)
    return False


def _has_bytes(fd: int) -> bool:
    import fcntl
    import struct
    import termios

    try:
        waiting = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
    except OSError:
        return True
    return bool(waiting)


def _peek_in_memory() -> bool:
    buffer = getattr(sys.stdin, "buffer", sys.stdin)
    try:
        position = buffer.tell()
        data = buffer.read(1)
        buffer.seek(position)
    except (OSError, ValueError):
        return False
    return bool(data)


def _read_stdin() -> str:
    """stdin decoded as a profile file is: a byte-order mark is fine; UTF-16 or binary is named."""
    from subsidycli.errors import ProfileError
    from subsidycli.files import decode
    from subsidycli.profile import MAX_INPUT_BYTES

    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:
        return sys.stdin.read()
    raw = buffer.read(MAX_INPUT_BYTES + 1)
    if len(raw) > MAX_INPUT_BYTES:
        raise ProfileError([t("is larger than 10 MiB; use `subsidy batch`")], where="<stdin>")
    return decode(raw, "<stdin>")


def read_profile_args(
    profile: str | None, sets: list[str] | None, policy: Policy
) -> dict[str, Any]:
    """The profile named on the command line (file or - for stdin), with --set fields on top."""
    from subsidycli import profile as profiles
    from subsidycli.errors import ProfileError

    assignments, problems = profiles.parse_assignments(sets or ())
    assignments, several = profiles.by_id(assignments, policy)  # 年度研发费用=…: a label names it
    problems += several
    data: dict[str, Any] = {}
    if profile is not None:  # every problem of the file and of --set is reported, together
        stdin_text = _read_stdin() if profile == "-" else None
        where = "<stdin>" if profile == "-" else profile
        if profile != "-":
            _regular_file(profile)
        try:
            data = profiles.parse_profile(profiles.read_profile(profile, stdin_text), policy, where)
        except ProfileError as exc:
            problems[:0] = exc.lines()
    try:
        data.update(profiles.parse_profile(assignments, policy, "--set"))
    except ProfileError as exc:
        problems += exc.lines()
    for key, value in assignments.items():
        if not value:  # `--set FIELD=`: unknown, whatever the file says (as a blank CSV cell)
            data.pop(key, None)
    if problems:
        raise ProfileError(problems)
    return data


def _regular_file(path: str) -> None:
    """Refuse a profile that is a device or a pipe (/dev/zero, a FIFO): it would be read
    without end, or waited on. A missing file or a directory is left to the profile reader."""
    import os
    import stat

    from subsidycli.errors import ProfileError

    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        raise ProfileError([t("is not a regular file (a device, pipe or socket): give a file")],
                           where=path)  # fmt: skip


def _open_input(source: str, stack: contextlib.ExitStack[Any]) -> BinaryIO:
    """A batch input as a binary stream, closed with `stack`: a file, or stdin for `-`. An input
    of no bytes at all is refused here, as such, before anything is written."""
    from subsidycli.files import peek

    stream = sys.stdin.buffer if source == "-" else _opened(source, stack)
    if peek(stream, 1) == b"":
        where = "<stdin>" if source == "-" else source
        raise SubsidyError(t("is empty: it holds no record"), where=where)
    return stream


def _opened(source: str, stack: contextlib.ExitStack[Any]) -> BinaryIO:
    try:
        return stack.enter_context(open(source, "rb"))
    except FileNotFoundError:
        raise SubsidyError(t("no such file"), where=source) from None
    except OSError as exc:
        raise SubsidyError(exc.strerror or str(exc), where=source) from None


