"""The engines: conftest conventions, batching, fail-closed errors, OPA server lifecycle, regorus vs OPA."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from kserve_gitops.errors import EXIT_ENVIRONMENT, PolicyError
from kserve_gitops.validate.policy import load_bundle, make_engine
from kserve_gitops.validate.policy.evaluate import inventory, policy_data
from kserve_gitops.validate.policy.opa import OpaEngine, OpaServer

ENGINES = ["regorus", "opa"]


@pytest.fixture(scope="module")
def opa_server():
    """One real OPA server for the module; each engine uploads its policies and removes them on close."""
    server = OpaServer()
    yield server
    server.stop()
    assert server.process is not None and server.process.poll() is not None


def engine_for(name: str, bundle, opa_server, **kw):
    if name == "opa":
        return OpaEngine(bundle, kw.pop("namespaces", None), url=opa_server.url, **kw)
    return make_engine(name, bundle, kw.pop("namespaces", None), **kw)


def write(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


CONFTEST_STYLE = {
    "main.rego": """package main

import rego.v1

deny contains msg if {
	input.kind == "Deployment"
	not input.spec.template.spec.securityContext.runAsNonRoot
	msg := sprintf("Containers must not run as root in Deployment %s", [input.metadata.name])
}

violation contains {"msg": "no app label", "details": {"kind": input.kind}} if {
	not input.metadata.labels.app
}

warn_replicas contains "one replica" if input.spec.replicas == 1
""",
    "other.rego": """package other

import rego.v1

warn contains {"msg": sprintf("%d documents", [count(input)]), "severity": "warning"} if is_array(input)

deny contains "named x" if input.metadata.name == "x"
""",
    "helpers.rego": """package helpers

import rego.v1

is_deployment if input.kind == "Deployment"
""",
}

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "x", "labels": {}},
    "spec": {"replicas": 1, "template": {"spec": {}}},
}
GOOD = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ok", "labels": {"app": "a"}}}


@pytest.mark.parametrize("engine", ENGINES)
def test_conftest_conventions(tmp_path, opa_server, engine):
    bundle = load_bundle([write(tmp_path, CONFTEST_STYLE)])
    assert bundle.rule_packages() == ["main", "other"]  # helpers has no deny/violation/warn rules
    with engine_for(engine, bundle, opa_server) as e:
        e.set_data({})
        results = e.evaluate([DEPLOYMENT, GOOD])
    first = {(r.namespace, r.rule_name, r.severity, r.message) for r in results[0]}
    assert first == {
        ("main", "deny", "error", "Containers must not run as root in Deployment x"),
        ("main", "violation", "error", "no app label"),
        ("main", "warn_replicas", "warning", "one replica"),
        ("other", "deny", "error", "named x"),
    }
    violation = next(r for r in results[0] if r.rule_name == "violation")
    assert json.loads(violation.metadata) == {"details": {"kind": "Deployment"}}
    assert violation.rule_id == "main.violation"
    assert results[1] == []


@pytest.mark.parametrize("engine", ENGINES)
def test_namespace_selection_and_combine(tmp_path, opa_server, engine):
    bundle = load_bundle([write(tmp_path, CONFTEST_STYLE)])
    with engine_for(engine, bundle, opa_server, namespaces=["other"]) as e:
        e.set_data({})
        assert [r.message for r in e.evaluate([DEPLOYMENT])[0]] == ["named x"]
    with engine_for(engine, bundle, opa_server, namespaces=["other"], combine=True) as e:
        e.set_data({})
        assert [(r.message, r.severity) for r in e.evaluate([[DEPLOYMENT, GOOD]])[0]] == [("2 documents", "warning")]


def test_unknown_namespace_is_refused(tmp_path):
    bundle = load_bundle([write(tmp_path, CONFTEST_STYLE)])
    with pytest.raises(PolicyError, match="no policy package nope"):
        make_engine("regorus", bundle, ["nope"])


@pytest.mark.parametrize("engine", ENGINES)
def test_data_inventory_and_params_reach_policies(tmp_path, opa_server, engine):
    policy = """package cross

import rego.v1

deny contains msg if {
	input.kind == "Pod"
	not data.inventory.namespace[input.metadata.namespace].v1.ServiceAccount[input.spec.serviceAccountName]
	msg := sprintf("%s: no ServiceAccount in %s", [data.params.name, input.metadata.namespace])
}
"""
    bundle = load_bundle([write(tmp_path, {"cross.rego": policy})])
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "a"}, "spec": {"serviceAccountName": "sa"}}
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa", "namespace": "a"}}
    with engine_for(engine, bundle, opa_server) as e:
        e.set_data(policy_data([pod], {"name": "dev"}))
        assert [r.message for r in e.evaluate([pod])[0]] == ["dev: no ServiceAccount in a"]
        e.set_data(policy_data([pod, account], {"name": "dev"}))
        assert e.evaluate([pod]) == [[]]


def test_inventory_layout():
    ns_obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"}}
    cluster_obj = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"}}
    inv = inventory([ns_obj, cluster_obj, "not an object", {"kind": "NoName"}])
    assert inv == {
        "namespace": {"n": {"v1": {"ConfigMap": {"c": ns_obj}}}},
        "cluster": {"rbac.authorization.k8s.io/v1": {"ClusterRole": {"r": cluster_obj}}},
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_compile_error_names_file_and_line(tmp_path, opa_server, engine):
    policy = "package bad\n\nimport rego.v1\n\ndeny contains msg if {\n\tmsg := no_such_function(input)\n}\n"
    bundle = load_bundle([write(tmp_path, {"bad.rego": policy})])
    with pytest.raises(PolicyError) as info:
        engine_for(engine, bundle, opa_server)
    err = info.value
    assert err.exit_code == EXIT_ENVIRONMENT
    assert err.path and err.path.endswith("bad.rego") and err.line == 6
    assert "no_such_function" in err.message


def test_parse_error_names_file_and_line(tmp_path):
    with pytest.raises(PolicyError) as info:
        load_bundle([write(tmp_path, {"broken.rego": "package x\n\ndeny contains msg if {\n\tmsg := \n}\n"})])
    assert info.value.path.endswith("broken.rego") and info.value.line == 4


@pytest.mark.parametrize("engine", ENGINES)
def test_runtime_error_fails_closed(tmp_path, opa_server, engine):
    policy = "package rt\n\nimport rego.v1\n\ndeny contains msg if {\n\tn := to_number(input.replicas)\n\tmsg := sprintf(\"%v\", [n])\n}\n"
    bundle = load_bundle([write(tmp_path, {"rt.rego": policy})])
    with engine_for(engine, bundle, opa_server) as e:
        e.set_data({})
        assert [r.message for r in e.evaluate([{"kind": "X", "replicas": "3"}])[0]] == ["3"]
        with pytest.raises(PolicyError) as info:
            e.evaluate([{"kind": "X", "replicas": "three"}])
    assert info.value.path.endswith("rt.rego") and info.value.line == 6


@pytest.mark.parametrize("engine", ENGINES)
def test_result_without_msg_is_an_error(tmp_path, opa_server, engine):
    bundle = load_bundle([write(tmp_path, {"m.rego": 'package m\n\nimport rego.v1\n\ndeny contains {"message": "x"} if true\n'})])
    with engine_for(engine, bundle, opa_server) as e:
        e.set_data({})
        with pytest.raises(PolicyError, match="without a string 'msg'") as info:
            e.evaluate([{}])
    assert info.value.line == 5


def test_unreachable_opa_url_fails_closed(tmp_path):
    from kserve_gitops.validate.policy.opa import free_port

    bundle = load_bundle([write(tmp_path, CONFTEST_STYLE)])
    with pytest.raises(PolicyError, match="unreachable") as info:
        OpaEngine(bundle, url=f"http://127.0.0.1:{free_port()}")
    assert info.value.exit_code == EXIT_ENVIRONMENT


def test_own_opa_server_is_stopped_on_close_and_on_error(tmp_path):
    bundle = load_bundle([write(tmp_path, CONFTEST_STYLE)])
    engine = OpaEngine(bundle)
    process = engine.server.process
    assert process.poll() is None
    engine.close()
    assert process.poll() is not None
    engine.close()  # idempotent

    bad = load_bundle([write(tmp_path / "bad", {"bad.rego": "package bad\n\nimport rego.v1\n\nx := y\n"})])
    started: list[subprocess.Popen] = []
    original = OpaServer.__init__

    def spy(self):
        original(self)
        started.append(self.process)

    OpaServer.__init__ = spy
    try:
        with pytest.raises(PolicyError):
            OpaEngine(bad)
    finally:
        OpaServer.__init__ = original
    assert started and started[0].poll() is not None


def test_opa_url_engine_removes_what_it_uploaded(tmp_path, opa_server):
    from opa_client import OpaClient

    bundle = load_bundle([write(tmp_path, CONFTEST_STYLE)])
    with OpaEngine(bundle, url=opa_server.url) as e:
        e.set_data({"params": {"name": "x"}})
    client = OpaClient(host="127.0.0.1", port=opa_server.port)
    assert not [p for p in client.get_policies_list() if p.startswith("kserve-gitops/")]
    from opa_client.errors import PolicyNotFoundError

    with pytest.raises(PolicyNotFoundError):  # the data document we put there is gone too
        client.get_data("params")
    client.close_connection()


def test_evaluation_is_batched_for_opa(tmp_path, opa_server, monkeypatch):
    """Many objects go to OPA in few requests, not one request per object."""
    bundle = load_bundle([write(tmp_path, CONFTEST_STYLE)])
    with OpaEngine(bundle, url=opa_server.url) as e:
        e.set_data({})
        calls = []
        original = e.client.query_rule
        monkeypatch.setattr(e.client, "query_rule", lambda *a, **k: calls.append(1) or original(*a, **k))
        results = e.evaluate([DEPLOYMENT] * 1200)
    assert len(results) == 1200 and len(calls) == 3
