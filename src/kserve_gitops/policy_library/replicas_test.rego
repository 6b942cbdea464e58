package kserve.replicas_test

import rego.v1

import data.kserve.fixtures
import data.kserve.replicas

test_replicas_prod_pass if {
	found := replicas.deny with input as fixtures.isvc with data.params as fixtures.prod_params
	count(found) == 0
}

test_replicas_prod_scale_to_zero_fail if {
	bad := object.union(fixtures.isvc, {"spec": {"predictor": {"minReplicas": 0}}})
	found := replicas.deny with input as bad with data.params as fixtures.prod_params
	fixtures.ids(found) == {"prod-min-replicas"}
}

test_replicas_prod_default_one_fail if {
	bad := json.remove(fixtures.isvc, ["spec/predictor/minReplicas"])
	found := replicas.deny with input as bad with data.params as fixtures.prod_params
	fixtures.ids(found) == {"prod-min-replicas"}
}

test_replicas_dev_scale_to_zero_pass if {
	ok := object.union(fixtures.isvc, {"spec": {"predictor": {"minReplicas": 0}}})
	found := replicas.deny with input as ok with data.params as fixtures.params
	count(found) == 0
}

test_replicas_production_flag_fail if {
	bad := object.union(fixtures.isvc, {"spec": {"predictor": {"minReplicas": 1}}})
	params := object.union(fixtures.params, {"production": true})
	found := replicas.deny with input as bad with data.params as params
	fixtures.ids(found) == {"prod-min-replicas"}
}

test_replicas_max_fail if {
	bad := object.union(fixtures.isvc, {"spec": {"predictor": {"maxReplicas": 10}}})
	found := replicas.deny with input as bad with data.params as fixtures.params
	fixtures.ids(found) == {"replicas-max"}
}

test_replicas_min_above_max_fail if {
	bad := object.union(fixtures.isvc, {"spec": {"predictor": {"minReplicas": 4, "maxReplicas": 3}}})
	found := replicas.deny with input as bad with data.params as fixtures.params
	fixtures.ids(found) == {"replicas-max"}
}
