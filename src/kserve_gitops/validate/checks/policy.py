"""The ``policy`` check of ``validate``: the built-in library and the repo's policies over every rendered object.

Policies are parsed once per run (cached by file fingerprint); the embedded engine is reused across
environments (``set_data`` swaps the inventory), an OPA server lives for one environment and is always
stopped, even when evaluation fails.
"""

from __future__ import annotations

from contextlib import nullcontext
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, ContextManager, Iterable

from ...results import Finding, LoadedObject
from .base import CheckContext

if TYPE_CHECKING:
    from ..policy import PolicyEngine
    from ..policy.bundle import PolicyBundle

# The engines (regorus, the OPA client) and the policy library load when the check first runs, not when
# validate starts: --no-policy, usage errors and --help never pay for them.

DEFAULT_POLICY_DIR = "policies"


def policy_dirs(ctx: CheckContext) -> list[Path]:
    if ctx.options.policy_dirs:
        return list(ctx.options.policy_dirs)
    default = Path(DEFAULT_POLICY_DIR)
    return [default] if default.is_dir() else []


@lru_cache(maxsize=8)
def _cached_bundle(fingerprint: tuple) -> "PolicyBundle":
    from ..policy.bundle import load_policies

    return load_policies([Path(p) for p in fingerprint[0]])


def bundle_for(dirs: list[Path]) -> "PolicyBundle":
    """The built-in library with the repo's folders ``dirs``, parsed once per run (keyed by every file's stamp)."""
    from ..policy.bundle import library_config_files, library_files, policy_files

    files = [*library_files(), *policy_files(dirs), *library_config_files(dirs)]
    stamp = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    return _cached_bundle((tuple(str(d) for d in dirs), stamp))


_embedded_engines: dict[tuple, "PolicyEngine"] = {}  # insertion-ordered: the least recently used first
ENGINES_KEPT = 4


def _engine_for(bundle: "PolicyBundle", options) -> ContextManager["PolicyEngine"]:
    """The embedded engine is built once per bundle and reused for every environment (``set_data`` gives each
    its own clone); an OPA server is started per environment and stopped after it."""
    from ..policy import make_engine

    if options.policy_engine != "regorus" or options.opa_url:
        return make_engine(options.policy_engine, bundle, options.policy_namespaces, opa_url=options.opa_url)
    key = (id(bundle), tuple(options.policy_namespaces or ()))
    engine = _embedded_engines.pop(key, None)
    if engine is None or engine.bundle is not bundle:
        engine = make_engine("regorus", bundle, options.policy_namespaces)
    _embedded_engines[key] = engine  # newest last
    # An engine holds its compiled library: a long run (the lifecycle commands check each candidate in a
    # temporary repo, a bundle each) keeps only the recent ones, as _cached_bundle keeps recent bundles.
    while len(_embedded_engines) > ENGINES_KEPT:
        del _embedded_engines[next(iter(_embedded_engines))]
    return nullcontext(engine)


def policy_check(objects: list[LoadedObject], ctx: CheckContext) -> Iterable[Finding]:
    options = ctx.options
    if not options.policies:
        return []
    from ..policy.evaluate import disabled_findings, evaluate_objects, waivers_for

    bundle = bundle_for(policy_dirs(ctx))
    env = ctx.environment
    environment = env.name if env else "files"
    with _engine_for(bundle, options) as engine:
        findings = evaluate_objects(
            engine,
            objects,
            params=env.params() if env else {},
            environment=environment,
            waivers=waivers_for(bundle),
            refused_by_schema=_refused_by_schema(ctx),
        )
    return findings + disabled_findings(bundle, environment, options.policy_namespaces)


def _refused_by_schema(ctx: CheckContext):
    schema_set = ctx.schema_set
    if schema_set is None:
        return None

    def refused(data) -> bool:
        validator = schema_set.validator_for(str(data.get("apiVersion", "")), str(data.get("kind", "")))
        return validator is not None and not validator.is_valid(data)

    return refused


