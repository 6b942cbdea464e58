"""Admission benchmark: what KServe's webhooks and the API server's CRD validation add to ``validate``.

    python -m benchmarks.bench_admission --models 1000 --repeat 3 [--write]

Generates a fleet (``benchmarks/fleet.py``) of N models, synthesizes it, warms the render cache, then
times ``validate -e dev`` as a real process with and without ``--no-admission`` (medians of --repeat,
interleaved so machine noise hits both alike) and the helper alone on dev's rendered objects (one process
for the environment, as validate runs it). The target: under 1 s added for 1,000 InferenceServices.
Results are printed; ``--write`` also writes ``benchmarks/results-admission.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from .bench_fleet import REPO, run_stage
from .fleet import generate

HERE = Path(__file__).resolve().parent


def helper_alone(repo: Path, env_name: str, repeat: int) -> dict:
    """The helper on the environment's rendered objects, timed from Python as validate calls it."""
    cwd = Path.cwd()
    os.chdir(repo)
    try:
        from kserve_gitops.inputs.config import load_config
        from kserve_gitops.render.cache import render_environment
        from kserve_gitops.validate.admission import admit, wanted
        from kserve_gitops.validate.run import default_crd_roots, objects_from_rendered
        from kserve_gitops.validate.schemas import CrdLibrary, SchemaSet, crd_json_copy

        env = load_config(repo / "kserve-gitops.yaml").environment(env_name)
        rendered = render_environment(Path("overlays") / env_name)
        objects = objects_from_rendered(rendered, environment=env_name, path=f"overlays/{env_name}")
        schema_set = SchemaSet(kubernetes_version=env.kubernetes_version, crd_files=CrdLibrary(roots=default_crd_roots(repo)).crd_files(env.kserve_version))
        kinds = set(schema_set.crd_keys())
        sent = [o.data for o in objects if wanted(o.data, kinds)]
        crds = sorted({crd_json_copy(p) for p in (schema_set.crd_origin(o["apiVersion"], o["kind"]) for o in sent) if p})
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            verdicts = admit(sent, kserve_version=env.kserve_version, deployment_mode=env.deployment_mode, crd_files=crds)
            samples.append(time.perf_counter() - started)
        isvcs = sum(1 for o in sent if o.get("kind") == "InferenceService")
        refused = sum(1 for answer in verdicts if any(v.severity == "error" for v in answer))
        return {"objects": len(sent), "inference_services": isvcs, "refused": refused, "wall_s": round(statistics.median(samples), 3)}
    finally:
        os.chdir(cwd)


def bench(models: int, repeat: int, workdir: Path, crds: Path) -> dict:
    repo = generate(workdir / f"fleet-{models}", models, 3)
    env = {"KSERVE_GITOPS_CRDS": str(crds), "KSERVE_GITOPS_CACHE": str(workdir / "cache")}
    os.environ.update(env)
    run_stage(["synth"], repo, env)
    run_stage(["validate", "-e", "dev", "--no-policy"], repo, env)  # warm the render and CRD caches
    with_admission, without = [], []
    for _ in range(repeat):
        without.append(run_stage(["validate", "-e", "dev", "--no-admission"], repo, env)["wall_s"])
        with_admission.append(run_stage(["validate", "-e", "dev"], repo, env)["wall_s"])
    added = statistics.median(with_admission) - statistics.median(without)
    return {
        "models": models,
        "validate_dev_s": round(statistics.median(with_admission), 3),
        "validate_dev_no_admission_s": round(statistics.median(without), 3),
        "admission_added_s": round(added, 3),
        "helper_alone": helper_alone(repo, "dev", repeat),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, nargs="+", default=[1000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="write benchmarks/results-admission.json")
    parser.add_argument("--output", type=Path, default=HERE / "results-admission.json")
    parser.add_argument("--crds", type=Path, default=Path(os.environ.get("KSERVE_GITOPS_CRDS") or REPO.parent / "shared" / "crds"))
    args = parser.parse_args(argv)
    if not args.crds.is_dir():
        parser.error(f"no CRD folder at {args.crds}; pass --crds")
    workdir = Path(tempfile.mkdtemp(prefix="kserve-gitops-bench-admission-"))
    try:
        runs = [bench(n, args.repeat, workdir, args.crds) for n in args.models]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}, "runs": runs}
    for run in runs:
        alone = run["helper_alone"]
        print(
            f"N={run['models']}: validate -e dev {run['validate_dev_s']:.2f}s, --no-admission {run['validate_dev_no_admission_s']:.2f}s,"
            f" admission adds {run['admission_added_s']:.2f}s; helper alone {alone['wall_s']:.2f}s for {alone['objects']} objects"
            f" ({alone['inference_services']} InferenceServices, {alone['refused']} refused)"
        )
    if args.write:
        args.output.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
