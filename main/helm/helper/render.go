package main

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	release "helm.sh/helm/v4/pkg/release/v1"
)

// TemplateParams mirrors `helm template` (client-side only: no cluster, Helm's default capabilities unless given).
type TemplateParams struct {
	Chart ChartParams `json:"chart"`
	ValuesParams
	ReleaseName          string   `json:"releaseName"`
	Namespace            string   `json:"namespace"`
	KubeVersion          string   `json:"kubeVersion,omitempty"`
	APIVersions          []string `json:"apiVersions,omitempty"`
	IncludeCRDs          bool     `json:"includeCRDs,omitempty"`
	IsUpgrade            bool     `json:"isUpgrade,omitempty"`
	SkipTests            bool     `json:"skipTests,omitempty"`
	DisableHooks         bool     `json:"disableHooks,omitempty"`
	SkipSchemaValidation bool     `json:"skipSchemaValidation,omitempty"`
	// PostRender asks the client (by a postRender callback) to transform the manifest; hooks are not post-rendered,
	// as Flux does.
	PostRender bool `json:"postRender,omitempty"`
}

type ChartInfo struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	AppVersion string `json:"appVersion,omitempty"`
}

type HookInfo struct {
	Name           string   `json:"name"`
	Kind           string   `json:"kind"`
	Path           string   `json:"path"`
	Events         []string `json:"events"`
	Weight         int      `json:"weight"`
	DeletePolicies []string `json:"deletePolicies,omitempty"`
	Manifest       string   `json:"manifest,omitempty"`
	LastRun        *HookRun `json:"lastRun,omitempty"`
}

type HookRun struct {
	StartedAt   string `json:"startedAt,omitempty"`
	CompletedAt string `json:"completedAt,omitempty"`
	Phase       string `json:"phase"`
}

type TemplateResult struct {
	Chart    ChartInfo  `json:"chart"`
	Manifest string     `json:"manifest"`
	Hooks    []HookInfo `json:"hooks"`
	Notes    string     `json:"notes,omitempty"`
	// Output is the stream `helm template` prints for the same input, byte for byte.
	Output string `json:"output"`
}

func chartInfo(ch *chart.Chart) ChartInfo {
	if ch == nil || ch.Metadata == nil {
		return ChartInfo{}
	}
	return ChartInfo{Name: ch.Metadata.Name, Version: ch.Metadata.Version, AppVersion: ch.Metadata.AppVersion}
}

func hookInfos(hs []*release.Hook, withManifest bool) []HookInfo {
	out := make([]HookInfo, 0, len(hs))
	for _, h := range hs {
		hi := HookInfo{Name: h.Name, Kind: h.Kind, Path: h.Path, Weight: h.Weight}
		for _, e := range h.Events {
			hi.Events = append(hi.Events, string(e))
		}
		for _, d := range h.DeletePolicies {
			hi.DeletePolicies = append(hi.DeletePolicies, string(d))
		}
		if withManifest {
			hi.Manifest = h.Manifest
		}
		if !h.LastRun.StartedAt.IsZero() || h.LastRun.Phase != "" {
			hi.LastRun = &HookRun{Phase: string(h.LastRun.Phase), StartedAt: rfc3339(h.LastRun.StartedAt), CompletedAt: rfc3339(h.LastRun.CompletedAt)}
		}
		out = append(out, hi)
	}
	return out
}

// postRenderer sends Helm's rendered manifests to the client and takes back what Flux's post-renderers made of them.
type postRenderer struct {
	ctx context.Context
	c   *call
}

func (p *postRenderer) Run(in *bytes.Buffer) (*bytes.Buffer, error) {
	out, err := p.c.srv.callback(p.ctx, p.c.id, "postRender", in.String())
	if err != nil {
		return nil, err
	}
	return bytes.NewBufferString(out), nil
}

func opTemplate(ctx context.Context, c *call) (any, error) {
	var p TemplateParams
	if err := c.decode(&p); err != nil {
		return nil, err
	}
	if p.ReleaseName == "" {
		p.ReleaseName = "release-name"
	}
	if p.Namespace == "" {
		p.Namespace = "default"
	}
	ch, err := loadChart(p.Chart)
	if err != nil {
		return nil, err
	}
	vals, err := mergeValues(p.ValuesParams)
	if err != nil {
		return nil, err
	}
	inst := action.NewInstall(action.NewConfiguration())
	inst.DryRunStrategy = action.DryRunClient
	inst.ReleaseName = p.ReleaseName
	inst.Namespace = p.Namespace
	inst.Replace = true
	inst.IncludeCRDs = p.IncludeCRDs
	inst.IsUpgrade = p.IsUpgrade
	inst.DisableHooks = p.DisableHooks
	inst.SkipSchemaValidation = p.SkipSchemaValidation
	inst.APIVersions = common.VersionSet(p.APIVersions)
	if p.KubeVersion != "" {
		kv, err := common.ParseKubeVersion(p.KubeVersion)
		if err != nil {
			return nil, &HelmError{Code: CodeBadRequest, Message: fmt.Sprintf("invalid kubeVersion %q: %v", p.KubeVersion, err)}
		}
		inst.KubeVersion = kv
	}
	if p.PostRender {
		inst.PostRenderer = &postRenderer{ctx: ctx, c: c}
		inst.PostRenderStrategy = action.PostRenderStrategyNoHooks
	}
	rel, err := inst.RunWithContext(ctx, ch, vals)
	if err != nil {
		return nil, renderError(err)
	}
	r, err := toRelease(rel)
	if err != nil {
		return nil, err
	}
	return TemplateResult{
		Chart:    chartInfo(ch),
		Manifest: r.Manifest,
		Hooks:    hookInfos(r.Hooks, true),
		Notes:    r.Info.Notes,
		Output:   templateOutput(r, p.DisableHooks, p.SkipTests),
	}, nil
}

// templateOutput is pkg/cmd/template.go's printing without --output-dir or --show-only.
func templateOutput(r *release.Release, disableHooks, skipTests bool) string {
	var b strings.Builder
	fmt.Fprintln(&b, strings.TrimSpace(r.Manifest))
	if !disableHooks {
		for _, h := range r.Hooks {
			if skipTests && slices.Contains(h.Events, release.HookTest) {
				continue
			}
			fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", h.Path, h.Manifest)
		}
	}
	return b.String()
}

// renderError types errors from rendering: schema, template, post-renderer.
func renderError(err error) error {
	var he *HelmError
	if asHelmError(err, &he) {
		return err
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "values don't meet the specifications of the schema"):
		return wrap(CodeValuesInvalid, err, "")
	case strings.Contains(msg, "error while running post render"):
		return wrap(CodePostRenderFailed, err, "")
	}
	return wrap(CodeRenderFailed, err, "")
}
