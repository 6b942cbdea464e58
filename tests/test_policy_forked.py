"""Large batches are evaluated in forked processes: same verdicts in the same order, failures fail closed."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

import kserve_gitops.validate.run  # noqa: F401  (registers the checks before the policy modules)
from kserve_gitops.errors import EXIT_ENVIRONMENT, PolicyError
from kserve_gitops.validate.policy import load_bundle, make_engine
from kserve_gitops.validate.policy.evaluate import policy_data
from kserve_gitops.validate.policy.forked import WORKERS_VARIABLE, default_workers, map_chunks

POLICY = """package t

import rego.v1

deny contains sprintf("%s has %d replicas", [input.metadata.name, n]) if {
	n := to_number(input.spec.replicas)
	n < 2
}
"""


def deployment(name: str, replicas) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "ns"}, "spec": {"replicas": replicas}}


def evaluate(tmp_path: Path, objects: list[dict], workers: int):
    (tmp_path / "t.rego").write_text(POLICY)
    with make_engine("regorus", load_bundle([tmp_path])) as engine:
        engine.workers = workers
        engine.set_data(policy_data(objects, {}))
        return engine.evaluate(objects)


def test_forked_evaluation_gives_the_same_results_in_the_same_order(tmp_path: Path):
    objects = [deployment(f"d{i}", i % 3) for i in range(301)]
    serial = evaluate(tmp_path, objects, workers=1)
    forked = evaluate(tmp_path, objects, workers=3)
    assert forked == serial
    assert [len(r) for r in forked] == [1 if i % 3 < 2 else 0 for i in range(301)]
    assert forked[-1][0].message == "d300 has 0 replicas"


def test_an_error_in_a_forked_worker_fails_the_run_with_the_policy_location(tmp_path: Path):
    objects = [deployment(f"d{i}", 3) for i in range(300)]
    objects[250]["spec"]["replicas"] = "many"  # to_number fails: only the second worker sees it
    with pytest.raises(PolicyError) as err:
        evaluate(tmp_path, objects, workers=2)
    assert err.value.exit_code == EXIT_ENVIRONMENT
    assert str(err.value.path).endswith("t.rego") and err.value.line == 6
    assert "Deployment/ns/d250" in err.value.message


def test_a_worker_that_dies_is_an_error_not_a_pass():
    parent = os.getpid()

    def evaluate_chunk(chunk):
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return [x * 2 for x in chunk]

    with pytest.raises(PolicyError, match="ended without a result .killed by signal 9"):
        map_chunks(evaluate_chunk, list(range(10)), 2)
    assert map_chunks(lambda chunk: [x * 2 for x in chunk], list(range(10)), 3) == [x * 2 for x in range(10)]


def test_workers_come_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(WORKERS_VARIABLE, "1")
    assert default_workers() == 1
    monkeypatch.setenv(WORKERS_VARIABLE, "two")
    with pytest.raises(PolicyError, match=WORKERS_VARIABLE):
        default_workers()
    monkeypatch.delenv(WORKERS_VARIABLE)
    assert 1 <= default_workers() <= len(os.sched_getaffinity(0))
