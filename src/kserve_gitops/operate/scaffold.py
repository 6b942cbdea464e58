"""``init``: a new platform repository that synthesizes and validates at once.

The files are written from the templates below (not copied from this repo, whose example is richer than a
starting point should be), then ``synth`` produces ``charts/`` and ``overlays/`` so that the first commit
already passes ``synth --check`` and ``validate``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..errors import UsageError
from ..synth.app import synth_repo
from ..synth.output import Drift

_PROJECT = re.compile(r"[^a-z0-9-]+")


@dataclass
class InitResult:
    root: Path
    files: list[str]
    generated: Drift


def project_name(directory: Path) -> str:
    name = _PROJECT.sub("-", directory.resolve().name.lower()).strip("-")
    return name or "ml-platform"


def scaffold_files(project: str) -> dict[str, str]:
    """Repo-relative path → content of every file ``init`` writes."""
    return {
        "kserve-gitops.yaml": CONFIG.format(project=project),
        "models/sklearn-iris/inferenceservice.yaml": MODEL,
        "models/sklearn-iris/prod.yaml": MODEL_PROD,
        "policies/starter.rego": POLICY,
        "policies/starter_test.rego": POLICY_TEST,
        "cdk8s.yaml": CDK8S,
        ".github/workflows/kserve-gitops.yaml": WORKFLOW.format(version=__version__),
        ".pre-commit-config.yaml": PRE_COMMIT,
        ".gitignore": GITIGNORE,
        "README.md": README.format(project=project),
    }


def init_repo(directory: Path, *, project: str | None = None, synth: bool = True) -> InitResult:
    """Write the scaffold into ``directory`` (created if needed). Refuses to overwrite any existing file."""
    if directory.exists() and not directory.is_dir():
        raise UsageError("exists and is not a folder", path=str(directory))
    files = scaffold_files(project or project_name(directory))
    clashes = sorted(rel for rel in files if (directory / rel).exists())
    if clashes:
        raise UsageError(
            f"would overwrite {', '.join(clashes)}",
            path=str(directory),
            hint="run 'kserve-gitops init' in an empty folder, or move those files away first",
        )
    written = []
    for rel, content in files.items():
        target = directory / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        # Exclusive create: a file that appeared since the check above is never overwritten.
        with open(target, "x", encoding="utf-8") as handle:
            handle.write(content)
        written.append(rel)
    generated = synth_repo(directory) if synth else Drift([], [], [])
    return InitResult(root=directory, files=written, generated=generated)


CONFIG = """\
# The platform's environments. 'kserve-gitops synth' turns this file and models/ into charts/ and overlays/;
# ArgoCD syncs overlays/<env> to each environment's cluster.
apiVersion: kserve-gitops.io/v1alpha1
kind: Platform
project: {project}
promotionOrder: [dev, prod]

environments:
  dev:
    cluster:
      name: ml-dev
      server: https://dev.k8s.example.com
    kubernetesVersion: "1.32"
    kserve:
      version: v0.20.0
      deploymentMode: Knative
    namespaces: [models-dev]
    storage:
      bucket: models-dev
      region: eu-west-1
    limits:
      defaultMinReplicas: 0
      defaultMaxReplicas: 2
      maxReplicas: 4
      defaultResources:
        requests: {{cpu: 250m, memory: 512Mi}}
        limits: {{cpu: "1", memory: 1Gi}}

  prod:
    cluster:
      name: ml-prod
      server: https://prod.k8s.example.com
    kubernetesVersion: "1.32"
    kserve:
      version: v0.20.0
      deploymentMode: Knative
    namespaces: [models-prod]
    storage:
      bucket: models-prod
      region: eu-west-1
    limits:
      defaultMinReplicas: 1
      defaultMaxReplicas: 4
      maxReplicas: 8
      defaultResources:
        requests: {{cpu: 500m, memory: 1Gi}}
        limits: {{cpu: "2", memory: 2Gi}}
"""

MODEL = """\
# An example model: the iris classifier from KServe's first-inference-service guide.
# Replace it with your own; one folder per model, named like the InferenceService.
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: sklearn-iris
  labels:
    owner: data-science
    team: data-science
spec:
  predictor:
    model:
      modelFormat:
        name: sklearn
      storageUri: s3://models-dev/sklearn/iris/v1
"""

MODEL_PROD = """\
# prod's differences from the base: its own bucket. 'kserve-gitops canary' edits this file.
spec:
  predictor:
    model:
      storageUri: s3://models-prod/sklearn/iris/v1
"""

POLICY = """\
# A starter policy: every InferenceService names its owner, so alerts and reviews reach someone.
# Add your own rules beside it; each package's deny rules run in 'kserve-gitops validate'.
package kserve.starter

import rego.v1

deny contains msg if {
\tinput.kind == "InferenceService"
\tnot input.metadata.labels.owner
\tmsg := sprintf("InferenceService %s has no owner label", [input.metadata.name])
}
"""

POLICY_TEST = """\
package kserve.starter_test

import rego.v1

import data.kserve.starter

test_owner_label_required if {
\tcount(starter.deny) == 1 with input as {"kind": "InferenceService", "metadata": {"name": "m"}}
}

test_owner_label_present if {
\tcount(starter.deny) == 0 with input as {"kind": "InferenceService", "metadata": {"name": "m", "labels": {"owner": "me"}}}
}
"""

CDK8S = """\
# 'cdk8s synth' runs the same app as 'kserve-gitops synth' (into dist/, as cdk8s does).
language: python
app: python -m kserve_gitops.synth.cdk8s_app
"""

WORKFLOW = """\
name: kserve-gitops
on:
  push:
    branches: [main]
  pull_request:
permissions:
  contents: read
jobs:
  gate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - uses: actions/setup-go@v5
        with:
          go-version: "1.26"
      - name: Install kserve-gitops and kustomize
        run: |
          pip install "kserve-gitops=={version}"
          go install sigs.k8s.io/kustomize/kustomize/v5@v5.8.1
          echo "$(go env GOPATH)/bin" >> "$GITHUB_PATH"
      - run: kserve-gitops synth --check
      - run: kserve-gitops validate -o github
      - run: kserve-gitops policy test
      - name: Diff against the target branch
        if: github.event_name == 'pull_request'
        env:
          BASE_REF: ${{{{ github.base_ref }}}}
        run: kserve-gitops diff --base "origin/$BASE_REF"
"""

PRE_COMMIT = """\
# Checks before each commit (needs kserve-gitops installed: pip install kserve-gitops).
repos:
  - repo: local
    hooks:
      - id: kserve-gitops-synth-check
        name: kserve-gitops synth --check
        entry: kserve-gitops synth --check
        language: system
        pass_filenames: false
        files: ^(kserve-gitops\\.yaml|models/|charts/|overlays/)
      - id: kserve-gitops-validate
        name: kserve-gitops validate
        entry: kserve-gitops validate
        language: system
        pass_filenames: false
        files: ^(kserve-gitops\\.yaml|models/|charts/|overlays/|policies/)
"""

GITIGNORE = """\
dist/
.venv/
__pycache__/
"""

README = """\
# {project}

KServe model serving, the GitOps way, with kserve-gitops.

- `kserve-gitops.yaml`: the environments (cluster, KServe version and mode, bucket, limits).
- `models/<name>/inferenceservice.yaml`: one InferenceService per model; `models/<name>/<env>.yaml` its
  differences per environment.
- `charts/`, `overlays/`: generated by `kserve-gitops synth`; commit them. ArgoCD syncs `overlays/<env>`.
- `policies/`: Rego policies that `kserve-gitops validate` runs.

Day to day: `kserve-gitops canary MODEL --env prod --storage-uri URI --percent 10`, then `promote` or
`rollback`; `kserve-gitops diff --base origin/main` shows what a change does to each environment.
"""

