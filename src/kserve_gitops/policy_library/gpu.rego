# GPUs: a component that asks for GPUs says where it may run (nodeSelector or node affinity, and a toleration
# for the GPU taint), and the environment's InferenceServices and LLMInferenceServices together stay within
# limits.gpuBudget.
# METADATA
# scope: package
# custom:
#   kinds: [InferenceService, LLMInferenceService, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, ServingRuntime, ClusterServingRuntime]
package kserve.gpu

import rego.v1

import data.kserve.lib

gpu_resource := "nvidia.com/gpu"

container_gpus(container) := max([n |
	some kind in ["limits", "requests"]
	value := object.get(container, ["resources", kind, gpu_resource], 0)
	n := lib.quantity(value)
])

component_gpus(obj, p) := sum([n |
	some c in lib.containers(obj)
	c.pod_path == p
	n := container_gpus(c.container)
])

# What an InferenceService can use at its maximum scale: GPUs per replica times maxReplicas.
isvc_gpus(obj) := sum([n |
	some [p, comp] in lib.components(obj)
	replicas := max([object.get(comp, "maxReplicas", 0), object.get(comp, "minReplicas", 1), 1])
	n := component_gpus(obj, p) * replicas
])

# Pod specs of the input that ask for GPUs: [path, pod spec].
gpu_pods contains [p, spec] if {
	some c in data.kserve.lib.input_containers
	container_gpus(c.container) > 0
	some [p, spec] in data.kserve.lib.input_pod_specs
	p == c.pod_path
}

# METADATA
# title: GPU models are scheduled on GPU nodes
# description: A component that requests GPUs sets a nodeSelector (or node affinity) and tolerates the nvidia.com/gpu taint.
# custom:
#   id: gpu-scheduling
#   severity: error
deny contains lib.finding("gpu-scheduling", msg, p) if {
	some [p, comp] in gpu_pods
	not selects_nodes(comp)
	msg := sprintf("%s: %s requests GPUs but sets no nodeSelector or node affinity", [lib.describe(input), p[count(p) - 1]])
}

deny contains lib.finding("gpu-scheduling", msg, p) if {
	some [p, comp] in gpu_pods
	not tolerates_gpu(comp)
	msg := sprintf("%s: %s requests GPUs but does not tolerate the %s taint", [lib.describe(input), p[count(p) - 1], gpu_resource])
}

selects_nodes(comp) if count(object.get(comp, "nodeSelector", {})) > 0

selects_nodes(comp) if comp.affinity.nodeAffinity

tolerates_gpu(comp) if {
	some t in object.get(comp, "tolerations", [])
	t.key == gpu_resource
}

tolerates_gpu(comp) if {
	some t in object.get(comp, "tolerations", [])
	not t.key
	t.operator == "Exists"
}

# What an LLMInferenceService can use at its largest: GPUs of each pod spec (template, worker, prefill's)
# times the replicas of its part (replicas, or scaling.maxReplicas). A multi-node worker is counted once
# per replica.
llm_gpus(obj) := sum([n |
	some [p, _] in lib.llm_pod_specs(obj)
	owner := object.get(obj, array.slice(p, 0, count(p) - 1), {})
	replicas := max([object.get(owner, "replicas", 1), object.get(owner, ["scaling", "maxReplicas"], 0), 1])
	n := component_gpus(obj, p) * replicas
])

llm_api_versions := ["serving.kserve.io/v1alpha1", "serving.kserve.io/v1alpha2"]

environment_gpus := sum([n |
	some ns, by_api in data.kserve.lib.inventory.namespace
	some name, obj in object.get(by_api, ["serving.kserve.io/v1beta1", "InferenceService"], {})
	n := isvc_gpus(obj)
]) + sum([n |
	some ns, by_api in data.kserve.lib.inventory.namespace
	some api in llm_api_versions
	some name, obj in object.get(by_api, [api, "LLMInferenceService"], {})
	n := llm_gpus(obj)
])

# METADATA
# title: GPUs within the environment's budget
# description: The GPUs of every InferenceService (at maxReplicas) and LLMInferenceService (at its replicas) of the environment add up to at most limits.gpuBudget.
# custom:
#   id: gpu-budget
#   severity: error
deny contains lib.finding("gpu-budget", msg, ["spec"]) if {
	lib.is_isvc(input)
	count(gpu_pods) > 0
	budget := data.kserve.lib.params.limits.gpuBudget
	environment_gpus > budget
	msg := sprintf("%s: uses up to %v GPUs; the environment's InferenceServices need %v together, above the budget of %v", [lib.describe(input), isvc_gpus(input), environment_gpus, budget])
}

deny contains lib.finding("gpu-budget", msg, ["spec"]) if {
	lib.is_llm(input)
	count(gpu_pods) > 0
	budget := data.kserve.lib.params.limits.gpuBudget
	environment_gpus > budget
	msg := sprintf("%s: uses up to %v GPUs; the environment's InferenceServices and LLMInferenceServices need %v together, above the budget of %v", [lib.describe(input), llm_gpus(input), environment_gpus, budget])
}
