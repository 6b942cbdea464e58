package kserve.storage_test

import rego.v1

import data.kserve.fixtures
import data.kserve.storage

inventory := fixtures.inventory([fixtures.service_account])

test_storage_pass if {
	found := storage.deny with input as fixtures.isvc with data.params as fixtures.params with data.inventory as inventory
	count(found) == 0
}

test_storage_uri_other_bucket_fail if {
	bad := object.union(fixtures.isvc, {"spec": {"predictor": {"model": {"storageUri": "s3://someone-else/iris"}}}})
	found := storage.deny with input as bad with data.params as fixtures.params with data.inventory as inventory
	fixtures.ids(found) == {"storage-uri-allowed"}
}

test_storage_uri_scheme_fail if {
	bad := object.union(fixtures.isvc, {"spec": {"predictor": {"model": {"storageUri": "https://example.com/model.joblib"}}}})
	found := storage.deny with input as bad with data.params as fixtures.params with data.inventory as inventory
	fixtures.ids(found) == {"storage-uri-allowed"}
}

test_storage_allowed_buckets_pass if {
	ok := object.union(fixtures.isvc, {"spec": {"predictor": {"model": {"storageUri": "s3://shared-models/iris"}}}})
	params := object.union(fixtures.params, {"storage": {"allowedBuckets": ["models-dev", "shared-models"]}})
	found := storage.deny with input as ok with data.params as params with data.inventory as inventory
	count(found) == 0
}

test_s3_without_service_account_fail if {
	bad := json.remove(fixtures.isvc, ["spec/predictor/serviceAccountName"])
	found := storage.deny with input as bad with data.params as fixtures.params with data.inventory as inventory
	fixtures.ids(found) == {"s3-service-account"}
}

test_s3_service_account_not_rendered_fail if {
	found := storage.deny with input as fixtures.isvc with data.params as fixtures.params with data.inventory as fixtures.inventory([])
	fixtures.ids(found) == {"s3-service-account"}
}

test_s3_service_account_without_role_fail if {
	account := json.remove(fixtures.service_account, ["metadata/annotations"])
	found := storage.deny with input as fixtures.isvc with data.params as fixtures.params with data.inventory as fixtures.inventory([account])
	fixtures.ids(found) == {"s3-service-account"}
}

test_pvc_needs_no_service_account_pass if {
	ok := json.remove(object.union(fixtures.isvc, {"spec": {"predictor": {"model": {"storageUri": "pvc://models/iris"}}}}), ["spec/predictor/serviceAccountName"])
	params := object.union(fixtures.params, {"storage": {"allowedSchemes": ["s3", "pvc"]}})
	found := storage.deny with input as ok with data.params as params with data.inventory as fixtures.inventory([])
	count(found) == 0
}
