"""Finding and loading policy files: the bundled ones, or one named by path or id.

`load_policy` reads a file, parses its TOML, checks it against the schema unless these exact
bytes passed before (`trust.py`), and compiles it (`compile.py`); `load_policy_for` loads what a
command was given, keeps the policies in force on a date, and combines them (`combine.py`).
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, cast

from subsidycli.errors import PolicyError, SubsidyError
from subsidycli.files import decode
from subsidycli.i18n import t
from subsidycli.policy import trust
from subsidycli.policy.compile import compile_policy
from subsidycli.policy.keylines import KeyLines, toml_error
from subsidycli.policy.model import Policy
from subsidycli.policy.validate import validate_schema

if TYPE_CHECKING:
    from subsidycli.policy.schema import PolicyFile


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
    # The file has the schema's shape: it passed just now, or these very bytes passed before.
    checked = cast("PolicyFile", data)
    policy = compile_policy(checked, lines, where, sha256, dict(overrides or {}))
    if not known_good and not overrides:
        trust.mark_validated(sha256)
    return policy


def load_policy_for(
    refs: list[str] | None,
    overrides: dict[str, str] | None = None,
    day: str | None = None,
    warn: Callable[[str], None] = lambda message: None,
) -> Policy:
    """The policy a command works on: those named by --policy (combined), or the bundled ones.

    With `day` (YYYY-MM-DD), only the policies in force on that day are kept; `warn` is told of
    a policy that states no dates.
    """
    from subsidycli import policy as policies

    paths = [policies.resolve(ref) for ref in refs] if refs else policies.bundled_paths()
    loaded = [policies.load_policy(path, overrides) for path in dict.fromkeys(paths)]
    problems = policies.unmatched_overrides(loaded, overrides or {})
    if problems:
        from subsidycli.errors import Problems

        raise Problems(list(problems))
    if day is not None:
        import datetime as dt

        try:
            when = dt.date.fromisoformat(day)
        except ValueError:
            raise SubsidyError(
                t("--date {day}: expected a date as YYYY-MM-DD", day=repr(day))
            ) from None
        for undated in (p for p in loaded if not (p.meta.effective_from or p.meta.effective_to)):
            warn(
                t("--date {day}: {policy} states no dates of force (effective_from, "
                  "effective_to): it is used whatever the day", day=day, policy=undated.id)
            )  # fmt: skip
        in_force = [p for p in loaded if p.in_force(when)]
        if not in_force:
            spans = ", ".join(
                f"{p.id} ({p.meta.effective_from or '…'} – {p.meta.effective_to or '…'})"
                for p in loaded
            )
            raise SubsidyError(
                t("--date {day}: no policy in force on that day ({spans})", day=day, spans=spans)
            )
        loaded = in_force
    return policies.combine(loaded)
