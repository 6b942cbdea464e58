package kserve.labels_test

import rego.v1

import data.kserve.fixtures
import data.kserve.labels

test_labels_pass if {
	found := labels.deny with input as fixtures.isvc
	count(found) == 0
}

test_labels_missing_owner_fail if {
	found := labels.deny with input as json.remove(fixtures.isvc, ["metadata/labels/owner"])
	fixtures.ids(found) == {"owner-labels"}
	count(found) == 1
}

test_labels_none_fail if {
	found := labels.deny with input as json.remove(fixtures.isvc, ["metadata/labels"])
	count(found) == 2
}
