#!/usr/bin/env bash
# Checks the CUDA provider against the real NVIDIA driver (the tests otherwise run on a stand-in
# libcuda.so.1). Run it from a clean checkout on a machine with an NVIDIA GPU and its driver:
#   bash scripts/gpu-check.sh
# It builds libumf and the C test, runs the C test in its real-driver mode, then the example, and prints
# what it verified. Stand-in-only checks (missing driver, injected errors) are left out by the tests.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! ldconfig -p | grep -q 'libcuda\.so\.1'; then
    echo "gpu-check: no libcuda.so.1 on this machine (no NVIDIA driver): nothing to check" >&2
    exit 2
fi
command -v nvidia-smi >/dev/null && nvidia-smi -L

# build: libumf and the C tests (plain cmake, no cmake-js or jemalloc needed)
cmake -S vendor/umf -B build/gpu-check -DCMAKE_BUILD_TYPE=Release -DUMF_BUILD_BENCHMARKS=OFF \
    -DUMF_WITH_JEMALLOC=OFF >/dev/null
cmake --build build/gpu-check -j"$(nproc)" --target provider_cuda >/dev/null

echo "gpu-check: C test provider_cuda on the real driver"
UMF_TEST_CUDA_DRIVER=real build/gpu-check/test/provider_cuda

echo "gpu-check: the TypeScript example on the real driver"
[ -d node_modules ] || npm ci --ignore-scripts >/dev/null
UMF_LIBRARY_PATH="$PWD/build/gpu-check/libumf.so.1" npx tsx examples/cuda_shared_memory.ts 0

cat <<'DONE'
gpu-check: verified on the real driver:
  - params defaults from the current context; creation errors for a missing type, context or device
  - host, device and shared allocations in the provider's context (cuPointerGetAttribute), the caller's
    context restored, granularity page sizes, alignment rules, alloc flags
  - memory properties (pointer type, context, device) through a pool
  - IPC of device memory between two processes (cuIpcGetMemHandle / cuIpcOpenMemHandle_v2)
  - a disjoint pool of shared memory written and read from Node (examples/cuda_shared_memory.ts)
DONE
