// kserve-admission for KServe v0.20.0: the release's own defaulting and validating webhooks, run offline
// on one environment's objects (see ../common for the protocol and the API server's CRD stages).
//
// Nothing here re-implements a rule: each kind is handed to the webhook type KServe registers for it
// (cmd/manager, cmd/llmisvc, cmd/localmodel), with fake clients holding the environment's objects and the
// release's inferenceservice-config ConfigMap as the cluster it would ask.
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
	"github.com/kserve/kserve/pkg/apis/serving/v1alpha2"
	"github.com/kserve/kserve/pkg/apis/serving/v1beta1"
	"github.com/kserve/kserve/pkg/constants"
	llmwebhook "github.com/kserve/kserve/pkg/webhook/admission/llminferenceservice"
	"github.com/kserve/kserve/pkg/webhook/admission/localmodelcache"
	"github.com/kserve/kserve/pkg/webhook/admission/servingruntime"

	"kserve-gitops.io/admission/common"
)

const release = "v0.20.0"

// The release's config/configmap/inferenceservice.yaml, copied from the module by scripts/install-tools.sh.
//
//go:embed inferenceservice-config.yaml
var defaultConfigMap []byte

func main() { common.Main(release, newWebhooks) }

// clusterKinds are the kinds this release's webhooks read from the cluster on CREATE and UPDATE.
var clusterKinds = []string{"ServingRuntime", "ClusterServingRuntime", "LocalModelCache", "LocalModelNamespaceCache", "LLMInferenceServiceConfig"}

type webhooks struct {
	// client is the fake cluster, built on first use: building it costs ~60 ms and most environments'
	// objects never list anything.
	client    *common.LazyClient
	clientset kubernetes.Interface
	decoder   admission.Decoder
}

func newWebhooks(opts common.Options, cluster []map[string]interface{}) (common.Webhooks, error) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, v1alpha1.AddToScheme, v1alpha2.AddToScheme, v1beta1.AddToScheme} {
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
	switch common.GVKOf(obj) {
	case v1beta1.SchemeGroupVersion.WithKind("InferenceService"):
		hook := common.Hook{Name: "inferenceservice.kserve-webhook-server.defaulter", Stage: "defaulter", Operation: operation}
		isvc := &v1beta1.InferenceService{}
		if err := common.FromUnstructured(obj, isvc); err != nil {
			return obj, hook.Denied(err)
		}
		if err := w.defaultInferenceService(ctx, isvc); err != nil {
			return obj, hook.Denied(err)
		}
		return common.Mutated(obj, isvc, hook)
	case v1alpha1.SchemeGroupVersion.WithKind("LLMInferenceService"):
		hook := common.Hook{Name: "llminferenceservice.kserve-webhook-server.v1alpha1.defaulter", Stage: "defaulter", Operation: operation}
		llm := &v1alpha1.LLMInferenceService{}
		if err := common.FromUnstructured(obj, llm); err != nil {
			return obj, hook.Denied(err)
		}
		defaulter := &llmwebhook.LLMInferenceServiceDefaulterV1Alpha1{Client: w.client.Get(), Clientset: w.clientset}
		if err := defaulter.Default(ctx, llm); err != nil {
			return obj, hook.Denied(err)
		}
		return common.Mutated(obj, llm, hook)
	case v1alpha2.SchemeGroupVersion.WithKind("LLMInferenceService"):
		hook := common.Hook{Name: "llminferenceservice.kserve-webhook-server.v1alpha2.defaulter", Stage: "defaulter", Operation: operation}
		llm := &v1alpha2.LLMInferenceService{}
		if err := common.FromUnstructured(obj, llm); err != nil {
			return obj, hook.Denied(err)
		}
		defaulter := &llmwebhook.LLMInferenceServiceDefaulterV1Alpha2{Client: w.client.Get(), Clientset: w.clientset}
		if err := defaulter.Default(ctx, llm); err != nil {
			return obj, hook.Denied(err)
		}
		return common.Mutated(obj, llm, hook)
	}
	return obj, nil
}

// defaultInferenceService is InferenceServiceDefaulter.Default with the cluster it asks replaced by the
// fakes: Default itself builds its clients from a kubeconfig, so its body's calls are made here in its order.
func (w *webhooks) defaultInferenceService(ctx context.Context, isvc *v1beta1.InferenceService) error {
	configMap, err := v1beta1.GetInferenceServiceConfigMap(ctx, w.clientset)
	if err != nil {
		return err
	}
	isvcConfig, err := v1beta1.NewInferenceServicesConfig(configMap)
	if err != nil {
		return err
	}
	deployConfig, err := v1beta1.NewDeployConfig(configMap)
	if err != nil {
		return err
	}
	localModelConfig, err := v1beta1.NewLocalModelConfig(configMap)
	if err != nil {
		return err
	}
	securityConfig, err := v1beta1.NewSecurityConfig(configMap)
	if err != nil {
		return err
	}
	_, localModelDisabledForIsvc := isvc.Annotations[constants.DisableLocalModelKey]
	var models *v1alpha1.LocalModelCacheList
	var nsModels *v1alpha1.LocalModelNamespaceCacheList
	if !localModelDisabledForIsvc && localModelConfig.Enabled {
		models = &v1alpha1.LocalModelCacheList{}
		if err := w.client.Get().List(ctx, models); err != nil {
			return err
		}
		nsModels = &v1alpha1.LocalModelNamespaceCacheList{}
		if err := w.client.Get().List(ctx, nsModels, client.InNamespace(isvc.Namespace)); err != nil {
			return err
		}
	}
	isvc.DefaultInferenceService(isvcConfig, deployConfig, securityConfig, models, nsModels)
	return nil
}

func (w *webhooks) Validate(ctx context.Context, obj, old map[string]interface{}, operation string) []common.Finding {
	gvk := common.GVKOf(obj)
	switch gvk {
	case v1beta1.SchemeGroupVersion.WithKind("InferenceService"):
		return common.Validate(ctx, "inferenceservice.kserve-webhook-server.validator", &v1beta1.InferenceServiceValidator{}, obj, old, operation, &v1beta1.InferenceService{}, &v1beta1.InferenceService{})
	case v1alpha1.SchemeGroupVersion.WithKind("InferenceGraph"):
		return common.Validate(ctx, "inferencegraph.kserve-webhook-server.validator", &v1alpha1.InferenceGraphValidator{}, obj, old, operation, &v1alpha1.InferenceGraph{}, &v1alpha1.InferenceGraph{})
	case v1alpha1.SchemeGroupVersion.WithKind("TrainedModel"):
		return common.Validate(ctx, "trainedmodel.kserve-webhook-server.validator", &v1alpha1.TrainedModelValidator{}, obj, old, operation, &v1alpha1.TrainedModel{}, &v1alpha1.TrainedModel{})
	case v1alpha1.SchemeGroupVersion.WithKind("LocalModelCache"):
		return common.Validate(ctx, "localmodelcache.kserve-webhook-server.validator", &localmodelcache.LocalModelCacheValidator{Client: w.client.Get()}, obj, old, operation, &v1alpha1.LocalModelCache{}, &v1alpha1.LocalModelCache{})
	case v1alpha1.SchemeGroupVersion.WithKind("LLMInferenceService"):
		return common.Validate(ctx, "llminferenceservice.kserve-webhook-server.v1alpha1.validator", &v1alpha1.LLMInferenceServiceValidator{}, obj, old, operation, &v1alpha1.LLMInferenceService{}, &v1alpha1.LLMInferenceService{})
	case v1alpha2.SchemeGroupVersion.WithKind("LLMInferenceService"):
		return common.Validate(ctx, "llminferenceservice.kserve-webhook-server.v1alpha2.validator", &v1alpha2.LLMInferenceServiceValidator{}, obj, old, operation, &v1alpha2.LLMInferenceService{}, &v1alpha2.LLMInferenceService{})
	case v1alpha1.SchemeGroupVersion.WithKind("LLMInferenceServiceConfig"):
		return common.Validate(ctx, "llminferenceserviceconfig.kserve-webhook-server.v1alpha1.validator", &v1alpha1.LLMInferenceServiceConfigValidator{}, obj, old, operation, &v1alpha1.LLMInferenceServiceConfig{}, &v1alpha1.LLMInferenceServiceConfig{})
	case v1alpha2.SchemeGroupVersion.WithKind("LLMInferenceServiceConfig"):
		return common.Validate(ctx, "llminferenceserviceconfig.kserve-webhook-server.v1alpha2.validator", &v1alpha2.LLMInferenceServiceConfigValidator{}, obj, old, operation, &v1alpha2.LLMInferenceServiceConfig{}, &v1alpha2.LLMInferenceServiceConfig{})
	case v1alpha1.SchemeGroupVersion.WithKind("ServingRuntime"):
		return common.Handle(ctx, "servingruntime.kserve-webhook-server.validator", &servingruntime.ServingRuntimeValidator{Client: w.client.Get(), Decoder: w.decoder}, obj, old, operation)
	case v1alpha1.SchemeGroupVersion.WithKind("ClusterServingRuntime"):
		return common.Handle(ctx, "clusterservingruntime.kserve-webhook-server.validator", &servingruntime.ClusterServingRuntimeValidator{Client: w.client.Get(), Decoder: w.decoder}, obj, old, operation)
	}
	return nil
}
