module kserve-gitops.io/admission/common

go 1.22

require (
	k8s.io/api v0.30.4
	k8s.io/apiextensions-apiserver v0.30.4
	k8s.io/apimachinery v0.30.4
	k8s.io/apiserver v0.30.4
	k8s.io/klog/v2 v2.130.1
	sigs.k8s.io/controller-runtime v0.18.5
	sigs.k8s.io/json v0.0.0-20221116044647-bc3834ca7abd
	sigs.k8s.io/yaml v1.4.0
)
