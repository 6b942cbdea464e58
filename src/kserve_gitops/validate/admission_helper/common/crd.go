package common

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sync"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apiextensions-apiserver/pkg/crdserverscheme"
	"k8s.io/apiextensions-apiserver/pkg/registry/customresource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/endpoints/request"
	"sigs.k8s.io/yaml"
)

// crdVersion is what the API server keeps for one served version of a CRD. The schema, its validator
// and its CEL programs are built on first use: a file such as Istio's holds dozens of CRDs with hundreds
// of CEL rules, and an environment uses a few of them.
type crdVersion struct {
	crdName    string
	namespaced bool
	crd        *apiextensions.CustomResourceDefinition
	gvk        schema.GroupVersionKind
	once       sync.Once
	err        error
	structural *structuralschema.Structural
	// cel is a second CEL validator, built only when an object fails, to tell CEL failures from schema ones
	cel      *cel.Validator
	celOnce  sync.Once
	strategy interface {
		Validate(ctx context.Context, obj runtime.Object) field.ErrorList
		ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList
		WarningsOnCreate(ctx context.Context, obj runtime.Object) []string
		WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string
		PrepareForCreate(ctx context.Context, obj runtime.Object)
		PrepareForUpdate(ctx context.Context, obj, old runtime.Object)
	}
}

// CRDs holds the served versions of the environment's CRDs by group, version and kind.
type CRDs struct {
	versions map[schema.GroupVersionKind]*crdVersion
}

// LoadCRDs reads CRD files (YAML, several documents each); documents that are not CRDs are ignored.
func LoadCRDs(paths []string) (*CRDs, error) {
	crds := &CRDs{versions: map[schema.GroupVersionKind]*crdVersion{}}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
			// JSON (kserve-gitops passes its cached JSON copy of each CRD file): decoding YAML costs
			// ~20x more, and an InferenceService CRD is 1-2 MB.
			if err := crds.addJSON(trimmed); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			continue
		}
		reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for {
			doc, err := reader.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			if err := crds.add(doc); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
		}
	}
	return crds, nil
}

// addJSON reads a JSON CRD, a JSON array of documents, or a List.
func (c *CRDs) addJSON(data []byte) error {
	var docs []json.RawMessage
	if data[0] == '[' {
		if err := json.Unmarshal(data, &docs); err != nil {
			return err
		}
	} else {
		var list struct {
			Kind  string            `json:"kind"`
			Items []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(data, &list); err != nil {
			return err
		}
		docs = []json.RawMessage{data}
		if list.Kind == "List" {
			docs = list.Items
		}
	}
	for _, doc := range docs {
		var head struct {
			Kind string `json:"kind"`
		}
		if err := json.Unmarshal(doc, &head); err != nil || head.Kind != "CustomResourceDefinition" {
			continue
		}
		v1crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := json.Unmarshal(doc, v1crd); err != nil {
			return err
		}
		if err := c.addCRD(v1crd); err != nil {
			return err
		}
	}
	return nil
}

func (c *CRDs) add(doc []byte) error {
	var head struct {
		Kind string `json:"kind"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil || head.Kind != "CustomResourceDefinition" {
		return nil
	}
	v1crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.Unmarshal(doc, v1crd); err != nil {
		return err
	}
	return c.addCRD(v1crd)
}

func (c *CRDs) addCRD(v1crd *apiextensionsv1.CustomResourceDefinition) error {
	apiextensionsv1.SetObjectDefaults_CustomResourceDefinition(v1crd)
	crd := &apiextensions.CustomResourceDefinition{}
	if err := apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(v1crd, crd, nil); err != nil {
		return err
	}
	namespaced := crd.Spec.Scope == apiextensions.NamespaceScoped
	for _, version := range crd.Spec.Versions {
		if !version.Served {
			continue
		}
		gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: version.Name, Kind: crd.Spec.Names.Kind}
		if _, seen := c.versions[gvk]; seen {
			continue // the first file that serves a kind wins, as in kserve-gitops' schema sets
		}
		c.versions[gvk] = &crdVersion{crdName: crd.Name, namespaced: namespaced, crd: crd, gvk: gvk}
	}
	return nil
}

// ready builds the version's structural schema, validator and registry strategy, once.
func (v *crdVersion) ready() error {
	v.once.Do(func() {
		validationSchema, err := apiextensions.GetSchemaForVersion(v.crd, v.gvk.Version)
		if err != nil || validationSchema == nil || validationSchema.OpenAPIV3Schema == nil {
			v.err = fmt.Errorf("CRD %s %s has no schema", v.crdName, v.gvk.Version)
			return
		}
		structural, err := structuralschema.NewStructural(validationSchema.OpenAPIV3Schema)
		if err != nil {
			v.err = fmt.Errorf("CRD %s %s: schema is not structural: %w", v.crdName, v.gvk.Version, err)
			return
		}
		validator, _, err := apiservervalidation.NewSchemaValidator(validationSchema.OpenAPIV3Schema)
		if err != nil {
			v.err = fmt.Errorf("CRD %s %s: %w", v.crdName, v.gvk.Version, err)
			return
		}
		subresources, _ := apiextensions.GetSubresourcesForVersion(v.crd, v.gvk.Version)
		var status *apiextensions.CustomResourceSubresourceStatus
		var scale *apiextensions.CustomResourceSubresourceScale
		if subresources != nil {
			status, scale = subresources.Status, subresources.Scale
		}
		v.structural = structural
		v.strategy = customresource.NewStrategy(crdserverscheme.NewUnstructuredObjectTyper(), v.namespaced, v.gvk, validator, nil, structural, status, scale, nil)
	})
	return v.err
}

// Has tells whether a CRD of the set serves this kind.
func (c *CRDs) Has(obj map[string]interface{}) bool {
	_, ok := c.versions[gvkOf(obj)]
	return ok
}

// Decode does what the API server does when it reads a custom resource from a request body
// (customresource_handler.go: unstructuredSchemaCoercer, then unstructuredDefaulter): metadata is read into
// ObjectMeta, unknown fields are pruned, nulls where the schema allows none and has no default are dropped,
// the metadata of embedded objects is coerced, and the schema's defaults are applied. Findings mean the API
// server refuses the body before anything else runs (metadata of the wrong type: labels: {version: 1}).
// Objects of no known CRD are returned unchanged.
func (c *CRDs) Decode(obj map[string]interface{}) (map[string]interface{}, []Finding) {
	v, ok := c.versions[gvkOf(obj)]
	if !ok || v.ready() != nil {
		return obj, nil
	}
	refused := func(fieldPath, message string) []Finding {
		return []Finding{{Stage: "schema", Webhook: v.crdName, Severity: "error", Field: fieldPath, Message: message, Operation: "CREATE"}}
	}
	obj = runtime.DeepCopyJSON(obj)
	objectMeta, foundMeta, err := schemaobjectmeta.GetObjectMeta(obj, false)
	if err != nil {
		return obj, refused(metadataField(err), err.Error())
	}
	apiVersion, kind := obj["apiVersion"], obj["kind"]
	structuralpruning.Prune(obj, v.structural, true)
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(obj, v.structural)
	if ferr := schemaobjectmeta.Coerce(nil, obj, v.structural, false, false); ferr != nil {
		return obj, refused(ferr.Field, ferr.ErrorBody())
	}
	obj["apiVersion"], obj["kind"] = apiVersion, kind
	if foundMeta {
		if err := schemaobjectmeta.SetObjectMeta(obj, objectMeta); err != nil {
			return obj, refused("metadata", err.Error())
		}
	}
	structuraldefaulting.Default(obj, v.structural)
	return obj, nil
}

// metadataField is where in metadata a JSON type error points ("metadata.labels" for "cannot unmarshal
// number into Go struct field ObjectMeta.labels of type string"): the Field of encoding/json's
// UnmarshalTypeError, or of sigs.k8s.io/json's copy of it, which the API server's decoder returns.
func metadataField(err error) string {
	v := reflect.ValueOf(err)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() == reflect.Struct {
		if f := v.FieldByName("Field"); f.IsValid() && f.Kind() == reflect.String && f.String() != "" {
			return "metadata." + f.String()
		}
	}
	return "metadata"
}

// generatedName is the name the API server gives an object that has only metadata.generateName (the
// registry does it before validation): the prefix, cut to 58 characters, and five random characters;
// five fixed ones from the same alphabet here, so that answers do not change from run to run.
func generatedName(base string) string {
	const maxGeneratedNameLength = 63 - 5
	if len(base) > maxGeneratedNameLength {
		base = base[:maxGeneratedNameLength]
	}
	return base + "bcdfg"
}

// placeInScope does what the registry does with an object's namespace and name before it validates a
// write: a namespaced object without a namespace lands in the request's ("default" for a client that names
// none), a cluster-scoped one loses the namespace it carries (kustomize's namespace: sets it on every kind
// it does not know), and an object with only generateName gets its generated name.
func (v *crdVersion) placeInScope(u *unstructured.Unstructured, namespace string) {
	if !v.namespaced {
		u.SetNamespace("")
	} else if u.GetNamespace() == "" {
		u.SetNamespace(namespace)
	}
	if u.GetName() == "" && u.GetGenerateName() != "" {
		u.SetName(generatedName(u.GetGenerateName()))
	}
}

// Validate runs the registry strategy's validation (OpenAPI schema with formats, embedded metadata,
// list-type invariants, CEL rules with the API server's cost budget) for CREATE, or UPDATE when old is given.
func (c *CRDs) Validate(obj, old map[string]interface{}, operation string) []Finding {
	v, ok := c.versions[gvkOf(obj)]
	if !ok {
		return nil
	}
	if err := v.ready(); err != nil {
		// A CRD the API server could not serve refuses every object: fail closed.
		return []Finding{{Stage: "schema", Webhook: v.crdName, Severity: "error", Message: err.Error(), Operation: operation}}
	}
	u := &unstructured.Unstructured{Object: runtime.DeepCopyJSON(obj)}
	v.placeInScope(u, "default")
	ctx := request.WithNamespace(context.Background(), u.GetNamespace())
	var errs field.ErrorList
	var warnings []string
	if old != nil {
		o := &unstructured.Unstructured{Object: runtime.DeepCopyJSON(old)}
		v.placeInScope(o, u.GetNamespace())
		// What a client's apply sends: the stored object's resourceVersion (the API server refuses an
		// update without one).
		if o.GetResourceVersion() == "" {
			o.SetResourceVersion("1")
		}
		if u.GetResourceVersion() == "" {
			u.SetResourceVersion(o.GetResourceVersion())
		}
		v.strategy.PrepareForUpdate(ctx, u, o)
		errs = v.strategy.ValidateUpdate(ctx, u, o)
		warnings = v.strategy.WarningsOnUpdate(ctx, u, o)
	} else {
		v.strategy.PrepareForCreate(ctx, u)
		errs = v.strategy.Validate(ctx, u)
		warnings = v.strategy.WarningsOnCreate(ctx, u)
	}
	celErrors := map[string]bool{}
	if len(errs) > 0 {
		v.celOnce.Do(func() { v.cel = cel.NewValidator(v.structural, true, celconfig.PerCallLimit) })
	}
	if len(errs) > 0 && v.cel != nil {
		// The strategy returns schema and CEL failures in one list; the CEL validator alone tells them apart.
		var oldObject interface{}
		if old != nil {
			oldObject = old
		}
		celErrs, _ := v.cel.Validate(ctx, nil, v.structural, u.Object, oldObject, celconfig.RuntimeCELCostBudget)
		for _, e := range celErrs {
			celErrors[e.Error()] = true
		}
	}
	var findings []Finding
	for _, e := range errs {
		stage := "schema"
		if celErrors[e.Error()] {
			stage = "cel"
		}
		fieldPath := e.Field
		if fieldPath == "<nil>" {
			// field.Invalid(nil, ...): the whole object ("some validation rules were not checked ...")
			fieldPath = ""
		}
		findings = append(findings, Finding{
			Stage:     stage,
			Webhook:   v.crdName,
			Severity:  "error",
			Field:     fieldPath,
			Message:   e.ErrorBody(),
			Operation: operation,
		})
	}
	for _, w := range warnings {
		findings = append(findings, Finding{Stage: "schema", Webhook: v.crdName, Severity: "warning", Message: w, Operation: operation})
	}
	return findings
}

func gvkOf(obj map[string]interface{}) schema.GroupVersionKind {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	return schema.FromAPIVersionAndKind(apiVersion, kind)
}
