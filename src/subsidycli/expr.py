"""The whitelisted expression compiler for policy conditions and amounts.

A policy file says `when = "revenue >= threshold"` and `amount = "rate * x"`. Each
expression is parsed with `ast` (mode "eval", no execution), every node is checked against a short
whitelist, names are resolved against the declared inputs and the article's values, types are
checked, and the tree is turned into plain Python closures over Decimal. Nothing from a file ever
reaches eval or exec.

Values are three-valued: a field the profile leaves out evaluates to an `Unknown` that remembers
which fields would settle it. `False and unknown` is False; `True and unknown` is unknown;
arithmetic and comparison with an unknown are unknown.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

from subsidycli.errors import ExpressionError
from subsidycli.i18n import t

MAX_LENGTH = 1000
MAX_DEPTH = 24
MAX_LITERAL_DIGITS = 20
_PLAIN_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")

# Types: "bool", "text", and numeric kinds that decide how a value is shown.
NUMERIC = frozenset({"money", "rate", "count", "number"})


class Unknown:
    """A value that depends on fields the profile leaves out."""

    __slots__ = ("fields",)

    def __init__(self, fields: frozenset[str]) -> None:
        self.fields = fields

    def __repr__(self) -> str:
        return f"Unknown({sorted(self.fields)})"

    def __bool__(self) -> bool:
        raise TypeError("an unknown value has no truth value")


def _merge(values: Iterable[Any]) -> Unknown:
    fields: set[str] = set()
    for value in values:
        if isinstance(value, Unknown):
            fields |= value.fields
    return Unknown(frozenset(fields))


Env = Mapping[str, Any]
Fn = Callable[[Env], Any]


@dataclass(frozen=True, slots=True)
class Symbol:
    """A name an expression may use: an input field or a named value of the article."""

    kind: str  # "money" | "rate" | "count" | "number" | "bool" | "text"
    label: Mapping[str, str] | None = None  # inputs have labels; values are shown as numbers
    value: Any = None  # set for named values (constants)
    choices: frozenset[str] | None = None
    words: Mapping[str, Mapping[str, str]] | None = None  # a choice's labels, by value


@dataclass(frozen=True, slots=True)
class Node:
    """A checked expression tree, kept for explanations; evaluation uses the closure `fn`."""

    op: str  # "name" | "const" | "and" | "or" | "not" | "cmp" | "arith" | "neg" | "call"
    kind: str
    fn: Fn
    args: tuple[Node, ...] = ()
    name: str = ""
    value: Any = None
    ops: tuple[str, ...] = ()
    label: Mapping[str, str] | None = None  # for input names
    # The labels of a choice's values ({value: {zh, en}}), for a choice input and for a text
    # literal compared with one: explanations say 工业类, not industrial.
    words: Mapping[str, Mapping[str, str]] | None = None


@dataclass(frozen=True, slots=True)
class Expr:
    """A compiled expression: its text, type, the input fields it reads, and its evaluator."""

    text: str
    kind: str
    node: Node
    inputs: tuple[str, ...]
    fn: Fn = field(init=False, repr=False, compare=False)  # node.fn: a call the engine makes often

    def __post_init__(self) -> None:
        object.__setattr__(self, "fn", self.node.fn)

    def __call__(self, env: Env) -> Any:
        return self.fn(env)


_CMP = {
    ast.Eq: ("==", operator.eq),
    ast.NotEq: ("!=", operator.ne),
    ast.Lt: ("<", operator.lt),
    ast.LtE: ("<=", operator.le),
    ast.Gt: (">", operator.gt),
    ast.GtE: (">=", operator.ge),
}
COMPARE = dict(_CMP.values())
_ARITH = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv),
}
_FUNCTIONS = {"min": min, "max": max}
_LITERAL_NAMES = {"true": True, "false": False, "True": True, "False": False}
_NOT_ALLOWED = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambdas",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.IfExp: "conditional expressions",
    ast.NamedExpr: "assignment",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.Starred: "starred arguments",
    ast.JoinedStr: "f-strings",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Dict: "dicts",
    ast.Set: "sets",
}


def compile_expr(text: str, symbols: Mapping[str, Symbol], *, expect: str | None = None) -> Expr:
    """Compile one policy expression against the names it may use.

    `expect` is "bool" for conditions and "numeric" for amounts. Raises ExpressionError naming
    what is not allowed and what would be.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(t("an expression must be a non-empty string"))
    if len(text) > MAX_LENGTH:
        raise ExpressionError(t("expression is longer than {limit} characters", limit=MAX_LENGTH))
    compiler = _Compiler(text, symbols)
    try:
        node = _build(compiler)
    except ExpressionError as exc:
        # Only text that fails is read again for slips: a valid expression means what it says.
        meant = what_was_meant(text, symbols)
        if meant is None:
            raise
        raise ExpressionError(
            t("{meant} (in {expression})", meant=meant, expression=repr(text.strip()))
        ) from exc
    if expect == "bool" and node.kind != "bool":
        raise ExpressionError(
            t(
                "a condition must be true or false, not {kind}: {expression}",
                kind=node.kind,
                expression=repr(text),
            )
        )
    if expect == "numeric" and node.kind not in NUMERIC:
        raise ExpressionError(
            t(
                "an amount must be a number, not {kind}: {expression}",
                kind=node.kind,
                expression=repr(text),
            )
        )
    inputs = tuple(n for n in dict.fromkeys(compiler.inputs))
    return Expr(text=text.strip(), kind=node.kind, node=node, inputs=inputs)


def _build(compiler: _Compiler) -> Node:
    """Parse (no execution) and check the compiler's text."""
    try:
        tree = ast.parse(compiler.text.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        from subsidycli.i18n.foreign import PYTHON, say

        detail = say(getattr(exc, "msg", None) or str(exc) or type(exc).__name__, PYTHON)
        raise ExpressionError(t("not a valid expression: {detail}", detail=detail)) from None
    return compiler.visit(tree.body, 0)


class _Compiler:
    def __init__(self, text: str, symbols: Mapping[str, Symbol]) -> None:
        self.text = text
        self.symbols = symbols
        self.inputs: list[str] = []

    def fail(self, message: str) -> ExpressionError:
        return ExpressionError(
            t("{message} in {expression}", message=message, expression=repr(self.text.strip()))
        )

    def visit(self, node: ast.expr, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise self.fail(t("expression nested deeper than {limit} levels", limit=MAX_DEPTH))
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:
            what = _NOT_ALLOWED.get(type(node), type(node).__name__)
            raise self.fail(
                t(
                    "{what} not allowed (allowed: names, numbers, strings, comparisons, "
                    "and/or/not, + - * /, min(), max())",
                    what=what,
                )
            )
        result: Node = method(node, depth + 1)
        return result

    def visit_Constant(self, node: ast.Constant, depth: int) -> Node:
        value = node.value
        if isinstance(value, bool):
            return _const(value, "bool")
        if isinstance(value, (int, float)):
            digits = ast.get_source_segment(self.text.strip(), node) or repr(value)
            if len(digits.replace("_", "").replace(".", "")) > MAX_LITERAL_DIGITS:
                raise self.fail(
                    t("number literal longer than {limit} digits", limit=MAX_LITERAL_DIGITS)
                )
            if not _PLAIN_NUMBER.fullmatch(digits.replace("_", "")):  # no 1e400, 0x10
                raise self.fail(
                    t("number {digits} not allowed: write plain digits, e.g. 0.005", digits=digits)
                )
            return _const(Decimal(digits.replace("_", "")), "number")
        if isinstance(value, str):
            if len(value) > 100:
                raise self.fail(t("string literal longer than 100 characters"))
            return _const(value, "text")
        raise self.fail(t("literal {value} not allowed", value=repr(value)))

    def visit_Name(self, node: ast.Name, depth: int) -> Node:
        name = node.id
        if name in _LITERAL_NAMES:
            return _const(_LITERAL_NAMES[name], "bool")
        if name.startswith("__"):
            raise self.fail(t("name {name} not allowed", name=repr(name)))
        symbol = self.symbols.get(name)
        if symbol is None:
            from subsidycli.text import suggest

            near = suggest(name, self.symbols, n=3)
            if near:
                raise self.fail(
                    t(
                        "undeclared name {name} (did you mean {near}?)",
                        name=repr(name),
                        near=", ".join(near),
                    )
                )
            raise self.fail(t("undeclared name {name}", name=repr(name)))
        if symbol.label is None:
            return Node("name", symbol.kind, _constant(symbol.value), name=name, value=symbol.value)
        self.inputs.append(name)
        missing = Unknown(frozenset({name}))

        def lookup(env: Env) -> Any:
            return env.get(name, missing)

        return Node("name", symbol.kind, lookup, name=name, label=symbol.label, words=symbol.words)

    def visit_BoolOp(self, node: ast.BoolOp, depth: int) -> Node:
        args = tuple(self.visit(v, depth) for v in node.values)
        for arg in args:
            if arg.kind != "bool":
                raise self.fail(t("'and'/'or' take true/false, not {kind}", kind=arg.kind))
        fns = tuple(a.fn for a in args)
        is_and = isinstance(node.op, ast.And)
        # `and` is decided by the first False, `or` by the first True; an unknown operand leaves
        # the result unknown only if nothing decides it.
        decisive = not is_and

        def fold(env: Env) -> Any:
            unknown = None
            for fn in fns:
                value = fn(env)
                if value is decisive:
                    return decisive
                if value is not (not decisive):
                    unknown = value if unknown is None else _merge((unknown, value))
            return (not decisive) if unknown is None else unknown

        return Node("and" if is_and else "or", "bool", fold, args)

    def visit_UnaryOp(self, node: ast.UnaryOp, depth: int) -> Node:
        arg = self.visit(node.operand, depth)
        fn = arg.fn
        if isinstance(node.op, ast.Not):
            if arg.kind != "bool":
                raise self.fail(t("'not' takes true/false, not {kind}", kind=arg.kind))

            def negate(env: Env) -> Any:
                value = fn(env)
                return value if isinstance(value, Unknown) else not value

            return Node("not", "bool", negate, (arg,))
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            if arg.kind not in NUMERIC:
                raise self.fail(t("unary minus takes a number, not {kind}", kind=arg.kind))
            if isinstance(node.op, ast.UAdd):
                return arg

            def minus(env: Env) -> Any:
                value = fn(env)
                return value if isinstance(value, Unknown) else -value

            return Node("neg", arg.kind, minus, (arg,))
        raise self.fail(t("bitwise operators not allowed"))

    def visit_Compare(self, node: ast.Compare, depth: int) -> Node:
        if any(type(op) not in _CMP for op in node.ops):
            raise self.fail(t("only == != < <= > >= comparisons are allowed (no in, is)"))
        operands = [self.visit(node.left, depth)] + [self.visit(c, depth) for c in node.comparators]
        words = next((o.words for o in operands if o.words), None)
        if words:  # `project_type == 'industrial'`: the literal is said as the choice's label
            operands = [replace(o, words=words) if o.op == "const" else o for o in operands]
        ops: list[str] = []
        funcs: list[Callable[[Any, Any], bool]] = []
        for op, left, right in zip(node.ops, operands, operands[1:], strict=False):
            symbol, func = _CMP[type(op)]
            self._check_comparable(left, right, symbol)
            ops.append(symbol)
            funcs.append(func)
        fns = tuple(o.fn for o in operands)
        pairs = tuple(zip(funcs, range(len(funcs)), strict=True))
        if len(funcs) == 1:  # the common case, `a >= b`: the same, in fewer steps
            func, (lf, rf) = funcs[0], fns

            def compare_one(env: Env) -> Any:
                left, right = lf(env), rf(env)
                if isinstance(left, Unknown) or isinstance(right, Unknown):
                    return _merge((left, right))
                return True if func(left, right) else False

            return Node("cmp", "bool", compare_one, tuple(operands), ops=tuple(ops))

        def compare(env: Env) -> Any:
            values = [fn(env) for fn in fns]
            unknown = None
            for func, i in pairs:
                left, right = values[i], values[i + 1]
                if isinstance(left, Unknown) or isinstance(right, Unknown):
                    part = _merge((left, right))
                    unknown = part if unknown is None else _merge((unknown, part))
                elif not func(left, right):
                    return False
            return True if unknown is None else unknown

        return Node("cmp", "bool", compare, tuple(operands), ops=tuple(ops))

    def _check_comparable(self, left: Node, right: Node, op: str) -> None:
        if left.kind in NUMERIC and right.kind in NUMERIC:
            return
        if left.kind == right.kind == "bool" and op in ("==", "!="):
            return
        if left.kind == right.kind == "text" and op in ("==", "!="):
            for name_side, literal in ((left, right), (right, left)):
                symbol = self.symbols.get(name_side.name) if name_side.op == "name" else None
                if symbol and symbol.choices and literal.op == "const":
                    if literal.value not in symbol.choices:
                        allowed = ", ".join(sorted(symbol.choices))
                        raise self.fail(
                            t(
                                "{value} is not a choice of {name} ({allowed})",
                                value=repr(literal.value),
                                name=name_side.name,
                                allowed=allowed,
                            )
                        )
            return
        raise self.fail(
            t(
                "cannot compare {left} with {right} using {op}",
                left=left.kind,
                right=right.kind,
                op=op,
            )
        )

    def visit_BinOp(self, node: ast.BinOp, depth: int) -> Node:
        if type(node.op) not in _ARITH:
            raise self.fail(t("only + - * / are allowed (no **, //, %, bitwise operators)"))
        left = self.visit(node.left, depth)
        right = self.visit(node.right, depth)
        for arg in (left, right):
            if arg.kind not in NUMERIC:
                raise self.fail(t("arithmetic takes numbers, not {kind}", kind=arg.kind))
        symbol, func = _ARITH[type(node.op)]
        if symbol == "/" and right.op == "const" and right.value == 0:
            raise self.fail(t("division by zero"))
        if symbol == "*" and left.kind == right.kind == "money":
            raise self.fail(
                t(
                    "money × money is no amount of money: one side of * is a rate, a count or a "
                    "number (e.g. rate * revenue)"
                )
            )
        kind = _arith_kind(symbol, left.kind, right.kind)
        lf, rf = left.fn, right.fn

        def arith(env: Env) -> Any:
            a, b = lf(env), rf(env)
            if isinstance(a, Unknown) or isinstance(b, Unknown):
                return _merge((a, b))
            try:  # counts are ints: the arithmetic is Decimal's
                return func(
                    a if type(a) is Decimal else Decimal(a), b if type(b) is Decimal else Decimal(b)
                )
            except (DivisionByZero, InvalidOperation):
                # Division by a field that is zero: nothing to pay on that basis.
                return Decimal(0)

        return Node("arith", kind, arith, (left, right), ops=(symbol,))

    def visit_Call(self, node: ast.Call, depth: int) -> Node:
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
            raise self.fail(t("function calls not allowed except min() and max()"))
        if node.keywords or not node.args:
            raise self.fail(
                t("{function}() takes one or more numbers, no keywords", function=node.func.id)
            )
        args = tuple(self.visit(a, depth) for a in node.args)
        for arg in args:
            if arg.kind not in NUMERIC:
                raise self.fail(
                    t(
                        "{function}() takes numbers, not {kind}",
                        function=node.func.id,
                        kind=arg.kind,
                    )
                )
        func = _FUNCTIONS[node.func.id]
        fns = tuple(a.fn for a in args)
        kinds = {a.kind for a in args}
        kind = next((k for k in ("money", "rate", "count") if k in kinds), "number")

        def call(env: Env) -> Any:
            values = [fn(env) for fn in fns]
            for value in values:
                if isinstance(value, Unknown):
                    return _merge(values)
            return func(values)

        return Node("call", kind, call, args, name=node.func.id)


def _arith_kind(op: str, left: str, right: str) -> str:
    kinds = {left, right}
    if "money" in kinds:
        return "money"
    if op in "+-" and kinds == {"rate"}:
        return "rate"
    if kinds == {"count"} and op != "/":
        return "count"
    return "number"


def _constant(value: Any) -> Fn:
    def const(env: Env) -> Any:
        return value

    return const


def _const(value: Any, kind: str) -> Node:
    return Node("const", kind, _constant(value), value=value)


# ---------------------------------------------------------------------------------------------
# What an analyst meant: an expression that fails, read again for the usual slips

# A figure written as the source writes it: 1000万, 1.2亿元, 200000元, 0.5%.
_FIGURE = re.compile(r"(?<![\w.])[0-9][0-9,]*(?:\.[0-9]+)?\s*(?:[万亿千]+元?|元|%)")
_GROUPED = re.compile(r"(?<![\w.])[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?(?![0-9])")
_STRING = re.compile(r"'[^']*'|\"[^\"]*\"")
# Other ways to write an operator, and what the language writes instead. Applied in this order,
# after full-width forms (（）＞＝，！) are folded to ASCII. Each note is a function: it is said
# (t() reads the language) only when its slip is found.
_SLIPS: tuple[tuple[re.Pattern[str], str, Callable[[], str]], ...] = tuple(
    (re.compile(pattern), replacement, note)
    for pattern, replacement, note in (
        (r"≥", ">=", lambda: t("`≥` is written `>=`")),
        (r"≤", "<=", lambda: t("`≤` is written `<=`")),
        (r"≠", "!=", lambda: t("`≠` is written `!=`")),
        (r"<>", "!=", lambda: t("`<>` is written `!=`")),
        (r"=<", "<=", lambda: t("`=<` is written `<=`")),
        (r"=>", ">=", lambda: t("`=>` is written `>=`")),
        (r"(?<![=!<>])=(?!=)", "==", lambda: t("`=` compares as `==`")),
        (r"×", "*", lambda: t("`×` is written `*`")),
        (r"÷", "/", lambda: t("`÷` is written `/`")),
        (r"[“”‘’]", "'", lambda: t("text is quoted with '…'")),
        (r"\s*(?:&&|并且|且|&)\s*", " and ", lambda: t("`且` / `&&` is written `and`")),
        (r"\s*(?:\|\||或者|或|\|)\s*", " or ", lambda: t("`或` / `||` is written `or`")),
        (r"(?:!(?!=)|非)\s*", "not ", lambda: t("`非` / `!` is written `not`")),
        (r"\bAND\b", "and", lambda: t("`and` is lower case")),
        (r"\bOR\b", "or", lambda: t("`or` is lower case")),
        (r"\bNOT\b", "not", lambda: t("`not` is lower case")),
    )
)


def what_was_meant(text: str, symbols: Mapping[str, Symbol]) -> str | None:
    """For an expression that does not compile: the slip, said so an analyst can act on it.

    A figure written in the expression (1000万, 0.5%, 5,000,000) belongs in the article's
    `values`; another way to write an operator (=, ≥, 且, &&, full-width punctuation) gets the
    expression it stands for, when that compiles against `symbols`. None when no such slip
    explains the failure.
    """
    import unicodedata

    plain = unicodedata.normalize("NFKC", text).strip()  # （ ） ＞ ＝ ， ！ → ( ) > = , !
    notes = [] if plain == text.strip() else [t("full-width punctuation is ASCII")]
    parts, strings = _STRING.split(plain), _STRING.findall(plain)  # text in quotes stays
    for pattern, replacement, note in _SLIPS:
        changed = [pattern.sub(replacement, part) for part in parts]
        if changed != parts:
            notes.append(note())
            parts = changed
    figure = next(filter(None, (_FIGURE.search(p) or _GROUPED.search(p) for p in parts)), None)
    if figure is not None:
        shown = figure.group().strip()
        name = "rate" if shown.endswith("%") else "limit"
        if notes:
            return t(
                "{figure} is a figure of the policy: put it in the article's `values` "
                '(e.g. values = {{ {name} = "{figure}" }}) and use its name here; also {notes}',
                figure=shown,
                name=name,
                notes="; ".join(notes),
            )
        return t(
            "{figure} is a figure of the policy: put it in the article's `values` "
            '(e.g. values = {{ {name} = "{figure}" }}) and use its name here',
            figure=shown,
            name=name,
        )
    fixed = "".join(p + s for p, s in zip(parts, [*strings, ""], strict=True))
    fixed = re.sub(r"\s+", " ", fixed).strip()
    if not notes or fixed == text.strip():
        return None
    try:
        _build(_Compiler(fixed, symbols))
    except ExpressionError:
        return None  # not only a slip: the first message says what is wrong
    return t("{notes}: did you mean {expression}?", notes="; ".join(notes), expression=repr(fixed))
