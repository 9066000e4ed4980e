#!/usr/bin/env bash
# Builds the reference tools and real parts the tests run beside Fluxdeck (the flux CLI, Flux's own controllers, helm,
# an OCI registry, an S3 server, ...) from the Go module proxy, once per machine, into a cache outside the repository.
#
#   bash test/tools/build.sh NAME...      builds what is missing; prints NAME=PATH for each on stdout
#   bash test/tools/build.sh --list       the names CI builds (what the tests use; reference-only tools are left out)
#
# Each tool is built as the main module from a copy of its own module source, so its go.mod and go.sum (replace
# directives included) apply exactly as in its own release build. Builds share Go's module and build caches, so tools
# released together (flux CLI and controllers, say) compile their common packages once. A lock per tool lets parallel
# test processes ask for the same tool; the cache key is the recipe's line, its prepare hook and the build function, so
# adding a tool or changing one version rebuilds only that tool.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# name | module | version | package | binary | ldflags (optional; {version} is replaced by the version)
# Add a tool by adding a line; a prepare_<name> function (below) may patch the source copy before the build.
RECIPES='
flux|github.com/fluxcd/flux2/v2|2.9.5|./cmd/flux|flux|-X main.VERSION={version}
helm|helm.sh/helm/v4|4.3.2|./cmd/helm|helm|-X helm.sh/helm/v4/internal/version.version=v{version}
registry|github.com/distribution/distribution/v3|3.1.2|./cmd/registry|registry|
crane|github.com/google/go-containerregistry|0.22.1|./cmd/crane|crane|
gofakes3|github.com/johannesboyne/gofakes3|1.2.0|./cmd/gofakes3|gofakes3|
gofakes3-auth|github.com/johannesboyne/gofakes3|1.2.0|./cmd/gofakes3auth|gofakes3-auth|
kustomize-controller|github.com/fluxcd/kustomize-controller|1.9.6|.|kustomize-controller|
source-controller|github.com/fluxcd/source-controller|1.9.6|.|source-controller|
'

# The release build of flux embeds install manifests that `make` generates from GitHub release assets; embed a
# placeholder instead, so `flux install` and `flux bootstrap` do not work with this build, while every command that
# reads or writes Flux objects does.
prepare_flux() {
  mkdir -p "$1/cmd/flux/manifests"
  echo "# flux CLI built for Fluxdeck's tests: no install manifests embedded" >"$1/cmd/flux/manifests/placeholder.yaml"
}

# Flux's controllers replace their API module with ./api in go.mod, and their module zip leaves that directory out
# (it is a module of its own, tagged with the same version): put the API module of the same version there.
prepare_api_module() { # src module version
  local api
  api=$(cd /tmp && go mod download -json "$2/api@v$3" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -n "$api" ] || { echo "tools: could not download $2/api@v$3" >&2; return 4; }
  rm -rf "$1/api" && cp -r "$api" "$1/api" && chmod -R u+w "$1/api"
}
prepare_kustomize-controller() { prepare_api_module "$1" github.com/fluxcd/kustomize-controller 1.9.6; }
# source-controller 1.9.6 asks for github.com/fluxcd/pkg/artifact v0.18.3, which the module proxy this workplace reaches
# does not serve; v0.18.0 (same minor, same API) is served and builds, so it is put in its place.
prepare_source-controller() {
  prepare_api_module "$1" github.com/fluxcd/source-controller 1.9.6 || return
  (cd "$1" && go mod edit -replace=github.com/fluxcd/pkg/artifact=github.com/fluxcd/pkg/artifact@v0.18.0 &&
    GOFLAGS=-mod=mod go mod download github.com/fluxcd/pkg/artifact && GOFLAGS=-mod=mod go list -deps . >/dev/null)
}

# The registry's main links every storage driver; the tests store blobs on the filesystem (test/support/registry.ts).
# The cloud ones (Azure, GCS, S3 and its CloudFront middleware) bring the AWS, Azure and Google SDKs, which were
# 44% of the registry's compile (fresh Go cache: 291 CPU-s with them, 163 without): leave them out, so the registry
# the tests run is the release's own code minus storage backends nobody configures.
prepare_registry() {
  local main="$1/cmd/registry/main.go"
  sed -i -E '/storage\/driver\/(azure|gcs|s3-aws)"|storage\/driver\/middleware\/cloudfront"/d' "$main"
  if grep -qE 'driver/(azure|gcs|s3-aws)"' "$main" || ! grep -q 'driver/filesystem"' "$main"; then
    echo "tools: cmd/registry/main.go no longer lists its storage drivers as expected; update prepare_registry" >&2
    return 4
  fi
}

# gofakes3 checks no signatures. This variant puts a check in front of it: every request must carry an AWS SigV4
# Authorization header whose signature the AWS SDK for Go's own signer (aws-sdk-go-v2, already in gofakes3's go.mod)
# reproduces with the configured secret key, so Fluxdeck's signing is verified by an independent implementation and
# wrong credentials get S3's real 403 answers (InvalidAccessKeyId, SignatureDoesNotMatch).
prepare_gofakes3-auth() {
  mkdir -p "$1/cmd/gofakes3auth"
  cat >"$1/cmd/gofakes3auth/main.go" <<'GO'
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

func s3Error(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, msg)
}

// verify re-signs the request with only the headers it says it signed and compares the signatures.
func verify(r *http.Request, accessKey, secretKey string) (string, string) {
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") {
		return "AccessDenied", "Access Denied"
	}
	fields := map[string]string{}
	for _, part := range strings.Split(strings.TrimPrefix(auth, "AWS4-HMAC-SHA256 "), ",") {
		kv := strings.SplitN(strings.TrimSpace(part), "=", 2)
		if len(kv) == 2 {
			fields[kv[0]] = kv[1]
		}
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || scope[0] != accessKey {
		return "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
	}
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return "AccessDenied", "missing or malformed X-Amz-Date"
	}
	check, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	check.Host = r.Host
	for _, h := range strings.Split(fields["SignedHeaders"], ";") {
		if h != "host" {
			check.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		payload = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	}
	creds := aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secretKey}
	err = v4.NewSigner().SignHTTP(context.Background(), creds, check, payload, scope[3], scope[2], when,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err != nil || check.Header.Get("Authorization") != auth {
		return "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."
	}
	return "", ""
}

func main() {
	host := flag.String("host", "127.0.0.1:9000", "listen address")
	bucket := flag.String("initialbucket", "", "bucket to create")
	accessKey := flag.String("accesskey", "", "access key id")
	secretKey := flag.String("secretkey", "", "secret access key")
	tlsCert := flag.String("tlscert", "", "serve HTTPS with this certificate (PEM file)")
	tlsKey := flag.String("tlskey", "", "key of -tlscert (PEM file)")
	flag.Parse()
	backend := s3mem.New()
	if *bucket != "" {
		if err := backend.CreateBucket(*bucket); err != nil {
			log.Fatal(err)
		}
	}
	s3 := gofakes3.New(backend).Server()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if code, msg := verify(r, *accessKey, *secretKey); code != "" {
			s3Error(w, code, msg)
			return
		}
		s3.ServeHTTP(w, r)
	})
	if *tlsCert != "" {
		log.Fatal(http.ListenAndServeTLS(*host, *tlsCert, *tlsKey, handler))
	}
	log.Fatal(http.ListenAndServe(*host, handler))
}
GO
}

if ! command -v go >/dev/null 2>&1; then
  for g in /usr/local/go/bin/go "$HOME/go/bin/go"; do [ -x "$g" ] && export PATH="$(dirname "$g"):$PATH" && break; done
fi
cache=${FLUXDECK_CACHE:-$HOME/.cache/fluxdeck}
# No DWARF from the compiler either (the linker already drops it with -w): nobody debugs these binaries, and on a
# fresh 2-core machine the compiles are most of CI's time.
export CGO_ENABLED=0 GOWORK=off GOFLAGS='-mod=readonly -gcflags=all=-dwarf=false' GOTOOLCHAIN=local

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
  if ! (cd "$dir/src" && go build -trimpath -buildvcs=false -ldflags "-s -w ${ldflags//\{version\}/$version}" \
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

# Every tool is used by a committed test or benchmark, so `--list` names them all (ON_REQUEST is for a tool only built by
# hand; none today). .ci/run builds flux and Flux's controllers in one job, flux first, so the controllers take the
# packages they share with it from Go's build cache.
ON_REQUEST=' '
if [ "${1:-}" = "--list" ]; then
  echo "$RECIPES" | sed '/^$/d' | cut -d'|' -f1 | while read -r n; do [[ "$ON_REQUEST" == *" $n "* ]] || echo "$n"; done
  exit 0
fi
if [ $# -eq 0 ]; then echo "usage: build.sh NAME... | --list" >&2; exit 2; fi
for n in "$@"; do build_tool "$n"; done
