#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for umf: installs the system packages it lacks (and only
# those), the npm packages, and builds libumf.so.1. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the C toolchain and the libraries of the optional components.
#   cmake, gcc, libc6-dev, ninja-build, pkg-config  build libumf
#   libhwloc-dev      NUMA modes of the OS provider, memspaces
#   bzip2 make        build jemalloc 5.3.0 for the jemalloc pool (scripts/jemalloc.sh fetches its source)
#   libtbbmalloc2     the scalable pool (oneTBB's tbbmalloc, loaded at run time)
#   libze-dev libze1  the Level Zero loader (loaded at run time by the Level Zero provider)
packages=(cmake gcc libc6-dev make ninja-build pkg-config bzip2 libhwloc-dev libtbbmalloc2 libze-dev libze1)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    if [ "$(id -u)" -eq 0 ]; then
        apt_get=(apt-get)
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        apt_get=(sudo apt-get)
    else
        echo "setup: cannot install ${missing[*]}: run as root or with passwordless sudo, or install them yourself:" >&2
        echo "    sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    # wait for another apt or dpkg (an unattended upgrade, say) instead of failing at once
    apt_get+=(-o DPkg::Lock::Timeout=300)
    if ! "${apt_get[@]}" install -y --no-install-recommends "${missing[@]}"; then
        "${apt_get[@]}" update && "${apt_get[@]}" install -y --no-install-recommends "${missing[@]}" || {
            echo "setup: apt-get could not install ${missing[*]}; see the messages above" >&2
            exit 1
        }
    fi
else
    echo "setup: system packages present"
fi

if ! command -v node >/dev/null || ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=17)?0:1)'; then
    echo "setup: Node.js >= 20.17 is required (found: $(node --version 2>/dev/null || echo none))" >&2
    exit 1
fi

# jemalloc 5.3.0 from Debian's source package, checked and built once into ~/.cache/umf (the jemalloc pool
# links it statically).
jemalloc_dir=$(bash scripts/jemalloc.sh)
echo "setup: jemalloc 5.3.0 in $jemalloc_dir"

# npm ci also runs the package's install script, which builds libumf.so.1 (scripts/build-native.mjs).
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
npm run build:native

# The consumer test (test/package-consumer.test.ts) installs the packed package into a copy of
# examples/consumer with --offline: resolve that project's registry dependencies once now, so npm's cache
# holds what that install needs.
cache_dir=$(mktemp -d)
trap 'rm -rf "$cache_dir"' EXIT
cp examples/consumer/package.json "$cache_dir/"
runtime_deps=$(node -p 'Object.entries(require("./package.json").dependencies).map(([n, v]) => `${n}@${v}`).join(" ")')
(cd "$cache_dir" && npm pkg delete dependencies.umf && npm install --ignore-scripts --no-audit --no-fund --prefer-offline $runtime_deps >/dev/null) || {
    echo "setup: could not cache the consumer example's npm packages" >&2
    exit 1
}
echo "setup: done (library: build/Release/libumf.so.1)"
