#!/usr/bin/env bash
# Fetches jemalloc 5.3.0's source from Debian (the source package jemalloc 5.3.0-1 of bookworm), checks its
# SHA-256, and builds the static, position-independent library the jemalloc pool links into libumf.so.1:
# public names prefixed je_ (the process's own malloc stays glibc's), no initial-exec TLS (so the library
# loads with dlopen in any process, Node included), nothing exported. Safe to run again: it does nothing
# when the build is already cached. Nothing of jemalloc is ever copied into this repository.
#
#   scripts/jemalloc.sh            prints the folder of the build (include/, lib/libjemalloc_pic.a)
#
# The cache is $UMF_DEPS_DIR, else ${XDG_CACHE_HOME:-~/.cache}/umf. Needs apt-get (Debian's keyring),
# make, a C compiler and bzip2; without them it fails with a message saying so, and libumf is built
# without the jemalloc pool.
set -euo pipefail

version=5.3.0
debian_version=5.3.0-1
# from the package's .dsc (Checksums-Sha256), which apt checks against Debian's signed index
sha256=2db82d1e7119df3e71b7640219b6dfe84789bc0537983c3b7ac4f7189aecfeaa
tarball=jemalloc_${version}.orig.tar.bz2

cache=${UMF_DEPS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/umf}
prefix=$cache/jemalloc-$version
if [ -f "$prefix/.built" ]; then
    echo "$prefix"
    exit 0
fi
mkdir -p "$cache"
for tool in apt-get make cc bzip2 sha256sum; do
    command -v "$tool" >/dev/null || { echo "jemalloc.sh: $tool is missing" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! echo "$sha256  $cache/$tarball" | sha256sum -c --quiet - >/dev/null 2>&1; then
    # apt-get source without touching the machine's apt configuration: a private sources file (deb822, so
    # its name ends in .sources), lists and cache
    mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/out"
    cat >"$work/debian.sources" <<EOF
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    apt_opts=(-q -o "Dir::Etc::sourcelist=$work/debian.sources" -o Dir::Etc::sourceparts=-
        -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o Debug::NoLocking=1
        -o APT::Sandbox::User="$(id -un)")
    if ! { apt-get "${apt_opts[@]}" update && (cd "$work/out" && apt-get "${apt_opts[@]}" source --download-only \
        "jemalloc=$debian_version"); } >"$work/fetch.log" 2>&1; then
        cat "$work/fetch.log" >&2
        echo "jemalloc.sh: could not fetch Debian's source package jemalloc $debian_version" >&2
        exit 1
    fi
    echo "$sha256  $work/out/$tarball" | sha256sum -c --quiet - || {
        echo "jemalloc.sh: $tarball does not have the expected SHA-256" >&2
        exit 1
    }
    mv "$work/out/$tarball" "$cache/$tarball"
fi

tar -xjf "$cache/$tarball" -C "$work"
src=$work/jemalloc-$version
(
    cd "$src"
    # --without-export: the je_ functions are hidden too; libumf's version script exports UMF's names alone
    ./configure --with-jemalloc-prefix=je_ --disable-initial-exec-tls --without-export --disable-cxx \
        --disable-shared --enable-static --disable-doc >"$work/configure.log" 2>&1 ||
        { tail -30 "$work/configure.log" >&2; echo "jemalloc.sh: configure failed" >&2; exit 1; }
    make -j"$(nproc)" build_lib_static >"$work/make.log" 2>&1 ||
        { tail -30 "$work/make.log" >&2; echo "jemalloc.sh: make failed" >&2; exit 1; }
)
rm -rf "$prefix"
mkdir -p "$prefix/include/jemalloc" "$prefix/lib"
cp "$src/include/jemalloc/jemalloc.h" "$prefix/include/jemalloc/"
cp "$src/lib/libjemalloc_pic.a" "$prefix/lib/"
touch "$prefix/.built"
echo "$prefix"
