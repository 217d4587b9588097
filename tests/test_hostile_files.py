"""Hostile files and places (issue 25): outputs that name inputs, full disks, devices and FIFOs,
policy files that try to trust themselves or read elsewhere, workers and temporary files that
outlive a killed run, output names a command cannot write.

Each test runs the installed command (`subsidy_command`, the source under test) in a process of
its own, with a time limit, and a memory limit where the old behaviour was to read without end.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from subsidycli.policy import bundled_paths
from tests.conftest import cli_env, subsidy_command, wait_for

BUNDLED = bundled_paths()[0]
PROFILE = {"annual_rd_expense": "1200万", "deductible_rd_expense": "1000万", "name": "甲公司"}


def _limit_memory() -> None:  # what used to read /dev/zero without end fails fast, not the host
    resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))


def subsidy(
    *args: str, cwd: Path, stdin: int | None = subprocess.DEVNULL, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`subsidy ARGS` in a process of its own, in English, with a time and a memory limit."""
    full = cli_env({**os.environ, "LANG": "C.UTF-8", **(env or {})})
    return subprocess.run(
        subsidy_command(*args), cwd=cwd, env=full, stdin=stdin, capture_output=True, text=True,
        timeout=120, preexec_fn=_limit_memory,
    )  # fmt: skip


def refused(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def _records(n: int) -> str:
    return "".join(
        json.dumps({"name": f"c{i}", "annual_rd_expense": f"{1000 + i}万",
                    "deductible_rd_expense": f"{900 + i}万"}) + "\n"
        for i in range(n)
    )  # fmt: skip


# -- 6. `-o` naming an input -------------------------------------------------------------------


def _alias(kind: str, target: Path, link: Path) -> Path:
    if kind == "symlink":
        link.symlink_to(target.name)
    elif kind == "hard link":
        os.link(target, link)
    else:
        return target
    return link


@pytest.mark.parametrize("kind", ["same name", "symlink", "hard link"])
def test_calc_output_naming_its_profile_is_refused(tmp_path: Path, kind: str) -> None:
    profile = tmp_path / "p.json"
    original = json.dumps(PROFILE, ensure_ascii=False)
    profile.write_text(original, encoding="utf-8")
    output = _alias(kind, profile, tmp_path / "out.json")
    refused(subsidy("calc", "p.json", "-o", output.name, cwd=tmp_path), "is also an input")
    assert profile.read_text(encoding="utf-8") == original


@pytest.mark.parametrize("command", ["batch", "summary"])
@pytest.mark.parametrize("kind", ["same name", "symlink", "hard link"])
def test_batch_and_summary_output_naming_the_input_is_refused(
    tmp_path: Path, command: str, kind: str
) -> None:
    sheet = tmp_path / "c.csv"
    original = "name,annual_rd_expense\n甲,1200万\n"
    sheet.write_text(original, encoding="utf-8")
    output = _alias(kind, sheet, tmp_path / "out.csv")
    refused(subsidy(command, "c.csv", "-o", output.name, cwd=tmp_path), "is also an input")
    assert sheet.read_text(encoding="utf-8") == original


def test_output_naming_a_policy_in_use_is_refused(tmp_path: Path) -> None:
    policy = tmp_path / "p.toml"
    shutil.copy(BUNDLED, policy)
    shutil.copy(BUNDLED.parent / "zhenjiang-2024.source.zh.txt", tmp_path)
    before = policy.read_bytes()
    result = subsidy("calc", "--set", "annual_rd_expense=1200万", "--policy", "p.toml", "-f",
                     "csv", "-o", "p.toml", cwd=tmp_path)  # fmt: skip
    refused(result, "is also an input (p.toml)")
    assert policy.read_bytes() == before


def test_dash_output_is_stdout(tmp_path: Path) -> None:
    result = subsidy("calc", "--set", "annual_rd_expense=1200万", "-f", "json", "-o", "-",
                     cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["policy"]
    assert not (tmp_path / "-").exists()


# -- 19. a suffix the command cannot write ----------------------------------------------------


@pytest.mark.parametrize(
    ("args", "suffix", "offered"),
    [
        (("calc", "--set", "annual_rd_expense=1", "-o", "x.pdf"), ".pdf", ".html"),
        (("batch", "in.jsonl", "-o", "x.xls"), ".xls", ".xlsx"),
        (("batch", "in.jsonl", "-o", "b.html"), ".html", ".csv"),
        (("summary", "in.jsonl", "-o", "x.xlsx"), ".xlsx", ".md"),
    ],
)
def test_a_suffix_the_command_cannot_write_is_refused(
    tmp_path: Path, args: tuple[str, ...], suffix: str, offered: str
) -> None:
    (tmp_path / "in.jsonl").write_text(_records(2), encoding="utf-8")
    refused(subsidy(*args, cwd=tmp_path), f"cannot write a {suffix} file", offered)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


# -- 13. a full disk ---------------------------------------------------------------------------


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize(
    "args",
    [("calc", "-f", "json"), ("calc", "-f", "csv"), ("calc", "-f", "markdown"),
     ("batch", "in.jsonl"), ("batch", "in.jsonl", "-f", "csv")],
    ids=["calc-json", "calc-csv", "calc-md", "batch-jsonl", "batch-csv"],
)  # fmt: skip
def test_stdout_on_a_full_disk(tmp_path: Path, args: tuple[str, ...]) -> None:
    (tmp_path / "in.jsonl").write_text(_records(50), encoding="utf-8")
    with open("/dev/full", "wb") as full:
        result = subprocess.run(
            subsidy_command(*args, *(() if args[0] == "batch" else ("--set", "name=x"))),
            cwd=tmp_path, env=cli_env({**os.environ, "LANG": "C.UTF-8"}),
            stdin=subprocess.DEVNULL, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120,
        )  # fmt: skip
    refused(result, "cannot write: No space left on device")


@contextlib.contextmanager
def small_tmpfs(folder: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs mounted on `folder` for the block; skipped unless this runs as root."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root: the full-disk sweep runs in CI as root")
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
                             capture_output=True, text=True)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def _fill(folder: Path, leave: int = 0) -> None:
    """Fill the filesystem of `folder` to its last byte, then free `leave` bytes."""
    with contextlib.suppress(OSError), open(folder / "filler", "wb", buffering=0) as filler:
        while True:
            filler.write(b"\0" * 512)
    if leave:
        filler_size = (folder / "filler").stat().st_size
        os.truncate(folder / "filler", filler_size - leave)


@pytest.mark.parametrize(
    ("args", "name", "fill"),
    [
        (("batch", "IN", "-f", "csv"), "out.csv", False),  # 3,000 rows: more than 64 KiB
        (("batch", "IN", "-f", "jsonl"), "out.jsonl", False),
        (("batch", "IN", "-f", "xlsx"), "out.xlsx", True),
        (("calc", "--set", "annual_rd_expense=1200万", "-f", "json"), "out.json", True),
        (("calc", "--set", "annual_rd_expense=1200万", "-f", "xlsx"), "out.xlsx", True),
    ],
    ids=["batch-csv", "batch-jsonl", "batch-xlsx", "calc-json", "calc-xlsx"],
)
def test_output_on_a_full_filesystem_keeps_the_old_file(
    tmp_path: Path, args: tuple[str, ...], name: str, fill: bool
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(_records(3000), encoding="utf-8")
    with small_tmpfs(tmp_path / "small") as disk:
        target = disk / name
        target.write_bytes(b"previous")
        if fill:
            _fill(disk)
        args = tuple(str(source) if a == "IN" else a for a in args)
        result = subsidy(*args, "-o", str(target), cwd=tmp_path)
        refused(result, f"{target}: cannot write: No space left on device")
        assert target.read_bytes() == b"previous"
        left = sorted(p.name for p in disk.iterdir())
        assert left == (["filler", name] if fill else [name])


def test_a_full_temporary_folder(tmp_path: Path) -> None:
    """openpyxl spools a workbook's rows into the temporary folder before the zip is written."""
    source = tmp_path / "in.jsonl"
    source.write_text(_records(3000), encoding="utf-8")
    with small_tmpfs(tmp_path / "small") as temporary:
        # Not quite full: Python skips a temporary folder it cannot write a test file into.
        _fill(temporary, leave=8192)
        result = subsidy("batch", str(source), "-o", "out.xlsx", cwd=tmp_path,
                         env={"TMPDIR": str(temporary)})  # fmt: skip
        refused(result, "cannot write: No space left on device")
        assert not (tmp_path / "out.xlsx").exists()


# -- 14. a VALIDATED file beside a policy ----------------------------------------------------


def test_a_validated_file_beside_a_policy_does_not_switch_its_checks_off(tmp_path: Path) -> None:
    policy = tmp_path / "broken.toml"
    policy.write_text('[policy]\nid = 5\nname = ["x"]\n\n[[articles]]\nid = 7\n', encoding="utf-8")
    sha = hashlib.sha256(policy.read_bytes()).hexdigest()
    (tmp_path / "VALIDATED").write_text(f"{sha}  broken.toml\n", encoding="ascii")
    cache = {"SUBSIDYCLI_CACHE_DIR": str(tmp_path / "cache")}
    result = subsidy("calc", "--set", "annual_rd_expense=1", "--policy", "broken.toml",
                     cwd=tmp_path, env=cache)  # fmt: skip
    refused(result, "broken.toml")


def test_the_bundled_record_and_the_users_cache_are_still_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from subsidycli.policy import trust
    from subsidycli.policy.load import bundled_dir

    shipped = next(iter(trust.shipped(bundled_dir())))
    assert trust.is_validated(shipped, bundled_dir())
    monkeypatch.setenv("SUBSIDYCLI_CACHE_DIR", str(tmp_path))
    assert not trust.is_validated("ab" * 32)
    trust.mark_validated("ab" * 32)
    assert trust.is_validated("ab" * 32)


# -- 15. source_file outside the policy's folder, or binary -----------------------------------


def _policy_with_source(tmp_path: Path, source_file: str) -> Path:
    folder = tmp_path / "policy"
    folder.mkdir()
    text = BUNDLED.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("source_file"))
    path = folder / BUNDLED.name
    path.write_text(text.replace(line, f"source_file = {json.dumps(source_file)}"), "utf-8")
    return path


@pytest.mark.parametrize("where", ["relative", "absolute", "symlink"])
def test_source_file_outside_the_policy_folder_is_refused(tmp_path: Path, where: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET: the password is hunter2\n", encoding="utf-8")
    name = {"relative": "../secret.txt", "absolute": str(secret), "symlink": "link.txt"}[where]
    policy = _policy_with_source(tmp_path, name)
    if where == "symlink":
        (policy.parent / "link.txt").symlink_to(secret)
    result = subsidy("lint", str(policy), cwd=tmp_path)
    refused(result, "source_file", "name a file in the policy's folder")
    assert "TOPSECRET" not in result.stdout + result.stderr


def test_a_binary_source_file_is_a_clear_error(tmp_path: Path) -> None:
    policy = _policy_with_source(tmp_path, "source.bin")
    (policy.parent / "source.bin").write_bytes(bytes(range(256)) * 4)
    result = subsidy("lint", str(policy), cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    assert "source_file 'source.bin': is a binary file" in result.stdout + result.stderr


# -- 16. devices, FIFOs, sizes ----------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [("calc", "--set", "annual_rd_expense=1", "--policy", "/dev/zero"), ("lint", "/dev/zero"),
     ("calc", "/dev/zero")],
    ids=["policy", "lint", "profile"],
)  # fmt: skip
def test_a_device_where_a_file_is_needed_is_refused(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = subsidy(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "/dev/zero: is not a regular file" in result.stdout + result.stderr


def test_a_fifo_as_profile_is_refused_not_waited_on(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "p.json")
    refused(subsidy("calc", "p.json", cwd=tmp_path), "p.json: is not a regular file")


def test_a_fifo_that_nothing_reads_as_output_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "out.csv")
    result = subsidy("calc", "--set", "annual_rd_expense=1", "-o", "out.csv", cwd=tmp_path)
    refused(result, "out.csv: is a pipe (FIFO) that nothing reads")
    assert stat.S_ISFIFO(os.stat(tmp_path / "out.csv").st_mode)


def test_an_xlsx_workbook_on_stdin_is_refused(tmp_path: Path) -> None:
    with open(tmp_path / "w.xlsx", "wb") as handle:
        handle.write(b"PK\x03\x04" + b"\0" * 1000)
    with open(tmp_path / "w.xlsx", "rb") as stdin:
        result = subsidy("batch", "-", "--input-format", "xlsx", cwd=tmp_path, stdin=stdin.fileno())
    refused(result, "<stdin>: an .xlsx workbook is read from a file, not from stdin")


def test_an_oversized_policy_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    policy = tmp_path / "big.toml"
    policy.write_bytes(BUNDLED.read_bytes() + b"# " + b"x" * (3 * 2**20) + b"\n")
    result = subsidy("calc", "--set", "annual_rd_expense=1", "--policy", "big.toml", cwd=tmp_path)
    refused(result, "big.toml: is larger than 2 MiB")


def test_the_line_scanner_is_bounded_on_a_long_string() -> None:
    """A 1 MB string cost 117 MB in the line scanner (a regex frame a character); 50 MB, 3.8 GB."""
    import tracemalloc

    from subsidycli.policy.keylines import KeyLines

    text = '[policy]\nname = "' + "x" * 2**20 + '"\n[[articles]]\nid = "a"\nwhen = "[1]"\n'
    tracemalloc.start()
    try:
        lines = KeyLines(text).lines
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert lines[("articles", 0, "when")] == 5
    assert peak < 16 * 2**20, f"{peak / 2**20:.0f} MB"


# -- 17. --jobs and the workers' lives --------------------------------------------------------


def test_jobs_are_capped_at_the_cpus_available(tmp_path: Path) -> None:
    cpus = len(os.sched_getaffinity(0))
    (tmp_path / "in.jsonl").write_text(_records(5), encoding="utf-8")
    result = subsidy("batch", "in.jsonl", "--jobs", str(cpus + 38), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"--jobs {cpus + 38}: only {cpus} CPUs are available; using {cpus}" in result.stderr
    assert len(result.stdout.splitlines()) == 5


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
                if int(fields[1]) == pid:
                    found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        assert time.monotonic() < deadline, f"{what}: still waiting after 120 s"
        time.sleep(0.05)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
def test_workers_end_when_their_parent_is_killed(tmp_path: Path) -> None:
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("--jobs is capped at one CPU here: no workers are started")
    proc = subprocess.Popen(
        subsidy_command("batch", "-", "--jobs", "2", "-o", "out.jsonl"), cwd=tmp_path,
        env=cli_env({**os.environ, "LANG": "C.UTF-8"}), stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,  # a few lines: what went wrong, if
    )  # fmt: skip
    assert proc.stdin is not None
    workers: list[int] = []
    try:
        proc.stdin.write(_records(5000).encode())  # enough chunks to start both workers
        proc.stdin.flush()
        wait_for(lambda: len(_children(proc.pid)) >= 2, proc, "the workers started")
        workers = _children(proc.pid)
        proc.kill()
        proc.wait(timeout=60)
        _wait(lambda: not any(_alive(w) for w in workers), "the workers ended")
    finally:
        for worker in workers:  # never leave them behind, even when the test fails
            with contextlib.suppress(OSError):
                os.kill(worker, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


# -- 18. temporary files of killed runs -------------------------------------------------------


def test_sigterm_of_an_xlsx_batch_to_stdout_leaves_no_spool_files(tmp_path: Path) -> None:
    spool = tmp_path / "tmp"
    spool.mkdir()
    with open(tmp_path / "out.xlsx", "wb") as out:
        proc = subprocess.Popen(
            subsidy_command("batch", "-", "-f", "xlsx"), cwd=tmp_path, stdin=subprocess.PIPE,
            env=cli_env({**os.environ, "LANG": "C.UTF-8", "TMPDIR": str(spool)}),
            stdout=out, stderr=subprocess.PIPE,
        )  # fmt: skip
        assert proc.stdin is not None
        try:
            proc.stdin.write(_records(3000).encode())
            proc.stdin.flush()
            wait_for(lambda: any(spool.iterdir()), proc, "the workbook writer spooled rows")
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode != 0
    assert list(spool.iterdir()) == []


def test_a_later_xlsx_run_removes_the_spool_a_sigkill_left(tmp_path: Path) -> None:
    spool = tmp_path / "tmp"
    spool.mkdir()
    env = cli_env({**os.environ, "LANG": "C.UTF-8", "TMPDIR": str(spool)})
    with open(tmp_path / "out.xlsx", "wb") as out:
        proc = subprocess.Popen(
            subsidy_command("batch", "-", "-f", "xlsx"), cwd=tmp_path, stdin=subprocess.PIPE,
            env=env, stdout=out, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert proc.stdin is not None
        try:
            proc.stdin.write(_records(3000).encode())
            proc.stdin.flush()
            wait_for(lambda: any(spool.rglob("openpyxl*")), proc, "the workbook writer spooled")
            proc.kill()
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
    assert any(spool.rglob("openpyxl*")), "SIGKILL leaves the spool (nothing can catch it)"
    (tmp_path / "in.jsonl").write_text(_records(3), encoding="utf-8")
    result = subsidy(
        "batch", "in.jsonl", "-o", "again.xlsx", cwd=tmp_path, env={"TMPDIR": str(spool)}
    )
    assert result.returncode == 0, result.stderr
    assert list(spool.iterdir()) == []


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_a_later_run_removes_what_a_sigkill_left_beside_the_target(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_text(_records(3), encoding="utf-8")
    (tmp_path / "out.csv").write_text("previous\n", encoding="utf-8")
    stale = tmp_path / f".out.csv.subsidy-{_dead_pid()}.abc123.tmp"  # what SIGKILL leaves
    live = tmp_path / f".out.csv.subsidy-{os.getpid()}.def456.tmp"  # a run still going
    stale.write_text("half", encoding="utf-8")
    live.write_text("half", encoding="utf-8")
    result = subsidy("batch", "in.jsonl", "-o", "out.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not stale.exists()
    assert live.exists()
    assert "c2" in (tmp_path / "out.csv").read_text(encoding="utf-8-sig")


def test_a_sigkilled_batch_leaves_a_file_the_next_run_removes(tmp_path: Path) -> None:
    from tests.conftest import batch_in_flight

    out = tmp_path / "out.csv"
    out.write_text("previous\n", encoding="utf-8")
    with batch_in_flight(_records(20_000), out) as proc:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    left = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert left, "SIGKILL leaves the temporary file (nothing can catch it)"
    (tmp_path / "in.jsonl").write_text(_records(3), encoding="utf-8")
    result = subsidy("batch", "in.jsonl", "-o", "out.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.csv"]
