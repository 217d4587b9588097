"""Expression trees in words: formulas with the profile's numbers, reasons, and threshold gaps.

Used by the engine to write each result's explanation, and by `subsidy explain` to show a
condition or formula readably. Pure: no I/O.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, NamedTuple

from subsidycli import i18n, money
from subsidycli.expr import COMPARE, Node, Unknown
from subsidycli.i18n import pick, t

_NEGATE = {"==": "≠", "!=": "=", "<": "≥", "<=": ">", ">": "≤", ">=": "<"}
_SHOW = {"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥", "*": "×", "/": "÷"}
_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6}


class Gap(NamedTuple):
    """How far a money field falls short of the threshold of a condition."""

    field: str
    value: Decimal
    threshold: Decimal
    short_by: Decimal
    inclusive: bool


def show_value(value: Any, kind: str) -> str:
    """A value as the explanations show it: money with separators, rates in %, yes/no."""
    if isinstance(value, Unknown):
        return "?"
    if isinstance(value, bool):
        return t("yes") if value else t("no")
    if kind == "money":
        return show_exact(value)
    if kind == "rate":
        return money.format_rate(value)
    if isinstance(value, (int, Decimal)):
        return money.format_number(value)
    return str(value)


# Whether explanations are written for a view for people (a table, Markdown, the HTML report),
# whose amount column is in 万元 in Chinese, or for data (JSON, CSV, a workbook), in 元.
_for_people = False


@contextmanager
def for_people() -> Iterator[None]:
    """Write money in the explanations made inside the block as the views for people show their
    amounts: in Chinese as `money.format_money_zh`, the unit always written (980.00 万元, or
    30.02 元 where 万元 to two decimals would round the fen away); English is unchanged (元, as
    its columns, whose headings say CNY). Outside it, explanations are the data's: bare 元."""
    global _for_people
    before, _for_people = _for_people, True
    try:
        yield
    finally:
        _for_people = before


def show_exact(amount: Decimal) -> str:
    """Money with two decimals, or more when a result is not yet rounded to the fen (never
    rounded here: a fen a formula makes is shown). For people in Chinese (`for_people`), in
    万元 when that is exact to two decimals, else in 元, the unit written either way."""
    fen = money.round_fen(amount)
    people = _for_people and i18n.current_lang() == "zh"
    if fen == amount:
        return money.format_money_zh(fen) if people else f"{fen:,.2f}"
    digits = -amount.normalize().as_tuple().exponent  # type: ignore[operator]
    text = f"{amount:,.{min(max(digits, 2), 8)}f}"
    return f"{text} 元" if people else text


def formula(node: Node, env: Mapping[str, Any] | None, parent: int = 0) -> str:
    """The expression with names replaced by values from `env` (or by labels when env is None)."""
    if node.words:  # a choice, or a literal compared with one: the choice's label
        value = node.value if node.op == "const" else None
        if node.op == "name":
            if env is None:
                return _label(node)
            value = env.get(node.name, Unknown(frozenset()))
        said = node.words.get(value) if isinstance(value, str) else None
        return pick(said) if said else show_value(value, node.kind)
    if node.op == "const":
        kind = "money" if node.kind == "number" and _is_money_literal(node.value) else node.kind
        return _constant(node.value, kind, i18n.current_lang(), _for_people)
    if node.op == "name":
        if node.value is not None:  # a named value of the article
            return _constant(node.value, node.kind, i18n.current_lang(), _for_people)
        if env is None:
            return _label(node)
        return show_value(env.get(node.name, Unknown(frozenset())), node.kind)
    if node.op == "call":
        inner = ", ".join(formula(a, env) for a in node.args)
        return f"{node.name}({inner})"
    if node.op == "not":
        return t("not {condition}", condition=formula(node.args[0], env, 3))
    if node.op == "neg":
        return "-" + formula(node.args[0], env, 7)
    if node.op in ("and", "or"):
        joiner = t(" and ") if node.op == "and" else t(" or ")
        prec = _PRECEDENCE[node.op]
        text = joiner.join(formula(a, env, prec) for a in node.args)
        return f"({text})" if prec < parent else text
    if node.op == "cmp":
        parts = [formula(node.args[0], env, 5)]
        for op, arg in zip(node.ops, node.args[1:], strict=True):
            parts.append(f"{_SHOW[op]} {formula(arg, env, 5)}")
        text = " ".join(parts)
        return f"({text})" if parent > 4 else text
    op = node.ops[0]
    prec = _PRECEDENCE[op]
    left = formula(node.args[0], env, prec)
    right = formula(node.args[1], env, prec + (op in "-/"))
    text = f"{left} {_SHOW.get(op, op)} {right}"
    return f"({text})" if prec < parent else text


@functools.lru_cache(maxsize=1024)
def _constant(value: Any, kind: str, lang: str, people: bool) -> str:
    """A policy's number in words: the same few, shown in every explanation (cached per
    language and per `for_people`, which is why they are parameters)."""
    return show_value(value, kind)


def why_false(node: Node, env: Mapping[str, Any]) -> str:
    """Why a condition that evaluated to False is false, in words, with the profile's values."""
    if node.op == "and":
        for arg in node.args:
            if arg.fn(env) is False:
                return why_false(arg, env)
    if node.op == "or":
        return t(", ").join(why_false(a, env) for a in node.args)
    if node.op == "name" and node.kind == "bool":
        return t("{label}: {value}", label=_label(node), value=t("no"))
    if node.op == "not" and node.args[0].op == "name":
        return t("{label}: {value}", label=_label(node.args[0]), value=t("yes"))
    if node.op == "cmp":
        for i, op in enumerate(node.ops):
            left, right = node.args[i], node.args[i + 1]
            lv, rv = left.fn(env), right.fn(env)
            if isinstance(lv, Unknown) or isinstance(rv, Unknown):
                continue
            if not COMPARE[op](lv, rv):
                name = _label(left) if left.op == "name" and left.value is None else ""
                prefix = f"{name} " if name else ""
                lhs = formula(left, env, 5)
                return f"{prefix}{lhs} {_NEGATE[op]} {formula(right, env, 5)}"
    return formula(node, env)


def gaps(node: Node, env: Mapping[str, Any]) -> list[Gap]:
    """Money thresholds the profile misses: `field >= threshold` comparisons that are false."""
    found: list[Gap] = []
    if node.op in ("and", "or"):
        for arg in node.args:
            found.extend(gaps(arg, env))
    elif node.op == "cmp" and len(node.ops) == 1 and node.ops[0] in (">=", ">"):
        left, right = node.args
        if left.op == "name" and left.value is None and left.kind == "money":
            value, threshold = left.fn(env), right.fn(env)
            is_number = isinstance(value, Decimal) and isinstance(threshold, Decimal)
            if is_number and threshold > 0 and value < threshold:
                inclusive = node.ops[0] == ">="
                found.append(Gap(left.name, value, threshold, threshold - value, inclusive))
    return found


def gap_text(gap: Gap, label: str) -> str:
    """A gap in words: 年度研发费用 800.00 万元，距 1000 万元（含）门槛还差 200.00 万元."""
    show = money.format_for_people
    return t(
        "{label} {value}: {short} short of the {threshold}{inclusive} threshold", label=label,
        value=show(gap.value), threshold=_threshold(gap.threshold, i18n.current_lang()),
        inclusive=t(" (inclusive)") if gap.inclusive else "", short=show(gap.short_by),
    )  # fmt: skip


@functools.lru_cache(maxsize=1024)
def _threshold(threshold: Decimal, lang: str) -> str:
    """A threshold as the source writes it (1000 万元): most are the policy's own numbers.
    Chinese money is written in 万元 (money.format_money_zh), English in 元 with separators."""
    if lang != "zh":
        return money.format_money(threshold)
    text = money.format_money_zh(threshold)
    if text.endswith(".00 万元"):
        text = text[: -len(".00 万元")].replace(",", "") + " 万元"
    return text


def year_text(year: int) -> str:
    """A year of a multi-year article: 第3年 / year 3."""
    return t("year {n}", n=year)


def years_text(first: int, last: int) -> str:
    """The years of a schedule's row: 第1–2年 / years 1–2, or one year as `year_text`."""
    return year_text(first) if first == last else t("years {first}–{last}", first=first, last=last)


def _label(node: Node) -> str:
    return pick(node.label) if node.label else node.name


def _is_money_literal(value: Any) -> bool:
    return isinstance(value, Decimal) and value >= 1000
