"""Mutation testing of the core: run mutmut over it, and say how many mutants the tests kill.

    python tools/mutation.py run [MODULE ...]   # mutmut over the core (or the modules named)
    python tools/mutation.py rerun [MODULE ...] # the live mutants again, after adding tests
    python tools/mutation.py score              # killed / non-equivalent mutants, per module
    python tools/mutation.py survivors [MODULE] # the live ones, to read with `mutmut show NAME`

The core is engine, money, expr, profile and policy, whole, the renderer's number formatting
(the functions of render.py that turn amounts into text), and lint's checks of a policy against
its source. mutmut's settings, and the tests it
runs, are in pyproject.toml under [tool.mutmut]; docs/mutation.md lists the equivalent mutants
(no behaviour tells them apart from the original) and the last figure. Run it from the project's
root, with the `dev` extra installed. `run` is niced and uses two processes: the machine is shared.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT_LIST = ROOT / "docs" / "mutation.md"

# The renderer's number formatting: the rest of render.py lays out tables and files.
RENDER_NUMBERS = (
    "_plain", "amount_text", "_amount_cell", "_cap_cell", "amount_cell",
)  # fmt: skip
SCOPE: dict[str, list[str]] = {
    "engine": ["subsidycli.engine.*"],
    "money": ["subsidycli.money.*"],
    "expr": ["subsidycli.expr.*"],
    "profile": ["subsidycli.profile.*"],
    "policy": ["subsidycli.policy.*"],
    "render": [f"subsidycli.render.x_{name}__mutmut_*" for name in RENDER_NUMBERS],
    "lint": ["subsidycli.lint.*"],
}
KILLED = {"killed", "timeout", "caught by type check"}
_MUTANT = re.compile(r"`(subsidycli\.[^`\s]+__mutmut_\d+)`")


def _mutmut() -> list[str]:
    return [sys.executable, "-m", "mutmut"]  # the one installed beside the tests' interpreter


def _patterns(modules: list[str]) -> list[str]:
    unknown = [m for m in modules if m not in SCOPE]
    if unknown:
        sys.exit(f"unknown module {', '.join(unknown)} (the core: {', '.join(SCOPE)})")
    return [p for m in (modules or list(SCOPE)) for p in SCOPE[m]]


def _module(name: str) -> str | None:
    import fnmatch

    for module, patterns in SCOPE.items():
        if any(fnmatch.fnmatchcase(name, p) for p in patterns):
            return module
    return None


def _statuses() -> dict[str, str]:
    """Every mutant of the core and its status, as `mutmut results --all true` gives them."""
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


def run(modules: list[str], names: list[str] | None = None) -> int:
    """mutmut over the core's mutants (or `names`): new and changed ones are run, and the ones
    named again; mutmut keeps the other results."""
    wanted = _patterns(modules) if names is None else names
    command = ["nice", "-n", "15", *_mutmut(), "run", "--max-children", "2", *wanted]
    return subprocess.call(command, cwd=ROOT)


def rerun(modules: list[str]) -> int:
    """Run the live mutants again: mutmut does not re-run a mutant for a new test by itself."""
    names = _live(modules)
    if not names:
        print("no live mutants")
        return 0
    return run(modules, names)


def _live(modules: list[str]) -> list[str]:
    listed = equivalent()
    wanted = set(modules or SCOPE)
    return [
        name for name, status in sorted(_statuses().items())
        if status not in KILLED and name not in listed and _module(name) in wanted
    ]  # fmt: skip


def score() -> int:
    statuses = _statuses()
    listed = equivalent()
    stale = sorted(n for n in listed if n not in statuses)
    counts: dict[str, Counter[str]] = {m: Counter() for m in SCOPE}
    for name, status in statuses.items():
        module = _module(name)
        assert module is not None
        kind = "equivalent" if name in listed else "killed" if status in KILLED else status
        counts[module][kind] += 1
    total: Counter[str] = Counter()
    print(f"{'module':<8} {'mutants':>8} {'equivalent':>10} {'killed':>7} {'alive':>6}", end="")
    print(f" {'score':>7}")
    for module, count in counts.items():
        total += count
        print(_row(module, count))
    print(_row("core", total))
    others = {k: v for k, v in total.items() if k not in ("equivalent", "killed", "survived")}
    if others:
        print("not killed, for other reasons:", ", ".join(f"{v} {k}" for k, v in others.items()))
    if stale:
        print("listed as equivalent but not a mutant of this code:", ", ".join(stale))
    return 0


def _row(module: str, count: Counter[str]) -> str:
    mutants = sum(count.values())
    real = mutants - count["equivalent"]
    alive = real - count["killed"]
    percent = f"{100 * count['killed'] / real:.1f}%" if real else "-"
    return (
        f"{module:<8} {mutants:>8} {count['equivalent']:>10} {count['killed']:>7} {alive:>6} "
        f"{percent:>7}"
    )


def survivors(modules: list[str]) -> int:
    statuses = _statuses()
    for name in _live(modules):
        print(f"{name}: {statuses[name]}")
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "rerun", "score", "survivors"):
        print(__doc__)
        return 2
    command, modules = argv[0], argv[1:]
    _patterns(modules)  # names the core's modules, or exits
    if command == "run":
        return run(modules)
    if command == "rerun":
        return rerun(modules)
    if command == "score":
        return score()
    return survivors(modules)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
