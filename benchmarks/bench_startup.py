"""Start-up cost: the imports `kserve-gitops --help` and the start of `validate` pay before any work.

Each command's module is imported in a fresh interpreter under ``python -X importtime``; the figure is the
cumulative import time of the CLI's entry module (the best of --repeat runs), and the heaviest imports are
listed. Bytecode caching is on, as for an installed package (pip compiles on install), whatever
PYTHONDONTWRITEBYTECODE says. Target (issue 16): under 150 ms for both.

Beside it, what the import figure leaves out: a whole ``validate`` of one small file (an InferenceService)
as a fresh process, wall clock, with everything it loads on the way (schemas, policy engine, admission
helper). With --write the figures go to benchmarks/results-startup.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results-startup.json"
TARGET_MS = 150
# what each command imports before it does anything: the root group for --help; validate's own module
COMMANDS = {
    "--help": "kserve_gitops.cli.main",
    "validate": "kserve_gitops.cli.validate_cmd",
}
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
ENV["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
ROOT = Path(__file__).resolve().parents[1]
ONE_MODEL = """apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: sklearn-iris
  namespace: models-dev
spec:
  predictor:
    model:
      modelFormat:
        name: sklearn
      storageUri: s3://acme-models-dev/sklearn/iris/v1
      resources:
        requests: {cpu: 100m, memory: 256Mi}
        limits: {cpu: "1", memory: 1Gi}
"""
LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)$")


def import_profile(module: str) -> tuple[float, list[tuple[str, float]]]:
    """(cumulative ms of ``module``, the ten heaviest modules by self time)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True, text=True, check=True, env=ENV,
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


def one_file_run(repeat: int) -> float:
    """Best wall-clock seconds of ``kserve-gitops validate model.yaml -e dev`` in the example repo."""
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        model = Path(tmp) / "model.yaml"
        model.write_text(ONE_MODEL)
        best = float("inf")
        for _ in range(repeat + 1):  # the first run fills the caches a CI job restores
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "kserve_gitops", "validate", str(model), "-e", "dev", "--summary"],
                                  cwd=ROOT, env=ENV, capture_output=True, text=True)
            if proc.returncode not in (0, 1):  # findings are fine (a lone model has no NetworkPolicy); a crash is not
                raise SystemExit(f"validate failed ({proc.returncode}): {proc.stderr[-2000:]}")
            best = min(best, time.perf_counter() - start)
    return best


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
    result["validate_one_file_seconds"] = round(one_file_run(args.repeat), 3)
    if args.write:
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
