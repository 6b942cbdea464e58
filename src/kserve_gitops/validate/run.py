"""``validate``: render every environment and run the checks of ``checks/`` (in their table's order) over
each environment's objects. This module only orchestrates: inputs, rendering, parallelism, reports.
Nothing here prints.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Sequence

from ..credentials import redact
from ..errors import UsageError
from ..inputs.config import CHARTS_ENV, CONFIG_FILE, Environment, PlatformConfig, load_config
from ..inputs.models import Model
from ..inputs.paths import display_path
from ..inputs.yamlsrc import gc_paused
from ..results import EnvironmentResult, Finding, LoadedObject, Report, shaped_like_an_object
from . import checks
from .checks.base import CheckContext, finding_for
from .inputs import load_paths, parse_rendered
from .options import ValidateOptions
from .schemas import CrdLibrary, SchemaSet
from .sources import SourceMap

if TYPE_CHECKING:
    from ..render.cache import RenderedEnvironment

SHARED_CRDS_ENV = "KSERVE_GITOPS_CRDS"


def default_crd_roots(root: Path) -> list[Path]:
    """Where CRDs are found without --schemas: the repo's schemas/ (``schemas import``) and a shared folder."""
    roots = []
    if (root / "schemas").is_dir():
        roots.append(root / "schemas")
    shared = os.environ.get(SHARED_CRDS_ENV)
    candidates = [Path(shared)] if shared else [root.resolve().parent / "shared" / "crds"]
    roots.extend(p for p in candidates if p.is_dir())
    return roots


def default_chart_dirs(root: Path) -> list[Path]:
    """KServe's chart folder, whose CRD charts complete a release's CRDs: ``$KSERVE_GITOPS_CHARTS``, else
    ``charts.kserve`` of kserve-gitops.yaml, else a shared folder beside the repo."""
    if (root / CONFIG_FILE).is_file():
        configured = load_config(root / CONFIG_FILE).kserve_charts_dir
        if configured is not None:
            return [configured] if configured.is_dir() else []
    elif os.environ.get(CHARTS_ENV):
        return [Path(os.environ[CHARTS_ENV])]
    shared = root.resolve().parent / "shared" / "charts" / "kserve"
    return [shared] if shared.is_dir() else []


def crd_library(root: Path, options: "ValidateOptions | None" = None) -> CrdLibrary:
    """Where validate finds CRDs for a repo: --schemas, the repo's schemas/, the shared folder, KServe's charts."""
    extra = list(options.schema_paths) if options else []
    charts = options.chart_dirs if options and options.chart_dirs is not None else default_chart_dirs(root)
    return CrdLibrary(roots=[*extra, *default_crd_roots(root)], chart_dirs=charts)


def objects_from_rendered(rendered: "RenderedEnvironment", *, environment: str, path: str) -> list[LoadedObject]:
    """Objects of a rendered environment; documents the render cache did not hand over parsed are parsed here."""
    if all(data is None for data in rendered.data):
        return parse_rendered(rendered.stream, environment=environment, path=path)
    objects = []
    for i, (doc, data) in enumerate(zip(rendered.docs, rendered.data)):
        if data is None:
            for obj in parse_rendered(doc, environment=environment, path=path):
                obj.doc_index = i
                objects.append(obj)
        else:
            objects.append(LoadedObject(data, path=path, doc_index=i, environment=environment))
    return objects


def validate_repo(root: Path, options: ValidateOptions | None = None) -> Report:
    options = options or ValidateOptions()
    # Inputs that do not parse are exit 2 whether or not the overlays are current: they come first.
    from ..inputs.cache import load_inputs_cached  # the repo's inputs: validate PATH... never reads them

    config, models = load_inputs_cached(root, use_cache=options.render_cache)
    if options.check_stale:
        stale = stale_report(root, options)
        if stale is not None:
            return stale
    envs = config.select(options.environments)
    if not options.policy_dirs and (root / "policies").is_dir():
        # the repo's own policies, wherever the command runs from (--repo DIR)
        options = dataclasses.replace(options, policy_dirs=[root / "policies"])
    # rendering is for the repo's environments only: validate PATH... never loads it
    from ..render.cache import render_environment
    from ..render.kustomize import find_renderer

    renderer = find_renderer()
    # The control plane (the ArgoCD hub's objects, the Argo Workflows templates) is a row of its own when
    # every environment is validated: it is what turns the environments on and off.
    planes = [name for name in CONTROL_PLANES if options.environments is None and (root / "overlays" / name / "kustomization.yaml").is_file()]
    from concurrent.futures import ThreadPoolExecutor  # here, not at start-up: it imports logging

    with ThreadPoolExecutor(max_workers=4) as pool:  # kustomize is single-threaded; environments are independent
        futures = {
            name: pool.submit(render_environment, Path(display_path(root / "overlays" / name)), renderer=renderer, use_cache=options.render_cache)
            for name in [*(env.name for env in envs), *planes]
        }
        rendered = {name: future.result() for name, future in futures.items()}
    sources = SourceMap(root, models)
    library = crd_library(root, options)
    config_path = display_path(root / CONFIG_FILE)
    jobs = []
    for env in envs:
        display = display_path(root / "overlays" / env.name)
        objects = objects_from_rendered(rendered[env.name], environment=env.name, path=display)
        for obj in objects:
            sources.attach(obj)
        jobs.append((objects, env, options, library, sum(1 for m in models if env.name in m.environments), config_path))
    if planes:
        newest = max((e.kubernetes_version for e in config.environments.values()), key=_version_key)
        plane_options = dataclasses.replace(options, kubernetes_version=options.kubernetes_version or newest, admission=False, base_objects=None)
    for name in planes:
        display = display_path(root / "overlays" / name)
        objects = objects_from_rendered(rendered[name], environment=name, path=display)
        for obj in objects:
            sources.attach(obj)
        jobs.append((objects, name, plane_options, library, 0, config_path))
    report = Report(fail_on_warn=options.fail_on_warn, rules=checks.RULES)
    workers = _parallel_workers(jobs, options)
    if workers > 1:
        # Schema and policy checks hold the GIL: environments are checked in parallel processes instead.
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_one_policy_process) as pool:
            report.environments.extend(pool.map(_validate_environment, jobs))
    else:
        report.environments.extend(_validate_environment(job) for job in jobs)
    return report


STALE_RULE = "stale-output"
CONTROL_PLANES = ("argocd", "automation")  # overlays/<name> that are not environments


def stale_report(root: Path, options: ValidateOptions) -> Report | None:
    """A failing report when ``overlays/`` was not synthesized from the inputs on disk (None when it was).

    The committed overlays are what ArgoCD syncs; judging them while a model or ``kserve-gitops.yaml``
    says something else would pass a change that is not deployed (or deploy one that was never checked).
    Comparing the stamp synth writes costs a hash per input file, not a synth."""
    from ..synth.output import STAMP, staleness

    stale = staleness(root)
    if not stale:
        return None
    hint = "run 'kserve-gitops synth' and commit charts/ and overlays/ with the change"
    findings = [
        Finding(rule=STALE_RULE, message=f"overlays are stale: run synth ({rel} changed since the last synth)", path=display_path(root / rel), line=1, column=1, engine="inputs", hint=hint)
        for rel in stale.changed
    ]
    if stale.reason:
        findings.append(Finding(rule=STALE_RULE, message=f"overlays are stale: run synth ({stale.reason})", path=display_path(root / STAMP), engine="inputs", hint=hint))
    elif stale.tool and not findings:
        findings.append(Finding(rule=STALE_RULE, message=f"overlays are stale: run synth (written by {stale.tool})", path=display_path(root / STAMP), line=1, column=1, engine="inputs", hint=hint))
    return Report(environments=[EnvironmentResult(name="inputs", findings=sorted(findings, key=Finding.sort_key))], fail_on_warn=options.fail_on_warn, rules=checks.RULES)


PARALLEL_MIN_OBJECTS = 3000  # below this, starting worker processes costs more than it saves


def _parallel_workers(jobs: list, options: ValidateOptions) -> int:
    # The OPA engine starts a server per process and kubeconform is a process already: those stay serial.
    if len(jobs) < 2 or options.policy_engine != "regorus" or options.schema_engine != "builtin":
        return 1
    threshold = int(os.environ.get("KSERVE_GITOPS_PARALLEL_MIN_OBJECTS", PARALLEL_MIN_OBJECTS))
    if sum(len(job[0]) for job in jobs) < threshold:
        return 1
    return min(len(jobs), os.cpu_count() or 1)


def _one_policy_process() -> None:
    """In a worker that checks one of several environments in parallel, the cores are taken: no forking."""
    from .policy.forked import WORKERS_VARIABLE

    os.environ[WORKERS_VARIABLE] = "1"


def _validate_environment(job: tuple) -> EnvironmentResult:
    objects, env, options, library, models, config_path = job
    if isinstance(env, str):  # a control-plane overlay (argocd, automation): no environment's versions
        result = validate_objects(objects, env=None, options=options, library=library, name=env, config_path=config_path)
        result.models = models
        return result
    result = validate_objects(objects, env=env, options=options, library=library, config_path=config_path)
    result.models = models
    return result


def validate_paths(
    paths: Sequence[str], options: ValidateOptions | None = None, *, root: Path = Path("."), stdin: BinaryIO | None = None
) -> Report:
    """``validate PATH...``: files, folders, kustomizations and stdin, as one result.

    Versions come from the options, else from the one environment selected with ``-e`` (from
    ``kserve-gitops.yaml``), else the newest Kubernetes version any environment of ``kserve-gitops.yaml``
    runs (or the newest bundled one without that file) and KServe's unversioned CRD set.
    """
    options = options or ValidateOptions()
    env = None
    if options.environments:
        if len(options.environments) != 1:
            raise UsageError("with PATH arguments, -e/--env selects one environment (whose versions to check against)")
        env = load_config(root / CONFIG_FILE).environment(options.environments[0])
    elif options.kubernetes_version is None and (root / CONFIG_FILE).is_file():
        # No environment named: the Kubernetes version still comes from kserve-gitops.yaml (the newest any
        # environment runs), so files are checked against what this platform deploys to.
        environments = load_config(root / CONFIG_FILE).environments.values()
        newest = max((e.kubernetes_version for e in environments), key=_version_key)
        options = dataclasses.replace(options, kubernetes_version=newest)
    if options.kserve_version is None and options.admission_kserve_version is None and env is None and (root / CONFIG_FILE).is_file():
        # Files are admitted by the newest KServe release the platform runs (its CRD set stays KServe main's).
        newest_kserve = max((e.kserve_version for e in load_config(root / CONFIG_FILE).environments.values()), key=_version_key)
        options = dataclasses.replace(options, admission_kserve_version=newest_kserve)
    loaded = load_paths(paths, stdin=stdin, use_cache=options.render_cache)
    library = crd_library(root, options)
    for obj in loaded.objects:
        obj.environment = env.name if env else None
    result = validate_objects(
        loaded.objects, env=env, options=options, library=library, name=env.name if env else "files", config_path=display_path(root / CONFIG_FILE)
    )
    if loaded.errors:
        # A file that does not parse is one finding among the others; the rest are still checked.
        result.findings = sorted([*result.findings, *(_syntax_finding(e, env) for e in loaded.errors)], key=Finding.sort_key)
    return Report(environments=[result], fail_on_warn=options.fail_on_warn, rules=checks.RULES)


def _syntax_finding(error: Exception, env: Environment | None) -> Finding:
    return Finding(
        rule="yaml-syntax",
        message=redact(error.message),  # type: ignore[attr-defined]
        path=error.path or "",  # type: ignore[attr-defined]
        line=error.line or 0,  # type: ignore[attr-defined]
        column=error.column or 0,  # type: ignore[attr-defined]
        environment=env.name if env else "",
        engine="inputs",
        hint=redact(error.hint or ""),  # type: ignore[attr-defined]
    )


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.lstrip("v").split(".") if x.isdigit())


def validate_objects(
    objects: list[LoadedObject],
    *,
    env: Environment | None,
    options: ValidateOptions,
    library: CrdLibrary,
    name: str | None = None,
    config_path: str = CONFIG_FILE,
) -> EnvironmentResult:
    kserve_version = options.kserve_version or (env.kserve_version if env else None)
    schema_set = None
    if options.schemas:
        schema_set = SchemaSet(
            kubernetes_version=options.kubernetes_version or (env.kubernetes_version if env else None),
            crd_files=library.crd_files(kserve_version),
            strict=options.strict,
        )
    # Only the schema check and the credential scan see what is not shaped like an object (metadata or
    # spec not a mapping): the API server cannot decode it, and every other check reads metadata.name.
    shaped = [o for o in objects if shaped_like_an_object(o.data)]
    ctx = CheckContext(environment=env, options=options, schema_set=schema_set, all_objects=shaped, config_path=config_path)
    findings: list[Finding] = [] if schema_set is not None else [_undecodable(o) for o in objects if not shaped_like_an_object(o.data)]

    def given(check_name: str) -> list[LoadedObject]:
        return objects if check_name in checks.WHOLE_INPUT_CHECKS else shaped

    # A check that waits on a helper process runs in a thread beside the others (which hold the GIL),
    # so the helper uses the other core meanwhile.
    from concurrent.futures import ThreadPoolExecutor

    with gc_paused(), ThreadPoolExecutor(max_workers=1) as pool:
        waiting = [pool.submit(lambda fn=fn, name=check_name: list(fn(given(name), ctx))) for check_name, fn in checks.CHECKS.items() if check_name in checks.SUBPROCESS_CHECKS]
        for check_name, check_fn in checks.CHECKS.items():
            if check_name not in checks.SUBPROCESS_CHECKS:
                findings.extend(check_fn(given(check_name), ctx))
        for future in waiting:
            findings.extend(future.result())
    # No report format may print a credential, whichever check quoted it.
    findings = sorted({redacted(f) for f in findings}, key=Finding.sort_key)
    return EnvironmentResult(
        name=name or (env.name if env else "files"),
        objects=len(objects),
        findings=findings,
        checked=[obj.ref for obj in objects],
    )


def _undecodable(obj: LoadedObject) -> Finding:
    """With --no-schemas, what the schema check would have said of an object that is no object."""
    return finding_for(
        obj, ["metadata"], rule="schema", engine="inputs",
        message="not a Kubernetes object: metadata, spec or status is not a mapping (the API server cannot decode it)",
    )


def redacted(finding: Finding) -> Finding:
    message, hint = redact(finding.message), redact(finding.hint)
    if message == finding.message and hint == finding.hint:
        return finding
    return dataclasses.replace(finding, message=message, hint=hint)


def models_by_environment(config: PlatformConfig, models: list[Model]) -> dict[str, list[str]]:
    return {env: [m.name for m in models if env in m.environments] for env in config.promotion_order}
