"""Writing files so that nothing is half-written: a temporary file, then an atomic rename."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from subsidycli.errors import Problems, ProfileError, SubsidyError
from subsidycli.i18n import t


@contextlib.contextmanager
def _reporting(target: Path) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise SubsidyError(
            t("cannot write: {why}", why=exc.strerror or exc), where=str(target)
        ) from None


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
        with _reporting(target):
            handle = open(target, "w", encoding="utf-8-sig" if bom else "utf-8", newline=newline)
        try:
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
    try:
        import tempfile  # here, not at import: `calc` to stdout never needs it

        fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
    except OSError as exc:
        raise SubsidyError(
            t("cannot write here: {why}", why=exc.strerror), where=str(target)
        ) from None
    try:
        encoding = "utf-8-sig" if bom else "utf-8"
        with os.fdopen(fd, "w", encoding=encoding, newline=newline) as handle:
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
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            [t("is not UTF-8 text (bad byte at offset {offset})", offset=exc.start)], where=where
        ) from None
    if "\x00" in text:
        raise error([t("is binary, not text")], where=where)
    return text
