"""The printed report's open questions keep their numbers whole (issue 24, point 8).

Headless Chromium prints a report with more than a dozen open questions to an A4 PDF, as a
person would print it; the numbers hang left of each question, and from 10 up they used to
reach past the page's margin, where printing cut their first digit ("0." for 10.). Each number
must be laid out inside the margin (pdftotext's word boxes) and drawn there whole (the page
rendered to an image by pdftoppm: ink starts where the number starts, not at the margin's cut).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Run
from tests.htmltree import parse
from tests.test_html_browser import BROWSER, PAGE_MARGIN_X, _has_cjk_font, chromium, png_pixels

PDFTOTEXT, PDFTOPPM = shutil.which("pdftotext"), shutil.which("pdftoppm")
pytestmark = pytest.mark.skipif(
    BROWSER is None or PDFTOTEXT is None or PDFTOPPM is None,
    reason="needs Chromium and poppler-utils (pdftotext, pdftoppm) to print the report and look "
    "at its pages (Debian: apt-get install chromium poppler-utils; .ci/run installs them)",
)
DPI = 144
WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(\d+)\.</word>'
)


def printed(run: Run, tmp_path: Path, lang: str) -> tuple[Path, int]:
    """The report of a profile with only a name and a type (most fields open), printed."""
    result = run(
        "calc", "--set", "name=镇江问题示例有限公司", "--set", "applicant_type=enterprise",
        "--lang", lang, "--format", "html",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    root, _ = parse(result.stdout)
    asked = len(list(root.find("ol", "questions").iter("li")))
    assert asked >= 12, asked  # numbers of two digits to print
    page = tmp_path / f"report-{lang}.html"
    page.write_text(result.stdout, encoding="utf-8")
    pdf = tmp_path / f"report-{lang}.pdf"
    chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    return pdf, asked


def list_numbers(pdf: Path, tmp_path: Path) -> dict[int, list[tuple[int, float, float, float]]]:
    """Each page's words "N." near the left edge: (N, left, top, bottom) in points."""
    boxes = tmp_path / "words.html"
    subprocess.run([PDFTOTEXT, "-bbox", str(pdf), str(boxes)], check=True, capture_output=True)
    pages = boxes.read_text(encoding="utf-8").split("<page ")[1:]
    found: dict[int, list[tuple[int, float, float, float]]] = {}
    for number, page in enumerate(pages, start=1):
        for match in WORD.finditer(page):
            left, top, _, bottom = (float(v) for v in match.groups()[:4])
            if left < 120:  # a list number, at the left; not a number inside a sentence
                found.setdefault(number, []).append((int(match.group(5)), left, top, bottom))
    return found


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_question_numbers_print_whole_inside_the_margin(
    run: Run, tmp_path: Path, lang: str
) -> None:
    if lang == "zh" and not _has_cjk_font():
        pytest.skip("no Chinese font installed (fonts-noto-cjk): the Chinese page is not drawn")
    pdf, asked = printed(run, tmp_path, lang)
    layout = subprocess.run(
        [PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    starts = [int(m) for m in re.findall(r"^\s*(\d+)\. ", layout, re.MULTILINE)]
    assert [n for n in starts if n <= asked][-asked:] == list(range(1, asked + 1)), starts

    numbers = list_numbers(pdf, tmp_path)
    seen = sorted(n for words in numbers.values() for n, *_ in words)
    assert set(range(1, asked + 1)) <= set(seen), seen
    scale = DPI / 72
    for page, words in numbers.items():
        image = tmp_path / f"page-{page}"
        subprocess.run(
            [PDFTOPPM, "-png", "-r", str(DPI), "-f", str(page), "-l", str(page), "-singlefile",
             str(pdf), str(image)], check=True, capture_output=True,
        )  # fmt: skip
        width, _, rows = png_pixels(image.with_suffix(".png"))
        step = len(rows[0]) // width
        for number, left, top, bottom in words:
            # Laid out inside the margin (printing clips whatever is outside it)...
            assert left >= PAGE_MARGIN_X - 0.5, (number, page, left, PAGE_MARGIN_X)
            if number < 10:
                continue
            # ...and drawn whole: the first digit's ink begins where the number begins, not
            # at a cut. Rows of the middle of the line; columns up to the number's first half.
            quarter = (bottom - top) / 4
            band = range(int((top + quarter) * scale), int((bottom - quarter) * scale))
            ink = [
                x for y in band for x in range(0, int((left + 6) * scale))
                if sum(rows[y][x * step : x * step + 3]) < 3 * 128
            ]  # fmt: skip
            assert ink, (number, page, "no ink where the number is")
            drawn_from = min(ink) / scale
            assert drawn_from >= PAGE_MARGIN_X - 0.5, (number, page, drawn_from)
            assert drawn_from - left <= 1.6, (number, page, left, drawn_from)
