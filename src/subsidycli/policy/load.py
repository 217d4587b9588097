"""Finding and loading policy files: the bundled ones, or one named by path or id.

`load_policy` reads a file, parses its TOML, checks it against the schema unless these exact
bytes passed before (`trust.py`), and compiles it (`compile.py`); `load_policy_for` loads what a
command was given, refuses a policy given twice, keeps one file of each family, marks the
policies not in force on the day, and combines them (`combine.py`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, cast

from subsidycli.errors import PolicyError, SubsidyError
from subsidycli.files import decode, read_bounded
from subsidycli.i18n import t
from subsidycli.policy import trust
from subsidycli.policy.compile import compile_policy
from subsidycli.policy.keylines import KeyLines, toml_error
from subsidycli.policy.model import Policy
from subsidycli.policy.validate import validate_schema

if TYPE_CHECKING:
    from subsidycli.policy.schema import PolicyFile

# A policy file is a page of law and its numbers: the bundled one is 62 KB. Anything much larger
# is not a policy, and is refused before it is read whole (/dev/zero, a 50 MB string).
MAX_POLICY_BYTES = 2 * 2**20


def bundled_dir() -> Path:
    """The folder of bundled policies: inside the installed package, or the source checkout's."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "policies"
    return installed if installed.is_dir() else package.parent.parent / "policies"


def bundled_paths() -> list[Path]:
    """The bundled policy files: the default one (`default_path`) first, then the others by name."""
    default = default_path()
    return sorted(bundled_dir().glob("*.toml"), key=lambda path: (path != default, path.name))


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
    if path.is_dir():
        raise PolicyError([t("is a directory, not a policy file")], where=where)
    raw = read_bounded(path, MAX_POLICY_BYTES, PolicyError)
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
    folder = path.resolve().parent
    package = bundled_dir().resolve()  # only the installed package's record is trusted
    known_good = not validate and trust.is_validated(sha256, package if folder == package else None)
    if not known_good:
        validate_schema(data, lines, where)
    # The file has the schema's shape: it passed just now, or these very bytes passed before.
    checked = cast("PolicyFile", data)
    policy = compile_policy(checked, lines, where, sha256, dict(overrides or {}))
    _confine_source_file(policy, folder, lines, where)
    if not known_good and not overrides:
        trust.mark_validated(sha256)
    return policy


def _overrides_by_id(loaded: list[Policy], overrides: dict[str, str]) -> dict[str, str]:
    """The overrides with every article named by its title named by its id; a title of several
    articles (in one file or across them) is refused, listing them."""
    from subsidycli.policy.overrides import by_id

    named, problems = by_id(loaded, overrides)
    if problems:
        from subsidycli.errors import Problems

        raise Problems(problems)
    return named


def _confine_source_file(policy: Policy, folder: Path, lines: KeyLines, where: str) -> None:
    """`source_file` names a file in the policy's own folder (or below it), never another one
    (`/etc/passwd`, `../../etc/hostname`, a symlink out): `lint` prints from it."""
    name = policy.meta.source_file
    if name is None:
        return
    target = (folder / str(name)).resolve()
    if Path(str(name)).is_absolute() or not target.is_relative_to(folder):
        raise PolicyError(
            [(str(lines.line(("policy", "source_file"))),
              t("source_file {file}: name a file in the policy's folder", file=repr(name)))],
            where=where,
        )  # fmt: skip


def load_policy_for(
    refs: list[str] | None,
    overrides: dict[str, str] | None = None,
    day: str | dt.date | None = None,
    warn: Callable[[str], None] = lambda message: None,
) -> Policy:
    """The policy a command works on: those named by --policy (combined), or the default one.

    It is evaluated on `day` (YYYY-MM-DD; today when None), recorded as `evaluated_on`. A policy
    not in force that day is still loaded, computed and shown, and named in `lapsed`: the
    engine leaves its amounts out of the total. Of the files of one family (`[policy] family`)
    only the one in force replaces the others (none in force: the latest; two: an error). The
    same policy given twice, or a copy of one (same title and issuer, another id), is refused.
    `warn` is told of a policy that states no dates when a day was given, and of a file of a
    family left out.
    """
    from subsidycli import policy as policies

    when = evaluation_day(day)
    paths = [policies.resolve(ref) for ref in refs] if refs else [default_path()]
    _refuse_repeated(paths)
    loaded = [policies.load_policy(path, overrides) for path in paths]
    if overrides:  # an article may be named by its title (研发投入补助.max): load it by its id
        named = _overrides_by_id(loaded, overrides)
        if named != overrides:
            overrides = named
            loaded = [policies.load_policy(path, overrides) for path in paths]
    problems = policies.unmatched_overrides(loaded, overrides or {})
    if problems:
        from subsidycli.errors import Problems

        raise Problems(list(problems))
    refuse_copies(loaded)
    if day is not None:
        for undated in (p for p in loaded if not (p.meta.effective_from or p.meta.effective_to)):
            warn(
                t("--date {day}: {policy} states no dates of force (effective_from, "
                  "effective_to): it is used whatever the day", day=day, policy=undated.id)
            )  # fmt: skip
    loaded = _one_of_each_family(loaded, when, warn)
    lapsed = frozenset(p.id for p in loaded if not p.in_force(when))
    return replace(policies.combine(loaded), evaluated_on=when, lapsed=lapsed)


def default_path() -> Path:
    """The bundled policy used when no --policy is given: the id in `policies/DEFAULT`."""
    chosen = (bundled_dir() / "DEFAULT").read_text(encoding="utf-8").strip()
    return bundled_dir() / f"{chosen}.toml"


def evaluation_day(day: str | dt.date | None) -> dt.date:
    """`--date` as a date; today when not given."""
    if day is None:
        return today()
    if isinstance(day, dt.date):
        return day
    try:
        return dt.date.fromisoformat(day)
    except ValueError:
        raise SubsidyError(
            t("--date {day}: expected a date as YYYY-MM-DD", day=repr(day))
        ) from None


def today() -> dt.date:
    """Today's date, or the day $SUBSIDYCLI_TODAY names (YYYY-MM-DD), for output that must not
    change from one day to the next (the README's examples: tools/readme.py)."""
    import os

    fixed = os.environ.get("SUBSIDYCLI_TODAY")
    if not fixed:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(fixed)
    except ValueError:
        raise SubsidyError(
            t("SUBSIDYCLI_TODAY={day}: expected a date as YYYY-MM-DD", day=repr(fixed))
        ) from None


def _refuse_repeated(paths: list[Path]) -> None:
    """One file named twice (by path or by id) would add its amounts twice."""
    seen: dict[Path, Path] = {}
    for path in paths:
        first = seen.setdefault(path.resolve(), path)
        if first is not path:
            raise PolicyError([t("the same policy file is given twice ({first}, {second}): its "
                                 "amounts would be added twice; give it once", first=first,
                                 second=path)])  # fmt: skip


def refuse_copies(loaded: list[Policy]) -> None:
    """Two files with one id, or with one title and issuer under two ids (a copy), outside a
    family of versions: their amounts would be added twice."""
    for n, one in enumerate(loaded):
        for other in loaded[n + 1 :]:
            if one.id == other.id:
                raise PolicyError([t("policy id {id} is used by more than one file ({first}, "
                                     "{second}): the same policy loaded twice would add its "
                                     "amounts twice; give it once", id=repr(one.id),
                                     first=one.path, second=other.path)])  # fmt: skip
            family = one.meta.family
            versions = family is not None and family == other.meta.family
            same = _same_words(one.title, other.title) and (
                _same_words(one.meta.issuer, other.meta.issuer)
            )
            if same and not versions:
                raise PolicyError([t("{first} ({id}) and {second} ({other}) are the same policy "
                                     "(same title and issuer): a copy would add every amount "
                                     "twice; give one of them, or if they are versions of one "
                                     "policy, give both the same `[policy] family`",
                                     first=one.path, id=one.id, second=other.path,
                                     other=other.id)])  # fmt: skip


def _same_words(one: Mapping[str, str] | None, other: Mapping[str, str] | None) -> bool:
    """Two titles (or issuers) are the same when they agree in every language (a draft retitled
    in one language is another document). Two that state none agree."""
    if one is None or other is None:
        return one is other
    return dict(one) == dict(other)


def _one_of_each_family(
    loaded: list[Policy], when: dt.date, warn: Callable[[str], None]
) -> list[Policy]:
    """Of the files of one family, the one in force on `when` (none: the latest; two: refused);
    files without a family are all kept, in the order given."""
    families: dict[str, list[Policy]] = {}
    for p in loaded:
        if p.meta.family is not None:
            families.setdefault(p.meta.family, []).append(p)
    chosen: dict[str, Policy] = {}
    for family, members in families.items():
        in_force = [p for p in members if p.in_force(when)]
        if len(in_force) > 1:
            raise PolicyError([t("{first} and {second} of policy family {family} are both in "
                                 "force on {day}: the dates of one of them are wrong",
                                 first=in_force[0].path, second=in_force[1].path,
                                 family=repr(family), day=when.isoformat())])  # fmt: skip
        chosen[family] = in_force[0] if in_force else max(members, key=_start)
        for left in members:
            if left is not chosen[family]:
                warn(t("{left} is left out: {used} of the same policy family {family} is used "
                       "on {day}", left=left.id, used=chosen[family].id, family=repr(family),
                       day=when.isoformat()))  # fmt: skip
    return [p for p in loaded if p.meta.family is None or chosen[p.meta.family] is p]


def _start(policy: Policy) -> tuple[dt.date, dt.date]:
    """When a version begins, for "the latest" of a family (an unstated date is the earliest)."""
    meta, earliest = policy.meta, dt.date.min
    return (meta.effective_from or meta.issue_date or earliest, meta.effective_to or earliest)
