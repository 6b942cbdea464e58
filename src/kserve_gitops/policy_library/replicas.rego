# Replicas: production keeps at least two replicas of every component (no scale-to-zero), and no component
# scales beyond the environment's limits.maxReplicas.
# METADATA
# scope: package
# custom:
#   kinds: [InferenceService]
package kserve.replicas

import rego.v1

import data.kserve.lib

min_production_replicas := 2

# METADATA
# title: Production keeps at least 2 replicas
# description: In the production environment (params.production, or the environment named prod) every component sets minReplicas of 2 or more; 0 would scale to zero.
# custom:
#   id: prod-min-replicas
#   severity: error
deny contains lib.finding("prod-min-replicas", msg, array.concat(p, ["minReplicas"])) if {
	data.kserve.lib.production
	some [p, comp] in data.kserve.lib.input_components
	replicas := object.get(comp, "minReplicas", 1)
	replicas < min_production_replicas
	msg := sprintf("%s: %s minReplicas is %v; production keeps at least %d (no scale-to-zero)", [lib.describe(input), p[count(p) - 1], replicas, min_production_replicas])
}

# METADATA
# title: Replicas within the environment's maximum
# description: maxReplicas is at most limits.maxReplicas, and minReplicas is not above maxReplicas.
# custom:
#   id: replicas-max
#   severity: error
deny contains lib.finding("replicas-max", msg, array.concat(p, ["maxReplicas"])) if {
	maximum := data.kserve.lib.params.limits.maxReplicas
	some [p, comp] in data.kserve.lib.input_components
	comp.maxReplicas > maximum
	msg := sprintf("%s: %s maxReplicas %v is above the environment's maximum %v", [lib.describe(input), p[count(p) - 1], comp.maxReplicas, maximum])
}

deny contains lib.finding("replicas-max", msg, array.concat(p, ["minReplicas"])) if {
	some [p, comp] in data.kserve.lib.input_components
	comp.maxReplicas > 0
	comp.minReplicas > comp.maxReplicas
	msg := sprintf("%s: %s minReplicas %v is above maxReplicas %v", [lib.describe(input), p[count(p) - 1], comp.minReplicas, comp.maxReplicas])
}
