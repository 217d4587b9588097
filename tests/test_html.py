"""`calc --format html`: one self-contained, escaped, printable report, read with an HTML parser."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from subsidycli import explain, i18n
from subsidycli.engine import ELIGIBLE, NEEDS_INFO, evaluate
from subsidycli.policy import Policy
from subsidycli.profile import parse_profile
from subsidycli.render.table import amount_text as _amount_text
from tests.conftest import ROOT, Run
from tests.htmltree import Element, parse

EXAMPLE = ROOT / "examples" / "enterprise.json"
HOSTILE = "<script>alert(\"x\")</script> & <b>Co</b> 'Ltd'"


def report(run: Run, *args: str, input: str | None = None) -> tuple[Element, str]:
    result = run("calc", *args, "--format", "html", input=input)
    assert result.exit_code == 0, result.output
    root, doctype = parse(result.stdout)
    assert doctype is not None and doctype.lower() == "doctype html"
    return root, result.stdout


def example(policy: Policy, lang: str, **extra: Any) -> Any:
    """The example evaluated as for the report: explanations in the view's unit."""
    data = json.loads(EXAMPLE.read_text(encoding="utf-8")) | extra
    with i18n.using(lang), explain.for_people():
        return evaluate(policy, parse_profile(data, policy, "example"))


def amount_text(amount: Any, lang: str) -> str:
    """An amount as the report shows it in `lang`."""
    with i18n.using(lang):
        return _amount_text(amount)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_example_report_shows_every_article_amount_chart_and_total(
    run: Run, policy: Policy, lang: str
) -> None:
    root, _ = report(run, str(EXAMPLE), "--lang", lang)
    evaluation = example(policy, lang)
    assert root.find("html").attrs["lang"] == ("zh-CN" if lang == "zh" else "en")
    assert root.find(cls="org").text() == "镇江示例智能装备有限公司"
    assert root.by_id("total").text() == amount_text(evaluation.total, lang)

    rows = list(root.iter("tbody", "article"))
    # Cash articles in the policy's order, then the tax benefits in a table of their own.
    cash = [a.id for a in policy.articles if a.basis != "tax_deduction"]
    tax = [a.id for a in policy.articles if a.basis == "tax_deduction"]
    assert [r.attrs["id"] for r in rows] == [f"article-{a}" for a in cash + tax]
    eligible = [r for r in evaluation.results if r.status == ELIGIBLE and r.amount is not None]
    assert len(eligible) == 8
    for result in evaluation.results:
        row = root.by_id(f"article-{result.article}")
        assert f"status-{result.status}" in row.classes
        assert row.find("td", "explanation").text() == " ".join(result.explanation.split())
        article = policy.article(result.article)
        assert article is not None
        assert article.source in row.find("tr", "source").text()
        if result in eligible:
            assert row.find("td", "amount").text().startswith(amount_text(result.amount, lang))

    bars = list(root.find("svg", "chart").iter("g", "bar"))
    shown = {b.find("text").text(): b.find("text", "amount").text() for b in bars}
    expected = {
        policy.article(r.article).title[lang]: amount_text(r.amount, lang)  # type: ignore[union-attr]
        for r in eligible
        if r.basis != "tax_deduction"  # the chart is cash only
    }
    assert len(shown) == len(expected)
    for title, amount in expected.items():
        assert shown[title].startswith(amount)
    # Largest first, and each bar as long as its share of the largest.
    widths = [float(b.iter("rect").__next__().attrs["width"]) for b in bars]  # the track: full
    assert len(set(widths)) == 1
    fills = [float(list(b.iter("rect"))[1].attrs["width"]) for b in bars]
    assert fills == sorted(fills, reverse=True) and fills[0] == widths[0]


def test_tax_benefit_stands_apart_from_the_cash_total(run: Run, policy: Policy) -> None:
    root, _ = report(run, str(EXAMPLE), "--lang", "en")
    tax = root.find("div", "tax").text()
    assert "800,000.00" in tax and "120,000.00" in tax  # deduction 80万, saving × 15%
    assert root.by_id("total").text() == "3,785,000.00"  # without the deduction
    # Not in the cash chart: in a table of its own, with its own headings.
    chart = root.find("svg", "chart").text()
    assert "800,000.00" not in chart and "basic-research" not in chart
    own = root.find("table", "tax")
    assert "Extra deduction (CNY)" in own.find("thead").text()
    assert own.by_id("article-basic-research-tax-deduction") is not None


def test_a_hostile_name_is_shown_as_text(run: Run) -> None:
    root, text = report(run, str(EXAMPLE), "--set", f"name={HOSTILE}")
    assert root.find(cls="org").text() == " ".join(HOSTILE.split())
    assert HOSTILE in root.find("title").text()
    assert not list(root.iter("script")) and not list(root.find(cls="org").iter("b"))
    assert "&lt;script&gt;" in text


def test_report_needs_nothing_from_the_network(run: Run) -> None:
    root, text = report(run, str(EXAMPLE))
    assert not list(root.iter("script")) and not list(root.iter("link"))
    assert not list(root.iter("img")) and not list(root.iter("iframe"))
    styles = list(root.iter("style"))
    assert len(styles) == 1
    css = styles[0].text()
    assert "@import" not in css and "url(" not in css and "@font-face" not in css
    for element in root.iter():
        for name, value in element.attrs.items():
            if name in ("src", "href", "action", "srcset"):
                assert not re.match(r"(https?:)?//", value), (element.tag, name, value)
    assert not re.findall(r"url\(([^)]*)\)", text)  # nothing is fetched, not even a pattern


def test_every_colour_is_a_grey_so_black_and_white_print_loses_nothing(run: Run) -> None:
    _, text = report(run, str(EXAMPLE))
    colours = re.findall(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b", text)
    assert len(colours) > 10
    for colour in colours:
        channels = [colour[i : i + 2] for i in (0, 2, 4)] if len(colour) == 6 else list(colour)
        assert len(set(channels)) == 1, colour
    assert not re.search(r"rgba?\(|hsla?\(|color:\s*[a-z]", text)


def test_printable_on_a4_with_page_breaks(run: Run) -> None:
    root, _ = report(run, str(EXAMPLE))
    css = root.find("style").text()
    assert "@page { size: A4;" in css
    assert "break-before: page" in css
    assert "table-layout: fixed" in css
    sections = [s.attrs["id"] for s in root.iter("section")]
    assert sections == ["summary", "articles", "questions"]


def test_empty_profile_gives_a_page_that_says_what_to_answer(run: Run, policy: Policy) -> None:
    root, _ = report(run, "-", "--lang", "en", input="{}")
    evaluation = evaluate(policy, {})
    assert root.find(cls="org").text() == "(organisation not named)"
    assert root.by_id("total").text() == "0.00"
    needs = sum(r.status == NEEDS_INFO for r in evaluation.results)
    assert root.find("p", "alert").text() == (
        f"Nothing can be computed yet: {needs} articles need information. "
        "Answer the open questions first."
    )
    assert not list(root.iter("svg", "chart"))
    assert root.find("figure").find("p").text() == "No cash support has an eligible amount yet."
    questions = list(root.find("ol", "questions").iter("li"))
    assert [q.attrs["id"] for q in questions] == [f"field-{n}" for n in evaluation.missing]
    first = questions[0].text()
    assert policy.inputs[evaluation.missing[0]].label["en"] in first and "Settles" in first
    assert len(list(root.iter("tbody", "article"))) == len(policy.articles)


def test_every_field_unknown_is_the_same_page_as_empty(run: Run, tmp_path: Path) -> None:
    template = tmp_path / "blank.toml"
    assert run("init", str(template)).exit_code == 0
    blank, _ = report(run, str(template), "--lang", "zh")
    empty, _ = report(run, "-", "--lang", "zh", input="{}")
    assert blank.find("p", "alert").text() == empty.find("p", "alert").text()
    assert blank.find("p", "alert").text().startswith("目前还不能算出任何金额")
    assert blank.find("ol", "questions").text() == empty.find("ol", "questions").text()


def test_gaps_in_words_and_numbers(run: Run) -> None:
    root, _ = report(run, "--set", "annual_rd_expense=800万", "--lang", "zh")
    cells = [c.text() for c in root.find("table", "gaps").find("tbody").iter("td")]
    assert cells[:4] == ["研发投入补助", "800.00 万元", "≥ 1,000.00 万元", "200.00 万元"]
    assert cells[4] == "年度研发费用 800.00 万元，距 1000 万元（含）门槛还差 200.00 万元"
    # Other articles still need answers: the total says it covers the known ones only.
    assert root.by_id("known-only").text().startswith("（仅含金额已知的条款；另有")


def test_complete_profile_says_nothing_is_missing(run: Run) -> None:
    root, text = report(run, str(EXAMPLE), "--lang", "en")
    assert not list(root.iter("ol", "questions"))
    assert "nothing else to answer" in root.by_id("questions").text()
    assert not list(root.iter("p", "alert"))
    assert "known-only" not in text


def test_receipt_names_version_policy_hash_and_date(run: Run, policy: Policy) -> None:
    root, _ = report(run, str(EXAMPLE), "--override", "gazelle.max=30万")
    meta = root.find("dl", "meta")
    pairs = dict(zip(
        (d.text() for d in meta.iter("dt")), (d.text() for d in meta.iter("dd")), strict=True
    ))  # fmt: skip
    assert pairs["Policy SHA-256"] == policy.sha256
    assert pairs["Tool"].startswith("subsidycli ")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", pairs["Evaluated on"])
    assert pairs["What-if changes (--override)"] == "gazelle.max=30万"
    # The profile's digest, as the JSON receipt gives it: two estimates can be told apart.
    data = json.loads(run("calc", str(EXAMPLE), "--format", "json").stdout)
    assert pairs["Profile digest"] == data["receipt"]["profile_sha256"]
    assert re.fullmatch(r"[0-9a-f]{64}", pairs["Profile digest"])


def _kind(text: str) -> str:
    if text.startswith("<!DOCTYPE html>"):
        return "html"
    if text.startswith("{") and "results" in json.loads(text):
        return "json"
    if text.startswith("## "):
        return "markdown"
    return "table" if "━" in text else "unknown"


@pytest.mark.parametrize(
    ("name", "extra", "kind"),
    [
        ("report.html", [], "html"),
        ("report.HTM", [], "html"),
        ("report.json", [], "json"),
        ("report.md", [], "markdown"),
        ("report.txt", [], "table"),
        ("report.html", ["--format", "json"], "json"),  # an explicit format wins
    ],
)
def test_output_suffix_picks_the_format(
    run: Run, tmp_path: Path, name: str, extra: list[str], kind: str
) -> None:
    target = tmp_path / name
    result = run("calc", str(EXAMPLE), "-o", str(target), *extra)
    assert result.exit_code == 0, result.output
    assert _kind(target.read_text(encoding="utf-8")) == kind


def test_jinja2_is_imported_only_for_html() -> None:
    code = (
        "import sys\n"
        "from subsidycli.cli import app\n"
        "fmt = sys.argv[1]\n"
        "try:\n"
        "    app(['calc', sys.argv[2], '--format', fmt], standalone_mode=False)\n"
        "finally:\n"
        "    print('\\nJINJA', 'jinja2' in sys.modules, file=sys.stderr)\n"
    )
    seen = {}
    for fmt in ("json", "table", "html"):
        done = subprocess.run(
            [sys.executable, "-c", code, fmt, str(EXAMPLE)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        seen[fmt] = done.stderr.strip().splitlines()[-1]
    assert seen == {"json": "JINJA False", "table": "JINJA False", "html": "JINJA True"}


def test_chart_labels_are_cut_to_fit_beside_their_amount() -> None:
    from subsidycli.render.html import _label
    from subsidycli.text import ems

    assert _label("研发投入补助", 20) == "研发投入补助"
    long = "企业基础研究、技术攻关和成果转化项目支持" * 3
    cut = _label(long, 30)
    assert cut.endswith("…") and long.startswith(cut[:-1]) and ems(cut) <= 30
    assert ems("200.00 万元") == pytest.approx(7 * 0.6 + 2)  # 万 and 元: one em each


def test_eligible_without_a_stated_amount_is_named_under_the_chart(
    run: Run, policy: Policy
) -> None:
    root, _ = report(
        run, "--set", "high_tech_application=是", "--set", "commissioned_basic_research_expense=1",
        "--lang", "zh",
    )  # fmt: skip
    title = policy.article("high-tech-application").title["zh"]  # type: ignore[union-attr]
    assert root.by_id("unstated").text() == f"另可申报、原文未明确金额：{title}"
    # Only a tax benefit has an amount: no cash chart, the deduction in its own table.
    assert not list(root.iter("svg", "chart"))
    assert root.find("figure").find("p").text() == "暂无可申报金额的现金支持条款。"
    assert root.by_id("tax-benefits").text() == "税收优惠（不计入现金合计）"


def test_assume_no_names_what_it_assumed_instead_of_calling_the_profile_complete(
    run: Run, policy: Policy
) -> None:
    root, _ = report(run, "--set", "gazelle_first=是", "--assume-no", "--lang", "en")
    assert not list(root.iter("ol", "questions"))
    assumed = root.by_id("assumed").text()
    assert assumed.startswith("Not answered, taken as 0 / no (--assume-no)")
    assert policy.inputs["annual_rd_expense"].label["en"] in assumed
    assert "nothing else to answer" not in root.by_id("questions").text()


def test_a_report_of_two_policies_heads_each_with_its_title(run: Run, tmp_path: Path) -> None:
    """--policy twice: each policy's sections come under its title, numbered as in its own file
    (not combine's internal "policy-id/1.1")."""
    bundled = (ROOT / "policies" / "zhenjiang-2024.toml").read_text(encoding="utf-8")
    other = tmp_path / "draft.toml"
    other.write_text(
        bundled.replace('id = "zhenjiang-2024"', 'id = "draft-2026"', 1)
        .replace('title = { zh = "', 'title = { zh = "草案：', 1)
        .replace('source_file = "zhenjiang-2024.source.zh.txt"\n', ""),
        encoding="utf-8",
    )  # fmt: skip
    root, _ = report(run, str(EXAMPLE), "--policy", "zhenjiang-2024", "--policy", str(other),
                     "--lang", "zh")  # fmt: skip
    titles = [th.text().strip() for th in root.iter("tr", cls="policy")]
    assert titles == [
        "关于进一步深化科技体制改革加快培育新质生产力的若干政策措施",
        "草案：关于进一步深化科技体制改革加快培育新质生产力的若干政策措施",
    ]
    headings = [th.text().strip() for th in root.iter("tr", cls="section")]
    assert headings and not any("/" in h.split()[0] for h in headings), headings
    assert len(headings) == 2 * len(set(headings))  # each section once per policy


@pytest.mark.parametrize(
    ("lang", "waiting", "none"), [("en", "Waiting for information", "No tax benefit"),
                                  ("zh", "等待补充信息", "无可享受的税收优惠")],
)  # fmt: skip
def test_a_tax_article_that_needs_answers_is_waiting_not_none(
    run: Run, lang: str, waiting: str, none: str
) -> None:
    # The deduction needs the commissioned expense: unknown, never "no tax benefit".
    root, _ = report(
        run, "--set", "annual_rd_expense=800万", "--set", "deductible_rd_expense=700万",
        "--lang", lang,
    )  # fmt: skip
    tax = root.find("div", "tax").text()
    assert waiting in tax and none not in tax, tax
    with i18n.using(lang):
        title = "委托基础研究加计扣除" if lang == "zh" else "Super deduction for commissioned basic"
    assert title in root.by_id("tax-waiting").text()


def test_no_tax_benefit_only_when_the_tax_article_is_settled(run: Run) -> None:
    root, _ = report(run, "--set", "commissioned_basic_research_expense=0", "--lang", "en")
    tax = root.find("div", "tax").text()
    assert "No tax benefit applies." in tax and "Waiting" not in tax, tax
