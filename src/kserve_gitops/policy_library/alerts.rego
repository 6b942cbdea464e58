# Alerting: every InferenceService is covered by an alerting rule of a rendered PrometheusRule, one whose
# expression selects the model's namespace (namespace=~"..." or namespace="...", also namespace_name for
# Knative metrics) or names the InferenceService.
# METADATA
# scope: package
# custom:
#   kinds: [InferenceService]
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

namespace_labels := {"namespace", "namespace_name", "exported_namespace"}

name_labels := {"inferenceservice", "isvc", "service_name", "configuration_name"}

# Every label matcher of every alert expression, [label, operator, value]: one regex pass per expression.
selectors contains [m[1], m[2], m[3]] if {
	some expr in alert_expressions
	some m in regex.find_all_string_submatch_n(`([a-z_]+)(=~|=)"([^"]*)"`, expr, -1)
}

matches("=", pattern, value) if pattern == value

matches("=~", pattern, value) if value in split(pattern, "|")

matches("=~", pattern, value) if {
	not value in split(pattern, "|")
	regex.match(concat("", ["^(?:", pattern, ")$"]), value)
}

covered(ns, _) if {
	some [label, op, pattern] in selectors
	label in namespace_labels
	matches(op, pattern, ns)
}

covered(_, name) if {
	some [label, op, pattern] in selectors
	label in name_labels
	matches(op, pattern, name)
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
