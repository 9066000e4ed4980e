#!/usr/bin/env bash
# Builds the reference tools and real parts the tests run beside Fluxdeck (the flux CLI, Flux's own controllers, helm,
# an OCI registry, an S3 server, ...) from the Go module proxy, once per machine, into a cache outside the repository.
#
#   bash test/tools/build.sh NAME...      builds what is missing; prints NAME=PATH for each on stdout
#   bash test/tools/build.sh --list       the names it knows
#
# Each tool is built as the main module from a copy of its own module source, so its go.mod and go.sum (replace
# directives included) apply exactly as in its own release build. Builds share Go's module and build caches, so tools
# released together (flux CLI and controllers, say) compile their common packages once. A lock per tool lets parallel
# test processes ask for the same tool; the cache key is the recipe's line, its prepare hook and the build function, so
# adding a tool or changing one version rebuilds only that tool.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# name | module | version | package | binary | ldflags (optional; VERSION is replaced by the version)
# Add a tool by adding a line; a prepare_<name> function (below) may patch the source copy before the build.
RECIPES='
flux|github.com/fluxcd/flux2/v2|2.9.5|./cmd/flux|flux|-X main.VERSION=VERSION
helm|helm.sh/helm/v4|4.3.2|./cmd/helm|helm|-X helm.sh/helm/v4/internal/version.version=vVERSION
registry|github.com/distribution/distribution/v3|3.1.2|./cmd/registry|registry|
crane|github.com/google/go-containerregistry|0.22.1|./cmd/crane|crane|
gofakes3|github.com/johannesboyne/gofakes3|1.2.0|./cmd/gofakes3|gofakes3|
'

# The release build of flux embeds install manifests that `make` generates from GitHub release assets; embed a
# placeholder instead, so `flux install` and `flux bootstrap` do not work with this build, while every command that
# reads or writes Flux objects does.
prepare_flux() {
  mkdir -p "$1/cmd/flux/manifests"
  echo "# flux CLI built for Fluxdeck's tests: no install manifests embedded" >"$1/cmd/flux/manifests/placeholder.yaml"
}

if ! command -v go >/dev/null 2>&1; then
  for g in /usr/local/go/bin/go "$HOME/go/bin/go"; do [ -x "$g" ] && export PATH="$(dirname "$g"):$PATH" && break; done
fi
cache=${FLUXDECK_CACHE:-$HOME/.cache/fluxdeck}
export CGO_ENABLED=0 GOWORK=off GOFLAGS=-mod=readonly GOTOOLCHAIN=local

recipe() { echo "$RECIPES" | grep -E "^$1\|" || true; }

build_tool() { # name
  local name=$1 line module version pkg binary ldflags key dir out log src
  line=$(recipe "$name")
  if [ -z "$line" ]; then
    echo "tools: no recipe named '$name' (known: $(echo "$RECIPES" | cut -d'|' -f1 | xargs))" >&2
    return 2
  fi
  IFS='|' read -r _ module version pkg binary ldflags <<<"$line"
  key=$( (echo "$line"; declare -f "prepare_$name" 2>/dev/null || true; declare -f build_tool) | sha256sum | cut -c1-16)
  dir="$cache/tools/$name/$key"
  out="$dir/$binary"
  mkdir -p "$cache/tools/$name"
  exec 9>"$cache/tools/$name.lock"
  flock 9
  if [ -x "$out" ]; then echo "$name=$out"; exec 9>&-; return 0; fi
  if ! command -v go >/dev/null 2>&1; then
    echo "tools: the Go toolchain (1.26 or newer) is required to build $name; install it into /usr/local/go" >&2
    return 3
  fi
  log="$cache/build-$name.log"
  echo "tools: building $name $version (first time on this machine; this takes a few minutes)" >&2
  local start=$SECONDS
  src=$(cd /tmp && go mod download -json "$module@v$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  if [ -z "$src" ]; then
    echo "tools: could not download $module@v$version from the Go module proxy" >&2
    return 4
  fi
  mkdir -p "$dir"
  rm -rf "$dir/src" && cp -r "$src" "$dir/src" && chmod -R u+w "$dir/src"
  if declare -f "prepare_$name" >/dev/null; then "prepare_$name" "$dir/src"; fi
  if ! (cd "$dir/src" && go build -trimpath -buildvcs=false -ldflags "-s -w ${ldflags//VERSION/$version}" \
    -o "$out.tmp" "$pkg") >"$log" 2>&1; then
    echo "tools: building $name failed; see $log" >&2
    tail -20 "$log" >&2
    return 4
  fi
  mv "$out.tmp" "$out"
  rm -rf "$dir/src"
  echo "tools: built $name in $((SECONDS - start)) s" >&2
  # Builds of other versions of this tool are no longer needed.
  find "$cache/tools/$name" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} +
  exec 9>&-
  echo "$name=$out"
}

if [ "${1:-}" = "--list" ]; then echo "$RECIPES" | sed '/^$/d' | cut -d'|' -f1; exit 0; fi
if [ $# -eq 0 ]; then echo "usage: build.sh NAME... | --list" >&2; exit 2; fi
for n in "$@"; do build_tool "$n"; done
