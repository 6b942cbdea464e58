# Alerting: every InferenceService is covered by an alerting rule of a rendered PrometheusRule, one whose
# expression selects the model's namespace (namespace=~"..." or namespace="...", also namespace_name for
# Knative metrics) or names the InferenceService.
package kserve.alerts

import rego.v1

import data.kserve.lib

alert_expressions contains expr if {
	some ns, by_api in data.kserve.lib.inventory.namespace
	some rule_object in object.get(by_api, ["monitoring.coreos.com/v1", "PrometheusRule"], {})
	some group in object.get(rule_object.spec, "groups", [])
	some rule in object.get(group, "rules", [])
	rule.alert
	expr := sprintf("%v", [rule.expr])
}

selects(expr, label, value) if {
	pattern := sprintf(`%s=~"([^"]*)"`, [label])
	some match in regex.find_all_string_submatch_n(pattern, expr, -1)
	regex.match(sprintf("^(?:%s)$", [match[1]]), value)
}

selects(expr, label, value) if {
	pattern := sprintf(`%s="([^"]*)"`, [label])
	some match in regex.find_all_string_submatch_n(pattern, expr, -1)
	match[1] == value
}

covered(ns, name) if {
	some expr in alert_expressions
	some label in ["namespace", "namespace_name", "exported_namespace"]
	selects(expr, label, ns)
}

covered(ns, name) if {
	some expr in alert_expressions
	some label in ["inferenceservice", "isvc", "service_name", "configuration_name"]
	selects(expr, label, name)
}

# METADATA
# title: InferenceServices are covered by alerts
# description: Some alerting rule of a rendered PrometheusRule selects the InferenceService's namespace or name.
# custom:
#   id: alert-coverage
#   severity: error
deny contains lib.finding("alert-coverage", msg, ["metadata", "name"]) if {
	lib.is_isvc(input)
	ns := object.get(input.metadata, "namespace", "")
	not covered(ns, input.metadata.name)
	msg := sprintf("%s: no alerting rule of a rendered PrometheusRule covers this InferenceService or its namespace", [lib.describe(input)])
}
