# Container images: a fixed tag or digest (never :latest or untagged), from the environment's allowed
# registries, and pinned by digest where the environment requires it (images.requireDigests).
# METADATA
# scope: package
# custom:
#   kinds: [InferenceService, LLMInferenceService, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, ServingRuntime, ClusterServingRuntime]
package kserve.images

import rego.v1

import data.kserve.lib

# [path, image, its parts] of every image of the input, each parsed once for all the rules below.
images contains [path, image, parts] if {
	some c in data.kserve.lib.input_containers
	image := c.container.image
	is_string(image)
	path := array.concat(c.path, ["image"])
	parts := lib.image_parts(image)
}

# METADATA
# title: No latest or untagged images
# description: Every image names a tag other than latest, or a digest.
# custom:
#   id: image-tag
#   severity: error
deny contains lib.finding("image-tag", msg, path) if {
	some [path, image, parts] in images
	parts.digest == ""
	parts.tag in {"", "latest"}
	msg := sprintf("%s: image %q has no fixed tag (untagged or :latest)", [lib.describe(input), image])
}

allowed_registries := object.get(data.kserve.lib.params, ["images", "allowedRegistries"], [])

# METADATA
# title: Images from allowed registries
# description: With images.allowedRegistries set, every image comes from one of them (docker.io/library is implied for short names).
# custom:
#   id: image-registry
#   severity: error
deny contains lib.finding("image-registry", msg, path) if {
	count(allowed_registries) > 0
	some [path, image, parts] in images
	not from_allowed(parts.repository)
	msg := sprintf("%s: image %q is not from an allowed registry %v", [lib.describe(input), image, allowed_registries])
}

from_allowed(repository) if {
	some registry in allowed_registries
	startswith(repository, concat("", [trim_suffix(registry, "/"), "/"]))
}

# METADATA
# title: Image digests where required
# description: With images.requireDigests, every image is pinned by @sha256 digest.
# custom:
#   id: image-digest
#   severity: error
deny contains lib.finding("image-digest", msg, path) if {
	object.get(data.kserve.lib.params, ["images", "requireDigests"], false) == true
	some [path, image, parts] in images
	not startswith(parts.digest, "sha256:")
	msg := sprintf("%s: image %q is not pinned by digest (this environment requires @sha256:...)", [lib.describe(input), image])
}
