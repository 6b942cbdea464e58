# Containers run without privileges: no privileged containers or privilege escalation, no root user, no
# hostPath volumes. Containers that bring their own image must say they run as non-root; framework model
# containers get the serving runtime's securityContext.
# METADATA
# scope: package
# custom:
#   kinds: [InferenceService, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, ServingRuntime, ClusterServingRuntime]
package kserve.security

import rego.v1

import data.kserve.lib

# METADATA
# title: No privileged containers
# description: No container sets securityContext.privileged or allowPrivilegeEscalation to true.
# custom:
#   id: no-privileged
#   severity: error
deny contains lib.finding("no-privileged", msg, array.concat(c.path, ["securityContext", setting])) if {
	some c in data.kserve.lib.input_containers
	some setting in ["privileged", "allowPrivilegeEscalation"]
	object.get(c.container, ["securityContext", setting], false) == true
	msg := sprintf("%s: container %v sets securityContext.%s: true", [lib.describe(input), object.get(c.container, "name", c.path), setting])
}

# METADATA
# title: Containers run as non-root
# description: No container or pod runs as UID 0 or sets runAsNonRoot false; a container with its own image sets runAsNonRoot true (or a non-zero runAsUser) itself or on its pod.
# custom:
#   id: run-as-non-root
#   severity: error
deny contains lib.finding("run-as-non-root", msg, array.concat(c.path, ["securityContext"])) if {
	some c in data.kserve.lib.input_containers
	explicit_root(object.get(c.container, "securityContext", {}))
	msg := sprintf("%s: container %v runs as root", [lib.describe(input), object.get(c.container, "name", c.path)])
}

deny contains lib.finding("run-as-non-root", msg, array.concat(p, ["securityContext"])) if {
	some [p, spec] in data.kserve.lib.input_pod_specs
	explicit_root(object.get(spec, "securityContext", {}))
	msg := sprintf("%s: pod securityContext at %s runs as root", [lib.describe(input), concat(".", [sprintf("%v", [x]) | some x in p])])
}

deny contains lib.finding("run-as-non-root", msg, array.concat(c.path, ["securityContext"])) if {
	some c in data.kserve.lib.input_containers
	c.container.image
	not non_root(object.get(c.container, "securityContext", {}))
	not non_root(pod_security_context(c.pod_path))
	msg := sprintf("%s: container %v brings its own image but does not set securityContext.runAsNonRoot: true", [lib.describe(input), object.get(c.container, "name", c.path)])
}

pod_security_context(path) := object.get(spec, "securityContext", {}) if {
	some [p, spec] in data.kserve.lib.input_pod_specs
	p == path
}

explicit_root(ctx) if ctx.runAsUser == 0

explicit_root(ctx) if ctx.runAsNonRoot == false

non_root(ctx) if ctx.runAsNonRoot == true

non_root(ctx) if ctx.runAsUser > 0

# METADATA
# title: No hostPath volumes
# description: No pod mounts a hostPath volume.
# custom:
#   id: no-host-path
#   severity: error
deny contains lib.finding("no-host-path", msg, array.concat(p, ["volumes", i, "hostPath"])) if {
	some [p, spec] in data.kserve.lib.input_pod_specs
	some i, volume in object.get(spec, "volumes", [])
	volume.hostPath
	msg := sprintf("%s: volume %v mounts the host path %v", [lib.describe(input), volume.name, volume.hostPath.path])
}
