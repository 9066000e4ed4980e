package main

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"

	"helm.sh/helm/v4/pkg/storage/driver"
)

// Error codes are part of the protocol: the TypeScript side maps them to Flux's reasons and remediation paths.
const (
	CodeBadRequest       = "BadRequest"       // malformed request or params
	CodeChartNotFound    = "ChartNotFound"    // no chart at the path, name or version asked for
	CodeChartInvalid     = "ChartInvalid"     // the chart cannot be loaded (bad Chart.yaml, missing deps, too large)
	CodeValuesInvalid    = "ValuesInvalid"    // values fail the chart's values.schema.json or cannot be parsed
	CodeRenderFailed     = "RenderFailed"     // a template error, `required` or `fail`; the message names template and line
	CodeReleaseNotFound  = "ReleaseNotFound"  // no release of that name in the storage namespace
	CodeReleaseLocked    = "ReleaseLocked"    // another install/upgrade/rollback is pending on the release
	CodeReleaseFailed    = "ReleaseFailed"    // the action ran and failed (a resource, a hook, a test)
	CodeTimeout          = "Timeout"          // waiting for readiness, hooks or tests ran out of time
	CodeUnauthorized     = "Unauthorized"     // a chart repository or registry refused the credentials
	CodeRepoUnreachable  = "RepoUnreachable"  // a chart repository or registry could not be reached
	CodeKubeUnreachable  = "KubeUnreachable"  // the cluster could not be reached or the kubeconfig is unusable
	CodeForbidden        = "Forbidden"        // the cluster refused the (impersonated) identity
	CodeCanceled         = "Canceled"         // the client cancelled the request
	CodePostRenderFailed = "PostRenderFailed" // the client's post-renderer callback failed
	CodeTooLarge         = "TooLarge"         // a chart or download exceeds the size limit
	CodeInternal         = "Internal"
)

// HelmError is the error shape on the wire. Details carry structured extras (the failing resource, the template).
type HelmError struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Details map[string]string `json:"details,omitempty"`
	cause   error
}

func (e *HelmError) Error() string { return e.Message }
func (e *HelmError) Unwrap() error { return e.cause }

func wrap(code string, err error, prefix string) *HelmError {
	msg := err.Error()
	if prefix != "" {
		msg = prefix + ": " + msg
	}
	return &HelmError{Code: code, Message: msg, cause: err}
}

var (
	templateLocation = regexp.MustCompile(`(?m)(?:template: |execution error at \(|parse error at \(|^)([^:\s()]+):(\d+)(?::(\d+))?`)
	failingResource  = regexp.MustCompile(`(?i)resource ([A-Za-z0-9]+/[a-z0-9.\-]+(?:/[a-z0-9.\-]+)?)`)
)

// classify maps what Helm returned to a typed error. Helm's errors are mostly wrapped strings, so besides errors.Is
// the message is matched on the phrases Helm itself uses; anything unrecognised keeps its message under its
// operation's default code (set by the operation through wrap) or Internal.
func classify(ctx context.Context, err error) *HelmError {
	if errors.Is(err, context.Canceled) && errors.Is(ctx.Err(), context.Canceled) {
		return &HelmError{Code: CodeCanceled, Message: "request cancelled: " + err.Error()}
	}
	var he *HelmError
	msg := err.Error()
	out := &HelmError{Code: CodeInternal, Message: msg}
	if errors.As(err, &he) {
		out.Code = he.Code
		out.Details = he.Details
	}
	if out.Code == CodeInternal || out.Code == CodeReleaseFailed {
		out.Code = codeFromMessage(err, msg, out.Code)
	}
	if m := templateLocation.FindStringSubmatch(msg); m != nil {
		out.details()["template"] = m[1]
		out.details()["line"] = m[2]
	}
	if m := failingResource.FindStringSubmatch(msg); m != nil && out.Code != CodeRenderFailed {
		out.details()["resource"] = m[1]
	}
	return out
}

// codeFromMessage recognises Helm's failures by the phrases Helm uses, keeping fallback when none matches.
func codeFromMessage(err error, msg, fallback string) string {
	switch {
	case errors.Is(err, driver.ErrReleaseNotFound) || strings.Contains(msg, "release: not found"):
		return CodeReleaseNotFound
	case strings.Contains(msg, "another operation (install/upgrade/rollback) is in progress"):
		return CodeReleaseLocked
	case errors.Is(err, context.DeadlineExceeded) || strings.Contains(msg, "timed out waiting") ||
		strings.Contains(msg, "context deadline exceeded"):
		return CodeTimeout
	case strings.Contains(msg, "is forbidden: User"):
		return CodeForbidden
	case strings.Contains(msg, "values don't meet the specifications of the schema"):
		return CodeValuesInvalid
	case strings.Contains(msg, "execution error at") || strings.Contains(msg, "parse error at"):
		return CodeRenderFailed
	case errors.Is(err, os.ErrNotExist):
		return CodeChartNotFound
	case strings.Contains(msg, "cluster reachability check failed") || strings.Contains(msg, "connection refused") ||
		strings.Contains(msg, "Kubernetes cluster unreachable"):
		return CodeKubeUnreachable
	}
	return fallback
}

func (e *HelmError) details() map[string]string {
	if e.Details == nil {
		e.Details = map[string]string{}
	}
	return e.Details
}
