package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/downloader"
	"helm.sh/helm/v4/pkg/getter"
	"helm.sh/helm/v4/pkg/registry"
	repo "helm.sh/helm/v4/pkg/repo/v1"
	"sigs.k8s.io/yaml"
)

// RepoAuth is a HelmRepository's credentials, in memory only: basic auth, a CA bundle and an optional client
// certificate (PEM text, not file paths, so nothing is written to disk).
type RepoAuth struct {
	Username        string `json:"username,omitempty"`
	Password        string `json:"password,omitempty"`
	CAPEM           string `json:"caPEM,omitempty"`
	CertPEM         string `json:"certPEM,omitempty"`
	KeyPEM          string `json:"keyPEM,omitempty"`
	InsecureSkipTLS bool   `json:"insecureSkipTLSVerify,omitempty"`
	PassCredentials bool   `json:"passCredentials,omitempty"`
	PlainHTTP       bool   `json:"plainHTTP,omitempty"` // OCI registries served over http (Flux's insecure)
}

type PullParams struct {
	// URL is the repository: https://host/path (index.yaml beneath) or oci://host/path (the chart is path/<chart>).
	URL     string   `json:"url"`
	Chart   string   `json:"chart"`
	Version string   `json:"version,omitempty"` // a version or semver range; empty means the latest stable
	Auth    RepoAuth `json:"auth"`
	// DestDir receives <chart>-<version>.tgz.
	DestDir   string `json:"destDir"`
	TimeoutMs int64  `json:"timeoutMs,omitempty"`
}

type PullResult struct {
	Path    string `json:"path"`
	Name    string `json:"name"`
	Version string `json:"version"`
	URL     string `json:"url"`
	Digest  string `json:"digest"` // sha256:<hex> of the .tgz
	Size    int64  `json:"size"`
}

func (a RepoAuth) transport() (*http.Transport, error) {
	tc := &tls.Config{InsecureSkipVerify: a.InsecureSkipTLS, MinVersion: tls.VersionTLS12} //nolint:gosec // user's explicit choice
	if a.CAPEM != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(a.CAPEM)) {
			return nil, &HelmError{Code: CodeBadRequest, Message: "auth.caPEM holds no PEM certificate"}
		}
		tc.RootCAs = pool
	}
	if a.CertPEM != "" || a.KeyPEM != "" {
		cert, err := tls.X509KeyPair([]byte(a.CertPEM), []byte(a.KeyPEM))
		if err != nil {
			return nil, &HelmError{Code: CodeBadRequest, Message: "auth.certPEM/keyPEM: " + err.Error()}
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = tc
	return t, nil
}

func (p *PullParams) timeout() time.Duration {
	if p.TimeoutMs <= 0 {
		return time.Minute
	}
	return time.Duration(p.TimeoutMs) * time.Millisecond
}

func opPull(ctx context.Context, c *call) (any, error) {
	var p PullParams
	if err := c.decode(&p); err != nil {
		return nil, err
	}
	if p.URL == "" || p.Chart == "" || p.DestDir == "" {
		return nil, &HelmError{Code: CodeBadRequest, Message: "pull needs url, chart and destDir"}
	}
	if strings.HasPrefix(p.URL, "oci://") {
		return runValue(ctx, func() (*PullResult, error) { return pullOCI(&p) })
	}
	return runValue(ctx, func() (*PullResult, error) { return pullHTTP(&p) })
}

func runValue[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	var v T
	err := runCancellable(ctx, func() error {
		var e error
		v, e = fn()
		return e
	})
	return v, err
}

// httpGet fetches one URL with the repository's credentials; Helm's getter decides whether credentials go to a host
// other than the repository's (passCredentials).
func httpGet(p *PullParams, url string) (*bytes.Buffer, error) {
	t, err := p.Auth.transport()
	if err != nil {
		return nil, err
	}
	opts := []getter.Option{getter.WithURL(p.URL), getter.WithTransport(t), getter.WithTimeout(p.timeout()),
		getter.WithPassCredentialsAll(p.Auth.PassCredentials), getter.WithInsecureSkipVerifyTLS(p.Auth.InsecureSkipTLS)}
	if p.Auth.Username != "" || p.Auth.Password != "" {
		opts = append(opts, getter.WithBasicAuth(p.Auth.Username, p.Auth.Password))
	}
	g, err := getter.NewHTTPGetter(opts...)
	if err != nil {
		return nil, err
	}
	buf, err := g.Get(url, opts...)
	if err != nil {
		return nil, fetchError(err, url)
	}
	return buf, nil
}

// Status codes as words of a message: "status code 401", not the 401 inside a port or a digest (127.0.0.1:34013).
var (
	deniedStatus   = regexp.MustCompile(`(^|[^0-9])40[13]([^0-9]|$)`)
	notFoundStatus = regexp.MustCompile(`(^|[^0-9])404([^0-9]|$)`)
)

func fetchError(err error, url string) error {
	msg := err.Error()
	lower := strings.ToLower(msg)
	switch {
	case deniedStatus.MatchString(msg) || strings.Contains(lower, "unauthorized") || strings.Contains(lower, "forbidden"):
		return &HelmError{Code: CodeUnauthorized, Message: fmt.Sprintf("%s refused the credentials: %s", url, msg), cause: err}
	case notFoundStatus.MatchString(msg) || strings.Contains(lower, "not found"):
		return &HelmError{Code: CodeChartNotFound, Message: fmt.Sprintf("%s: %s", url, msg), cause: err}
	}
	// Anything else (refused connection, DNS, TLS, timeout) means the repository could not be reached; saying so
	// keeps it from being mistaken for the cluster being unreachable.
	return wrap(CodeRepoUnreachable, err, "fetching "+url)
}

func pullHTTP(p *PullParams) (*PullResult, error) {
	base := strings.TrimSuffix(p.URL, "/")
	buf, err := httpGet(p, base+"/index.yaml")
	if err != nil {
		return nil, err
	}
	idx := &repo.IndexFile{}
	if err := yaml.Unmarshal(buf.Bytes(), idx); err != nil {
		return nil, wrap(CodeChartInvalid, err, "parsing "+base+"/index.yaml")
	}
	idx.SortEntries()
	cv, err := idx.Get(p.Chart, p.Version)
	if err != nil {
		return nil, &HelmError{Code: CodeChartNotFound, Message: fmt.Sprintf("chart %q version %q not found in %s", p.Chart, p.Version, p.URL), cause: err}
	}
	if len(cv.URLs) == 0 {
		return nil, &HelmError{Code: CodeChartInvalid, Message: fmt.Sprintf("chart %s %s has no download URL in %s", p.Chart, cv.Version, p.URL)}
	}
	url, err := repo.ResolveReferenceURL(base+"/", cv.URLs[0])
	if err != nil {
		return nil, wrap(CodeChartInvalid, err, "")
	}
	data, err := httpGet(p, url)
	if err != nil {
		return nil, err
	}
	return writeChart(p, cv.Name, cv.Version, url, data.Bytes())
}

func pullOCI(p *PullParams) (*PullResult, error) {
	t, err := p.Auth.transport()
	if err != nil {
		return nil, err
	}
	opts := []registry.ClientOption{registry.ClientOptHTTPClient(&http.Client{Transport: t, Timeout: p.timeout()}),
		registry.ClientOptWriter(io.Discard), registry.ClientOptCredentialsFile(filepath.Join(os.TempDir(), "fluxdeck-helm-no-credentials.json"))}
	if p.Auth.Username != "" || p.Auth.Password != "" {
		opts = append(opts, registry.ClientOptBasicAuth(p.Auth.Username, p.Auth.Password))
	}
	if p.Auth.PlainHTTP {
		opts = append(opts, registry.ClientOptPlainHTTP())
	}
	rc, err := registry.NewClient(opts...)
	if err != nil {
		return nil, wrap(CodeInternal, err, "registry client")
	}
	ref := strings.TrimPrefix(strings.TrimSuffix(p.URL, "/"), "oci://") + "/" + p.Chart
	tag := p.Version
	if tag == "" || strings.ContainsAny(tag, "<>=~^*| ,") {
		tags, err := rc.Tags(ref)
		if err != nil {
			return nil, fetchError(err, p.URL)
		}
		if tag, err = registry.GetTagMatchingVersionOrConstraint(tags, p.Version); err != nil {
			return nil, &HelmError{Code: CodeChartNotFound, Message: fmt.Sprintf("chart %s: %v", ref, err), cause: err}
		}
	}
	res, err := rc.Pull(ref+":"+strings.ReplaceAll(tag, "+", "_"), registry.PullOptWithChart(true))
	if err != nil {
		return nil, fetchError(err, "oci://"+ref)
	}
	return writeChart(p, p.Chart, tag, "oci://"+ref+":"+tag, res.Chart.Data)
}

func writeChart(p *PullParams, name, version, url string, data []byte) (*PullResult, error) {
	if len(data) > maxChartBytes {
		return nil, &HelmError{Code: CodeTooLarge, Message: fmt.Sprintf("chart %s is %d bytes, over the %d byte limit", url, len(data), maxChartBytes)}
	}
	if err := os.MkdirAll(p.DestDir, 0o755); err != nil {
		return nil, wrap(CodeInternal, err, "")
	}
	path := filepath.Join(p.DestDir, fmt.Sprintf("%s-%s.tgz", name, version))
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return nil, wrap(CodeInternal, err, "")
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, wrap(CodeInternal, err, "")
	}
	sum := sha256.Sum256(data)
	return &PullResult{Path: path, Name: name, Version: version, URL: url, Digest: "sha256:" + hex.EncodeToString(sum[:]), Size: int64(len(data))}, nil
}

type PackageParams struct {
	Path       string `json:"path"`
	DestDir    string `json:"destDir"`
	Version    string `json:"version,omitempty"`
	AppVersion string `json:"appVersion,omitempty"`
}

func opPackage(ctx context.Context, c *call) (any, error) {
	var p PackageParams
	if err := c.decode(&p); err != nil {
		return nil, err
	}
	if p.Path == "" || p.DestDir == "" {
		return nil, &HelmError{Code: CodeBadRequest, Message: "package needs path and destDir"}
	}
	if _, err := loadChartUnchecked(p.Path); err != nil {
		return nil, err
	}
	pk := action.NewPackage()
	pk.Destination = p.DestDir
	pk.Version = p.Version
	pk.AppVersion = p.AppVersion
	path, err := pk.Run(p.Path, nil)
	if err != nil {
		return nil, wrap(CodeChartInvalid, err, "packaging "+p.Path)
	}
	return map[string]any{"path": path}, nil
}

type DependenciesParams struct {
	Path string `json:"path"`
	// Repositories maps a dependency repository URL to its credentials.
	Auth      map[string]RepoAuth `json:"auth,omitempty"`
	TimeoutMs int64               `json:"timeoutMs,omitempty"`
}

// opDependencies is `helm dependency build` (or update when there is no Chart.lock): fills charts/ from file://
// dependencies and from repositories named by URL. Repository indexes go to a temporary cache removed afterwards.
func opDependencies(ctx context.Context, c *call) (any, error) {
	var p DependenciesParams
	if err := c.decode(&p); err != nil {
		return nil, err
	}
	if p.Path == "" {
		return nil, &HelmError{Code: CodeBadRequest, Message: "dependencies needs path"}
	}
	tmp, err := os.MkdirTemp("", "fluxdeck-helm-deps-")
	if err != nil {
		return nil, wrap(CodeInternal, err, "")
	}
	defer os.RemoveAll(tmp)
	reposFile := filepath.Join(tmp, "repositories.yaml")
	if err := repo.NewFile().WriteFile(reposFile, 0o600); err != nil {
		return nil, wrap(CodeInternal, err, "")
	}
	var out bytes.Buffer
	m := &downloader.Manager{Out: &out, ChartPath: p.Path, Getters: getter.Getters(), RepositoryConfig: reposFile,
		RepositoryCache: filepath.Join(tmp, "cache"), ContentCache: filepath.Join(tmp, "content")}
	run := m.Build
	if _, err := os.Stat(filepath.Join(p.Path, "Chart.lock")); err != nil {
		run = m.Update
	}
	if err := runCancellable(ctx, run); err != nil {
		return nil, wrap(CodeChartInvalid, err, "building dependencies of "+p.Path)
	}
	return map[string]any{"log": out.String()}, nil
}

func loadChartUnchecked(path string) (any, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, &HelmError{Code: CodeChartNotFound, Message: "no chart at " + path, cause: err}
	}
	return nil, nil
}

func opVersion(context.Context, *call) (any, error) { return helloInfo(), nil }

var operations map[string]operation

func init() {
	operations = map[string]operation{
		"version":      opVersion,
		"template":     opTemplate,
		"install":      opInstall,
		"upgrade":      opUpgrade,
		"rollback":     opRollback,
		"uninstall":    opUninstall,
		"test":         opTest,
		"history":      opHistory,
		"status":       opStatus,
		"unlock":       opUnlock,
		"package":      opPackage,
		"dependencies": opDependencies,
		"pull":         opPull,
	}
}
