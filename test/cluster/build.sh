#!/usr/bin/env bash
# Builds the test control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok) from the Go
# module proxy into a cache outside the repository, keyed by the wrapper modules' content, so each machine builds once.
# Prints the binary directory on its last line.
# kwok's wrapper module requires the same versions as kube's of every module they share (the Kubernetes libraries,
# x/net, grpc, otel), so kwok, built last, takes those packages from Go's build cache instead of compiling them again.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
K8S_VERSION=1.36.3
if ! command -v go >/dev/null 2>&1; then
  for g in /usr/local/go/bin/go "$HOME/go/bin/go"; do [ -x "$g" ] && export PATH="$(dirname "$g"):$PATH" && break; done
fi
if ! command -v go >/dev/null 2>&1; then
  echo "test cluster: the Go toolchain (1.26 or newer) is required to build the control plane; install it into /usr/local/go" >&2
  exit 3
fi
key=$(cat "$here"/go/*/go.mod "$here"/go/*/go.sum "$here"/go/*/*.go "$0" | sha256sum | cut -c1-16)
cache=${FLUXDECK_CACHE:-$HOME/.cache/fluxdeck}
bin="$cache/bin/$key"
want=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok kwok-stages.yaml)
missing=0
for b in "${want[@]}"; do [ -e "$bin/$b" ] || missing=1; done
if [ $missing -eq 0 ]; then touch "$bin"; echo "$bin"; exit 0; fi
mkdir -p "$bin.tmp"
# No DWARF from the compiler either (the linker already drops it with -w): nobody debugs these binaries, and on a
# fresh 2-core machine the compiles are most of CI's time.
export CGO_ENABLED=0 GOWORK=off GOFLAGS='-mod=readonly -gcflags=all=-dwarf=false' GOTOOLCHAIN=local
build() { # module-dir output package [ldflags]
  local dir=$1 out=$2 pkg=$3 ldf=${4:-"-s -w"}
  if [ -x "$bin.tmp/$out" ]; then return 0; fi
  echo "test cluster: building $out (first time on this machine; this takes a few minutes)" >&2
  local log="$cache/build-$out.log"
  if ! (cd "$here/go/$dir" && go build -trimpath -buildvcs=false -ldflags "$ldf" -o "$bin.tmp/$out" "$pkg") >"$log" 2>&1; then
    echo "test cluster: building $out failed; see $log" >&2
    tail -20 "$log" >&2
    exit 4
  fi
}
minor=${K8S_VERSION#1.}; minor=${minor%%.*}
LDF="-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 \
 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean \
 -X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION -X k8s.io/component-base/version.gitCommit=module-proxy-build"
build etcd etcd .
for c in kube-apiserver kube-controller-manager kube-scheduler; do build kube "$c" "k8s.io/kubernetes/cmd/$c" "$LDF"; done
build kwok kwok sigs.k8s.io/kwok/cmd/kwok
# KWOK needs Stage objects to drive nodes and pods; use the "fast" stages shipped in the kwok module itself.
kwok_dir=$(cd "$here/go/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
for f in "$kwok_dir"/kustomize/stage/node/fast/node-initialize.yaml "$kwok_dir"/kustomize/stage/pod/fast/pod-*.yaml; do
  cat "$f"; echo '---'
done > "$bin.tmp/kwok-stages.yaml"
rm -rf "$bin"; mv "$bin.tmp" "$bin"
# Builds of other wrapper-module versions unused for a week go. Recent ones stay: a worktree of an older commit (an A/B
# benchmark) deleted the current build and cost the next run a rebuild.
touch "$bin"
find "$cache/bin" -mindepth 1 -maxdepth 1 -type d ! -name "$key" ! -name "$key.tmp" -mtime +7 -exec rm -rf {} +
echo "$bin"
