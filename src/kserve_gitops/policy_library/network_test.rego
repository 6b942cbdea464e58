package kserve.network_test

import rego.v1

import data.kserve.fixtures
import data.kserve.network

test_network_serverless_pass if {
	found := network.deny with input as fixtures.isvc with data.params as fixtures.params
		with data.inventory as fixtures.inventory([fixtures.default_deny, fixtures.strict_mtls])
	count(found) == 0
}

test_network_no_default_deny_fail if {
	found := network.deny with input as fixtures.isvc with data.params as fixtures.params
		with data.inventory as fixtures.inventory([fixtures.strict_mtls])
	fixtures.ids(found) == {"namespace-default-deny"}
	count(found) == 2
}

test_network_ingress_only_default_deny_fail if {
	ingress_only := json.patch(fixtures.default_deny, [{"op": "replace", "path": "/spec/policyTypes", "value": ["Ingress"]}])
	found := network.deny with input as fixtures.isvc with data.params as fixtures.params
		with data.inventory as fixtures.inventory([ingress_only, fixtures.strict_mtls])
	fixtures.ids(found) == {"namespace-default-deny"}
	count(found) == 1
}

test_network_allow_rule_is_not_default_deny_fail if {
	allow := object.union(fixtures.default_deny, {"spec": {"ingress": [{"from": [{"podSelector": {}}]}]}})
	found := network.deny with input as fixtures.isvc with data.params as fixtures.params
		with data.inventory as fixtures.inventory([allow, fixtures.strict_mtls])
	fixtures.ids(found) == {"namespace-default-deny"}
}

test_network_no_strict_mtls_serverless_fail if {
	found := network.deny with input as fixtures.isvc with data.params as fixtures.params
		with data.inventory as fixtures.inventory([fixtures.default_deny])
	fixtures.ids(found) == {"namespace-mtls-strict"}
}

test_network_no_strict_mtls_knative_fail if {
	knative := object.union(fixtures.params, {"kserve": {"deploymentMode": "Knative"}})
	found := network.deny with input as fixtures.isvc with data.params as knative
		with data.inventory as fixtures.inventory([fixtures.default_deny])
	fixtures.ids(found) == {"namespace-mtls-strict"}
}

test_network_permissive_mtls_fail if {
	permissive := json.patch(fixtures.strict_mtls, [{"op": "replace", "path": "/spec/mtls/mode", "value": "PERMISSIVE"}])
	found := network.deny with input as fixtures.isvc with data.params as fixtures.params
		with data.inventory as fixtures.inventory([fixtures.default_deny, permissive])
	fixtures.ids(found) == {"namespace-mtls-strict"}
}

test_network_mesh_wide_strict_pass if {
	mesh := json.patch(fixtures.strict_mtls, [{"op": "replace", "path": "/metadata/namespace", "value": "istio-system"}])
	found := network.deny with input as fixtures.isvc with data.params as fixtures.params
		with data.inventory as fixtures.inventory([fixtures.default_deny, mesh])
	count(found) == 0
}

test_network_raw_deployment_needs_strict_mtls_fail if {
	found := network.deny with input as fixtures.isvc with data.params as fixtures.prod_params
		with data.inventory as fixtures.inventory([fixtures.default_deny])
	fixtures.ids(found) == {"namespace-mtls-strict"}
}

test_network_standard_needs_strict_mtls_fail if {
	found := network.deny with input as fixtures.isvc with data.params as fixtures.standard_params
		with data.inventory as fixtures.inventory([fixtures.default_deny])
	fixtures.ids(found) == {"namespace-mtls-strict"}
}

test_network_standard_with_strict_mtls_pass if {
	found := network.deny with input as fixtures.isvc with data.params as fixtures.standard_params
		with data.inventory as fixtures.inventory([fixtures.default_deny, fixtures.strict_mtls])
	count(found) == 0
}

test_network_mtls_turned_off_needs_none_pass if {
	off := object.union(fixtures.standard_params, {"security": {"mtls": false}})
	found := network.deny with input as fixtures.isvc with data.params as off
		with data.inventory as fixtures.inventory([fixtures.default_deny])
	count(found) == 0
}

test_network_mtls_turned_off_in_knative_needs_none_pass if {
	off := object.union(fixtures.params, {"security": {"mtls": false}})
	found := network.deny with input as fixtures.isvc with data.params as off
		with data.inventory as fixtures.inventory([fixtures.default_deny])
	count(found) == 0
}

test_network_model_namespace_object_fail if {
	ns := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "models"}}
	found := network.deny with input as ns with data.params as fixtures.params with data.inventory as fixtures.inventory([])
	fixtures.ids(found) == {"namespace-default-deny", "namespace-mtls-strict"}
}
