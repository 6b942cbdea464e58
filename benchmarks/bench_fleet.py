"""Fleet benchmark: N models x E environments, each stage timed as a real CLI process.

    python -m benchmarks.bench_fleet --models 100 1000 --repeat 3

For every N it generates a platform repo (``benchmarks/fleet.py``), then times: synth, synth --check,
validate with schemas only, validate with policies only, the full validate, and validate of one
environment after changing one model (with the render cache warmed by the earlier validates, and with
--no-cache for comparison). Each stage reports the median wall time, CPU time (user+sys of the
process and its children: kustomize, node) and peak memory (max RSS of the largest process). Results go to
``benchmarks/results-fleet.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from .fleet import generate

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

STAGES = {
    "synth": ["synth"],
    "synth --check": ["synth", "--check"],
    "validate (schemas)": ["validate", "--no-policy"],
    "validate (policies)": ["validate", "--no-schemas"],
    "validate (full)": ["validate"],
}


# A fresh wrapper process per stage, so RUSAGE_CHILDREN (CPU, max RSS) covers that stage alone.
_MEASURE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mib": usage.ru_maxrss / 1024,
                  "exit": proc.returncode, "stderr": proc.stderr[-2000:]}))
"""


def run_stage(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, sys.executable, "-m", "kserve_gitops", *args],
        cwd=cwd, capture_output=True, text=True, check=True, env={**os.environ, **(env or {})},
    )
    result = json.loads(out.stdout)
    if result["exit"] not in (0, 1):
        raise RuntimeError(f"{' '.join(args)} failed ({result['exit']}): {result['stderr']}")
    return result


def median_of(samples: list[dict]) -> dict:
    return {
        "wall_s": round(statistics.median(s["wall_s"] for s in samples), 3),
        "cpu_s": round(statistics.median(s["cpu_s"] for s in samples), 3),
        "peak_rss_mib": round(max(s["peak_rss_mib"] for s in samples), 1),
        "runs": len(samples),
    }


def bench(models: int, environments: int, repeat: int, workdir: Path, crds: Path) -> dict:
    repo = generate(workdir / f"fleet-{models}", models, environments)
    # the full shipped policy library, without this repo's own waivers
    shutil.copytree(REPO / "policies", repo / "policies", ignore=shutil.ignore_patterns("exceptions.yaml"))
    # a cache of its own: the first validate below starts cold, as on a fresh CI runner
    env = {"KSERVE_GITOPS_CRDS": str(crds), "KSERVE_GITOPS_CACHE": str(workdir / f"cache-{models}")}
    results: dict[str, dict] = {}
    for name, args in STAGES.items():
        results[name] = median_of([run_stage(args, repo, env) for _ in range(repeat)])
    # One model changes, synth runs, the affected environment is validated again: as a user would, with
    # the render cache warmed by the validate runs above (each repeat is a new change, so a partial render).
    model = next((repo / "models").iterdir()) / "inferenceservice.yaml"
    original = model.read_text()
    samples, uncached = [], []
    for i in range(repeat):
        model.write_text(original.replace("cpu: 500m", f"cpu: {600 + 50 * i}m", 1))
        run_stage(["synth"], repo, env)
        samples.append(run_stage(["validate", "-e", "dev"], repo, env))
        uncached.append(run_stage(["validate", "-e", "dev", "--no-cache"], repo, env))
    results["validate one env after one change"] = median_of(samples)
    results["validate one env (--no-cache)"] = median_of(uncached)
    objects = sum(1 for _ in (repo / "charts").rglob("*.yaml"))
    verdict = run_stage(["validate"], repo, env)["exit"]
    return {"models": models, "environments": environments, "chart_files": objects, "validate_exit": verdict, "stages": results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--environments", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", type=Path, default=HERE / "results-fleet.json")
    parser.add_argument(
        "--crds",
        type=Path,
        default=Path(os.environ.get("KSERVE_GITOPS_CRDS") or REPO.parent / "shared" / "crds"),
        help="CRD folder laid out like shared/crds (default: $KSERVE_GITOPS_CRDS or ../shared/crds)",
    )
    args = parser.parse_args(argv)
    if not args.crds.is_dir():
        parser.error(f"no CRD folder at {args.crds}; pass --crds (the schema stages need the KServe CRDs)")
    workdir = Path(tempfile.mkdtemp(prefix="kserve-gitops-bench-"))
    try:
        runs = [bench(n, args.environments, args.repeat, workdir, args.crds) for n in args.models]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "runs": runs,
    }
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    for run in runs:
        print(f"N={run['models']} E={run['environments']}")
        for stage, r in run["stages"].items():
            print(f"  {stage:36} wall {r['wall_s']:8.2f}s  cpu {r['cpu_s']:8.2f}s  peak {r['peak_rss_mib']:7.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
