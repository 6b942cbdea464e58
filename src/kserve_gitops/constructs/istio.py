"""Istio security for model namespaces: every environment unless it sets ``security.mtls: false``. Knative mode
(formerly Serverless) runs on Istio anyway; Standard mode (formerly RawDeployment) gets sidecars in the model
namespaces (``istio-injection``, see identity.py) and Istio's control plane (install.py) for this.

* ``PeerAuthentication`` STRICT: model pods accept only mutual-TLS traffic from the mesh.
* ``AuthorizationPolicy`` ALLOW: only the ingress gateways, Knative's activator/autoscaler, Prometheus
  and the namespace itself (transformer -> predictor) may call model pods.
* Optional JWT at the edge: a ``RequestAuthentication`` on the ingress gateway validates tokens from the
  environment's issuer and a DENY ``AuthorizationPolicy`` rejects requests to the inference hosts that
  carry none. The check is at the gateway, so in-cluster calls and Knative probes are not affected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from ..inputs.config import Environment
from .kustomize import api_object

SECURITY_API = "security.istio.io/v1"
GATEWAY_SELECTOR = {"istio": "ingressgateway"}
STANDARD_INGRESS_NAMESPACE = "ingress-nginx"  # as network.py's default for Standard mode


@dataclass(frozen=True)
class JwtProps:
    issuer: str
    jwks_uri: str


@dataclass(frozen=True)
class IstioSecurityProps:
    """Mesh security for one model namespace."""

    namespace: str
    allowed_namespaces: tuple[str, ...] = ("istio-system", "knative-serving", "monitoring")
    mtls_mode: str = "STRICT"
    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_environment(cls, env: Environment, namespace: str) -> "IstioSecurityProps":
        """Knative mode: the Istio gateways, Knative's system pods and Prometheus. Standard mode: the ingress
        controller's namespace (ingress-nginx, which must run with a sidecar to reach STRICT pods), Istio's
        namespace and Prometheus."""
        if env.serverless:
            return cls(namespace=namespace)
        return cls(namespace=namespace, allowed_namespaces=(STANDARD_INGRESS_NAMESPACE, "istio-system", "monitoring"))


@dataclass(frozen=True)
class GatewayJwtProps:
    """JWT required for inference requests that enter through the ingress gateway."""

    jwt: JwtProps
    hosts: tuple[str, ...] = ("*",)
    gateway_namespace: str = "istio-system"
    gateway_selector: dict[str, str] = field(default_factory=lambda: dict(GATEWAY_SELECTOR))

    @classmethod
    def for_environment(cls, env: Environment) -> "GatewayJwtProps | None":
        if not env.jwt:
            return None
        # Fail closed: without an ingress domain every host behind the gateway requires a token.
        hosts = (f"*.{env.ingress_domain}", f"*.{env.ingress_domain}:*") if env.ingress_domain else ("*",)
        return cls(jwt=JwtProps(issuer=env.jwt["issuer"], jwks_uri=env.jwt["jwksUri"]), hosts=hosts)


def _metadata(name: str, namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        meta["labels"] = dict(labels)
    return meta


class IstioModelSecurity(Construct):
    """PeerAuthentication STRICT and the caller allow-list for one model namespace."""

    def __init__(self, scope: Construct, id: str, props: IstioSecurityProps) -> None:
        super().__init__(scope, id)
        ns = props.namespace
        callers = sorted({*props.allowed_namespaces, ns})
        self.peer_authentication = api_object(
            self,
            {
                "apiVersion": SECURITY_API,
                "kind": "PeerAuthentication",
                "metadata": _metadata("default", ns, props.labels),
                "spec": {"mtls": {"mode": props.mtls_mode}},
            },
        )
        self.authorization_policy = api_object(
            self,
            {
                "apiVersion": SECURITY_API,
                "kind": "AuthorizationPolicy",
                "metadata": _metadata("allow-platform-callers", ns, props.labels),
                "spec": {"action": "ALLOW", "rules": [{"from": [{"source": {"namespaces": callers}}]}]},
            },
        )


class GatewayJwtAuthentication(Construct):
    """RequestAuthentication + DENY-without-token AuthorizationPolicy on the ingress gateway."""

    def __init__(self, scope: Construct, id: str, props: GatewayJwtProps, *, labels: dict[str, str] | None = None) -> None:
        super().__init__(scope, id)
        ns = props.gateway_namespace
        selector = {"matchLabels": dict(props.gateway_selector)}
        self.request_authentication = api_object(
            self,
            {
                "apiVersion": SECURITY_API,
                "kind": "RequestAuthentication",
                "metadata": _metadata("inference-jwt", ns, labels or {}),
                "spec": {
                    "selector": selector,
                    "jwtRules": [{"issuer": props.jwt.issuer, "jwksUri": props.jwt.jwks_uri, "forwardOriginalToken": True}],
                },
            },
        )
        self.require_jwt = api_object(
            self,
            {
                "apiVersion": SECURITY_API,
                "kind": "AuthorizationPolicy",
                "metadata": _metadata("require-inference-jwt", ns, labels or {}),
                "spec": {
                    "selector": selector,
                    "action": "DENY",
                    "rules": [
                        {
                            "from": [{"source": {"notRequestPrincipals": ["*"]}}],
                            "to": [{"operation": {"hosts": list(props.hosts)}}],
                        }
                    ],
                },
            },
        )
