"""Start-up cost of `subsidy`, side by side with the framework floor.

The floor is a bare Python process that imports typer and defines one pydantic model; the goal is
that `subsidy calc PROFILE --format json` and `subsidy --help` each cost at most 1.25x the floor.
Runs are interleaved so that machine noise hits every command alike; the median is reported.

    python benchmarks/startup.py [--runs 30]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = "import typer\nfrom pydantic import BaseModel\nclass M(BaseModel):\n    a: int = 0\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    subsidy = shutil.which("subsidy") or sys.exit("install the package first: pip install .")
    with tempfile.TemporaryDirectory() as tmp:
        floor = Path(tmp) / "floor.py"
        floor.write_text(FLOOR, encoding="utf-8")
        profile = ROOT / "examples" / "enterprise.json"
        env = {**os.environ, "SUBSIDYCLI_CACHE_DIR": str(Path(tmp) / "cache")}
        commands = {
            "floor (typer + one pydantic model)": [sys.executable, str(floor)],
            "subsidy calc PROFILE --format json": [
                subsidy,
                "calc",
                str(profile),
                "--format",
                "json",
            ],
            "subsidy --help": [subsidy, "--help"],
        }
        first = time.perf_counter()
        subprocess.run(commands["subsidy calc PROFILE --format json"], env=env, check=True,
                       capture_output=True)  # fmt: skip
        cold = time.perf_counter() - first
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                start = time.perf_counter()
                subprocess.run(command, env=env, check=True, capture_output=True)
                times[name].append(time.perf_counter() - start)
    base = statistics.median(times["floor (typer + one pydantic model)"])
    print(f"{'command':40} {'median ms':>10} {'× floor':>8}")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:40} {median * 1000:10.1f} {median / base:8.2f}")
    ratio = cold / base
    print(f"first calc with an empty validation cache: {cold * 1000:.1f} ms ({ratio:.2f}× floor)")


if __name__ == "__main__":
    main()
