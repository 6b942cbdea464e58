"""Property-based: mutated InferenceServices never crash validate, and every mutation the schema forbids is
flagged (python-jsonschema on the same converted schema is the oracle for our jsonschema-rs engine)."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO
from kserve_gitops.inputs.repo import load_inputs
from kserve_gitops.render.kustomize import render
from kserve_gitops.results import LoadedObject
from kserve_gitops.validate.run import ValidateOptions, default_crd_roots, validate_objects
from kserve_gitops.validate.schemas import CrdLibrary, SchemaSet

ENV = "staging"


@pytest.fixture(scope="module")
def setting():
    config, _ = load_inputs(REPO)
    env = config.environment(ENV)
    docs = [d for d in yaml.safe_load_all(render(REPO / "overlays" / ENV)) if d]
    isvcs = [d for d in docs if d["kind"] == "InferenceService"]
    library = CrdLibrary(roots=default_crd_roots(REPO))
    schema_set = SchemaSet(kubernetes_version=env.kubernetes_version, crd_files=library.crd_files(env.kserve_version))
    schema = schema_set.schema_for("serving.kserve.io/v1beta1", "InferenceService")
    oracle = jsonschema.Draft202012Validator(schema)
    return env, isvcs, library, oracle


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6,
)


def paths_of(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(paths_of(value, prefix + (key,)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.extend(paths_of(value, prefix + (i,)))
    return out


def mutate(obj: dict, path: tuple, action: str, value: Any) -> dict:
    obj = copy.deepcopy(obj)
    if not path:
        return obj
    parent = obj
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "delete" and isinstance(parent, dict):
        del parent[last]
    elif action == "unknown-key" and isinstance(parent, dict):
        parent[f"x{last}-unknown"] = value
    else:
        parent[last] = value
    return obj


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_validate_never_crashes_and_flags_every_schema_violation(setting, data) -> None:
    env, isvcs, library, oracle = setting
    original = data.draw(st.sampled_from(isvcs))
    paths = [p for p in paths_of(original) if p and p[0] in ("spec", "metadata")]
    path = data.draw(st.sampled_from(paths))
    action = data.draw(st.sampled_from(["replace", "delete", "unknown-key"]))
    value = data.draw(json_values)
    mutated = mutate(original, path, action, value)
    objects = [LoadedObject(mutated, path=f"overlays/{ENV}", environment=ENV)]
    # no exception is a pass: a mutated object is a finding (or clean), never a stop
    result = validate_objects(objects, env=env, options=ValidateOptions(), library=library)
    schema_errors = [f for f in result.findings if f.rule == "schema" and f.severity == "error"]
    oracle_errors = list(oracle.iter_errors(mutated))
    assert bool(schema_errors) == bool(oracle_errors), (path, action, value, [e.message for e in oracle_errors])
    if oracle_errors:
        assert result.verdict() == "fail"


def test_mutation_helper_really_mutates() -> None:
    base = {"spec": {"predictor": {"minReplicas": 1}}}
    assert mutate(base, ("spec", "predictor", "minReplicas"), "replace", "x")["spec"]["predictor"]["minReplicas"] == "x"
    assert "minReplicas" not in mutate(base, ("spec", "predictor", "minReplicas"), "delete", None)["spec"]["predictor"]
    assert base == {"spec": {"predictor": {"minReplicas": 1}}}


def test_no_secret_values_in_synthesized_output() -> None:
    """The storage config names buckets and endpoints; no credential ever reaches charts/ or overlays/.
    (Names of credentials are fine: KServe's rendered config names the AWS_SECRET_ACCESS_KEY variable.)"""
    from kserve_gitops import credentials

    password = re.compile(r"(?im)^\s*(password|aws_secret_access_key|secretAccessKey)\s*:\s*\S")
    for top in ("charts", "overlays"):
        for path in (REPO / top).rglob("*.yaml"):
            text = path.read_text()
            assert not credentials.SECRET_VALUE.search(text), path
            assert not password.search(text), path
            for doc in yaml.safe_load_all(text):
                assert list(credentials.find(doc)) == [], path
    secrets = [p for p in (REPO / "charts").rglob("secret-*.yaml")]
    assert secrets, "the storage-config Secret is synthesized"
    for path in secrets:
        secret = yaml.safe_load(path.read_text())
        for value in (secret.get("stringData") or {}).values():
            assert "secret" not in value.lower() and "access_key" not in value.lower()
