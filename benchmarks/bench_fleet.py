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
import time
from pathlib import Path

import yaml

from .fleet import generate

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

STAGES = {
    "synth": ["synth"],
    "synth --check": ["synth", "--check"],
    "validate (schemas)": ["validate", "--no-policy"],
    "validate (policies)": ["validate", "--no-schemas"],
    "validate (full, cold cache)": ["validate", "--no-cache"],
    "validate (full)": ["validate"],
    "validate (full, no admission)": ["validate", "--no-admission"],
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
    # the built-in policy library runs on its own (no repo policies/, so none of this repo's waivers)
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
    return {
        "models": models,
        "environments": environments,
        "chart_files": objects,
        "validate_exit": verdict,
        "stages": results,
        "yardsticks": yardsticks(repo, env, workdir / f"yardsticks-{models}", repeat),
    }


def yardsticks(repo: Path, env: dict[str, str], workdir: Path, repeat: int) -> dict:
    """The same rendered environment (dev) through kubeconform, conftest and the kubernetes-validate CLI,
    against our own engines on the same files, each as a process: schema and policy throughput ratios."""
    from kserve_gitops.inputs.repo import load_inputs
    from kserve_gitops.tools import find_tool
    from kserve_gitops.validate.kubeconform import CORE_TEMPLATE, GROUPED_TEMPLATE, write_schemas
    from kserve_gitops.validate.run import default_crd_roots
    from kserve_gitops.validate.schemas import CrdLibrary, SchemaSet

    workdir.mkdir(parents=True)
    rendered = subprocess.run(
        [sys.executable, "-m", "kserve_gitops", "render", "dev"], cwd=repo, capture_output=True, text=True, check=True,
        env={**os.environ, **env},
    ).stdout
    objects = [d for d in yaml.safe_load_all(rendered) if d]
    manifests = workdir / "dev.yaml"
    manifests.write_text(rendered)
    config, _ = load_inputs(repo)
    dev = config.environment("dev")
    os.environ.update(env)
    library = CrdLibrary(roots=default_crd_roots(repo))
    schema_set = SchemaSet(kubernetes_version=dev.kubernetes_version, crd_files=library.crd_files(dev.kserve_version))
    schemas = workdir / "schemas"
    write_schemas(schemas, schema_set, ((o["apiVersion"], o["kind"]) for o in objects))

    def timed(command: list[str], *, cwd: Path = repo) -> float:
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env={**os.environ, **env})
            samples.append(time.perf_counter() - started)
            if proc.returncode not in (0, 1):
                raise RuntimeError(f"{command[0]} failed ({proc.returncode}): {proc.stderr[-2000:]}")
        return statistics.median(samples)

    ours_schemas = timed([sys.executable, "-m", "kserve_gitops", "validate", "--no-policy", "--kserve-version", dev.kserve_version, str(manifests)])
    kubeconform = timed([
        find_tool("kubeconform"), "-summary",
        "-schema-location", f"{schemas}/{GROUPED_TEMPLATE}", "-schema-location", f"{schemas}/{CORE_TEMPLATE}", str(manifests),
    ])
    # both engines get the same data: the environment's params and the inventory of every rendered object
    from kserve_gitops.validate.policy.evaluate import policy_data

    data = workdir / "data"
    data.mkdir()
    (data / "data.json").write_text(json.dumps(policy_data(objects, dev.params())))
    from kserve_gitops.validate.policy import LIBRARY_DIR

    ours_policies = timed([sys.executable, "-m", "kserve_gitops", "policy", "eval", "-e", "dev", str(manifests)])
    conftest = timed([
        find_tool("conftest"), "test", "--all-namespaces", "--policy", str(LIBRARY_DIR), "--data", str(data), str(manifests),
    ])
    # kubernetes-validate is slow (a schema load per object): time a sample of core objects and extrapolate
    core = [o for o in objects if "." not in o["apiVersion"].split("/")[0] or o["apiVersion"].startswith(("apps/", "networking.k8s.io/", "rbac.authorization.k8s.io/"))]
    sample = workdir / "core-sample.yaml"
    sample.write_text(yaml.safe_dump_all(core[:20]))
    k8s_validate = timed([str(Path(sys.executable).parent / "kubernetes-validate"), "-k", dev.kubernetes_version + ".0", str(sample)])
    per_object_kv = k8s_validate / max(1, len(core[:20]))
    count = len(objects)
    return {
        "objects": count,
        "schemas": {
            "kserve_gitops_s": round(ours_schemas, 3),
            "kubeconform_s": round(kubeconform, 3),
            "ratio_vs_kubeconform": round(kubeconform / ours_schemas, 2),
            "kubernetes_validate_s_per_object": round(per_object_kv, 4),
            "ratio_vs_kubernetes_validate": round(per_object_kv * count / ours_schemas, 1),
        },
        "policies": {
            "kserve_gitops_s": round(ours_policies, 3),
            "conftest_s": round(conftest, 3),
            "ratio_vs_conftest": round(conftest / ours_policies, 2),
        },
    }


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
        y = run["yardsticks"]
        print(f"  dev environment, {y['objects']} objects:")
        print(f"    schemas  {y['schemas']['kserve_gitops_s']:.2f}s vs kubeconform {y['schemas']['kubeconform_s']:.2f}s"
              f" (x{y['schemas']['ratio_vs_kubeconform']}), vs kubernetes-validate x{y['schemas']['ratio_vs_kubernetes_validate']}")
        print(f"    policies {y['policies']['kserve_gitops_s']:.2f}s vs conftest {y['policies']['conftest_s']:.2f}s"
              f" (x{y['policies']['ratio_vs_conftest']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
