package kserve.alerts_test

import rego.v1

import data.kserve.alerts
import data.kserve.fixtures

test_alerts_namespace_regex_pass if {
	found := alerts.deny with input as fixtures.isvc with data.inventory as fixtures.inventory([fixtures.alert_rule])
	count(found) == 0
}

test_alerts_by_name_pass if {
	by_name := json.patch(fixtures.alert_rule, [{
		"op": "replace", "path": "/spec/groups/0/rules/0/expr",
		"value": "up{inferenceservice=\"iris\"} == 0",
	}])
	found := alerts.deny with input as fixtures.isvc with data.inventory as fixtures.inventory([by_name])
	count(found) == 0
}

test_alerts_no_rules_fail if {
	found := alerts.deny with input as fixtures.isvc with data.inventory as fixtures.inventory([])
	fixtures.ids(found) == {"alert-coverage"}
}

test_alerts_other_namespace_fail if {
	other := json.patch(fixtures.alert_rule, [{
		"op": "replace", "path": "/spec/groups/0/rules/0/expr",
		"value": "up{namespace=~\"models-.+\"} == 0",
	}])
	found := alerts.deny with input as fixtures.isvc with data.inventory as fixtures.inventory([other])
	fixtures.ids(found) == {"alert-coverage"}
}

test_alerts_recording_rule_does_not_count_fail if {
	recording := json.patch(fixtures.alert_rule, [{
		"op": "replace", "path": "/spec/groups/0/rules/0",
		"value": {"record": "x", "expr": "up{namespace=\"models\"}"},
	}])
	found := alerts.deny with input as fixtures.isvc with data.inventory as fixtures.inventory([recording])
	fixtures.ids(found) == {"alert-coverage"}
}
