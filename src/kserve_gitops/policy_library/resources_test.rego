package kserve.resources_test

import rego.v1

import data.kserve.fixtures
import data.kserve.resources

test_resources_set_pass if {
	found := resources.deny with input as fixtures.with_transformer with data.params as fixtures.params
	count(found) == 0
}

test_resources_required_fail if {
	bad := json.remove(fixtures.isvc, ["spec/predictor/model/resources/limits"])
	found := resources.deny with input as bad with data.params as fixtures.params
	fixtures.ids(found) == {"resources-required"}
	count(found) == 2
}

test_resources_required_transformer_fail if {
	bad := json.remove(fixtures.with_transformer, ["spec/transformer/containers/0/resources/requests/memory"])
	found := resources.deny with input as bad with data.params as fixtures.params
	some f in found
	f.id == "resources-required"
	f.field == ["spec", "transformer", "containers", 0, "resources"]
}

test_resources_max_fail if {
	bad := object.union(fixtures.isvc, {"spec": {"predictor": {"model": {"resources": {"limits": {"cpu": "8", "memory": "16Gi"}}}}}})
	found := resources.deny with input as bad with data.params as fixtures.params
	fixtures.ids(found) == {"resources-max"}
	count(found) == 2
}

test_resources_max_millicores_pass if {
	ok := object.union(fixtures.isvc, {"spec": {"predictor": {"model": {"resources": {"limits": {"cpu": "4000m"}}}}}})
	found := resources.deny with input as ok with data.params as fixtures.params
	count(found) == 0
}

test_resources_not_an_isvc_pass if {
	found := resources.deny with input as fixtures.service_account with data.params as fixtures.params
	count(found) == 0
}

test_malformed_quantity_is_left_to_the_schema_check_pass if {
	odd := object.union(fixtures.isvc, {"spec": {"predictor": {"model": {"resources": {"limits": {"cpu": "lots"}}}}}})
	found := resources.deny with input as odd with data.params as fixtures.params
	count(found) == 0
}

test_resources_max_numeric_quantity_fail if {
	bad := object.union(fixtures.isvc, {"spec": {"predictor": {"model": {"resources": {"limits": {"cpu": 6}}}}}})
	found := resources.deny with input as bad with data.params as fixtures.params
	fixtures.ids(found) == {"resources-max"}
}
