# ArgoCD Applications stay in their lane: an allowed project (never the catch-all "default" unless allowed)
# and a destination in this environment's cluster (and allowed namespaces when argocd.allowedNamespaces is set).
# METADATA
# scope: package
# custom:
#   kinds: [Application]
package kserve.argocd

import rego.v1

import data.kserve.lib

is_application if {
	input.kind == "Application"
	startswith(input.apiVersion, "argoproj.io/")
}

configured_projects := {p | some p in object.get(data.kserve.lib.params, ["argocd", "allowedProjects"], [])} | {p |
	p := data.kserve.lib.params.argocd.project
	p != ""
}

project_allowed(project) if project in configured_projects

project_allowed(project) if {
	count(configured_projects) == 0
	project != "default"
}

# METADATA
# title: ArgoCD Applications use allowed projects
# description: spec.project is one of argocd.allowedProjects / argocd.project, or, with none configured, anything but "default".
# custom:
#   id: argocd-project
#   severity: error
deny contains lib.finding("argocd-project", msg, ["spec", "project"]) if {
	is_application
	project := object.get(input.spec, "project", "default")
	not project_allowed(project)
	msg := sprintf("%s: project %q is not allowed here (allowed: %v)", [lib.describe(input), project, allowed_text])
}

allowed_text := sort(configured_projects) if count(configured_projects) > 0

else := "any project but default"

destination_in_cluster(dest) if dest.server == data.kserve.lib.params.cluster.server

destination_in_cluster(dest) if dest.name == data.kserve.lib.params.cluster.name

# METADATA
# title: ArgoCD Applications target allowed destinations
# description: spec.destination is this environment's cluster (server or name from cluster), in a namespace of argocd.allowedNamespaces when that is set.
# custom:
#   id: argocd-destination
#   severity: error
deny contains lib.finding("argocd-destination", msg, ["spec", "destination"]) if {
	is_application
	data.kserve.lib.params.cluster
	dest := object.get(input.spec, "destination", {})
	not destination_in_cluster(dest)
	msg := sprintf("%s: destination %v is not the environment's cluster %s (%s)", [lib.describe(input), dest, data.kserve.lib.params.cluster.name, data.kserve.lib.params.cluster.server])
}

deny contains lib.finding("argocd-destination", msg, ["spec", "destination", "namespace"]) if {
	is_application
	allowed := data.kserve.lib.params.argocd.allowedNamespaces
	ns := input.spec.destination.namespace
	not ns in allowed
	msg := sprintf("%s: destination namespace %q is not one of %v", [lib.describe(input), ns, allowed])
}
