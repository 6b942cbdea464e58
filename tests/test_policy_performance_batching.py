"""Environment facts (rules that never read input) are evaluated once per environment, with identical verdicts.

Behavioural, not timed: the fact plan of the shipped library, identical findings with and without
precomputing, top-level and nested sets, and fail closed when a precomputed rule errors.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import kserve_gitops.validate.run  # noqa: F401  (registers the checks before the policy modules)
from kserve_gitops.errors import PolicyError
from kserve_gitops.validate.policy import LIBRARY_DIR, load_bundle, make_engine
from kserve_gitops.validate.policy.evaluate import policy_data
from kserve_gitops.validate.policy.facts import plan_facts

REPO = Path(__file__).resolve().parents[1]

SLOW = "sum([n | some i in numbers.range(1, 20000); n := i])"

POLICY = f"""package t

import rego.v1

slow_total := {SLOW}

names := {{n | some obj in data.inventory.namespace.ns.v1.ConfigMap; n := obj.metadata.name; {SLOW} > 0}}

nested := {{"names": names, "total": slow_total}}

reads_input := input.metadata.name

deny contains msg if {{
	input.kind == "ConfigMap"
	slow_total > 0
	input.metadata.name in names
	count(nested.names) > 1
	msg := sprintf("%s seen with %d others", [input.metadata.name, count(names) - 1])
}}
"""


def configmap(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "ns"}}


def bundle_with(tmp_path: Path, text: str):
    (tmp_path / "t.rego").write_text(text)
    return load_bundle([tmp_path])


def evaluate(bundle, objects, *, precompute: bool):
    with make_engine("regorus", bundle) as engine:
        if not precompute:
            engine.fact_rules = []
        engine.set_data(policy_data(objects, {}))
        return engine.evaluate(objects), list(engine.precomputed)


def test_plan_of_the_shipped_library_has_the_cross_object_facts_and_nothing_that_reads_input():
    bundle = load_bundle([LIBRARY_DIR])
    entries = [r.ref for r in bundle.conftest_rules(bundle.rule_packages())]
    facts = plan_facts(((m.path, m.text) for m in bundle.modules), entries).facts
    assert {"data.kserve.gpu.environment_gpus", "data.kserve.alerts.selectors", "data.kserve.lib.params"} <= set(facts)
    assert not {"data.kserve.lib.input_containers", "data.kserve.lib.input_components", "data.kserve.storage.storage_uris"} & set(facts)


def test_precomputed_facts_give_identical_findings(tmp_path: Path):
    bundle = bundle_with(tmp_path, POLICY)
    objects = [configmap(f"c{i}") for i in range(4)]
    fast, precomputed = evaluate(bundle, objects, precompute=True)
    slow, none = evaluate(bundle, objects, precompute=False)
    assert "data.t.slow_total" in precomputed and "data.t.names" in precomputed  # a number and a top-level set
    assert "data.t.reads_input" not in precomputed
    assert none == []
    assert fast == slow
    assert [len(r) for r in fast] == [1, 1, 1, 1]
    assert fast[0][0].message == "c0 seen with 3 others"


def test_a_failing_fact_still_fails_closed_where_an_object_needs_it(tmp_path: Path):
    broken = POLICY.replace(f"slow_total := {SLOW}", f'slow_total := {SLOW} + to_number("not a number")')
    bundle = bundle_with(tmp_path, broken)
    with pytest.raises(PolicyError) as err:
        evaluate(bundle, [configmap("a"), configmap("b")], precompute=True)
    assert "t.rego" in str(err.value.path or "") or "t.rego" in str(err.value)


def test_a_failing_fact_no_object_needs_is_no_error_as_before(tmp_path: Path):
    broken = POLICY.replace(f"slow_total := {SLOW}", f'slow_total := {SLOW} + to_number("not a number")')
    bundle = bundle_with(tmp_path, broken)
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "ns"}}
    fast, precomputed = evaluate(bundle, [secret], precompute=True)
    assert fast == [[]] and "data.t.slow_total" not in precomputed


# ---- what the in-process engine loads and evaluates ------------------------------------------------------------


def test_validate_loads_only_the_modules_the_selected_rules_read():
    bundle = load_bundle([LIBRARY_DIR])
    with make_engine("regorus", bundle) as engine:
        assert any(m.endswith("policy_library/lib.rego") for m in engine.loaded_modules)
        assert not [m for m in engine.loaded_modules if m.endswith("_test.rego")]
    with make_engine("regorus", bundle, ["kserve.argocd"]) as engine:
        assert [Path(m).name for m in engine.loaded_modules] == ["argocd.rego", "lib.rego"]


def test_policy_tests_still_see_the_test_files():
    from kserve_gitops.validate.policy.testing import run_policy_tests

    report = run_policy_tests([REPO / "policies"])  # the built-in library's tests and the repo's
    assert report.outcomes and report.passed == len(report.outcomes)


READS_DEFAULT = """package b

import rego.v1

deny contains "a.allow is false" if data.a.allow == false
"""


def test_a_module_with_only_a_default_rule_is_loaded_when_read(tmp_path: Path):
    (tmp_path / "a.rego").write_text("package a\n\nimport rego.v1\n\ndefault allow := false\n")
    (tmp_path / "b.rego").write_text(READS_DEFAULT)
    (tmp_path / "unrelated.rego").write_text("package c\n\nimport rego.v1\n\nx := 1\n")
    bundle = load_bundle([tmp_path])
    with make_engine("regorus", bundle) as engine:
        assert sorted(Path(m).name for m in engine.loaded_modules) == ["a.rego", "b.rego"]
        engine.set_data({})
        assert [r.message for r in engine.evaluate([configmap("c")])[0]] == ["a.allow is false"]


def test_a_rule_that_reads_all_of_data_loads_every_module(tmp_path: Path):
    (tmp_path / "a.rego").write_text("package a\n\nimport rego.v1\n\nflag := true\n")
    (tmp_path / "b.rego").write_text(
        'package b\n\nimport rego.v1\n\ndeny contains sprintf("%s is set", [k]) if {\n\tsome k in ["a"]\n\tdata[k].flag\n}\n'
    )
    bundle = load_bundle([tmp_path])
    with make_engine("regorus", bundle) as engine:
        assert sorted(Path(m).name for m in engine.loaded_modules) == ["a.rego", "b.rego"]
        engine.set_data({})
        assert [r.message for r in engine.evaluate([configmap("c")])[0]] == ["a is set"]


ROUTED = {
    "configmaps.rego": """# METADATA
# scope: package
# custom:
#   kinds: [ConfigMap]
package only_configmaps

import rego.v1

deny contains sprintf("configmap %s", [input.metadata.name]) if true
""",
    "everything.rego": """package everything

import rego.v1

warn contains sprintf("%v %v", [input.kind, input.metadata.name]) if true
""",
}


def test_objects_are_evaluated_only_against_the_rules_of_their_kind(tmp_path: Path):
    for name, text in ROUTED.items():
        (tmp_path / name).write_text(text)
    bundle = load_bundle([tmp_path])
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "ns"}}
    odd = {"apiVersion": "v1", "kind": 7, "metadata": {"name": "k", "namespace": "ns"}}
    objects = [configmap("c"), secret, odd]
    verdicts = {}
    for engine_name in ("regorus", "opa"):  # OPA evaluates the kind-guarded driver: the reference
        with make_engine(engine_name, bundle) as engine:
            engine.set_data(policy_data(objects, {}))
            verdicts[engine_name] = [[r.message for r in results] for results in engine.evaluate(objects)]
    assert verdicts["regorus"] == [["ConfigMap c", "configmap c"], ["Secret s"], ["7 k"]]
    assert verdicts["regorus"] == verdicts["opa"]
    only = load_bundle([tmp_path / "configmaps.rego"])
    with make_engine("regorus", only) as engine:
        engine.set_data({})
        assert engine.evaluate([secret]) == [[]]


def test_module_analysis_is_cached_by_content_and_a_broken_entry_is_analysed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from kserve_gitops.validate.policy import bundle as bundle_module

    monkeypatch.setenv("KSERVE_GITOPS_CACHE", str(tmp_path / "cache"))
    fresh = load_bundle([LIBRARY_DIR])
    entries = sorted(bundle_module.ANALYSIS_STORE.folder.glob("*.json"))
    assert len(entries) == len(fresh.modules)
    analysed: list[str] = []
    real = bundle_module._analyse
    monkeypatch.setattr(bundle_module, "_analyse", lambda path, text: analysed.append(path) or real(path, text))
    cached = load_bundle([LIBRARY_DIR])
    assert analysed == []
    assert [(m.package, m.rules, m.kinds) for m in cached.modules] == [(m.package, m.rules, m.kinds) for m in fresh.modules]
    entries_before = {e.name for e in entries}
    entries[0].write_text("{not json")
    load_bundle([LIBRARY_DIR])
    assert len(analysed) == 1
    entries_after = {e.name for e in bundle_module.ANALYSIS_STORE.folder.glob("*.json")}
    assert entries_after == entries_before
    entries_graph = cached.rule_graph()
    assert entries_graph.facts([r.ref for r in cached.conftest_rules(cached.rule_packages())]) == fresh.rule_graph().facts(
        [r.ref for r in fresh.conftest_rules(fresh.rule_packages())]
    )


def test_validate_builds_the_embedded_engine_once_for_every_environment(example_repo: Path, monkeypatch: pytest.MonkeyPatch):
    from kserve_gitops.validate.checks import policy as check_module
    from kserve_gitops.validate.run import ValidateOptions, validate_repo

    def findings(report):
        return {e.name: sorted((f.rule, f.message, f.path, f.line) for f in e.findings) for e in report.environments}

    from kserve_gitops.validate import policy as policy_package  # the check imports make_engine from here when it runs

    built: list[str] = []
    real = policy_package.make_engine
    monkeypatch.setattr(check_module, "_embedded_engines", {})
    monkeypatch.setattr(policy_package, "make_engine", lambda name, *a, **kw: built.append(name) or real(name, *a, **kw))
    reused = validate_repo(example_repo, ValidateOptions(schemas=False))
    assert [e.name for e in reused.environments] == ["dev", "staging", "prod", "argocd", "automation"]
    assert built == ["regorus"]
    # the same verdicts as a new engine per environment: set_data leaves nothing of one environment behind
    monkeypatch.setattr(check_module, "_engine_for", lambda bundle, options: real("regorus", bundle, options.policy_namespaces))
    fresh = validate_repo(example_repo, ValidateOptions(schemas=False))
    assert findings(reused) == findings(fresh)
    assert any(findings(reused).values())  # the repo's waived finding and warnings are there to compare


def test_a_kind_routed_policy_that_does_not_compile_fails_before_any_object(tmp_path: Path):
    (tmp_path / "bad.rego").write_text(
        "# METADATA\n# scope: package\n# custom:\n#   kinds: [ConfigMap]\npackage bad\n\nimport rego.v1\n\n"
        "deny contains msg if {\n\tmsg := no_such_function(input)\n}\n"
    )
    with pytest.raises(PolicyError) as err:
        make_engine("regorus", load_bundle([tmp_path]))  # no ConfigMap needed to find out
    assert str(err.value.path).endswith("bad.rego") and err.value.line == 10
