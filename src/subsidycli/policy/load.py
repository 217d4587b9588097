"""Finding and reading policy files: the bundled ones, a path or id, the cache of validated files."""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from pathlib import Path

from subsidycli.errors import PolicyError
from subsidycli.files import decode
from subsidycli.i18n import t
from subsidycli.policy import trust
from subsidycli.policy.compile import _compile
from subsidycli.policy.keylines import KeyLines, toml_error
from subsidycli.policy.model import Policy
from subsidycli.policy.validate import validate_schema


def bundled_dir() -> Path:
    """The folder of bundled policies: inside the installed package, or the source checkout's."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "policies"
    return installed if installed.is_dir() else package.parent.parent / "policies"


def bundled_paths() -> list[Path]:
    """The bundled policy files, sorted by name."""
    return sorted(bundled_dir().glob("*.toml"))


def resolve(ref: str) -> Path:
    """A policy given as a path, or as the id (file stem) of a bundled policy."""
    path = Path(ref)
    if path.suffix == ".toml" or path.exists():
        return path
    for candidate in bundled_paths():
        if candidate.stem == ref:
            return candidate
    known = ", ".join(p.stem for p in bundled_paths())
    raise PolicyError(
        [
            t(
                "no policy file or bundled policy id {ref} (bundled: {known})",
                ref=repr(ref),
                known=known,
            )
        ]
    )


def load_policy(
    path: str | Path, overrides: Mapping[str, str] | None = None, *, validate: bool = False
) -> Policy:
    """Load, validate and compile a policy file; raise PolicyError listing every problem.

    `overrides` maps "article-id.name" to a new value: a named value of the article, or one of
    its expressions (`when`, `amount`, `cap`). It models a changed policy without editing files;
    keys naming articles this policy does not have are ignored (see `unmatched_overrides`).
    `validate` checks the schema even when this exact file passed before (for `subsidy lint`).
    """
    path = Path(path)
    where = str(path)
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise PolicyError([t("is a directory, not a policy file")], where=where) from None
    except OSError as exc:
        raise PolicyError([exc.strerror or str(exc)], where=where) from None
    text = decode(raw, where, PolicyError)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError([toml_error(str(exc))], where=where) from None
    except (ValueError, RecursionError) as exc:  # integers of 5000 digits, arrays 5000 deep
        reason = t("nested too deeply") if isinstance(exc, RecursionError) else str(exc)[:120]
        raise PolicyError([t("invalid TOML: {why}", why=reason)], where=where) from None
    lines = KeyLines(text)
    sha256 = hashlib.sha256(raw).hexdigest()
    known_good = not validate and trust.is_validated(sha256, path.resolve().parent)
    if not known_good:
        validate_schema(data, lines, where)
    policy = _compile(data, lines, where, sha256, dict(overrides or {}))
    if not known_good and not overrides:
        trust.mark_validated(sha256)
    return policy


