"""The local model cache in the YAML path: a model asks with ``kserve-gitops.io/local-model-cache: <size>``,
an environment caches on ``localModelCache.nodeGroups``; synth writes the LocalModelCache with the storageUri
the model renders with there, validate checks it against that environment's KServe CRDs (KSV011 where the
release has no LocalModelCache, the CRD's schema once imported), and bad declarations stop at the input."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from conftest import SHARED_CHARTS, SHARED_CRDS, copy_example, run_cli_process

CACHED = "sklearn-iris"


def cached_repo(tmp_path: Path, *, size: str = "2Gi", env: str = "staging") -> Path:
    repo = copy_example(tmp_path / "platform")
    config = repo / "kserve-gitops.yaml"
    text = config.read_text()
    anchor = f"\n  {env}:\n"
    assert anchor in text
    config.write_text(text.replace(anchor, f"{anchor}    localModelCache:\n      nodeGroups: [gpu-a10g, cpu-cache]\n", 1))
    model = repo / "models" / CACHED / "inferenceservice.yaml"
    model.write_text(model.read_text().replace("  name: sklearn-iris\n", f"  name: sklearn-iris\n  annotations:\n    kserve-gitops.io/local-model-cache: {size}\n", 1))
    return repo


def rendered(repo: Path, env: str) -> list[dict]:
    proc = run_cli_process("render", env, cwd=repo)
    assert proc.returncode == 0, proc.stderr
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def test_synth_writes_a_cache_where_the_environment_has_node_groups(tmp_path: Path):
    repo = cached_repo(tmp_path)
    proc = run_cli_process("synth", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert "../../charts/modelcaches/staging" in (repo / "overlays/staging/kustomization.yaml").read_text()
    assert not (repo / "charts/modelcaches/dev").exists() and not (repo / "charts/modelcaches/prod").exists()
    staging = rendered(repo, "staging")
    [cache] = [o for o in staging if o["kind"] == "LocalModelCache"]
    [isvc] = [o for o in staging if o["kind"] == "InferenceService" and o["metadata"]["name"] == CACHED]
    assert cache["metadata"] == {"name": CACHED, "labels": cache["metadata"]["labels"]} and "namespace" not in cache["metadata"]
    assert cache["spec"] == {
        "sourceModelUri": isvc["spec"]["predictor"]["model"]["storageUri"],
        "modelSize": "2Gi",
        "nodeGroups": ["gpu-a10g", "cpu-cache"],
    }
    assert "kserve-gitops.io/local-model-cache" not in (isvc["metadata"].get("annotations") or {})
    assert not [o for o in rendered(repo, "dev") if o["kind"] == "LocalModelCache"]


def test_validate_checks_the_cache_against_the_environments_kserve_crds(tmp_path: Path):
    repo = cached_repo(tmp_path)
    assert run_cli_process("synth", cwd=repo).returncode == 0
    # with the release's CRD charts, v0.20.0 has the cache CRDs (the kserve-localmodel-crd chart): it passes
    proc = run_cli_process("validate", "-e", "staging", cwd=repo, env={"KSERVE_GITOPS_CACHE": str(tmp_path / "cache")})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # a cluster with v0.20.0's charts but kserve-localmodel-crd (an optional chart since v0.15) has no
    # LocalModelCache: the gate says so, for staging only
    charts = tmp_path / "charts-without-localmodel"
    for chart in (SHARED_CHARTS / "v0.20.0").iterdir():
        if not chart.name.startswith("kserve-localmodel"):
            (charts / "v0.20.0").mkdir(parents=True, exist_ok=True)
            (charts / "v0.20.0" / chart.name).symlink_to(chart)
    (charts / "v0.14.1").symlink_to(SHARED_CHARTS / "v0.14.1")
    env = {"KSERVE_GITOPS_CRDS": str(SHARED_CRDS), "KSERVE_GITOPS_CHARTS": str(charts), "KSERVE_GITOPS_CACHE": str(tmp_path / "cache")}
    proc = run_cli_process("validate", "-e", "staging", "-o", "json", cwd=repo, env=env)
    assert proc.returncode == 1, proc.stderr
    ksv011 = [f for f in json.loads(proc.stdout)["findings"] if f["rule"] == "KSV011"]
    assert len(ksv011) == 1 and "LocalModelCache" in ksv011[0]["message"]
    # once the release's cache CRDs are imported for v0.20.0, the cache is checked against them and passes
    for crd in ("serving.kserve.io_localmodelcaches.yaml", "serving.kserve.io_localmodelnodegroups.yaml"):
        imported = run_cli_process("schemas", "import", "--kserve-version", "v0.20.0", str(SHARED_CRDS / "kserve" / crd), cwd=repo, env=env)
        assert imported.returncode == 0, imported.stderr
    proc = run_cli_process("validate", "-e", "staging", cwd=repo, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_size_that_is_not_a_quantity_is_an_input_error(tmp_path: Path):
    repo = cached_repo(tmp_path, size="lots")
    proc = run_cli_process("synth", cwd=repo)
    assert proc.returncode == 2
    assert f"models/{CACHED}/inferenceservice.yaml:7:" in proc.stderr
    assert "kserve-gitops.io/local-model-cache" in proc.stderr and "not a model size" in proc.stderr
    assert not (repo / "charts/modelcaches").exists()


def test_an_environment_patch_cannot_declare_the_cache(tmp_path: Path):
    repo = copy_example(tmp_path / "platform")
    patch = repo / "models" / CACHED / "prod.yaml"
    patch.write_text("metadata:\n  annotations:\n    kserve-gitops.io/local-model-cache: 1Gi\n" + (patch.read_text() if patch.exists() else ""))
    proc = run_cli_process("synth", cwd=repo)
    assert proc.returncode == 2
    assert f"models/{CACHED}/prod.yaml:3:" in proc.stderr and "declared once" in proc.stderr


def test_a_model_without_a_storage_uri_cannot_be_cached(tmp_path: Path):
    repo = cached_repo(tmp_path)
    model = repo / "models" / CACHED / "inferenceservice.yaml"
    data = yaml.safe_load(model.read_text())
    uri = data["spec"]["predictor"]["model"]["storageUri"]
    model.write_text(model.read_text().replace(f"storageUri: {uri}", "image: ghcr.io/acme/iris:1.0"))
    (repo / "models" / CACHED / "staging.yaml").unlink()  # it sets the staging storageUri
    before = sorted(p.relative_to(repo) for p in (repo / "charts").rglob("*"))
    proc = run_cli_process("synth", cwd=repo)
    assert proc.returncode == 2, proc.stderr
    assert f"models/{CACHED}/inferenceservice.yaml:7:" in proc.stderr and "no storageUri in staging" in proc.stderr
    assert sorted(p.relative_to(repo) for p in (repo / "charts").rglob("*")) == before
