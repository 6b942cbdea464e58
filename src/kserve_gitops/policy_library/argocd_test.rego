package kserve.argocd_test

import rego.v1

import data.kserve.argocd
import data.kserve.fixtures

app := {
	"apiVersion": "argoproj.io/v1alpha1",
	"kind": "Application",
	"metadata": {"name": "models-dev", "namespace": "argocd"},
	"spec": {"project": "ml-models", "destination": {"server": "https://dev.k8s.example", "namespace": "models"}},
}

test_argocd_pass if {
	found := argocd.deny with input as app with data.params as fixtures.params
	count(found) == 0
}

test_argocd_wrong_project_fail if {
	found := argocd.deny with input as object.union(app, {"spec": {"project": "default"}}) with data.params as fixtures.params
	fixtures.ids(found) == {"argocd-project"}
}

test_argocd_default_project_without_config_fail if {
	params := json.remove(fixtures.params, ["argocd"])
	found := argocd.deny with input as object.union(app, {"spec": {"project": "default"}}) with data.params as params
	fixtures.ids(found) == {"argocd-project"}
}

test_argocd_other_cluster_fail if {
	bad := object.union(app, {"spec": {"destination": {"server": "https://prod.k8s.example"}}})
	found := argocd.deny with input as bad with data.params as fixtures.params
	fixtures.ids(found) == {"argocd-destination"}
}

test_argocd_destination_by_name_pass if {
	ok := json.patch(app, [{"op": "replace", "path": "/spec/destination", "value": {"name": "ml-dev", "namespace": "models"}}])
	found := argocd.deny with input as ok with data.params as fixtures.params
	count(found) == 0
}

test_argocd_namespace_not_allowed_fail if {
	params := object.union(fixtures.params, {"argocd": {"allowedNamespaces": ["models"]}})
	bad := object.union(app, {"spec": {"destination": {"namespace": "kube-system"}}})
	found := argocd.deny with input as bad with data.params as params
	fixtures.ids(found) == {"argocd-destination"}
}
