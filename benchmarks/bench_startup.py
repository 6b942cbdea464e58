"""Start-up cost: the imports `kserve-gitops --help` and the start of `validate` pay before any work.

Each command's module is imported in a fresh interpreter under ``python -X importtime``; the figure is the
cumulative import time of the CLI's entry module (the best of --repeat runs), and the heaviest imports are
listed. Target (issue 16): under 150 ms for both. With --write the figures go to benchmarks/results-startup.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results-startup.json"
TARGET_MS = 150
# what each command imports before it does anything: the root group for --help; validate's own module
COMMANDS = {
    "--help": "kserve_gitops.cli.main",
    "validate": "kserve_gitops.cli.validate_cmd",
}
LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)$")


def import_profile(module: str) -> tuple[float, list[tuple[str, float]]]:
    """(cumulative ms of ``module``, the ten heaviest modules by self time)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True, text=True, check=True,
        env={**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"},
    )
    total, own = 0.0, []
    for line in proc.stderr.splitlines():
        match = LINE.match(line)
        if not match:
            continue
        self_us, cumulative_us, _, name = match.groups()
        own.append((name, int(self_us) / 1000))
        if name == module:
            total = int(cumulative_us) / 1000
    return total, sorted(own, key=lambda item: -item[1])[:10]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", action="store_true", help=f"record the figures in {RESULTS.name}")
    args = parser.parse_args()
    result: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "target_ms": TARGET_MS, "commands": {}}
    for command, module in COMMANDS.items():
        runs = [import_profile(module) for _ in range(args.repeat)]
        best, heaviest = min(runs, key=lambda run: run[0])
        result["commands"][command] = {"module": module, "import_ms": round(best, 1),
                                       "heaviest_ms": {name: round(ms, 1) for name, ms in heaviest}}
    result["targets_met"] = all(c["import_ms"] < TARGET_MS for c in result["commands"].values())
    if args.write:
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
