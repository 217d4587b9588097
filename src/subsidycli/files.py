"""Writing files so that nothing is half-written: a temporary file, then an atomic rename;
reading files with a bound, and only regular ones; never writing over an input."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

from subsidycli.errors import Problems, ProfileError, SubsidyError
from subsidycli.i18n import t

# What a write fails with when the disk (or the quota, or the file size limit) is full.
FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


@contextlib.contextmanager
def _reporting(target: Path) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise SubsidyError(
            t("cannot write: {why}", why=exc.strerror or exc), where=str(target)
        ) from None


def _temporary_prefix(real: Path) -> str:
    """The name every temporary file of `real` starts with: `.NAME.subsidy-PID.…tmp`."""
    return f".{real.name}.subsidy-"


def _remove_stale(real: Path) -> None:
    """Remove the temporary files of `real` left by a run that was killed (SIGKILL): those
    whose process is gone. A live run's file is left alone."""
    prefix = _temporary_prefix(real)
    try:
        names = [n for n in os.listdir(real.parent) if n.startswith(prefix) and n.endswith(".tmp")]
    except OSError:
        return
    for name in names:
        if _gone(name[len(prefix) :]):
            with contextlib.suppress(OSError):
                os.unlink(real.parent / name)


def _gone(rest: str) -> bool:
    """Whether the process whose pid starts `rest` (`PID.…`) has ended. A live process, or one
    this user may not signal, is not gone: its files are not ours to remove."""
    pid = rest.partition(".")[0]
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


@contextlib.contextmanager
def spool_folder() -> Iterator[Path]:
    """A private temporary folder for this run's spool files (openpyxl spools a workbook's rows
    to the temporary folder), removed when the block ends, also on SIGTERM made an interrupt.
    One left by a killed run (SIGKILL: its process is gone) is removed by the next run."""
    import shutil
    import tempfile

    base = Path(tempfile.gettempdir())
    prefix = "subsidycli-spool-"
    with contextlib.suppress(OSError):
        for old in base.glob(f"{prefix}*"):
            if _gone(old.name[len(prefix) :]):
                shutil.rmtree(old, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}.", dir=base))
    previous = tempfile.tempdir
    tempfile.tempdir = str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = previous
        shutil.rmtree(folder, ignore_errors=True)


def _open_pipe(target: Path, encoding: str, newline: str | None) -> TextIO:
    """Open a FIFO or device for writing; a FIFO nobody reads is refused instead of waited on."""
    try:
        fd = os.open(target, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as exc:
        why = (t("is a pipe (FIFO) that nothing reads") if exc.errno == errno.ENXIO
               else t("cannot write: {why}", why=exc.strerror or exc))  # fmt: skip
        raise SubsidyError(why, where=str(target)) from None
    os.set_blocking(fd, True)
    return open(fd, "w", encoding=encoding, newline=newline)


@contextlib.contextmanager
def atomic_writer(
    path: str | Path, *, bom: bool = False, newline: str | None = None
) -> Iterator[TextIO]:
    """Open a temporary file beside `path`; rename it into place only if the block succeeds.

    An interrupted or failed run leaves any earlier file at `path` untouched. A symlink keeps
    pointing at the new file; a device or pipe (`-o /dev/stdout`) is written into directly.
    """
    target = Path(path)
    if target.is_dir():
        raise SubsidyError(t("is a directory; give a file name"), where=str(target))
    if target.exists() and not target.is_file():
        # A device or pipe (-o /dev/stdout, /dev/null): write into it. Renaming a file over it
        # would replace /dev/null itself for a user allowed to write in /dev.
        handle = _open_pipe(target, "utf-8-sig" if bom else "utf-8", newline)
        try:
            with _full_disk(target):
                yield handle
            with _reporting(target):
                handle.flush()
        finally:
            with contextlib.suppress(OSError):
                handle.close()
        return
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise SubsidyError(
            t("folder {folder} does not exist", folder=repr(str(folder))), where=str(target)
        )
    real = Path(os.path.realpath(target))  # through a symlink: replace its target, keep the link
    _remove_stale(real)
    try:
        import tempfile  # here, not at import: `calc` to stdout never needs it

        prefix = f"{_temporary_prefix(real)}{os.getpid()}."
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=real.parent)
    except OSError as exc:
        raise SubsidyError(
            t("cannot write here: {why}", why=exc.strerror), where=str(target)
        ) from None
    try:
        encoding = "utf-8-sig" if bom else "utf-8"
        # A full disk met by the writer's own write(), or by the close that flushes what is left
        # (which would otherwise replace the first message with a traceback).
        with _full_disk(target), os.fdopen(fd, "w", encoding=encoding, newline=newline) as handle:
            yield handle
            with _reporting(target):  # a full disk: a message, and the old file stays
                handle.flush()
                os.fsync(handle.fileno())
        if real.exists():
            with contextlib.suppress(OSError):
                os.chmod(tmp, real.stat().st_mode & 0o777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        with _reporting(target):
            os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _full_disk(target: Path) -> Iterator[None]:
    """A full disk met while the block writes: `cannot write`, naming the target. Other errors
    (reading an input, say) are not this writer's to name."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in FULL:
            raise
        raise SubsidyError(t("cannot write: {why}", why=exc.strerror), where=str(target)) from None


def write_atomic(path: str | Path, text: str, *, bom: bool = False) -> None:
    """Write `text` to `path` atomically (UTF-8, with a byte-order mark when `bom`)."""
    with atomic_writer(path, bom=bom, newline="") as handle, _reporting(Path(path)):
        handle.write(text)


def decode(raw: bytes, where: str, error: type[Problems] = ProfileError) -> str:
    """Decode UTF-8 (with or without BOM); name the problem for UTF-16 or binary input.

    `error` is the kind of problem to raise: a profile's by default, a policy file's for those.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise error([t("is UTF-16; save it as UTF-8")], where=where)
    if raw.startswith(b"\xef\xbb\xbf"):  # what utf-8-sig does, without its Python-level codec
        raw = raw[3:]
    if raw.startswith(ZIP):
        raise error([t("is a ZIP archive (an .xlsx workbook?), not text")], where=where)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if b"\x00" in raw[:HEAD_BYTES]:  # an image, an archive, a program: said once, as such
            raise error([_binary()], where=where) from None
        raise error(
            [t("is not UTF-8 text (bad byte at offset {offset})", offset=exc.start)], where=where
        ) from None
    if "\x00" in text:
        raise error([t("is binary, not text")], where=where)
    return text


ZIP = b"PK\x03\x04"  # how a ZIP archive starts, and so an .xlsx workbook
HEAD_BYTES = 1 << 16  # the first bytes of a file, looked at to tell text from binary


def peek(stream: BinaryIO, size: int = HEAD_BYTES) -> bytes | None:
    """Up to `size` first bytes of `stream`, left in it to be read again; None when the stream
    can neither seek nor peek. A pipe may give fewer (those at hand), but b"" only when empty."""
    try:
        if stream.seekable():
            start = stream.tell()
            head = stream.read(size)
            stream.seek(start)
            return head
    except (AttributeError, OSError, ValueError):
        pass
    look = getattr(stream, "peek", None)
    return look(size)[:size] if look is not None else None


def not_text(head: bytes) -> str | None:
    """Why a file of lines that begins with `head` is not text, as one problem of the whole file;
    None when it is text, whatever a line of it may hold. Not text: a ZIP archive (a workbook),
    or a file whose first line, or at least half of the lines in `head`, hold a NUL byte or are
    not UTF-8 (a binary file: an image, a PDF, a program). A stray bad line in a text file is that
    line's problem, not the file's."""
    if head.startswith(ZIP):
        return t("is a ZIP archive (an .xlsx workbook?), not text")
    lines = head.splitlines(keepends=True)
    if len(lines) > 1 and not lines[-1].endswith((b"\n", b"\r")):
        lines.pop()  # perhaps cut off by the end of `head`: not judged
    bad = [i for i, line in enumerate(lines) if not _is_text(line)]
    if not bad or (bad[0] != 0 and 2 * len(bad) < len(lines)):
        return None
    if b"\x00" in head:
        return _binary()
    try:
        _utf8(head)
    except UnicodeDecodeError as exc:
        return t("is not UTF-8 text (bad byte at offset {offset})", offset=exc.start)
    return None


def _binary() -> str:
    return t("is a binary file (or UTF-16 without a byte-order mark), not UTF-8 text")


def _utf8(data: bytes) -> str:
    """UTF-8, where a character cut off at the end is no error."""
    import codecs

    return codecs.getincrementaldecoder("utf-8")().decode(data, final=False)


def _is_text(line: bytes) -> bool:
    if b"\x00" in line:
        return False
    try:
        _utf8(line)
    except UnicodeDecodeError:
        return False
    return True


def read_bounded(path: str | Path, limit: int, error: type[Problems] = ProfileError) -> bytes:
    """The bytes of the regular file `path`, refused (as `error`) when it is larger than `limit`
    bytes, or is not a regular file: a directory, a device (/dev/zero), a pipe or a socket.

    The file is opened without waiting (a FIFO with no writer does not hang the open) and read
    with a bound, whatever its size claims.
    """
    where = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise error([exc.strerror or str(exc)], where=where) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise error([t("is a directory, not a file")], where=where)
        raise error([t("is not a regular file (a device, pipe or socket): give a file")],
                    where=where)  # fmt: skip
    with os.fdopen(fd, "rb") as handle:
        try:
            raw = handle.read(limit + 1)
        except OSError as exc:
            raise error([exc.strerror or str(exc)], where=where) from None
    if len(raw) > limit:
        raise error([t("is larger than {size} MiB", size=limit // 2**20)], where=where)
    return raw


def refuse_overwriting(output: str | Path | None, inputs: Iterable[str | Path]) -> None:
    """Refuse an output file that is one of the inputs: by name, through a symlink or as a hard
    link (the same file on disk). Checked before anything is read or written."""
    if output is None or str(output) == "-":
        return
    try:
        written = os.stat(output)
    except OSError:
        return  # not there yet: it cannot be an input
    if not stat.S_ISREG(written.st_mode):
        return  # /dev/stdout, /dev/null, a pipe: written into, never replaced
    for source in inputs:
        if str(source) == "-":
            continue
        try:
            read = os.stat(source)
        except OSError:
            continue
        if (read.st_dev, read.st_ino) == (written.st_dev, written.st_ino):
            raise SubsidyError(
                t("is also an input ({file}): write the results to another file",
                  file=str(source)), where=str(output),
            )  # fmt: skip
