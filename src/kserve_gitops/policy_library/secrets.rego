# No secret values in plain environment variables: credentials come from a Secret (valueFrom.secretKeyRef)
# or from the pod's IAM role, never from a literal in git.
# METADATA
# scope: package
# custom:
#   kinds: [InferenceService, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, ServingRuntime, ClusterServingRuntime]
package kserve.secrets

import rego.v1

import data.kserve.lib

secret_name := `(?i)(password|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)`

secret_value := `(AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----|ghp_[A-Za-z0-9]{36}|xox[bp]-[A-Za-z0-9-]+)`

# METADATA
# title: No secret values in plain env vars
# description: An env var whose name says it holds a secret (password, token, key, credentials) uses valueFrom, and no env value looks like a credential.
# custom:
#   id: env-secret-values
#   severity: error
deny contains lib.finding("env-secret-values", msg, array.concat(c.path, ["env", i, "value"])) if {
	some c in data.kserve.lib.input_containers
	some i, env in object.get(c.container, "env", [])
	is_string(env.value)
	env.value != ""
	regex.match(secret_name, env.name)
	msg := sprintf("%s: env var %s holds a literal value; take it from a Secret with valueFrom.secretKeyRef", [lib.describe(input), env.name])
}

deny contains lib.finding("env-secret-values", msg, array.concat(c.path, ["env", i, "value"])) if {
	some c in data.kserve.lib.input_containers
	some i, env in object.get(c.container, "env", [])
	is_string(env.value)
	not regex.match(secret_name, env.name)
	regex.match(secret_value, env.value)
	msg := sprintf("%s: env var %s holds what looks like a credential", [lib.describe(input), env.name])
}
