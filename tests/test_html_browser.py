"""The HTML report in a real browser: headless Chromium draws it, screenshots it, prints it to PDF.

Chromium comes from the OS (Debian's `chromium`; `.ci/run` installs it when it can); without it
these tests skip, saying so. pdftotext (poppler-utils) adds checks of the printed text and of the
words' positions on the page when it is there.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from subsidycli import i18n
from subsidycli.engine import ELIGIBLE, Evaluation
from subsidycli.policy import Policy
from subsidycli.render.html import to_html
from tests.htmltree import parse
from tests.test_html import amount_text, example

BROWSER = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
pytestmark = pytest.mark.skipif(
    BROWSER is None,
    reason="Chromium is not installed (Debian: apt-get install chromium), so the HTML report is "
    "not checked in a real browser",
)
PDFTOTEXT = shutil.which("pdftotext")
A4_POINTS = (595.28, 841.89)
PAGE_MARGIN_X = 13 / 25.4 * 72  # the report's @page side margin, 13 mm, in points


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium once, isolated: its own profile, no network chatter, no sandbox
    (tests run as root in CI containers)."""
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    assert BROWSER is not None
    command = [
        BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-extensions", f"--user-data-dir={profile}", *args,
    ]  # fmt: skip
    # The timeout only keeps a hung browser from hanging the suite; a run takes seconds.
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of RGB(A) bytes of an 8-bit, non-interlaced PNG (what Chromium
    writes), decoded with the standard library."""
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n"), "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and color in (2, 6) and interlace == 0, (depth, color, interlace)
    step = 4 if color == 6 else 3
    raw, stride = zlib.decompress(idat), width * step
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for x in range(stride):
            left = line[x - step] if x >= step else 0
            up, corner = previous[x], previous[x - step] if x >= step else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[x] = (line[x] + pred) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, rows


def dark_share(rows: list[bytes], step: int) -> float:
    """The share of pixels that are clearly not paper white (text, rules, bars)."""
    dark = total = 0
    for row in rows:
        for x in range(0, len(row), step):
            total += 1
            dark += sum(row[x : x + 3]) < 3 * 160
    return dark / total


def eligible_amounts(evaluation: Evaluation, lang: str, cash_only: bool = False) -> list[str]:
    return [
        amount_text(r.amount, lang)
        for r in evaluation.results
        if r.status == ELIGIBLE and r.amount is not None
        and not (cash_only and r.basis == "tax_deduction")  # the chart is cash only
    ]


# A name with no place to break: the page must wrap it, not run off the paper.
LONG_NAME = "镇江" + "Ａ" * 30 + "x" * 120


@pytest.fixture
def write_report(tmp_path: Path, policy: Policy) -> Callable[[str], tuple[Path, Evaluation]]:
    def write(lang: str) -> tuple[Path, Evaluation]:
        evaluation = example(policy, lang, name=LONG_NAME if lang == "en" else "镇江示例")
        page = tmp_path / f"report-{lang}.html"
        with i18n.using(lang):
            page.write_text(to_html(evaluation, None), encoding="utf-8")
        return page, evaluation

    return write


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_screenshot_is_a_drawn_page_with_the_chart(
    tmp_path: Path, write_report: Callable[[str], tuple[Path, Evaluation]], lang: str
) -> None:
    page, _ = write_report(lang)
    shot = tmp_path / "shot.png"
    chromium(
        tmp_path, "--window-size=900,1400", "--hide-scrollbars", f"--screenshot={shot}",
        page.as_uri(),
    )  # fmt: skip
    width, height, rows = png_pixels(shot)
    assert (width, height) == (900, 1400)
    step = len(rows[0]) // width
    share = dark_share(rows, step)
    assert 0.03 < share < 0.5, share  # text, boxes and bars on white; neither blank nor black
    # The chart's bars are solid dark runs, wider than any glyph, in the upper part of the page.
    runs = 0
    for row in rows[: height * 3 // 4]:
        dark = "".join("#" if sum(row[x : x + 3]) < 200 else "." for x in range(0, len(row), step))
        runs += "#" * 150 in dark
    assert runs >= 10, runs


def test_dom_in_the_browser_keeps_every_amount(
    tmp_path: Path, write_report: Callable[[str], tuple[Path, Evaluation]]
) -> None:
    page, evaluation = write_report("zh")
    dom = chromium(tmp_path, "--dump-dom", page.as_uri()).stdout
    root, _ = parse(dom)
    text = root.find("body").text()
    assert root.by_id("total").text() == amount_text(evaluation.total, "zh")
    for amount in eligible_amounts(evaluation, "zh"):
        assert amount in text
    chart = root.find("svg", "chart").text()
    for amount in eligible_amounts(evaluation, "zh", cash_only=True):
        assert amount in chart
    assert not list(root.iter("script"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pdf_is_a4_with_every_amount_and_nothing_past_the_margin(
    tmp_path: Path, write_report: Callable[[str], tuple[Path, Evaluation]], lang: str
) -> None:
    page, evaluation = write_report(lang)
    pdf = tmp_path / "report.pdf"
    chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    boxes = {
        (float(w), float(h))
        for w, h in re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    }
    assert boxes, "no page size in the PDF"
    for w, h in boxes:  # Chromium rounds A4 to whole pixels: within 1 pt
        assert abs(w - A4_POINTS[0]) < 1 and abs(h - A4_POINTS[1]) < 1, (w, h)
    pages = len(boxes and re.findall(rb"/Type\s*/Page\b", data))
    assert pages >= 3  # summary, articles, questions each start a page

    if PDFTOTEXT is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: printed text not checked")
    if lang == "zh" and not _has_cjk_font():
        pytest.skip("no Chinese font installed (fonts-noto-cjk): Chinese PDF text not checked")
    # -raw: the order the page drew its text, a cell's lines together (an id wrapped at a
    # hyphen is not split by the next cell's line, as the reading order may do).
    printed = subprocess.run(
        [PDFTOTEXT, "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = "".join(printed.split())
    for amount in [*eligible_amounts(evaluation, lang), amount_text(evaluation.total, lang)]:
        assert "".join(amount.split()) in flat, amount
    # Every row printed with every word of its explanation (reading order mixes the cells of
    # a row, so words are looked up one by one). pdftotext joins a word hyphenated at a line
    # end: hyphens are left out on both sides.
    flat = flat.replace("-", "")
    for result in evaluation.results:
        assert result.article.replace("-", "") in flat, result.article
        for token in result.explanation.replace("-", "").split():
            assert token in flat, (result.article, token)

    # No word runs into the side margins: the table's columns fit the page.
    bbox = tmp_path / "words.html"
    subprocess.run([PDFTOTEXT, "-bbox", str(pdf), str(bbox)], check=True, capture_output=True)
    words = bbox.read_text(encoding="utf-8")
    left = [float(x) for x in re.findall(r'xMin="([\d.]+)"', words)]
    right = [float(x) for x in re.findall(r'xMax="([\d.]+)"', words)]
    assert len(right) > 500, "too few words found in the PDF"
    assert min(left) >= PAGE_MARGIN_X - 1, min(left)
    assert max(right) <= A4_POINTS[0] - PAGE_MARGIN_X + 1, max(right)


def _has_cjk_font() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    found = subprocess.run([fc_list, ":lang=zh"], capture_output=True, text=True).stdout
    return bool(found.strip())
