package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/kube"
	ri "helm.sh/helm/v4/pkg/release"
	"helm.sh/helm/v4/pkg/release/common"
	release "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage/driver"
)

// ReleaseTarget is what every release operation shares: the cluster, where Helm keeps its records (Flux's
// storageNamespace), the release's name and its target namespace.
type ReleaseTarget struct {
	Kube             *KubeParams `json:"kube"`
	StorageNamespace string      `json:"storageNamespace,omitempty"`
	ReleaseName      string      `json:"releaseName"`
	Namespace        string      `json:"namespace"`
	// TimeoutMs bounds Helm's waits (readiness, hooks, tests); default 5 minutes as Flux's.
	TimeoutMs int64 `json:"timeoutMs,omitempty"`
}

// ActionOptions are the install/upgrade options Flux exposes (helm-controller's install/upgrade specs).
type ActionOptions struct {
	DisableWait              bool              `json:"disableWait,omitempty"`
	DisableWaitForJobs       bool              `json:"disableWaitForJobs,omitempty"`
	DisableHooks             bool              `json:"disableHooks,omitempty"`
	DisableOpenAPIValidation bool              `json:"disableOpenAPIValidation,omitempty"`
	SkipSchemaValidation     bool              `json:"skipSchemaValidation,omitempty"`
	CreateNamespace          bool              `json:"createNamespace,omitempty"`
	CRDs                     string            `json:"crds,omitempty"` // Skip | Create | CreateReplace (Flux's policies)
	Force                    bool              `json:"force,omitempty"`
	CleanupOnFail            bool              `json:"cleanupOnFail,omitempty"`
	MaxHistory               int               `json:"maxHistory,omitempty"`
	Description              string            `json:"description,omitempty"`
	Labels                   map[string]string `json:"labels,omitempty"`
	PostRender               bool              `json:"postRender,omitempty"`
	// ServerSideApply: "true", "false" or "auto" (Helm 4's default: keep what the release used).
	ServerSideApply string `json:"serverSideApply,omitempty"`
	// Install on upgrade when the release does not exist (helm upgrade --install).
	Install bool `json:"install,omitempty"`
	// ReuseValues merges the last release's values under the new ones on upgrade (Flux's upgrade.preserveValues);
	// otherwise the values are reset to the chart's and the request's, as helm-controller does.
	ReuseValues bool `json:"reuseValues,omitempty"`
}

type InstallParams struct {
	ReleaseTarget
	Chart ChartParams `json:"chart"`
	ValuesParams
	ActionOptions
}

// ReleaseInfo is a release as Flux's status.history and the UI need it; Config holds the user-supplied values and
// may contain secrets (the client never logs it).
type ReleaseInfo struct {
	Name          string         `json:"name"`
	Namespace     string         `json:"namespace"`
	Version       int            `json:"version"`
	Status        string         `json:"status"`
	Description   string         `json:"description,omitempty"`
	Chart         ChartInfo      `json:"chart"`
	FirstDeployed string         `json:"firstDeployed,omitempty"`
	LastDeployed  string         `json:"lastDeployed,omitempty"`
	Deleted       string         `json:"deleted,omitempty"`
	Notes         string         `json:"notes,omitempty"`
	Manifest      string         `json:"manifest,omitempty"`
	Hooks         []HookInfo     `json:"hooks"`
	Config        map[string]any `json:"config,omitempty"`
	ApplyMethod   string         `json:"applyMethod,omitempty"`
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func asHelmError(err error, he **HelmError) bool { return errors.As(err, he) }

func toRelease(r ri.Releaser) (*release.Release, error) {
	switch v := r.(type) {
	case *release.Release:
		return v, nil
	case release.Release:
		return &v, nil
	case nil:
		return nil, &HelmError{Code: CodeInternal, Message: "helm returned no release"}
	default:
		return nil, &HelmError{Code: CodeInternal, Message: fmt.Sprintf("unsupported release type %T", r)}
	}
}

func releaseInfo(r *release.Release, withManifest bool) ReleaseInfo {
	out := ReleaseInfo{Name: r.Name, Namespace: r.Namespace, Version: r.Version, Chart: chartInfo(r.Chart),
		Config: r.Config, ApplyMethod: r.ApplyMethod, Hooks: hookInfos(r.Hooks, false)}
	if r.Info != nil {
		out.Status = string(r.Info.Status)
		out.Description = r.Info.Description
		out.FirstDeployed = rfc3339(r.Info.FirstDeployed)
		out.LastDeployed = rfc3339(r.Info.LastDeployed)
		out.Deleted = rfc3339(r.Info.Deleted)
		out.Notes = r.Info.Notes
	}
	if withManifest {
		out.Manifest = r.Manifest
	}
	return out
}

func (t *ReleaseTarget) validate() error {
	if t.ReleaseName == "" {
		return &HelmError{Code: CodeBadRequest, Message: "releaseName is required"}
	}
	if len(t.ReleaseName) > 53 {
		return &HelmError{Code: CodeBadRequest, Message: fmt.Sprintf("release name %q is longer than 53 characters", t.ReleaseName)}
	}
	if t.Namespace == "" {
		t.Namespace = "default"
	}
	if t.StorageNamespace == "" {
		t.StorageNamespace = t.Namespace
	}
	return nil
}

func (t *ReleaseTarget) timeout() time.Duration {
	if t.TimeoutMs <= 0 {
		return 5 * time.Minute
	}
	return time.Duration(t.TimeoutMs) * time.Millisecond
}

// config builds Helm's action configuration for a target: kube client on the request's kubeconfig, the Secret
// storage driver in the storage namespace (so `helm ls -n <storageNamespace>` sees the releases).
func (t *ReleaseTarget) config() (*action.Configuration, error) {
	cfg, _, err := t.configAndGetter()
	return cfg, err
}

func (t *ReleaseTarget) configAndGetter() (*action.Configuration, *kubeGetter, error) {
	if err := t.validate(); err != nil {
		return nil, nil, err
	}
	if t.Kube == nil {
		return nil, nil, &HelmError{Code: CodeBadRequest, Message: "this operation needs kube.kubeconfig"}
	}
	kp := *t.Kube
	kp.Namespace = t.Namespace
	g, err := newGetter(&kp)
	if err != nil {
		return nil, nil, err
	}
	cfg := action.NewConfiguration()
	if err := cfg.Init(g, t.StorageNamespace, "secret"); err != nil {
		return nil, nil, wrap(CodeKubeUnreachable, err, "")
	}
	return cfg, g, nil
}

func waitStrategy(disable bool) kube.WaitStrategy {
	if disable {
		return kube.HookOnlyStrategy
	}
	return kube.StatusWatcherStrategy
}

// withDeadline gives Helm's own timeout a little room so that Helm reports which resource was not ready before the
// context ends the request.
func withDeadline(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d+30*time.Second)
}

func opInstall(ctx context.Context, c *call) (any, error) { return installOrUpgrade(ctx, c, false) }
func opUpgrade(ctx context.Context, c *call) (any, error) { return installOrUpgrade(ctx, c, true) }

func installOrUpgrade(ctx context.Context, c *call, upgrade bool) (any, error) {
	var p InstallParams
	if err := c.decode(&p); err != nil {
		return nil, err
	}
	cfg, g, err := p.configAndGetter()
	if err != nil {
		return nil, err
	}
	ch, err := loadChart(p.Chart)
	if err != nil {
		return nil, err
	}
	vals, err := mergeValues(p.ValuesParams)
	if err != nil {
		return nil, err
	}
	ctx, cancel := withDeadline(ctx, p.timeout())
	defer cancel()
	var pr *postRenderer
	if p.PostRender {
		pr = &postRenderer{ctx: ctx, c: c}
	}
	if upgrade {
		if _, herr := cfg.Releases.History(p.ReleaseName); errors.Is(herr, driver.ErrReleaseNotFound) {
			if !p.Install {
				return nil, &HelmError{Code: CodeReleaseNotFound, Message: fmt.Sprintf("release %s not found in namespace %s", p.ReleaseName, p.StorageNamespace)}
			}
			upgrade = false
		}
	}
	ownCRDs, err := applyCRDs(cfg, g, ch, p.CRDs, upgrade)
	if err != nil {
		return nil, err
	}
	skipCRDs := p.CRDs == "Skip" || ownCRDs
	var rel ri.Releaser
	if upgrade {
		u := action.NewUpgrade(cfg)
		u.Namespace = p.Namespace
		u.Timeout = p.timeout()
		u.WaitStrategy = waitStrategy(p.DisableWait)
		u.WaitForJobs = !p.DisableWait && !p.DisableWaitForJobs
		u.DisableHooks = p.DisableHooks
		u.DisableOpenAPIValidation = p.DisableOpenAPIValidation
		u.SkipSchemaValidation = p.SkipSchemaValidation
		u.ForceReplace = p.Force
		u.CleanupOnFail = p.CleanupOnFail
		u.MaxHistory = p.MaxHistory
		u.Description = p.Description
		u.Labels = p.Labels
		u.SkipCRDs = skipCRDs
		u.ReuseValues = p.ReuseValues
		u.ResetValues = !p.ReuseValues
		if p.ServerSideApply != "" {
			u.ServerSideApply = p.ServerSideApply
		}
		if pr != nil {
			u.PostRenderer = pr
			u.PostRenderStrategy = action.PostRenderStrategyNoHooks
		}
		rel, err = u.RunWithContext(ctx, p.ReleaseName, ch, vals)
	} else {
		i := action.NewInstall(cfg)
		i.ReleaseName = p.ReleaseName
		i.Namespace = p.Namespace
		i.Timeout = p.timeout()
		i.WaitStrategy = waitStrategy(p.DisableWait)
		i.WaitForJobs = !p.DisableWait && !p.DisableWaitForJobs
		i.DisableHooks = p.DisableHooks
		i.DisableOpenAPIValidation = p.DisableOpenAPIValidation
		i.SkipSchemaValidation = p.SkipSchemaValidation
		i.CreateNamespace = p.CreateNamespace
		i.SkipCRDs = skipCRDs
		i.Description = p.Description
		i.Labels = p.Labels
		i.ForceReplace = p.Force
		if p.ServerSideApply == "false" {
			i.ServerSideApply = false
		}
		if pr != nil {
			i.PostRenderer = pr
			i.PostRenderStrategy = action.PostRenderStrategyNoHooks
		}
		rel, err = i.RunWithContext(ctx, ch, vals)
	}
	return releaseResult(rel, err, true)
}

// releaseResult returns the release, or a typed error that still names the failed revision, so the client can
// record it in Flux's history before remediating.
func releaseResult(rel ri.Releaser, err error, withManifest bool) (any, error) {
	if err != nil {
		he := &HelmError{Code: CodeReleaseFailed, Message: err.Error(), cause: err}
		var typed *HelmError
		if errors.As(err, &typed) {
			he.Code = typed.Code
		} else if isRenderError(err) {
			return nil, renderError(err)
		}
		if r, cerr := toRelease(rel); cerr == nil && r != nil {
			he.details()["revision"] = strconv.Itoa(r.Version)
			if r.Info != nil {
				he.details()["status"] = string(r.Info.Status)
			}
		}
		return nil, he
	}
	r, err := toRelease(rel)
	if err != nil {
		return nil, err
	}
	return releaseInfo(r, withManifest), nil
}

func isRenderError(err error) bool {
	ce := classify(context.Background(), err)
	return ce.Code == CodeRenderFailed || ce.Code == CodeValuesInvalid
}

type RollbackParams struct {
	ReleaseTarget
	// Version to roll back to; 0 means the previous release.
	Version       int  `json:"version,omitempty"`
	DisableWait   bool `json:"disableWait,omitempty"`
	DisableHooks  bool `json:"disableHooks,omitempty"`
	Force         bool `json:"force,omitempty"`
	CleanupOnFail bool `json:"cleanupOnFail,omitempty"`
	MaxHistory    int  `json:"maxHistory,omitempty"`
}

func opRollback(ctx context.Context, c *call) (any, error) {
	var p RollbackParams
	if err := c.decode(&p); err != nil {
		return nil, err
	}
	cfg, err := p.config()
	if err != nil {
		return nil, err
	}
	r := action.NewRollback(cfg)
	r.Version = p.Version
	r.Timeout = p.timeout()
	r.WaitStrategy = waitStrategy(p.DisableWait)
	r.WaitForJobs = !p.DisableWait
	r.DisableHooks = p.DisableHooks
	r.ForceReplace = p.Force
	r.CleanupOnFail = p.CleanupOnFail
	r.MaxHistory = p.MaxHistory
	// Rollback has no context parameter in Helm 4.3; the request deadline still cancels the wait through Timeout.
	if err := runCancellable(ctx, func() error { return r.Run(p.ReleaseName) }); err != nil {
		return nil, err
	}
	last, err := cfg.Releases.Last(p.ReleaseName)
	if err != nil {
		return nil, err
	}
	return releaseResult(last, nil, false)
}

type UninstallParams struct {
	ReleaseTarget
	KeepHistory         bool   `json:"keepHistory,omitempty"`
	DisableHooks        bool   `json:"disableHooks,omitempty"`
	DisableWait         bool   `json:"disableWait,omitempty"`
	DeletionPropagation string `json:"deletionPropagation,omitempty"`
	IgnoreNotFound      bool   `json:"ignoreNotFound,omitempty"`
}

func opUninstall(ctx context.Context, c *call) (any, error) {
	var p UninstallParams
	if err := c.decode(&p); err != nil {
		return nil, err
	}
	cfg, err := p.config()
	if err != nil {
		return nil, err
	}
	u := action.NewUninstall(cfg)
	u.KeepHistory = p.KeepHistory
	u.DisableHooks = p.DisableHooks
	u.WaitStrategy = waitStrategy(p.DisableWait)
	u.Timeout = p.timeout()
	u.IgnoreNotFound = p.IgnoreNotFound
	u.DeletionPropagation = p.DeletionPropagation
	if u.DeletionPropagation == "" {
		u.DeletionPropagation = "background"
	}
	var res *ri.UninstallReleaseResponse
	err = runCancellable(ctx, func() error {
		var e error
		res, e = u.Run(p.ReleaseName)
		return e
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{"info": ""}
	if res != nil {
		out["info"] = res.Info
		if r, cerr := toRelease(res.Release); cerr == nil && r != nil {
			out["release"] = releaseInfo(r, false)
		}
	}
	return out, nil
}

type TestParams struct {
	ReleaseTarget
	// Filters as `helm test --filter`: keys "name" and "!name".
	Filters map[string][]string `json:"filters,omitempty"`
}

func opTest(ctx context.Context, c *call) (any, error) {
	var p TestParams
	if err := c.decode(&p); err != nil {
		return nil, err
	}
	cfg, err := p.config()
	if err != nil {
		return nil, err
	}
	t := action.NewReleaseTesting(cfg)
	t.Timeout = p.timeout()
	t.Namespace = p.Namespace
	t.Filters = p.Filters
	var rel ri.Releaser
	err = runCancellable(ctx, func() error {
		var shutdown action.ExecuteShutdownFunc
		var e error
		rel, shutdown, e = t.Run(p.ReleaseName)
		if shutdown != nil {
			_ = shutdown()
		}
		return e
	})
	return releaseResult(rel, err, false)
}

type QueryParams struct {
	ReleaseTarget
	Max          int  `json:"max,omitempty"`
	WithManifest bool `json:"withManifest,omitempty"`
}

func opHistory(_ context.Context, c *call) (any, error) {
	var p QueryParams
	if err := c.decode(&p); err != nil {
		return nil, err
	}
	cfg, err := p.config()
	if err != nil {
		return nil, err
	}
	h := action.NewHistory(cfg)
	h.Max = p.Max
	if h.Max <= 0 {
		h.Max = 256
	}
	rels, err := h.Run(p.ReleaseName)
	if err != nil {
		return nil, err
	}
	out := make([]ReleaseInfo, 0, len(rels))
	for _, rr := range rels {
		r, err := toRelease(rr)
		if err != nil {
			return nil, err
		}
		out = append(out, releaseInfo(r, p.WithManifest))
	}
	return map[string]any{"releases": out}, nil
}

// lastRelease decodes a query and reads the latest release record of its release from storage.
func lastRelease(c *call) (QueryParams, *action.Configuration, ri.Releaser, error) {
	var p QueryParams
	if err := c.decode(&p); err != nil {
		return p, nil, nil, err
	}
	cfg, err := p.config()
	if err != nil {
		return p, nil, nil, err
	}
	rel, err := cfg.Releases.Last(p.ReleaseName)
	return p, cfg, rel, err
}

func opStatus(_ context.Context, c *call) (any, error) {
	p, _, rel, err := lastRelease(c)
	if err != nil {
		return nil, err
	}
	return releaseResult(rel, nil, p.WithManifest)
}

// runCancellable runs a Helm action that takes no context, returning early on cancellation. The action goes on in
// its goroutine until Helm's own timeout ends it; what matters to the client is a prompt answer.
func runCancellable(ctx context.Context, fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// opUnlock is helm-controller's Unlock: a release left pending (pending-install/upgrade/rollback, when the process
// acting on it died) blocks every further Helm action with "another operation is in progress"; it is marked failed
// with Flux's description and stored again, so the caller's remediation can act on it. A release that is not pending
// is returned as it is (`unlocked: false`).
func opUnlock(_ context.Context, c *call) (any, error) {
	_, cfg, last, err := lastRelease(c)
	if err != nil {
		return nil, err
	}
	rel, err := toRelease(last)
	if err != nil {
		return nil, err
	}
	if rel.Info == nil || !rel.Info.Status.IsPending() {
		return UnlockResult{Unlocked: false, Release: releaseInfo(rel, false)}, nil
	}
	was := rel.Info.Status
	rel.SetStatus(common.StatusFailed, fmt.Sprintf("Release unlocked from stale '%s' state", was.String()))
	if err := cfg.Releases.Update(rel); err != nil {
		return nil, classify(context.Background(), err)
	}
	return UnlockResult{Unlocked: true, Previous: string(was), Release: releaseInfo(rel, false)}, nil
}

type UnlockResult struct {
	Unlocked bool        `json:"unlocked"`
	Previous string      `json:"previous,omitempty"`
	Release  ReleaseInfo `json:"release"`
}
