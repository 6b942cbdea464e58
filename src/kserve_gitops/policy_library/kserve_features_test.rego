package kserve.kserve_features_test

import rego.v1

import data.kserve.fixtures
import data.kserve.kserve_features

with_predictor(extra) := object.union(fixtures.isvc, {"spec": {"predictor": extra}})

findings_for(obj) := found if {
	found := kserve_features.deny with input as obj with data.params as fixtures.params
}

findings_in(obj, params) := found if {
	found := kserve_features.deny with input as obj with data.params as params
}

# ---- logger

test_logger_bare_service_pass if {
	count(findings_for(with_predictor({"logger": {"mode": "all", "url": "http://message-dumper"}}))) == 0
}

test_logger_svc_suffixes_pass if {
	count(findings_for(with_predictor({"logger": {"mode": "all", "url": "http://dumper.logging.svc:8080/events"}}))) == 0
	count(findings_for(with_predictor({"logger": {"mode": "request", "url": "http://dumper.logging.svc.cluster.local"}}))) == 0
}

test_logger_external_sink_fail if {
	found := findings_for(with_predictor({"logger": {"mode": "all", "url": "https://collector.example.com/ingest"}}))
	fixtures.ids(found) == {"logger-sink-in-cluster"}
	some f in found
	f.field == ["spec", "predictor", "logger", "url"]
}

test_logger_namespace_only_host_fail if {
	# <svc>.<ns> without .svc is also a public-looking name to a resolver outside the namespace search path
	found := findings_for(with_predictor({"logger": {"mode": "all", "url": "http://dumper.logging"}}))
	fixtures.ids(found) == {"logger-sink-in-cluster"}
}

test_logger_without_url_fail if {
	found := findings_for(with_predictor({"logger": {"mode": "all"}}))
	fixtures.ids(found) == {"logger-sink-in-cluster"}
}

test_logger_on_transformer_fail if {
	obj := object.union(fixtures.with_transformer, {"spec": {"transformer": {"logger": {"url": "http://1.2.3.4.nip.io"}}}})
	found := findings_for(obj)
	fixtures.ids(found) == {"logger-sink-in-cluster"}
}

# ---- batcher

test_batcher_default_bounds_pass if {
	count(findings_for(with_predictor({"batcher": {"maxBatchSize": 32, "maxLatency": 500}}))) == 0
	count(findings_for(with_predictor({"batcher": {}}))) == 0
}

test_batcher_zero_size_fail if {
	found := findings_for(with_predictor({"batcher": {"maxBatchSize": 0, "maxLatency": 100}}))
	fixtures.ids(found) == {"batcher-bounds"}
}

test_batcher_latency_above_alert_fail if {
	params := object.union(fixtures.params, {"alerts": {"latencyP95Seconds": 1}})
	found := findings_in(with_predictor({"batcher": {"maxBatchSize": 8, "maxLatency": 1500}}), params)
	fixtures.ids(found) == {"batcher-bounds"}
	ok := findings_in(with_predictor({"batcher": {"maxBatchSize": 8, "maxLatency": 900}}), params)
	count(ok) == 0
}

test_batcher_latency_above_timeout_fail if {
	found := findings_for(with_predictor({"batcher": {"maxBatchSize": 8, "maxLatency": 3000, "timeout": 2}}))
	fixtures.ids(found) == {"batcher-bounds"}
}

test_batcher_latency_zero_fail if {
	found := findings_for(with_predictor({"batcher": {"maxLatency": 0}}))
	fixtures.ids(found) == {"batcher-bounds"}
}
