/*
 * Provider alloc+free: the fixed provider (over one 256 MiB buffer), the file
 * provider (private and shared mappings of a file in $TMPDIR or /tmp), and the
 * OS provider, with glibc malloc+free measured in the same run for scale.
 *
 * Each figure is ns per umfMemoryProviderAlloc + umfMemoryProviderFree pair
 * of 4 KiB or 2 MiB (the memory is touched once per allocation, one byte, so
 * a provider that hands out untouchable memory would show), the median of
 * several runs. Times are the CPU time of the measuring thread (user + system),
 * so time spent descheduled on a busy machine is left out.
 * Usage: bench_providers [runs] (default 7).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <umf/memory_provider.h>
#include <umf/providers/provider_file_memory.h>
#include <umf/providers/provider_fixed_memory.h>
#include <umf/providers/provider_os_memory.h>

#include "bench_common.h"

#define KiB ((size_t)1024)
#define MiB (KiB * KiB)
#define FIXED_BUFFER (256 * MiB)
#define MAX_RUNS 31

static double now_ns(void) { return bench_clock_ns(CLOCK_THREAD_CPUTIME_ID); }

/* ns per alloc+free of size through h; < 0 when an operation failed. */
static double run_provider(umf_memory_provider_handle_t h, size_t size, unsigned ops) {
    double t0 = now_ns();
    for (unsigned i = 0; i < ops; i++) {
        void *p = NULL;
        if (umfMemoryProviderAlloc(h, size, 0, &p) != UMF_RESULT_SUCCESS || p == NULL) {
            return -1;
        }
        *(volatile char *)p = (char)i;
        if (umfMemoryProviderFree(h, p, size) != UMF_RESULT_SUCCESS) {
            return -1;
        }
    }
    return (now_ns() - t0) / ops;
}

static double run_malloc(size_t size, unsigned ops) {
    double t0 = now_ns();
    for (unsigned i = 0; i < ops; i++) {
        char *p = malloc(size);
        if (p == NULL) {
            return -1;
        }
        *(volatile char *)p = (char)i;
        free(p);
    }
    return (now_ns() - t0) / ops;
}

enum { P_MALLOC, P_OS, P_FIXED, P_FILE_PRIVATE, P_FILE_SHARED, P_COUNT };
static const char *const NAMES[P_COUNT] = {"glibc malloc+free", "OS provider", "fixed provider",
                                           "file provider (private)", "file provider (shared)"};

static umf_memory_provider_handle_t make_os(void) {
    umf_os_memory_provider_params_handle_t params = NULL;
    if (umfOsMemoryProviderParamsCreate(&params) != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    umf_memory_provider_handle_t h = NULL;
    umfMemoryProviderCreate(umfOsMemoryProviderOps(), params, &h);
    umfOsMemoryProviderParamsDestroy(params);
    return h;
}

static umf_memory_provider_handle_t make_fixed(void *buf, size_t size) {
    umf_fixed_memory_provider_params_handle_t params = NULL;
    if (umfFixedMemoryProviderParamsCreate(buf, size, &params) != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    umf_memory_provider_handle_t h = NULL;
    umfMemoryProviderCreate(umfFixedMemoryProviderOps(), params, &h);
    umfFixedMemoryProviderParamsDestroy(params);
    return h;
}

static umf_memory_provider_handle_t make_file(const char *path, umf_memory_visibility_t vis) {
    umf_file_memory_provider_params_handle_t params = NULL;
    if (umfFileMemoryProviderParamsCreate(path, &params) != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    umfFileMemoryProviderParamsSetVisibility(params, vis);
    umf_memory_provider_handle_t h = NULL;
    umfMemoryProviderCreate(umfFileMemoryProviderOps(), params, &h);
    umfFileMemoryProviderParamsDestroy(params);
    return h;
}

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 7;
    if (runs < 1 || runs > MAX_RUNS) {
        runs = 7;
    }
    const char *tmp = getenv("TMPDIR");
    char path_private[512], path_shared[512];
    snprintf(path_private, sizeof(path_private), "%s/umf_bench_file_p_%d", tmp && tmp[0] ? tmp : "/tmp", (int)getpid());
    snprintf(path_shared, sizeof(path_shared), "%s/umf_bench_file_s_%d", tmp && tmp[0] ? tmp : "/tmp", (int)getpid());

    void *buf = mmap(NULL, FIXED_BUFFER, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) {
        fprintf(stderr, "cannot map the fixed provider's buffer\n");
        return 1;
    }
    umf_memory_provider_handle_t h[P_COUNT] = {NULL};
    h[P_OS] = make_os();
    h[P_FIXED] = make_fixed(buf, FIXED_BUFFER);
    h[P_FILE_PRIVATE] = make_file(path_private, UMF_MEM_MAP_PRIVATE);
    h[P_FILE_SHARED] = make_file(path_shared, UMF_MEM_MAP_SHARED);

    const size_t sizes[2] = {4 * KiB, 2 * MiB};
    const unsigned ops[2] = {50000, 5000};
    double med[P_COUNT][2];
    for (int s = 0; s < 2; s++) {
        double samples[P_COUNT][MAX_RUNS];
        for (int r = 0; r < runs; r++) {
            /* interleave the candidates within each run so that machine noise hits them alike */
            for (int k = 0; k < P_COUNT; k++) {
                if (k == P_MALLOC) {
                    samples[k][r] = run_malloc(sizes[s], ops[s]);
                } else {
                    samples[k][r] = h[k] ? run_provider(h[k], sizes[s], ops[s]) : -1;
                }
            }
        }
        for (int k = 0; k < P_COUNT; k++) {
            med[k][s] = bench_median(samples[k], runs);
        }
    }

    printf("provider alloc+free, ns per pair (median of %d runs, thread CPU time)\n", runs);
    printf("%-26s %14s %10s %14s %10s\n", "", "4 KiB", "x malloc", "2 MiB", "x malloc");
    for (int k = 0; k < P_COUNT; k++) {
        printf("%-26s", NAMES[k]);
        for (int s = 0; s < 2; s++) {
            if (med[k][s] < 0) {
                printf(" %14s %10s", "n/a", "");
            } else {
                printf(" %14.1f %10.2f", med[k][s], med[k][s] / med[P_MALLOC][s]);
            }
        }
        printf("\n");
    }

    for (int k = 0; k < P_COUNT; k++) {
        umfMemoryProviderDestroy(h[k]);
    }
    unlink(path_private);
    unlink(path_shared);
    munmap(buf, FIXED_BUFFER);
    return 0;
}
