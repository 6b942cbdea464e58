"""NetworkPolicies and Istio security: golden output, schema validity, environment-specific behaviour."""

from __future__ import annotations

import pytest

from conftest import assert_golden
from observability_helpers import GOLDEN, objects_in, repo_inputs, schema_errors, synth_component_files, with_environment


def by_name(objects):
    return {(o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]): o for o in objects}


def test_golden(update_golden):
    files = synth_component_files(["network", "istio"])
    assert_golden(files, GOLDEN / "network", update_golden)


@pytest.mark.parametrize("env_name", ["dev", "staging", "prod"])
def test_every_object_is_schema_valid(env_name):
    config, _ = repo_inputs()
    files = synth_component_files(["network", "istio"])
    objects = objects_in(files, f"charts/network/{env_name}/") + objects_in(files, f"charts/istio/{env_name}/")
    assert objects
    assert schema_errors(objects, config.environments[env_name]) == []


def test_default_deny_and_allow_list_in_knative_mode():
    objects = by_name(objects_in(synth_component_files(["network"]), "charts/network/dev/"))
    deny = objects[("NetworkPolicy", "models-dev", "default-deny-all")]["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    gateway = objects[("NetworkPolicy", "models-dev", "allow-ingress-gateway")]["spec"]["ingress"][0]
    assert gateway["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}}}]
    assert [p["port"] for p in gateway["ports"]] == [8012, 8013]
    knative = objects[("NetworkPolicy", "models-dev", "allow-knative-system")]["spec"]["ingress"][0]["from"][0]
    assert knative["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "knative-serving"}
    assert knative["podSelector"]["matchExpressions"][0]["values"] == ["activator", "autoscaler"]
    dns = objects[("NetworkPolicy", "models-dev", "allow-dns-egress")]["spec"]["egress"][0]
    assert {(p["port"], p["protocol"]) for p in dns["ports"]} == {(53, "UDP"), (53, "TCP")}
    storage = objects[("NetworkPolicy", "models-dev", "allow-object-storage-egress")]["spec"]["egress"][0]
    assert storage["ports"] == [{"port": 443, "protocol": "TCP"}]
    to_predictor = objects[("NetworkPolicy", "models-dev", "allow-transformer-to-predictor")]["spec"]
    assert to_predictor["podSelector"] == {"matchLabels": {"component": "predictor"}}
    scrape = objects[("NetworkPolicy", "models-dev", "allow-prometheus-scrape")]["spec"]["ingress"][0]
    assert scrape["from"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "monitoring"}


@pytest.mark.parametrize("env_name", ["staging", "prod"])  # Standard on v0.20.0, RawDeployment (its old name) on v0.14.1
def test_standard_mode_omits_knative_and_istio(env_name):
    """Standard mode: no Knative policies; Istio only as sidecars (istiod egress, sidecar metrics), mTLS on."""
    files = synth_component_files(["network", "istio"], prefixes=("charts/", "overlays/"))
    objects = by_name(objects_in(files, f"charts/network/{env_name}/"))
    names = {name for (_, _, name) in objects}
    assert "allow-knative-system" not in names
    gateway = objects[("NetworkPolicy", f"models-{env_name}", "allow-ingress-gateway")]["spec"]["ingress"][0]
    assert gateway["from"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "ingress-nginx"}
    assert [p["port"] for p in gateway["ports"]] == [8080, 8081]
    istiod = objects[("NetworkPolicy", f"models-{env_name}", "allow-istio-egress")]["spec"]["egress"][0]
    assert istiod["to"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}}}]
    assert [p["port"] for p in istiod["ports"]] == [15012]  # no knative-local-gateway in Standard mode
    scrape = objects[("NetworkPolicy", f"models-{env_name}", "allow-prometheus-scrape")]["spec"]["ingress"][0]
    assert [p["port"] for p in scrape["ports"]] == [8080, 8082, 15020, 15090]
    assert b"../../charts/istio/" + env_name.encode() in files[f"overlays/{env_name}/kustomization.yaml"]


@pytest.mark.parametrize("env_name", ["staging", "prod"])
def test_standard_mode_gets_strict_mtls(env_name):
    objects = by_name(objects_in(synth_component_files(["istio"]), f"charts/istio/{env_name}/"))
    ns = f"models-{env_name}"
    assert objects[("PeerAuthentication", ns, "default")]["spec"] == {"mtls": {"mode": "STRICT"}}
    allow = objects[("AuthorizationPolicy", ns, "allow-platform-callers")]["spec"]
    assert allow["action"] == "ALLOW"
    assert allow["rules"][0]["from"][0]["source"]["namespaces"] == ["ingress-nginx", "istio-system", ns, "monitoring"]
    # no Istio gateway in Standard mode, so no gateway JWT objects (staging and prod set auth.jwt)
    assert {kind for (kind, _, _) in objects} == {"PeerAuthentication", "AuthorizationPolicy"}


def test_mtls_off_only_explicitly():
    config, _ = repo_inputs()
    off = with_environment(config, "prod", mtls=False)
    files = synth_component_files(["network", "istio"], config=off, prefixes=("charts/", "overlays/"))
    assert not any(p.startswith("charts/istio/prod/") for p in files)
    names = {name for (_, _, name) in by_name(objects_in(files, "charts/network/prod/"))}
    assert "allow-istio-egress" not in names and "default-deny-all" in names


def test_serverless_gets_strict_mtls_and_caller_allow_list():
    objects = by_name(objects_in(synth_component_files(["istio"]), "charts/istio/dev/"))
    assert objects[("PeerAuthentication", "models-dev", "default")]["spec"] == {"mtls": {"mode": "STRICT"}}
    allow = objects[("AuthorizationPolicy", "models-dev", "allow-platform-callers")]["spec"]
    assert allow["action"] == "ALLOW"
    assert allow["rules"][0]["from"][0]["source"]["namespaces"] == ["istio-system", "knative-serving", "models-dev", "monitoring"]


def test_jwt_only_when_configured():
    files = synth_component_files(["istio"])
    dev_kinds = {o["kind"] for o in objects_in(files, "charts/istio/dev/")}
    assert "RequestAuthentication" not in dev_kinds  # dev sets no auth.jwt
    # staging sets auth.jwt but runs Standard mode, without an Istio gateway: nothing to enforce it with (documented).
    assert "RequestAuthentication" not in {o["kind"] for o in objects_in(files, "charts/istio/staging/")}
    config, _ = repo_inputs()
    knative = with_environment(config, "staging", deployment_mode="Knative")
    staging = by_name(objects_in(synth_component_files(["istio"], config=knative), "charts/istio/staging/"))
    request_auth = staging[("RequestAuthentication", "istio-system", "inference-jwt")]["spec"]
    assert request_auth["jwtRules"][0] == {
        "issuer": "https://auth.acme.example",
        "jwksUri": "https://auth.acme.example/.well-known/jwks.json",
        "forwardOriginalToken": True,
    }
    deny = staging[("AuthorizationPolicy", "istio-system", "require-inference-jwt")]["spec"]
    assert deny["action"] == "DENY"
    assert deny["rules"][0]["from"] == [{"source": {"notRequestPrincipals": ["*"]}}]
    assert deny["rules"][0]["to"][0]["operation"]["hosts"] == ["*.staging.ml.acme.example", "*.staging.ml.acme.example:*"]


def test_jwt_added_to_dev_when_dev_configures_it_and_fails_closed_without_domain():
    config, _ = repo_inputs()
    changed = with_environment(
        config, "dev", jwt={"issuer": "https://id.example", "jwksUri": "https://id.example/jwks"}, ingress_domain=""
    )
    objects = by_name(objects_in(synth_component_files(["istio"], config=changed), "charts/istio/dev/"))
    assert objects[("RequestAuthentication", "istio-system", "inference-jwt")]["spec"]["jwtRules"][0]["issuer"] == "https://id.example"
    hosts = objects[("AuthorizationPolicy", "istio-system", "require-inference-jwt")]["spec"]["rules"][0]["to"][0]["operation"]["hosts"]
    assert hosts == ["*"]


def test_every_model_namespace_gets_policies():
    config, _ = repo_inputs()
    changed = with_environment(config, "dev", namespaces=("models-dev", "models-dev-gpu"))
    files = synth_component_files(["network", "istio"], config=changed)
    namespaces = {o["metadata"]["namespace"] for o in objects_in(files, "charts/network/dev/")}
    assert namespaces == {"models-dev", "models-dev-gpu"}
    peer = [o for o in objects_in(files, "charts/istio/dev/") if o["kind"] == "PeerAuthentication"]
    assert sorted(o["metadata"]["namespace"] for o in peer) == ["models-dev", "models-dev-gpu"]


def test_validate_warns_when_mtls_is_turned_off():
    import dataclasses

    from kserve_gitops.results import WARNING
    from kserve_gitops.validate.run import ValidateOptions, validate_objects
    from kserve_gitops.validate.schemas import CrdLibrary

    config, _ = repo_inputs()
    options = ValidateOptions(schemas=False, policies=False, admission=False, check_stale=False)
    library = CrdLibrary(roots=[])
    prod = config.environments["prod"]
    assert not [f for f in validate_objects([], env=prod, options=options, library=library).findings if f.rule == "KSV020"]
    off = dataclasses.replace(prod, mtls=False)
    [finding] = [f for f in validate_objects([], env=off, options=options, library=library).findings if f.rule == "KSV020"]
    assert finding.severity == WARNING and finding.environment == "prod"
    assert "security.mtls: false" in finding.message and finding.path == "kserve-gitops.yaml"



def test_the_mtls_warning_points_into_the_repo_it_came_from(example_repo, tmp_path, monkeypatch) -> None:
    """With --repo DIR from another folder, KSV020 names DIR's kserve-gitops.yaml at the security.mtls line."""
    import json

    from click.testing import CliRunner

    from kserve_gitops.cli.main import cli as command

    config = example_repo / "kserve-gitops.yaml"
    text = config.read_text()
    anchor = "  prod:\n"
    assert anchor in text
    config.write_text(text.replace(anchor, anchor + "    security:\n      mtls: false\n", 1))
    mtls_line = config.read_text().splitlines().index("      mtls: false") + 1
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: models-prod}\n")
    monkeypatch.chdir(elsewhere)
    result = CliRunner().invoke(
        command, ["--repo", str(example_repo), "validate", "cm.yaml", "-e", "prod", "-o", "json", "--no-admission", "--no-policy"],
        catch_exceptions=False,
    )
    findings = [f for f in json.loads(result.output)["findings"] if f["rule"] == "KSV020"]
    assert [(f["path"], f["line"], f["column"]) for f in findings] == [(str(config), mtls_line, 7)]
