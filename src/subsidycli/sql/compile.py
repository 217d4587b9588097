"""A compiled `Policy` as one SQL query over a table of profiles: the `summary` of a population.

Compiled from the policy's expression trees (`expr.Node`), never from their text. The mapping
keeps the engine's meaning exactly:

- unknown is SQL NULL, and `and`/`or`/`not` are SQL's, which are Kleene's three-valued logic,
  as the engine's; a condition is tested with IS TRUE / IS FALSE, never by its truth alone;
- `min`/`max` and caps are CASE expressions: LEAST/GREATEST skip NULLs, an unknown must stay
  unknown;
- a conditional default keeps an unknown condition unknown (WHEN c IS TRUE … WHEN c IS FALSE …,
  never ELSE);
- numbers are DECIMAL only, each value's digits tracked by the compiler (integer digits, scale),
  cast explicitly at every step, so that no product passes DECIMAL's 38 digits (such a policy is
  refused, as is division, whose rounding is not defined here); no float ever enters;
- amounts are rounded half-up to the fen by ROUND on DECIMAL (half away from zero, as
  `money.round_fen`), after the cap, below zero counted as zero;
- an amount that could reach 10^24 元 (where the engine refuses the record) is refused at
  compile time, so no row can fail in SQL and none can stop the run;
- a `range` pays its maximum (`amount`), and its `minimum`, unknown, leaves it unknown; an
  amount decided `case_by_case` has a status and no amount; a `schedule` chosen by `year` pays
  the row of the profile's year, a year no row pays is not eligible (before the tiers decide);
  a schedule without `year` and payment `stages` only explain;
- results settle against each other as `engine.settle` does, one layer per step and in its
  order: each `waits_for`, then each `not_with` pair (就高不重复: the higher rounded amount,
  the first on a tie; an unknown makes the other unknown); a policy not in force on the day
  (`lapsed`) takes part in no pair and its articles stay out of the total.

Anything else the policy uses (a basis, a field of an article, an expression form this module
does not know) raises `Unsupported`: a new construct is refused until it is taught here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from subsidycli.expr import Expr, Node
from subsidycli.i18n import t
from subsidycli.policy import Article, Input, Policy
from subsidycli.sql.known import CASH, OPS, check
from subsidycli.sql.types import (
    AMOUNT_LIMIT,
    BOUNDS,
    COLUMN_TYPES,
    MAX_DIGITS,
    NARROW,
    Unsupported,
)
from subsidycli.sql.types import refuse as _refuse


@dataclass(frozen=True, slots=True)
class Sql:
    """A compiled expression: its text, its kind, and for a number its (integer digits, scale)."""

    text: str
    kind: str
    digits: tuple[int, int] | None = None
    bound: Decimal = Decimal(0)  # for a number: the most its magnitude can be


Row = tuple[str, Sql | None]  # a row of a schedule: whether the year is in it, what it pays


def _number(text: str, bound: Decimal, scale: int) -> Sql:
    """A number whose magnitude is at most `bound`, with `scale` places: its integer digits are
    the bound's, so that each DECIMAL is as narrow as its values allow."""
    return Sql(text, "number", (len(str(int(bound))), scale), bound)


@dataclass(frozen=True, slots=True)
class Query:
    """One policy's summary as SQL over a table of profiles, one text column per input.

    The query yields one row: for each article of `articles` (indices into the policy's
    articles), its eligible count, needs-info count, sum of amounts and sum of tax saved, as
    columns e{n}, n{n}, a{n}, s{n}; then `total`.
    """

    sql: str
    articles: tuple[int, ...]
    columns: tuple[str, ...]
    shapes: Mapping[str, tuple[int, int] | None] = dataclasses.field(
        default_factory=lambda: COLUMN_TYPES)  # the columns' types: COLUMN_TYPES or NARROW




def _too_wide() -> _TooWide:
    what = t("a number that could pass 38 digits or 10^24")
    return _TooWide(t("the SQL engine does not know {what}", what=what))


def quote(name: str) -> str:
    """A column name as an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def string(value: str) -> str:
    """Text as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _decimal(i: int, s: int) -> str:
    if i + s > MAX_DIGITS:
        raise _too_wide()
    return f"DECIMAL({max(i + s, 1)}, {s})"


def _cast(sql: Sql, digits: tuple[int, int]) -> str:
    return f"CAST({sql.text} AS {_decimal(*digits)})"


def literal(value: Any) -> Sql:
    """A parsed value (a policy's number, a default, a choice) as an SQL literal."""
    if isinstance(value, bool):
        return Sql("TRUE" if value else "FALSE", "bool")
    if isinstance(value, int):
        value = Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _refuse(repr(value))
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int)
        number = _number("", abs(value), max(-exponent, 0))
        assert number.digits is not None
        text = f"CAST('{format(value, 'f')}' AS {_decimal(*number.digits)})"
        return dataclasses.replace(number, text=text)
    if isinstance(value, str):
        return Sql(string(value), "text")
    raise _refuse(repr(type(value).__name__))


def _product(left: Sql, right: Sql, result: Sql) -> str:
    """left × right, exact: the database may type a product no wider than its widest operand
    (DECIMAL(18,10) × DECIMAL(7,0) is DECIMAL(18,10), and overflows), so the left operand is
    first cast as wide as the product needs."""
    assert left.digits is not None and right.digits is not None and result.digits is not None
    whole = max(result.digits[0], left.digits[0])
    wide = _decimal(whole + result.digits[1], left.digits[1])
    return f"(CAST({left.text} AS {wide}) * {_cast(right, right.digits)})"


def _wider(*shapes: tuple[int, int] | None) -> tuple[int, int]:
    known = [s for s in shapes if s is not None]
    return max(i for i, _ in known), max(s for _, s in known)


class _Expressions:
    """Expression trees to SQL against `env`: each input (and default) by name."""

    def __init__(self, env: Mapping[str, Sql]) -> None:
        self.env = env

    def expr(self, expression: Expr | None) -> Sql | None:
        return None if expression is None else self.node(expression.node)

    def node(self, node: Node) -> Sql:
        if node.op not in OPS:
            raise _refuse(repr(node.op))
        method: Callable[[Node], Sql] = getattr(self, "_" + node.op)
        return method(node)

    def _name(self, node: Node) -> Sql:
        if node.label is None:  # a named value of the article: a constant
            return literal(node.value)
        found = self.env.get(node.name)
        if found is None:
            raise _refuse(repr(node.name))
        return found

    def _const(self, node: Node) -> Sql:
        return literal(node.value)

    def _and(self, node: Node) -> Sql:
        return Sql("(" + " AND ".join(self.node(a).text for a in node.args) + ")", "bool")

    def _or(self, node: Node) -> Sql:
        return Sql("(" + " OR ".join(self.node(a).text for a in node.args) + ")", "bool")

    def _not(self, node: Node) -> Sql:
        return Sql(f"(NOT {self.node(node.args[0]).text})", "bool")

    def _cmp(self, node: Node) -> Sql:
        operands = [self.node(a) for a in node.args]
        numeric = [o.digits for o in operands if o.digits is not None]
        if numeric:
            if len(numeric) != len(operands):
                raise _refuse("cmp")
            shape = _wider(*numeric)
            texts = [_cast(o, shape) for o in operands]
        else:
            texts = [o.text for o in operands]
        ops = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
        parts = [f"({a} {ops[op]} {b})" for op, a, b in zip(node.ops, texts, texts[1:],
                                                             strict=False)]  # fmt: skip
        return Sql("(" + " AND ".join(parts) + ")", "bool")

    def _arith(self, node: Node) -> Sql:
        left, right = (self.node(a) for a in node.args)
        op = node.ops[0]
        if left.digits is None or right.digits is None:
            raise _refuse(repr(node.op))
        if op == "*":
            result = _number("", left.bound * right.bound, left.digits[1] + right.digits[1])
            text = _product(left, right, result)
        elif op in "+-":
            wide = _wider(left.digits, right.digits)
            _decimal(wide[0] + 1, wide[1])
            result = _number("", left.bound + right.bound, wide[1])
            text = f"({_cast(left, wide)} {op} {_cast(right, wide)})"
        else:  # division: its rounding is not defined for SQL
            division = t("division")
            raise _refuse(division)
        assert result.digits is not None
        return dataclasses.replace(result, text=f"CAST({text} AS {_decimal(*result.digits)})")

    def _neg(self, node: Node) -> Sql:
        arg = self.node(node.args[0])
        if arg.digits is None:
            raise _refuse(repr(node.op))
        return Sql(f"(-{arg.text})", "number", arg.digits, arg.bound)

    def _call(self, node: Node) -> Sql:
        if node.name not in ("min", "max"):
            raise _refuse(repr(node.name))
        args = [self.node(a) for a in node.args]
        if any(a.digits is None for a in args):
            raise _refuse(repr(node.name))
        shape = _wider(*(a.digits for a in args))
        if len(args) == 1:
            return args[0]
        function = "LEAST" if node.name == "min" else "GREATEST"
        # LEAST/GREATEST skip NULLs: an unknown argument must leave the result unknown.
        nulls = " OR ".join(f"{a.text} IS NULL" for a in args)
        inner = ", ".join(_cast(a, shape) for a in args)
        return Sql(f"(CASE WHEN {nulls} THEN NULL ELSE {function}({inner}) END)", "number", shape,
                   max(a.bound for a in args))  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The query


def compile_summary(policy: Policy, table: str = "profiles", assume_no: bool = False) -> Query:
    """The summary of `policy` over `table` (one text column per input, named as the input;
    blank is NULL) as one SQL query, on the wide columns (COLUMN_TYPES) where its numbers fit,
    else on the narrow ones (NARROW). Raises Unsupported for a policy it cannot run exactly."""
    check(policy)
    try:
        return _compile(policy, table, assume_no, COLUMN_TYPES)
    except _TooWide:
        try:
            return _compile(policy, table, assume_no, NARROW)
        except _TooWide as exc:
            raise Unsupported(exc.message) from None


class _TooWide(Unsupported):
    """A number the columns' types would make too wide (narrower columns may fit)."""


def _compile(policy: Policy, table: str, assume_no: bool,
             shapes: Mapping[str, tuple[int, int] | None]) -> Query:  # fmt: skip
    return _query(policy, table, assume_no, shapes)


def _query(policy: Policy, table: str, assume_no: bool,
           shapes: Mapping[str, tuple[int, int] | None]) -> Query:  # fmt: skip
    columns = tuple(policy.inputs)
    layers = [_base(policy, table, assume_no, shapes)]
    env = {name: _column(item, shapes) for name, item in policy.inputs.items()}
    for n, item in enumerate(policy.defaulted, start=1):
        filled = _default(item, _Expressions(env), shapes)
        names = [quote(c) for c in columns if c != item.name]
        select = ", ".join([*names, f"{filled} AS {quote(item.name)}"])
        layers.append(f"p{n} AS (SELECT {select} FROM p{n - 1})")
    last = f"p{len(policy.defaulted)}"
    expressions = _Expressions(env)
    index = [n for n, a in enumerate(policy.articles) if a.basis != "info"]
    rows: list[str] = []
    sums: list[str] = []
    cash: list[str] = []
    for n in index:
        article = policy.articles[n]
        status, amount, saving = _article(article, expressions, policy)
        shown = "NULL" if amount is None else _cast(amount, _AMOUNT)
        rows += [f"{status} AS st{n}", f"{shown} AS am{n}", f"{saving} AS sv{n}"]
        wait = article.waits_for
        if wait is not None and wait.when is not None:  # whether it waits, for `_settle`
            rows.append(f"{expressions.node(wait.when.node).text} AS w{n}")
        sums += [
            f"COUNT(CASE WHEN st{n} = 'e' THEN 1 END) AS e{n}",
            f"COUNT(CASE WHEN st{n} = 'n' THEN 1 END) AS n{n}",
            f"SUM(CASE WHEN st{n} = 'e' THEN am{n} END) AS a{n}",
            f"SUM(CASE WHEN st{n} = 'e' THEN sv{n} END) AS s{n}",
        ]
        if article.basis in CASH and article.id not in policy.uncounted:  # in force on the day
            cash.append(f"COALESCE(CASE WHEN st{n} = 'e' THEN am{n} END, 0)")
    total = "SUM(" + (" + ".join(cash) if cash else "CAST(0 AS DECIMAL(3, 2))") + ")"
    # Each row's results in an inner query, settled against each other: the sums read them by
    # name.
    inner = f"SELECT {', '.join(rows) or '1 AS one'} FROM {last}"
    names = [row.rpartition(" AS ")[2] for row in rows]
    sql = (
        "WITH " + ", ".join(layers) + f"\nSELECT {', '.join([*sums, f'{total} AS total'])}"
        f"\nFROM ({_settle(policy, inner, names)}) AS r"
    )
    return Query(sql, tuple(index), columns, shapes)


# Every eligible amount as one type, whatever its article's digits: < 10^24 (`_check_bound`),
# to the fen. Stacked amounts are compared in it.
_AMOUNT = (25, 2)


def _settle(policy: Policy, inner: str, names: list[str]) -> str:
    """The rows' statuses settled against each other, as `engine.settle` settles them: each
    step a query over the one before, in the engine's order (the waits, then the pairs not
    paid together). Only statuses change: an article settled out of eligible never pays
    again, so its amount is no longer read."""
    articles = policy.articles
    steps: list[dict[str, str]] = []
    for n, waited in policy.waits:
        paid = [i for i in waited if articles[i].basis != "info"]  # info never pays or waits
        wait = articles[n].waits_for
        if paid and wait is not None:
            steps.append({f"st{n}": _waiting(n, paid, wait.when is not None)})
    lapsed = policy.lapsed
    for i, j in policy.pairs:
        if lapsed and {articles[i].policy, articles[j].policy} & lapsed:
            continue  # a policy not in force on the day takes part in nothing
        if "info" not in (articles[i].basis, articles[j].basis):
            steps.append(_stacked(i, j, articles[i].basis in CASH, articles[j].basis in CASH))
    query = inner
    for k, changed in enumerate(steps, start=1):
        select = ", ".join(f"{changed[c]} AS {c}" if c in changed else c for c in names)
        query = f"SELECT {select} FROM ({query}) AS s{k}"
    return query


def _waiting(n: int, waited: list[int], held: bool) -> str:
    """Article n's status while it waits for `waited` (`engine._waiting`): not eligible when
    its wait holds and one of them pays; unknown while either is unknown and it could."""
    status = f"st{n}"
    paying = " OR ".join(f"st{i} = 'e'" for i in waited)
    open_ = " OR ".join(f"st{i} = 'n'" for i in waited)
    holds = f"w{n}" if held else "TRUE"
    return (f"(CASE WHEN {status} NOT IN ('e', 'n') THEN {status} "
            f"WHEN {holds} IS FALSE THEN {status} "
            f"WHEN ({paying}) AND {holds} IS TRUE THEN 'x' "
            f"WHEN NOT ({paying} OR {open_}) THEN {status} ELSE 'n' END)")  # fmt: skip


def _stacked(i: int, j: int, cash_i: bool, cash_j: bool) -> dict[str, str]:
    """Articles i and j (i listed first) not paid together, by 就高不重复 (`engine._stacked`):
    of two eligible amounts the higher is paid (i on a tie) and the other is not eligible; an
    unknown one makes the eligible one unknown; an eligible one without a cash amount
    excludes nothing."""
    one, other = f"st{i}", f"st{j}"
    unsettled = [f"NOT ({one} IN ('e', 'n') AND {other} IN ('e', 'n') AND 'e' IN ({one}, {other}))"]
    unsettled += [f"{s} = 'e'" for s, cash in ((one, cash_i), (other, cash_j)) if not cash]
    zero = f"CAST(0 AS {_decimal(*_AMOUNT)})"
    first_pays = f"COALESCE(am{i}, {zero}) >= COALESCE(am{j}, {zero})"

    def settled(me: str, partner: str, wins: str, loses: str) -> str:
        whens = [f"WHEN {c} THEN {me}" for c in unsettled]
        whens += [f"WHEN {partner} = 'n' THEN 'n'", f"WHEN {me} = 'n' THEN 'n'",
                  f"WHEN {first_pays} THEN {wins}"]  # fmt: skip
        return f"(CASE {' '.join(whens)} ELSE {loses} END)"

    return {one: settled(one, other, "'e'", "'x'"), other: settled(other, one, "'x'", "'e'")}


def _column(item: Input, shapes: Mapping[str, tuple[int, int] | None]) -> Sql:
    shape = shapes[item.type]
    kind = "bool" if item.type == "bool" else ("text" if shape is None else "number")
    return Sql(quote(item.name), kind, shape, BOUNDS.get(item.type, Decimal(0)))


def _base(policy: Policy, table: str, assume_no: bool,
          shapes: Mapping[str, tuple[int, int] | None]) -> str:  # fmt: skip
    """The table's text cells cast to their types (the runner sends canonical text only)."""
    zero = {"money": "0", "count": "0", "bool": "FALSE", "quantity": "0"}  # `profile.assume_no`
    cells = []
    for name, item in policy.inputs.items():
        shape = shapes[item.type]
        kind = "BOOLEAN" if item.type == "bool" else (
            "VARCHAR" if shape is None else _decimal(*shape))  # fmt: skip
        cell = f"CAST({quote(name)} AS {kind})"
        if assume_no and item.type in zero and (item.default, item.default_if) == (None, None):
            cell = f"COALESCE({cell}, CAST({zero[item.type]} AS {kind}))"
        cells.append(f"{cell} AS {quote(name)}")
    return f"p0 AS (SELECT {', '.join(cells) or '1 AS one'} FROM {table})"


def _default(item: Input, expressions: _Expressions,
             shapes: Mapping[str, tuple[int, int] | None]) -> str:  # fmt: skip
    """An input's value with its default: the profile's, else the default; a conditional
    default's unknown condition leaves it unknown (no ELSE)."""
    column = quote(item.name)
    typed = _column(item, shapes)
    if item.default is not None:
        return f"COALESCE({column}, {_typed(literal(item.default), typed)})"
    assert item.default_if is not None
    condition = expressions.node(item.default_if.node)
    then = _typed(literal(item.default_then), typed)
    other = _typed(literal(item.default_else), typed)
    return (f"(CASE WHEN {column} IS NOT NULL THEN {column} WHEN {condition.text} IS TRUE "
            f"THEN {then} WHEN {condition.text} IS FALSE THEN {other} END)")  # fmt: skip


def _typed(value: Sql, column: Sql) -> str:
    if column.digits is None:
        return value.text
    if value.digits is None or value.digits[1] > column.digits[1] or (
            value.digits[0] > column.digits[0]):  # fmt: skip
        raise _too_wide()
    return _cast(value, column.digits)


def _article(
    article: Article, expressions: _Expressions, policy: Policy
) -> tuple[str, Sql | None, str]:
    """One article's status ('e', 'n' or 'x'), amount (None: it states none) and tax saved,
    per row, in the order `engine._evaluate_article` decides them."""
    whens: list[str] = []
    if article.who is not None:
        applicant = expressions.env.get("applicant_type")
        if applicant is None:
            whens.append("WHEN TRUE THEN 'n'")
        else:
            allowed = ", ".join(literal(w).text for w in sorted(article.who))
            whens.append(f"WHEN {applicant.text} IS NULL THEN 'n'")
            whens.append(f"WHEN {applicant.text} NOT IN ({allowed}) THEN 'x'")
    condition = expressions.expr(article.when)
    if condition is not None:
        whens.append(f"WHEN {condition.text} IS FALSE THEN 'x'")
    year, rows = _year_rows(article, expressions)
    if year is not None:  # a year no row pays: not eligible, whatever else is unknown
        paid = " OR ".join(held for held, _ in rows)
        whens.append(f"WHEN ({paid}) IS FALSE THEN 'x'")
    raw = _raw(article, expressions, whens, rows)
    cap = expressions.expr(article.cap)
    low = expressions.expr(article.minimum)  # a range's least amount: it too must be known
    unknown = [f"{s.text} IS NULL" for s in (condition, year, raw, cap, low) if s is not None]
    if unknown:
        whens.append(f"WHEN {' OR '.join(unknown)} THEN 'n'")
    status = f"(CASE {' '.join(whens)} ELSE 'e' END)" if whens else "'e'"
    count = expressions.env[article.count] if article.count else None
    _check_bound(article, expressions, count, cap)
    if article.basis in ("unspecified", "case_by_case") or raw is None:
        return status, None, "NULL"
    amount = _amount(raw, cap, count)
    saving = "NULL"
    if article.basis == "tax_deduction" and article.tax_saving is not None:
        scope = {**expressions.env, "amount": amount}
        value = _Expressions(scope).node(article.tax_saving.node)
        if value.digits is None or value.bound >= AMOUNT_LIMIT:
            raise _too_wide()
        saving = _fen(value)
    return status, amount, saving


def _year_rows(article: Article, expressions: _Expressions) -> tuple[Sql | None, list[Row]]:
    """For a schedule chosen by `year`: the year's column, and each row as (whether the year
    is in it, what it pays: None for the article's own amount or tiers). (None, []) else: a
    schedule without `year` only says how the amount is paid out."""
    if not article.year or not article.schedule:
        return None, []
    year = expressions.env[article.year]
    assert year.digits is not None  # a count
    rows = []
    for row in article.schedule:
        first, last = (_cast(literal(Decimal(n)), year.digits) for n in (row.first, row.last))
        pays = None if row.amount is None else expressions.node(row.amount.node)
        if pays is not None and pays.digits is None:
            raise _refuse("schedule")
        rows.append((f"({year.text} >= {first} AND {year.text} <= {last})", pays))
    return year, rows


def _raw(article: Article, expressions: _Expressions, whens: list[str],
         rows: list[Row]) -> Sql | None:  # fmt: skip
    """The amount before cap and count: the year's row's, else the article's or the first
    tier's whose condition holds (unknown while one before it is unknown); adds the WHEN of
    'no tier holds' (while no row of the year pays instead)."""
    own = _tiers(article, expressions, whens, [pays for pays in rows if pays[1] is not None])
    if not rows:
        return own
    if any(pays is None for _, pays in rows) and own is None:
        raise _refuse("schedule")
    amounts = [pays or own for _, pays in rows]
    shape = _wider(*(a.digits for a in amounts if a is not None))
    picks = [f"WHEN {held} IS TRUE THEN {_cast(pays, shape)}"
             for (held, _), pays in zip(rows, amounts, strict=True) if pays]  # fmt: skip
    return Sql(f"(CASE {' '.join(picks)} END)", "number", shape,
               max(a.bound for a in amounts if a is not None))  # fmt: skip


def _tiers(article: Article, expressions: _Expressions, whens: list[str],
           paying: list[Row]) -> Sql | None:  # fmt: skip
    """The article's own amount, or its tiers': the first whose condition holds (unknown while
    one before it is unknown), and the WHEN of 'no tier holds' unless a row in `paying` (a row
    of the year's schedule with its own amount) holds."""
    if not article.tiers:
        return expressions.expr(article.amount)
    conditions = [expressions.expr(tier.when) for tier in article.tiers]
    amounts = [expressions.node(tier.amount.node) for tier in article.tiers]
    if any(a.digits is None for a in amounts):
        raise _refuse("tiers")
    if all(c is not None for c in conditions):
        unless = [f"({' OR '.join(held for held, _ in paying)}) IS NOT TRUE"] if paying else []
        whens.append("WHEN " + " AND ".join(
            [*unless, *(f"{c.text} IS FALSE" for c in conditions if c)]) + " THEN 'x'")  # fmt: skip
    shape = _wider(*(a.digits for a in amounts))
    bound = max(a.bound for a in amounts)
    picks = []
    for held, pays in zip(conditions, amounts, strict=True):
        if held is None:
            picks.append(f"WHEN TRUE THEN {_cast(pays, shape)}")
            break
        picks += [f"WHEN {held.text} IS TRUE THEN {_cast(pays, shape)}",
                  f"WHEN {held.text} IS NULL THEN NULL"]  # fmt: skip
    return Sql(f"(CASE {' '.join(picks)} END)", "number", shape, bound)


def _times(value: Sql, count: Sql | None) -> Sql:
    if count is None:
        return value
    assert value.digits is not None and count.digits is not None
    result = _number("", value.bound * count.bound, value.digits[1])
    assert result.digits is not None
    shape = result.digits
    product = _product(value, count, result)
    text = f"(CASE WHEN {count.text} IS NULL THEN {_cast(value, shape)} ELSE {product} END)"
    return dataclasses.replace(result, text=f"CAST({text} AS {_decimal(*shape)})")


def _amount(raw: Sql, cap: Sql | None, count: Sql | None) -> Sql:
    """The amount paid: raw (× count), capped (× count) by CASE, below zero 0, rounded."""
    value = _times(raw, count)
    if cap is not None:
        if cap.digits is None:
            raise _refuse("cap")
        limit = _times(cap, count)
        assert value.digits is not None and limit.digits is not None
        shape = _wider(value.digits, limit.digits)
        a, b = _cast(value, shape), _cast(limit, shape)
        value = Sql(f"(CASE WHEN {a} <= {b} THEN {a} ELSE {b} END)", "number", shape,
                    max(value.bound, limit.bound))  # fmt: skip
    assert value.digits is not None
    zero = _cast(literal(Decimal(0)), value.digits)
    clamped = Sql(f"(CASE WHEN {value.text} < 0 THEN {zero} ELSE {value.text} END)", "number",
                  value.digits, value.bound)  # fmt: skip
    return Sql(_fen(clamped), "money", (value.digits[0] + 1, 2), value.bound + 1)


def _fen(value: Sql) -> str:
    """Half-up to the fen on DECIMAL (ROUND rounds half away from zero, as `round_fen`)."""
    assert value.digits is not None
    whole, scale = value.digits
    rounded = f"ROUND({_cast(value, value.digits)}, 2)" if scale > 2 else value.text
    return f"CAST({rounded} AS {_decimal(whole + 1, 2)})"


def _check_bound(article: Article, expressions: _Expressions, count: Sql | None,
                 cap: Sql | None) -> None:  # fmt: skip
    """Refuse an article whose amount, cap, minimum, or any tier's or schedule row's amount
    (× count) could reach 10^24, where the engine refuses the record: in SQL no row may fail."""
    times = count.bound if count is not None else Decimal(1)
    values = [expressions.expr(article.amount), cap, expressions.expr(article.minimum),
              *(expressions.node(tier.amount.node) for tier in article.tiers),
              *(expressions.expr(row.amount) for row in article.schedule)]  # fmt: skip
    for value in values:
        if value is not None and value.digits is not None and (
                value.bound * times >= AMOUNT_LIMIT):  # fmt: skip
            raise _too_wide()
