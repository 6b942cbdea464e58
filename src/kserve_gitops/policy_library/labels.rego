# Ownership: every InferenceService carries owner and team labels, so alerts and waivers reach someone.
# METADATA
# scope: package
# custom:
#   kinds: [InferenceService]
package kserve.labels

import rego.v1

import data.kserve.lib

required_labels := ["owner", "team"]

# METADATA
# title: Owner and team labels
# description: Every InferenceService has non-empty owner and team labels.
# custom:
#   id: owner-labels
#   severity: error
deny contains lib.finding("owner-labels", msg, ["metadata", "labels"]) if {
	lib.is_isvc(input)
	some label in required_labels
	object.get(input.metadata, ["labels", label], "") == ""
	msg := sprintf("%s: has no %q label", [lib.describe(input), label])
}
