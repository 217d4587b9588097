"""What `subsidy lint` checks beyond loading: a policy file against the source it quotes.

Loading already refuses what cannot be computed (schema, expressions, ids, default circles,
dates out of order). These checks are for the author: every money figure and rate an article
states in `values` appears in its `source` quote; the `source_file` exists; every quote is
verbatim in it; every paragraph of it is quoted somewhere. Pure: reads files, prints nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from subsidycli import money
from subsidycli.errors import PolicyError
from subsidycli.i18n import t
from subsidycli.policy import Article, KeyLines, Policy, combine, load_policy
from subsidycli.policy.load import refuse_copies

# A figure as a source writes it and the money parser reads it: 1000万元, 1,000 万元, 1.2亿,
# 200000元, 0.5%; full-width digits are folded first. A bare number (3项) is a figure too.
_FIGURE = re.compile(r"([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(\.[0-9]+)?\s*(%|[万亿千]*)")
_SCALE = {"万": Decimal(10_000), "亿": Decimal(100_000_000), "千": Decimal(1000)}


def figures(quote: str) -> list[tuple[Decimal, str, str]]:
    """Every figure of a quote: (value, "money" or "rate", as written). 50万元 is 500000 money,
    0.5% is 0.005 rate; a bare number is read as money in 元 (it may be a count: harmless)."""
    found = []
    for match in _FIGURE.finditer(unicodedata.normalize("NFKC", quote)):
        digits, fraction, unit = match.groups()
        number = Decimal(digits.replace(",", "") + (fraction or ""))
        if unit == "%":
            found.append((number / 100, "rate", match.group()))
            continue
        for scale in unit:
            number *= _SCALE[scale]
        found.append((number, "money", match.group().strip()))
    return found


def check_files(
    paths: Sequence[Path], together: Sequence[Path] = (),
    warn: Callable[[str], None] = lambda message: None,
) -> tuple[list[str], list[str]]:  # fmt: skip
    """Validate policy files: (problems as "file:line: message", one summary line per good file).

    Beyond what loading checks (TOML syntax, schema, expressions, duplicate ids, caps without
    amounts, articles without source, default circles, dates), `check` holds each file to its
    source: figures in the quotes, quotes verbatim in the `source_file`; and a policy that ships
    its source text must quote every paragraph of it. With `together`, each file must also
    combine with those (as `--policy A --policy B` does): shared inputs declared alike, and
    not a copy of one (`load.refuse_copies`); `warn` is told of articles quoting the same source
    sentence as a partner's (`shared_sources`), whose amounts both would count.
    """
    problems: list[str] = []
    summaries: list[str] = []
    partners: list[Policy] = []
    for path in together:
        try:
            partners.append(load_policy(path, validate=True))
        except PolicyError as exc:
            problems.extend(exc.lines())
    for path in paths:
        try:
            policy = load_policy(path, validate=True)
        except PolicyError as exc:
            problems.extend(exc.lines())
            continue
        found = check(policy)
        text = _source_text(policy)
        if text is not None:
            source = Path(policy.path).parent / str(policy.meta.source_file)
            found.extend(
                f"{source}:{_line_in(text, piece)}: "
                + t("source text not quoted by any article: {piece}…", piece=piece[:40])
                for piece in uncovered_source(policy)
            )
        with_text = ""
        if partners:
            for line in shared_sources(policy, partners):
                warn(line)
            try:
                refuse_copies([policy, *partners])
                combine([policy, *partners])
                with_text = t(", works with {files}", files=", ".join(p.path for p in partners))
            except PolicyError as exc:
                files = ", ".join(p.path for p in partners)
                found.extend(f"{path}: " + t("with {files}: {problem}", files=files, problem=line)
                             for line in exc.lines())  # fmt: skip
        problems.extend(found)
        if not found:
            summaries.append(f"{path}: " + t(
                "ok ({articles} articles, {inputs} inputs, sha256 {sha}{together})",
                articles=len(policy.articles), inputs=len(policy.inputs),
                sha=policy.sha256[:12], together=with_text,
            ))  # fmt: skip
    return problems, summaries


def shared_sources(policy: Policy, partners: Sequence[Policy]) -> list[str]:
    """Articles with an amount (not `info`) of `policy` that quote the same source sentence as
    one of a partner's (whitespace aside), unless one declares the other `not_with` or both
    files are versions of one family (never loaded together): both amounts would count."""
    quoted: dict[str, list[tuple[Policy, Article]]] = {}
    for partner in partners:
        if policy.meta.family is not None and partner.meta.family == policy.meta.family:
            continue
        for b in (b for b in partner.articles if b.basis != "info"):
            quoted.setdefault(_squash(b.source), []).append((partner, b))
    index = {a["id"]: i for i, a in enumerate(policy.data["articles"])}
    lines = KeyLines(Path(policy.path).read_text(encoding="utf-8-sig"))
    found = []
    for a in (a for a in policy.articles if a.basis != "info" and a.source.strip()):
        for partner, b in quoted.get(_squash(a.source), []):
            if b.key in a.not_with or a.key in b.not_with:
                continue
            line = lines.line(("articles", index[a.id], "source"))
            found.append(f"{policy.path}:{line}: " + t(
                "article {article} quotes the same source sentence as {other} in {file}: used "
                "together, both amounts would count; if they are one award, say so with "
                "`not_with = [\"{key}\"]`", article=a.id, other=b.key, file=partner.path,
                key=b.key))  # fmt: skip
    return found


# A policy's source text is a page or two of law; the bound keeps `lint` from reading a device.
MAX_SOURCE_BYTES = 2 * 2**20


def _read_source(path: Path) -> str:
    """The source text at `path` (a regular UTF-8 text file), else a PolicyError saying why."""
    from subsidycli.files import decode, read_bounded

    return decode(read_bounded(path, MAX_SOURCE_BYTES, PolicyError), str(path), PolicyError)


def _source_text(policy: Policy) -> str | None:
    """The policy's source text, or None when there is none or it cannot be read (`check` says
    why). `source_file` is confined to the policy's folder when the policy loads."""
    if not policy.meta.source_file:
        return None
    try:
        return _read_source(Path(policy.path).parent / str(policy.meta.source_file))
    except PolicyError:
        return None


def check(policy: Policy) -> list[str]:
    """The author's problems of one loaded policy file, each as `file:line: message`."""
    path = Path(policy.path)
    text = path.read_text(encoding="utf-8-sig")
    lines = KeyLines(text)
    index = {a["id"]: i for i, a in enumerate(policy.data["articles"])}

    def at(loc: tuple[Any, ...], message: str) -> str:
        return f"{policy.path}:{lines.line(loc)}: {message}"

    problems = [at(("articles", index[a.id], "values"), m) for a in policy.articles
                for m in unquoted_figures(a)]  # fmt: skip
    problems += [at(("articles", index[a.id], "schedule"), m) for a in policy.articles
                 for m in unpaid_schedule(a)]  # fmt: skip
    source_file = policy.meta.source_file
    if source_file is None:
        return problems
    source_path = path.parent / source_file
    if not source_path.is_file():
        problems.append(at(("policy", "source_file"), t(
            "source_file {file} does not exist (looked for {path})", file=repr(source_file),
            path=source_path)))  # fmt: skip
        return problems
    try:
        source = _read_source(source_path)
    except PolicyError as exc:  # binary, not UTF-8, a device, too large
        problems.extend(at(("policy", "source_file"), t("source_file {file}: {why}",
                           file=repr(source_file), why=why)) for why in exc.problems)  # fmt: skip
        return problems
    for article in policy.articles:
        reason = not_verbatim(article.source, source)
        if reason:
            loc = ("articles", index[article.id], "source")
            problems.append(
                at(
                    loc,
                    t(
                        "{article}.source: not verbatim in {file}: {why}",
                        article=article.id,
                        file=source_file,
                        why=reason,
                    ),
                )  # fmt: skip
            )
    if policy.meta.preamble:
        reason = not_verbatim(policy.meta.preamble, source)
        if reason:
            problems.append(at(("policy", "preamble"), t(
                "preamble: not verbatim in {file}: {why}", file=source_file, why=reason,
            )))  # fmt: skip
    return problems


def unquoted_figures(article: Article) -> Iterator[str]:
    """A message for each money figure or rate of `values` that the article's quote does not
    state, in any form the money parser reads (50万 ↔ 最高50万元 ↔ 500,000元; 0.5% ↔ 0.5%)."""
    stated = figures(article.source)
    named = [(f"values.{name}", value, kind) for name, (value, kind) in article.values.items()]
    named += [(f"stages[{n}].share", share, "rate")  # the shares of payment it states
              for n, (share, _) in enumerate(article.stages, start=1)]  # fmt: skip
    for name, value, kind in named:
        if kind not in ("money", "rate"):
            continue  # a plain number (a count, a factor): the source may write it in words
        if any(v == value and k == kind for v, k, _ in stated):
            continue
        shown = money.format_rate(value) if kind == "rate" else _money(value)
        there = t(", ").join(dict.fromkeys(w for _, k, w in stated if k == kind)) or t("none")
        where = f"{article.id}.{name}"
        if kind == "rate":
            yield t("{where}: {value} does not appear in the source quote (its rates: {there}): "
                    "“{quote}”", where=where, value=shown, there=there,
                    quote=_short(article.source))  # fmt: skip
        else:
            yield t("{where}: {value} does not appear in the source quote (its money figures: "
                    "{there}): “{quote}”", where=where, value=shown, there=there,
                    quote=_short(article.source))  # fmt: skip


def unpaid_schedule(article: Article) -> Iterator[str]:
    """A schedule that shows how a total is paid out over the years (no `year` chooses its row)
    must add up to that total: 5万 + 3万 + 2万 = 10万 (第14条)."""
    if article.year or not article.schedule or article.amount is None:
        return
    total = article.amount({})
    rows = [row.amount({}) for row in article.schedule if row.amount is not None]
    if not all(isinstance(v, Decimal) for v in [total, *rows]):
        return  # amounts that depend on the profile: nothing to add up here
    if sum(rows) != total:
        yield t("{article}.schedule: the years pay {rows} in all, but the amount is {total}",
                article=article.id, rows=_money(sum(rows)), total=_money(total))  # fmt: skip


def not_verbatim(quote: str, source: str) -> str | None:
    """Why `quote` is not in `source` (line breaks and spaces aside), or None when it is."""
    squashed_quote, squashed_source = _squash(quote), _squash(source)
    if squashed_quote in squashed_source:
        return None
    # The longest start of the quote that the source has: where the two part ways.
    low, high = 0, len(squashed_quote)
    while low < high:
        mid = (low + high + 1) // 2
        if squashed_quote[:mid] in squashed_source:
            low = mid
        else:
            high = mid - 1
    if low == 0:
        return t("the source has no “{quote}…”", quote=squashed_quote[:12])
    start = squashed_source.index(squashed_quote[:low]) + low
    return t("after “…{same}” the quote has “{quoted}…” where the source has “{found}…”",
             same=squashed_quote[max(0, low - 12) : low], quoted=squashed_quote[low : low + 12],
             found=squashed_source[start : start + 12])  # fmt: skip


def uncovered_source(policy: Policy) -> list[str]:
    """Paragraphs of the shipped source text that no article, section title or preamble quotes."""
    text = _source_text(policy)
    if text is None:
        return []
    quoted = [a.source for a in policy.articles]
    quoted += [title["zh"] for title in policy.sections.values()]
    if policy.meta.preamble:
        quoted.append(policy.meta.preamble)
    # The head of the text (issuer, title, date) and the clause numbers (第4条) are quoted by
    # the [policy] table and the articles' `clause`.
    meta = policy.meta
    quoted += [meta.title["zh"], *(meta.issuer["zh"] for _ in [1] if meta.issuer)]
    quoted += [a.clause for a in policy.articles if a.clause]
    if meta.issue_date:
        day = meta.issue_date
        quoted.append(f"{day.year}年{day.month}月{day.day}日")
    rest = _squash(text)
    for piece in sorted((_squash(q) for q in quoted), key=len, reverse=True):
        rest = rest.replace(piece, "\n")
    leftovers = [part for part in rest.split("\n") if any(ch.isalnum() for ch in part)]
    return leftovers


def _line_in(text: str, squashed: str) -> int:
    """The line of `text` where `squashed` (a piece of it without whitespace) begins."""
    positions = [i for i, ch in enumerate(text) if not ch.isspace()]
    start = "".join(text[i] for i in positions).find(squashed)
    return text[: positions[start]].count("\n") + 1 if start >= 0 else 1


def _squash(text: str) -> str:
    return "".join(text.split())


def _short(text: str, size: int = 200) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _money(value: Decimal) -> str:
    """Money as a policy writes it: 50万, 1.2亿, 5000元."""
    if value >= 100_000_000 and value % 1_000_000 == 0:
        return f"{_plain(value / 100_000_000)}亿"
    if value >= 10_000 and value % 100 == 0:
        return f"{_plain(value / 10_000)}万"
    return f"{_plain(value)}元"


def _plain(number: Decimal) -> str:
    return f"{number.normalize():f}"
