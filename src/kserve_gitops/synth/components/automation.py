"""The ``automation`` component: Argo Workflows templates (``constructs/workflows.py``) in
``charts/automation``, combined in ``overlays/automation`` for the cluster that runs Argo Workflows.

Only when ``automation.argoWorkflows.enabled`` is true in ``kserve-gitops.yaml``. Like ``overlays/argocd``,
these are control-plane objects, never part of an environment's overlay.
"""

from __future__ import annotations

from ...constructs.kustomize import KustomizeOverlay
from ...constructs.workflows import AutomationProps, AutomationTemplates, StageProps
from ...errors import SynthError
from ...inputs.yamlsrc import positions_for
from ..context import SynthContext

AUTOMATION_OVERLAY = "overlays/automation"


def _config_error(ctx: SynthContext, parts: list, message: str, hint: str | None = None) -> SynthError:
    path = str(ctx.config.path)
    line, col, _ = positions_for(path).locate(0, parts)
    return SynthError(message, path=path, line=line, column=col, field=".".join(map(str, parts)), hint=hint)


def automation_props(ctx: SynthContext) -> AutomationProps:
    settings = ctx.config.argo_workflows
    if not ctx.config.repo_url:
        raise _config_error(
            ctx, ["automation", "argoWorkflows", "enabled"],
            "automation.argoWorkflows needs repository.url: the workflows clone the repo and open pull requests there",
            hint="set repository.url, or set automation.argoWorkflows.enabled: false",
        )
    return AutomationProps(
        project=ctx.config.project,
        namespace=settings.namespace,
        image=settings.image,
        service_account=settings.service_account,
        git_credentials_secret=settings.git_credentials_secret,
        repo_url=ctx.config.repo_url,
        base_branch=ctx.config.repo_revision,
        tracking_uri=settings.mlflow_tracking_uri,
        stages=[StageProps(name=env.name, canary=env.canary_form is not None) for env in ctx.environments],
    )


def automation(ctx: SynthContext) -> None:
    """The release and promotion WorkflowTemplates, when enabled."""
    if not ctx.config.argo_workflows.enabled:
        return
    if "automation" in ctx.config.environments:
        raise _config_error(
            ctx, ["environments", "automation"],
            "an environment may not be called 'automation': overlays/automation holds the Argo Workflows templates",
        )
    props = automation_props(ctx)
    base = ctx.base("automation")
    AutomationTemplates(base, "workflows", props=props)
    overlay = KustomizeOverlay(ctx.app, AUTOMATION_OVERLAY)
    overlay.add_resource(base.output_dir)
