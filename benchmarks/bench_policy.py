"""Policy throughput: the built-in library (kserve_gitops/policy_library) over rendered objects, regorus in process vs OPA.

Two corpora, both from this repo's real rendered environments (kustomize on overlays/<env>):

- ``repo-mix``: every environment's rendered objects (platform objects and models, as ArgoCD syncs them),
  evaluated environment after environment (data set once per environment, as ``validate`` does) and
  repeated until about 5,000 objects have been evaluated;
- ``model-fleet``: one environment with its platform objects and 1,000 InferenceServices (copies of the
  repo's models under new names): the worst case, since InferenceServices are what most rules look at.

Each engine loads the policies once and sets data.inventory/data.params once per environment; the timed part
is ``evaluate`` over every object (regorus: one driver entry per object, large batches split over the cores
in forked processes; ``regorus-1`` is the same engine in one process; OPA: batches of 500 objects per
request to a local ``opa run --server``). ``set_data`` (loading an environment, precomputing its facts) is
timed separately and reported with it as ``objects_per_second_with_data``.
Target: >= 5,000 objects/s for regorus on repo-mix.
Results go to benchmarks/results-policy.json.
"""

from __future__ import annotations

import copy
import json
import os
import platform
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results-policy.json"
TARGET = 5000


def rendered(env: str) -> list[dict]:
    from kserve_gitops.render.kustomize import find_renderer, render

    return [d for d in yaml.safe_load_all(render(str(ROOT / "overlays" / env), renderer=find_renderer())) if d]


def renamed(objects: list[dict], suffix: str) -> list[dict]:
    out = []
    for obj in objects:
        obj = copy.deepcopy(obj)
        obj["metadata"]["name"] = f"{obj['metadata']['name']}-{suffix}"
        out.append(obj)
    return out


def corpora(config) -> dict[str, list[tuple[str, list[dict]]]]:
    """{corpus: [(environment, objects)]}"""
    envs = {name: rendered(name) for name in config.promotion_order}
    per_round = sum(len(objs) for objs in envs.values())
    rounds = max(1, round(5000 / per_round))
    repo_mix = [(name, objs) for _ in range(rounds) for name, objs in envs.items()]
    dev = envs["dev"]
    models = [o for o in dev if o["kind"] == "InferenceService"]
    platform_objs = [o for o in dev if o["kind"] != "InferenceService"]
    fleet = platform_objs + [o for i in range(1000 // len(models) + 1) for o in renamed(models, f"m{i}")][:1000]
    return {"repo-mix": repo_mix, "model-fleet": [("dev", fleet)]}


def run(engine_name: str, corpus: list[tuple[str, list[dict]]], config) -> dict:
    from kserve_gitops.validate.policy import LIBRARY_DIR, load_bundle, make_engine
    from kserve_gitops.validate.policy.evaluate import policy_data

    t0 = time.perf_counter()
    bundle = load_bundle([LIBRARY_DIR])
    engine_name, _, workers = engine_name.partition("-")
    with make_engine(engine_name, bundle) as engine:
        if workers:
            engine.workers = int(workers)
        load_seconds = time.perf_counter() - t0
        objects = findings = 0
        eval_seconds = data_seconds = 0.0
        for env, objs in corpus:
            t = time.perf_counter()
            engine.set_data(policy_data(objs, config.environment(env).params()))
            data_seconds += time.perf_counter() - t
            t = time.perf_counter()
            results = engine.evaluate(objs)
            eval_seconds += time.perf_counter() - t
            objects += len(objs)
            findings += sum(len(r) for r in results)
    return {
        "objects": objects,
        "findings": findings,
        "load_seconds": round(load_seconds, 3),
        "set_data_seconds": round(data_seconds, 3),
        "evaluate_seconds": round(eval_seconds, 3),
        "objects_per_second": round(objects / eval_seconds),
        "objects_per_second_with_data": round(objects / (eval_seconds + data_seconds)),
    }


def main() -> int:
    os.chdir(ROOT)
    from kserve_gitops.inputs.config import load_config

    config = load_config(ROOT / "kserve-gitops.yaml")
    from kserve_gitops.validate.policy.forked import default_workers

    results: dict = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "regorus_workers": default_workers()},
        "target_objects_per_second": TARGET,
    }
    for corpus_name, corpus in corpora(config).items():
        results[corpus_name] = {}
        for engine in ("regorus", "regorus-1", "opa"):
            best = None
            for _ in range(3):  # the machine is shared: keep the best of three
                r = run(engine, corpus, config)
                if best is None or r["objects_per_second"] > best["objects_per_second"]:
                    best = r
            results[corpus_name][engine] = best
            print(f"{corpus_name:12} {engine:9} {best['objects']:6} objects {best['objects_per_second']:7} objects/s", file=sys.stderr)
    results["target_met"] = results["repo-mix"]["regorus"]["objects_per_second"] >= TARGET
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
