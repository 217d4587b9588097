"""Writing files so that nothing is half-written: a temporary file, then an atomic rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from subsidycli.errors import SubsidyError


@contextlib.contextmanager
def atomic_writer(
    path: str | Path, *, bom: bool = False, newline: str | None = None
) -> Iterator[TextIO]:
    """Open a temporary file beside `path`; rename it into place only if the block succeeds.

    An interrupted or failed run leaves any earlier file at `path` untouched.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise SubsidyError("is a directory; give a file name", where=str(target))
    if not folder.is_dir():
        raise SubsidyError(f"folder {str(folder)!r} does not exist", where=str(target))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise SubsidyError(f"cannot write here: {exc.strerror}", where=str(target)) from None
    try:
        encoding = "utf-8-sig" if bom else "utf-8"
        with os.fdopen(fd, "w", encoding=encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists():
            with contextlib.suppress(OSError):
                os.chmod(tmp, target.stat().st_mode & 0o777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_atomic(path: str | Path, text: str, *, bom: bool = False) -> None:
    """Write `text` to `path` atomically (UTF-8, with a byte-order mark when `bom`)."""
    with atomic_writer(path, bom=bom, newline="") as handle:
        handle.write(text)
