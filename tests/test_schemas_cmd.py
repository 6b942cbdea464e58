"""``schemas import`` (file and stdin) lays CRDs out like ../shared/crds; ``schemas fetch`` is tested for
what it refuses, the URLs it starts from, and a whole fetch from a mirror on a loopback server (no network)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from conftest import REPO, SHARED_CRDS, run_cli_process

EXAMPLES = Path(__file__).resolve().parent / "examples"



def validate_cli(*args: str, **kw):
    """``kserve-gitops validate`` as a process, schema and KServe checks only (policies and the admission
    stage have their own tests)."""
    return run_cli_process("validate", *args, "--no-policy", "--no-admission", **kw)

def test_import_from_stdin_files_kserve_crds_by_version(tmp_path: Path) -> None:
    stream = "\n---\n".join(p.read_text() for p in sorted((SHARED_CRDS / "kserve" / "v0.14.1").glob("*.yaml")))
    run = run_cli_process("--repo", str(tmp_path), "schemas", "import", "-", "--kserve-version", "v0.14.1", cwd=tmp_path, input=stream)
    assert run.returncode == 0, run.stderr
    written = sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / "schemas").rglob("*.yaml"))
    assert "schemas/kserve/v0.14.1/serving.kserve.io_inferenceservices.yaml" in written
    assert all(p.startswith("schemas/kserve/v0.14.1/") for p in written)


def test_import_other_groups_and_lists(tmp_path: Path) -> None:
    crds = [d for d in yaml.safe_load_all((SHARED_CRDS / "cert-manager" / "cert-manager.io_issuers.yaml").read_text()) if d]
    (tmp_path / "crds.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": crds}))
    run = run_cli_process("schemas", "import", "crds.yaml", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "schemas" / "cert-manager.io" / "cert-manager.io_issuers.yaml").is_file()


def test_imported_schemas_are_used_by_validate(tmp_path: Path) -> None:
    crd = EXAMPLES / "positive" / "core-list-and-json" / "crd.yaml"
    widget = EXAMPLES / "negative" / "missing-schema" / "input.yaml"
    assert validate_cli(str(widget), cwd=tmp_path).returncode == 1
    assert run_cli_process("schemas", "import", str(crd), cwd=tmp_path).returncode == 0
    run = validate_cli(str(widget), cwd=tmp_path)
    assert run.returncode == 0, run.stdout


def test_import_refuses_input_without_crds(tmp_path: Path) -> None:
    run = run_cli_process("schemas", "import", "-", cwd=tmp_path, input="apiVersion: v1\nkind: ConfigMap\n")
    assert run.returncode == 2 and "no CustomResourceDefinition" in run.stderr
    assert not (tmp_path / "schemas").exists()


def test_fetch_urls_and_refusals(tmp_path: Path) -> None:
    run = run_cli_process("schemas", "fetch", "--kserve", "v0.14.1", "--dry-run", cwd=tmp_path)
    assert run.returncode == 0
    urls = run.stdout.split()
    assert "https://raw.githubusercontent.com/kserve/kserve/v0.14.1/config/crd/full/kustomization.yaml" in urls
    assert "https://raw.githubusercontent.com/kserve/kserve/v0.14.1/config/crd/full/llmisvc/kustomization.yaml" in urls
    assert len(urls) == 3
    bad = run_cli_process("schemas", "fetch", "--kserve", "0.14; rm -rf /", cwd=tmp_path)
    assert bad.returncode == 2
    offline = run_cli_process("schemas", "fetch", "--kserve", "v0.14.1", cwd=tmp_path, env={"KSERVE_GITOPS_OFFLINE": "1"})
    assert offline.returncode == 3 and "KSERVE_GITOPS_OFFLINE" in offline.stderr
    assert not (tmp_path / "schemas").exists()


def test_fetch_platform_dry_run_lists_pinned_urls_without_network(cli) -> None:
    result = cli("schemas", "fetch", "--kserve", "v0.14.1", "--kserve", "v0.20.0", "--platform", "--dry-run")
    assert result.exit_code == 0
    urls = result.output.split()
    assert sum("kserve/kserve/v0.14.1/" in u for u in urls) == 3
    assert sum("kserve/kserve/v0.20.0/" in u for u in urls) == 3
    assert any(u.endswith("istio/istio/1.24.3/manifests/charts/base/files/crd-all.gen.yaml") for u in urls)
    assert any("monitoring.coreos.com_prometheusrules.yaml" in u for u in urls)
    assert any(u.endswith("argo-cd/v2.13.3/manifests/crds/applicationset-crd.yaml") for u in urls)


def test_fetch_without_anything_to_fetch_is_a_usage_error(cli) -> None:
    result = cli("schemas", "fetch")
    assert result.exit_code == 2


def _mirror(root: Path, version: str) -> None:
    """A release laid out as KServe v0.20.0 is: InferenceService in config/crd/full, ClusterStorageContainer in
    a folder full/ lists, the llmisvc CRDs in their own folder, and no localmodel folder (a 404)."""
    kserve = SHARED_CRDS / "kserve"
    full = root / version / "config" / "crd" / "full"
    for folder, files, extra in [
        (full, ["serving.kserve.io_inferenceservices.yaml"], ["./clusterstoragecontainer"]),
        (full / "clusterstoragecontainer", ["serving.kserve.io_clusterstoragecontainers.yaml"], []),
        (full / "llmisvc", ["serving.kserve.io_llminferenceservices.yaml", "serving.kserve.io_llminferenceserviceconfigs.yaml"], []),
    ]:
        folder.mkdir(parents=True, exist_ok=True)
        for name in files:
            shutil.copy(kserve / name, folder / name)
        (folder / "kustomization.yaml").write_text(yaml.safe_dump({"resources": [*files, *extra]}))


@pytest.fixture
def mirror(tmp_path: Path):
    """A mirror of KServe's raw files on a loopback HTTP server (what --source points at)."""
    import functools
    import http.server
    import threading

    root = tmp_path / "mirror"
    _mirror(root, "v0.20.0")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{{version}}/"
    server.shutdown()
    server.server_close()


def test_fetch_follows_the_release_kustomizations_to_every_crd(tmp_path: Path, mirror: str) -> None:
    """LLMInferenceService's CRDs come with the release's other CRDs; a folder the release lacks is skipped."""
    repo = tmp_path / "repo"
    repo.mkdir()
    run = run_cli_process("schemas", "fetch", "--kserve", "v0.20.0", "--source", mirror, cwd=repo)
    assert run.returncode == 0, run.stderr
    written = sorted(p.relative_to(repo).as_posix() for p in (repo / "schemas").rglob("*") if p.is_file())
    assert written == [
        "schemas/kserve/v0.20.0/serving.kserve.io_clusterstoragecontainers.yaml",
        "schemas/kserve/v0.20.0/serving.kserve.io_inferenceservices.yaml",
        "schemas/kserve/v0.20.0/serving.kserve.io_llminferenceserviceconfigs.yaml",
        "schemas/kserve/v0.20.0/serving.kserve.io_llminferenceservices.yaml",
    ]
    stored = yaml.safe_load((repo / written[3]).read_text())
    assert stored["spec"]["names"]["kind"] == "LLMInferenceService"


def test_fetch_of_a_release_the_source_does_not_have_fails_and_writes_nothing(tmp_path: Path, mirror: str) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    run = run_cli_process("schemas", "fetch", "--kserve", "v0.14.1", "--source", mirror, cwd=repo)
    assert run.returncode == 3
    assert "cannot download" in run.stderr and "v0.14.1/config/crd/full/kustomization.yaml" in run.stderr
    assert not (repo / "schemas").exists()
