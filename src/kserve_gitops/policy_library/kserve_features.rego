# KServe features that are easy to get wrong: the request/response logger must post to a sink inside the
# cluster, and the batcher must wait less than the environment tolerates. (Whether a KServe version has the
# local model cache is read from its CRDs by validate's check KSV011, not guessed here from a version number.)
# METADATA
# scope: package
# custom:
#   kinds: [InferenceService]
package kserve.kserve_features

import rego.v1

import data.kserve.lib

# ---- logger ---------------------------------------------------------------------------------------------------

loggers contains [path, logger] if {
	some [p, comp] in data.kserve.lib.input_components
	logger := comp.logger
	path := array.concat(p, ["logger"])
}

# The host of a URL: no scheme, user info, path or port.
url_host(url) := host if {
	no_scheme := regex.replace(url, `^[A-Za-z][A-Za-z0-9+.-]*://`, "")
	# (call results go through variables before indexing: regorus indexes a call result ten times slower)
	by_slash := split(no_scheme, "/")
	by_query := split(by_slash[0], "?")
	by_fragment := split(by_query[0], "#")
	parts := split(by_fragment[0], "@")
	host_port := parts[count(parts) - 1]
	by_colon := split(host_port, ":")
	host := lower(trim_suffix(by_colon[0], "."))
}

# A bare Service name resolves in the model's namespace; <svc>.<ns>.svc and *.svc.cluster.local anywhere in it.
in_cluster_host(host) if {
	host != ""
	not contains(host, ".")
}

in_cluster_host(host) if endswith(host, ".svc")

in_cluster_host(host) if endswith(host, ".svc.cluster.local")

# METADATA
# title: Logger sink inside the cluster
# description: A component's logger.url is a bare Service name, <svc>.<namespace>.svc or *.svc.cluster.local, so request and response payloads never leave the cluster.
# custom:
#   id: logger-sink-in-cluster
#   severity: error
deny contains lib.finding("logger-sink-in-cluster", msg, array.concat(path, ["url"])) if {
	some [path, logger] in loggers
	is_string(logger.url)
	host := url_host(logger.url)
	not in_cluster_host(host)
	msg := sprintf("%s: the logger sends every payload to %q, outside the cluster; use an in-cluster Service (name, <svc>.<ns>.svc or .svc.cluster.local)", [lib.describe(input), host])
}

deny contains lib.finding("logger-sink-in-cluster", msg, path) if {
	some [path, logger] in loggers
	not is_string(object.get(logger, "url", null))
	msg := sprintf("%s: the logger has no url; KServe would post payloads to its default broker", [lib.describe(input)])
}

# ---- batcher --------------------------------------------------------------------------------------------------

max_batch_size := 1024

# The longest a batch may wait (ms): under the environment's p95 latency alert and the request timeout,
# and never more than 10 s.
latency_ceiling_ms(batcher) := min([ms |
	some ms in array.concat([10000], array.concat(alert_bound, timeout_bound(batcher)))
])

alert_bound := [s * 1000] if {
	s := lib.params.alerts.latencyP95Seconds
	is_number(s)
} else := []

timeout_bound(batcher) := [batcher.timeout * 1000] if is_number(batcher.timeout) else := []

batchers contains [path, batcher] if {
	some [p, comp] in data.kserve.lib.input_components
	batcher := comp.batcher
	path := array.concat(p, ["batcher"])
}

# METADATA
# title: Batcher within bounds
# description: batcher.maxBatchSize is 1-1024 and batcher.maxLatency (ms) is at least 1 and below the environment's alerts.latencyP95Seconds, the batcher timeout and 10 s.
# custom:
#   id: batcher-bounds
#   severity: error
deny contains lib.finding("batcher-bounds", msg, array.concat(path, ["maxBatchSize"])) if {
	some [path, batcher] in batchers
	size := object.get(batcher, "maxBatchSize", 32)
	not between(size, 1, max_batch_size)
	msg := sprintf("%s: batcher.maxBatchSize %v is not between 1 and %v", [lib.describe(input), size, max_batch_size])
}

deny contains lib.finding("batcher-bounds", msg, array.concat(path, ["maxLatency"])) if {
	some [path, batcher] in batchers
	latency := object.get(batcher, "maxLatency", 500)
	ceiling := latency_ceiling_ms(batcher)
	not below(latency, ceiling)
	msg := sprintf("%s: batcher.maxLatency %v ms must be at least 1 and below %v ms (the environment's p95 latency alert, the batcher timeout, 10 s)", [lib.describe(input), latency, ceiling])
}

between(x, lo, hi) if {
	is_number(x)
	x >= lo
	x <= hi
}

below(x, ceiling) if {
	is_number(x)
	x >= 1
	x < ceiling
}
