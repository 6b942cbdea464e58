"""Platform components: serving runtimes, model namespaces and identity, the KServe install and ArgoCD.

Where each lands:

- ``charts/runtimes/<kserve-version>`` (tags) or ``charts/runtimes/<kserve-version>-<env>`` (an environment
  that requires digests gets its own, pinned with its digests) — included in ``overlays/<env>``.
- ``charts/identity/<env>`` — namespaces, storage-config, ServiceAccount, RBAC; included in ``overlays/<env>``.
- ``charts/argocd`` (AppProject, ApplicationSet), ``charts/install/<env>`` (the install Applications) —
  control-plane objects for the ArgoCD cluster, combined in ``overlays/argocd`` and never in an environment.
- ``charts/install/<env>/kserve`` (``install.render: true``) — KServe's charts rendered by ``helm template``,
  included in ``overlays/<env>`` (validated and diffed like the rest); the Helm Applications for KServe go.
- ``charts/knative-serving/<env>`` (Serverless environments) — synced by that environment's
  ``knative-serving`` Application, not included in any overlay.
"""

from __future__ import annotations

from typing import Callable, TypeVar

from ...constructs.argocd import (
    ApplicationSetProps,
    AppProject,
    EnvironmentElement,
    EnvironmentsApplicationSet,
    ProjectProps,
)
from ...constructs.identity import IdentityProps, ModelNamespace
from ...constructs.install import (
    CERT_MANAGER,
    ISTIO_REPO,
    KNATIVE_OPERATOR,
    KSERVE_CHART_REPO,
    InstallProps,
    KnativeServing,
    KServeInstall,
    RenderedInstall,
    knative_serving_base,
    render_charts,
)
from ...constructs.kustomize import KustomizeOverlay, construct_id
from ...constructs.runtimes import STORAGE_INITIALIZER, ServingRuntimes, release_image
from ...errors import SynthError
from ...inputs.config import Environment
from ...inputs.yamlsrc import positions_for
from ..context import SynthContext

ARGOCD_OVERLAY = "overlays/argocd"
# Namespaces the platform's Applications deploy into besides the model namespaces.
PLATFORM_NAMESPACES = ("cert-manager", "istio-system", "knative-operator", "knative-serving", "kserve", "monitoring")

T = TypeVar("T")


def _located(ctx: SynthContext, env: Environment, parts: list, build: Callable[[], T]) -> T:
    """Run ``build``; a SynthError without a place gets the environment's place in kserve-gitops.yaml (an
    image missing from kserveReleases: that release's ``images``)."""
    try:
        return build()
    except SynthError as err:
        if err.path:
            raise
        path = str(ctx.config.path)
        if (err.field or "").startswith("kserveReleases."):
            parts_in_file = ["kserveReleases", env.kserve_version, "images"]
        else:
            parts_in_file = ["environments", env.name, *parts]
        line, col, found = positions_for(path).locate(0, parts_in_file)
        raise SynthError(
            err.message,
            path=path,
            line=line,
            column=col,
            field=err.field or ".".join(["environments", env.name, *map(str, parts)]),
            hint=err.hint,
        ) from None


def release_images(ctx: SynthContext, env: Environment) -> dict[str, str]:
    """``kserveReleases.<version>.images`` for the environment's KServe release; none pinned fails synth at the
    environment's kserve.version."""
    images = ctx.config.release_images.get(env.kserve_version)
    if images is None:
        path = str(ctx.config.path)
        line, col, _ = positions_for(path).locate(0, ["environments", env.name, "kserve", "version"])
        pinned = ", ".join(sorted(ctx.config.release_images)) or "none"
        raise SynthError(
            f"no images are pinned for KServe {env.kserve_version} under kserveReleases (pinned: {pinned})",
            path=path,
            line=line,
            column=col,
            field=f"environments.{env.name}.kserve.version",
            hint=f"add kserveReleases.{env.kserve_version}.images: the image of each serving runtime and of "
            "storage-initializer that this release installs (its config/runtimes/kustomization.yaml)",
        )
    return images


def runtimes_base_path(env: Environment) -> str:
    if env.require_image_digests:
        return f"runtimes/{env.kserve_version}-{env.name}"
    return f"runtimes/{env.kserve_version}"


def runtimes(ctx: SynthContext) -> None:
    """The platform's ClusterServingRuntimes, one base per KServe version (per environment when pinned by digest)."""
    built: set[str] = set()
    for env in ctx.environments:
        path = runtimes_base_path(env)
        if path not in built:
            built.add(path)
            base = ctx.base(path)
            _located(
                ctx,
                env,
                ["images"] if env.require_image_digests else ["kserve", "version"],
                lambda: ServingRuntimes(
                    base,
                    "runtimes",
                    kserve_version=env.kserve_version,
                    images=release_images(ctx, env),
                    digests=env.image_digests,
                    require_digests=env.require_image_digests,
                    environment=env.name,
                ),
            )
        ctx.include(env.name, ctx.base(path))


def identity_props(env: Environment, namespace: str) -> IdentityProps:
    return IdentityProps(
        namespace=namespace,
        serverless=env.serverless,
        bucket=env.bucket,
        region=env.region,
        endpoint=env.storage_endpoint,
        service_account=env.service_account,
        role_arn=env.model_role_arn,
        istio_injection=env.mesh,
    )


def identity(ctx: SynthContext) -> None:
    """Per environment: each model namespace with its storage-config, IRSA ServiceAccount and deployer RBAC."""
    for env in ctx.environments:
        base = ctx.base(f"identity/{env.name}")
        for namespace in env.namespaces:
            ModelNamespace(base, construct_id(namespace), props=identity_props(env, namespace))
        ctx.include(env.name, base)


def project_name(ctx: SynthContext, env: Environment) -> str:
    return env.argocd_project or ctx.config.project


def install_props(ctx: SynthContext, env: Environment) -> InstallProps:
    return InstallProps(
        environment=env.name,
        name_prefix=f"{ctx.config.project}-{env.name}",
        project=project_name(ctx, env),
        server=env.cluster_server,
        kserve_version=env.kserve_version,
        serverless=env.serverless,
        storage_initializer=release_image(release_images(ctx, env), STORAGE_INITIALIZER, env.kserve_version),
        mesh=env.mesh,
        automated=env.automated_sync,
        repo_url=ctx.config.repo_url,
        revision=ctx.config.repo_revision,
        ingress_domain=env.ingress_domain,
        ingress_gateway=env.ingress_gateway,
        s3_endpoint=env.storage_endpoint,
        s3_region=env.region,
        image_digests=env.image_digests,
        require_digests=env.require_image_digests,
        charts_dir=str(ctx.config.kserve_charts_dir or ""),
        render=env.render_install,
    )


def rendered_install_base(env: Environment) -> str:
    return f"install/{env.name}/kserve"


def _kube_version(version: str) -> str:
    parts = version.lstrip("v").split(".")
    return "v" + ".".join(parts + ["0"] * (3 - len(parts)))


def install(ctx: SynthContext) -> None:
    """``install.render: true``: KServe's charts (kserve-crd, kserve-resources, the llmisvc charts on v0.20+)
    rendered offline with the pinned helm from ``charts.kserve`` into ``charts/install/<env>/kserve``, which the
    environment's overlay includes: the rendered-manifests pattern, every object in review, validate and diff."""
    for env in ctx.environments:
        if not env.render_install:
            continue
        charts_dir = ctx.config.kserve_charts_dir
        if charts_dir is None:
            line, col, _ = positions_for(str(ctx.config.path)).locate(0, ["environments", env.name, "install", "render"])
            raise SynthError(
                "install.render needs KServe's charts: set charts.kserve (a folder laid out <version>/<chart>/) "
                "or $KSERVE_GITOPS_CHARTS",
                path=str(ctx.config.path),
                line=line,
                column=col,
                field=f"environments.{env.name}.install.render",
            )
        props = _located(ctx, env, ["kserve", "version"], lambda: install_props(ctx, env))
        objects = _located(
            ctx, env, ["kserve", "version"],
            lambda: render_charts(props, charts_dir, kubernetes_version=_kube_version(env.kubernetes_version)),
        )
        ctx.include(env.name, RenderedInstall(ctx.app, rendered_install_base(env), objects=objects))


def argocd(ctx: SynthContext) -> None:
    """AppProject + ApplicationSet in ``charts/argocd``, the install Applications per environment in
    ``charts/install/<env>``, all combined in ``overlays/argocd`` for the ArgoCD cluster. Only when
    ``repository.url`` is set: ArgoCD can sync nothing else."""
    if "argocd" in ctx.config.environments:
        line, col, _ = positions_for(str(ctx.config.path)).locate(0, ["environments", "argocd"])
        raise SynthError(
            "an environment may not be called 'argocd': overlays/argocd holds the ArgoCD control-plane objects",
            path=str(ctx.config.path),
            line=line,
            column=col,
            field="environments.argocd",
        )
    if not ctx.config.repo_url:
        return  # no git remote yet: nothing for ArgoCD to read (documented in docs/constructs-platform.md)
    overlay = KustomizeOverlay(ctx.app, ARGOCD_OVERLAY)
    control = ctx.base("argocd")
    overlay.add_resource(control.output_dir)

    projects: dict[str, list[tuple[str, str]]] = {}
    for env in ctx.environments:
        destinations = projects.setdefault(project_name(ctx, env), [])
        for namespace in (*env.namespaces, *PLATFORM_NAMESPACES):
            destinations.append((env.cluster_server, namespace))
        install = ctx.base(f"install/{env.name}")
        _located(ctx, env, ["images"], lambda: KServeInstall(install, "install", props=install_props(ctx, env)))
        overlay.add_resource(install.output_dir)
        if env.serverless:
            KnativeServing(ctx.base(knative_serving_base(env.name)), "knative-serving", domain=env.ingress_domain)

    chart_repos = [CERT_MANAGER.repo_url, ISTIO_REPO, KNATIVE_OPERATOR.repo_url, KSERVE_CHART_REPO]
    for name, destinations in sorted(projects.items()):
        AppProject(
            control,
            construct_id(f"project-{name}"),
            props=ProjectProps(
                name=name,
                source_repos=[ctx.config.repo_url, *chart_repos],
                destinations=destinations,
                description=f"KServe platform {ctx.config.project}: install, runtimes and models of every environment",
            ),
        )
    EnvironmentsApplicationSet(
        control,
        "environments",
        props=ApplicationSetProps(
            name=f"{ctx.config.project}-environments",
            prefix=ctx.config.project,
            repo_url=ctx.config.repo_url,
            revision=ctx.config.repo_revision,
            elements=[
                EnvironmentElement(
                    env=env.name,
                    cluster=env.cluster_name,
                    server=env.cluster_server,
                    project=project_name(ctx, env),
                    automated_sync=env.automated_sync,
                )
                for env in ctx.environments
            ],
        ),
    )
