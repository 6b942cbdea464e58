package kserve.secrets_test

import rego.v1

import data.kserve.fixtures
import data.kserve.secrets

with_env(env) := json.patch(fixtures.with_transformer, [{"op": "add", "path": "/spec/transformer/containers/0/env", "value": env}])

test_env_plain_config_pass if {
	found := secrets.deny with input as with_env([{"name": "PREDICTOR_HOST", "value": "iris-predictor"}])
	count(found) == 0
}

test_env_secret_ref_pass if {
	found := secrets.deny with input as with_env([{"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "token"}}}])
	count(found) == 0
}

test_env_secret_literal_fail if {
	found := secrets.deny with input as with_env([{"name": "DB_PASSWORD", "value": "hunter2"}])
	fixtures.ids(found) == {"env-secret-values"}
}

test_env_credential_looking_value_fail if {
	found := secrets.deny with input as with_env([{"name": "CONFIG", "value": "AKIAABCDEFGHIJKLMNOP"}])
	fixtures.ids(found) == {"env-secret-values"}
}
