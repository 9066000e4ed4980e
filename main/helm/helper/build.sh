#!/usr/bin/env bash
# Builds fluxdeck-helm, the Go helper that gives main/helm Helm's own code (helm.sh/helm/v4), from the module proxy.
#
#   bash main/helm/helper/build.sh                 the host's OS/arch; prints the binary's path on stdout
#   bash main/helm/helper/build.sh --all           every OS/arch the desktop app ships (for `npm run package`)
#   bash main/helm/helper/build.sh GOOS/GOARCH...  those targets
#
# Binaries are cached under ~/.cache/fluxdeck/helm-helper/<key>/ where the key hashes the helper's source (go.mod,
# go.sum, *.go and this script), so worktrees and CI runs with the same source build once. Each build is then copied
# to build/helm-helper/<os>-<arch>/ in the repository, named as electron-builder's ${os}-${arch} macros name it, where
# electron-builder.yml's extraResources picks it up. CGO is off, so every target cross-compiles from any host.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)

if ! command -v go >/dev/null 2>&1; then
  for g in /usr/local/go/bin/go "$HOME/go/bin/go"; do [ -x "$g" ] && export PATH="$(dirname "$g"):$PATH" && break; done
fi
command -v go >/dev/null 2>&1 || { echo "helm-helper: the Go toolchain (1.26 or newer) is required" >&2; exit 3; }
cache=${FLUXDECK_CACHE:-$HOME/.cache/fluxdeck}/helm-helper
# No DWARF from the compiler either (the linker already drops it with -w): nobody debugs these binaries, and on a
# fresh 2-core machine the compiles are most of CI's time.
export CGO_ENABLED=0 GOWORK=off GOFLAGS='-mod=readonly -gcflags=all=-dwarf=false' GOTOOLCHAIN=local

ALL="linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64"
case "${1:-}" in
  --all) targets=$ALL ;;
  "") targets="$(go env GOOS)/$(go env GOARCH)" ;;
  *) targets="$*" ;;
esac

key=$(cd "$here" && cat go.mod go.sum $(ls ./*.go | sort) build.sh | sha256sum | cut -c1-16)

build_one() { # goos/goarch
  local goos=${1%/*} goarch=${1#*/} ebos ebarch exe='' dir out dest start
  case $goos in darwin) ebos=mac ;; windows) ebos=win exe=.exe ;; *) ebos=$goos ;; esac
  case $goarch in amd64) ebarch=x64 ;; *) ebarch=$goarch ;; esac
  dir="$cache/$key/$goos-$goarch"
  out="$dir/fluxdeck-helm$exe"
  mkdir -p "$dir"
  exec 9>"$cache/$goos-$goarch.lock"
  flock 9
  if [ ! -x "$out" ]; then
    echo "helm-helper: building for $goos/$goarch (first time for this source; a few minutes)" >&2
    start=$SECONDS
    if ! (cd "$here" && GOOS=$goos GOARCH=$goarch go build -trimpath -buildvcs=false -ldflags "-s -w" -o "$out.tmp" .) \
      >"$dir/build.log" 2>&1; then
      echo "helm-helper: build failed; see $dir/build.log" >&2
      tail -20 "$dir/build.log" >&2
      exit 4
    fi
    # The helper's own tests, once per source on the build host (same flags, so the compiled packages are reused:
    # ~25 s, mostly linking).
    if [ "$goos/$goarch" = "$(go env GOOS)/$(go env GOARCH)" ] &&
      ! (cd "$here" && go test -trimpath -buildvcs=false -count=1 .) >>"$dir/build.log" 2>&1; then
      echo "helm-helper: its tests failed; see $dir/build.log" >&2
      tail -20 "$dir/build.log" >&2
      exit 4
    fi
    mv "$out.tmp" "$out"
    echo "helm-helper: built $goos/$goarch in $((SECONDS - start)) s" >&2
  fi
  exec 9>&-
  dest="$root/build/helm-helper/$ebos-$ebarch"
  mkdir -p "$dest"
  cp -f "$out" "$dest/fluxdeck-helm$exe.tmp" && mv -f "$dest/fluxdeck-helm$exe.tmp" "$dest/fluxdeck-helm$exe"
  echo "$dest/fluxdeck-helm$exe"
}

for t in $targets; do build_one "$t"; done
# Builds of other sources unused for a week go; recent ones stay, since worktrees and branches with different helper
# sources share this cache and would otherwise delete each other's builds (even one in progress).
touch "$cache/$key"
find "$cache" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -mtime +7 -exec rm -rf {} +
