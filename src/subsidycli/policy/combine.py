"""Several policies as one: their articles side by side, their shared fields checked to agree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from subsidycli.errors import PolicyError
from subsidycli.i18n import t
from subsidycli.policy.keylines import KeyLines
from subsidycli.policy.model import Article, Input, Policy, Text


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
        data=first.data, parts=tuple(policies), interview=first.interview,
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
    said = "; ".join(
        t("{key} is {first} in {here} but {second} in {there}", key=key, first=_said(a[key]),
          here=where[0], second=_said(b[key]), there=where[1])
        for key in differ
    )  # fmt: skip
    return [t("input {name} is shared but declared differently: {said} (a shared input needs "
              "the same type, choices and default)", name=name, said=said)]  # fmt: skip


def _said(value: Any) -> str:
    if value is None:
        return t("not set")
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


