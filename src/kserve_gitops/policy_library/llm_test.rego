# The workload policies on KServe's LLMInferenceService (v1alpha2): GPU scheduling and budget, resources,
# registries.
package kserve.llm_test

import rego.v1

import data.kserve.fixtures
import data.kserve.gpu
import data.kserve.images
import data.kserve.resources

main_resources(gpus) := {
	"requests": {"cpu": "2", "memory": "6Gi", "nvidia.com/gpu": gpus},
	"limits": {"cpu": "4", "memory": "8Gi", "nvidia.com/gpu": gpus},
}

llm(name, replicas, gpus) := {
	"apiVersion": "serving.kserve.io/v1alpha2",
	"kind": "LLMInferenceService",
	"metadata": {"name": name, "namespace": "models"},
	"spec": {
		"model": {"uri": "hf://Qwen/Qwen2.5-0.5B-Instruct"},
		"replicas": replicas,
		"template": {
			"containers": [{"name": "main", "resources": main_resources(gpus)}],
			"nodeSelector": {"nvidia.com/gpu.present": "true"},
			"tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
		},
	},
}

test_llm_within_budget_pass if {
	one := llm("chat", 2, "1")
	found := gpu.deny with input as one with data.params as fixtures.params with data.inventory as fixtures.inventory([one])
	count(found) == 0
	gpu.llm_gpus(one) == 2
}

test_llm_replicas_times_gpus_over_budget_fail if {
	big := llm("chat", 3, "1") # 3 replicas x 1 GPU > budget 2
	found := gpu.deny with input as big with data.params as fixtures.params with data.inventory as fixtures.inventory([big])
	fixtures.ids(found) == {"gpu-budget"}
}

test_llm_and_isvc_share_the_budget_fail if {
	chat := llm("chat", 2, "1")
	isvc := object.union(fixtures.isvc, {"spec": {"predictor": {
		"maxReplicas": 1,
		"model": {"resources": {"limits": {"nvidia.com/gpu": 1}}},
		"nodeSelector": {"gpu": "true"},
		"tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}],
	}}})
	found := gpu.deny with input as isvc with data.params as fixtures.params with data.inventory as fixtures.inventory([chat, isvc])
	fixtures.ids(found) == {"gpu-budget"}
}

test_llm_scaling_counts_max_replicas_fail if {
	scaled := json.patch(llm("chat", 1, "1"), [
		{"op": "remove", "path": "/spec/replicas"},
		{"op": "add", "path": "/spec/scaling", "value": {"minReplicas": 1, "maxReplicas": 4}},
	])
	gpu.llm_gpus(scaled) == 4
	found := gpu.deny with input as scaled with data.params as fixtures.params with data.inventory as fixtures.inventory([scaled])
	fixtures.ids(found) == {"gpu-budget"}
}

test_llm_gpu_without_node_selector_fail if {
	bad := json.remove(llm("chat", 1, "1"), ["spec/template/nodeSelector"])
	found := gpu.deny with input as bad with data.params as fixtures.params with data.inventory as fixtures.inventory([bad])
	fixtures.ids(found) == {"gpu-scheduling"}
	some f in found
	f.field == ["spec", "template"]
}

test_llm_resources_pass if {
	found := resources.deny with input as llm("chat", 1, "1") with data.params as fixtures.params
	count(found) == 0
}

test_llm_resources_required_fail if {
	bad := json.remove(llm("chat", 1, "1"), ["spec/template/containers/0/resources/limits"])
	found := resources.deny with input as bad with data.params as fixtures.params
	fixtures.ids(found) == {"resources-required"}
	some f in found
	f.field == ["spec", "template", "containers", 0, "resources"]
}

test_llm_resources_max_fail if {
	bad := json.patch(llm("chat", 1, "1"), [{"op": "replace", "path": "/spec/template/containers/0/resources/limits/memory", "value": "64Gi"}])
	found := resources.deny with input as bad with data.params as fixtures.params
	fixtures.ids(found) == {"resources-max"}
}

test_llm_image_from_an_unlisted_registry_fail if {
	bad := json.patch(llm("chat", 1, "1"), [{"op": "add", "path": "/spec/template/containers/0/image", "value": "quay.io/someone/vllm:0.9.0"}])
	found := images.deny with input as bad with data.params as fixtures.params
	some f in found
	f.field == ["spec", "template", "containers", 0, "image"]
}

test_llm_without_image_uses_the_preset_pass if {
	found := images.deny with input as llm("chat", 1, "1") with data.params as fixtures.params
	count(found) == 0
}
