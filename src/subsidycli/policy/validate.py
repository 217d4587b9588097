"""A policy file checked against its schema (`schema.py`), each problem worded for its author."""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from subsidycli.errors import PolicyError, Problem
from subsidycli.i18n import t
from subsidycli.policy.keylines import KeyLines


def validate_schema(data: Mapping[str, Any], lines: KeyLines, where: str) -> None:
    """Check parsed TOML against the pydantic schema; raise PolicyError with file:line."""
    from pydantic import ValidationError

    from subsidycli.policy.schema import PolicyFile

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

    from subsidycli.policy.schema import PolicyFile

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


