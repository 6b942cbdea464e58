"""operate/schemas_import.py: where ``schemas import`` files each CRD, what it drops from a live cluster's
copy, what it refuses before writing anything, and the URLs ``schemas fetch`` would read (no network)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kserve_gitops.errors import EnvironmentProblem, SchemaLoadError, UsageError, YamlError
from kserve_gitops.operate.schemas_import import (
    PLATFORM_CRD_URLS,
    clean_crd,
    fetch_kserve_crds,
    import_crds,
    import_destination,
    kserve_crd_urls,
)


def crd(group: str, plural: str, kind: str) -> dict:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "names": {"plural": plural, "kind": kind},
            "scope": "Namespaced",
            "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {"type": "object"}}}],
        },
    }


WIDGET = crd("example.com", "widgets", "Widget")
ISVC = crd("serving.kserve.io", "inferenceservices", "InferenceService")


def test_destination_by_group_and_kserve_release() -> None:
    assert import_destination(WIDGET, kserve_version=None) == Path("example.com/example.com_widgets.yaml")
    assert import_destination(WIDGET, kserve_version="v0.14.1") == Path("example.com/example.com_widgets.yaml")
    assert import_destination(ISVC, kserve_version=None) == Path("kserve/serving.kserve.io_inferenceservices.yaml")
    assert import_destination(ISVC, kserve_version="v0.14.1") == Path("kserve/v0.14.1/serving.kserve.io_inferenceservices.yaml")
    with pytest.raises(SchemaLoadError):
        import_destination(crd("../etc", "widgets", "Widget"), kserve_version=None)  # never a path outside schemas/


def test_clean_crd_drops_live_cluster_noise_only() -> None:
    live = {
        **WIDGET,
        "status": {"acceptedNames": {}},
        "metadata": {
            "name": "widgets.example.com",
            "uid": "1",
            "resourceVersion": "2",
            "managedFields": [],
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
            "labels": {"team": "a"},
        },
    }
    cleaned = clean_crd(live)
    assert cleaned["metadata"] == {"name": "widgets.example.com", "labels": {"team": "a"}}
    assert "status" not in cleaned and live["status"]  # the input is not changed


def test_import_unwraps_lists_and_writes_under_dest(tmp_path: Path) -> None:
    stream = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [WIDGET, ISVC]}) + "---\nkind: ConfigMap\n"
    written = import_crds(stream, tmp_path, source="crds.yaml", kserve_version="v0.14.1")
    assert [p.relative_to(tmp_path).as_posix() for p in written] == [
        "example.com/example.com_widgets.yaml",
        "kserve/v0.14.1/serving.kserve.io_inferenceservices.yaml",
    ]
    text = written[0].read_text()
    assert text.startswith("# Imported by 'kserve-gitops schemas import' from crds.yaml.\n")
    assert yaml.safe_load(text) == WIDGET
    assert not list(tmp_path.rglob(".*.tmp"))


def test_import_refusals_write_nothing(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no CustomResourceDefinition"):
        import_crds("kind: ConfigMap\n", tmp_path, source="<stdin>")
    with pytest.raises(UsageError, match="is not a release"):
        import_crds(yaml.safe_dump(WIDGET), tmp_path, source="<stdin>", kserve_version="0.14")
    with pytest.raises(YamlError):
        import_crds("a: [\n", tmp_path, source="<stdin>")
    assert list(tmp_path.iterdir()) == []


def test_fetch_urls_and_offline_refusal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    urls = kserve_crd_urls("v0.14.1")
    assert urls == [
        f"https://raw.githubusercontent.com/kserve/kserve/v0.14.1/config/crd/full/{folder}kustomization.yaml"
        for folder in ("", "llmisvc/", "localmodel/")
    ]
    assert all(u.startswith("https://raw.githubusercontent.com/") for u in PLATFORM_CRD_URLS)
    with pytest.raises(UsageError):
        kserve_crd_urls("main; rm -rf /")
    monkeypatch.setenv("KSERVE_GITOPS_OFFLINE", "1")
    with pytest.raises(EnvironmentProblem, match="KSERVE_GITOPS_OFFLINE"):
        fetch_kserve_crds("v0.14.1", tmp_path)
    assert list(tmp_path.iterdir()) == []
