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
	"fmt"
	"os"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	"sigs.k8s.io/yaml"

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

type webhooks struct {
	scheme    *runtime.Scheme
	client    client.Client
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
	configMap, err := loadConfigMap(opts)
	if err != nil {
		return nil, err
	}
	// The environment's KServe objects as the cluster the webhooks list: other runtimes (priority
	// conflicts), LocalModelCaches (storage URI clashes, local-model labels), InferenceServices.
	builder := fake.NewClientBuilder().WithScheme(scheme)
	for _, obj := range cluster {
		typed, err := typedObject(scheme, obj)
		if err != nil || typed == nil {
			continue // an object the converter refuses is judged (and reported) by its own request
		}
		builder = builder.WithObjects(typed)
	}
	return &webhooks{
		scheme:    scheme,
		client:    builder.Build(),
		clientset: k8sfake.NewSimpleClientset(configMap),
		decoder:   admission.NewDecoder(scheme),
	}, nil
}

func loadConfigMap(opts common.Options) (*corev1.ConfigMap, error) {
	data := defaultConfigMap
	if opts.ConfigFile != "" {
		var err error
		if data, err = os.ReadFile(opts.ConfigFile); err != nil {
			return nil, err
		}
	}
	configMap := &corev1.ConfigMap{}
	if err := yaml.Unmarshal(data, configMap); err != nil {
		return nil, fmt.Errorf("inferenceservice-config: %w", err)
	}
	configMap.Namespace = constants.KServeNamespace
	if opts.DeploymentMode != "" {
		deploy := map[string]interface{}{}
		if raw := configMap.Data["deploy"]; raw != "" {
			if err := yaml.Unmarshal([]byte(raw), &deploy); err != nil {
				return nil, fmt.Errorf("inferenceservice-config deploy: %w", err)
			}
		}
		deploy["defaultDeploymentMode"] = opts.DeploymentMode
		raw, err := yaml.Marshal(deploy)
		if err != nil {
			return nil, err
		}
		jsonRaw, err := yaml.YAMLToJSON(raw)
		if err != nil {
			return nil, err
		}
		configMap.Data["deploy"] = string(jsonRaw)
	}
	return configMap, nil
}

// typedObject converts the KServe kinds the webhooks list; other objects are not cluster state they read.
func typedObject(scheme *runtime.Scheme, obj map[string]interface{}) (client.Object, error) {
	gvk := gvkOf(obj)
	if gvk.Group != "serving.kserve.io" {
		return nil, nil
	}
	typed, err := scheme.New(gvk)
	if err != nil {
		return nil, nil
	}
	if err := common.FromUnstructured(obj, typed); err != nil {
		return nil, err
	}
	clientObj, _ := typed.(client.Object)
	return clientObj, nil
}

func gvkOf(obj map[string]interface{}) schema.GroupVersionKind {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	return schema.FromAPIVersionAndKind(apiVersion, kind)
}

func (w *webhooks) Default(ctx context.Context, obj map[string]interface{}, operation string) (map[string]interface{}, []common.Finding) {
	switch gvkOf(obj) {
	case v1beta1.SchemeGroupVersion.WithKind("InferenceService"):
		hook := common.Hook{Name: "inferenceservice.kserve-webhook-server.defaulter", Stage: "defaulter", Operation: operation}
		isvc := &v1beta1.InferenceService{}
		if err := common.FromUnstructured(obj, isvc); err != nil {
			return obj, hook.Denied(err)
		}
		if err := w.defaultInferenceService(ctx, isvc); err != nil {
			return obj, hook.Denied(err)
		}
		return w.back(obj, isvc, hook)
	case v1alpha1.SchemeGroupVersion.WithKind("LLMInferenceService"):
		hook := common.Hook{Name: "llminferenceservice.kserve-webhook-server.v1alpha1.defaulter", Stage: "defaulter", Operation: operation}
		llm := &v1alpha1.LLMInferenceService{}
		if err := common.FromUnstructured(obj, llm); err != nil {
			return obj, hook.Denied(err)
		}
		defaulter := &llmwebhook.LLMInferenceServiceDefaulterV1Alpha1{Client: w.client, Clientset: w.clientset}
		if err := defaulter.Default(ctx, llm); err != nil {
			return obj, hook.Denied(err)
		}
		return w.back(obj, llm, hook)
	case v1alpha2.SchemeGroupVersion.WithKind("LLMInferenceService"):
		hook := common.Hook{Name: "llminferenceservice.kserve-webhook-server.v1alpha2.defaulter", Stage: "defaulter", Operation: operation}
		llm := &v1alpha2.LLMInferenceService{}
		if err := common.FromUnstructured(obj, llm); err != nil {
			return obj, hook.Denied(err)
		}
		defaulter := &llmwebhook.LLMInferenceServiceDefaulterV1Alpha2{Client: w.client, Clientset: w.clientset}
		if err := defaulter.Default(ctx, llm); err != nil {
			return obj, hook.Denied(err)
		}
		return w.back(obj, llm, hook)
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
		if err := w.client.List(ctx, models); err != nil {
			return err
		}
		nsModels = &v1alpha1.LocalModelNamespaceCacheList{}
		if err := w.client.List(ctx, nsModels, client.InNamespace(isvc.Namespace)); err != nil {
			return err
		}
	}
	isvc.DefaultInferenceService(isvcConfig, deployConfig, securityConfig, models, nsModels)
	return nil
}

// back returns the mutated object in JSON form, keeping apiVersion and kind.
func (w *webhooks) back(obj map[string]interface{}, typed runtime.Object, hook common.Hook) (map[string]interface{}, []common.Finding) {
	out, err := common.ToUnstructured(typed)
	if err != nil {
		return obj, hook.Denied(err)
	}
	out["apiVersion"], out["kind"] = obj["apiVersion"], obj["kind"]
	return out, nil
}

func (w *webhooks) Validate(ctx context.Context, obj, old map[string]interface{}, operation string) []common.Finding {
	gvk := gvkOf(obj)
	switch gvk {
	case v1beta1.SchemeGroupVersion.WithKind("InferenceService"):
		return validate(ctx, "inferenceservice.kserve-webhook-server.validator", &v1beta1.InferenceServiceValidator{}, obj, old, operation, &v1beta1.InferenceService{}, &v1beta1.InferenceService{})
	case v1alpha1.SchemeGroupVersion.WithKind("InferenceGraph"):
		return validate(ctx, "inferencegraph.kserve-webhook-server.validator", &v1alpha1.InferenceGraphValidator{}, obj, old, operation, &v1alpha1.InferenceGraph{}, &v1alpha1.InferenceGraph{})
	case v1alpha1.SchemeGroupVersion.WithKind("TrainedModel"):
		return validate(ctx, "trainedmodel.kserve-webhook-server.validator", &v1alpha1.TrainedModelValidator{}, obj, old, operation, &v1alpha1.TrainedModel{}, &v1alpha1.TrainedModel{})
	case v1alpha1.SchemeGroupVersion.WithKind("LocalModelCache"):
		return validate(ctx, "localmodelcache.kserve-webhook-server.validator", &localmodelcache.LocalModelCacheValidator{Client: w.client}, obj, old, operation, &v1alpha1.LocalModelCache{}, &v1alpha1.LocalModelCache{})
	case v1alpha1.SchemeGroupVersion.WithKind("LLMInferenceService"):
		return validate(ctx, "llminferenceservice.kserve-webhook-server.v1alpha1.validator", &v1alpha1.LLMInferenceServiceValidator{}, obj, old, operation, &v1alpha1.LLMInferenceService{}, &v1alpha1.LLMInferenceService{})
	case v1alpha2.SchemeGroupVersion.WithKind("LLMInferenceService"):
		return validate(ctx, "llminferenceservice.kserve-webhook-server.v1alpha2.validator", &v1alpha2.LLMInferenceServiceValidator{}, obj, old, operation, &v1alpha2.LLMInferenceService{}, &v1alpha2.LLMInferenceService{})
	case v1alpha1.SchemeGroupVersion.WithKind("LLMInferenceServiceConfig"):
		return validate(ctx, "llminferenceserviceconfig.kserve-webhook-server.v1alpha1.validator", &v1alpha1.LLMInferenceServiceConfigValidator{}, obj, old, operation, &v1alpha1.LLMInferenceServiceConfig{}, &v1alpha1.LLMInferenceServiceConfig{})
	case v1alpha2.SchemeGroupVersion.WithKind("LLMInferenceServiceConfig"):
		return validate(ctx, "llminferenceserviceconfig.kserve-webhook-server.v1alpha2.validator", &v1alpha2.LLMInferenceServiceConfigValidator{}, obj, old, operation, &v1alpha2.LLMInferenceServiceConfig{}, &v1alpha2.LLMInferenceServiceConfig{})
	case v1alpha1.SchemeGroupVersion.WithKind("ServingRuntime"):
		return w.handle(ctx, "servingruntime.kserve-webhook-server.validator", &servingruntime.ServingRuntimeValidator{Client: w.client, Decoder: w.decoder}, obj, old, operation)
	case v1alpha1.SchemeGroupVersion.WithKind("ClusterServingRuntime"):
		return w.handle(ctx, "clusterservingruntime.kserve-webhook-server.validator", &servingruntime.ClusterServingRuntimeValidator{Client: w.client, Decoder: w.decoder}, obj, old, operation)
	}
	return nil
}

type customValidator interface {
	ValidateCreate(ctx context.Context, obj runtime.Object) (admission.Warnings, error)
	ValidateUpdate(ctx context.Context, oldObj, newObj runtime.Object) (admission.Warnings, error)
}

func validate(ctx context.Context, name string, validator customValidator, obj, old map[string]interface{}, operation string, typed, oldTyped runtime.Object) []common.Finding {
	hook := common.Hook{Name: name, Stage: "validator", Operation: operation}
	if err := common.FromUnstructured(obj, typed); err != nil {
		return hook.Denied(err)
	}
	if old == nil {
		return hook.Result(validator.ValidateCreate(ctx, typed))
	}
	if err := common.FromUnstructured(old, oldTyped); err != nil {
		return hook.Denied(err)
	}
	return hook.Result(validator.ValidateUpdate(ctx, oldTyped, typed))
}

func (w *webhooks) handle(ctx context.Context, name string, handler admission.Handler, obj, old map[string]interface{}, operation string) []common.Finding {
	hook := common.Hook{Name: name, Stage: "validator", Operation: operation}
	req, err := common.AdmissionRequest(obj, old, operation)
	if err != nil {
		return hook.Denied(err)
	}
	return hook.Response(handler.Handle(ctx, req))
}
