"""The expression compiler: what it allows, what it refuses, and three-valued logic."""

from __future__ import annotations

from decimal import Decimal

import pytest

from subsidycli.errors import ExpressionError
from subsidycli.expr import Symbol, Unknown, compile_expr

SYMBOLS = {
    "rd": Symbol("money", label={"zh": "研发费用", "en": "R&D"}),
    "n": Symbol("count", label={"zh": "项目数", "en": "projects"}),
    "flag": Symbol("bool", label={"zh": "标志", "en": "flag"}),
    "other": Symbol("bool", label={"zh": "其他", "en": "other"}),
    "kind": Symbol(
        "text", label={"zh": "类型", "en": "type"}, choices=frozenset({"enterprise", "university"})
    ),
    "rate": Symbol("rate", value=Decimal("0.005")),
    "max": Symbol("money", value=Decimal(200_000)),
}


def ev(text: str, env: dict[str, object], expect: str | None = None) -> object:
    return compile_expr(text, SYMBOLS, expect=expect)(env)


@pytest.mark.parametrize(
    ("text", "env", "want"),
    [
        ("rd >= 10_000_000", {"rd": Decimal(10_000_000)}, True),
        ("rd >= 10_000_000", {"rd": Decimal("9999999.99")}, False),
        ("min(rate * rd, max)", {"rd": Decimal(12_000_000)}, Decimal("60000.000")),
        ("min(rate * rd, max)", {"rd": Decimal(100_000_000)}, Decimal(200_000)),
        ("max(rd - 5, 0)", {"rd": Decimal(3)}, Decimal(0)),
        ("rd / 4 + 1", {"rd": Decimal(8)}, Decimal(3)),
        ("-rd + 10", {"rd": Decimal(4)}, Decimal(6)),
        ("kind == 'enterprise' and n >= 1", {"kind": "enterprise", "n": 2}, True),
        ("not flag", {"flag": False}, True),
        ("flag or other", {"flag": False, "other": True}, True),
        ("1 <= n < 3", {"n": 3}, False),
        ("flag == true", {"flag": True}, True),
    ],
)
def test_evaluates(text: str, env: dict[str, object], want: object) -> None:
    assert ev(text, env) == want


def test_three_valued_logic() -> None:
    assert ev("flag and other", {"flag": False}) is False  # false and unknown
    unknown = ev("flag and other", {"flag": True})
    assert isinstance(unknown, Unknown) and unknown.fields == {"other"}
    assert ev("flag or other", {"flag": True}) is True  # true or unknown
    both = ev("flag and n >= 1", {})
    assert isinstance(both, Unknown) and both.fields == {"flag", "n"}
    assert isinstance(ev("not flag", {}), Unknown)
    assert isinstance(ev("rate * rd", {}), Unknown)
    assert isinstance(ev("min(rd, max)", {}), Unknown)


def test_inputs_are_listed_in_order() -> None:
    expr = compile_expr("flag and rd >= max and n >= 1 and flag", SYMBOLS)
    assert expr.inputs == ("flag", "rd", "n")  # named values are not inputs


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rd.__class__", "attribute access"),
        ("().__class__.__bases__[0]", "subscripts"),
        ("rd.__class__.__mro__", "attribute access"),
        ("__import__('os').system('true')", "function calls not allowed"),
        ("open('/etc/passwd')", "function calls not allowed"),
        ("eval('1')", "function calls not allowed"),
        ("[x for x in (1, 2)]", "comprehensions"),
        ("(x for x in rd)", "comprehensions"),
        ("{x: 1 for x in rd}", "comprehensions"),
        ("lambda: 1", "lambdas"),
        ("rd ** 2", "only + - * /"),
        ("rd // 2", "only + - * /"),
        ("rd % 2", "only + - * /"),
        ("rd if flag else 0", "conditional expressions"),
        ("rd[0]", "subscripts"),
        ("__builtins__", "not allowed"),
        ("undeclared > 1", "undeclared name"),
        ("nn >= 1", "did you mean n"),
        ("(y := 1)", "assignment"),
        ("f'{rd}'", "f-strings"),
        ("min(rd, key=1)", "no keywords"),
        ("rd in (1, 2)", "comparisons are allowed"),
        ("rd is None", "comparisons are allowed"),
        ("1" + "0" * 40, "longer than"),
        ("rd + " * 400 + "1", "longer than"),
        ("min(" * 30 + "rd" + ")" * 30 + " > 1", "nested deeper"),
        ("not " * 40 + "flag", "nested deeper"),
        ("-" * 40 + "rd", "nested deeper"),
        ("rd >", "not a valid expression"),
        ("rd; import os", "not a valid expression"),
        ("", "non-empty"),
        ("flag and rd", "take true/false"),
        ("rd + flag", "arithmetic takes numbers"),
        ("kind > 1", "cannot compare"),
        ("kind == 'enterprize'", "not a choice of kind"),
        ("rd / 0", "division by zero"),
        ("min()", "one or more"),
        ("b'x' == kind", "not allowed"),
    ],
)
def test_refuses(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expr(text, SYMBOLS)
    assert message in info.value.message


def test_types_of_expected_results() -> None:
    with pytest.raises(ExpressionError, match="must be true or false"):
        compile_expr("rd * 2", SYMBOLS, expect="bool")
    with pytest.raises(ExpressionError, match="must be a number"):
        compile_expr("flag", SYMBOLS, expect="numeric")


def test_decimal_literals_are_exact() -> None:
    assert ev("rd * 0.1", {"rd": Decimal(3)}) == Decimal("0.3")  # not 0.30000000000000004
