package common

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"k8s.io/klog/v2"
)

// Options are the helper's flags: what the environment's cluster is configured with.
type Options struct {
	// DeploymentMode is the environment's KServe deployment mode (deploy.defaultDeploymentMode).
	DeploymentMode string
	// ConfigFile is an inferenceservice-config ConfigMap to use instead of the release's own.
	ConfigFile string
	CRDFiles   []string
}

// Webhooks is one KServe release's admission webhooks, bound to the environment's objects as cluster state.
type Webhooks interface {
	// Default runs the mutating webhooks that match obj and returns the mutated object; findings with
	// severity "error" mean the webhook refused it.
	Default(ctx context.Context, obj map[string]interface{}, operation string) (map[string]interface{}, []Finding)
	// Validate runs the validating webhooks that match obj (old is nil on CREATE).
	Validate(ctx context.Context, obj, old map[string]interface{}, operation string) []Finding
}

// NewWebhooks builds a release's webhooks from the options and every object of the environment.
type NewWebhooks func(opts Options, cluster []map[string]interface{}) (Webhooks, error)

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// Main is the helper's whole life: flags, every input line, one answer per line, exit 0; exit 2 on bad input.
func Main(release string, newWebhooks NewWebhooks) {
	var opts Options
	var crds stringList
	fs := flag.NewFlagSet("kserve-admission", flag.ExitOnError)
	fs.StringVar(&opts.DeploymentMode, "deployment-mode", "", "the environment's KServe deployment mode")
	fs.StringVar(&opts.ConfigFile, "config", "", "an inferenceservice-config ConfigMap (YAML) instead of the release's own")
	fs.Var(&crds, "crd", "a file of CRDs whose schemas and CEL rules apply (repeatable)")
	version := fs.Bool("version", false, "print the KServe release this helper runs and exit")
	_ = fs.Parse(os.Args[1:])
	if *version {
		fmt.Println(release)
		return
	}
	opts.CRDFiles = crds
	// KServe's webhooks log every call; the helper's stdout is the protocol and stderr is for failures.
	klog.SetOutput(io.Discard)
	// A short-lived batch process: fewer collections for a bit more memory.
	debug.SetGCPercent(400)
	klog.LogToStderr(false)
	if path := os.Getenv("KSERVE_ADMISSION_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			_ = pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	if err := run(opts, newWebhooks, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kserve-admission:", err)
		pprof.StopCPUProfile()
		os.Exit(2)
	}
}

func run(opts Options, newWebhooks NewWebhooks, in io.Reader, out io.Writer) error {
	trace := newTrace()
	requests, err := ReadRequests(in)
	if err != nil {
		return err
	}
	trace.mark("read %d requests", len(requests))
	crds, err := LoadCRDs(opts.CRDFiles)
	if err != nil {
		return err
	}
	trace.mark("loaded CRDs")
	cluster := make([]map[string]interface{}, len(requests))
	for i := range requests {
		cluster[i] = requests[i].Object
	}
	webhooks, err := newWebhooks(opts, cluster)
	if err != nil {
		return err
	}
	trace.mark("cluster state")
	ctx := context.Background()
	responses := make([]Response, len(requests))
	// Objects are independent once the cluster state is built: admit them on every core.
	var wg sync.WaitGroup
	next := make(chan int, len(requests))
	for i := range requests {
		next <- i
	}
	close(next)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				responses[i] = Response{Index: i, Findings: Admit(ctx, crds, webhooks, requests[i], opts.DeploymentMode)}
			}
		}()
	}
	wg.Wait()
	trace.mark("admitted")
	return WriteResponses(out, responses)
}

// Admit runs one object through the API server's order for a write: decoding (pruning and schema
// defaults), mutating webhooks, decoding again, schema and CEL validation, validating webhooks. Like the
// API server, it stops at the first stage that refuses the object.
func Admit(ctx context.Context, crds *CRDs, webhooks Webhooks, req Request, deploymentMode string) []Finding {
	operation := "CREATE"
	var old map[string]interface{}
	if req.Old != nil {
		operation = "UPDATE"
		// The stored object went through the same defaulting when it was written.
		old, _ = crds.Decode(req.Old)
		old, _ = defaultSafely(ctx, webhooks, old, "CREATE")
		old, _ = crds.Decode(old)
		recordStatus(old, deploymentMode)
	}
	obj, findings := crds.Decode(req.Object)
	if hasError(findings) {
		return withOperation(findings, operation)
	}
	obj, findings = defaultSafely(ctx, webhooks, obj, operation)
	if hasError(findings) {
		return findings
	}
	obj, decodeFindings := crds.Decode(obj)
	if hasError(decodeFindings) {
		return append(findings, withOperation(decodeFindings, operation)...)
	}
	schemaFindings := crds.Validate(obj, old, operation)
	findings = append(findings, schemaFindings...)
	if hasError(schemaFindings) {
		return findings
	}
	return append(findings, validateSafely(ctx, webhooks, obj, old, operation)...)
}

// defaultSafely and validateSafely call KServe's webhooks the way controller-runtime serves them: a panic
// in KServe's code is recovered and answered as an error ("panic: ... [recovered]"), which the API server
// reports as the webhook denying the request (KServe's webhooks fail closed). One object's panic never
// takes the others' verdicts with it.
func defaultSafely(ctx context.Context, webhooks Webhooks, obj map[string]interface{}, operation string) (out map[string]interface{}, findings []Finding) {
	defer func() {
		if r := recover(); r != nil {
			out, findings = obj, []Finding{panicked(obj, "defaulter", operation, r)}
		}
	}()
	return webhooks.Default(ctx, obj, operation)
}

func validateSafely(ctx context.Context, webhooks Webhooks, obj, old map[string]interface{}, operation string) (findings []Finding) {
	defer func() {
		if r := recover(); r != nil {
			findings = []Finding{panicked(obj, "validator", operation, r)}
		}
	}()
	return webhooks.Validate(ctx, obj, old, operation)
}

// panicked names the webhook as KServe's manifests do: <kind, lower case>.kserve-webhook-server.<stage>.
func panicked(obj map[string]interface{}, stage, operation string, r interface{}) Finding {
	hook := Hook{Name: strings.ToLower(GVKOf(obj).Kind) + ".kserve-webhook-server." + stage, Stage: stage, Operation: operation}
	return hook.finding("error", "", fmt.Sprintf("panic: %v [recovered]", r))
}

// recordStatus adds to a stored InferenceService what KServe's controller records once it has deployed
// it, and what the UPDATE webhook compares against: status.deploymentMode, the mode it runs in (the
// annotation the defaulter left, else the cluster's default).
func recordStatus(stored map[string]interface{}, defaultMode string) {
	if GVKOf(stored).Kind != "InferenceService" || GVKOf(stored).Group != "serving.kserve.io" {
		return
	}
	status, _ := stored["status"].(map[string]interface{})
	if status == nil {
		status = map[string]interface{}{}
	}
	if _, ok := status["deploymentMode"]; ok {
		return
	}
	mode := defaultMode
	if meta, ok := stored["metadata"].(map[string]interface{}); ok {
		if annotations, ok := meta["annotations"].(map[string]interface{}); ok {
			if m, ok := annotations["serving.kserve.io/deploymentMode"].(string); ok && m != "" {
				mode = m
			}
		}
	}
	if mode != "" {
		status["deploymentMode"] = mode
		stored["status"] = status
	}
}

func withOperation(findings []Finding, operation string) []Finding {
	for i := range findings {
		findings[i].Operation = operation
	}
	return findings
}

func hasError(findings []Finding) bool {
	for _, f := range findings {
		if f.Severity == "error" {
			return true
		}
	}
	return false
}

// trace prints phase times to stderr when KSERVE_ADMISSION_TRACE is set (for benchmarks/).
type trace struct {
	on   bool
	last time.Time
}

func newTrace() *trace {
	return &trace{on: os.Getenv("KSERVE_ADMISSION_TRACE") != "", last: time.Now()}
}

func (t *trace) mark(format string, args ...interface{}) {
	if !t.on {
		return
	}
	now := time.Now()
	fmt.Fprintf(os.Stderr, "kserve-admission: %s: %s\n", fmt.Sprintf(format, args...), now.Sub(t.last).Round(time.Millisecond))
	t.last = now
}
