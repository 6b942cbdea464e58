# Model namespaces are isolated: a default-deny NetworkPolicy (ingress and egress) in every model namespace,
# and, unless the environment turns mTLS off, STRICT mutual TLS by PeerAuthentication.
# Both read data.inventory, the rendered objects of the environment.
# METADATA
# scope: package
# custom:
#   kinds: [InferenceService, Namespace]
package kserve.network

import rego.v1

import data.kserve.lib

# The objects whose namespace must be isolated: InferenceServices, and the model Namespaces themselves.
subject_namespace := input.metadata.namespace if lib.is_isvc(input)

subject_namespace := input.metadata.name if {
	input.kind == "Namespace"
	input.metadata.name in data.kserve.lib.model_namespaces
}

network_policies(ns) := object.get(data.kserve.lib.inventory.namespace, [ns, "networking.k8s.io/v1", "NetworkPolicy"], {})

selects_all_pods(np) if count(object.get(np.spec, "podSelector", {})) == 0

denies(np, "Ingress") if {
	"Ingress" in object.get(np.spec, "policyTypes", ["Ingress"])
	count(object.get(np.spec, "ingress", [])) == 0
}

denies(np, "Egress") if {
	"Egress" in object.get(np.spec, "policyTypes", [])
	count(object.get(np.spec, "egress", [])) == 0
}

# Per namespace, the directions some default-deny NetworkPolicy covers. It does not read input, so
# kserve-gitops evaluates it once per environment rather than once per object.
default_deny_directions[ns] := directions if {
	some ns in object.keys(data.kserve.lib.inventory.namespace)
	directions := [direction |
		some direction in ["Ingress", "Egress"]
		some np in network_policies(ns)
		selects_all_pods(np)
		denies(np, direction)
	]
}

default_deny(ns, direction) if direction in default_deny_directions[ns]

# METADATA
# title: Default-deny NetworkPolicy in model namespaces
# description: Every model namespace has a NetworkPolicy selecting all pods that denies ingress and egress by default (allow rules are added on top).
# custom:
#   id: namespace-default-deny
#   severity: error
deny contains lib.finding("namespace-default-deny", msg, ["metadata", "namespace"]) if {
	ns := subject_namespace
	some direction in ["Ingress", "Egress"]
	not default_deny(ns, direction)
	msg := sprintf("%s: namespace %s has no default-deny %s NetworkPolicy (podSelector {} and no %s rules)", [lib.describe(input), ns, lower(direction), lower(direction)])
}

mesh_root_namespace := object.get(data.kserve.lib.params, ["istio", "rootNamespace"], "istio-system")

# Namespaces with a namespace-wide STRICT PeerAuthentication (an object, not a set: kserve-gitops passes
# this environment fact to every object's evaluation, and a set would be rebuilt each time).
strict_mtls[n] := true if {
	some n, by_api in data.kserve.lib.inventory.namespace
	some api, kinds in by_api
	startswith(api, "security.istio.io/")
	some pa in object.get(kinds, "PeerAuthentication", {})
	count(object.get(pa.spec, ["selector", "matchLabels"], {})) == 0
	pa.spec.mtls.mode == "STRICT"
}

# on unless the environment says security.mtls: false (synth then writes no PeerAuthentication; validate warns, KSV020)
mtls_on if object.get(data.params, ["security", "mtls"], true) != false

strict_peer_authentication(ns) if {
	some n in {ns, mesh_root_namespace}
	strict_mtls[n]
}

# METADATA
# title: STRICT mutual TLS in model namespaces
# description: Unless the environment turns mTLS off (security.mtls set to false), every model namespace (or the mesh root namespace) has a PeerAuthentication with mtls.mode STRICT for all workloads, in Knative mode (the Knative mesh) and Standard mode (Istio sidecars) alike.
# custom:
#   id: namespace-mtls-strict
#   severity: error
deny contains lib.finding("namespace-mtls-strict", msg, ["metadata", "namespace"]) if {
	mtls_on
	ns := subject_namespace
	not strict_peer_authentication(ns)
	msg := sprintf("%s: namespace %s has no STRICT PeerAuthentication (mTLS is on in this environment unless security.mtls is false)", [lib.describe(input), ns])
}
