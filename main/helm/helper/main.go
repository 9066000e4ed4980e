// fluxdeck-helm is Fluxdeck's bridge to Helm's own code: a long-lived process that reads one JSON request per line on
// stdin and writes one JSON response per line on stdout (see protocol.go). Rendering, hooks, tests, release storage
// and waiting are Helm's (helm.sh/helm/v4); Flux's semantics (sources, values merging, remediation) stay in
// TypeScript. Kubeconfigs arrive in each request and live only in memory.
package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
)

func helloInfo() map[string]any {
	return map[string]any{"protocol": ProtocolVersion, "helm": helmVersion(), "go": runtime.Version()}
}

func helmVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "helm.sh/helm/v4" {
				return d.Version
			}
		}
	}
	return "unknown"
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Printf("fluxdeck-helm protocol %d helm %s %s\n", ProtocolVersion, helmVersion(), runtime.Version())
		return
	}
	// Helm logs through slog; its debug lines can quote rendered manifests (Secrets included), so they are dropped
	// unless someone debugging the helper asks for them on stderr.
	var sink io.Writer = io.Discard
	if os.Getenv("FLUXDECK_HELM_DEBUG") != "" {
		sink = os.Stderr
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(sink, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err := newServer(os.Stdout).serve(os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "fluxdeck-helm:", err)
		os.Exit(1)
	}
}
