package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// KubeParams is how a request reaches a cluster. The kubeconfig is the YAML text itself, held in memory only: it is
// never written to disk and never echoed back in an error.
type KubeParams struct {
	Kubeconfig string `json:"kubeconfig"`
	Context    string `json:"context,omitempty"`
	// Impersonate is a user name, as `kubectl --as`; ServiceAccount is Flux's serviceAccountName, impersonated as
	// system:serviceaccount:<namespace>:<name> in the release's namespace.
	Impersonate    string `json:"impersonate,omitempty"`
	ServiceAccount string `json:"serviceAccount,omitempty"`
	// Namespace is the default namespace for objects without one (the release's target namespace).
	Namespace string `json:"namespace,omitempty"`
	// QPS/Burst default higher than client-go's 5/10: Helm lists and watches every resource of a release.
	QPS   float32 `json:"qps,omitempty"`
	Burst int     `json:"burst,omitempty"`
	// Trusted allows exec plugins, auth providers and local file references: true for the user's own kubeconfig,
	// false for one read from a cluster Secret (HelmRelease kubeConfig.secretRef), which, as in Flux, must not run
	// commands or read files on this machine.
	Trusted bool `json:"trusted,omitempty"`
}

// getter implements Helm's (and kubectl's) RESTClientGetter from an in-memory kubeconfig, with discovery cached per
// cluster identity so that fifty releases on one cluster discover its API once.
type kubeGetter struct {
	clientConfig clientcmd.ClientConfig
	rest         *rest.Config
	discovery    discovery.CachedDiscoveryInterface
	mapper       meta.RESTMapper
}

func (g *kubeGetter) ToRESTConfig() (*rest.Config, error) { return rest.CopyConfig(g.rest), nil }
func (g *kubeGetter) ToDiscoveryClient() (discovery.CachedDiscoveryInterface, error) {
	return g.discovery, nil
}
func (g *kubeGetter) ToRESTMapper() (meta.RESTMapper, error)        { return g.mapper, nil }
func (g *kubeGetter) ToRawKubeConfigLoader() clientcmd.ClientConfig { return g.clientConfig }

type cachedGetter struct {
	g     *kubeGetter
	until time.Time
}

var (
	gettersMu sync.Mutex
	getters   = map[string]cachedGetter{}
)

// discoveryTTL bounds how long a cached API discovery is trusted; Helm also invalidates it after installing CRDs.
const discoveryTTL = 2 * time.Minute

func newGetter(p *KubeParams) (*kubeGetter, error) {
	if p == nil || p.Kubeconfig == "" {
		return nil, &HelmError{Code: CodeBadRequest, Message: "this operation needs kube.kubeconfig"}
	}
	keyJSON, _ := json.Marshal(p)
	sum := sha256.Sum256(keyJSON)
	key := hex.EncodeToString(sum[:])
	gettersMu.Lock()
	defer gettersMu.Unlock()
	if c, ok := getters[key]; ok && time.Now().Before(c.until) {
		return c.g, nil
	}
	g, err := buildGetter(p)
	if err != nil {
		return nil, err
	}
	for k, c := range getters {
		if time.Now().After(c.until) {
			delete(getters, k)
		}
	}
	getters[key] = cachedGetter{g: g, until: time.Now().Add(discoveryTTL)}
	return g, nil
}

func buildGetter(p *KubeParams) (*kubeGetter, error) {
	raw, err := clientcmd.Load([]byte(p.Kubeconfig))
	if err != nil {
		// The parse error can quote the document; say only that it is not a kubeconfig.
		return nil, &HelmError{Code: CodeKubeUnreachable, Message: "kube.kubeconfig is not a valid kubeconfig"}
	}
	if !p.Trusted {
		if err := refuseLocalAccess(raw); err != nil {
			return nil, err
		}
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: p.Context}
	if p.Namespace != "" {
		overrides.Context.Namespace = p.Namespace
	}
	cc := clientcmd.NewDefaultClientConfig(*raw, overrides)
	rc, err := cc.ClientConfig()
	if err != nil {
		return nil, &HelmError{Code: CodeKubeUnreachable, Message: "kubeconfig: " + err.Error()}
	}
	switch {
	case p.ServiceAccount != "":
		ns := p.Namespace
		if ns == "" {
			ns = "default"
		}
		rc.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + ns + ":" + p.ServiceAccount}
	case p.Impersonate != "":
		rc.Impersonate = rest.ImpersonationConfig{UserName: p.Impersonate}
	}
	rc.QPS, rc.Burst = 50, 100
	if p.QPS > 0 {
		rc.QPS = p.QPS
	}
	if p.Burst > 0 {
		rc.Burst = p.Burst
	}
	dc, err := discovery.NewDiscoveryClientForConfig(rc)
	if err != nil {
		return nil, &HelmError{Code: CodeKubeUnreachable, Message: "discovery: " + err.Error()}
	}
	cached := memory.NewMemCacheClient(dc)
	mapper := restmapper.NewShortcutExpander(restmapper.NewDeferredDiscoveryRESTMapper(cached), cached, nil)
	return &kubeGetter{clientConfig: cc, rest: rc, discovery: cached, mapper: mapper}, nil
}

// refuseLocalAccess rejects what an untrusted kubeconfig could use to run programs or read files on this machine.
func refuseLocalAccess(c *clientcmdapi.Config) error {
	for name, a := range c.AuthInfos {
		switch {
		case a.Exec != nil:
			return &HelmError{Code: CodeBadRequest, Message: fmt.Sprintf("kubeconfig user %q uses an exec plugin, which is refused for a kubeconfig from a Secret", name)}
		case a.AuthProvider != nil:
			return &HelmError{Code: CodeBadRequest, Message: fmt.Sprintf("kubeconfig user %q uses an auth provider, which is refused for a kubeconfig from a Secret", name)}
		case a.TokenFile != "" || a.ClientCertificate != "" || a.ClientKey != "":
			return &HelmError{Code: CodeBadRequest, Message: fmt.Sprintf("kubeconfig user %q refers to local files, which is refused for a kubeconfig from a Secret", name)}
		}
	}
	for name, cl := range c.Clusters {
		if cl.CertificateAuthority != "" {
			return &HelmError{Code: CodeBadRequest, Message: fmt.Sprintf("kubeconfig cluster %q refers to a local CA file, which is refused for a kubeconfig from a Secret", name)}
		}
	}
	return nil
}
