"""Rules of the core that issue 24's and issue 23's changes added, stated where the end-to-end
tests left them unsaid (found by mutation testing, docs/mutation.md): how a file that is not text
is told from a text file with a bad line, the messages for a name of several articles or of none,
what a profile that is a bare JSON value is called, how explanations write amounts not yet
rounded to the fen, how a sweep is read and its point for an article no tally counts, an
--override by a title of two articles.
"""

from __future__ import annotations

import io
import os
from decimal import Decimal
from pathlib import Path

import pytest

from subsidycli import explain, files, i18n, profile
from subsidycli import sweep as sweeps
from subsidycli.errors import ProfileError, SubsidyError
from subsidycli.policy import Policy, load_policy, overrides
from subsidycli.policy.names import article_names, near_articles, several
from subsidycli.summary import Population, Tally
from tests.conftest import ROOT

# --- Text or not (files.not_text) --------------------------------------------------------------


def test_a_zip_archive_is_no_text() -> None:
    zip_head = b"PK\x03\x04\x14\x00"  # how an .xlsx workbook begins
    assert files.not_text(zip_head) == "is a ZIP archive (an .xlsx workbook?), not text"


@pytest.mark.parametrize(
    ("head", "offset"),
    [
        (b"\xff\xfe", 0),  # one line, no newline: still judged
        (b"a\n\xff\n", 2),  # half the lines bad, the last one ending in \n: judged
        (b"a\r\xff\r", 2),  # old Mac line ends: the last line is whole too
    ],
)
def test_a_file_of_bad_lines_names_the_first_bad_byte(head: bytes, offset: int) -> None:
    assert files.not_text(head) == f"is not UTF-8 text (bad byte at offset {offset})"


def test_a_last_line_cut_off_by_the_head_is_not_judged() -> None:
    assert files.not_text(b"ok\nok\n\xff") is None


# --- A name of several articles, or of none (policy/names.py) ----------------------------------

TITLES = {f"g{i}": {"zh": f"研发补助{i}号", "en": f"Grant number {i}"} for i in range(10)}


def test_a_name_of_several_articles_lists_each_with_its_chinese_title() -> None:
    titles = {"a-grant": {"zh": "甲补助", "en": "A"}, "b-grant": {"zh": "乙补助", "en": "B"}}
    assert several("补助", ["a-grant", "b-grant"], titles) == (
        "'补助' names several articles: a-grant (甲补助), b-grant (乙补助)"
    )


def test_a_part_of_several_titles_lists_at_most_eight() -> None:
    hint = near_articles("研发补助", article_names(TITLES.items()), TITLES)
    listed = ", ".join(f"g{i} (研发补助{i}号)" for i in range(8))
    assert hint == f"it is part of several titles: {listed}"


def test_a_name_near_several_titles_suggests_three_ids() -> None:
    hint = near_articles("Grant numbr 1", article_names(TITLES.items()), TITLES)
    assert hint == "did you mean g1, g9, g8?"  # the nearest titles' ids, nearest first


# --- A profile that is a bare JSON value (profile.loads_json) ----------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [("5", "数字"), ("2.5", "数字"), ("1e400", "数字"), ("true", "“true”或“false”"),
     ("[1]", "一个列表")],
)
def test_a_bare_json_value_is_no_profile_in_chinese(text: str, kind: str) -> None:
    with i18n.using("zh"), pytest.raises(ProfileError) as info:
        profile.loads_json(text, "p.json")
    assert info.value.lines() == [f"p.json: 申报资料应为 JSON 对象 {{...}}，而不是{kind}"]


# --- Amounts in explanations (explain.show_exact) ----------------------------------------------


def test_an_amount_finer_than_the_fen_is_bare_in_the_data() -> None:
    with i18n.using("zh"):
        assert explain.show_exact(Decimal("1234.005")) == "1,234.005"
        with explain.for_people():
            assert explain.show_exact(Decimal("1234.005")) == "1,234.005 元"
    assert explain.show_exact(Decimal("1234.005")) == "1,234.005"


def test_an_amount_finer_than_the_fen_shows_at_most_eight_decimals() -> None:
    assert explain.show_exact(Decimal("0.123456789")) == "0.12345679"


# --- A sweep's point when its article is not tallied (sweep.curve) -----------------------------


def test_a_point_whose_article_is_not_tallied_counts_nothing_for_it(policy: Policy) -> None:
    # An info article (a clause on payment in stages, say) is in no tally: its point says none
    # eligible, none needing information and no amount, beside the policy's total.
    swept = sweeps.plan(policy, sweeps.EXAMPLE)
    empty = Tally(policy, (), Decimal(7))
    population = Population(1, 0, (empty, *(empty for _ in swept.values)))
    points = sweeps.curve(swept, population, what_if=False).points
    assert [(p.eligible, p.needs_info, p.amount, p.total) for p in points] == [
        (0, 0, None, Decimal(7))
    ] * len(swept.values)


# --- Reading a sweep (sweep.plan) --------------------------------------------------------------


def test_an_amount_that_reads_fields_is_swept_from_no_current_value(policy: Policy) -> None:
    swept = sweeps.plan(policy, "rd-investment-subsidy.amount=10万,20万")
    assert (swept.kind, swept.current) == ("money", None)
    assert swept.values == (Decimal(100_000), Decimal(200_000))


def test_a_sweep_of_no_article_names_the_option(policy: Policy) -> None:
    with pytest.raises(SubsidyError) as info:
        sweeps.plan(policy, "no-such-grant.max=1")
    assert info.value.message == (
        "--sweep no-such-grant.max: no article 'no-such-grant' "
        "(see `subsidy articles` for the ids and titles)"
    )


# --- The first bytes of a stream (files.peek) --------------------------------------------------


def test_peek_gives_at_most_the_size_asked_and_leaves_them_to_read() -> None:
    stream = io.BytesIO(b"abcdef")
    assert files.peek(stream, 3) == b"abc"
    assert stream.read() == b"abcdef"


# --- An --override by a title of two articles (policy.overrides.by_id) -------------------------


def test_an_override_by_a_title_of_two_articles_quotes_the_title(tmp_path: Path) -> None:
    text = (ROOT / "policies" / "zhenjiang-2024.toml").read_text(encoding="utf-8")
    old = 'title = { zh = "企业基础研究、技术攻关和成果转化项目支持"'
    assert text.count(old) == 1
    (tmp_path / "twin.toml").write_text(text.replace(old, 'title = { zh = "研发投入补助"'), "utf-8")
    twin = load_policy(tmp_path / "twin.toml")
    written, problems = overrides.by_id([twin], {"研发投入补助.max": "30万"})
    assert written == {"研发投入补助.max": "30万"}  # left as given: it names no one article
    assert problems == [
        "--override 研发投入补助.max: '研发投入补助' names several articles: "
        "rd-investment-subsidy (研发投入补助), enterprise-rd-project (研发投入补助)"
    ]


def test_peek_at_a_pipe_leaves_its_bytes_to_read() -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, b"abc\n")
    os.close(write_end)
    with open(read_end, "rb") as stream:
        assert not stream.seekable()
        assert files.peek(stream, 2) == b"ab"
        assert stream.read() == b"abc\n"


def test_peek_at_a_stream_that_can_neither_seek_nor_peek_is_none() -> None:
    class Once(io.RawIOBase):
        def readable(self) -> bool:
            return True

    assert files.peek(Once()) is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff\xfe{\x00}\x00", "is UTF-16; save it as UTF-8"),
        (b"PK\x03\x04\x14\x00", "is a ZIP archive (an .xlsx workbook?), not text"),
        (b"{}\x00", "is binary, not text"),  # UTF-8, but with a NUL byte
    ],
)
def test_a_file_that_is_no_text_is_one_problem_naming_the_file(raw: bytes, message: str) -> None:
    with pytest.raises(ProfileError) as info:
        files.decode(raw, "p.json")
    assert info.value.lines() == [f"p.json: {message}"]


# --- --override keys that change nothing (policy.overrides.unmatched_overrides) ----------------


def test_every_override_of_no_article_is_named_after_one_of_an_article(policy: Policy) -> None:
    # The first key names an article (its bad value is the article's compile step's problem);
    # the next still names none. The article is all before the last dot, as by_id reads it.
    keys = {"rd-investment-subsidy.nope": "1", "no.such.max": "1"}
    assert overrides.unmatched_overrides([policy], keys) == [
        "--override no.such.max: no article 'no.such' (see `subsidy articles` for the ids and "
        "titles)"
    ]
