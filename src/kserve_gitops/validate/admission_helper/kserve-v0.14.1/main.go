// kserve-admission for KServe v0.14.1: the release's own defaulting and validating webhooks, run offline
// on one environment's objects (see ../common for the protocol and the API server's CRD stages).
//
// Nothing here re-implements a rule: each kind is handed to the webhook type KServe registers for it
// (cmd/manager), with fake clients holding the environment's objects and the release's
// inferenceservice-config ConfigMap as the cluster it would ask. v0.14.1 has no LLMInferenceService.
package main

import (
	"context"
	_ "embed"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/kserve/kserve/pkg/apis/serving/v1alpha1"
	"github.com/kserve/kserve/pkg/apis/serving/v1beta1"
	"github.com/kserve/kserve/pkg/constants"
	"github.com/kserve/kserve/pkg/webhook/admission/localmodelcache"
	"github.com/kserve/kserve/pkg/webhook/admission/servingruntime"

	"kserve-gitops.io/admission/common"
)

const release = "v0.14.1"

// The release's config/configmap/inferenceservice.yaml, copied from the module by scripts/install-tools.sh.
//
//go:embed inferenceservice-config.yaml
var defaultConfigMap []byte

func main() { common.Main(release, newWebhooks) }

// clusterKinds are the kinds this release's webhooks read from the cluster on CREATE and UPDATE.
var clusterKinds = []string{"ServingRuntime", "ClusterServingRuntime", "LocalModelCache"}

type webhooks struct {
	// client is the fake cluster, built on first use: building it costs ~60 ms and most environments'
	// objects never list anything.
	client    *common.LazyClient
	clientset kubernetes.Interface
	decoder   admission.Decoder
}

func newWebhooks(opts common.Options, cluster []map[string]interface{}) (common.Webhooks, error) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, v1alpha1.AddToScheme, v1beta1.AddToScheme} {
		if err := add(scheme); err != nil {
			return nil, err
		}
	}
	configMap, err := common.LoadConfigMap(opts, defaultConfigMap, constants.KServeNamespace)
	if err != nil {
		return nil, err
	}
	return &webhooks{
		client: common.NewLazyClient(func() client.Client {
			return fake.NewClientBuilder().WithScheme(scheme).WithObjects(common.ClusterObjects(scheme, cluster, clusterKinds...)...).Build()
		}),
		clientset: k8sfake.NewSimpleClientset(configMap),
		decoder:   admission.NewDecoder(scheme),
	}, nil
}

func (w *webhooks) Default(ctx context.Context, obj map[string]interface{}, operation string) (map[string]interface{}, []common.Finding) {
	if common.GVKOf(obj) != v1beta1.SchemeGroupVersion.WithKind("InferenceService") {
		return obj, nil
	}
	hook := common.Hook{Name: "inferenceservice.kserve-webhook-server.defaulter", Stage: "defaulter", Operation: operation}
	isvc := &v1beta1.InferenceService{}
	if err := common.FromUnstructured(obj, isvc); err != nil {
		return obj, hook.Denied(err)
	}
	if err := w.defaultInferenceService(ctx, isvc); err != nil {
		return obj, hook.Denied(err)
	}
	return common.Mutated(obj, isvc, hook)
}

// defaultInferenceService is InferenceServiceDefaulter.Default with the cluster it asks replaced by the
// fakes: Default itself builds its clients from a kubeconfig, so its body's calls are made here in its order.
func (w *webhooks) defaultInferenceService(ctx context.Context, isvc *v1beta1.InferenceService) error {
	isvcConfig, err := v1beta1.NewInferenceServicesConfig(w.clientset)
	if err != nil {
		return err
	}
	deployConfig, err := v1beta1.NewDeployConfig(w.clientset)
	if err != nil {
		return err
	}
	localModelConfig, err := v1beta1.NewLocalModelConfig(w.clientset)
	if err != nil {
		return err
	}
	securityConfig, err := v1beta1.NewSecurityConfig(w.clientset)
	if err != nil {
		return err
	}
	_, localModelDisabledForIsvc := isvc.ObjectMeta.Annotations[constants.DisableLocalModelKey]
	var models *v1alpha1.LocalModelCacheList
	if !localModelDisabledForIsvc && localModelConfig.Enabled {
		models = &v1alpha1.LocalModelCacheList{}
		if err := w.client.Get().List(ctx, models); err != nil {
			return err
		}
	}
	isvc.DefaultInferenceService(isvcConfig, deployConfig, securityConfig, models)
	return nil
}

func (w *webhooks) Validate(ctx context.Context, obj, old map[string]interface{}, operation string) []common.Finding {
	switch common.GVKOf(obj) {
	case v1beta1.SchemeGroupVersion.WithKind("InferenceService"):
		return common.Validate(ctx, "inferenceservice.kserve-webhook-server.validator", &v1beta1.InferenceServiceValidator{}, obj, old, operation, &v1beta1.InferenceService{}, &v1beta1.InferenceService{})
	case v1alpha1.SchemeGroupVersion.WithKind("InferenceGraph"):
		return common.Validate(ctx, "inferencegraph.kserve-webhook-server.validator", &v1alpha1.InferenceGraphValidator{}, obj, old, operation, &v1alpha1.InferenceGraph{}, &v1alpha1.InferenceGraph{})
	case v1alpha1.SchemeGroupVersion.WithKind("TrainedModel"):
		return common.Validate(ctx, "trainedmodel.kserve-webhook-server.validator", &v1alpha1.TrainedModelValidator{}, obj, old, operation, &v1alpha1.TrainedModel{}, &v1alpha1.TrainedModel{})
	case v1alpha1.SchemeGroupVersion.WithKind("LocalModelCache"):
		return common.Validate(ctx, "localmodelcache.kserve-webhook-server.validator", &localmodelcache.LocalModelCacheValidator{Client: w.client.Get()}, obj, old, operation, &v1alpha1.LocalModelCache{}, &v1alpha1.LocalModelCache{})
	case v1alpha1.SchemeGroupVersion.WithKind("ServingRuntime"):
		return common.Handle(ctx, "servingruntime.kserve-webhook-server.validator", &servingruntime.ServingRuntimeValidator{Client: w.client.Get(), Decoder: w.decoder}, obj, old, operation)
	case v1alpha1.SchemeGroupVersion.WithKind("ClusterServingRuntime"):
		return common.Handle(ctx, "clusterservingruntime.kserve-webhook-server.validator", &servingruntime.ClusterServingRuntimeValidator{Client: w.client.Get(), Decoder: w.decoder}, obj, old, operation)
	}
	return nil
}
