"""`subsidy summary` on DuckDB against the Python engine: N generated CSV rows, process start
included, best of K, side by side; the two JSON outputs must be byte-identical.

    python benchmarks/summary_speed.py                 # 100,000 rows, best of 3
    python benchmarks/summary_speed.py --rows 20000 --repeat 1

Rows are drawn from the bundled policy's inputs: mostly canonical cells (plain decimals, yes/no,
choice values), which DuckDB casts itself, and about one in ten written as people write them
(1200万, 是), which go through the Python parser, plus a few bad cells. On a shared machine run
it with `nice`; the ratio is what runs side by side share.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from subsidycli.policy import bundled_paths, load_policy

MONEY = ["0", "500000", "1200000.5", "8000000", "12000000", "30000000.25", "", "1200万"]
COUNTS = ["0", "1", "2", "3", "", "2项"]
BOOLS = ["true", "false", "", "是"]
RATES = ["0.15", "0.25", "", "15%"]


def generate(path: Path, rows: int, seed: int = 23) -> None:
    """`rows` profiles of the bundled policy as a CSV file at `path`."""
    policy = load_policy(bundled_paths()[0])
    pools = {"money": MONEY, "count": COUNTS, "bool": BOOLS, "rate": RATES}
    random.seed(seed)
    names = list(policy.inputs)
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(names)
        for n in range(rows):
            row = []
            for name in names:
                item = policy.inputs[name]
                if item.type == "choice":
                    row.append(random.choice([c["value"] for c in item.choices]))
                elif item.type in pools:
                    row.append(random.choice(pools[item.type]))
                else:
                    row.append(f"org{n}")
            if n % 997 == 0:
                row[names.index("annual_rd_expense")] = "x"  # a bad record, on both engines
            out.writerow(row)


def timed(args: list[str]) -> tuple[float, float, bytes]:
    """(wall seconds, CPU seconds of the process, its stdout): on a loaded machine the CPU
    time is the steadier figure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    subsidy = str(Path(sys.executable).with_name("subsidy"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "profiles.csv"
        generate(path, options.rows)
        best: dict[str, float] = {}
        cpu: dict[str, float] = {}
        outputs: dict[str, bytes] = {}
        for _ in range(options.repeat):  # interleaved: load on the machine hits both alike
            for engine in ("duckdb", "python"):
                seconds, used, out = timed([subsidy, "summary", str(path), "-f", "json",
                                            "--engine", engine])  # fmt: skip
                best[engine] = min(best.get(engine, seconds), seconds)
                cpu[engine] = min(cpu.get(engine, used), used)
                outputs[engine] = out
    same = outputs["duckdb"] == outputs["python"] and outputs["duckdb"] != b""
    print(f"{options.rows:,} CSV rows, best of {options.repeat}, process start included")
    for engine, seconds in best.items():
        print(f"  {engine:7} {seconds:8.2f} s wall, {cpu[engine]:8.2f} s CPU,"
              f" {options.rows / cpu[engine]:10,.0f} rows per CPU second")
    print(f"  duckdb is {best['python'] / best['duckdb']:.1f}x the python engine by the wall,"
          f" {cpu['python'] / cpu['duckdb']:.1f}x by CPU; JSON byte-identical: {same}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
