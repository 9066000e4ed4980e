#!/usr/bin/env bash
# Builds the real `flux` CLI (github.com/fluxcd/flux2/v2, cmd/flux) from the Go module proxy, for tests that prove
# Fluxdeck's CRDs and objects are what the flux CLI expects. Cached outside the repository, keyed by the version and
# this script, so each machine builds once. Prints the binary's path on its last line.
#
# flux2 is built as the main module from a copy of its module source, so its own go.mod and go.sum (replace
# directives included) apply unchanged. The release build embeds install manifests that `make` generates from GitHub
# release assets; this build embeds a placeholder instead, so `flux install` and `flux bootstrap` do not work with it,
# while every command that reads or writes Flux objects does.
set -euo pipefail
FLUX_VERSION=2.9.5
if ! command -v go >/dev/null 2>&1; then
  for g in /usr/local/go/bin/go "$HOME/go/bin/go"; do [ -x "$g" ] && export PATH="$(dirname "$g"):$PATH" && break; done
fi
if ! command -v go >/dev/null 2>&1; then
  echo "flux cli: the Go toolchain (1.26 or newer) is required to build it; install it into /usr/local/go" >&2
  exit 3
fi
key=$( (echo "$FLUX_VERSION"; cat "$0") | sha256sum | cut -c1-16)
cache=${FLUXDECK_CACHE:-$HOME/.cache/fluxdeck}
out="$cache/flux/$key/flux"
if [ -x "$out" ]; then echo "$out"; exit 0; fi
export CGO_ENABLED=0 GOWORK=off GOFLAGS=-mod=readonly GOTOOLCHAIN=local
log="$cache/build-flux.log"
mkdir -p "$cache/flux/$key"
echo "flux cli: building flux $FLUX_VERSION (first time on this machine; this takes a few minutes)" >&2
module=$(cd /tmp && go mod download -json "github.com/fluxcd/flux2/v2@v$FLUX_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
if [ -z "$module" ]; then
  echo "flux cli: could not download github.com/fluxcd/flux2/v2@v$FLUX_VERSION from the Go module proxy" >&2
  exit 4
fi
src="$cache/flux/$key/src"
rm -rf "$src" && cp -r "$module" "$src" && chmod -R u+w "$src"
mkdir -p "$src/cmd/flux/manifests"
echo "# flux CLI built for Fluxdeck's tests: no install manifests embedded" > "$src/cmd/flux/manifests/placeholder.yaml"
if ! (cd "$src" && go build -trimpath -buildvcs=false -ldflags "-s -w -X main.VERSION=$FLUX_VERSION" \
  -o "$out.tmp" ./cmd/flux) >"$log" 2>&1; then
  echo "flux cli: building flux failed; see $log" >&2
  tail -20 "$log" >&2
  exit 4
fi
mv "$out.tmp" "$out"
rm -rf "$src"
# Builds for other versions are no longer needed.
find "$cache/flux" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} +
echo "$out"
