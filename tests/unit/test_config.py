"""kserve-gitops.yaml: a valid file loads to the settings synth and validate use (defaults applied), and
every kind of bad file stops with a ConfigError (exit 2) that names the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from kserve_gitops.errors import EXIT_INPUT, ConfigError, InputError, UsageError, YamlError
from kserve_gitops.inputs import yamlsrc
from kserve_gitops.inputs.config import (
    CHARTS_ENV,
    CONFIG_FILE,
    ArgoWorkflowsSettings,
    config_schema,
    load_config,
)

from model_repo import platform_config

MINIMAL = platform_config("dev", promotion_order=False)

# Line numbers matter below: the cases point at them.
TWO_ENVS = """\
apiVersion: kserve-gitops.io/v1alpha1
kind: Platform
project: acme
environments:
  dev:
    cluster:
      name: dev
      server: https://dev.example
    kserve:
      version: v0.20.0
      deploymentMode: Knative
    namespaces: [ml-dev]
    storage:
      bucket: models-dev
      region: us-east-1
  prod:
    cluster: {name: prod, server: https://prod.example}
    kserve: {version: v0.14.1, deploymentMode: RawDeployment}
    namespaces: [ml-prod]
    storage: {bucket: models-prod, region: us-east-1}
promotionOrder: [dev, prod]
"""

FULL = """\
apiVersion: kserve-gitops.io/v1alpha1
kind: Platform
project: acme-ml
repository:
  url: https://git.example/acme/platform.git
  revision: release
charts:
  kserve: ../charts/kserve
kserveReleases:
  v0.20.0:
    images:
      storage-initializer: docker.io/kserve/storage-initializer:v0.20.0
      kserve-sklearnserver: docker.io/kserve/sklearnserver:v0.20.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
automation:
  argoWorkflows:
    enabled: true
    image: ghcr.io/acme/kserve-gitops:1.0
    namespace: workflows
    serviceAccount: gitops-bot
    gitCredentialsSecret: git-token
    mlflowTrackingUri: https://mlflow.example
promotionOrder: [staging, prod]
environments:
  prod:
    cluster: {name: prod-eks, server: https://prod.example}
    kubernetesVersion: v1.31
    kserve: {version: v0.20.0, deploymentMode: Standard}
    namespaces: [ml-prod, ml-batch]
    ingress: {domain: models.example.com, gateway: istio-system/public}
    storage:
      bucket: models-prod
      region: eu-west-1
      endpoint: minio.internal:9000
      allowedBuckets: [models-prod, shared-models]
    iam: {modelRoleArn: "arn:aws:iam::123456789012:role/models", serviceAccount: model-reader}
    limits:
      defaultMinReplicas: 2
      defaultMaxReplicas: 4
      maxReplicas: 10
      defaultResources:
        requests: {cpu: 100m, memory: 128Mi}
        limits: {cpu: "1", memory: 1Gi}
      maxResources: {cpu: 8, nvidia.com/gpu: 2}
      gpuBudget: 4
    alerts: {latencyP95Seconds: 0.5, errorRatePercent: 5, canaryStuckMinutes: 30, notReadyMinutes: 10}
    images:
      requireDigests: true
      allowedRegistries: [docker.io/kserve, ghcr.io/acme]
      digests:
        docker.io/kserve/storage-initializer:v0.20.0: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    auth:
      jwt: {issuer: https://issuer.example, jwksUri: https://issuer.example/jwks}
    argocd: {automatedSync: false, project: ml}
    security: {mtls: false}
    install: {render: true}
    localModelCache: {nodeGroups: [gpu-a100]}
    llm:
      allowedConfigs: [kserve-config-llm-template]
      defaultReplicas: 1
      defaultResources: {limits: {nvidia.com/gpu: 1}}
      alerts: {timeToFirstTokenP95Seconds: 2, queueLength: 10}
  staging:
    cluster: {name: staging, server: https://staging.example}
    kserve: {version: v0.14.1, deploymentMode: Knative}
    namespaces: [ml-staging]
    storage: {bucket: models-staging, region: us-east-1}
"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Errors name the file relative to the working directory: work where the config is."""
    monkeypatch.chdir(tmp_path)
    yamlsrc.clear_position_cache()
    yield
    yamlsrc.clear_position_cache()


def load(text: str):
    Path(CONFIG_FILE).write_text(text)
    return load_config(CONFIG_FILE)


def refused(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        load(text)
    assert err.value.exit_code == EXIT_INPUT
    assert err.value.path == CONFIG_FILE
    return err.value


# --- valid files ------------------------------------------------------------------------------------


def test_a_minimal_file_loads_with_every_default() -> None:
    config = load(MINIMAL)
    assert config.project == "acme"
    assert config.promotion_order == ("dev",)
    assert (config.repo_url, config.repo_revision, config.kserve_charts, config.release_images) == ("", "main", "", {})
    assert config.argo_workflows == ArgoWorkflowsSettings()
    assert config.argo_workflows.namespace == "argo" and config.argo_workflows.enabled is False
    assert config.path == Path(CONFIG_FILE)
    assert config.root == Path(".")
    dev = config.environments["dev"]
    assert (dev.name, dev.cluster_name, dev.cluster_server) == ("dev", "dev", "https://dev.example")
    assert dev.kserve_version == "v0.20.0"
    assert dev.deployment_mode == "Knative"
    assert dev.namespaces == ("ml-dev",) and dev.default_namespace == "ml-dev"
    assert dev.kubernetes_version == "1.32"
    assert dev.storage_endpoint == "s3.us-east-1.amazonaws.com"
    assert dev.allowed_buckets == ("models-dev",)
    assert (dev.ingress_domain, dev.ingress_gateway) == ("", "knative-serving/knative-ingress-gateway")
    assert (dev.model_role_arn, dev.service_account) == ("", "kserve-models")
    assert (dev.default_min_replicas, dev.default_max_replicas, dev.max_replicas, dev.gpu_budget) == (None, None, None, None)
    assert (dev.default_resources, dev.max_resources, dev.alerts, dev.llm, dev.image_digests) == ({}, {}, {}, {}, {})
    assert (dev.require_image_digests, dev.allowed_registries, dev.jwt) == (False, (), None)
    assert (dev.automated_sync, dev.argocd_project, dev.model_cache_node_groups) == (True, "", ())
    assert dev.mtls is True  # on unless set to false
    assert dev.render_install is False
    assert (dev.serverless, dev.mesh, dev.canary_form) == (True, True, "revision")


def test_a_full_file_loads_every_setting() -> None:
    config = load(FULL)
    assert config.project == "acme-ml"
    assert config.promotion_order == ("staging", "prod")
    assert (config.repo_url, config.repo_revision) == ("https://git.example/acme/platform.git", "release")
    assert config.kserve_charts == "../charts/kserve"
    assert config.argo_workflows == ArgoWorkflowsSettings(
        enabled=True,
        image="ghcr.io/acme/kserve-gitops:1.0",
        namespace="workflows",
        service_account="gitops-bot",
        git_credentials_secret="git-token",
        mlflow_tracking_uri="https://mlflow.example",
    )
    assert sorted(config.release_images["v0.20.0"]) == ["kserve-sklearnserver", "storage-initializer"]
    prod = config.environments["prod"]
    assert prod.cluster_name == "prod-eks"
    assert prod.kubernetes_version == "1.31"  # the leading v is dropped
    assert prod.deployment_mode == "Standard"
    assert prod.namespaces == ("ml-prod", "ml-batch") and prod.default_namespace == "ml-prod"
    assert (prod.ingress_domain, prod.ingress_gateway) == ("models.example.com", "istio-system/public")
    assert (prod.bucket, prod.region, prod.storage_endpoint) == ("models-prod", "eu-west-1", "minio.internal:9000")
    assert prod.allowed_buckets == ("models-prod", "shared-models")
    assert (prod.model_role_arn, prod.service_account) == ("arn:aws:iam::123456789012:role/models", "model-reader")
    assert (prod.default_min_replicas, prod.default_max_replicas, prod.max_replicas, prod.gpu_budget) == (2, 4, 10, 4)
    assert prod.default_resources == {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}
    assert prod.max_resources == {"cpu": 8, "nvidia.com/gpu": 2}
    assert prod.alerts == {"latencyP95Seconds": 0.5, "errorRatePercent": 5, "canaryStuckMinutes": 30, "notReadyMinutes": 10}
    assert prod.require_image_digests is True
    assert prod.allowed_registries == ("docker.io/kserve", "ghcr.io/acme")
    assert list(prod.image_digests) == ["docker.io/kserve/storage-initializer:v0.20.0"]
    assert prod.jwt == {"issuer": "https://issuer.example", "jwksUri": "https://issuer.example/jwks"}
    assert (prod.automated_sync, prod.argocd_project) == (False, "ml")
    assert prod.mtls is False and prod.render_install is True
    assert prod.model_cache_node_groups == ("gpu-a100",)
    assert prod.llm["allowedConfigs"] == ["kserve-config-llm-template"] and prod.llm["defaultReplicas"] == 1
    # Standard without mTLS: no mesh; v0.20 Standard canaries by list
    assert (prod.serverless, prod.mesh, prod.canary_form) == (False, False, "list")
    staging = config.environments["staging"]
    assert staging.deployment_mode == "Serverless"  # v0.14.1 knows only the old name
    assert staging.canary_form == "revision"


def test_params_are_the_environment_as_written_plus_its_name() -> None:
    config = load(TWO_ENVS)
    params = config.environments["prod"].params()
    assert params["name"] == "prod"
    assert params["kserve"] == {"version": "v0.14.1", "deploymentMode": "RawDeployment"}  # as written, not renamed
    assert config.raw["project"] == "acme"


@pytest.mark.parametrize(
    "version, written, mode",
    [
        ("v0.20.0", "Knative", "Knative"),
        ("v0.20.0", "Serverless", "Knative"),
        ("v0.20.0", "RawDeployment", "Standard"),
        ("v0.16.0", "Serverless", "Knative"),
        ("v0.15.2", "Knative", "Serverless"),
        ("v0.14.1", "Standard", "RawDeployment"),
        ("v0.14.1", "RawDeployment", "RawDeployment"),
        ("main", "RawDeployment", "Standard"),
    ],
)
def test_the_mode_is_kept_under_the_name_the_release_knows(version: str, written: str, mode: str) -> None:
    text = MINIMAL.replace("kserve: {version: v0.20.0}", f"kserve: {{version: {version}, deploymentMode: {written}}}")
    assert load(text).environments["dev"].deployment_mode == mode


def test_the_default_mode_is_knative_under_each_releases_name() -> None:
    assert load(MINIMAL.replace("v0.20.0", "v0.14.1")).environments["dev"].deployment_mode == "Serverless"
    assert load(MINIMAL).environments["dev"].deployment_mode == "Knative"


@pytest.mark.parametrize("value, mtls, mesh", [("true", True, True), ("false", False, False), ("no", False, False)])
def test_mtls_in_standard_mode_decides_the_mesh(value: str, mtls: bool, mesh: bool) -> None:
    text = MINIMAL.replace("kserve: {version: v0.20.0}", "kserve: {version: v0.20.0, deploymentMode: Standard}")
    text += f"    security: {{mtls: {value}}}\n"
    env = load(text).environments["dev"]
    assert (env.mtls, env.mesh) == (mtls, mesh)


def test_knative_mode_always_has_the_mesh() -> None:
    env = load(MINIMAL + "    security: {mtls: false}\n").environments["dev"]
    assert (env.mtls, env.serverless, env.mesh) == (False, True, True)


def test_the_promotion_order_defaults_to_the_order_of_environments() -> None:
    assert load(TWO_ENVS.replace("promotionOrder: [dev, prod]\n", "")).promotion_order == ("dev", "prod")
    assert load(TWO_ENVS.replace("[dev, prod]", "[prod, dev]")).promotion_order == ("prod", "dev")


def test_environment_lookup_and_selection() -> None:
    config = load(TWO_ENVS.replace("[dev, prod]", "[prod, dev]"))
    assert [e.name for e in config.select(None)] == ["prod", "dev"]
    assert [e.name for e in config.select([])] == ["prod", "dev"]
    assert [e.name for e in config.select(["dev"])] == ["dev"]
    with pytest.raises(UsageError) as err:
        config.environment("qa")
    assert str(err.value) == "kserve-gitops.yaml: unknown environment 'qa' (known: dev, prod)"
    assert err.value.exit_code == EXIT_INPUT


def test_an_environment_may_name_a_release_without_pinned_images() -> None:
    """Loading accepts it: synth is what needs the images, and it says so at kserve.version."""
    config = load(FULL.replace("kserve: {version: v0.14.1, deploymentMode: Knative}", "kserve: {version: v0.15.0}"))
    assert config.environments["staging"].kserve_version == "v0.15.0"
    assert "v0.15.0" not in config.release_images


def test_the_charts_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CHARTS_ENV, raising=False)
    assert load(MINIMAL).kserve_charts_dir is None
    config = load(MINIMAL + "charts: {kserve: vendor/kserve}\n")
    assert config.kserve_charts_dir == (tmp_path / "vendor" / "kserve").resolve()
    monkeypatch.setenv(CHARTS_ENV, str(tmp_path / "elsewhere"))
    assert config.kserve_charts_dir == (tmp_path / "elsewhere").resolve()


def test_an_absolute_path_outside_the_working_directory_is_named_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / CONFIG_FILE).write_text(MINIMAL.replace("[ml-dev]", "ml-dev"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with pytest.raises(ConfigError) as err:
        load_config(repo / CONFIG_FILE)
    assert (err.value.path, err.value.line, err.value.field) == (str(repo / CONFIG_FILE), 8, "environments.dev.namespaces")


def test_the_schema_is_shipped_and_closed() -> None:
    schema = config_schema()
    assert schema["required"] == ["apiVersion", "kind", "project", "environments"]
    assert schema["additionalProperties"] is False
    assert schema["$defs"]["environment"]["additionalProperties"] is False


# --- bad files --------------------------------------------------------------------------------------

BAD = {
    # case: (old text, new text, field, line, column, message)
    "wrong type": (
        "namespaces: [ml-dev]", "namespaces: ml-dev",
        "environments.dev.namespaces", 12, 5, "'ml-dev' is not of type 'array'",
    ),
    "bad enum": (
        "deploymentMode: Knative", "deploymentMode: Raw",
        "environments.dev.kserve.deploymentMode", 11, 7,
        "'Raw' is not one of ['Knative', 'Standard', 'Serverless', 'RawDeployment']",
    ),
    "missing required": (
        "      server: https://dev.example\n", "",
        "environments.dev.cluster", 6, 5, "'server' is a required property",
    ),
    "version without its v": (
        "version: v0.20.0", "version: 0.20.0",
        "environments.dev.kserve.version", 10, 7, "'0.20.0' does not match '^(v[0-9]+\\\\.[0-9]+\\\\.[0-9]+|main)$'",
    ),
    "version that YAML reads as a number": (
        "version: v0.20.0", "version: 0.20",
        "environments.dev.kserve.version", 10, 7, "0.2 is not of type 'string'",
    ),
    "version with only two parts": (
        "version: v0.20.0", "version: v0.20",
        "environments.dev.kserve.version", 10, 7, "'v0.20' does not match",
    ),
    "server that is not https": (
        "server: https://dev.example", "server: http://dev.example",
        "environments.dev.cluster.server", 8, 7, "'http://dev.example' does not match '^https://'",
    ),
    "bad region": (
        "region: us-east-1\n  prod", "region: useast1\n  prod",
        "environments.dev.storage.region", 15, 7, "'useast1' does not match",
    ),
    "apiVersion": (
        "apiVersion: kserve-gitops.io/v1alpha1", "apiVersion: kserve-gitops.io/v1",
        "apiVersion", 1, 1, "'kserve-gitops.io/v1alpha1' was expected",
    ),
    "kind": (
        "kind: Platform", "kind: Cluster",
        "kind", 2, 1, "'Platform' was expected",
    ),
    "project that is not a DNS label": (
        "project: acme", "project: Acme_ML",
        "project", 3, 1, "'Acme_ML' does not match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'",
    ),
    "missing project": (
        "project: acme\n", "",
        "(top level)", 1, 1, "'project' is a required property",
    ),
    "environment name that is not a DNS label": (
        "  dev:\n", "  Dev:\n",
        "environments", 4, 1, "'Dev' does not match",
    ),
    "namespaces repeated": (
        "namespaces: [ml-dev]", "namespaces: [ml-dev, ml-dev]",
        "environments.dev.namespaces", 12, 5, "has non-unique elements",
    ),
    "negative replicas": (
        "    namespaces: [ml-prod]\n", "    namespaces: [ml-prod]\n    limits: {defaultMinReplicas: -1}\n",
        "environments.prod.limits.defaultMinReplicas", 20, 14, "-1 is less than the minimum of 0",
    ),
    "percent over 100": (
        "    namespaces: [ml-prod]\n", "    namespaces: [ml-prod]\n    alerts:\n      errorRatePercent: 150\n",
        "environments.prod.alerts.errorRatePercent", 21, 7, "150 is greater than the maximum of 100",
    ),
    "a boolean written as a string": (
        "    namespaces: [ml-prod]\n", "    namespaces: [ml-prod]\n    security: {mtls: 'false'}\n",
        "environments.prod.security.mtls", 20, 16, "'false' is not of type 'boolean'",
    ),
    "promotion order repeated": (
        "promotionOrder: [dev, prod]", "promotionOrder: [dev, prod, dev]",
        "promotionOrder", 21, 1, "['dev', 'prod', 'dev'] has non-unique elements",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_value_names_file_line_and_field(case: str) -> None:
    old, new, field, line, column, message = BAD[case]
    assert old in TWO_ENVS
    err = refused(TWO_ENVS.replace(old, new, 1))
    assert (err.field, err.line, err.column) == (field, line, column)
    assert message in err.message
    assert str(err).startswith(f"{CONFIG_FILE}:{line}:{column}: {field}: ")
    assert err.hint is None  # one problem, no "more problems" hint


def test_an_empty_environments_map_is_refused() -> None:
    text = TWO_ENVS[: TWO_ENVS.index("environments:")] + "environments: {}\n"
    err = refused(text)
    assert (err.field, err.line, err.column) == ("environments", 4, 1)
    assert err.message == "{} should be non-empty"


def test_an_unknown_field_names_the_field_and_the_schema() -> None:
    err = refused(TWO_ENVS + "colour: blue\n")
    assert err.field == "(top level)" and err.line == 1
    assert err.message == (
        "Additional properties are not allowed ('colour' was unexpected) "
        "(see the schema shipped as kserve_gitops/inputs/config.schema.json)"
    )


def test_an_unknown_field_in_an_environment_points_at_that_environment() -> None:
    err = refused(TWO_ENVS.replace("    namespaces: [ml-prod]\n", "    namespaces: [ml-prod]\n    replicas: 3\n"))
    assert (err.field, err.line, err.column) == ("environments.prod", 16, 3)
    assert "'replicas' was unexpected" in err.message


def test_a_misspelt_nested_field_points_at_its_mapping() -> None:
    err = refused(TWO_ENVS.replace("      deploymentMode: Knative", "      deploymentmode: Knative"))
    assert (err.field, err.line, err.column) == ("environments.dev.kserve", 9, 5)
    assert "'deploymentmode' was unexpected" in err.message


def test_several_problems_report_one_and_count_the_rest() -> None:
    text = TWO_ENVS.replace("namespaces: [ml-dev]", "namespaces: ml-dev").replace("region: us-east-1}", "region: nowhere}")
    err = refused(text)
    assert err.hint == "1 more problem(s) in this file"
    assert err.field in ("environments.dev.namespaces", "environments.prod.storage.region")


@pytest.mark.parametrize(
    "releases, field, line, column, message",
    [
        (
            "kserveReleases:\n  v0.20.0:\n    images:\n      storage-initializer: Docker.io/Kserve/Init\n",
            "kserveReleases.v0.20.0.images.storage-initializer", 25, 7, "'Docker.io/Kserve/Init' does not match",
        ),
        (
            "kserveReleases:\n  v0.20.0:\n    images: {}\n",
            "kserveReleases.v0.20.0.images", 24, 5, "{} should be non-empty",
        ),
        (
            "kserveReleases:\n  v0.20.0: {}\n",
            "kserveReleases.v0.20.0", 23, 3, "'images' is a required property",
        ),
        (
            "kserveReleases:\n  v0.20.0:\n    images: {a: b:1}\n    runtimes: {}\n",
            "kserveReleases.v0.20.0", 23, 3, "'runtimes' was unexpected",
        ),
        (
            "kserveReleases:\n  '0.20.0':\n    images: {a: b:1}\n",
            "kserveReleases", 22, 1, "'0.20.0' does not match",
        ),
        (
            "kserveReleases:\n  v0.20.0:\n    images:\n      storage-initializer: 3\n",
            "kserveReleases.v0.20.0.images.storage-initializer", 25, 7, "3 is not of type 'string'",
        ),
    ],
)
def test_bad_kserve_releases(releases: str, field: str, line: int, column: int, message: str) -> None:
    err = refused(TWO_ENVS + releases)
    assert (err.field, err.line, err.column) == (field, line, column)
    assert message in err.message


def test_release_versions_and_image_references_that_are_accepted() -> None:
    releases = (
        "kserveReleases:\n"
        "  v0.21.0-rc.1:\n    images: {storage-initializer: 'docker.io/kserve/storage-initializer:v0.21.0-rc1'}\n"
        "  main:\n    images: {kserve-sklearnserver: 'registry.local/kserve/sklearnserver'}\n"
    )
    config = load(TWO_ENVS + releases)
    assert config.release_images == {
        "v0.21.0-rc.1": {"storage-initializer": "docker.io/kserve/storage-initializer:v0.21.0-rc1"},
        "main": {"kserve-sklearnserver": "registry.local/kserve/sklearnserver"},
    }


def test_enabled_argo_workflows_needs_its_image_and_names() -> None:
    err = refused(TWO_ENVS + "automation:\n  argoWorkflows:\n    enabled: true\n    image: ghcr.io/acme/kg:1\n")
    assert (err.field, err.line, err.column) == ("automation.argoWorkflows", 23, 3)
    assert "is a required property" in err.message
    assert load(TWO_ENVS + "automation:\n  argoWorkflows: {enabled: false}\n").argo_workflows.enabled is False


def test_an_environment_the_promotion_order_names_but_does_not_define() -> None:
    err = refused(TWO_ENVS.replace("[dev, prod]", "[dev, staging, prod]"))
    assert (err.field, err.line, err.column) == ("promotionOrder[1]", 21, 23)
    assert err.message == "names environment 'staging', which is not defined under 'environments'"


def test_a_promotion_order_that_leaves_an_environment_out() -> None:
    err = refused(TWO_ENVS.replace("[dev, prod]", "[prod]"))
    assert (err.field, err.line, err.column) == ("promotionOrder", 21, 1)
    assert err.message == "leaves out environment(s) dev"
    assert str(err) == "kserve-gitops.yaml:21:1: promotionOrder: leaves out environment(s) dev"


def test_a_file_that_is_not_a_mapping() -> None:
    err = refused("- dev\n- prod\n")
    assert (err.message, err.line) == ("the file must be a mapping of settings", 1)


def test_a_missing_file_says_how_to_make_one() -> None:
    with pytest.raises(ConfigError) as err:
        load_config("kserve-gitops.yaml")
    assert err.value.message == "no kserve-gitops.yaml here"
    assert "kserve-gitops init" in err.value.hint and "--repo DIR" in err.value.hint


@pytest.mark.parametrize(
    "text, message, line",
    [
        ("", "file is empty (no YAML document)", None),
        (MINIMAL + "---\nproject: other\n", "expected one YAML document, found 2", 11),
        (MINIMAL.replace("  dev:\n", "  dev:\n\tcluster: {}\n"), "invalid YAML", 6),
        (MINIMAL.replace("[ml-dev]", "[ml-dev"), "invalid YAML", 9),
    ],
)
def test_unreadable_yaml_is_a_yaml_error_at_its_line(text: str, message: str, line: int | None) -> None:
    with pytest.raises(YamlError) as err:
        load(text)
    assert isinstance(err.value, InputError) and err.value.exit_code == EXIT_INPUT
    assert message in err.value.message
    assert (err.value.path, err.value.line) == (CONFIG_FILE, line)
