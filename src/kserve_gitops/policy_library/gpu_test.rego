package kserve.gpu_test

import rego.v1

import data.kserve.fixtures
import data.kserve.gpu

gpu_isvc(name, gpus, scheduled) := object.union(
	object.union(fixtures.isvc, {"metadata": {"name": name}, "spec": {"predictor": {"model": {"resources": {"limits": {"nvidia.com/gpu": gpus}}}}}}),
	placement(scheduled),
)

placement(true) := {"spec": {"predictor": {
	"nodeSelector": {"node.kubernetes.io/instance-type": "g5.xlarge"},
	"tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
}}}

placement(false) := {}

inventory(objects) := fixtures.inventory(objects)

test_gpu_scheduled_within_budget_pass if {
	one := gpu_isvc("a", 1, true)
	# 1 GPU x maxReplicas 3 = 3 > budget 2, so give this test a budget of 3
	params := object.union(fixtures.params, {"limits": {"gpuBudget": 3}})
	found := gpu.deny with input as one with data.params as params with data.inventory as inventory([one])
	count(found) == 0
}

test_gpu_without_node_selector_fail if {
	bad := gpu_isvc("a", 1, false)
	params := object.union(fixtures.params, {"limits": {"gpuBudget": 3}})
	found := gpu.deny with input as bad with data.params as params with data.inventory as inventory([bad])
	fixtures.ids(found) == {"gpu-scheduling"}
	count(found) == 2
}

test_gpu_over_budget_fail if {
	a := gpu_isvc("a", 1, true)
	b := gpu_isvc("b", 1, true)
	params := object.union(fixtures.params, {"limits": {"gpuBudget": 4}})
	found := gpu.deny with input as a with data.params as params with data.inventory as inventory([a, b])
	fixtures.ids(found) == {"gpu-budget"}
}

test_cpu_model_ignores_budget_pass if {
	a := gpu_isvc("a", 1, true)
	params := object.union(fixtures.params, {"limits": {"gpuBudget": 0}})
	found := gpu.deny with input as fixtures.isvc with data.params as params with data.inventory as inventory([a, fixtures.isvc])
	count(found) == 0
}
