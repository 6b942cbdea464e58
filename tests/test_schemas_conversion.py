"""CRD -> JSON schema conversion and the on-disk conversion cache keyed by file content."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kserve_gitops.validate import schemas as S
from kserve_gitops.validate.schemas import CONVERTER_VERSION, SchemaSet, crd_file_schemas, crd_to_schemas

MULTI_VERSION_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Gadget, plural: gadgets}
  versions:
    - name: v1alpha1
      served: false
      storage: false
      schema: {openAPIV3Schema: {type: object}}
    - name: v1
      served: true
      storage: false
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                port: {x-kubernetes-int-or-string: true}
                note: {type: string, nullable: true}
                extra: {type: object, x-kubernetes-preserve-unknown-fields: true, properties: {a: {type: string}}}
    - name: v2
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {type: integer}
"""


def gadget(version: str, spec: dict, name: str = "g") -> dict:
    return {"apiVersion": f"example.com/{version}", "kind": "Gadget", "metadata": {"name": name}, "spec": spec}


@pytest.fixture
def crd_file(tmp_path: Path) -> Path:
    path = tmp_path / "gadgets.yaml"
    path.write_text(MULTI_VERSION_CRD)
    return path


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("KSERVE_GITOPS_CACHE", str(cache))
    monkeypatch.setattr(S, "_crd_file_cache", {})
    return cache


def test_every_served_version_gets_its_own_schema(crd_file: Path) -> None:
    schemas = crd_file_schemas(crd_file, False)
    assert sorted(schemas) == [("example.com/v1", "Gadget"), ("example.com/v2", "Gadget")]
    sset = SchemaSet(kubernetes_version=None, crd_files=[crd_file])
    v1, v2 = sset.validator_for("example.com/v1", "Gadget"), sset.validator_for("example.com/v2", "Gadget")
    assert v1.is_valid(gadget("v1", {"port": 80})) and v1.is_valid(gadget("v1", {"port": "http"}))
    assert not v1.is_valid(gadget("v1", {"port": 1.5}))
    assert v1.is_valid(gadget("v1", {"note": None}))
    assert not v2.is_valid(gadget("v2", {})) and v2.is_valid(gadget("v2", {"size": 3}))
    assert sset.validator_for("example.com/v1alpha1", "Gadget") is None  # not served


def test_strict_honours_preserve_unknown_fields(crd_file: Path) -> None:
    strict = SchemaSet(kubernetes_version=None, crd_files=[crd_file], strict=True).validator_for("example.com/v1", "Gadget")
    assert strict.is_valid(gadget("v1", {"extra": {"anything": 1}}))
    assert not strict.is_valid(gadget("v1", {"unknown": 1}))


def test_metadata_is_checked_as_object_meta(crd_file: Path) -> None:
    v = SchemaSet(kubernetes_version=None, crd_files=[crd_file]).validator_for("example.com/v2", "Gadget")
    bad = gadget("v2", {"size": 1})
    bad["metadata"]["labels"] = {"a": 1}
    assert not v.is_valid(bad)
    bad["metadata"] = {"name": "g", "generation": "one"}
    assert not v.is_valid(bad)


def test_conversion_is_cached_on_disk_by_content(crd_file: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    crd_file_schemas(crd_file, False)
    cached = sorted((private_cache / "crd-schemas" / f"v{CONVERTER_VERSION}").glob("*.json"))
    assert len(cached) == 1 and cached[0].name.startswith(S.file_digest(crd_file.read_bytes()))
    # a later process reads the cache instead of converting: prove it by making conversion fail
    monkeypatch.setattr(S, "_crd_file_cache", {})
    monkeypatch.setattr(S, "crd_to_schemas", lambda *a, **k: (_ for _ in ()).throw(AssertionError("converted again")))
    assert ("example.com/v2", "Gadget") in crd_file_schemas(crd_file, False)
    # same path, new content: a new key, converted afresh
    monkeypatch.undo()
    monkeypatch.setenv("KSERVE_GITOPS_CACHE", str(private_cache))
    monkeypatch.setattr(S, "_crd_file_cache", {})
    crd_file.write_text(MULTI_VERSION_CRD.replace("size: {type: integer}", "size: {type: string}"))
    v = SchemaSet(kubernetes_version=None, crd_files=[crd_file]).validator_for("example.com/v2", "Gadget")
    assert v.is_valid(gadget("v2", {"size": "big"}))
    assert len(list((private_cache / "crd-schemas" / f"v{CONVERTER_VERSION}").glob("*.json"))) == 2


def test_a_corrupt_cache_entry_is_converted_again(crd_file: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    crd_file_schemas(crd_file, False)
    [entry] = (private_cache / "crd-schemas" / f"v{CONVERTER_VERSION}").glob("*.json")
    entry.write_text("{not json")
    monkeypatch.setattr(S, "_crd_file_cache", {})
    assert ("example.com/v1", "Gadget") in crd_file_schemas(crd_file, False)


def test_xdg_cache_home_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KSERVE_GITOPS_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    from kserve_gitops.cachedir import cache_dir

    assert cache_dir() == tmp_path / "xdg" / "kserve-gitops"
    assert S.SCHEMA_STORE.folder == tmp_path / "xdg" / "kserve-gitops" / "crd-schemas" / f"v{CONVERTER_VERSION}"


def test_a_crd_object_validates_as_a_crd() -> None:
    sset = SchemaSet(kubernetes_version="1.31")
    crd = yaml.safe_load(MULTI_VERSION_CRD)
    v = sset.validator_for("apiextensions.k8s.io/v1", "CustomResourceDefinition")
    assert v.is_valid(crd)
    del crd["spec"]["scope"]
    assert not v.is_valid(crd)


def test_json_schema_files_are_accepted(tmp_path: Path) -> None:
    schema = crd_to_schemas(yaml.safe_load(MULTI_VERSION_CRD))[("example.com/v2", "Gadget")]
    path = tmp_path / "gadget_v2.json"
    import json

    path.write_text(json.dumps(schema))
    v = SchemaSet(kubernetes_version=None, crd_files=[path]).validator_for("example.com/v2", "Gadget")
    assert v is not None and not v.is_valid(gadget("v2", {}))


def test_kserve_crds_validate_every_inferenceservice_of_this_repo_per_environment() -> None:
    from conftest import REPO
    from kserve_gitops.validate.run import validate_repo

    report = validate_repo(REPO)
    schema_findings = [f for f in report.findings if f.rule in ("schema", "schema-missing")]
    assert schema_findings == []
    assert {e.name for e in report.environments} == {"dev", "staging", "prod", "argocd", "automation"}


def test_a_cached_file_decodes_only_the_schemas_used(crd_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A later run reads each CRD file's cache entry but decodes a schema only when an object needs it."""
    crd_file_schemas(crd_file, False)  # converts, and writes the entry
    monkeypatch.setattr(S, "_crd_file_cache", {})
    monkeypatch.setattr(S, "_validators", {})  # a validator compiled by an earlier test needs no schema
    sset = SchemaSet(kubernetes_version=None, crd_files=[crd_file])
    assert sset.has_crd("example.com/v1", "Gadget") and sset.has_crd("example.com/v2", "Gadget")
    entries = crd_file_schemas(crd_file, False)._entries
    assert all(isinstance(text, str) for text in entries.values())  # nothing decoded yet
    v2 = sset.validator_for("example.com/v2", "Gadget")
    assert not v2.is_valid(gadget("v2", {})) and v2.is_valid(gadget("v2", {"size": 3}))
    assert isinstance(entries[("example.com/v2", "Gadget")], dict) and isinstance(entries[("example.com/v1", "Gadget")], str)


def test_an_entry_in_the_former_layout_is_converted_again(crd_file: Path, private_cache: Path) -> None:
    """Schemas stored as objects (not JSON text) are not this converter's: a miss, never a crash."""
    crd_file_schemas(crd_file, False)
    [entry] = (private_cache / "crd-schemas" / f"v{CONVERTER_VERSION}").glob("*.json")
    entry.write_text('[{"apiVersion": "example.com/v1", "kind": "Gadget", "schema": {"type": "object"}}]')
    S._crd_file_cache.clear()
    schemas = crd_file_schemas(crd_file, False)
    assert sorted(schemas) == [("example.com/v1", "Gadget"), ("example.com/v2", "Gadget")]
    assert schemas[("example.com/v1", "Gadget")]["type"] == "object" and "properties" in schemas[("example.com/v1", "Gadget")]
