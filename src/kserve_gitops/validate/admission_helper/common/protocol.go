// Package common is the part of the kserve-admission helper that does not depend on a KServe release: the
// JSON-lines protocol, the environment's objects as cluster state, and the API server's own CRD validation
// (apiextensions-apiserver: pruning, structural defaults, OpenAPI formats, CEL rules).
//
// Protocol: one JSON object per input line, {"object": {...}, "old": {...}|null}; one JSON object per output
// line, in input order, {"index": N, "findings": [...]}, then a last line {"done": N}. The Python side treats
// a missing line, a wrong count or a non-zero exit as a failed run, never as a pass.
package common

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"

	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// Request is one object of the environment; Old is the base commit's render of the same object (UPDATE).
type Request struct {
	Object map[string]interface{} `json:"object"`
	Old    map[string]interface{} `json:"old,omitempty"`
}

// Finding is one thing the API server would say about an object.
type Finding struct {
	// Stage is "schema" (OpenAPI schema and formats), "cel" (x-kubernetes-validations), "defaulter" or
	// "validator" (an admission webhook of KServe).
	Stage string `json:"stage"`
	// Webhook names the KServe webhook (as registered in its manifests), or the CRD for the schema stages.
	Webhook  string `json:"webhook"`
	Severity string `json:"severity"` // "error" or "warning"
	Field    string `json:"field,omitempty"`
	Message  string `json:"message"`
	// Operation is CREATE or UPDATE.
	Operation string `json:"operation"`
}

// Response is the helper's answer for one input line.
type Response struct {
	Index    int       `json:"index"`
	Findings []Finding `json:"findings"`
}

// ReadRequests reads every input line before anything is judged: the webhooks need the whole environment as
// cluster state (other runtimes, the InferenceService of a TrainedModel). Numbers are read as the API server
// reads a request body: a whole number becomes an int64, anything else a float64. (encoding/json would make
// every number a float64, and CEL refuses a float64 where the schema says integer: "invalid data, expected
// int, got float64" for every rule over an integer field.)
func ReadRequests(in io.Reader) ([]Request, error) {
	var requests []Request
	scanner := bufio.NewScanner(in)
	scanner.Buffer(make([]byte, 1024*1024), 256*1024*1024)
	line := 0
	for scanner.Scan() {
		line++
		if len(scanner.Bytes()) == 0 {
			continue
		}
		var req Request
		if err := utiljson.Unmarshal(scanner.Bytes(), &req); err != nil {
			return nil, fmt.Errorf("input line %d: %w", line, err)
		}
		if req.Object == nil {
			return nil, fmt.Errorf("input line %d: no \"object\"", line)
		}
		requests = append(requests, req)
	}
	return requests, scanner.Err()
}

// WriteResponses writes one line per request and the closing count.
func WriteResponses(out io.Writer, responses []Response) error {
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	for i := range responses {
		if responses[i].Findings == nil {
			responses[i].Findings = []Finding{}
		}
		if err := enc.Encode(responses[i]); err != nil {
			return err
		}
	}
	if err := enc.Encode(map[string]int{"done": len(responses)}); err != nil {
		return err
	}
	return w.Flush()
}
