# Canaries: traffic percentages between 0 and 100, and only in the form the deployment mode splits traffic with:
# canaryTrafficPercent between Knative revisions in Knative (Serverless) mode; the list-form spec.canary in
# Standard mode on KServe v0.20.0+ (whose webhook refuses the list in any other mode).
# METADATA
# scope: package
# custom:
#   kinds: [InferenceService]
package kserve.canary

import rego.v1

import data.kserve.lib

revision_percentages contains [path, value] if {
	some [p, comp] in data.kserve.lib.input_components
	value := comp.canaryTrafficPercent
	path := array.concat(p, ["canaryTrafficPercent"])
}

list_percentages contains [["spec", "canary", i, "trafficPercent"], value] if {
	lib.is_isvc(input)
	some i, entry in object.get(input.spec, "canary", [])
	value := entry.trafficPercent
}

percentages := revision_percentages | list_percentages

# METADATA
# title: Canary traffic between 0 and 100
# description: canaryTrafficPercent and spec.canary[].trafficPercent are numbers from 0 to 100, and the canaries together take at most 100.
# custom:
#   id: canary-traffic-range
#   severity: error
deny contains lib.finding("canary-traffic-range", msg, path) if {
	some [path, value] in percentages
	not in_range(value)
	msg := sprintf("%s: canary traffic %v is not between 0 and 100", [lib.describe(input), value])
}

deny contains lib.finding("canary-traffic-range", msg, ["spec", "canary"]) if {
	lib.is_isvc(input)
	total := sum([v | some entry in object.get(input.spec, "canary", []); v := entry.trafficPercent; is_number(v)])
	total > 100
	msg := sprintf("%s: canaries take %v%% of the traffic together, more than 100", [lib.describe(input), total])
}

in_range(value) if {
	is_number(value)
	value >= 0
	value <= 100
}

# METADATA
# title: Canary only in the form the deployment mode supports
# description: canaryTrafficPercent needs Knative (Serverless) mode; the list-form spec.canary needs Standard mode on KServe v0.20.0+.
# custom:
#   id: canary-mode
#   severity: error
deny contains lib.finding("canary-mode", msg, path) if {
	lib.is_isvc(input)
	mode := lib.deployment_mode(input)
	mode != "Knative"
	some [path, _] in revision_percentages
	msg := sprintf("%s: canaryTrafficPercent is set but the deployment mode is %s; KServe splits traffic between revisions in Knative (Serverless) mode only", [lib.describe(input), mode])
}

deny contains lib.finding("canary-mode", msg, ["spec", "canary"]) if {
	lib.is_isvc(input)
	count(list_percentages) > 0
	mode := lib.deployment_mode(input)
	mode != "Standard"
	msg := sprintf("%s: spec.canary is set but the deployment mode is %s; KServe accepts the list-form canary in Standard mode only", [lib.describe(input), mode])
}

deny contains lib.finding("canary-mode", msg, ["spec", "canary"]) if {
	lib.is_isvc(input)
	count(list_percentages) > 0
	lib.deployment_mode(input) == "Standard"
	not lib.env_has_list_canary
	msg := sprintf("%s: spec.canary is set but KServe %s has no list-form canary (from v0.20.0) and cannot split traffic in Standard mode", [lib.describe(input), lib.params.kserve.version])
}
