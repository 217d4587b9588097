"""Mutation testing of the core: run mutmut over it, and say how many mutants the tests kill.

    python tools/mutation.py run [MODULE ...]   # mutmut over the core (or the modules named)
    python tools/mutation.py run --sample N     # N mutants drawn at random, once (kept for reruns)
    python tools/mutation.py rerun [MODULE ...] # the live mutants again, after adding tests
    python tools/mutation.py score              # killed / non-equivalent mutants, per module
    python tools/mutation.py survivors [MODULE] # the live ones, to read with `mutmut show NAME`

The core is engine, money, expr, profile and policy/, whole, the number formatting (the
functions of output/data.py and render/table.py that turn amounts into text), lint's checks
of a policy against its source, sql/ with the SQL engine's readers (sqlread, parquet), what
render/ says of the total and the gaps (table, nothing), and summary's progress meter.
mutmut's settings, and the tests it runs, are in pyproject.toml under [tool.mutmut];
docs/mutation.md lists the equivalent mutants (no behaviour tells them apart from the original)
and the last figure. Run it from the project's root, with the `dev` extra installed. `run` is
niced and uses two processes: the machine is shared. `score` counts the mutants checked so far:
after `run --sample N` it is an estimate, given with its 95% interval.
"""

from __future__ import annotations

import fnmatch
import math
import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT_LIST = ROOT / "docs" / "mutation.md"

# The number formatting of output/ and render/, and what render/ says of the total and the gaps:
# the rest of them lays out tables and files.
RENDER_NUMBERS = {
    "output.data": ("plain",),
    "render.table": (
        "amount_text", "amount_cell", "cap_cell", "cap_words", "total_note", "lapsed_note",
    ),
    "render.nothing": ("near_gaps", "_met"),
}
SCOPE: dict[str, list[str]] = {
    "engine": ["subsidycli.engine.*"],
    "money": ["subsidycli.money.*"],
    "expr": ["subsidycli.expr.*"],
    "profile": ["subsidycli.profile.*"],
    "policy": ["subsidycli.policy.*"],
    "render": [
        f"subsidycli.{module}.x_{name}__mutmut_*"
        for module, names in RENDER_NUMBERS.items()
        for name in names
    ],
    "lint": ["subsidycli.lint.*"],
    "sql": ["subsidycli.sql.*"],
    "sqlread": ["subsidycli.sqlread.*"],
    "parquet": ["subsidycli.parquet.*"],
    "explain": ["subsidycli.explain.*"],
    "files": ["subsidycli.files.*"],
    "sweep": ["subsidycli.sweep.*"],
    "meter": ["subsidycli.meter.*"],
}
KILLED = {"killed", "timeout", "caught by type check"}
NOT_RUN = {"not checked", "skipped", "check was interrupted by user"}
SEED = 18  # the sample is drawn the same way each time, so that reruns compare
_MUTANT = re.compile(r"`(subsidycli\.[^`\s]+__mutmut_\d+)`")


def _mutmut() -> list[str]:
    return [sys.executable, "-m", "mutmut"]  # the one installed beside the tests' interpreter


def _patterns(modules: list[str]) -> list[str]:
    unknown = [m for m in modules if m not in SCOPE]
    if unknown:
        sys.exit(f"unknown module {', '.join(unknown)} (the core: {', '.join(SCOPE)})")
    return [p for m in (modules or list(SCOPE)) for p in SCOPE[m]]


def _module(name: str) -> str | None:
    for module, patterns in SCOPE.items():
        if any(fnmatch.fnmatchcase(name, p) for p in patterns):
            return module
    return None


def _statuses() -> dict[str, str]:
    """Every mutant of the core and its status, as `mutmut results --all true` gives them."""
    if not (ROOT / "mutants").is_dir():
        return {}
    shown = subprocess.run(
        [*_mutmut(), "results", "--all", "true"], cwd=ROOT, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    statuses = {}
    for line in shown.stdout.splitlines():
        name, sep, status = line.strip().partition(": ")
        if sep and _module(name) is not None:
            statuses[name] = status
    return statuses


def equivalent() -> set[str]:
    """The mutants docs/mutation.md lists as equivalent (each with its reason there)."""
    return set(_MUTANT.findall(EQUIVALENT_LIST.read_text(encoding="utf-8")))


def _mutmut_run(names: list[str]) -> int:
    command = ["nice", "-n", "15", *_mutmut(), "run", "--max-children", "2", *names]
    return subprocess.call(command, cwd=ROOT)


def run(modules: list[str], sample: int | None = None) -> int:
    """mutmut over the core's mutants, or a sample of them: new and changed ones are run, and
    the ones named; mutmut keeps the other results.

    A sample is drawn once and kept in mutants/sample.txt, so that later runs (after new tests,
    or on changed code) check the same mutants: those not killed yet, and those whose code
    changed since."""
    if sample is None:
        return _mutmut_run(_patterns(modules))
    statuses = _statuses()
    if not statuses:  # no mutants yet: mutmut makes them all, and runs the first of each function
        code = _mutmut_run([p.replace("*", "*__mutmut_1") if p.endswith(".*") else p
                            for p in _patterns(["money"])])  # fmt: skip
        if code:
            return code
        statuses = _statuses()
    kept = ROOT / "mutants" / "sample.txt"
    if kept.is_file() and kept.read_text(encoding="utf-8").startswith(f"# {sample}\n"):
        drawn = kept.read_text(encoding="utf-8").split()[2:]
    else:
        wanted = set(modules or SCOPE)
        names = sorted(n for n in statuses if _module(n) in wanted)
        drawn = sorted(random.Random(SEED).sample(names, min(sample, len(names))))
        kept.write_text(f"# {sample}\n" + "\n".join(drawn) + "\n", encoding="utf-8")
    for _ in range(2):  # the second time: drawn mutants whose code changed (mutmut reset them)
        todo = [n for n in drawn if n in statuses and statuses[n] not in KILLED]
        if not todo:
            return 0
        code = _mutmut_run(todo)
        if code:
            return code
        statuses = _statuses()
    return 0


def rerun(modules: list[str]) -> int:
    """Run the live mutants again: mutmut does not re-run a mutant for a new test by itself."""
    names = _live(modules)
    if not names:
        print("no live mutants")
        return 0
    return _mutmut_run(names)


def _live(modules: list[str]) -> list[str]:
    listed = equivalent()
    wanted = set(modules or SCOPE)
    return [
        name for name, status in sorted(_statuses().items())
        if status not in KILLED | NOT_RUN and name not in listed and _module(name) in wanted
    ]  # fmt: skip


def score() -> int:
    statuses = _statuses()
    listed = equivalent()
    stale = sorted(n for n in listed if n not in statuses)
    counts: dict[str, Counter[str]] = {m: Counter() for m in SCOPE}
    for name, status in statuses.items():
        module = _module(name)
        assert module is not None
        if status in NOT_RUN:
            kind = "not run"
        elif name in listed:
            kind = "equivalent"
        else:
            kind = "killed" if status in KILLED else "alive"
        counts[module][kind] += 1
    head = ("module", "mutants", "run", "equiv.", "killed", "alive")
    print(f"{head[0]:<8} {head[1]:>7} {head[2]:>6} {head[3]:>6} {head[4]:>6} {head[5]:>5}  score")
    total: Counter[str] = Counter()
    for module, count in counts.items():
        total += count
        print(_row(module, count))
    print(_row("all", total))
    core = sum((c for m, c in counts.items() if m != "lint"), Counter[str]())
    print(_row("w/o lint", core))
    if stale:
        print("listed as equivalent but not a mutant of this code:", ", ".join(stale))
    return 0


def _row(module: str, count: Counter[str]) -> str:
    mutants = sum(count.values())
    ran = mutants - count["not run"]
    real = ran - count["equivalent"]
    shown = "-"
    if real:
        share = count["killed"] / real
        shown = f"{100 * share:.1f}%"
        if count["not run"]:  # a sample: the share among all, with 95% confidence (Wilson)
            low, high = _wilson(count["killed"], real)
            shown += f" (95%: {100 * low:.1f}-{100 * high:.1f}%)"
    return (
        f"{module:<8} {mutants:>7} {ran:>6} {count['equivalent']:>6} {count['killed']:>6} "
        f"{count['alive']:>5}  {shown}"
    )


def _wilson(killed: int, n: int, z: float = 1.96) -> tuple[float, float]:
    p = killed / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def survivors(modules: list[str]) -> int:
    statuses = _statuses()
    for name in _live(modules):
        print(f"{name}: {statuses[name]}")
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "rerun", "score", "survivors"):
        print(__doc__)
        return 2
    command, args = argv[0], argv[1:]
    sample = None
    if command == "run" and "--sample" in args:
        at = args.index("--sample")
        sample = int(args[at + 1])
        del args[at : at + 2]
    _patterns(args)  # names the core's modules, or exits
    if command == "run":
        return run(args, sample)
    if command == "rerun":
        return rerun(args)
    if command == "score":
        return score()
    return survivors(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
