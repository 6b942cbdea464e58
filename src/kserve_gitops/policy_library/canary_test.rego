package kserve.canary_test

import rego.v1

import data.kserve.canary
import data.kserve.fixtures

canary_percent(p) := object.union(fixtures.isvc, {"spec": {"predictor": {"canaryTrafficPercent": p}}})

canary_list(p) := object.union(fixtures.isvc, {"spec": {"canary": [{"trafficPercent": p, "predictor": fixtures.isvc.spec.predictor}]}})

test_canary_serverless_pass if {
	found := canary.deny with input as canary_percent(10) with data.params as fixtures.params
	count(found) == 0
}

test_canary_knative_pass if {
	knative := object.union(fixtures.params, {"kserve": {"deploymentMode": "Knative"}})
	found := canary.deny with input as canary_percent(10) with data.params as knative
	count(found) == 0
}

test_canary_list_standard_pass if {
	found := canary.deny with input as canary_list(20) with data.params as fixtures.standard_params
	count(found) == 0
}

test_canary_list_legacy_standard_name_pass if {
	legacy := object.union(canary_list(20), {"metadata": {"annotations": {"serving.kserve.io/deploymentMode": "RawDeployment"}}})
	found := canary.deny with input as legacy with data.params as fixtures.standard_params
	count(found) == 0
}

test_canary_list_knative_fail if {
	found := canary.deny with input as canary_list(20) with data.params as fixtures.params
	fixtures.ids(found) == {"canary-mode"}
}

test_canary_list_before_v0_20_fail if {
	found := canary.deny with input as canary_list(20) with data.params as fixtures.legacy_raw_params
	fixtures.ids(found) == {"canary-mode"}
}

test_canary_revision_standard_fail if {
	found := canary.deny with input as canary_percent(10) with data.params as fixtures.standard_params
	fixtures.ids(found) == {"canary-mode"}
}

test_no_canary_raw_pass if {
	found := canary.deny with input as fixtures.isvc with data.params as fixtures.prod_params
	count(found) == 0
}

test_canary_over_100_fail if {
	found := canary.deny with input as canary_percent(120) with data.params as fixtures.params
	fixtures.ids(found) == {"canary-traffic-range"}
}

test_canary_negative_fail if {
	found := canary.deny with input as canary_list(-5) with data.params as fixtures.standard_params
	fixtures.ids(found) == {"canary-traffic-range"}
}

test_canaries_sum_over_100_fail if {
	two := object.union(fixtures.isvc, {"spec": {"canary": [{"trafficPercent": 60}, {"trafficPercent": 50}]}})
	found := canary.deny with input as two with data.params as fixtures.standard_params
	fixtures.ids(found) == {"canary-traffic-range"}
}

test_canary_raw_deployment_fail if {
	found := canary.deny with input as canary_percent(10) with data.params as fixtures.prod_params
	fixtures.ids(found) == {"canary-mode"}
}

test_canary_annotation_overrides_environment_fail if {
	raw := object.union(canary_percent(10), {"metadata": {"annotations": {"serving.kserve.io/deploymentMode": "Standard"}}})
	found := canary.deny with input as raw with data.params as fixtures.params
	fixtures.ids(found) == {"canary-mode"}
}
