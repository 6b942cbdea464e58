# Helpers shared by the KServe policy library: where the containers of an object are, what an image
# reference is made of, and the environment's settings (data.params) and rendered objects
# (data.inventory, Gatekeeper's layout) with safe defaults so the library also runs under plain conftest.
package kserve.lib

import rego.v1

# (Never object.get(data, ...): reading all of data from a rule under data is recursion for OPA.)
default params := {}

params := data.params

default inventory := {"namespace": {}, "cluster": {}}

inventory := data.inventory

# A finding in the shape kserve-gitops reads: conftest's msg, plus a rule id and the field it is about.
finding(id, msg, field) := {"msg": msg, "id": id, "field": field}

describe(obj) := sprintf("%s %s/%s", [obj.kind, object.get(obj.metadata, "namespace", ""), obj.metadata.name])

is_isvc(obj) if obj.kind == "InferenceService"

is_llm(obj) if obj.kind == "LLMInferenceService"

# ---- environment ---------------------------------------------------------------------------------------------

# KServe v0.16 renamed the deployment modes (Serverless is Knative, RawDeployment is Standard); both names mean
# the same, and rules compare the current names.
mode_name(m) := "Knative" if m == "Serverless"

else := "Standard" if m == "RawDeployment"

else := m

env_mode := mode_name(object.get(params, ["kserve", "deploymentMode"], "Knative"))

env_serverless if env_mode == "Knative"

# A model's own annotation wins over the environment's default (as in KServe).
deployment_mode(obj) := mode_name(m) if {
	m := obj.metadata.annotations["serving.kserve.io/deploymentMode"]
} else := env_mode

# [major, minor] of the environment's KServe version; undefined for "main" (the newest).
env_kserve_release := [to_number(parts[0]), to_number(parts[1])] if {
	parts := split(trim_prefix(object.get(params, ["kserve", "version"], "main"), "v"), ".")
	count(parts) >= 2
	regex.match(`^[0-9]+$`, parts[0])
	regex.match(`^[0-9]+$`, parts[1])
}

# The list-form spec.canary exists from KServe v0.20.0.
env_has_list_canary if not env_kserve_release

env_has_list_canary if env_kserve_release[0] > 0

env_has_list_canary if {
	env_kserve_release[0] == 0
	env_kserve_release[1] >= 20
}

production if params.production == true

production if {
	not "production" in object.keys(params)
	params.name == "prod"
}

model_namespaces := {ns | some ns in object.get(params, "namespaces", [])}

# ---- InferenceService components and containers --------------------------------------------------------------

component_names := ["predictor", "transformer", "explainer"]

# KServe's model frameworks: "model" and the older per-framework fields are containers too.
framework_keys := [
	"model", "sklearn", "xgboost", "tensorflow", "pytorch", "triton", "onnx",
	"pmml", "lightgbm", "paddle", "huggingface",
]

# [path, component] for every component, including the v0.20 list form spec.canary[i].<component>.
# These helpers return arrays, not sets: each entry has its own path, so there are no duplicates, and regorus
# builds an array of objects several times faster than a set of them (a set orders its members deeply).
components(obj) := array.concat(
	[[["spec", name], comp] |
		is_isvc(obj)
		some name in component_names
		comp := obj.spec[name]
	],
	[[["spec", "canary", i, name], comp] |
		is_isvc(obj)
		some i, entry in object.get(obj.spec, "canary", [])
		some name in component_names
		comp := entry[name]
	],
)

workload_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}

# [path, pod spec] of every object that runs pods; InferenceService components are pod specs.
pod_specs(obj) := array.concat(components(obj), other_pod_specs(obj))

other_pod_specs(obj) := array.concat(
	array.concat(
		[[["spec", "template", "spec"], spec] |
			obj.kind in workload_kinds
			spec := obj.spec.template.spec
		],
		[[["spec", "jobTemplate", "spec", "template", "spec"], spec] |
			obj.kind == "CronJob"
			spec := obj.spec.jobTemplate.spec.template.spec
		],
	),
	array.concat(
		[[["spec"], obj.spec] | obj.kind in {"Pod", "ServingRuntime", "ClusterServingRuntime"}],
		llm_pod_specs(obj),
	),
)

# LLMInferenceService (v1alpha1 and v1alpha2): pod specs at spec.template and spec.worker, and for
# disaggregated prefill/decode at spec.prefill.template and spec.prefill.worker.
llm_pod_paths := [["template"], ["worker"], ["prefill", "template"], ["prefill", "worker"]]

llm_pod_specs(obj) := [[array.concat(["spec"], p), spec] |
	is_llm(obj)
	some p in llm_pod_paths
	spec := object.get(obj.spec, p, null)
	is_object(spec)
]

# {path, container, pod_path} for every container: framework fields (no image of their own:
# the serving runtime supplies it), containers and initContainers.
containers(obj) := containers_of(components(obj), pod_specs(obj))

containers_of(comps, pods) := array.concat(
	[c |
		some [p, comp] in comps
		some key, x in comp # the component's own fields: fewer than the framework names
		key in framework_key_set
		is_object(x)
		c := {"path": array.concat(p, [key]), "container": x, "pod_path": p}
	],
	[c |
		some [p, spec] in pods
		some field in ["containers", "initContainers"]
		some i, x in object.get(spec, field, [])
		c := {"path": array.concat(p, [field, i]), "container": x, "pod_path": p}
	],
)

framework_key_set := {k | some k in framework_keys}

# The same for the input, as rules: evaluated once per input however many rules use them.
input_components := components(input) if input.kind == "InferenceService"

else := []

input_pod_specs := array.concat(input_components, other_pod_specs(input)) if input.kind in pod_kinds

else := []

input_containers := containers_of(input_components, input_pod_specs)

pod_kinds := workload_kinds | {"InferenceService", "LLMInferenceService", "CronJob", "Pod", "ServingRuntime", "ClusterServingRuntime"}

# ---- images ----------------------------------------------------------------------------------------------------

# "repo:tag@digest" -> {"repository": "docker.io/library/nginx", "tag": "1.2", "digest": "sha256:..."}
image_parts(image) := {"repository": normalise_repository(repo), "tag": tag, "digest": digest} if {
	[name, digest] := split_digest(image)
	[repo, tag] := split_tag(name)
}

split_digest(image) := [name, digest] if {
	contains(image, "@")
	parts := split(image, "@")
	name := parts[0]
	digest := parts[1]
} else := [image, ""]

split_tag(name) := [repo, tag] if {
	segments := split(name, "/")
	last := segments[count(segments) - 1]
	contains(last, ":")
	tag_parts := split(last, ":")
	tag := tag_parts[1]
	repo := trim_suffix(name, concat("", [":", tag]))
} else := [name, ""]

normalise_repository(repo) := repo if {
	segments := split(repo, "/") # (through a variable: regorus indexes a call result ten times slower)
	count(segments) > 1
	has_registry(segments[0])
} else := concat("/", ["docker.io", repo]) if {
	count(split(repo, "/")) > 1
} else := concat("/", ["docker.io", "library", repo])

has_registry(first) if contains(first, ".")

has_registry(first) if contains(first, ":")

has_registry(first) if first == "localhost"

# ---- quantities ------------------------------------------------------------------------------------------------

# A Kubernetes quantity as a number; undefined (never a run-time error) for a malformed one: the schema check
# reports those. String checks instead of a regex: a regex is compiled on every call.
quantity(value) := value if is_number(value)

quantity(value) := units.parse(value) if {
	is_string(value)
	number := trim_right(value, "numkKMGTPEi")
	number != ""
	trim(number, "0123456789.") == ""
	count(split(number, ".")) <= 2
	not startswith(number, ".")
	substring(value, count(number), -1) in quantity_suffixes
}

quantity_suffixes := {"", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"}
