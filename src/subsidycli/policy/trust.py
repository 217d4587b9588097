"""A small on-disk record of policy files that passed schema validation.

Importing pydantic and building its validator (`schema.validator`) are the largest start-up
costs of the tool; a policy file whose exact bytes (SHA-256) already passed validation with this
version of the tool need not pay them again. Its expressions are still compiled by the
whitelisted compiler on every load. The record lives in $SUBSIDYCLI_CACHE_DIR, else
$XDG_CACHE_HOME/subsidycli, else ~/.cache/subsidycli; set SUBSIDYCLI_CACHE_DIR to an empty string
to turn it off. Any failure to read or write it is ignored.

The bundled policies ship their own record, `policies/VALIDATED` (one SHA-256 a line), which the
test suite keeps equal to the hashes of the bundled files after linting them; so even the first
run after installation skips pydantic. An edited file has another hash and is validated again.
That record is read for the installed package's own folder only: a `VALIDATED` file beside any
other policy is ignored, so that nobody who can write beside a policy can switch its checks off.
"""

from __future__ import annotations

import os
from pathlib import Path

from subsidycli import __version__


def _folder() -> Path | None:
    configured = os.environ.get("SUBSIDYCLI_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "subsidycli"


def _marker(sha256: str) -> Path | None:
    folder = _folder()
    return None if folder is None else folder / f"validated-{__version__}" / sha256


def shipped(folder: Path) -> frozenset[str]:
    """The SHA-256 hashes listed in a folder's VALIDATED file."""
    try:
        text = (folder / "VALIDATED").read_text(encoding="ascii")
    except OSError:
        return frozenset()
    return frozenset(line.split()[0] for line in text.splitlines() if line.strip())


def is_validated(sha256: str, package_folder: Path | None = None) -> bool:
    """True when a file with this SHA-256 passed validation before, in the user's own cache, or
    ships as validated in `package_folder` (the installed package's policies: the caller passes
    it only for a file that lies there)."""
    if package_folder is not None and sha256 in shipped(package_folder):
        return True
    marker = _marker(sha256)
    try:
        return marker is not None and marker.is_file()
    except OSError:
        return False


def mark_validated(sha256: str) -> None:
    """Remember that a file with this SHA-256 passed validation."""
    marker = _marker(sha256)
    if marker is None:
        return
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        pass
