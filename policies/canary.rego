# Canaries: traffic percentages between 0 and 100, and only in a deployment mode that can split traffic
# (KServe supports canary rollout in Serverless mode only).
# METADATA
# scope: package
# custom:
#   kinds: [InferenceService]
package kserve.canary

import rego.v1

import data.kserve.lib

percentages contains [path, value] if {
	some [p, comp] in data.kserve.lib.input_components
	value := comp.canaryTrafficPercent
	path := array.concat(p, ["canaryTrafficPercent"])
}

percentages contains [["spec", "canary", i, "trafficPercent"], value] if {
	lib.is_isvc(input)
	some i, entry in object.get(input.spec, "canary", [])
	value := entry.trafficPercent
}

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
# title: Canary only where the deployment mode supports it
# description: A canary (canaryTrafficPercent or spec.canary) needs Serverless mode; RawDeployment/Standard mode ignores the split.
# custom:
#   id: canary-mode
#   severity: error
deny contains lib.finding("canary-mode", msg, path) if {
	lib.is_isvc(input)
	mode := lib.deployment_mode(input)
	mode != "Serverless"
	some [path, _] in percentages
	msg := sprintf("%s: canary traffic is set but the deployment mode is %s; KServe splits canary traffic in Serverless mode only", [lib.describe(input), mode])
}
