"""What a validate run checks and how: one options object from the CLI (or a caller) to every check."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ValidateOptions:
    environments: list[str] | None = None
    strict: bool = False
    schema_paths: list[Path] = field(default_factory=list)
    # KServe chart folders whose CRD charts complete a release's CRDs (default: default_chart_dirs)
    chart_dirs: list[Path] | None = None
    ignore_missing_schemas: bool = False
    skip_kinds: frozenset[str] = frozenset()
    kubernetes_version: str | None = None
    kserve_version: str | None = None
    schemas: bool = True
    # schema engine: "builtin" (jsonschema-rs in process) or "kubeconform" (the real binary)
    schema_engine: str = "builtin"
    # policies (issue: Rego policy gate)
    policies: bool = True
    policy_dirs: list[Path] = field(default_factory=list)
    policy_namespaces: list[str] = field(default_factory=list)
    policy_engine: str = "regorus"
    opa_url: str | None = None
    fail_on_warn: bool = False
    # reuse unchanged models' rendered objects from the render cache (render/cache.py)
    render_cache: bool = True
    # the admission stage (admission.py): KServe's webhooks and the API server's CRD validation
    admission: bool = True
    # with PATHs and no environment: the KServe release whose webhooks run (newest of kserve-gitops.yaml,
    # else the newest release a helper is pinned for)
    admission_kserve_version: str | None = None
    # env -> the objects a change updates (validate --base, lifecycle commands): UPDATE instead of CREATE
    base_objects: dict[str, dict[tuple[str, str, str, str], dict]] | None = None
    # refuse to judge overlays synthesized from other inputs than those on disk (synth/output.py's stamp)
    check_stale: bool = True
