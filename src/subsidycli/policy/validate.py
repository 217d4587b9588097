"""A policy file checked against its schema (`schema.py`), each problem worded for its author.

pydantic finds the problems; this module says each one as `file:line: where: what is wrong`, in
the language of messages (`t`): an unknown key with the key meant and the keys allowed there, a
table written as something else with the name of the table's type.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from subsidycli.errors import PolicyError, Problem
from subsidycli.i18n import t
from subsidycli.policy.keylines import KeyLines


def validate_schema(data: Mapping[str, Any], lines: KeyLines, where: str) -> None:
    """Check parsed TOML against the schema; raise PolicyError with file:line."""
    from pydantic import ValidationError

    from subsidycli.policy.schema import validator

    try:
        validator().validate_python(data)
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
    table = _table_at(err["loc"]) if err["type"] == "dict_type" else None
    if table is not None:  # said as pydantic says it of a model: with the table's type
        err = {**err, "type": "model_type", "ctx": {"class_name": table.__name__}}
    if err["type"] != "extra_forbidden":
        said = _SCHEMA_WORDS.get(err["type"])
        return said(err.get("ctx") or {}) if said else str(err["msg"])
    from subsidycli.text import suggest

    key = str(err["loc"][-1])
    allowed = _allowed_keys(err["loc"][:-1])
    near = suggest(key, allowed)
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
    table = _table_at(loc)
    return [] if table is None else list(typing.get_type_hints(table))


def _table_at(loc: Sequence[Any]) -> Any:
    """The schema's table (a TypedDict of `schema.py`) at `loc`, or None where there is none.

    A list's index keeps the table of its items; pydantic names a union's member by its type
    (`default.ConditionalDefault.if`), which keeps the table too.
    """
    from subsidycli.policy.schema import PolicyFile

    table: Any = PolicyFile
    for part in loc:
        if isinstance(part, int) or table is None or part == table.__name__:
            continue
        hints = typing.get_type_hints(table, include_extras=True)
        table = _table_in(hints[part]) if part in hints else None
    return table


def _table_in(annotation: Any) -> Any:
    """The first table in a type: `list[TierSpec] | None` → TierSpec; `str` → None."""
    from typing_extensions import is_typeddict  # typing's misses typing_extensions' on 3.11

    if is_typeddict(annotation):
        return annotation
    for arg in typing.get_args(annotation):
        found = _table_in(arg)
        if found is not None:
            return found
    return None


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


def _indexable(node: Any, part: Any) -> bool:
    if isinstance(node, list):
        return isinstance(part, int) and 0 <= part < len(node)
    return isinstance(node, dict) and part in node
