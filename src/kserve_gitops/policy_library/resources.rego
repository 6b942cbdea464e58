# Requests and limits: every InferenceService and LLMInferenceService container sets cpu and memory requests
# and limits, within the environment's maxima (data.params.limits.maxResources).
# METADATA
# scope: package
# custom:
#   kinds: [InferenceService, LLMInferenceService]
package kserve.resources

import rego.v1

import data.kserve.lib

required := [["requests", "cpu"], ["requests", "memory"], ["limits", "cpu"], ["limits", "memory"]]

# METADATA
# title: Resources set
# description: Every InferenceService and LLMInferenceService container sets cpu and memory requests and limits.
# custom:
#   id: resources-required
#   severity: error
deny contains lib.finding("resources-required", msg, array.concat(c.path, ["resources"])) if {
	sized(input)
	some c in data.kserve.lib.input_containers
	some [kind, resource] in required
	# (object.get, not resources[kind][resource]: regorus resolves two variable indexes ten times slower)
	not object.get(c.container, ["resources", kind, resource], false)
	msg := sprintf("%s: %s sets no %s.%s", [lib.describe(input), concat(".", [sprintf("%v", [p]) | some p in c.path]), kind, resource])
}

sized(obj) if lib.is_isvc(obj)

sized(obj) if lib.is_llm(obj)

# The environment's maxima as numbers, parsed once per evaluation.
maximum[resource] := lib.quantity(value) if {
	some resource, value in object.get(data.kserve.lib.params, ["limits", "maxResources"], {})
}

# METADATA
# title: Resources within the environment's maxima
# description: No container requests or limits more cpu, memory or GPUs than limits.maxResources allows.
# custom:
#   id: resources-max
#   severity: error
deny contains lib.finding("resources-max", msg, array.concat(c.path, ["resources", kind, resource])) if {
	some c in data.kserve.lib.input_containers
	some kind in ["requests", "limits"]
	some resource, value in object.get(c.container, ["resources", kind], {})
	limit := maximum[resource]
	lib.quantity(value) > limit
	maximum_text := data.kserve.lib.params.limits.maxResources[resource]
	msg := sprintf("%s: %s %s %v is above the environment's maximum %v", [lib.describe(input), kind, resource, value, maximum_text])
}
