"""How fast is `subsidy batch`? Profiles per second, side by side with a bare `json.loads` loop.

Generates realistic profiles (seeded, so every run sees the same data), writes them as JSON Lines
and as CSV, then times on one core, in this process, in alternating rounds (best of three):

  bare       for line in file: json.loads(line)             (the floor: parsing alone)
  jsonl      batch.run JSON Lines -> JSON Lines, lean       (read, check, evaluate, render)
             batch.run JSON Lines -> JSON Lines, --explain  (calc's full results per record)
             batch.run JSON Lines -> CSV                    (a script's export into a sheet)
  csv        batch.run CSV -> CSV                           (a consultant's sheet)

and prints profiles/s and the ratio of each to the bare loop over the same records. Output goes
to /dev/null unless --output-dir is given. See benchmarks/README.md for figures.

    python benchmarks/batch_speed.py                      # 200,000 profiles
    python benchmarks/batch_speed.py -n 1000000 --rss     # also peak RSS of the installed CLI
    python benchmarks/batch_speed.py --amounts exact      # every amount to the fen (worst case)
    python benchmarks/batch_speed.py --amounts rounded    # estimates: 1200万, 3.5亿
    python benchmarks/batch_speed.py --amounts same       # every amount 1200万: the floor

Realistic means: mostly enterprises, some universities, institutes and new R&D institutions;
fields left out now and then (unknown); amounts written as people write them ("1200万",
"12,345,678.90", 8800000, "1.5亿"), half of them exact to the yuan, so most are unlike any
earlier one; counts mostly 0 or 1; yes/no mostly no, as true/false in JSON and 是/否, yes/no,
1/0 in CSV.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from subsidycli import batch, i18n
from subsidycli.policy import bundled_paths, load_policy

GOAL_RATIO, STRETCH_RATIO = 4.0, 3.0  # issue 12: lean JSONL and CSV, × the bare parse
APPLICANTS = [("enterprise", 85), ("university", 4), ("research_institute", 4),
              ("new_rd_institution", 5), ("other", 2)]  # fmt: skip
WORDS = "智能 装备 新材料 生物 医药 电子 信息 光电 精密 机械 化工 能源 环境 数据 船舶 汽车".split()
CITIES = ["镇江", "丹阳", "句容", "扬中", "丹徒", "京口", "润州"]


def _amount(rng: random.Random, low: float, high: float, amounts: str) -> Any:
    """An amount between low and high 元 (log-uniform), written one of the ways people do."""
    value = Decimal(round(10 ** rng.uniform(len(str(int(low))) - 1, len(str(int(high))) - 1)))
    if amounts == "same":  # the floor: every result that reads an amount is found in a cache
        return "1200万"
    if amounts == "rounded":  # an estimate: two significant figures, in 万 or 亿
        wan = Decimal(f"{max(value / 10_000, 1):.2g}".replace("e+0", "e"))
        return f"{wan.normalize():f}万" if wan < 10_000 else f"{(wan / 10_000).normalize():f}亿"
    style = rng.random()
    if amounts == "mixed" and style < 0.5:  # a whole number of 万, as a consultant writes it
        wan = max(1, int(value / 10_000))
        return f"{wan}万" if rng.random() < 0.9 else f"{Decimal(wan) / 10_000}亿"
    cents = Decimal(rng.randrange(100)) / 100 if rng.random() < 0.5 else Decimal(0)
    exact = value + cents
    if style < 0.75 or cents:
        return f"{exact:,.2f}" if rng.random() < 0.5 else f"¥{exact:,.2f}"
    return int(exact)


def profile(rng: random.Random, i: int, amounts: str = "mixed") -> dict[str, Any]:
    """One realistic profile (fields left out are unknown, as in real data)."""
    kinds, weights = zip(*APPLICANTS, strict=True)
    kind = rng.choices(kinds, weights)[0]
    p: dict[str, Any] = {"name": f"{rng.choice(CITIES)}{rng.choice(WORDS)}{rng.choice(WORDS)}"
                                 f"科技有限公司{i}"}  # fmt: skip
    if kind != "enterprise" or rng.random() < 0.6:
        p["applicant_type"] = kind

    def maybe(name: str, value: Callable[[], Any], present: float = 0.85) -> None:
        if rng.random() < present:
            p[name] = value()

    def count() -> int:
        return rng.choices([0, 1, 2, 3, 5], [70, 20, 6, 3, 1])[0]

    def yes(chance: float = 0.15) -> bool:
        return rng.random() < chance

    for name in ("jiebang_projects", "consortium_projects", "joint_basic_research_projects",
                 "national_platforms", "provincial_platforms", "public_service_platforms",
                 "new_incubators", "empowerment_reform_results"):  # fmt: skip
        maybe(name, count)
    for name in ("key_lab_cultivation", "key_lab_performance", "benchmark_incubator",
                 "public_service_platform_excellent", "science_award", "pilot_platform",
                 "empowerment_reform_pilot", "proof_of_concept_center",
                 "tech_contract_registered"):  # fmt: skip
        maybe(name, yes)
    if kind == "enterprise":
        annual = _amount(rng, 500_000, 500_000_000, amounts)
        p["annual_rd_expense"] = annual
        maybe("deductible_rd_expense", lambda: _amount(rng, 400_000, 400_000_000, amounts), 0.8)
        cooperation = lambda: 0 if yes(0.4) else _amount(rng, 20_000, 2_000_000, amounts)  # noqa: E731
        commissioned = lambda: 0 if yes(0.6) else _amount(rng, 100_000, 5_000_000, amounts)  # noqa: E731
        maybe("university_cooperation_expense", cooperation, 0.7)
        maybe("commissioned_basic_research_expense", commissioned, 0.6)
        maybe("high_tech_enterprise", lambda: yes(0.5), 0.9)
        maybe("income_tax_rate", lambda: rng.choice(["15%", "25%", Decimal("0.15")]), 0.2)
        for name in ("enterprise_rd_projects", "provincial_rd_platforms", "national_major_projects",
                     "national_key_rd_projects"):  # fmt: skip
            maybe(name, count)
        for name in ("provincial_rd_platform_excellent", "jitri_joint_center_excellent",
                     "unicorn_first", "gazelle_first", "high_tech_application",
                     "high_tech_recognized"):  # fmt: skip
            maybe(name, yes)
    elif kind == "new_rd_institution":
        maybe("nonfiscal_rd_expense", lambda: _amount(rng, 100_000, 50_000_000, amounts))
        for name in ("nri_recognized", "nri_excellent", "postdoc_workstation",
                     "innovation_practice_base"):  # fmt: skip
            maybe(name, yes)
    elif kind == "university":
        maybe("basic_science_center_approved", lambda: yes(0.05))
    return p


def _json_default(value: object) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # only tax rates are Decimal here, and 0.15 survives the trip
    raise TypeError(type(value).__name__)


def write_inputs(folder: Path, n: int, amounts: str) -> tuple[Path, Path]:
    """profiles.jsonl and profiles.csv with the same n profiles."""
    rng = random.Random(20240601)
    policy = load_policy(bundled_paths()[0])
    columns = list(policy.inputs)
    jsonl, table = folder / "profiles.jsonl", folder / "profiles.csv"
    bool_words = [("true", "false"), ("是", "否"), ("yes", "no"), ("1", "0")]
    with jsonl.open("w", encoding="utf-8") as j, table.open("w", encoding="utf-8", newline="") as c:
        writer = csv.writer(c)
        writer.writerow(columns)
        for i in range(n):
            p = profile(rng, i, amounts)
            j.write(json.dumps(p, ensure_ascii=False, default=_json_default) + "\n")
            yes_no = rng.choice(bool_words)
            row = []
            for name in columns:
                value = p.get(name, "")
                if isinstance(value, bool):
                    value = yes_no[0] if value else yes_no[1]
                row.append(str(value))
            writer.writerow(row)
    return jsonl, table


def bare(path: Path) -> float:
    """Seconds for a bare json.loads loop over the file."""
    start = time.perf_counter()
    with path.open("rb") as f:
        for line in f:
            json.loads(line)
    return time.perf_counter() - start


def timed_run(
    source: Path, fmt_in: str, fmt_out: str, target: Path | None, jobs: int = 1,
    explain: bool = False,
) -> float:  # fmt: skip
    policy = load_policy(bundled_paths()[0])
    out_path = target or Path(os.devnull)
    failures: list[list[str]] = []
    options: dict[str, Any] = {"explain": True} if explain else {}
    start = time.perf_counter()
    with i18n.using("zh"), source.open("rb") as src, out_path.open("wb") as out:
        summary = batch.run(policy, src, out, input_format=fmt_in, output_format=fmt_out,
                            jobs=jobs, loader=_Loader(), on_error=failures.append,
                            **options)  # fmt: skip
    seconds = time.perf_counter() - start
    assert not failures and summary.failed == 0, failures[:3]
    return seconds


class _Loader:
    """Picklable: how a worker process builds the policy."""

    def __call__(self) -> Any:
        return load_policy(bundled_paths()[0])


def peak_rss(source: Path, fmt_out: str) -> tuple[float, int]:
    """Seconds and peak RSS (kB) of the installed `subsidy batch` on the whole file."""
    # A fresh parent whose only child is the CLI, so RUSAGE_CHILDREN is the CLI's own peak.
    probe = (
        "import resource, subprocess, sys; "
        "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
        "print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    command = ["subsidy", "batch", str(source), "--format", fmt_out, "--lang", "zh"]
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", probe, *command], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    rc, rss = proc.stdout.split()
    assert rc == "0", proc.stderr[:500]
    return seconds, int(rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=200_000, help="profiles to generate")
    parser.add_argument(
        "--amounts",
        choices=["mixed", "exact", "rounded", "same"],
        default="mixed",
        help="mixed: half whole 万, half exact to the fen (default); exact: all "
        "to the fen; rounded: estimates to two figures (1200万, 3.5亿); same: every "
        "amount 1200万 (the floor: a record whose amounts were all seen before)",
    )
    parser.add_argument("--jobs", type=int, default=0, help="also time --jobs N (0: skip)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; best counts")
    parser.add_argument("--rss", action="store_true", help="peak RSS of the installed CLI")
    goal_help = "time only the goal's runs: lean JSON Lines and CSV -> CSV"
    parser.add_argument("--goal-only", action="store_true", help=goal_help)
    parser.add_argument("--output-dir", type=Path, help="write outputs here, not /dev/null")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):  # one core: the parse and the batch on the same one
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        jsonl, table = write_inputs(folder, args.n, args.amounts)
        size = jsonl.stat().st_size / args.n
        version = sys.version.split()[0]
        print(f"{args.n:,} profiles ({size:.0f} bytes a JSON line), Python {version}, "
              f"amounts {args.amounts}, best of {args.rounds} alternating rounds")  # fmt: skip
        out = args.output_dir
        runs: dict[str, Callable[[], float]] = {"bare json.loads": lambda: bare(jsonl)}
        timed_runs = [("jsonl", "jsonl", False), ("jsonl", "jsonl", True),
                      ("jsonl", "csv", False), ("csv", "csv", False)]  # fmt: skip
        if args.goal_only:
            goal = [("jsonl", "jsonl", False), ("csv", "csv", False)]
            timed_runs = [run for run in timed_runs if run in goal]
        for fmt_in, fmt, explain in timed_runs:
            source = jsonl if fmt_in == "jsonl" else table
            label = f"{fmt_in} -> {fmt}" + (" --explain" if explain else "")
            name = f"{fmt_in}-to-{fmt}{'-explained' if explain else ''}.{fmt}"
            target = out / name if out else None
            runs[label] = functools.partial(timed_run, source, fmt_in, fmt, target, 1, explain)
            if args.jobs > 1 and not explain:
                runs[f"{label} -j{args.jobs}"] = functools.partial(
                    timed_run, source, fmt_in, fmt, target, args.jobs
                )
        best = {label: float("inf") for label in runs}
        for _ in range(args.rounds):  # alternating: a slow moment of the machine hits all alike
            for label, timed in runs.items():
                best[label] = min(best[label], timed())
        floor = best["bare json.loads"]
        for label, seconds in best.items():
            rate, ratio = args.n / seconds, seconds / floor
            goal = ""
            if label in ("jsonl -> jsonl", "csv -> csv"):
                goal = "   goal met" if ratio <= GOAL_RATIO else "   goal not met"
                goal += " (stretch too)" if ratio <= STRETCH_RATIO else ""
            print(f"  {label:<26} {rate:>10,.0f} profiles/s   {ratio:5.2f}x the bare parse{goal}")
        if args.rss:
            for fmt in ("jsonl", "csv"):
                seconds, rss = peak_rss(jsonl if fmt == "jsonl" else table, fmt)
                print(f"  installed `subsidy batch` {fmt}: {seconds:.1f} s, "
                      f"peak RSS {rss / 1024:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
