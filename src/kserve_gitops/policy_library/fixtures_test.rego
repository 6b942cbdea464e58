# Shared test fixtures for the library's tests: a compliant InferenceService and environment settings.
package kserve.fixtures

import rego.v1

params := {
	"name": "dev",
	"namespaces": ["models"],
	"cluster": {"name": "ml-dev", "server": "https://dev.k8s.example"},
	"kserve": {"version": "v0.20.0", "deploymentMode": "Serverless"},
	"storage": {"bucket": "models-dev", "region": "eu-west-1"},
	"limits": {"maxReplicas": 4, "maxResources": {"cpu": "4", "memory": "8Gi", "nvidia.com/gpu": 1}, "gpuBudget": 2},
	"images": {"requireDigests": false, "allowedRegistries": ["docker.io/kserve", "ghcr.io/acme"]},
	"argocd": {"project": "ml-models"},
}

prod_params := object.union(params, {"name": "prod", "kserve": {"deploymentMode": "RawDeployment"}, "images": {"requireDigests": true}})

# KServe v0.20.0 in Standard mode (the list-form spec.canary), and v0.14.1 in RawDeployment mode (no canary).
standard_params := object.union(params, {"name": "staging", "kserve": {"deploymentMode": "Standard"}})

legacy_raw_params := object.union(prod_params, {"kserve": {"version": "v0.14.1"}})

resources := {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}

isvc := {
	"apiVersion": "serving.kserve.io/v1beta1",
	"kind": "InferenceService",
	"metadata": {"name": "iris", "namespace": "models", "labels": {"owner": "iris-squad", "team": "data-science"}},
	"spec": {"predictor": {
		"minReplicas": 2,
		"maxReplicas": 3,
		"serviceAccountName": "kserve-models",
		"model": {
			"modelFormat": {"name": "sklearn"},
			"storageUri": "s3://models-dev/iris/v1",
			"resources": resources,
		},
	}},
}

# isvc with a custom transformer container, compliant
with_transformer := object.union(isvc, {"spec": {"transformer": {"containers": [{
	"name": "kserve-container",
	"image": "ghcr.io/acme/transformer:1.2.3",
	"resources": resources,
	"securityContext": {"runAsNonRoot": true},
}]}}})

service_account := {
	"apiVersion": "v1",
	"kind": "ServiceAccount",
	"metadata": {"name": "kserve-models", "namespace": "models", "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/models"}},
}

default_deny := {
	"apiVersion": "networking.k8s.io/v1",
	"kind": "NetworkPolicy",
	"metadata": {"name": "default-deny-all", "namespace": "models"},
	"spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
}

strict_mtls := {
	"apiVersion": "security.istio.io/v1",
	"kind": "PeerAuthentication",
	"metadata": {"name": "default", "namespace": "models"},
	"spec": {"mtls": {"mode": "STRICT"}},
}

alert_rule := {
	"apiVersion": "monitoring.coreos.com/v1",
	"kind": "PrometheusRule",
	"metadata": {"name": "kserve-alerts", "namespace": "monitoring"},
	"spec": {"groups": [{"name": "kserve", "rules": [{
		"alert": "KServeDown",
		"expr": "sum(kube_deployment_status_replicas_available{namespace=~\"models|other\"}) == 0",
	}]}]},
}

# data.inventory in Gatekeeper's layout for a list of namespaced objects
inventory(objects) := {"cluster": {}, "namespace": {ns: by_api |
	some o in objects
	ns := o.metadata.namespace
	by_api := {api: by_kind |
		some o2 in objects
		o2.metadata.namespace == ns
		api := o2.apiVersion
		by_kind := {kind: by_name |
			some o3 in objects
			o3.metadata.namespace == ns
			o3.apiVersion == api
			kind := o3.kind
			by_name := {o4.metadata.name: o4 |
				some o4 in objects
				o4.metadata.namespace == ns
				o4.apiVersion == api
				o4.kind == kind
			}
		}
	}
}}

ids(findings) := {f.id | some f in findings}
