package main

import (
	"fmt"
	"os"
	"strings"

	"helm.sh/helm/v4/pkg/action"
	ci "helm.sh/helm/v4/pkg/chart"
	"helm.sh/helm/v4/pkg/chart/loader/archive"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"sigs.k8s.io/yaml"
)

// maxChartBytes bounds a chart (archive, or the sum of a directory's files) and Helm's own decompressed-size limit.
// Charts are small; anything near this is a mistake or an attack.
const maxChartBytes = 50 << 20

func init() { archive.MaxDecompressedChartSize = maxChartBytes }

// ChartParams names a chart on local disk: a directory or a .tgz. The TypeScript side fetches sources (Git, Helm
// repositories, OCI) into its artifact store; the helper only reads them.
type ChartParams struct {
	Path string `json:"path"`
}

// ValuesParams is Helm's values layering: files in order, then the inline object on top (Flux has already merged
// valuesFrom and values into Values; ValuesFiles serve `helm template -f` parity and HelmChart valuesFiles).
type ValuesParams struct {
	ValuesFiles []string       `json:"valuesFiles,omitempty"`
	Values      map[string]any `json:"values,omitempty"`
}

func loadChart(p ChartParams) (*chart.Chart, error) {
	if p.Path == "" {
		return nil, &HelmError{Code: CodeBadRequest, Message: "chart.path is required"}
	}
	fi, err := os.Stat(p.Path)
	if err != nil {
		return nil, &HelmError{Code: CodeChartNotFound, Message: fmt.Sprintf("no chart at %s", p.Path), cause: err}
	}
	if !fi.IsDir() && fi.Size() > maxChartBytes {
		return nil, &HelmError{Code: CodeTooLarge, Message: fmt.Sprintf("chart %s is %d bytes, over the %d byte limit", p.Path, fi.Size(), maxChartBytes)}
	}
	ch, err := loader.Load(p.Path)
	if err != nil {
		code := CodeChartInvalid
		if strings.Contains(err.Error(), "exceeds") || strings.Contains(err.Error(), "too large") {
			code = CodeTooLarge
		}
		return nil, wrap(code, err, "loading chart "+p.Path)
	}
	if err := ch.Validate(); err != nil {
		return nil, wrap(CodeChartInvalid, err, "chart "+p.Path)
	}
	if ch.Metadata.Type != "" && ch.Metadata.Type != "application" {
		return nil, &HelmError{Code: CodeChartInvalid, Message: fmt.Sprintf("chart %s is a %s chart and cannot be installed", ch.Name(), ch.Metadata.Type)}
	}
	if reqs := ch.Metadata.Dependencies; len(reqs) > 0 {
		deps := make([]ci.Dependency, 0, len(reqs))
		for _, d := range reqs {
			deps = append(deps, d)
		}
		if err := action.CheckDependencies(ch, deps); err != nil {
			return nil, wrap(CodeChartInvalid, err, "chart "+ch.Name()+" is missing dependencies (run the dependencies operation)")
		}
	}
	return ch, nil
}

func mergeValues(p ValuesParams) (map[string]any, error) {
	base := map[string]any{}
	for _, f := range p.ValuesFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, &HelmError{Code: CodeValuesInvalid, Message: fmt.Sprintf("reading values file %s: %v", f, err), cause: err}
		}
		cur := map[string]any{}
		if err := yaml.Unmarshal(b, &cur); err != nil {
			return nil, &HelmError{Code: CodeValuesInvalid, Message: fmt.Sprintf("parsing values file %s: %v", f, err), cause: err}
		}
		base = mergeMaps(base, cur)
	}
	if p.Values != nil {
		base = mergeMaps(base, p.Values)
	}
	return base, nil
}

// mergeMaps is Helm's own values merge (pkg/cli/values): maps merge key by key, anything else in b replaces a.
func mergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if v, ok := v.(map[string]any); ok {
			if bv, ok := out[k]; ok {
				if bv, ok := bv.(map[string]any); ok {
					out[k] = mergeMaps(bv, v)
					continue
				}
			}
		}
		out[k] = v
	}
	return out
}
