package kserve.images_test

import rego.v1

import data.kserve.fixtures
import data.kserve.images

with_image(image) := json.patch(fixtures.with_transformer, [{"op": "replace", "path": "/spec/transformer/containers/0/image", "value": image}])

test_images_pass if {
	found := images.deny with input as fixtures.with_transformer with data.params as fixtures.params
	count(found) == 0
}

test_image_latest_fail if {
	found := images.deny with input as with_image("ghcr.io/acme/transformer:latest") with data.params as fixtures.params
	fixtures.ids(found) == {"image-tag"}
}

test_image_untagged_fail if {
	found := images.deny with input as with_image("ghcr.io/acme/transformer") with data.params as fixtures.params
	fixtures.ids(found) == {"image-tag"}
}

test_image_registry_fail if {
	found := images.deny with input as with_image("quay.io/other/transformer:1.0") with data.params as fixtures.params
	fixtures.ids(found) == {"image-registry"}
}

test_image_docker_hub_short_name_fail if {
	# "nginx:1.27" is docker.io/library/nginx, not under docker.io/kserve
	found := images.deny with input as with_image("nginx:1.27") with data.params as fixtures.params
	fixtures.ids(found) == {"image-registry"}
}

test_image_docker_hub_implied_pass if {
	found := images.deny with input as with_image("kserve/sklearnserver:v0.14.1") with data.params as fixtures.params
	count(found) == 0
}

test_image_registry_with_port_pass if {
	params := object.union(fixtures.params, {"images": {"allowedRegistries": ["registry.local:5000/ml"]}})
	found := images.deny with input as with_image("registry.local:5000/ml/t:2") with data.params as params
	count(found) == 0
}

test_image_digest_required_fail if {
	found := images.deny with input as fixtures.with_transformer with data.params as fixtures.prod_params
	fixtures.ids(found) == {"image-digest"}
}

test_image_digest_required_pass if {
	pinned := with_image("ghcr.io/acme/transformer@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	found := images.deny with input as pinned with data.params as fixtures.prod_params
	count(found) == 0
}

test_image_deployment_fail if {
	deployment := {
		"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "models"},
		"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "ghcr.io/acme/x:latest"}]}}},
	}
	found := images.deny with input as deployment with data.params as fixtures.params
	fixtures.ids(found) == {"image-tag"}
}
