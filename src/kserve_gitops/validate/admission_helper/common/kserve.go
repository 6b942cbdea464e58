package common

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	"sigs.k8s.io/yaml"
)

// The calls every KServe release's webhooks are made through; the release's main.go says which webhook
// type serves which kind.

// LoadConfigMap is the inferenceservice-config the webhooks read: the release's own (embedded at build
// time) or --config, with the environment's deployment mode as deploy.defaultDeploymentMode.
func LoadConfigMap(opts Options, releaseDefault []byte, namespace string) (*corev1.ConfigMap, error) {
	data := releaseDefault
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
	configMap.Namespace = namespace
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

// ClusterObjects converts the environment's objects of the given kinds for a fake client: the cluster
// state the webhooks list on CREATE and UPDATE (other runtimes, LocalModelCaches). Objects the converter
// refuses are left out here and judged by their own request.
func ClusterObjects(scheme *runtime.Scheme, cluster []map[string]interface{}, kinds ...string) []client.Object {
	wanted := map[string]bool{}
	for _, kind := range kinds {
		wanted[kind] = true
	}
	var objects []client.Object
	for _, obj := range cluster {
		gvk := GVKOf(obj)
		if gvk.Group != "serving.kserve.io" || !wanted[gvk.Kind] {
			continue
		}
		typed, err := scheme.New(gvk)
		if err != nil {
			continue
		}
		if err := FromUnstructured(obj, typed); err != nil {
			continue
		}
		if clientObj, ok := typed.(client.Object); ok {
			objects = append(objects, clientObj)
		}
	}
	return objects
}

// GVKOf reads an object's group, version and kind.
func GVKOf(obj map[string]interface{}) schema.GroupVersionKind {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	return schema.FromAPIVersionAndKind(apiVersion, kind)
}

// Mutated returns a mutating webhook's result in JSON form, keeping apiVersion and kind: obj with the
// webhook's patch applied, as the API server applies it. controller-runtime's defaulter answers with a JSON
// patch from the request to the defaulted object re-encoded from its Go type, minus the removals that
// decoding and re-encoding alone would make (dropSchemeRemovals): a field the release's Go type does not
// know (a CRD newer than the release, as scaling.keda of the main branch's LLMInferenceService for KServe
// v0.20.0) stays in the object, while whatever the defaulter itself changed or added (name: "" where the Go
// field has no omitempty) is taken.
func Mutated(obj map[string]interface{}, typed runtime.Object, hook Hook) (map[string]interface{}, []Finding) {
	out, err := ToUnstructured(typed)
	if err != nil {
		return obj, hook.Denied(err)
	}
	// what the scheme alone makes of the request: a fresh object of the same type, decoded and re-encoded
	plain := reflect.New(reflect.TypeOf(typed).Elem()).Interface()
	if err := FromUnstructured(obj, plain); err != nil {
		return obj, hook.Denied(err)
	}
	roundTrip, err := ToUnstructured(plain)
	if err != nil {
		return obj, hook.Denied(err)
	}
	merged, _ := keepSchemeRemovals(obj, roundTrip, out).(map[string]interface{})
	merged["apiVersion"], merged["kind"] = obj["apiVersion"], obj["kind"]
	return merged, nil
}

// keepSchemeRemovals is defaulted, with every map key of original put back that defaulted lacks only because
// the Go type dropped it (roundTrip lacks it too). Lists of equal length are merged element by element;
// anything else is defaulted's.
func keepSchemeRemovals(original, roundTrip, defaulted interface{}) interface{} {
	switch d := defaulted.(type) {
	case map[string]interface{}:
		o, ok := original.(map[string]interface{})
		if !ok {
			return defaulted
		}
		r, _ := roundTrip.(map[string]interface{})
		out := make(map[string]interface{}, len(d))
		for k, v := range d {
			if ov, found := o[k]; found {
				out[k] = keepSchemeRemovals(ov, r[k], v)
			} else {
				out[k] = v
			}
		}
		for k, v := range o {
			if _, kept := d[k]; kept {
				continue
			}
			if _, survives := r[k]; !survives {
				out[k] = v // removed by the scheme, not by the webhook
			}
		}
		return out
	case []interface{}:
		o, ok := original.([]interface{})
		r, _ := roundTrip.([]interface{})
		if !ok || len(o) != len(d) || len(r) != len(d) {
			return defaulted
		}
		out := make([]interface{}, len(d))
		for i := range d {
			out[i] = keepSchemeRemovals(o[i], r[i], d[i])
		}
		return out
	default:
		return defaulted
	}
}

// CustomValidator is controller-runtime's webhook.CustomValidator without ValidateDelete.
type CustomValidator interface {
	ValidateCreate(ctx context.Context, obj runtime.Object) (admission.Warnings, error)
	ValidateUpdate(ctx context.Context, oldObj, newObj runtime.Object) (admission.Warnings, error)
}

// Validate runs a CustomValidator on CREATE or UPDATE; typed and oldTyped are empty objects of its kind.
func Validate(ctx context.Context, name string, validator CustomValidator, obj, old map[string]interface{}, operation string, typed, oldTyped runtime.Object) []Finding {
	hook := Hook{Name: name, Stage: "validator", Operation: operation}
	if err := FromUnstructured(obj, typed); err != nil {
		return hook.Denied(err)
	}
	if old == nil {
		return hook.Result(validator.ValidateCreate(ctx, typed))
	}
	if err := FromUnstructured(old, oldTyped); err != nil {
		return hook.Denied(err)
	}
	return hook.Result(validator.ValidateUpdate(ctx, oldTyped, typed))
}

// Handle runs a raw admission.Handler (KServe's ServingRuntime validators are written that way).
func Handle(ctx context.Context, name string, handler admission.Handler, obj, old map[string]interface{}, operation string) []Finding {
	hook := Hook{Name: name, Stage: "validator", Operation: operation}
	req, err := AdmissionRequest(obj, old, operation)
	if err != nil {
		return hook.Denied(err)
	}
	return hook.Response(handler.Handle(ctx, req))
}

// LazyClient builds a client on first use, once, for all goroutines.
type LazyClient struct {
	once   sync.Once
	build  func() client.Client
	client client.Client
}

func NewLazyClient(build func() client.Client) *LazyClient { return &LazyClient{build: build} }

func (l *LazyClient) Get() client.Client {
	l.once.Do(func() { l.client = l.build() })
	return l.client
}
