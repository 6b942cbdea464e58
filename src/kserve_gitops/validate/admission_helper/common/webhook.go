package common

import (
	"encoding/json"
	"errors"

	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	kjson "sigs.k8s.io/json"
)

// Hook names one KServe webhook as its manifests register it, for the findings it produces.
type Hook struct {
	Name      string
	Stage     string // "defaulter" or "validator"
	Operation string
}

// Denied turns a webhook's error into findings, word for word: one per cause where the error is an API
// status with causes (field errors), else one for the whole message.
func (h Hook) Denied(err error) []Finding {
	if err == nil {
		return nil
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		if details := status.Status().Details; details != nil && len(details.Causes) > 0 {
			var findings []Finding
			for _, cause := range details.Causes {
				findings = append(findings, h.finding("error", cause.Field, cause.Message))
			}
			return findings
		}
	}
	return []Finding{h.finding("error", "", err.Error())}
}

// Warned turns a webhook's warnings into findings.
func (h Hook) Warned(warnings []string) []Finding {
	var findings []Finding
	for _, w := range warnings {
		findings = append(findings, h.finding("warning", "", w))
	}
	return findings
}

// Result is what a CustomValidator answers.
func (h Hook) Result(warnings []string, err error) []Finding {
	return append(h.Warned(warnings), h.Denied(err)...)
}

// Response turns a raw admission.Handler's answer into findings.
func (h Hook) Response(resp admission.Response) []Finding {
	findings := h.Warned(resp.Warnings)
	if !resp.Allowed {
		message := "denied"
		if resp.Result != nil && resp.Result.Message != "" {
			message = resp.Result.Message
		}
		findings = append(findings, h.finding("error", "", message))
	}
	return findings
}

func (h Hook) finding(severity, fieldPath, message string) Finding {
	return Finding{Stage: h.Stage, Webhook: h.Name, Severity: severity, Field: fieldPath, Message: message, Operation: h.Operation}
}

// AdmissionRequest builds the request a raw admission.Handler (the ServingRuntime validators) receives.
func AdmissionRequest(obj, old map[string]interface{}, operation string) (admission.Request, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return admission.Request{}, err
	}
	u := &unstructured.Unstructured{Object: obj}
	gvk := u.GroupVersionKind()
	req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		Operation: admissionv1.Operation(operation),
		Kind:      metaGVK(gvk),
		Name:      u.GetName(),
		Namespace: u.GetNamespace(),
		Object:    runtime.RawExtension{Raw: raw},
	}}
	if old != nil {
		if req.OldObject.Raw, err = json.Marshal(old); err != nil {
			return admission.Request{}, err
		}
	}
	return req, nil
}

func metaGVK(gvk schema.GroupVersionKind) metav1.GroupVersionKind {
	return metav1.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind}
}

// FromUnstructured fills a typed KServe object from the JSON form the way a webhook server decodes its
// request (controller-runtime's admission.Decoder: case-sensitive JSON, no defaulting), so what the
// decoder refuses, such as 99999999999 in an int32 field, is refused here too.
func FromUnstructured(obj map[string]interface{}, typed interface{}) error {
	raw, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	return kjson.UnmarshalCaseSensitivePreserveInts(raw, typed)
}

// ToUnstructured is the reverse, for the stages after a mutating webhook.
func ToUnstructured(typed interface{}) (map[string]interface{}, error) {
	return runtime.DefaultUnstructuredConverter.ToUnstructured(typed)
}
