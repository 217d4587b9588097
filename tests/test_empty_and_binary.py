"""An empty input file is said to be empty, and a file that is not text (an image, an archive,
a program) is one error with exit status 2, whatever it is named: .json, .jsonl, .csv or .xlsx;
never JSON's "Expecting value", nor one error per "line" of the bytes (issue 24, point 12)."""

from __future__ import annotations

import io
import struct
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from tests.conftest import Run


def png() -> bytes:
    """A real PNG image: 20×10 pixels, RGB."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes((x * 12, y * 25, 128)) * 1 for y in range(10) for x in
                    range(20))  # fmt: skip
    header = struct.pack(">IIBBBBB", 20, 10, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))  # fmt: skip


def archive() -> bytes:
    """A real ZIP archive holding a text file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as folder:
        folder.writestr("notes.txt", "申报资料\n" * 200)
    return buffer.getvalue()


def program() -> bytes:
    """The bytes of a real program: the Python interpreter running the tests."""
    return Path(sys.executable).resolve().read_bytes()[:200_000]


BINARIES = {"png": png, "zip": archive, "program": program}
EMPTY = {"en": "is empty", "zh": "是空文件"}


def one_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("content", ["", " \n\t\n"], ids=["0 bytes", "blank"])
def test_calc_with_an_empty_profile_says_it_is_empty(
    run: Run, tmp_path: Path, lang: str, content: str
) -> None:
    path = tmp_path / "acme.json"
    path.write_text(content, encoding="utf-8")
    result = run("calc", str(path), "--lang", lang)
    assert result.exit_code == 2, result.output
    line = one_error(result.stderr)
    assert line.startswith(f"subsidy: {path}: {EMPTY[lang]}"), line
    assert "Expecting value" not in line and "此处应为一个值" not in line
    assert result.stdout == ""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_calc_with_nothing_on_stdin_says_it_is_empty(run: Run, lang: str) -> None:
    result = run("calc", "-", "--lang", lang, input="")
    assert result.exit_code == 2, result.output
    assert one_error(result.stderr).startswith(f"subsidy: <stdin>: {EMPTY[lang]}")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("command", ["batch", "summary"])
@pytest.mark.parametrize("suffix", ["jsonl", "csv", "xlsx"])
def test_an_empty_population_file_is_one_clear_message(
    run: Run, tmp_path: Path, lang: str, command: str, suffix: str
) -> None:
    path = tmp_path / f"clients.{suffix}"
    path.write_bytes(b"")
    result = run(command, str(path), "--lang", lang)
    assert result.exit_code == 2, result.output
    line = one_error(result.stderr)
    assert line.startswith(f"subsidy: {path}: {EMPTY[lang]}"), line
    assert "zip" not in line.lower()  # not "File is not a zip file", Python's words
    assert result.stdout == ""  # not even a CSV header


@pytest.mark.parametrize("kind", sorted(BINARIES))
@pytest.mark.parametrize("suffix", ["json", "jsonl", "csv", "xlsx"])
def test_a_binary_file_is_one_error_and_exit_2_whatever_its_name(
    run: Run, tmp_path: Path, kind: str, suffix: str
) -> None:
    path = tmp_path / f"clients.{suffix}"
    path.write_bytes(BINARIES[kind]())
    args = ("calc", str(path)) if suffix == "json" else ("batch", str(path))
    result = run(*args, "--lang", "en")
    assert result.exit_code == 2, result.output
    line = one_error(result.stderr)
    assert line.startswith(f"subsidy: {path}: "), line
    assert f"{path}:1" not in line and f"{path}:2" not in line  # the file, not a "line" of it
    assert result.stdout == ""


@pytest.mark.parametrize("kind", sorted(BINARIES))
def test_a_binary_jsonl_says_what_it_is_in_both_languages(
    run: Run, tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "clients.jsonl"
    path.write_bytes(BINARIES[kind]())
    for lang, words in (("en", ("binary", "ZIP")), ("zh", ("二进制", "ZIP"))):
        for command in ("batch", "summary"):
            result = run(command, str(path), "--lang", lang)
            assert result.exit_code == 2, result.output
            line = one_error(result.stderr)
            assert any(word in line for word in words), line


def test_binary_bytes_on_stdin_are_one_error(run: Run) -> None:
    result = run("batch", "-", "--lang", "en", input=png().decode("latin-1"))
    assert result.exit_code == 2, result.output
    assert one_error(result.stderr).startswith("subsidy: <stdin>: ")


def test_a_stray_bad_line_in_a_text_file_is_still_that_line_s_problem(
    run: Run, tmp_path: Path
) -> None:
    """Not every non-UTF-8 byte makes a file binary: one bad record among good ones is a bad
    record (exit 1), the others are read."""
    path = tmp_path / "clients.jsonl"
    good = b'{"name": "a", "annual_rd_expense": "1200\xe4\xb8\x87"}\n'
    path.write_bytes(good * 3 + b'{"name": "\xff"}\n' + good * 3)
    result = run("batch", str(path), "--lang", "en")
    assert result.exit_code == 1, result.output
    assert f"{path}:4: is not UTF-8 text" in result.stderr
    assert len(result.stdout.splitlines()) == 6


def test_an_xlsx_that_is_not_a_zip_says_so_in_chinese(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "clients.xlsx"
    path.write_bytes(png())
    result = run("batch", str(path), "--lang", "zh")
    assert result.exit_code == 2, result.output
    line = one_error(result.stderr)
    assert "不是 ZIP 格式" in line and "File is not a zip file" not in line
