"""Start-up cost of `subsidy`, side by side with the framework floor.

Two floors: a bare Python process that imports typer and defines one pydantic model, and a bare
typer app with one pydantic model showing a command's `--help`. The goals: `subsidy calc PROFILE
--format json` and `subsidy --help` each cost at most 1.25x the first; `subsidy calc --help`, in
English and under a Chinese locale, at most 1.25x the second. Runs are interleaved so that machine
noise hits every command alike; the median is reported.

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
APP_FLOOR = FLOOR + (
    "app = typer.Typer()\n"
    "@app.command()\n"
    "def calc(profile: str = '', fmt: str = 'table') -> None:\n"
    "    'Calculate.'\n"
    "@app.command()\n"
    "def other() -> None:\n"
    "    'Something else.'\n"
    "app()\n"
)
BARE = "floor: import typer, one pydantic model"
BARE_APP = "floor: typer app, one pydantic model, calc --help"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    subsidy = shutil.which("subsidy") or sys.exit("install the package first: pip install .")
    with tempfile.TemporaryDirectory() as tmp:
        floor, app_floor = Path(tmp) / "floor.py", Path(tmp) / "app_floor.py"
        floor.write_text(FLOOR, encoding="utf-8")
        app_floor.write_text(APP_FLOOR, encoding="utf-8")
        profile = ROOT / "examples" / "enterprise.json"
        env = {**os.environ, "SUBSIDYCLI_CACHE_DIR": str(Path(tmp) / "cache"), "LANG": "C.UTF-8"}
        zh = {**env, "LANG": "zh_CN.UTF-8"}
        calc = [subsidy, "calc", str(profile), "--format", "json"]
        commands = {
            BARE: ([sys.executable, str(floor)], env, BARE),
            "subsidy calc PROFILE --format json": (calc, env, BARE),
            "subsidy --help": ([subsidy, "--help"], env, BARE),
            BARE_APP: ([sys.executable, str(app_floor), "calc", "--help"], env, BARE_APP),
            "subsidy calc --help": ([subsidy, "calc", "--help"], env, BARE_APP),
            "subsidy calc --help (LANG=zh_CN.UTF-8)": ([subsidy, "calc", "--help"], zh, BARE_APP),
        }
        for env_vars in (env, zh):
            env_vars.pop("LC_ALL", None)
            env_vars.pop("LC_MESSAGES", None)
        first = time.perf_counter()
        subprocess.run(calc, env=env, check=True, capture_output=True)
        cold = time.perf_counter() - first
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, (command, command_env, _) in commands.items():
                start = time.perf_counter()
                subprocess.run(command, env=command_env, check=True, capture_output=True)
                times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(samples) for name, samples in times.items()}
    print(f"{'command':50} {'median ms':>10} {'× its floor':>12}")
    for name, (_, _, floor_name) in commands.items():
        ratio = medians[name] / medians[floor_name]
        print(f"{name:50} {medians[name] * 1000:10.1f} {ratio:12.2f}")
    ratio = cold / medians[BARE]
    print(f"first calc with an empty validation cache: {cold * 1000:.1f} ms ({ratio:.2f}× floor)")


if __name__ == "__main__":
    main()
