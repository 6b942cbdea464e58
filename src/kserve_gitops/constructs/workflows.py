"""Argo Workflows automation: WorkflowTemplates that run kserve-gitops in a container and change only git.

* ``<project>-model-release``: a registry version → ``kserve-gitops model add`` (a new model, or a canary in
  the first environment of the promotion order) → ``validate`` → commit to a branch and open a pull request.
* ``<project>-promote-canary``: steps a model version through the environments in promotion order. An
  environment that can split traffic (Knative mode, or Standard mode on KServe v0.20.0+) gets a canary pull
  request, a bake time (``suspend`` with a duration), then a promote pull request; before prod (the last
  environment) a manual approval (``suspend`` without a duration, resumed with ``argo resume``); an environment
  that cannot (Standard/RawDeployment before KServe v0.20.0) gets the new version in one reviewed pull request
  (``model add --storage-uri``).

Every parameter is explicit (``arguments.parameters``). Parameters reach commands as argv items or
environment variables, never spliced into shell text, so a parameter value cannot inject shell commands.
The git token is read from the Secret named in ``kserve-gitops.yaml`` (key ``token``); no credential value is
ever written here. The workspace is a per-workflow volume claim shared by the steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from constructs import Construct

from .kustomize import api_object

API_VERSION = "argoproj.io/v1alpha1"
KIND = "WorkflowTemplate"
MANAGED_BY = {"app.kubernetes.io/managed-by": "kserve-gitops"}
WORKSPACE = "workspace"
REPO_DIR = "/workspace/repo"
TOKEN_KEY = "token"  # key of the git credentials Secret
# The identity of the automation's commits.
GIT_AUTHOR = ("kserve-gitops automation", "kserve-gitops@users.noreply.github.com")


@dataclass(frozen=True)
class StageProps:
    """One environment of the promotion order: can it split traffic (``canary``), is it the last (prod)."""

    name: str
    canary: bool


@dataclass(frozen=True)
class AutomationProps:
    """What both templates need. ``image`` holds kserve-gitops, git and the GitHub CLI ``gh``."""

    project: str
    namespace: str
    image: str
    service_account: str
    git_credentials_secret: str
    repo_url: str
    base_branch: str
    stages: Sequence[StageProps]
    tracking_uri: str = ""
    canary_percent: int = 10
    bake_duration: str = "1h"


def _param(name: str, value: str | None = None, description: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"name": name}
    if value is not None:
        out["value"] = value
    if description:
        out["description"] = description
    return out


def _wf(name: str) -> str:
    return "{{workflow.parameters.%s}}" % name


def _inp(name: str) -> str:
    return "{{inputs.parameters.%s}}" % name


def _token_env(props: AutomationProps) -> list[dict[str, Any]]:
    ref = {"secretKeyRef": {"name": props.git_credentials_secret, "key": TOKEN_KEY}}
    return [{"name": "GH_TOKEN", "valueFrom": ref}]


def _mount() -> list[dict[str, Any]]:
    return [{"name": WORKSPACE, "mountPath": "/workspace"}]


SECURITY = {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
RESOURCES = {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}

# Clone with the token in an HTTP header from the environment, so it never lands in .git/config or argv.
CLONE_SCRIPT = """set -eu
auth="AUTHORIZATION: basic $(printf 'x-access-token:%s' "$GH_TOKEN" | base64 | tr -d '\\n')"
git -c http.extraHeader="$auth" clone --branch "$BASE_BRANCH" --depth 1 -- "$REPO_URL" /workspace/repo
"""

PR_SCRIPT = """set -eu
cd /workspace/repo
if git diff --quiet && [ -z "$(git status --porcelain)" ]; then
  echo "nothing changed; no pull request"; exit 0
fi
git config user.name "$GIT_AUTHOR_NAME"
git config user.email "$GIT_AUTHOR_EMAIL"
git checkout -b "$BRANCH"
git add models charts overlays
git commit -m "$TITLE"
auth="AUTHORIZATION: basic $(printf 'x-access-token:%s' "$GH_TOKEN" | base64 | tr -d '\\n')"
git -c http.extraHeader="$auth" push origin "$BRANCH"
gh pr create --base "$BASE_BRANCH" --head "$BRANCH" --title "$TITLE" --body "Opened by the kserve-gitops workflow {{workflow.name}}; 'kserve-gitops validate' passed on this change."
"""


def _container(props: AutomationProps, args: list[str]) -> dict[str, Any]:
    return {
        "image": props.image,
        "command": ["kserve-gitops", "--repo", REPO_DIR],
        "args": args,
        "volumeMounts": _mount(),
        "securityContext": SECURITY,
        "resources": RESOURCES,
    }


def _script(props: AutomationProps, source: str, env: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "image": props.image,
        "command": ["sh"],
        "source": source,
        "env": [*env, *_token_env(props)],
        "volumeMounts": _mount(),
        "securityContext": SECURITY,
        "resources": RESOURCES,
    }


def _common_templates(props: AutomationProps) -> list[dict[str, Any]]:
    """clone, validate and pull-request: the same in both workflows."""
    return [
        {
            "name": "clone",
            "script": _script(props, CLONE_SCRIPT, [
                {"name": "REPO_URL", "value": _wf("repo-url")},
                {"name": "BASE_BRANCH", "value": _wf("base-branch")},
            ]),
        },
        {"name": "validate", "container": _container(props, ["validate"])},
        {
            "name": "pull-request",
            "inputs": {"parameters": [_param("branch"), _param("title")]},
            "script": _script(props, PR_SCRIPT, [
                {"name": "BRANCH", "value": _inp("branch")},
                {"name": "TITLE", "value": _inp("title")},
                {"name": "BASE_BRANCH", "value": _wf("base-branch")},
                {"name": "GIT_AUTHOR_NAME", "value": GIT_AUTHOR[0]},
                {"name": "GIT_AUTHOR_EMAIL", "value": GIT_AUTHOR[1]},
            ]),
        },
    ]


def _spec(props: AutomationProps, parameters: list[dict[str, Any]], templates: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "entrypoint": "main",
        "serviceAccountName": props.service_account,
        "arguments": {"parameters": parameters},
        "podGC": {"strategy": "OnWorkflowSuccess"},
        "securityContext": {"runAsNonRoot": True, "runAsUser": 65532, "fsGroup": 65532},
        "volumeClaimTemplates": [
            {
                "metadata": {"name": WORKSPACE},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
            }
        ],
        "templates": templates,
    }


def _metadata(props: AutomationProps, name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": props.namespace,
        "labels": dict(MANAGED_BY),
        "annotations": {"workflows.argoproj.io/description": description},
    }


def release_template_manifest(props: AutomationProps) -> dict[str, Any]:
    first = props.stages[0].name
    parameters = [
        _param("registered-model", description="MLflow registered model name"),
        _param("version", description="MLflow model version number or alias"),
        _param("model", description="Model name in the platform repo (models/<model>)"),
        _param("environment", first, "Environment of a canary for an existing model (first in promotion order)"),
        _param("percent", str(props.canary_percent), "Canary traffic share for an existing model"),
        _param("tracking-uri", props.tracking_uri or None, "MLflow tracking server"),
        _param("repo-url", props.repo_url, "Platform git repository"),
        _param("base-branch", props.base_branch, "Branch the pull request targets"),
        _param("branch", description="Branch to create for the change, e.g. mlflow/<model>-<version>"),
    ]
    add = _container(props, [
        "model", "add", _wf("model"),
        "--from-mlflow", "models:/%s/%s" % (_wf("registered-model"), _wf("version")),
        "--tracking-uri", _wf("tracking-uri"),
        "--env", _wf("environment"),
        "--percent", _wf("percent"),
    ])
    main = {
        "name": "main",
        "steps": [
            [{"name": "clone", "template": "clone"}],
            [{"name": "model-add", "template": "model-add"}],
            [{"name": "validate", "template": "validate"}],
            [{
                "name": "pull-request",
                "template": "pull-request",
                "arguments": {"parameters": [
                    {"name": "branch", "value": _wf("branch")},
                    {"name": "title", "value": "%s: MLflow %s version %s" % (_wf("model"), _wf("registered-model"), _wf("version"))},
                ]},
            }],
        ],
    }
    templates = [main, {"name": "model-add", "container": add}, *_common_templates(props)]
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": _metadata(props, f"{props.project}-model-release",
                              "MLflow model version -> models/ change -> validate -> pull request"),
        "spec": _spec(props, parameters, templates),
    }


def promotion_template_manifest(props: AutomationProps) -> dict[str, Any]:
    parameters = [
        _param("model", description="Model name in the platform repo (models/<model>)"),
        _param("storage-uri", description="The model version to promote (its storageUri)"),
        _param("percent", str(props.canary_percent), "Canary traffic share in each environment that can split traffic"),
        _param("bake-duration", props.bake_duration, "How long a canary runs before it is promoted"),
        _param("environments", ",".join(s.name for s in props.stages), "Promotion order (informational; the steps follow kserve-gitops.yaml)"),
        _param("repo-url", props.repo_url, "Platform git repository"),
        _param("base-branch", props.base_branch, "Branch the pull requests target"),
        _param("branch-prefix", description="Prefix of the branches created, e.g. promote/<model>-v2"),
    ]
    steps: list[list[dict[str, Any]]] = []
    templates: list[dict[str, Any]] = []
    last = props.stages[-1].name
    for stage in props.stages:
        env = stage.name
        if env == last and len(props.stages) > 1:
            steps.append([{"name": f"approve-{env}", "template": "approval"}])
        if stage.canary:
            steps += _stage_steps(env, "canary", ["canary", _wf("model"), "--env", env, "--storage-uri", _wf("storage-uri"), "--percent", _wf("percent")],
                                  "%s: canary %s in %s" % (_wf("model"), _wf("storage-uri"), env), templates, props)
            steps.append([{"name": f"bake-{env}", "template": "bake"}])
            steps += _stage_steps(env, "promote", ["promote", _wf("model"), "--env", env],
                                  "%s: promote the canary in %s" % (_wf("model"), env), templates, props)
        else:
            steps += _stage_steps(env, "rollout", ["model", "add", _wf("model"), "--storage-uri", _wf("storage-uri"), "--env", env],
                                  "%s: roll out %s in %s" % (_wf("model"), _wf("storage-uri"), env), templates, props)
    main = {"name": "main", "steps": [[{"name": "clone", "template": "clone"}], *steps]}
    control = [
        {"name": "approval", "suspend": {}},  # resumed by a person: argo resume <workflow>
        {"name": "bake", "suspend": {"duration": _wf("bake-duration")}},
    ]
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": _metadata(props, f"{props.project}-promote-canary",
                              "Canary -> bake -> promote per environment, manual approval before " + last),
        "spec": _spec(props, parameters, [main, *templates, *control, *_common_templates(props)]),
    }


def _stage_steps(env: str, action: str, args: list[str], title: str, templates: list, props: AutomationProps) -> list[list[dict[str, Any]]]:
    name = f"{action}-{env}"
    templates.append({"name": name, "container": _container(props, args)})
    # Each stage branches from the base again, so every pull request holds exactly one stage.
    return [
        [{"name": name, "template": name}],
        [{"name": f"validate-{env}-{action}", "template": "validate"}],
        [{
            "name": f"pr-{env}-{action}",
            "template": "pull-request",
            "arguments": {"parameters": [
                {"name": "branch", "value": "%s-%s-%s" % (_wf("branch-prefix"), env, action)},
                {"name": "title", "value": title},
            ]},
        }],
        [{"name": f"reset-{env}-{action}", "template": "reset"}],
    ]


class AutomationTemplates(Construct):
    """Both WorkflowTemplates (and the ``reset`` step between stages) in one scope."""

    def __init__(self, scope: Construct, id: str, *, props: AutomationProps) -> None:
        super().__init__(scope, id)
        if not props.stages:
            raise ValueError("the promotion order is empty")
        self.release = release_template_manifest(props)
        self.promotion = promotion_template_manifest(props)
        self.promotion["spec"]["templates"].append({
            "name": "reset",
            "script": _script(props, RESET_SCRIPT, [{"name": "BASE_BRANCH", "value": _wf("base-branch")}]),
        })
        api_object(self, self.release, id="release")
        api_object(self, self.promotion, id="promotion")


# Back to the base branch as it is now (with the previous stage's pull request merged) and a clean tree.
RESET_SCRIPT = """set -eu
cd /workspace/repo
auth="AUTHORIZATION: basic $(printf 'x-access-token:%s' "$GH_TOKEN" | base64 | tr -d '\\n')"
git -c http.extraHeader="$auth" fetch --quiet --depth 1 origin "$BASE_BRANCH"
git checkout --quiet --force -B "$BASE_BRANCH" FETCH_HEAD
git clean -fdq
"""
