package kserve.security_test

import rego.v1

import data.kserve.fixtures
import data.kserve.security

patched(ops) := json.patch(fixtures.with_transformer, ops)

test_security_pass if {
	found := security.deny with input as fixtures.with_transformer
	count(found) == 0
}

test_security_framework_container_needs_nothing_pass if {
	found := security.deny with input as fixtures.isvc
	count(found) == 0
}

test_privileged_fail if {
	bad := patched([{"op": "add", "path": "/spec/transformer/containers/0/securityContext/privileged", "value": true}])
	found := security.deny with input as bad
	fixtures.ids(found) == {"no-privileged"}
}

test_privilege_escalation_fail if {
	bad := patched([{"op": "add", "path": "/spec/transformer/containers/0/securityContext/allowPrivilegeEscalation", "value": true}])
	found := security.deny with input as bad
	fixtures.ids(found) == {"no-privileged"}
}

test_custom_image_without_non_root_fail if {
	bad := patched([{"op": "remove", "path": "/spec/transformer/containers/0/securityContext"}])
	found := security.deny with input as bad
	fixtures.ids(found) == {"run-as-non-root"}
}

test_pod_level_non_root_pass if {
	ok := patched([
		{"op": "remove", "path": "/spec/transformer/containers/0/securityContext"},
		{"op": "add", "path": "/spec/transformer/securityContext", "value": {"runAsNonRoot": true}},
	])
	found := security.deny with input as ok
	count(found) == 0
}

test_run_as_root_fail if {
	bad := patched([{"op": "add", "path": "/spec/predictor/model/securityContext", "value": {"runAsUser": 0}}])
	found := security.deny with input as bad
	fixtures.ids(found) == {"run-as-non-root"}
}

test_host_path_fail if {
	bad := patched([{"op": "add", "path": "/spec/transformer/volumes", "value": [{"name": "host", "hostPath": {"path": "/var/run"}}]}])
	found := security.deny with input as bad
	fixtures.ids(found) == {"no-host-path"}
}

test_runtime_non_root_pass if {
	runtime := {
		"apiVersion": "serving.kserve.io/v1alpha1", "kind": "ClusterServingRuntime", "metadata": {"name": "kserve-sklearnserver"},
		"spec": {"containers": [{"name": "kserve-container", "image": "kserve/sklearnserver:v0.14.1", "securityContext": {"runAsNonRoot": true, "privileged": false}}]},
	}
	found := security.deny with input as runtime
	count(found) == 0
}
