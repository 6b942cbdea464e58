"""The KServe policy library: its Rego tests, every rule firing, regorus and OPA agreeing, this repo passing."""

from __future__ import annotations

from pathlib import Path

import pytest

from kserve_gitops.validate.policy import load_bundle, make_engine
from kserve_gitops.validate.policy.evaluate import policy_data
from kserve_gitops.validate.policy.opa import OpaEngine, OpaServer
from policy_corpus import PARAMS, RULE_IDS, compliant_environment, violating_objects

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "src" / "kserve_gitops" / "policy_library"  # the built-in library


@pytest.fixture(scope="module")
def bundle():
    return load_bundle([POLICIES])


@pytest.fixture(scope="module")
def opa(bundle):
    server = OpaServer()
    engine = OpaEngine(bundle, url=server.url)
    yield engine
    engine.close()
    server.stop()


@pytest.fixture(scope="module")
def regorus(bundle):
    return make_engine("regorus", bundle)


def test_every_rule_is_documented_and_tested(bundle):
    documented = {r.id: r for r in bundle.documented_rules()}
    assert set(documented) == RULE_IDS
    assert all(r.description and r.severity == "error" for r in documented.values())
    tested_packages = {t.package.removesuffix("_test") for t in bundle.tests()}
    assert {r.package for r in documented.values()} <= tested_packages
    # each rule group has its own sibling _test.rego
    for module in bundle.modules:
        if not module.is_test_file and module.package != "kserve.lib":
            assert (REPO / module.path.replace(".rego", "_test.rego")).is_file() or Path(module.path.replace(".rego", "_test.rego")).is_file()


def test_library_tests_pass_in_regorus_and_opa_alike(regorus, opa):
    ours = regorus.run_tests()
    theirs = opa.run_tests()
    assert len(ours) >= 2 * len(RULE_IDS)
    assert [(o.package, o.name, o.passed) for o in ours] == [(o.package, o.name, o.passed) for o in theirs]
    failed = [f"{o.path}:{o.line} {o.name} {o.error}" for o in ours if not o.passed]
    assert not failed


def test_each_rule_has_a_passing_and_a_failing_test(bundle):
    names = [t.name for t in bundle.tests()]
    assert any(n.endswith("_pass") for n in names) and any(n.endswith("_fail") for n in names)
    by_package: dict[str, set[str]] = {}
    for t in bundle.tests():
        by_package.setdefault(t.package, set()).add(t.name.rsplit("_", 1)[-1])
    assert all({"pass", "fail"} <= kinds for kinds in by_package.values()), by_package


def evaluate(engine, objects, params):
    engine.set_data(policy_data(objects, params))
    return engine.evaluate(objects)


def test_compliant_environment_has_no_findings(regorus, opa):
    objects = compliant_environment()
    assert evaluate(regorus, objects, PARAMS) == [[] for _ in objects]
    assert evaluate(opa, objects, PARAMS) == [[] for _ in objects]


def test_violations_fire_every_rule_identically_in_both_engines(regorus, opa):
    objects = violating_objects()
    ours = evaluate(regorus, objects, PARAMS)
    theirs = evaluate(opa, objects, PARAMS)
    assert ours == theirs
    fired = {r.rule_id for results in ours for r in results}
    assert fired == RULE_IDS


def test_every_finding_points_at_a_field(regorus):
    objects = violating_objects()
    for obj, results in zip(objects, evaluate(regorus, objects, PARAMS)):
        for result in results:
            # every field but the last exists (the last may be the one to add), so findings get a line
            node = obj
            for part in result.field[:-1]:
                node = node[part]
            assert isinstance(node, (dict, list)), (result.rule_id, result.field)


def rendered(env: str) -> list:
    import yaml

    from kserve_gitops.render.kustomize import find_renderer, render

    return [d for d in yaml.safe_load_all(render(str(REPO / "overlays" / env), renderer=find_renderer())) if d]


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_engines_agree_on_this_repo(regorus, opa, env):
    from kserve_gitops.inputs.config import load_config

    params = load_config(REPO / "kserve-gitops.yaml").environment(env).params()
    objects = rendered(env)
    assert evaluate(regorus, objects, params) == evaluate(opa, objects, params)
