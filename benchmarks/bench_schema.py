"""Schema validation throughput: kserve-gitops validate vs kubeconform vs kubernetes-validate.

Generates a fleet of 10,000 objects (Deployments, Services, ConfigMaps and KServe InferenceServices, 100
per file) and validates the same files with:

- ``kserve-gitops validate DIR`` as a fresh process (startup included; warm CRD conversion and parsed-file
  caches, as in CI after the first run with its cache restored; and again with ``--no-cache``, every file
  parsed afresh) and in process, with the schema and KServe checks and without the policy gate and
  the admission stage (``bench_policy`` and ``bench_admission`` measure those), as kubeconform checks
  schemas only;
- the pinned ``kubeconform`` binary over the same converted schemas (kubeconform's schema-location layout);
- the ``kubernetes-validate`` CLI (core kinds only: it has no CRD support), on a sample of files, since it
  takes about a second per few hundred objects; its throughput is extrapolated from the sample.

The same 10,000 objects are also validated as one file (a rendered environment), by us and by kubeconform.

Targets (2-core machine, whole process): 10,000 objects in 100 files < 1.5 s and in one file < 2 s, at least
2x kubeconform on the same files, >= 50x kubernetes-validate; ``targets_met`` judges the run with the
parsed-file cache warm, ``targets_met_parsing_every_file`` the run with every file parsed. With --write the
figures go to benchmarks/results-schema.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results-schema.json"
PER_FILE = 100
KSERVE_VERSION = "v0.20.0"
KUBERNETES_VERSION = "1.32"


def fleet(count: int) -> dict[str, list[dict]]:
    """{file name: objects}; four kinds in equal parts, every object valid."""
    makers = {
        "deployment": lambda i: {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": f"web-{i}", "namespace": "apps", "labels": {"app": f"web-{i}"}},
            "spec": {
                "replicas": 2, "selector": {"matchLabels": {"app": f"web-{i}"}},
                "template": {
                    "metadata": {"labels": {"app": f"web-{i}"}},
                    "spec": {"containers": [{
                        "name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 8080, "name": "http"}],
                        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                        "env": [{"name": "MODE", "value": "fast"}],
                    }]},
                },
            },
        },
        "service": lambda i: {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": f"web-{i}", "namespace": "apps"},
            "spec": {"selector": {"app": f"web-{i}"}, "ports": [{"port": 80, "targetPort": "http"}]},
        },
        "configmap": lambda i: {
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"settings-{i}", "namespace": "apps"},
            "data": {"mode": "fast", "level": str(i)},
        },
        "inferenceservice": lambda i: {
            "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": f"model-{i}", "namespace": "models", "labels": {"team": "ml"}},
            "spec": {"predictor": {"minReplicas": 1, "model": {
                "modelFormat": {"name": "sklearn"}, "storageUri": f"s3://bucket/model-{i}",
                "resources": {"requests": {"cpu": "1", "memory": "1Gi"}},
            }}},
        },
    }
    files: dict[str, list[dict]] = {}
    per_kind = count // len(makers)
    for kind, make in makers.items():
        for start in range(0, per_kind, PER_FILE):
            files[f"{kind}-{start // PER_FILE:03d}.yaml"] = [make(i) for i in range(start, min(start + PER_FILE, per_kind))]
    return files


def timed(command: list[str], **kw) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, **kw)
    return time.perf_counter() - start, proc


def best_of(n: int, command: list[str], ok=(0,), **kw) -> float:
    times = []
    for _ in range(n):
        seconds, proc = timed(command, **kw)
        if proc.returncode not in ok:
            raise SystemExit(f"{command[0]} failed ({proc.returncode}): {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        times.append(seconds)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--kv-sample-files", type=int, default=3, help="files per core kind for kubernetes-validate")
    parser.add_argument("--write", action="store_true", help=f"record the figures in {RESULTS.name}")
    args = parser.parse_args()

    os.environ.setdefault("KSERVE_GITOPS_CRDS", str(ROOT.parent / "shared" / "crds"))
    os.environ.setdefault("KSERVE_GITOPS_TOOLS", str(ROOT / ".tools" / "bin"))
    from kserve_gitops.tools import find_tool
    from kserve_gitops.validate.kubeconform import CORE_TEMPLATE, GROUPED_TEMPLATE, write_schemas
    from kserve_gitops.validate.run import ValidateOptions, default_crd_roots, validate_paths
    from kserve_gitops.validate.schemas import CrdLibrary, SchemaSet

    files = fleet(args.objects)
    total = sum(len(v) for v in files.values())
    with tempfile.TemporaryDirectory(prefix="bench-schema-") as tmp:
        work = Path(tmp)
        data = work / "fleet"
        data.mkdir()
        for name, objects in files.items():
            (data / name).write_text(yaml.safe_dump_all(objects, sort_keys=False))
        single = work / "one" / "rendered.yaml"  # the same objects as one rendered environment
        single.parent.mkdir()
        single.write_text("---\n".join((data / name).read_text() for name in sorted(files)))

        # ours, in process (after one warm-up run that fills the CRD conversion cache)
        options = ValidateOptions(kserve_version=KSERVE_VERSION, kubernetes_version=KUBERNETES_VERSION, policies=False, admission=False)
        warm = validate_paths([str(data)], options, root=ROOT)
        assert warm.findings == [], [f.message for f in warm.findings[:5]]
        in_process = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            validate_paths([str(data)], options, root=ROOT)
            in_process.append(time.perf_counter() - start)

        # ours, as a fresh process: what a CI step pays
        ours_cmd = [sys.executable, "-m", "kserve_gitops", "validate", str(data), "--kserve-version", KSERVE_VERSION,
                    "--kubernetes-version", KUBERNETES_VERSION, "--summary", "--no-policy", "--no-admission"]
        ours = best_of(args.repeat, ours_cmd, cwd=ROOT)
        ours_single = best_of(args.repeat, [*ours_cmd[:4], str(single), *ours_cmd[5:]], cwd=ROOT)
        # and with every file parsed afresh (--no-cache): a first run, or files that all changed
        ours_cold = best_of(args.repeat, [*ours_cmd, "--no-cache"], cwd=ROOT)
        ours_single_cold = best_of(args.repeat, [*ours_cmd[:4], str(single), *ours_cmd[5:], "--no-cache"], cwd=ROOT)

        # kubeconform over the same schemas
        library = CrdLibrary(roots=default_crd_roots(ROOT))
        schema_set = SchemaSet(kubernetes_version=KUBERNETES_VERSION, crd_files=library.crd_files(KSERVE_VERSION))
        schemas = work / "schemas"
        keys = {(o["apiVersion"], o["kind"]) for objs in files.values() for o in objs}
        assert not write_schemas(schemas, schema_set, keys)
        kubeconform = find_tool("kubeconform")
        kc_cmd = [kubeconform, "-summary", "-schema-location", f"{schemas}/{GROUPED_TEMPLATE}",
                  "-schema-location", f"{schemas}/{CORE_TEMPLATE}", str(data)]
        kc = best_of(args.repeat, kc_cmd)
        kc_single = best_of(args.repeat, [*kc_cmd[:-1], str(single)])

        # kubernetes-validate on a sample of core-kind files
        sample = [data / n for n in sorted(files) if not n.startswith("inferenceservice")]
        by_kind: dict[str, list[Path]] = {}
        for path in sample:
            by_kind.setdefault(path.name.split("-")[0], []).append(path)
        sample = [p for paths in by_kind.values() for p in paths[: args.kv_sample_files]]
        sample_objects = sum(len(files[p.name]) for p in sample)
        kv_cmd = [str(Path(sys.executable).parent / "kubernetes-validate"), "--quiet", "-k", "1.32.0", *map(str, sample)]
        kv = best_of(1, kv_cmd)

    ours_rate = total / ours
    result = {
        "objects": total,
        "files": len(files),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "kserve_gitops": {"seconds_process": round(ours, 3), "seconds_in_process": round(min(in_process), 3),
                          "seconds_one_file": round(ours_single, 3), "objects_per_second": round(ours_rate),
                          "seconds_process_parsing_every_file": round(ours_cold, 3),
                          "seconds_one_file_parsing_it": round(ours_single_cold, 3)},
        "kubeconform": {"seconds": round(kc, 3), "seconds_one_file": round(kc_single, 3), "objects_per_second": round(total / kc)},
        "kubernetes_validate": {"sample_objects": sample_objects, "seconds": round(kv, 3),
                                "objects_per_second": round(sample_objects / kv, 1)},
        "ratio_vs_kubeconform": round(ours_rate / (total / kc), 2),
        "ratio_vs_kubeconform_one_file": round(kc_single / ours_single, 2),
        "ratio_vs_kubeconform_parsing_every_file": round(kc / ours_cold, 2),
        "ratio_vs_kubeconform_one_file_parsing_it": round(kc_single / ours_single_cold, 2),
        "ratio_vs_kubernetes_validate": round(ours_rate / (sample_objects / kv), 1),
        "targets": {"ratio_vs_kubeconform": 2.0, "ratio_vs_kubernetes_validate": 50, "seconds_for_10000": 1.5,
                    "seconds_for_10000_one_file": 2.0},
    }
    result["targets_met"] = (
        result["ratio_vs_kubeconform"] >= 2.0
        and result["ratio_vs_kubeconform_one_file"] >= 2.0
        and result["ratio_vs_kubernetes_validate"] >= 50
        and (ours * 10_000 / total) < 1.5
        and (ours_single * 10_000 / total) < 2.0
    )
    # the same targets with no parsed-file cache to read (a first run, or every file changed)
    result["targets_met_parsing_every_file"] = (
        result["ratio_vs_kubeconform_parsing_every_file"] >= 2.0
        and result["ratio_vs_kubeconform_one_file_parsing_it"] >= 2.0
        and (ours_cold * 10_000 / total) < 1.5
        and (ours_single_cold * 10_000 / total) < 2.0
    )
    if args.write:
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
