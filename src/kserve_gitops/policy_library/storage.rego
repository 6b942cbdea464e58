# Model storage: storageUri schemes and buckets from the environment's allowlist, and s3:// models run as a
# ServiceAccount that carries an IAM role (IRSA) and is part of the render.
# METADATA
# scope: package
# custom:
#   kinds: [InferenceService]
package kserve.storage

import rego.v1

import data.kserve.lib

allowed_schemes := {s | some s in object.get(data.kserve.lib.params, ["storage", "allowedSchemes"], ["s3"])}

allowed_buckets := {b | some b in object.get(data.kserve.lib.params, ["storage", "allowedBuckets"], [])} | {b |
	b := data.kserve.lib.params.storage.bucket
}

# Every storageUri of the input, once: its field path, the URI, its scheme and the component it belongs to.
# (A framework field or container of a component has that component's path as its pod_path.)
storage_uris contains {"path": array.concat(c.path, ["storageUri"]), "uri": uri, "scheme": scheme(uri), "component": c.pod_path} if {
	some c in data.kserve.lib.input_containers
	uri := c.container.storageUri
}

storage_uris contains {"path": array.concat(p, ["storageUri"]), "uri": uri, "scheme": scheme(uri), "component": p} if {
	some [p, comp] in data.kserve.lib.input_components
	uri := comp.storageUri
}

# (Call results go through a variable before indexing: regorus indexes a call result ten times slower.)
scheme(uri) := s if {
	contains(uri, "://")
	parts := split(uri, "://")
	s := parts[0]
} else := ""

bucket(uri) := b if {
	parts := split(uri, "://")
	segments := split(parts[1], "/")
	b := segments[0]
}

# METADATA
# title: Storage URI allowed
# description: storageUri uses a scheme of storage.allowedSchemes (default s3) and, for s3:// and gs://, a bucket of storage.allowedBuckets (default the environment's bucket).
# custom:
#   id: storage-uri-allowed
#   severity: error
deny contains lib.finding("storage-uri-allowed", msg, u.path) if {
	some u in storage_uris
	not u.scheme in allowed_schemes
	msg := sprintf("%s: storageUri %q uses scheme %q; this environment allows %v", [lib.describe(input), u.uri, u.scheme, sort(allowed_schemes)])
}

deny contains lib.finding("storage-uri-allowed", msg, u.path) if {
	some u in storage_uris
	u.scheme in {"s3", "gs"}
	count(allowed_buckets) > 0
	not bucket(u.uri) in allowed_buckets
	msg := sprintf("%s: storageUri %q reads bucket %q; this environment allows %v", [lib.describe(input), u.uri, bucket(u.uri), sort(allowed_buckets)])
}

role_annotation := "eks.amazonaws.com/role-arn"

s3_component_paths := {u.component | some u in storage_uris; u.scheme == "s3"}

s3_components contains [p, comp] if {
	some [p, comp] in data.kserve.lib.input_components
	p in s3_component_paths
}

# METADATA
# title: s3 models use an IAM-role ServiceAccount
# description: A component that reads s3:// sets serviceAccountName, and that ServiceAccount is in the render with an eks.amazonaws.com/role-arn annotation.
# custom:
#   id: s3-service-account
#   severity: error
deny contains lib.finding("s3-service-account", msg, p) if {
	some [p, comp] in s3_components
	not comp.serviceAccountName
	msg := sprintf("%s: reads s3:// but sets no serviceAccountName (pods need an IAM role to read the bucket)", [lib.describe(input)])
}

deny contains lib.finding("s3-service-account", msg, array.concat(p, ["serviceAccountName"])) if {
	some [p, comp] in s3_components
	name := comp.serviceAccountName
	ns := object.get(input.metadata, "namespace", "")
	not object.get(data.kserve.lib.inventory.namespace, [ns, "v1", "ServiceAccount", name], false)
	msg := sprintf("%s: ServiceAccount %s/%s is not in the rendered output of this environment", [lib.describe(input), ns, name])
}

deny contains lib.finding("s3-service-account", msg, array.concat(p, ["serviceAccountName"])) if {
	some [p, comp] in s3_components
	name := comp.serviceAccountName
	ns := object.get(input.metadata, "namespace", "")
	# (object.get: regorus resolves a path with two variable indexes ten times slower)
	account := object.get(data.kserve.lib.inventory.namespace, [ns, "v1", "ServiceAccount", name], false)
	is_object(account)
	object.get(account, ["metadata", "annotations", role_annotation], "") == ""
	msg := sprintf("%s: ServiceAccount %s/%s has no %s annotation", [lib.describe(input), ns, name, role_annotation])
}
