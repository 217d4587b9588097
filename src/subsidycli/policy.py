"""Policy files: pydantic models of the TOML schema, loading with file:line errors, compilation.

A policy file is data. `load_policy` reads it, validates it against the models below, compiles
every condition and amount with the whitelisted compiler in `expr`, and returns a frozen `Policy`.
Every problem is reported as `file:line: where: what is wrong (what would be valid)`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
import typing
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from subsidycli import _cache, money
from subsidycli.errors import ExpressionError, MoneyError, PolicyError, Problem
from subsidycli.expr import Expr, Symbol, compile_expr
from subsidycli.files import decode
from subsidycli.i18n import t

CASH_BASES = frozenset({"up_to", "exact"})
ANY = "any"

Text = Mapping[str, str]  # {"zh": ..., "en": ...}


@dataclass(frozen=True, slots=True)
class Meta:
    """The `[policy]` table: what the policy is, and what the source does not state."""

    id: str
    title: Text
    issuer: Text | None
    region: Text | None
    source_file: str | None
    preamble: str | None
    not_stated: tuple[str, ...]
    effective_from: dt.date | None
    effective_to: dt.date | None


# ---------------------------------------------------------------------------------------------
# The compiled policy


@dataclass(frozen=True, slots=True)
class Input:
    """A profile field the policy declares: its type, labels, and how to parse a value."""

    name: str
    type: str
    label: Text
    help: Text | None
    unit: Text | None
    section: str | None
    choices: tuple[Mapping[str, Any], ...]  # {"value", "zh", "en", "aliases"?}
    default: Any  # a parsed value, or None
    default_if: Expr | None
    default_then: Any
    default_else: Any
    parse: Callable[[object], Any]
    aliases: tuple[str, ...] = ()  # other header names of the field in a spreadsheet
    check: Text | None = None  # how a checklist names the item: the things, not "number of"
    at_most: str | None = None  # another input this one cannot exceed (a part of that amount)


@dataclass(frozen=True, slots=True)
class Tier:
    """One tier of a tiered article: it pays `amount` when `when` holds (None: always)."""

    when: Expr | None
    amount: Expr


@dataclass(frozen=True, slots=True)
class Article:
    """One article of the policy, its numbers and its compiled condition and amount."""

    id: str
    section: str
    title: Text
    who: frozenset[str] | None  # None: any applicant
    basis: str
    values: Mapping[str, tuple[Decimal, str]]
    when: Expr | None
    amount: Expr | None
    cap: Expr | None
    count: str | None
    tax_saving: Expr | None
    source: str
    note: Text | None
    not_stated: tuple[str, ...]
    inputs: tuple[str, ...]  # every input field the result depends on
    labels: Mapping[str, Mapping[str, str]]  # the labels of those fields, by language
    who_label: Mapping[str, str] | None  # the applicant types that may claim, in words
    overridden: frozenset[str] = frozenset()
    policy: str = ""  # the id of the policy the article belongs to
    # Paid by tiers instead of `amount`: the first whose condition holds pays. Tier n in words
    # (第n档 / tier n) is tiers[n - 1].
    tiers: tuple[Tier, ...] = ()


@dataclass(frozen=True, slots=True)
class Policy:
    """A loaded, validated and compiled policy file."""

    id: str
    title: Text
    meta: Meta
    sections: Mapping[str, Text]  # section id -> title
    inputs: Mapping[str, Input]
    articles: tuple[Article, ...]
    path: str
    sha256: str
    data: Mapping[str, Any] = field(repr=False)  # the file as parsed, for `diff`
    parts: tuple[Policy, ...] = ()  # the policies a combined policy is made of
    # The inputs with a default, in the policy's order: what `engine.environment` fills in.
    defaulted: tuple[Input, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        defaulted = (i for i in self.inputs.values() if (i.default, i.default_if) != (None, None))
        object.__setattr__(self, "defaulted", tuple(defaulted))

    @property
    def files(self) -> tuple[Policy, ...]:
        """The loaded policy files behind this policy (itself, or the parts it combines)."""
        return self.parts or (self,)

    def article(self, article_id: str) -> Article | None:
        """The article with this id, or None."""
        return next((a for a in self.articles if a.id == article_id), None)

    def source_text(self) -> str | None:
        """The full source text shipped beside the policy file, if any."""
        if not self.meta.source_file:
            return None
        path = Path(self.path).parent / self.meta.source_file
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def in_force(self, day: dt.date) -> bool:
        """Whether the policy is in force on `day` (an open end is in force)."""
        start, end = self.meta.effective_from, self.meta.effective_to
        return (start is None or start <= day) and (end is None or day <= end)


_PARSERS: dict[str, Callable[[object], Any]] = {
    "money": money.parse_money,
    "count": money.parse_count,
    "bool": money.parse_bool,
    "rate": money.parse_rate,
}


def choice_words(choices: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Every word that names a choice, folded (`fold`), and the choice's value: the value, its
    Chinese and English labels and its aliases (企业, 公司, Enterprise -> enterprise)."""
    words: dict[str, str] = {}
    for choice in choices:
        names = [choice["value"], choice["zh"], choice["en"], *choice.get("aliases", ())]
        for name in names:
            words.setdefault(fold(name), choice["value"])
    return words


def fold(text: str) -> str:
    """A word as it is compared with the policy's words: full-width folded, case ignored, and
    no spaces (`企 业`, `ＥＮＴＥＲＰＲＩＳＥ`, ` Enterprise ` are the same word)."""
    return "".join(money.normalize_text(text).casefold().split())


def _text_parser(choices: Iterable[Mapping[str, Any]] | None) -> Callable[[object], Any]:
    words = choice_words(choices) if choices else None
    shown = ", ".join(f"{c['value']} ({c['zh']})" for c in choices or ())

    def parse(value: object) -> str:
        if not isinstance(value, str):
            raise MoneyError(t("{value} is not text", value=f"{value!r:.40}"))
        printable = value.isprintable()  # the common case, checked in C; implies no Cc, Cs
        if not printable and any(unicodedata.category(c) in ("Cc", "Cs") for c in value):
            # Terminal escapes, NUL, or a non-UTF-8 byte smuggled in as a lone surrogate.
            raise MoneyError(
                t("{value} contains control characters or broken Unicode", value=f"{value!r:.40}")
            )
        if words is not None:
            found = words.get(value)  # a word as the policy folds it: nothing to fold
            if found is not None:
                return found
        text = money.normalize_text(value)
        if words is not None:
            found = words.get(fold(text))
            if found is None:
                raise MoneyError(
                    t("{value} is not one of {choices}", value=f"{value!r:.40}", choices=shown)
                )
            return found
        if len(text) > 500:
            raise MoneyError(t("text longer than 500 characters"))
        return text

    return parse


# ---------------------------------------------------------------------------------------------
# Loading


def bundled_dir() -> Path:
    """The folder of bundled policies: inside the installed package, or the source checkout's."""
    here = Path(__file__).resolve().parent
    installed = here / "policies"
    return installed if installed.is_dir() else here.parent.parent / "policies"


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
    known_good = not validate and _cache.is_validated(sha256, path.resolve().parent)
    if not known_good:
        validate_schema(data, lines, where)
    policy = _compile(data, lines, where, sha256, dict(overrides or {}))
    if not known_good and not overrides:
        _cache.mark_validated(sha256)
    return policy


def validate_schema(data: Mapping[str, Any], lines: KeyLines, where: str) -> None:
    """Check parsed TOML against the pydantic schema; raise PolicyError with file:line."""
    from pydantic import ValidationError

    from subsidycli.policy_schema import PolicyFile

    try:
        PolicyFile.model_validate(data)
    except ValidationError as exc:
        problems: list[Problem] = [
            (str(lines.line(err["loc"])), f"{_loc_text(err['loc'], data)}: {_schema_message(err)}")
            for err in exc.errors(include_url=False)
        ]
        raise PolicyError(problems, where=where) from None


# Keys analysts write for the ones the schema has (difflib finds the misspellings).
_SYNONYMS = {
    "condition": "when", "conditions": "when", "if": "when", "require": "when",
    "requires": "when", "formula": "amount", "sum": "amount", "pay": "amount",
    "limit": "cap", "max": "cap", "maximum": "cap", "ceiling": "cap", "quote": "source",
    "text": "source", "tier": "tiers", "levels": "tiers", "bands": "tiers", "value": "values",
    "applicant": "who", "applicants": "who", "per": "count", "per_item": "count",
}  # fmt: skip


def _schema_message(err: Any) -> str:
    """pydantic's message, or for an unknown key: the key meant and the keys allowed there."""
    if err["type"] != "extra_forbidden":
        said = _SCHEMA_WORDS.get(err["type"])
        return said(err.get("ctx") or {}) if said else str(err["msg"])
    import difflib

    key = str(err["loc"][-1])
    allowed = _allowed_keys(err["loc"][:-1])
    near = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    meant = _SYNONYMS.get(key.lower()) or (near[0] if near else None)
    if meant in allowed:
        return t("unknown key `{key}` (did you mean `{meant}`? allowed: {allowed})", key=key,
                 meant=meant, allowed=", ".join(allowed))  # fmt: skip
    return t("unknown key `{key}` (allowed: {allowed})", key=key, allowed=", ".join(allowed))


# pydantic's words for the common mistakes in a policy file, said through `t` (so in Chinese
# too); any other error keeps pydantic's message.
_SCHEMA_WORDS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "missing": lambda ctx: t("Field required"),
    "string_type": lambda ctx: t("Input should be a valid string"),
    "int_type": lambda ctx: t("Input should be a valid integer"),
    "bool_type": lambda ctx: t("Input should be a valid boolean"),
    "list_type": lambda ctx: t("Input should be a valid list"),
    "dict_type": lambda ctx: t("Input should be a valid dictionary"),
    "model_type": lambda ctx: t("Input should be a valid dictionary or instance of {class_name}",
                                class_name=ctx.get("class_name", "")),
    "literal_error": lambda ctx: t("Input should be {expected}", expected=ctx.get("expected", "")),
}  # fmt: skip


def _allowed_keys(loc: Sequence[Any]) -> list[str]:
    """The keys the schema allows in the table at `loc` (("articles", 3) → an article's)."""
    from pydantic import BaseModel

    from subsidycli.policy_schema import PolicyFile

    def model_in(annotation: Any) -> type[BaseModel] | None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return annotation
        for arg in typing.get_args(annotation):
            found = model_in(arg)
            if found is not None:
                return found
        return None

    model: type[BaseModel] | None = PolicyFile
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        model = model_in(field.annotation) if field is not None else None
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def toml_error(message: str) -> Problem:
    """A tomllib error as a problem at its line and column."""
    match = re.search(r"\(at line (\d+), column (\d+)\)", message)
    if match:
        detail = message[: match.start()].strip()
        return (f"{match.group(1)}:{match.group(2)}", t("invalid TOML: {why}", why=detail))
    return t("invalid TOML: {why}", why=message)


def _loc_text(loc: tuple[Any, ...], data: Mapping[str, Any]) -> str:
    parts: list[str] = []
    node: Any = data
    for part in loc:
        if isinstance(part, int):
            ident = (
                node[part].get("id") or node[part].get("name") if _indexable(node, part) else None
            )
            parts[-1] = f"{parts[-1]}[{ident or part}]"
        else:
            parts.append(str(part))
        node = node[part] if _indexable(node, part) else None
    return ".".join(parts)


def with_defaults(fields: Iterable[str], inputs: Mapping[str, Input]) -> list[str]:
    """The fields, then the fields their conditional defaults read, however deep (in order)."""
    deps = list(dict.fromkeys(fields))
    for dep in deps:  # grows while it is read: a default's fields, and their defaults' fields
        cond = inputs[dep].default_if if dep in inputs else None
        if cond is not None:
            deps.extend(n for n in cond.inputs if n not in deps)
    return deps


def _indexable(node: Any, part: Any) -> bool:
    if isinstance(node, list):
        return isinstance(part, int) and 0 <= part < len(node)
    return isinstance(node, dict) and part in node


class KeyLines:
    """Line numbers of tables and keys in a TOML text, for error messages.

    tomllib keeps no positions, so this scans the text: it knows `[[articles]]` blocks by their
    index and the `key =` lines inside them, which is all an error message needs. The scan runs
    only when a message needs a line: a good file never pays for it.
    """

    _HEADER = re.compile(r"^\s*\[(\[)?\s*([A-Za-z0-9_.\-]+)\s*\]")
    _KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*[.=]")
    _STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'')  # brackets in text are not arrays

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines: dict[tuple[Any, ...], int] | None = None

    @property
    def lines(self) -> dict[tuple[Any, ...], int]:
        if self._lines is None:
            self._lines = self._scan(self._text)
        return self._lines

    def _scan(self, text: str) -> dict[tuple[Any, ...], int]:
        lines: dict[tuple[Any, ...], int] = {}
        counts: dict[str, int] = {}
        table: tuple[Any, ...] = ()
        in_multiline = False
        array: tuple[Any, ...] | None = None  # the key of a multi-line array being read
        depth = index = 0
        for number, line in enumerate(text.splitlines(), start=1):
            if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                was = in_multiline
                in_multiline = not in_multiline
                if was:
                    continue
            elif in_multiline:
                continue
            if array is not None:  # `tiers = [` … `]`: an inline table a line, by its index
                if line.lstrip().startswith("{"):
                    lines.setdefault((*array, index), number)
                    index += 1
                bare = self._STRING.sub("", line)
                depth += bare.count("[") - bare.count("]")
                if depth <= 0:
                    array = None
                continue
            header = self._HEADER.match(line)
            if header:
                name = header.group(2)
                if header.group(1):
                    index = counts.get(name, -1) + 1
                    counts[name] = index
                    table = (*name.split("."), index)
                else:
                    parts = name.split(".")
                    if parts[0] in counts:
                        table = (parts[0], counts[parts[0]], *parts[1:])
                    else:
                        table = tuple(parts)
                lines.setdefault(table, number)
                continue
            key = self._KEY.match(line)
            if key:
                lines.setdefault((*table, key.group(1)), number)
                rest = self._STRING.sub("", line[key.end() :]).lstrip()
                if rest.startswith("[") and rest.count("[") > rest.count("]"):
                    array, depth, index = (*table, key.group(1)), 1, 0
        return lines

    def line(self, loc: tuple[Any, ...]) -> int:
        """The line of the longest known prefix of `loc` (1 when nothing matches)."""
        for end in range(len(loc), 0, -1):
            found = self.lines.get(tuple(loc[:end]))
            if found:
                return found
        return 1


def _compile(
    data: Mapping[str, Any], lines: KeyLines, where: str, sha256: str, overrides: dict[str, str]
) -> Policy:
    problems: list[Problem] = []
    blamed: list[str] = []  # problems of an --override: the command's, not a line of the file

    def problem(loc: tuple[Any, ...], message: str) -> None:
        if loc:
            problems.append((str(lines.line(loc)), message))
        else:
            blamed.append(message)

    sections: dict[str, Text] = {}
    for i, section in enumerate(data["sections"]):
        if section["id"] in sections:
            problem(("sections", i, "id"), t("duplicate section id {id}", id=repr(section["id"])))
        sections[section["id"]] = section["title"]

    inputs: dict[str, Input] = {}
    symbols: dict[str, Symbol] = {}
    for i, item in enumerate(data["inputs"]):
        name, kind = item["name"], item["type"]
        if name in inputs:
            problem(("inputs", i, "name"), t("duplicate input {name}", name=repr(name)))
            continue
        section = item.get("section")
        if section is not None and section not in sections:
            unknown = t("input {name}: unknown section {section}", name=name, section=repr(section))
            problem(("inputs", i, "section"), unknown)
        choices = frozenset(c["value"] for c in item.get("choices") or ())
        if kind == "choice" and not choices:
            problem(("inputs", i, "type"), t("input {name}: a choice needs `choices`", name=name))
        named: dict[str, str] = {}
        for choice in item.get("choices") or ():
            for word in choice_words([choice]):
                if named.setdefault(word, choice["value"]) != choice["value"]:
                    problem(("inputs", i, "choices"),
                            t("input {name}: {word} names both {one} and {other}", name=name,
                              word=repr(word), one=named[word], other=choice["value"]))  # fmt: skip
        parse = _PARSERS.get(kind) or _text_parser(item.get("choices") or None)
        symbols[name] = Symbol(
            kind if kind in _PARSERS else "text", label=item["label"], choices=choices or None
        )
        inputs[name] = Input(
            name=name, type=kind, label=item["label"], help=item.get("help"),
            unit=item.get("unit"), section=section, choices=tuple(item.get("choices") or ()),
            default=None, default_if=None, default_then=None, default_else=None, parse=parse,
            aliases=tuple(item.get("aliases") or ()),
            check=item.get("check"), at_most=item.get("at_most"),
        )  # fmt: skip
    for i, item in enumerate(data["inputs"]):
        default, name = item.get("default"), item["name"]
        if default is None or name not in inputs:
            continue
        try:
            parse = inputs[name].parse
            if isinstance(default, dict):
                cond = compile_expr(default["if"], symbols, expect="bool")
                then, other = parse(default["then"]), parse(default["else"])
                inputs[name] = replace(
                    inputs[name], default_if=cond, default_then=then, default_else=other
                )
            else:
                inputs[name] = replace(inputs[name], default=parse(default))
        except (ExpressionError, MoneyError) as exc:
            problem(("inputs", i, "default"),
                    t("input {name}: default: {why}", name=name, why=exc.message))  # fmt: skip
    order = {item["name"]: i for i, item in enumerate(data["inputs"])}
    for cycle in default_cycles(inputs):
        loop = " → ".join([*cycle, cycle[0]])
        problem(
            ("inputs", order[cycle[0]], "default"),
            t(
                "input {name}: default: the defaults go round in a circle ({loop}), so none of "
                "them is ever asked for; make one of them a plain default or none",
                name=cycle[0],
                loop=loop,
            ),
        )
    meta = data["policy"]
    start, end = meta.get("effective_from"), meta.get("effective_to")
    if start is not None and end is not None and end < start:
        problem(("policy", "effective_to"),
                t("policy.effective_to {end} is before effective_from {start}", end=end,
                  start=start))  # fmt: skip

    for i, item in enumerate(data["inputs"]):
        bound, name = item.get("at_most"), item["name"]
        if bound is not None and name in inputs:
            other = inputs.get(bound)
            if other is None or other.type != inputs[name].type or bound == name:
                problem(
                    ("inputs", i, "at_most"),
                    t(
                        "input {name}: at_most: {bound} is not another declared input of type "
                        "{kind}",
                        name=name,
                        bound=repr(bound),
                        kind=inputs[name].type,
                    ),
                )

    applicant = inputs.get("applicant_type")
    applicant_types = frozenset(c["value"] for c in applicant.choices) if applicant else frozenset()
    articles: list[Article] = []
    seen: set[str] = set()
    for i, article in enumerate(data["articles"]):
        if article["id"] in seen:
            problem(("articles", i, "id"), t("duplicate article id {id}", id=repr(article["id"])))
        seen.add(article["id"])
        compiled = _compile_article(
            article, i, symbols, inputs, sections, applicant_types, overrides, problem
        )
        if compiled is not None:
            articles.append(replace(compiled, policy=meta["id"]))
    if blamed:  # the file's own problems keep their lines; the override's name the option
        located = PolicyError(problems, where=where).lines() if problems else []
        raise PolicyError([*located, *blamed])
    if problems:
        raise PolicyError(problems, where=where)
    return Policy(
        id=meta["id"], title=meta["title"],
        meta=Meta(
            id=meta["id"], title=meta["title"], issuer=meta.get("issuer"),
            region=meta.get("region"), source_file=meta.get("source_file"),
            preamble=meta.get("preamble"), not_stated=tuple(meta.get("not_stated", ())),
            effective_from=start, effective_to=end,
        ),
        sections=sections, inputs=inputs, articles=tuple(articles), path=where, sha256=sha256,
        data=data,
    )  # fmt: skip


def default_cycles(inputs: Mapping[str, Input]) -> list[list[str]]:
    """Conditional defaults that read each other in a circle (each circle once, in file order).

    `a` defaults on `b` and `b` on `a`: neither is ever asked, as each seems to have a value.
    """
    reads = {
        name: [n for n in item.default_if.inputs if n in inputs]
        for name, item in inputs.items()
        if item.default_if is not None
    }
    cycles: list[list[str]] = []
    done: set[str] = set()
    for start in reads:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in reads and node not in done:
            if node in path:
                cycles.append(path[path.index(node) :])
                break
            path.append(node)
            node = next((n for n in reads[node] if n in reads), None)
        done.update(path)
    return cycles


_EXPRESSIONS = ("when", "amount", "cap", "tax_saving")


def _compile_article(
    article: Mapping[str, Any],
    i: int,
    symbols: Mapping[str, Symbol],
    inputs: Mapping[str, Input],
    sections: Mapping[str, Text],
    applicant_types: frozenset[str],
    overrides: Mapping[str, str],
    problem: Callable[[tuple[Any, ...], str], None],
) -> Article | None:
    loc = ("articles", i)
    name = article["id"]
    basis = article["basis"]
    count = article.get("count")
    raw_tiers: list[Mapping[str, Any]] | None = article.get("tiers")
    ok = True
    mine = {k[len(name) + 1 :]: v for k, v in overrides.items() if k.startswith(name + ".")}

    def fail(key: str, message: str, where: tuple[Any, ...] = ()) -> None:
        nonlocal ok
        ok = False
        if key in mine:  # an overridden expression: the option is to blame, not the file
            problem((), f"--override {name}.{key}={mine[key]}: {message}")
        else:
            problem(where or (*loc, key), f"{name}.{key}: {message}")

    refused = False

    def refuse(key: str, message: str) -> None:
        nonlocal ok, refused
        ok, refused = False, True
        problem((), f"--override {name}.{key}={mine[key]}: {message}")

    if article["section"] not in sections:
        fail(
            "section",
            t(
                "unknown section {section} (declared: {declared})",
                section=repr(article["section"]),
                declared=", ".join(sections),
            ),
        )
    who = set(article.get("who", [ANY]))
    if ANY in who and len(who) > 1:
        fail("who", t("'any' stands alone"))
    for kind in who - {ANY} - applicant_types:
        fail(
            "who",
            t(
                "{kind} is not an applicant_type choice ({choices})",
                kind=repr(kind),
                choices=", ".join(sorted(applicant_types)),
            ),
        )
    if not article["source"].strip():
        fail("source", t("an article must quote its source text"))

    values: dict[str, tuple[Decimal, str]] = {}
    raw_values: dict[str, Any] = dict(article.get("values", {}))
    exprs: dict[str, str | None] = {key: article.get(key) for key in _EXPRESSIONS}
    for key, value in mine.items():
        if key in ("when", "amount", "cap"):
            reason = _no_effect(key, basis, exprs, raw_tiers)
            if reason:
                refuse(key, reason)
            exprs[key] = _override_expr(value)
            continue
        if key not in raw_values:
            allowed = ", ".join([*raw_values, "when", "amount", "cap"])
            refuse(key, t("no such value (allowed: {allowed})", allowed=allowed))
            continue
        try:
            raw_values[key] = _override_value(key, raw_values[key], value)
        except MoneyError as exc:
            refuse(key, exc.message)
    if refused:
        return None
    for key, value in raw_values.items():
        if key in symbols or key in ("amount", "count"):
            fail("values", t("value {key} shadows an input or keyword; rename it", key=repr(key)))
            continue
        try:
            values[key] = money.parse_policy_number(value)
        except (MoneyError, ArithmeticError) as exc:
            message = exc.message if isinstance(exc, MoneyError) else str(exc)
            fail("values", f"{key}: {message}")
    local = dict(symbols)
    for key, (number, kind) in values.items():
        local[key] = Symbol(kind, value=number)

    if basis == "info":
        for key in ("when", "amount", "cap", "count", "tax_saving", "tiers"):
            if article.get(key) is not None:
                fail(key, t("an info article has no condition or amount"))
    if raw_tiers is not None:
        if article.get("amount") is not None:
            fail("tiers", t("an article pays by `amount` or by `tiers`, not both"))
        if basis not in CASH_BASES:
            fail("tiers", t("tiers pay cash: basis up_to or exact, not {basis}", basis=repr(basis)))
        if not raw_tiers:
            fail("tiers", t("a tiers list needs at least one tier"))
    elif basis in CASH_BASES | {"tax_deduction"} and not exprs["amount"]:
        fail("amount", t("basis {basis} needs an amount (or `tiers`)", basis=repr(basis)))
    if exprs["cap"] and not exprs["amount"] and raw_tiers is None:
        fail("cap", t("a cap without an amount"))
    if exprs["tax_saving"] and basis != "tax_deduction":
        fail("tax_saving", t("only a tax_deduction article has a tax saving"))
    if count is not None:
        target = inputs.get(count)
        if target is None or target.type != "count":
            fail("count", t("{count} is not a declared count input", count=repr(count)))

    def compiled_expr(key: str, text: str, where: tuple[Any, ...] = ()) -> Expr | None:
        scope = local
        if key == "tax_saving":
            scope = {**local, "amount": Symbol("money", label={"zh": "扣除额", "en": "deduction"})}
        try:
            expr = compile_expr(text, scope, expect="bool" if key.endswith("when") else "numeric")
        except ExpressionError as exc:
            fail(key, exc.message, where)
            return None
        if key in mine and key != "when" and expr.kind == "rate":
            fail(
                key,
                t(
                    "{key} is an amount of money, not a rate; write e.g. 30万 or rate * field",
                    key=key,
                ),
            )
        return expr

    compiled: dict[str, Expr | None] = {}
    for key, text in exprs.items():
        compiled[key] = None if text is None else compiled_expr(key, text)
    tiers: list[Tier] = []
    for tier_index, tier in enumerate(raw_tiers or ()):
        here = (*loc, "tiers", tier_index)
        cond = tier.get("when")
        if cond is None and tier_index < len(raw_tiers or ()) - 1:
            fail(
                f"tiers[{tier_index + 1}].when", t("only the last tier may leave out `when`"), here
            )
        when = None if cond is None else compiled_expr(f"tiers[{tier_index + 1}].when", cond, here)
        pays = compiled_expr(f"tiers[{tier_index + 1}].amount", tier["amount"], here)
        if pays is not None:
            tiers.append(Tier(when, pays))
    if not ok:
        return None
    unused = sorted(set(mine) & set(values) - _names_read([*compiled.values(), *_exprs(tiers)]))
    for key in unused:
        refuse(
            key,
            t(
                "no condition or amount of {name} reads {key}: it would change nothing",
                name=name,
                key=key,
            ),
        )
    if unused:
        return None

    deps: list[str] = []
    if who != {ANY}:
        deps.append("applicant_type")
    for expr in [*compiled.values(), *_exprs(tiers)]:
        if expr is not None:
            deps.extend(n for n in expr.inputs if n != "amount")
    if count:
        deps.append(count)
    deps = with_defaults(deps, inputs)
    who_label = None
    if who != {ANY} and "applicant_type" in inputs:
        kinds = [c for c in inputs["applicant_type"].choices if c["value"] in who]
        who_label = {
            "zh": "、".join(c["zh"] for c in kinds),
            "en": ", ".join(c["en"] for c in kinds),
        }
    return Article(
        id=name, section=article["section"], title=article["title"],
        who=None if who == {ANY} else frozenset(who), basis=basis, values=values,
        when=compiled["when"], amount=compiled["amount"], cap=compiled["cap"], count=count,
        tax_saving=compiled["tax_saving"], source=article["source"], note=article.get("note"),
        not_stated=tuple(article.get("not_stated", ())), inputs=tuple(deps),
        labels={n: inputs[n].label for n in deps}, who_label=who_label,
        overridden=frozenset(mine), tiers=tuple(tiers),
    )  # fmt: skip


def _exprs(tiers: Iterable[Tier]) -> list[Expr | None]:
    return [expr for tier in tiers for expr in (tier.when, tier.amount)]


def _names_read(exprs: Iterable[Expr | None]) -> set[str]:
    """Every name the expressions read: inputs and named values alike."""
    names: set[str] = set()
    stack = [e.node for e in exprs if e is not None]
    while stack:
        node = stack.pop()
        if node.op == "name":
            names.add(node.name)
        stack.extend(node.args)
    return names


def _no_effect(
    key: str, basis: str, exprs: Mapping[str, str | None], tiers: Sequence[Any] | None
) -> str | None:
    """Why overriding an article's `when`, `amount` or `cap` would change nothing, if it would."""
    if basis == "info":
        return "an info article pays nothing, whatever its condition or amount"
    if basis == "unspecified" and key != "when":
        return "the source states no amount (basis unspecified), so none is shown or added up"
    if key == "amount" and tiers is not None:
        return "this article pays by tiers: override the named value a tier pays (see `values`)"
    if key == "cap" and not exprs["amount"] and tiers is None:
        return "the article has no amount to cap"
    return None


def _kind_words(kind: str) -> str:
    """What a value is, in words."""
    if kind == "money":
        return t("an amount of money")
    return t("a rate") if kind == "rate" else t("a plain number")


def _override_value(key: str, original: object, value: str) -> object:
    """A new value for a named number keeps its kind: money stays money ("30万", "300000"), a
    rate stays a rate ("0.01" or "1%"), a plain number stays a number."""
    try:
        _, kind = money.parse_policy_number(original)
    except (MoneyError, ArithmeticError):
        return value  # the file's own value is wrong: loading names it
    try:
        if kind == "rate":
            return f"{money.parse_rate(value) * 100}%"
        if kind == "money":
            return f"{money.parse_money(value):f}"
        number = Decimal(value.strip())
        if not number.is_finite():
            raise ArithmeticError
        return number
    except (MoneyError, ArithmeticError) as exc:
        detail = (
            exc.message
            if isinstance(exc, MoneyError)
            else t("{name} is not a number", name=repr(value))
        )
        shown = original if isinstance(original, str) else repr(original)
        message = t("{key} is {kind} ({shown}) and stays one: {detail}", key=key,
                    kind=_kind_words(kind), shown=shown, detail=detail)  # fmt: skip
        raise MoneyError(message) from None


def unmatched_overrides(policies: Sequence[Policy], overrides: Mapping[str, str]) -> list[str]:
    """The --override keys that changed nothing in any of `policies`."""
    applied = {f"{a.id}.{name}" for p in policies for a in p.articles for name in a.overridden}
    problems = []
    for key in overrides:
        if key in applied:
            continue
        article_id = key.partition(".")[0]
        ids = [a.id for p in policies for a in p.articles]
        if article_id in ids:
            continue  # the article exists: its compile step already named the bad value
        import difflib

        near = difflib.get_close_matches(article_id, ids, n=1)
        hint = t("did you mean {names}?", names=near[0]) if near else t("see `subsidy articles`")
        problems.append(t("--override {key}: no article {article} ({hint})", key=key,
                          article=repr(article_id), hint=hint))  # fmt: skip
    return problems


def combine(policies: Sequence[Policy]) -> Policy:
    """Several policies as one: articles one after another, inputs merged by name.

    Used when --policy is given more than once. Article ids stay as they are unless two policies
    share one, when every id is prefixed with its policy id ("zhenjiang-2024:gazelle").
    """
    if len(policies) == 1:
        return policies[0]
    ids = [p.id for p in policies]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        files = ", ".join(p.path for p in policies if p.id in twice)
        raise PolicyError([t("policy id {id} is used by more than one file ({files}); "
                             "give each policy its own id", id=repr(twice[0]),
                             files=files)])  # fmt: skip
    ids = [a.id for p in policies for a in p.articles]
    prefix = len(ids) != len(set(ids))
    inputs: dict[str, Input] = {}
    owner: dict[str, Policy] = {}
    problems = []
    for p in policies:
        for name, item in p.inputs.items():
            known = inputs.get(name)
            if known is not None:
                problems.extend(_conflicts(name, known, owner[name], item, p))
                continue
            section = f"{p.id}/{item.section}" if item.section else None
            inputs[name] = replace(item, section=section)
            owner[name] = p
    if problems:
        raise PolicyError(problems)
    sections: dict[str, Text] = {}
    articles: list[Article] = []
    for p in policies:
        for key, title in p.sections.items():
            sections[f"{p.id}/{key}"] = title
        for a in p.articles:
            new_id = f"{p.id}:{a.id}" if prefix else a.id
            articles.append(replace(a, id=new_id, section=f"{p.id}/{a.section}"))
    first = policies[0]
    title = {lang: " + ".join(p.title[lang] for p in policies) for lang in ("zh", "en")}
    return Policy(
        id="+".join(p.id for p in policies), title=title, meta=first.meta, sections=sections,
        inputs=inputs, articles=tuple(articles), path=first.path, sha256=first.sha256,
        data=first.data, parts=tuple(policies),
    )  # fmt: skip


def _definition(item: Input) -> dict[str, Any]:
    """What must agree for two policies to share an input, by the key a policy file writes."""
    return {
        "type": item.type,
        "choices": [c["value"] for c in item.choices] or None,
        "default": item.default,
        "default.if": item.default_if.text if item.default_if else None,
        "default.then": item.default_then,
        "default.else": item.default_else,
    }


def _conflicts(name: str, first: Input, one: Policy, second: Input, other: Policy) -> list[str]:
    """What differs between two declarations of a shared input, and where each is."""
    a, b = _definition(first), _definition(second)
    differ = [key for key in a if a[key] != b[key]]
    if not differ:
        return []
    where = [f"{p.path}:{_input_line(p, name)}" for p in (one, other)]
    said = "; ".join(f"{key} is {_said(a[key])} in {where[0]} but {_said(b[key])} in {where[1]}"
                     for key in differ)  # fmt: skip
    return [f"input {name} is shared but declared differently: {said} (a shared input needs "
            "the same type, choices and default)"]  # fmt: skip


def _said(value: Any) -> str:
    if value is None:
        return "not set"
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    return repr(value) if isinstance(value, str) else str(value)


def _input_line(policy: Policy, name: str) -> int:
    """The line where `policy` declares input `name` (read again: only a conflict needs it)."""
    index = next(i for i, item in enumerate(policy.data["inputs"]) if item["name"] == name)
    try:
        text = Path(policy.path).read_text(encoding="utf-8-sig")
    except OSError:
        return 1
    return KeyLines(text).line(("inputs", index, "name"))


def _override_expr(value: str) -> str:
    """An override of an expression may be a plain amount such as 30万: make it a literal."""
    try:
        return str(money.parse_money(value))
    except MoneyError:
        return value
