"""The fleet benchmark runs end to end at small N (it is checked to work, not timed)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from benchmarks.bench_fleet import STAGES, main
from benchmarks.fleet import generate


def test_generated_fleet_has_the_realistic_mix(tmp_path: Path) -> None:
    repo = generate(tmp_path / "fleet", 10, 3)
    kinds = set()
    for model in (repo / "models").iterdir():
        isvc = yaml.safe_load((model / "inferenceservice.yaml").read_text())
        kinds.add(isvc["spec"]["predictor"]["model"]["modelFormat"]["name"])
        if "transformer" in isvc["spec"]:
            kinds.add("transformer")
        if "nodeSelector" in isvc["spec"]["predictor"]:
            kinds.add("gpu")
    assert kinds == {"sklearn", "xgboost", "pytorch", "transformer", "gpu"}
    assert any((m / "staging.yaml").exists() for m in (repo / "models").iterdir())  # canaries


def test_small_fleet_benchmark_runs_every_stage(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    assert main(["--models", "5", "--repeat", "1", "--output", str(output)]) == 0
    report = json.loads(output.read_text())
    (run,) = report["runs"]
    assert run["models"] == 5 and run["environments"] == 3
    assert set(STAGES) | {"validate one env after one change", "validate one env (--no-cache)"} == set(run["stages"])
    assert run["validate_exit"] == 0  # the generated fleet passes schemas and the whole policy library
    yardsticks = run["yardsticks"]
    assert yardsticks["objects"] > 5
    assert yardsticks["schemas"]["ratio_vs_kubeconform"] > 0 and yardsticks["policies"]["ratio_vs_conftest"] > 0
    for stage in run["stages"].values():
        assert stage["wall_s"] > 0 and stage["peak_rss_mib"] > 0
