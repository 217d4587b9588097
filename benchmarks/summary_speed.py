"""`subsidy summary` on DuckDB against the Python engine: N generated CSV rows, process start
included, best of K, side by side, pinned to one core (`taskset -c 0` where there is one); the
JSON outputs must be byte-identical.

    python benchmarks/summary_speed.py                 # 100,000 rows, best of 3
    python benchmarks/summary_speed.py --rows 20000 --repeat 1
    python benchmarks/summary_speed.py --million       # also 1,000,000 rows: time, peak memory

Runs: the Python engine and DuckDB over the CSV file (DuckDB reads it itself), DuckDB over the
same rows as Parquet (written by DuckDB's COPY, every column text), and a 20-value `--sweep`
beside one summary. Rows are drawn from the bundled policy's inputs: mostly canonical cells
(plain decimals, yes/no, choice values), which DuckDB casts itself, and about one in ten written
as people write them (1200万, 是), which the Python parser reads once per distinct cell, plus a
few bad cells. On a shared machine the CPU time is the steadier figure; the ratio is what runs
side by side share.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
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


SWEEP = ["--sweep", "rd-investment-subsidy.max=10万..200万/10万"]  # 20 values


def timed(args: list[str]) -> tuple[float, float, int, bytes]:
    """(wall seconds, CPU seconds, peak resident KiB of the process, its stdout), pinned to one
    core where `taskset` is there."""
    if shutil.which("taskset"):
        args = ["taskset", "-c", "0", *args]
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(args, stdout=out, stderr=subprocess.DEVNULL)
        _, _, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        stdout = out.read()
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, stdout


def parquet(source: Path, target: Path) -> None:
    """The CSV file's rows as a Parquet file, every column text (as DuckDB's COPY writes it),
    written by another process: this one stays small, as the runs it starts begin as a copy of
    it (their peak memory counts it)."""
    code = ("import duckdb, sys; c = duckdb.connect(); c.execute(\"CREATE TABLE t AS SELECT * FROM"
            " read_csv('\" + sys.argv[1] + \"', all_varchar = true, header = true)\"); c.execute("
            "\"COPY t TO '\" + sys.argv[2] + \"' (FORMAT parquet)\")")  # fmt: skip
    subprocess.run([sys.executable, "-c", code, str(source), str(target)], check=True)


def compare(runs: dict[str, list[str]], repeat: int) -> dict[str, tuple[float, float, int, bytes]]:
    """Each run's best wall and CPU time of `repeat`, interleaved (load hits all alike)."""
    best: dict[str, tuple[float, float, int, bytes]] = {}
    for _ in range(repeat):
        for name, args in runs.items():
            wall, cpu, rss, out = timed(args)
            old = best.get(name)
            best[name] = (min(wall, old[0]) if old else wall, min(cpu, old[1]) if old else cpu,
                          max(rss, old[2]) if old else rss, out)  # fmt: skip
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--million", action="store_true", help="also 1,000,000 rows, once")
    options = parser.parse_args()
    subsidy = str(Path(sys.executable).with_name("subsidy"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "profiles.csv"
        generate(path, options.rows)
        parquet(path, path.with_suffix(".parquet"))
        one = [subsidy, "summary", "-f", "json"]
        runs = {
            "python, CSV": [*one, str(path), "--engine", "python"],
            "duckdb, CSV": [*one, str(path)],
            "duckdb, Parquet": [*one, str(path.with_suffix(".parquet"))],
            "duckdb, CSV, 20-value sweep": [*one, str(path), *SWEEP],
        }
        best = compare(runs, options.repeat)
        report(options.rows, options.repeat, best)
        if options.million:
            path = Path(folder) / "million.csv"
            generate(path, 1_000_000)
            parquet(path, path.with_suffix(".parquet"))
            million = compare({"duckdb, CSV": [*one, str(path)],
                               "duckdb, Parquet": [*one, str(path.with_suffix(".parquet"))]}, 1)
            print("1,000,000 rows, once:")
            for name, (wall, cpu, rss, _) in million.items():
                print(f"  {name:28} {wall:8.2f} s wall, {cpu:8.2f} s CPU,"
                      f" peak {rss / 1024:6.0f} MB")


def report(rows: int, repeat: int, best: dict[str, tuple[float, float, int, bytes]]) -> None:
    print(f"{rows:,} rows, best of {repeat}, one core, process start included")
    python = best["python, CSV"]
    for name, (wall, cpu, rss, _) in best.items():
        print(f"  {name:28} {wall:8.2f} s wall, {cpu:8.2f} s CPU, peak {rss / 1024:6.0f} MB,"
              f" {python[0] / wall:5.1f}x by the wall, {python[1] / cpu:5.1f}x by CPU")
    single = best["duckdb, CSV"]
    sweep = best["duckdb, CSV, 20-value sweep"]
    print(f"  the sweep costs {sweep[0] / single[0]:.1f}x one summary by the wall,"
          f" {sweep[1] / single[1]:.1f}x by CPU")
    same = python[3] == single[3] == best["duckdb, Parquet"][3] != b""
    print(f"  JSON byte-identical (python CSV, duckdb CSV, duckdb Parquet): {same}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
