#!/usr/bin/env bash
# Checks the GPU providers against the real drivers of this machine (the tests otherwise run on a
# stand-in libcuda.so.1 and on a fixture Level Zero driver). Run it from a clean checkout on a machine
# with a GPU and its driver:
#   bash scripts/gpu-check.sh
# It checks whichever GPU drivers it finds:
#   CUDA        when libcuda.so.1 is installed (an NVIDIA driver)
#   Level Zero  when the loader (libze_loader.so.1) and a GPU driver (libze_intel_gpu.so.1) are installed,
#               and zeInit finds a device with them (ZE_ENABLE_ALT_DRIVERS is ignored here)
# For each it builds libumf and the C test, runs the C test in its real-driver mode, then the examples,
# and prints what it verified. It exits 2, checking nothing, when neither driver is there (or the Level
# Zero driver has no device and there is no CUDA driver). Building the Level Zero test also builds the
# fixture driver, which needs the loader's headers (libze-dev).
set -euo pipefail
cd "$(dirname "$0")/.."

# The shared libraries the dynamic linker knows (ldconfig lives in /sbin, not always on PATH).
ldcache() {
    if command -v ldconfig >/dev/null; then ldconfig -p; elif [ -x /sbin/ldconfig ]; then /sbin/ldconfig -p; fi
}
libs=$(ldcache || true)
has_lib() { grep -q "$1" <<<"$libs"; }

cuda=no
has_lib 'libcuda\.so\.1' && cuda=yes
ze=no
has_lib 'libze_loader\.so\.1' && has_lib 'libze_intel_gpu\.so\.1' && ze=yes

if [ "$cuda" = no ] && [ "$ze" = no ]; then
    echo "gpu-check: no GPU driver on this machine: no libcuda.so.1 (NVIDIA) and no Level Zero GPU driver" \
        "(libze_loader.so.1 with libze_intel_gpu.so.1): nothing to check" >&2
    exit 2
fi
echo "gpu-check: CUDA driver: $cuda; Level Zero GPU driver: $ze"

# build: libumf and the C tests (plain cmake, no cmake-js or jemalloc needed), in a folder of its own outside
# the checkout (CMake's Makefile generator leaves compiler_depend.ts files that tap would take for tests)
bdir=$(mktemp -d "${TMPDIR:-/tmp}/umf-gpu-check.XXXXXX")
trap 'rm -rf "$bdir"' EXIT
targets=()
[ "$cuda" = yes ] && targets+=(--target provider_cuda)
[ "$ze" = yes ] && targets+=(--target provider_level_zero)
cmake -S vendor/umf -B "$bdir" -DCMAKE_BUILD_TYPE=Release -DUMF_BUILD_BENCHMARKS=OFF \
    -DUMF_WITH_JEMALLOC=OFF >/dev/null
cmake --build "$bdir" -j"$(nproc)" "${targets[@]}" >/dev/null
[ -d node_modules ] || npm ci --ignore-scripts >/dev/null
lib="$bdir/libumf.so.1"
checked=()

if [ "$cuda" = yes ]; then
    command -v nvidia-smi >/dev/null && nvidia-smi -L
    echo "gpu-check: C test provider_cuda on the real driver"
    UMF_TEST_CUDA_DRIVER=real "$bdir"/test/provider_cuda

    echo "gpu-check: the CUDA example on the real driver"
    UMF_LIBRARY_PATH="$lib" npx tsx examples/cuda_shared_memory.ts 0
    checked+=(cuda)
fi

if [ "$ze" = yes ]; then
    echo "gpu-check: C test provider_level_zero on the real Level Zero driver"
    rc=0
    env -u ZE_ENABLE_ALT_DRIVERS UMF_TEST_ZE_DRIVER=real "$bdir"/test/provider_level_zero || rc=$?
    if [ "$rc" = 2 ]; then
        echo "gpu-check: the Level Zero driver is installed but zeInit found no device: Level Zero not checked" >&2
    elif [ "$rc" != 0 ]; then
        echo "gpu-check: provider_level_zero failed on the real driver (exit $rc)" >&2
        exit 1
    else
        echo "gpu-check: the Level Zero examples on the real driver"
        for args in examples/level_zero_shared_memory.ts examples/ipc_level_zero.ts "examples/ipc_level_zero.ts --two-processes"; do
            # shellcheck disable=SC2086 # the example and its arguments
            env -u ZE_ENABLE_ALT_DRIVERS UMF_LIBRARY_PATH="$lib" npx tsx $args
        done
        checked+=(level_zero)
    fi
fi

if [ "${#checked[@]}" = 0 ]; then
    echo "gpu-check: no GPU with a device to check" >&2
    exit 2
fi

for what in "${checked[@]}"; do
    if [ "$what" = cuda ]; then
        cat <<'DONE'
gpu-check: verified on the real CUDA driver:
  - params defaults from the current context; creation errors for a missing type, context or device
  - host, device and shared allocations in the provider's context (cuPointerGetAttribute), the caller's
    context restored, granularity page sizes, alignment rules, alloc flags
  - memory properties (pointer type, context, device) through a pool
  - IPC of device memory between two processes (cuIpcGetMemHandle / cuIpcOpenMemHandle_v2)
  - a disjoint pool of shared memory written and read from Node (examples/cuda_shared_memory.ts)
DONE
    else
        cat <<'DONE'
gpu-check: verified on the real Level Zero driver:
  - a missing or uninitialized loader refused with error codes; params checks and creation errors
  - host, device and shared allocations with the driver's page size, alignment rules and stats; host and
    shared memory written and read by the host; the three free policies; resident devices
  - memory properties (pointer type, context, device) through a pool; params.use_import_export_for_IPC
  - IPC of device memory between two processes (zeMemGetIpcHandle / zeMemOpenIpcHandle)
  - a disjoint pool of shared memory written and read from Node (examples/level_zero_shared_memory.ts)
  - IPC of shared memory between two contexts and two processes (examples/ipc_level_zero.ts)
DONE
    fi
done
