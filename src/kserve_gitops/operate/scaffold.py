"""``init``: a new platform repository that synthesizes and validates at once.

The files are written from the templates below (not copied from this repo, whose example is richer than a
starting point should be), then ``synth`` produces ``charts/`` and ``overlays/`` so that the first commit
already passes ``synth --check`` and ``validate``.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..errors import KserveGitopsError, UsageError
from ..inputs.config import CONFIG_FILE, load_config
from ..synth.app import synth_repo
from ..synth.output import Drift

_PROJECT = re.compile(r"[^a-z0-9-]+")
# Where the serving runtimes kserve-gitops installs come from (images.allowedRegistries of the scaffold).
REGISTRIES = ("docker.io/kserve", "docker.io/seldonio", "docker.io/pytorch", "docker.io/tensorflow", "nvcr.io/nvidia")


@dataclass
class InitResult:
    root: Path
    files: list[str]
    generated: Drift


# How users get kserve-gitops: pip from its git repository at the release tag (docs/operate.md).
REPOSITORY = "https://github.com/acme/ml-platform"


def package_requirement(version: str = __version__) -> str:
    """The pip requirement every workflow, the composite action and the pre-commit hooks install."""
    return f"kserve-gitops @ git+{REPOSITORY}@v{version}"


def project_name(directory: Path) -> str:
    name = _PROJECT.sub("-", directory.resolve().name.lower()).strip("-")
    return name or "ml-platform"


def scaffold_files(project: str) -> dict[str, str]:
    """Repo-relative path → content of every file ``init`` writes."""
    return {
        "kserve-gitops.yaml": CONFIG.format(project=project, registries=", ".join(REGISTRIES)),
        "models/sklearn-iris/inferenceservice.yaml": MODEL,
        "models/sklearn-iris/prod.yaml": MODEL_PROD,
        "policies/library.yaml": POLICY_LIBRARY,
        "policies/exceptions.yaml": POLICY_EXCEPTIONS,
        "cdk8s.yaml": CDK8S,
        ".github/workflows/kserve-gitops.yaml": WORKFLOW.format(version=__version__, package=package_requirement()),
        ".pre-commit-config.yaml": PRE_COMMIT.format(repository=REPOSITORY, version=__version__),
        ".gitignore": GITIGNORE,
        "README.md": README.format(project=project),
    }


def init_repo(directory: Path, *, project: str | None = None, synth: bool = True) -> InitResult:
    """Write the scaffold into ``directory`` (created if needed). Refuses to overwrite any existing file.

    All or nothing: the files are written and synthesized in a staging folder beside ``directory`` and moved
    into place only when everything succeeded, so a bad ``--project`` or a failing synth leaves no file behind."""
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
    parent = directory.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".kserve-gitops-init-", dir=parent))
    try:
        for rel, content in files.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
        try:
            load_config(staging / CONFIG_FILE)  # with --no-synth too: never scaffold a config that does not load
            generated = synth_repo(staging) if synth else Drift([], [], [])
        except KserveGitopsError as err:
            if err.path:  # name the file as it would have been written, not the staging copy
                err.path = err.path.replace(str(staging), str(directory))
            raise
        _move_into_place(staging, directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return InitResult(root=directory, files=list(files), generated=generated)


def _move_into_place(staging: Path, directory: Path) -> None:
    if not directory.exists():
        os.rename(staging, directory)  # one step: the folder appears complete
        return
    # An existing (empty or unrelated) folder: link each file in, which fails rather than overwrite a
    # file that appeared since the clash check; undo the links made so far if one does.
    linked: list[Path] = []
    try:
        for source in sorted(p for p in staging.rglob("*") if p.is_file()):
            target = directory / source.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(source, target)
            linked.append(target)
    except OSError as exc:
        for target in linked:
            target.unlink(missing_ok=True)
        raise UsageError(f"cannot write {exc.filename or directory}: {exc.strerror or exc}", path=str(directory)) from None


CONFIG = """\
# The platform's environments. 'kserve-gitops synth' turns this file and models/ into charts/ and overlays/;
# ArgoCD syncs overlays/<env> to each environment's cluster.
apiVersion: kserve-gitops.io/v1alpha1
kind: Platform
project: {project}
promotionOrder: [dev, prod]

# The images of KServe v0.20.0's serving runtimes and storage initializer (its config/runtimes). Moving to
# another KServe release is a new entry here, beside a new kserve.version below.
kserveReleases:
  v0.20.0:
    images:
      storage-initializer: docker.io/kserve/storage-initializer:v0.20.0
      kserve-sklearnserver: docker.io/kserve/sklearnserver:v0.20.0
      kserve-xgbserver: docker.io/kserve/xgbserver:v0.20.0
      kserve-lgbserver: docker.io/kserve/lgbserver:v0.20.0
      kserve-torchserve: docker.io/pytorch/torchserve-kfs:0.9.0
      kserve-tensorflow-serving: docker.io/tensorflow/serving:2.6.2
      kserve-tritonserver: nvcr.io/nvidia/tritonserver:23.05-py3
      kserve-mlserver: docker.io/seldonio/mlserver:1.7.1
      kserve-huggingfaceserver: docker.io/kserve/huggingfaceserver:v0.20.0

# 'kserve-gitops validate' enforces these settings with the policy library built into kserve-gitops
# ('kserve-gitops policy list'): limits.maxReplicas and maxResources (replicas-max, resources-max),
# limits.gpuBudget (gpu-budget), each environment reading only its own storage.bucket (storage-uri-allowed),
# images.allowedRegistries (image-registry) and iam, the IRSA role of the models' ServiceAccount
# (s3-service-account). Turn a built-in package off in policies/library.yaml; waive one finding in
# policies/exceptions.yaml.
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
    iam:
      modelRoleArn: arn:aws:iam::111111111111:role/kserve-models-dev
      serviceAccount: kserve-models
    limits:
      defaultMinReplicas: 0
      defaultMaxReplicas: 2
      maxReplicas: 4
      defaultResources:
        requests: {{cpu: 250m, memory: 512Mi}}
        limits: {{cpu: "1", memory: 1Gi}}
      maxResources: {{cpu: "4", memory: 8Gi, nvidia.com/gpu: 1}}
      gpuBudget: 1
    images:
      allowedRegistries: [{registries}]

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
    iam:
      modelRoleArn: arn:aws:iam::222222222222:role/kserve-models-prod
      serviceAccount: kserve-models
    limits:
      defaultMinReplicas: 2  # production keeps two replicas (prod-min-replicas)
      defaultMaxReplicas: 4
      maxReplicas: 8
      defaultResources:
        requests: {{cpu: 500m, memory: 1Gi}}
        limits: {{cpu: "2", memory: 2Gi}}
      maxResources: {{cpu: "8", memory: 16Gi, nvidia.com/gpu: 1}}
      gpuBudget: 2
    images:
      allowedRegistries: [{registries}]
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

POLICY_LIBRARY = """\
# The policy library built into kserve-gitops runs in every 'kserve-gitops validate'
# ('kserve-gitops policy list' shows its rules and where each comes from). This folder adds to it:
# - a .rego file here adds rules (conftest conventions: deny/warn rules; docs/policies.md of kserve-gitops);
# - a .rego file here in a package the library defines (e.g. package kserve.replicas) replaces that package;
# - 'disable' turns built-in packages off; validate lists them in its report.
disable: []
# disable: [kserve.canary]
"""

POLICY_EXCEPTIONS = """\
# Waivers: deliberate, owned, expiring exceptions to policy rules. A waived finding stays in the report.
waivers: []
# waivers:
#   - rule: run-as-non-root
#     match: {environments: [dev], kind: InferenceService, name: my-model}
#     reason: why this is acceptable for now
#     owner: my-team
#     expires: 2027-01-31
"""

CDK8S = """\
# 'cdk8s synth' runs the same app as 'kserve-gitops synth' (into dist/, as cdk8s does).
language: python
app: python -m kserve_gitops.synth.cdk8s_app
"""

WORKFLOW = """\
# The gate on every push and pull request: generated output up to date, validation (schemas, KServe's own
# admission webhooks, the built-in policy library and policies/), policy tests, and the diff for a PR.
name: kserve-gitops
on:
  push:
    branches: [main]
  pull_request:
permissions:
  contents: read
env:
  # kserve-gitops from its repository at the release tag (a pip requirement; docs/operate.md of kserve-gitops)
  KSERVE_GITOPS_PACKAGE: {package}
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
          cache: false
      - name: Install kserve-gitops
        run: python -m pip install "$KSERVE_GITOPS_PACKAGE"
      - name: Cache the Go tools (kustomize, KServe's admission webhooks)
        uses: actions/cache@v4
        with:
          path: .tools/bin
          key: kserve-gitops-tools-${{{{ runner.os }}}}-{version}-${{{{ hashFiles('kserve-gitops.yaml') }}}}
      - name: Build the Go tools (skipped when the cache has them)
        run: kserve-gitops tools install
      - name: Cache the CRD schemas
        uses: actions/cache@v4
        with:
          path: schemas
          key: kserve-gitops-schemas-{version}-${{{{ hashFiles('kserve-gitops.yaml', 'schemas/**') }}}}
      - name: CRD schemas (a committed schemas/ folder, else fetched for the environments' KServe releases)
        run: |
          if [ -d schemas/kserve ]; then echo "schemas/ is there"; else kserve-gitops schemas fetch --from-config --platform; fi
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
# Checks before each commit: pre-commit installs kserve-gitops from its repository at this tag.
repos:
  - repo: {repository}
    rev: v{version}
    hooks:
      - id: kserve-gitops-synth-check
      - id: kserve-gitops-validate
"""

GITIGNORE = """\
dist/
.venv/
.tools/
__pycache__/
"""

README = """\
# {project}

KServe model serving, the GitOps way, with kserve-gitops.

- `kserve-gitops.yaml`: the environments (cluster, KServe version and mode, bucket, limits).
- `models/<name>/inferenceservice.yaml`: one InferenceService per model; `models/<name>/<env>.yaml` its
  differences per environment.
- `charts/`, `overlays/`: generated by `kserve-gitops synth`; commit them. ArgoCD syncs `overlays/<env>`.
- `policies/`: this repo's additions to kserve-gitops' built-in policy library (`library.yaml`: packages
  turned off; `exceptions.yaml`: waivers; `*.rego`: extra rules). `kserve-gitops policy list` shows every rule.

Day to day: `kserve-gitops canary MODEL --env prod --storage-uri URI --percent 10`, then `promote` or
`rollback`; `kserve-gitops diff --base origin/main` shows what a change does to each environment.
"""

