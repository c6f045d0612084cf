"""Benchmark: how quickly the command line starts, for scripts that call it once per event.

Three commands (and, for context, the bare interpreter), each run as a fresh process many
times in one go on the same machine, interleaved so that a busy moment hits them alike
(hyperfine-style: warm-up runs first, then the median and the 90th percentile of the
wall-clock times):

- the floor: ``python -c "import pydantic, eventsourcing.application"``, the libraries any
  command that records must load;
- ``trustledger --help``: the command list, loading no command;
- ``trustledger kept H C``: one event recorded into a small SQLite store (each run keeps a
  different open commitment, so every run really records);
- for context, the bare interpreter and the floor plus the smallest pydantic validation (a
  two-field model validated once), which no command that checks a line can go below.

The target: the one-event command within 2x the floor.

Where valgrind is installed, each command also runs once under callgrind and its CPU
instruction count is printed beside the floor's: wall-clock times swing with the machine's
load, instruction counts do not.

Usage: python benchmarks/startup_bench.py [--runs 30] [--warmup 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BIN = Path(sys.executable).parent
MINIMAL_VALIDATION = (
    "import pydantic, eventsourcing.application\n"
    "class M(pydantic.BaseModel):\n    a: int\n    b: str\n"
    "M.model_validate({'a': 1, 'b': 'x'})"
)
TRUSTLEDGER = BIN / "trustledger"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, env=env, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr.decode().strip()}")
    return elapsed


def small_store(directory: Path, commitments: int, env: dict[str, str]) -> Path:
    """An SQLite store with one partnership and ``commitments`` open commitments."""
    store = directory / "events.sqlite"
    lines = [
        {
            "type": "partnership_registered",
            "partnership": "acme",
            "name": "Acme",
            "occurred_on": "2025-01-01",
        }
    ]
    lines += [
        {
            "type": "commitment_made",
            "partnership": "acme",
            "commitment": f"c{n}",
            "by": "us",
            "summary": "Something",
            "due": "2025-06-01",
            "occurred_on": "2025-01-02",
        }
        for n in range(commitments)
    ]
    text = "".join(json.dumps(line) + "\n" for line in lines)
    done = subprocess.run(
        [str(TRUSTLEDGER), "--store", str(store), "record"],
        input=text.encode(),
        capture_output=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"could not build the store: {done.stderr.decode().strip()}")
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    options = parser.parse_args()
    # An installed package has its bytecode compiled (pip does it at install time); a shell
    # with PYTHONDONTWRITEBYTECODE set would make every run compile trustledger's modules
    # from source, which no user pays. The warm-up runs write the bytecode.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TRUSTLEDGER_STORE", "PYTHONDONTWRITEBYTECODE")
    }
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        env["XDG_DATA_HOME"] = str(directory / "data")
        env["XDG_CONFIG_HOME"] = str(directory / "config")
        store = small_store(directory, options.warmup + options.runs + 1, env)
        kept = iter(range(options.warmup + options.runs + 1))
        commands: dict[str, Callable[[], list[str]]] = {
            "floor: import pydantic, eventsourcing.application": lambda: [
                sys.executable,
                "-c",
                "import pydantic, eventsourcing.application",
            ],
            "trustledger --help": lambda: [str(TRUSTLEDGER), "--help"],
            # For context: the interpreter alone, and the least any command that validates
            # a line with pydantic pays: the floor plus one two-field model, validated once.
            "python -c pass": lambda: [sys.executable, "-c", "pass"],
            "floor + one pydantic model validated": lambda: [
                sys.executable,
                "-c",
                MINIMAL_VALIDATION,
            ],
            "trustledger kept H C (SQLite)": lambda: [
                str(TRUSTLEDGER),
                "--store",
                str(store),
                "kept",
                "acme",
                f"c{next(kept)}",
            ],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for run in range(options.warmup + options.runs):
            for name, args in commands.items():
                elapsed = timed(args(), env)
                if run >= options.warmup:
                    times[name].append(elapsed)
        counted = instructions(commands, env)
    floor = statistics.median(next(iter(times.values())))
    print(f"{options.runs} runs each after {options.warmup} warm-up runs, interleaved")
    print(f"{'command':<50} {'median':>8} {'p90':>8} {'x floor':>8}")
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"{name:<50} {median * 1000:>6.0f}ms {percentile(values, 0.9) * 1000:>6.0f}ms "
            f"{median / floor:>7.2f}x"
        )
    if counted:
        base = next(iter(counted.values()))
        print("\nCPU instructions of one run (valgrind's callgrind; no other load disturbs them)")
        for name, count in counted.items():
            print(f"{name:<50} {count / 1e6:>7,.0f} M {count / base:>7.2f}x")
    else:
        print("\n(valgrind not found: no instruction counts)")


def instructions(
    commands: dict[str, Callable[[], list[str]]], env: dict[str, str]
) -> dict[str, int]:
    """Each command's instruction count, one run under callgrind (empty without valgrind)."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return {}
    counted: dict[str, int] = {}
    for name, args in commands.items():
        done = subprocess.run(
            [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", *args()],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        found = re.search(r"Collected : (\d+)", done.stderr)
        if done.returncode != 0 or found is None:
            raise SystemExit(f"callgrind failed for {name}: {done.stderr.strip()[-300:]}")
        counted[name] = int(found.group(1))
    return counted


if __name__ == "__main__":
    main()
