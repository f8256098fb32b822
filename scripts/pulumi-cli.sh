#!/usr/bin/env bash
# Makes a pinned Pulumi CLI available: `pulumi` and the Node.js language host
# `pulumi-language-nodejs`, and prints the folder that holds them.
#
#   BIN=$(bash scripts/pulumi-cli.sh | tail -1)
#   PATH="$BIN:$PATH" pulumi version
#
# Progress goes to stderr; the last line on stdout is the absolute bin folder.
#
# With internet access, install the CLI the normal way instead
# (https://www.pulumi.com/docs/install/). This script is the fallback for
# machines that can reach a Go module proxy but not get.pulumi.com/GitHub:
#   1. a `pulumi` on PATH that reports the pinned version (with
#      `pulumi-language-nodejs` beside it or on PATH) is used as it is;
#   2. otherwise both binaries are built from Go modules, using the wrapper
#      modules in scripts/pulumi-cli/, into a cache folder outside the
#      repository, keyed by version (reused on later runs):
#        ${PULUMI_CYCLECLOUD_CACHE:-$HOME/.cache/pulumi-cyclecloud}/pulumi-cli/<version>/bin
#      The Go module and build caches (go env GOMODCACHE / GOCACHE) are the
#      usual ones and persist too. The first build downloads a large module
#      graph and compiles for several minutes.
#
# Environment:
#   PULUMI_CYCLECLOUD_CACHE       cache root (default $HOME/.cache/pulumi-cyclecloud)
#   PULUMI_CYCLECLOUD_IGNORE_PATH=1  do not use a `pulumi` found on PATH
#   GOFLAGS                       passed through (e.g. GOFLAGS=-mod=mod)
set -euo pipefail

PULUMI_VERSION=v3.248.0
# Go packages built, by import path (see the go.mod files for the versions).
CLI_PKG=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
# The module github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
# (where the host lives since mid-2023) is not served by the Go module proxy
# reachable here (403 "This module version is not available" for the v3.248.0
# commit, its pseudo-version, @latest and the version list). sdk/v3 v3.68.0 is the newest served release that still carries
# the host as a package, so it is built from there, stamped with the pinned
# version. See scripts/pulumi-cli/language-nodejs/go.mod.
LANGHOST_PKG=github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
VERSION_VAR=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version

log() { printf 'pulumi-cli: %s\n' "$*" >&2; }
die() { printf 'pulumi-cli: error: %s\n' "$*" >&2; exit 1; }

abs_dir() { (cd "$1" && pwd -P); }

SCRIPT_DIR=$(abs_dir "$(dirname "${BASH_SOURCE[0]}")")
CLI_MOD_DIR="$SCRIPT_DIR/pulumi-cli"
LANGHOST_MOD_DIR="$CLI_MOD_DIR/language-nodejs"

# --- 1. A pinned `pulumi` already on PATH -----------------------------------
if [ "${PULUMI_CYCLECLOUD_IGNORE_PATH:-}" != "1" ] && command -v pulumi >/dev/null 2>&1; then
    path_pulumi=$(command -v pulumi)
    path_version=$("$path_pulumi" version 2>/dev/null | tr -d '[:space:]' || true)
    path_dir=$(abs_dir "$(dirname "$path_pulumi")")
    if [ "$path_version" = "$PULUMI_VERSION" ]; then
        if [ -x "$path_dir/pulumi-language-nodejs" ] || command -v pulumi-language-nodejs >/dev/null 2>&1; then
            log "using $path_pulumi ($path_version) from PATH"
            printf '%s\n' "$path_dir"
            exit 0
        fi
        log "$path_pulumi is $path_version but pulumi-language-nodejs is missing; not using it"
    else
        log "$path_pulumi reports '${path_version:-?}', not $PULUMI_VERSION; not using it"
    fi
fi

# --- 2. The version-keyed cache ---------------------------------------------
CACHE_ROOT=${PULUMI_CYCLECLOUD_CACHE:-${HOME:?HOME is not set}/.cache/pulumi-cyclecloud}
mkdir -p "$CACHE_ROOT/pulumi-cli/$PULUMI_VERSION"
VERSION_DIR=$(abs_dir "$CACHE_ROOT/pulumi-cli/$PULUMI_VERSION")
BIN_DIR="$VERSION_DIR/bin"
STAMP_FILE="$BIN_DIR/.build-stamp"

# The stamp ties a build to the wrapper modules' go.mod/go.sum: editing them
# (e.g. a dependency bump) rebuilds even though the version key is the same.
wanted_stamp=$(cat "$CLI_MOD_DIR/go.mod" "$CLI_MOD_DIR/go.sum" \
    "$LANGHOST_MOD_DIR/go.mod" "$LANGHOST_MOD_DIR/go.sum" | cksum | tr -d ' ')

cached_ok() {
    [ -x "$BIN_DIR/pulumi" ] && [ -x "$BIN_DIR/pulumi-language-nodejs" ] \
        && [ -f "$STAMP_FILE" ] && [ "$(cat "$STAMP_FILE")" = "$wanted_stamp" ] \
        && [ "$("$BIN_DIR/pulumi" version 2>/dev/null | tr -d '[:space:]')" = "$PULUMI_VERSION" ]
}

# The official install ships `pulumi-resource-pulumi-nodejs` (the dynamic provider's launcher,
# which runs the @pulumi/pulumi of the program's directory) next to `pulumi`; without it the
# engine takes the one on PATH and warns on every command. Written, not copied: it is 4 lines.
ensure_dynamic_provider_launcher() {
    local launcher="$BIN_DIR/pulumi-resource-pulumi-nodejs"
    [ -x "$launcher" ] && return 0
    local tmp
    tmp=$(mktemp "$BIN_DIR/.launcher.XXXXXX")
    cat >"$tmp" <<'LAUNCHER'
#!/bin/sh
PULUMI_DYNAMIC_PROVIDER_SCRIPT_PATH=$(node -e "console.log(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))")
if [ ! -z "$PULUMI_DYNAMIC_PROVIDER_SCRIPT_PATH" ]; then
    node "$PULUMI_DYNAMIC_PROVIDER_SCRIPT_PATH" $@
fi
LAUNCHER
    chmod 755 "$tmp"
    mv -f "$tmp" "$launcher"
}

if cached_ok; then
    log "using cached Pulumi CLI $PULUMI_VERSION in $BIN_DIR"
    ensure_dynamic_provider_launcher
    printf '%s\n' "$BIN_DIR"
    exit 0
fi

# --- 3. Build from Go modules -----------------------------------------------
if ! command -v go >/dev/null 2>&1; then
    die "Pulumi CLI $PULUMI_VERSION is not on PATH and 'go' is not available to build it.
  With internet access, install the Pulumi CLI the normal way: https://www.pulumi.com/docs/install/
  (version $PULUMI_VERSION, then put 'pulumi' and 'pulumi-language-nodejs' on PATH).
  Without it, install Go >= 1.25.11 and make sure a Go module proxy is reachable, then rerun this script."
fi

# Use the machine's Go as it is; never download another toolchain.
export GOTOOLCHAIN=local
export CGO_ENABLED=0

go_version=$(go env GOVERSION 2>/dev/null || true)
case "$go_version" in
    go1.2[5-9]* | go1.[3-9][0-9]* | go[2-9]*) ;;
    *) die "Go >= 1.25.11 is needed to build Pulumi CLI $PULUMI_VERSION (found '${go_version:-unknown}').
  With internet access, install the Pulumi CLI the normal way instead: https://www.pulumi.com/docs/install/" ;;
esac

# One build at a time per cache folder (flock is optional).
if command -v flock >/dev/null 2>&1; then
    exec 9>"$VERSION_DIR/.lock"
    if ! flock -n 9; then
        log "another build of Pulumi CLI $PULUMI_VERSION is running; waiting for it..."
        flock 9
    fi
    if cached_ok; then
        log "using cached Pulumi CLI $PULUMI_VERSION in $BIN_DIR"
        ensure_dynamic_provider_launcher
        printf '%s\n' "$BIN_DIR"
        exit 0
    fi
fi

log "building Pulumi CLI $PULUMI_VERSION from Go modules ($go_version); first build takes several minutes..."
log "  output:      $BIN_DIR"
log "  Go modules:  $(go env GOMODCACHE)"
log "  Go build cache: $(go env GOCACHE)"
log "  (with internet access, the normal install is https://www.pulumi.com/docs/install/)"

TMP_BIN=$(mktemp -d "$VERSION_DIR/bin.tmp.XXXXXX")
trap 'rm -rf "$TMP_BIN"' EXIT
chmod 755 "$TMP_BIN"

LDFLAGS="-s -w -X $VERSION_VAR=$PULUMI_VERSION"
start=$(date +%s)

build() { # <module dir> <output name> <package>
    log "go build $3 -> $2"
    if ! (cd "$1" && go build -trimpath -ldflags "$LDFLAGS" -o "$TMP_BIN/$2" "$3") >&2; then
        die "building $2 failed (see the go output above).
  A 'missing go.sum entry' error can be fixed with GOFLAGS=-mod=mod; a network
  error means the Go module proxy ($(go env GOPROXY)) is not reachable.
  With internet access, install the Pulumi CLI the normal way: https://www.pulumi.com/docs/install/"
    fi
}

build "$CLI_MOD_DIR" pulumi "$CLI_PKG"
build "$LANGHOST_MOD_DIR" pulumi-language-nodejs "$LANGHOST_PKG"

built_version=$("$TMP_BIN/pulumi" version 2>/dev/null | tr -d '[:space:]' || true)
[ "$built_version" = "$PULUMI_VERSION" ] \
    || die "the built pulumi reports '$built_version', expected $PULUMI_VERSION"

printf '%s\n' "$wanted_stamp" >"$TMP_BIN/.build-stamp"
rm -rf "$BIN_DIR"
mv "$TMP_BIN" "$BIN_DIR"
trap - EXIT

log "built Pulumi CLI $PULUMI_VERSION in $(( $(date +%s) - start ))s"
ensure_dynamic_provider_launcher
printf '%s\n' "$BIN_DIR"
