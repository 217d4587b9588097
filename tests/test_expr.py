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


# --- Chained comparisons: `a < b < c` is `a < b and b < c`, three-valued ---------------------


@pytest.mark.parametrize(
    ("n", "want"),
    [(0, False), (1, True), (2, True), (3, False), (4, False)],
)
def test_a_chained_comparison_holds_only_when_every_link_holds(n: int, want: bool) -> None:
    assert ev("1 <= n < 3", {"n": n}) is want
    assert ev("3 > n >= 1", {"n": n}) is want  # the same range, written the other way


def test_each_link_of_a_chain_compares_its_own_neighbours() -> None:
    env = {"n": 5, "rd": Decimal(10)}
    assert ev("1 < n < rd", env) is True
    assert ev("1 < rd < n", env) is False  # 10 < 5 fails: the second link, not the first
    assert ev("n < rd > 1", env) is True
    assert ev("n > 1 < rd", env) is True
    assert ev("rd > n > 1 > 0", env) is True
    assert ev("rd > n > 1 > 2", env) is False  # only the last link fails
    assert ev("rd == 10 != n", env) is True


def test_an_unknown_link_leaves_a_chain_unknown_unless_another_link_fails() -> None:
    low = ev("1 <= n < rd", {"n": 0})  # 1 <= 0 fails: unknown rd cannot save it
    assert low is False
    later = ev("rd < n < 3", {"n": 3})  # 3 < 3 fails after an unknown first link
    assert later is False
    unknown = ev("1 <= n < rd", {"n": 2})
    assert isinstance(unknown, Unknown) and unknown.fields == {"rd"}
    both = ev("1 <= n < rd", {})
    assert isinstance(both, Unknown) and both.fields == {"n", "rd"}
    first = ev("rd < n < 3", {"n": 2})
    assert isinstance(first, Unknown) and first.fields == {"rd"}


def test_a_single_comparison_with_an_unknown_is_unknown_on_either_side() -> None:
    for text, env, fields in [
        ("rd >= 5", {}, {"rd"}),
        ("5 <= rd", {}, {"rd"}),
        ("n <= rd", {"n": 1}, {"rd"}),
        ("n <= rd", {"rd": Decimal(1)}, {"n"}),
        ("n != rd", {}, {"n", "rd"}),
    ]:
        value = ev(text, env)
        assert isinstance(value, Unknown) and value.fields == fields, text


@pytest.mark.parametrize(
    ("text", "true_at", "false_at"),
    [
        ("n == 2", 2, 3),
        ("n != 2", 3, 2),
        ("n < 2", 1, 2),
        ("n <= 2", 2, 3),
        ("n > 2", 3, 2),
        ("n >= 2", 2, 1),
    ],
)
def test_each_comparison_operator_at_its_edge(text: str, true_at: int, false_at: int) -> None:
    assert ev(text, {"n": true_at}) is True
    assert ev(text, {"n": false_at}) is False


# --- and / or / not, arithmetic and calls with unknowns --------------------------------------


def test_and_or_decide_on_any_operand_and_merge_unknowns() -> None:
    assert ev("flag and other and n >= 1", {"n": 0}) is False  # the last operand decides
    assert ev("flag or other or n >= 1", {"n": 1}) is True
    assert ev("flag and other", {"flag": True, "other": True}) is True
    assert ev("flag or other", {"flag": False, "other": False}) is False
    either = ev("flag or other", {})
    assert isinstance(either, Unknown) and either.fields == {"flag", "other"}
    rest = ev("flag or other or n >= 1", {"other": False})
    assert isinstance(rest, Unknown) and rest.fields == {"flag", "n"}
    assert ev("not flag", {"flag": True}) is False


def test_arithmetic_is_exact_and_unknowns_spread() -> None:
    env = {"rd": Decimal(10), "n": 4}
    assert ev("rd - n", env) == Decimal(6)
    assert ev("rd * n", env) == Decimal(40)
    assert ev("rd / n", env) == Decimal("2.5")
    assert ev("n + n", env) == 8
    assert ev("-n", env) == -4
    assert ev("+rd", env) == Decimal(10)
    assert ev("rd / n", {"rd": Decimal(1), "n": 0}) == Decimal(0)  # a zero field: nothing to pay
    for text in ("rd - n", "n * rd", "-rd", "max(rd, n, 1)"):
        value = ev(text, {"n": 1})
        assert isinstance(value, Unknown) and value.fields == {"rd"}


def test_min_and_max_take_any_number_of_arguments() -> None:
    env = {"rd": Decimal(7), "n": 3}
    assert ev("min(rd, n, 5)", env) == 3
    assert ev("max(rd, n, 5)", env) == Decimal(7)
    assert ev("max(rd)", env) == Decimal(7)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("rd + rate", "money"),
        ("rate + rate", "rate"),
        ("rate - rate", "rate"),
        ("rate * rate", "number"),
        ("n + n", "count"),
        ("n * n", "count"),
        ("n / n", "number"),
        ("n + 1", "number"),
        ("min(rd, n)", "money"),
        ("max(rate, 1)", "rate"),
        ("min(n, 1)", "count"),
        ("min(1, 2)", "number"),
        ("-rd", "money"),
        ("rd >= 1", "bool"),
        ("kind", "text"),
    ],
)
def test_the_kind_of_a_result_decides_how_it_is_shown(text: str, kind: str) -> None:
    assert compile_expr(text, SYMBOLS).kind == kind


def test_literals_and_names_compile_to_their_values() -> None:
    assert ev("true", {}) is True and ev("False", {}) is False
    assert ev("kind == 'university'", {"kind": "university"}) is True
    assert ev("1_000 + 0.5", {}) == Decimal("1000.5")
    expr = compile_expr("  rd >= max  ", SYMBOLS)
    assert expr.text == "rd >= max" and expr.inputs == ("rd",)
    assert compile_expr("rate * 2", SYMBOLS).inputs == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1e3 > rd", "number 1e3 not allowed"),
        ("0x10 > rd", "not allowed"),
        ("'" + "x" * 101 + "' == kind", "string literal longer than 100"),
        ("None == rd", "literal None not allowed"),
        ("~n", "bitwise operators not allowed"),
        ("not rd", "'not' takes true/false, not money"),
        ("-flag", "unary minus takes a number, not bool"),
        ("max(flag)", "max() takes numbers, not bool"),
        ("rd.x(1)", "function calls not allowed except min() and max()"),
        ("flag < other", "cannot compare bool with bool using <"),
        ("kind < 'x'", "cannot compare text with text using <"),
        ("flag == 1", "cannot compare bool with number using =="),
        ("'university' == kind == 'x'", "'x' is not a choice of kind (enterprise, university)"),
    ],
)
def test_refuses_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expr(text, SYMBOLS)
    assert message in info.value.message
    assert info.value.message.endswith(f"in {text.strip()!r}") or "not a valid" in message


def test_a_bool_compares_with_a_bool_and_text_with_text() -> None:
    assert ev("flag == other", {"flag": True, "other": True}) is True
    assert ev("flag != other", {"flag": True, "other": True}) is False
    assert ev("kind != 'university'", {"kind": "enterprise"}) is True
    assert ev("'enterprise' == kind", {"kind": "enterprise"}) is True


def test_a_figure_in_an_expression_is_sent_to_values_with_only_the_slips_there_are() -> None:
    from subsidycli.expr import what_was_meant

    advice = (
        "1000万 is a figure of the policy: put it in the article's `values` "
        '(e.g. values = { limit = "1000万" }) and use its name here'
    )
    assert what_was_meant("rd >= 1000万", SYMBOLS) == advice  # nothing more to say
    assert what_was_meant("rd ≥ 1000万", SYMBOLS) == advice + "; also `≥` is written `>=`"
    assert what_was_meant("rd >= 1", SYMBOLS) is None  # no slip explains a failure


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rd ** 2", "only + - * / are allowed (no **, //, %, bitwise operators)"),
        ("rd // 2", "only + - * / are allowed (no **, //, %, bitwise operators)"),
        ("'" + "x" * 101 + "' == kind", "string literal longer than 100 characters"),
        ("not rd", "'not' takes true/false, not money"),
    ],
)
def test_a_refusal_is_said_in_full_with_the_expression(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expr(text, SYMBOLS)
    assert info.value.message == f"{message} in {text!r}"


def test_the_compiled_tree_keeps_what_explanations_read() -> None:
    """explain.py words a condition from its tree: the operator of each node and its operands."""
    assert compile_expr("flag and other", SYMBOLS).node.op == "and"
    assert compile_expr("flag or other", SYMBOLS).node.op == "or"
    chain = compile_expr("1 <= n < 3", SYMBOLS).node
    assert (chain.op, chain.ops, len(chain.args)) == ("cmp", ("<=", "<"), 3)
    assert [a.op for a in chain.args] == ["const", "name", "const"]
    single = compile_expr("n >= 1", SYMBOLS).node
    assert (single.ops, [a.op for a in single.args]) == ((">=",), ["name", "const"])


# A policy author reads these: each message whole, with the expression it is about.
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rd + flag", "arithmetic takes numbers, not bool in 'rd + flag'"),
        ("True + 1", "arithmetic takes numbers, not bool in 'True + 1'"),
        ("rd / 0", "division by zero in 'rd / 0'"),
        (
            "rd * rd",
            "money × money is no amount of money: one side of * is a rate, a count or a "
            "number (e.g. rate * revenue) in 'rd * rd'",
        ),  # fmt: skip
        ("kind > 1", "cannot compare text with number using > in 'kind > 1'"),
        ("flag and rd", "'and'/'or' take true/false, not money in 'flag and rd'"),
        ("min()", "min() takes one or more numbers, no keywords in 'min()'"),
        (
            "rd in (1, 2)",
            "only == != < <= > >= comparisons are allowed (no in, is) in 'rd in (1, 2)'",
        ),  # fmt: skip
        (
            "kind == 'enterprize'",
            "'enterprize' is not a choice of kind (enterprise, university) "
            "in \"kind == 'enterprize'\"",
        ),  # fmt: skip
        ("rdd > 1", "undeclared name 'rdd' (did you mean rd?) in 'rdd > 1'"),
        ("foo(rd)", "function calls not allowed except min() and max() in 'foo(rd)'"),
        ("-flag", "unary minus takes a number, not bool in '-flag'"),
        ("not rd", "'not' takes true/false, not money in 'not rd'"),
        ("1.5e3 > rd", "number 1.5e3 not allowed: write plain digits, e.g. 0.005 in '1.5e3 > rd'"),
    ],
)
def test_each_refusal_is_said_whole(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expr(text, SYMBOLS)
    assert info.value.message == message


@pytest.mark.parametrize("text", ["n / n", "n * n", "n - n", "n + n"])
def test_arithmetic_on_counts_is_exact_decimal(text: str) -> None:
    result = ev(text, {"n": 3})
    assert type(result) is Decimal, (text, result)  # a count is a whole number: 3 / 3 is not 1.0
