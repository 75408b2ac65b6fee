/*
 * The jemalloc and scalable pools against the allocators they wrap, measured in the same run:
 * glibc malloc, jemalloc's own mallocx (thread cache on, its default, and off, the pool's
 * setting), tbbmalloc's scalable_malloc, and both UMF pools over the OS provider.
 *
 * Patterns (each: ns per malloc+free pair, median of RUNS runs, per thread):
 *   fixed64    batches of 1000 x 64 B, allocated then freed
 *   fixed4k    batches of 1000 x 4 KiB
 *   rand64k    batches of 1000 x random sizes 8 B .. 64 KiB
 *   live10k    10,000 live blocks of 8 B .. 4 KiB; each step frees a random one and allocates anew
 * with 1 and 2 threads (each thread its own work). Ratios: pool / the allocator it wraps.
 *
 * mallocx is the jemalloc 5.3.0 that libumf links (a separate copy, see bench_common.h);
 * libtbbmalloc.so.2 is loaded with dlopen(RTLD_LOCAL) like the pool does.
 * Usage: bench_pools_jemalloc_scalable [runs] [pairs-per-run]
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <umf.h>
#include <umf/memory_pool.h>
#include <umf/pools/pool_jemalloc.h>
#include <umf/pools/pool_scalable.h>
#include <umf/providers/provider_os_memory.h>

#include "bench_common.h"

#define BATCH 1000
#define LIVE 10000
#define MAX_THREADS 2
#define MAX_RUNS 31

typedef struct allocator_t {
    const char *name;
    void *(*alloc)(void *ctx, size_t size);
    void (*release)(void *ctx, void *ptr);
    void *ctx;
    int available;
} allocator_t;

/* ---- the allocators ---- */

static void *(*tbb_malloc)(size_t);
static void (*tbb_free)(void *);

static void *glibc_alloc(void *ctx, size_t n) { return malloc(n); }
static void glibc_free(void *ctx, void *p) { free(p); }
static void *mallocx_alloc(void *ctx, size_t n) { return bench_je_mallocx(n, 0); }
static void mallocx_free(void *ctx, void *p) { bench_je_dallocx(p, 0); }
static void *mallocx_nt_alloc(void *ctx, size_t n) { return bench_je_mallocx(n, MALLOCX_TCACHE_NONE); }
static void mallocx_nt_free(void *ctx, void *p) { bench_je_dallocx(p, MALLOCX_TCACHE_NONE); }
static void *tbb_alloc(void *ctx, size_t n) { return tbb_malloc(n); }
static void tbb_release(void *ctx, void *p) { tbb_free(p); }
static void *pool_alloc(void *ctx, size_t n) { return umfPoolMalloc(ctx, n); }
static void pool_release(void *ctx, void *p) { umfPoolFree(ctx, p); }

enum { A_GLIBC, A_MALLOCX, A_MALLOCX_NT, A_TBB, A_UMF_JE, A_UMF_SC, A_COUNT };
static allocator_t allocators[A_COUNT] = {
    {"glibc malloc", glibc_alloc, glibc_free, NULL, 1},
    {"jemalloc mallocx", mallocx_alloc, mallocx_free, NULL, 0},
    {"mallocx no tcache", mallocx_nt_alloc, mallocx_nt_free, NULL, 0},
    {"tbb scalable_malloc", tbb_alloc, tbb_release, NULL, 0},
    {"umf jemalloc pool", pool_alloc, pool_release, NULL, 0},
    {"umf scalable pool", pool_alloc, pool_release, NULL, 0},
};

/* ---- the patterns ---- */

enum { P_FIXED64, P_FIXED4K, P_RAND64K, P_LIVE10K, P_COUNT };
static const char *const PATTERN_NAMES[P_COUNT] = {"fixed64", "fixed4k", "rand64k", "live10k"};

static size_t pairs_per_run = 100000;

typedef struct work_t {
    const allocator_t *a;
    int pattern;
    unsigned seed;
    double ns;
    pthread_barrier_t *barrier;
} work_t;

static double now_ns(void) { return bench_clock_ns(CLOCK_MONOTONIC); }

static uint32_t next_rand(uint32_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void *run_pattern(void *arg) {
    work_t *w = arg;
    const allocator_t *a = w->a;
    uint32_t rnd = w->seed * 2654435761u + 1;
    size_t *sizes = malloc(sizeof(size_t) * BATCH);
    void **ptrs = malloc(sizeof(void *) * (w->pattern == P_LIVE10K ? LIVE : BATCH));
    for (int i = 0; i < BATCH; i++) {
        sizes[i] = w->pattern == P_FIXED64 ? 64 : w->pattern == P_FIXED4K ? 4096 : 8 + next_rand(&rnd) % (65536 - 8);
    }
    if (w->pattern == P_LIVE10K) {
        for (int i = 0; i < LIVE; i++) {
            ptrs[i] = a->alloc(a->ctx, 8 + next_rand(&rnd) % 4089);
            *(char *)ptrs[i] = 1;
        }
    }
    pthread_barrier_wait(w->barrier);
    double t0 = now_ns();
    size_t done = 0;
    if (w->pattern == P_LIVE10K) {
        for (; done < pairs_per_run; done++) {
            uint32_t r = next_rand(&rnd);
            size_t slot = r % LIVE;
            a->release(a->ctx, ptrs[slot]);
            ptrs[slot] = a->alloc(a->ctx, 8 + (r >> 14) % 4089);
            *(char *)ptrs[slot] = 1;
        }
    } else {
        while (done < pairs_per_run) {
            for (int i = 0; i < BATCH; i++) {
                ptrs[i] = a->alloc(a->ctx, sizes[i]);
                *(char *)ptrs[i] = 1;
            }
            for (int i = 0; i < BATCH; i++) {
                a->release(a->ctx, ptrs[i]);
            }
            done += BATCH;
        }
    }
    w->ns = (now_ns() - t0) / (double)done;
    if (w->pattern == P_LIVE10K) {
        for (int i = 0; i < LIVE; i++) {
            a->release(a->ctx, ptrs[i]);
        }
    }
    free(sizes);
    free(ptrs);
    return NULL;
}

/* One run: every thread runs the pattern; the result is the slowest thread's ns per pair. */
static double one_run(const allocator_t *a, int pattern, int threads, unsigned seed) {
    pthread_t th[MAX_THREADS];
    work_t w[MAX_THREADS];
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, (unsigned)threads);
    for (int t = 0; t < threads; t++) {
        w[t] = (work_t){a, pattern, seed + (unsigned)t * 7919u, 0, &barrier};
        pthread_create(&th[t], NULL, run_pattern, &w[t]);
    }
    double worst = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(th[t], NULL);
        if (w[t].ns > worst) {
            worst = w[t].ns;
        }
    }
    pthread_barrier_destroy(&barrier);
    return worst;
}

/* ---- setup ---- */

static void load_libraries(void) {
    allocators[A_MALLOCX].available = allocators[A_MALLOCX_NT].available = BENCH_HAVE_JEMALLOC;
    if (!BENCH_HAVE_JEMALLOC) {
        fprintf(stderr, "jemalloc not measured: libumf was built without it\n");
    }
    void *tbb = dlopen("libtbbmalloc.so.2", RTLD_NOW | RTLD_LOCAL);
    if (tbb != NULL) {
        *(void **)&tbb_malloc = dlsym(tbb, "scalable_malloc");
        *(void **)&tbb_free = dlsym(tbb, "scalable_free");
        allocators[A_TBB].available = tbb_malloc && tbb_free;
    } else {
        fprintf(stderr, "tbbmalloc not measured: %s\n", dlerror());
    }
}

static umf_memory_provider_handle_t os_provider(void) {
    umf_os_memory_provider_params_handle_t prm = NULL;
    umf_memory_provider_handle_t h = NULL;
    if (umfOsMemoryProviderParamsCreate(&prm) != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    umf_result_t rc = umfMemoryProviderCreate(umfOsMemoryProviderOps(), prm, &h);
    umfOsMemoryProviderParamsDestroy(prm);
    return rc == UMF_RESULT_SUCCESS ? h : NULL;
}

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    if (runs < 1 || runs > MAX_RUNS) {
        runs = 5;
    }
    if (argc > 2 && atol(argv[2]) >= BATCH) {
        pairs_per_run = (size_t)atol(argv[2]);
    }
    load_libraries();
    umf_memory_provider_handle_t p1 = os_provider(), p2 = os_provider();
    umf_memory_pool_handle_t je_pool = NULL, sc_pool = NULL;
    umf_result_t rc_je = p1 ? umfPoolCreate(umfJemallocPoolOps(), p1, NULL, 0, &je_pool) : UMF_RESULT_ERROR_UNKNOWN;
    umf_result_t rc_sc = p2 ? umfPoolCreate(umfScalablePoolOps(), p2, NULL, 0, &sc_pool) : UMF_RESULT_ERROR_UNKNOWN;
    allocators[A_UMF_JE].ctx = je_pool;
    allocators[A_UMF_JE].available = rc_je == UMF_RESULT_SUCCESS;
    allocators[A_UMF_SC].ctx = sc_pool;
    allocators[A_UMF_SC].available = rc_sc == UMF_RESULT_SUCCESS;
    if (rc_je != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "umf jemalloc pool not measured: create returned %d\n", (int)rc_je);
    }
    if (rc_sc != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "umf scalable pool not measured: create returned %d\n", (int)rc_sc);
    }

    printf("ns per malloc+free pair, median of %d runs of %zu pairs per thread (OS provider under the pools)\n", runs,
           pairs_per_run);
    printf("%-8s %3s", "pattern", "thr");
    for (int a = 0; a < A_COUNT; a++) {
        printf(" %19s", allocators[a].name);
    }
    printf(" %12s %12s\n", "je pool/mlx", "sc pool/tbb");
    for (int threads = 1; threads <= MAX_THREADS; threads++) {
        for (int p = 0; p < P_COUNT; p++) {
            double med[A_COUNT] = {0};
            double samples[A_COUNT][MAX_RUNS];
            /* interleave the allocators run by run so that noise hits them alike */
            for (int r = 0; r < runs; r++) {
                for (int a = 0; a < A_COUNT; a++) {
                    if (allocators[a].available) {
                        samples[a][r] = one_run(&allocators[a], p, threads, (unsigned)r + 1);
                    }
                }
            }
            printf("%-8s %3d", PATTERN_NAMES[p], threads);
            for (int a = 0; a < A_COUNT; a++) {
                if (allocators[a].available) {
                    qsort(samples[a], (size_t)runs, sizeof(double), bench_cmp_double);
                    med[a] = samples[a][runs / 2];
                    printf(" %19.1f", med[a]);
                } else {
                    printf(" %19s", "-");
                }
            }
            if (med[A_UMF_JE] > 0 && med[A_MALLOCX] > 0) {
                printf(" %11.2fx", med[A_UMF_JE] / med[A_MALLOCX]);
            } else {
                printf(" %12s", "-");
            }
            if (med[A_UMF_SC] > 0 && med[A_TBB] > 0) {
                printf(" %11.2fx", med[A_UMF_SC] / med[A_TBB]);
            } else {
                printf(" %12s", "-");
            }
            printf("\n");
            fflush(stdout);
        }
    }
    if (je_pool) {
        umfPoolDestroy(je_pool);
    }
    if (sc_pool) {
        umfPoolDestroy(sc_pool);
    }
    umfMemoryProviderDestroy(p1);
    umfMemoryProviderDestroy(p2);
    return 0;
}
