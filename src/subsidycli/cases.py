"""The law's cases as data: a case file is a profile in and the results expected out.

`subsidy test` runs case files for a policy's author (as `openfisca test` does); the project's
own `tests/test_cases.py` runs `tests/cases/*.toml` with the same `run_case`. Pure: no typer,
no rich; the command prints the lines `report` gives.

```toml
name = "营业收入恰好1000万元（含）时可获奖励"
policy = "my-city-2026.toml"         # optional: a path from this file, or a bundled policy id
date = 2024-06-01                    # optional: the day it is evaluated on (default: today)
[profile]
revenue = "1000万"
[expect]
total = "50000.00"                   # optional; money may be written as in a profile
missing = []                         # optional: the fields still to answer, in order
[expect."growth-award"]
status = "eligible"
amount = "50000.00"                  # "null": no amount
```
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from subsidycli import money
from subsidycli.engine import ArticleResult, Evaluation, evaluate
from subsidycli.errors import CaseError, MoneyError
from subsidycli.files import decode
from subsidycli.i18n import t
from subsidycli.policy import Policy, toml_error
from subsidycli.profile import parse_profile
from subsidycli.text import suggest

# What a case may expect of an article's result: the fields of ArticleResult that scripts see.
FIELDS = ("status", "amount", "cap", "missing", "tax_saving", "count", "tier", "basis", "minimum")
_MONEY = frozenset({"amount", "cap", "tax_saving", "total", "minimum"})
_TOP = ("name", "policy", "date", "profile", "expect")


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One expected value the result does not have. `article` is None for total and missing."""

    article: str | None
    key: str
    expected: Any
    actual: Any


@dataclass(frozen=True, slots=True)
class Outcome:
    """A case run: what failed (nothing when it passed), and the results to show beside it."""

    path: str
    name: str
    mismatches: tuple[Mismatch, ...]
    results: Mapping[str, ArticleResult]

    @property
    def passed(self) -> bool:
        """Whether every expected value was found."""
        return not self.mismatches


def case_files(paths: Iterable[str | Path]) -> list[Path]:
    """The case files named, and every *.toml under the folders named (sorted), in order."""
    found: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found.extend(sorted(path.rglob("*.toml")))
        elif path.is_file():
            found.append(path)
        else:
            raise CaseError([t("no such case file or folder")], where=str(path))
    return list(dict.fromkeys(found))


def read_case(path: Path) -> dict[str, Any]:
    """A case file's TOML, checked for the keys a case has."""
    where = str(path)
    try:
        text = decode(path.read_bytes(), where, CaseError)
    except OSError as exc:
        raise CaseError([exc.strerror or str(exc)], where=where) from None
    try:
        case = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problem = toml_error(str(exc))
        position, message = problem if isinstance(problem, tuple) else ("", problem)
        raise CaseError([(position, message) if position else message], where=where) from None
    for key in case:
        if key not in _TOP:
            message = t("unknown key {key}{near} (a case has {keys})", key=repr(key),
                        near=_near(key, _TOP), keys=", ".join(_TOP))  # fmt: skip
            raise CaseError([(str(_line(text, key)), message)], where=where)
    if not isinstance(case.get("profile", {}), dict) or not isinstance(case.get("expect"), dict):
        raise CaseError([t("a case needs a [profile] table and an [expect] table")], where=where)
    if not case["expect"]:
        raise CaseError([t("[expect] is empty: a case must expect something")], where=where)
    case["_text"] = text
    return case


def case_policy(path: Path, case: Mapping[str, Any]) -> str | None:
    """The policy a case names (`policy = …`), as a path from the case file or a bundled id."""
    ref = case.get("policy")
    if ref is None:
        return None
    if not isinstance(ref, str):
        raise CaseError([t("policy: a path or a bundled policy id")], where=str(path))
    beside = path.parent / ref
    return str(beside) if beside.exists() else ref


def case_day(path: Path, case: Mapping[str, Any]) -> dt.date | None:
    """The day a case is evaluated on (`date = 2024-06-01`), or None: the runner's day."""
    day = case.get("date")
    if day is None:
        return None
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise CaseError([(str(_line(case.get("_text", ""), "date")),
                          t("date: a day, written 2024-06-01 (no quotes)"))],
                        where=str(path))  # fmt: skip
    return day


def run_case(path: Path, policy: Policy, case: Mapping[str, Any] | None = None) -> Outcome:
    """Evaluate a case's profile with `policy` and compare every expected value.

    A case with a `date` is evaluated on that day: its policies not in force then are marked
    (`Policy.lapsed`) and kept out of the total, as `--date` does. Raises CaseError (or
    ProfileError) for a case that cannot be run.
    """
    case = read_case(path) if case is None else case
    where = str(path)
    day = case_day(path, case)
    if day is not None and day != policy.evaluated_on:
        lapsed = frozenset(p.id for p in policy.files if not p.in_force(day))
        policy = replace(policy, evaluated_on=day, lapsed=lapsed)
    text = case.get("_text", "")
    profile = parse_profile(case.get("profile", {}), policy, where)
    evaluation = evaluate(policy, profile)
    results = {r.article: r for r in evaluation.results}
    mismatches: list[Mismatch] = []
    for key, want in case["expect"].items():
        if key in ("total", "missing"):
            mismatches.extend(_compare(None, key, want, _overall(evaluation, key)))
            continue
        result = results.get(key)
        line = str(_line(text, key))
        if result is None:
            near = _near(key, list(results))
            message = t("expect.{key}: no article {name} in {policy}{near}", key=key,
                        name=repr(key), policy=policy.id, near=near)  # fmt: skip
            raise CaseError([(line, message)], where=where)
        if not isinstance(want, dict) or not want:
            message = t("expect.{key}: a table of fields ({fields})", key=key,
                        fields=", ".join(FIELDS))  # fmt: skip
            raise CaseError([(line, message)], where=where)
        for field, value in want.items():
            if field not in FIELDS:
                message = t("expect.{key}.{field}: not a field of a result{near} ({fields})",
                            key=key, field=field, near=_near(field, FIELDS),
                            fields=", ".join(FIELDS))  # fmt: skip
                raise CaseError([(line, message)], where=where)
            mismatches.extend(_compare(key, field, value, getattr(result, field)))
    return Outcome(where, str(case.get("name", path.stem)), tuple(mismatches), results)


def _overall(evaluation: Evaluation, key: str) -> Any:
    return evaluation.total if key == "total" else evaluation.missing


def _compare(article: str | None, key: str, want: Any, got: Any) -> list[Mismatch]:
    if _same(key, want, got):
        return []
    return [Mismatch(article, key, want, shown(got))]


def _same(key: str, want: Any, got: Any) -> bool:
    if want == "null" or got is None:
        return want == "null" and got is None
    if key in _MONEY and isinstance(got, Decimal):
        try:  # money as a profile may write it: "50000.00", "5万", 50000
            return money.parse_money(want) == got
        except MoneyError:
            return False
    if isinstance(got, tuple):
        return isinstance(want, list) and list(got) == want
    return bool(want == got and type(want) is type(got))


def shown(value: Any) -> Any:
    """A result's value as a case file writes it: money "50000.00", None "null", lists."""
    if value is None:
        return "null"
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Decimal):
        return money.format_plain(value)
    return value


def report(outcome: Outcome) -> list[str]:
    """A failed case in lines: each article's expected and actual status and amount, any other
    field that differs, and the result's explanation (why it is as it is)."""
    lines = [t("FAIL {path}: {name}", path=outcome.path, name=outcome.name)]
    by_article: dict[str | None, list[Mismatch]] = {}
    for m in outcome.mismatches:
        by_article.setdefault(m.article, []).append(m)
    for article, found in by_article.items():
        if article is None:
            lines += [_differs(m, "  ") for m in found]
            continue
        result = outcome.results[article]
        wanted = {m.key: _plain(m.key, m.expected) for m in found}
        expected = " ".join(
            _text(wanted.get(k, shown(getattr(result, k)))) for k in ("status", "amount")
        )
        got = f"{result.status} {_text(shown(result.amount))}"
        lines.append("  " + t("{key}: expected {expected}, got {got}", key=article,
                              expected=expected, got=got))  # fmt: skip
        lines += [_differs(m, "    ") for m in found if m.key not in ("status", "amount")]
        lines.append(f"    ({result.explanation})")
    return lines


def summary(passed: int, failed: int) -> str:
    """The closing line: `12 passed, 1 failed`."""
    return t("{passed} passed, {failed} failed", passed=passed, failed=failed)


def _differs(m: Mismatch, indent: str) -> str:
    return indent + t("{key}: expected {expected}, got {got}", key=m.key,
                      expected=_text(_plain(m.key, m.expected)), got=_text(m.actual))  # fmt: skip


def _plain(key: str, value: Any) -> Any:
    """An expected amount as results show it ("30万" → "300000.00"), to read beside them."""
    if key in _MONEY and value != "null":
        try:
            return money.format_plain(money.parse_money(value))
        except MoneyError:
            pass
    return value


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def _near(word: str, choices: Sequence[str]) -> str:
    near = suggest(word, choices)
    return t(" (did you mean {name}?)", name=repr(near[0])) if near else ""


def _line(text: str, key: str) -> int:
    """The first line of a case file that names `key` (a table header or a key)."""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith(("#",)):
            continue
        if f'"{key}"' in stripped or f".{key}]" in stripped or stripped.startswith(f"{key} "):
            return number
    return 1
