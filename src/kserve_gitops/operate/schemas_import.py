"""``schemas import`` and ``schemas fetch``: CRDs from a YAML stream (a file, stdin, ``kubectl get crd -o
yaml``) or upstream URLs, written into the repo's ``schemas/`` folder laid out like ``../shared/crds``.

Kept apart from ``validate/schemas.py`` (the lookup validate runs on): validate only reads ``schemas/``,
so its start-up never loads the writing and networking code.
"""

from __future__ import annotations

import copy
import os
import posixpath
import re
from pathlib import Path
from typing import Any

import yaml

from ..errors import EnvironmentProblem, SchemaLoadError, UsageError, YamlError
from ..inputs.yamlsrc import KubeLoader
from ..render.stream import list_items
from ..validate.schemas import CRD_KIND, crd_to_schemas
from .atomic import write_text_atomic

KSERVE_GROUP = "serving.kserve.io"
KSERVE_RELEASE = re.compile(r"^v\d+\.\d+\.\d+(-rc\d+)?$")
# Where a release's files are read: GitHub's raw files at the tag, or a mirror of them (--source).
KSERVE_SOURCE = "https://raw.githubusercontent.com/kserve/kserve/{version}/"
# A release's CRDs as KServe composes them: the kustomization of config/crd/full (what its kserve-crd chart
# installs) and, on releases that have them, the folders of the optional CRD charts (kserve-llmisvc-crd,
# kserve-localmodel-crd). Each kustomization's resources are followed, so a release's own layout decides
# (v0.14.1 lists LocalModelCache in full/, v0.20.0 keeps it and LLMInferenceService in folders of their own).
KSERVE_CRD_FOLDERS = ("config/crd/full", "config/crd/full/llmisvc", "config/crd/full/localmodel")
# What a live cluster adds to a CRD that says nothing about its schema.
_VOLATILE_METADATA = ("managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink")


def import_destination(crd: dict[str, Any], *, kserve_version: str | None) -> Path:
    """Where a CRD goes under ``schemas/``, laid out like ``../shared/crds``."""
    spec = crd.get("spec") or {}
    group = str(spec.get("group") or "")
    plural = str((spec.get("names") or {}).get("plural") or "").lower()
    if not group or not plural or not re.fullmatch(r"[a-z0-9.-]+", group + plural):
        raise SchemaLoadError("a CustomResourceDefinition without a valid spec.group and spec.names.plural")
    name = f"{group}_{plural}.yaml"
    if group == KSERVE_GROUP:
        return Path("kserve", kserve_version, name) if kserve_version else Path("kserve", name)
    return Path(group, name)


def clean_crd(crd: dict[str, Any]) -> dict[str, Any]:
    crd = copy.deepcopy(crd)
    crd.pop("status", None)
    meta = crd.get("metadata") or {}
    for key in _VOLATILE_METADATA:
        meta.pop(key, None)
    annotations = meta.get("annotations") or {}
    annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    if not annotations:
        meta.pop("annotations", None)
    return crd


def import_crds(text: str, dest_root: Path, *, source: str, kserve_version: str | None = None) -> list[Path]:
    """Write every CRD in a YAML stream (a file, ``kubectl get crd -o yaml``) under ``dest_root``."""
    if kserve_version is not None and kserve_version != "main" and not KSERVE_RELEASE.match(kserve_version):
        raise UsageError(f"--kserve-version {kserve_version!r} is not a release like v0.14.1")
    try:
        docs = list(yaml.load_all(text, Loader=KubeLoader))
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}", path=source) from None
    crds = [item for doc in docs for _, item in list_items(doc) if isinstance(item, dict) and item.get("kind") == CRD_KIND]
    if not crds:
        raise UsageError(f"{source}: no CustomResourceDefinition found", hint="pipe 'kubectl get crd -o yaml' or a CRD file")
    written = []
    for crd in crds:
        crd_to_schemas(crd)  # refuse a CRD we could not convert before writing anything
    for crd in crds:
        target = dest_root / import_destination(crd, kserve_version=kserve_version if kserve_version != "main" else None)
        body = yaml.safe_dump(clean_crd(crd), sort_keys=False, default_flow_style=False)
        write_text_atomic(target, f"# Imported by 'kserve-gitops schemas import' from {source}.\n{body}")
        written.append(target)
    return sorted(written)


def kserve_source(version: str, source: str = KSERVE_SOURCE) -> str:
    """The base URL of one KServe release's files."""
    if not KSERVE_RELEASE.match(version):
        raise UsageError(f"KServe version {version!r} is not a release like v0.14.1", hint="tags look like v0.14.1")
    base = source.format(version=version)
    return base if base.endswith("/") else base + "/"


def kserve_crd_urls(version: str, source: str = KSERVE_SOURCE) -> list[str]:
    """The kustomizations ``fetch`` starts from for one release (the CRD files are the ones they list)."""
    base = kserve_source(version, source)
    return [f"{base}{folder}/kustomization.yaml" for folder in KSERVE_CRD_FOLDERS]


# The other CRDs the synthesized platform uses in overlays/<env> (Istio security, Prometheus operator) and
# overlays/argocd (ArgoCD), at the releases the install constructs pin.
PLATFORM_CRD_URLS = (
    "https://raw.githubusercontent.com/istio/istio/1.24.3/manifests/charts/base/files/crd-all.gen.yaml",
    *(
        "https://raw.githubusercontent.com/prometheus-operator/prometheus-operator/v0.80.0/example/"
        f"prometheus-operator-crd/monitoring.coreos.com_{plural}.yaml"
        for plural in ("prometheusrules", "servicemonitors", "podmonitors")
    ),
    *(
        f"https://raw.githubusercontent.com/argoproj/argo-cd/v2.13.3/manifests/crds/{name}-crd.yaml"
        for name in ("application", "appproject", "applicationset")
    ),
)


def fetch_platform_crds(dest_root: Path, *, timeout: float = 30) -> list[Path]:
    """Download the non-KServe CRDs the synthesized platform needs into ``dest_root/<group>/``."""
    return _fetch(list(PLATFORM_CRD_URLS), dest_root, kserve_version=None, timeout=timeout)


def fetch_kserve_crds(version: str, dest_root: Path, *, timeout: float = 30, source: str = KSERVE_SOURCE) -> list[Path]:
    """Download one KServe release's CRDs into ``dest_root/kserve/<version>/`` (the only networked code)."""
    base = kserve_source(version, source)
    files: list[str] = []
    for i, folder in enumerate(KSERVE_CRD_FOLDERS):
        # config/crd/full must exist; the optional charts' folders are absent from older releases
        files.extend(_kustomization_files(base, folder, timeout=timeout, required=i == 0))
    return _fetch(list(dict.fromkeys(files)), dest_root, kserve_version=version, timeout=timeout)


def _kustomization_files(base: str, folder: str, *, timeout: float, required: bool) -> list[str]:
    """The URLs of the YAML files a kustomization lists, following the folders it lists."""
    url = f"{base}{folder}/kustomization.yaml"
    text = _download(url, timeout=timeout, missing_ok=not required)
    if text is None:
        return []
    try:
        kustomization = yaml.load(text, Loader=KubeLoader) or {}
    except yaml.YAMLError as exc:
        raise EnvironmentProblem(f"{url} is not YAML: {exc}", hint="check --source") from None
    resources = kustomization.get("resources") if isinstance(kustomization, dict) else None
    files = []
    for entry in resources if isinstance(resources, list) else []:
        entry = posixpath.normpath(posixpath.join(folder, str(entry)))
        if entry.endswith((".yaml", ".yml")):
            files.append(f"{base}{entry}")
        else:  # a folder with a kustomization of its own
            files.extend(_kustomization_files(base, entry, timeout=timeout, required=True))
    return files


def _download(url: str, *, timeout: float, missing_ok: bool = False) -> str | None:
    import urllib.error
    import urllib.request

    if os.environ.get("KSERVE_GITOPS_OFFLINE"):
        raise EnvironmentProblem("KSERVE_GITOPS_OFFLINE is set: 'schemas fetch' needs the network", hint="unset it, or use 'schemas import'")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - https, or the --source given
            return response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        if missing_ok and exc.code == 404:
            return None
        raise EnvironmentProblem(f"cannot download {url}: {exc}", hint="check the network, or use 'schemas import'") from None
    except (urllib.error.URLError, OSError, UnicodeDecodeError) as exc:
        raise EnvironmentProblem(f"cannot download {url}: {exc}", hint="check the network, or use 'schemas import'") from None


def _fetch(urls: list[str], dest_root: Path, *, kserve_version: str | None, timeout: float) -> list[Path]:
    texts = [(url, _download(url, timeout=timeout)) for url in urls]  # every file, before anything is written
    written = []
    for url, text in texts:
        written.extend(import_crds(text or "", dest_root, source=url, kserve_version=kserve_version))
    return written
