"""The Rego policy gate: conftest-compatible rules evaluated by regorus (in process) or OPA (a server).

``bundle`` loads policies (the built-in library in ``kserve_gitops/policy_library`` and the repo's), ``engine`` is the engine abstraction with ``regorus``/``opa`` implementations,
``evaluate`` turns objects into findings (inventory, params, waivers), ``testing`` runs ``*_test.rego``,
``check`` plugs the gate into ``validate``.
"""

from __future__ import annotations

from typing import Callable, Iterable

from ...errors import UsageError
from .bundle import LIBRARY_DIR, PolicyBundle, load_bundle, load_policies
from .engine import PolicyEngine, PolicyResult, TestOutcome

ENGINE_NAMES = ("regorus", "opa")


def make_engine(
    name: str,
    bundle: PolicyBundle,
    namespaces: Iterable[str] | None = None,
    *,
    opa_url: str | None = None,
    combine: bool = False,
) -> PolicyEngine:
    """An engine by name; ``opa_url`` implies the OPA engine against that server."""
    if opa_url and name not in ("opa", "regorus"):
        raise UsageError(f"unknown policy engine {name!r} (known: {', '.join(ENGINE_NAMES)})")
    if name == "opa" or opa_url:
        from .opa import OpaEngine

        return OpaEngine(bundle, namespaces, combine=combine, url=opa_url)
    if name == "regorus":
        from .regorus import RegorusEngine

        return RegorusEngine(bundle, namespaces, combine=combine)
    raise UsageError(f"unknown policy engine {name!r} (known: {', '.join(ENGINE_NAMES)})")


__all__ = ["ENGINE_NAMES", "LIBRARY_DIR", "PolicyBundle", "PolicyEngine", "PolicyResult", "TestOutcome", "load_bundle", "load_policies", "make_engine"]
