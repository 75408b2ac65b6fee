/*
 * Benchmark of the disjoint pool against glibc malloc and jemalloc's mallocx,
 * all measured in the same run.
 *
 *   bench_disjoint [runs] [pairs-per-thread] [xstats]
 *
 * Patterns (each thread works on its own pointers; every allocation gets its
 * first byte written, as a program would):
 *   fixed64    malloc(64) then free, repeated
 *   fixed4k    malloc(4096) then free, repeated
 *   rand8-64k  malloc(random 8 B .. 64 KiB) then free, repeated
 *   live10k    10,000 live allocations of random 8 B .. 64 KiB; each step frees
 *              a random one and allocates a new random size in its place
 * Allocators:
 *   glibc      malloc/free
 *   jemalloc   mallocx/dallocx of the jemalloc 5.3.0 libumf links (see bench_common.h; omitted if absent)
 *   disjoint   umfPoolMalloc/umfPoolFree on a disjoint pool over the OS provider
 *   dj-ops     the disjoint pool's ops called directly (no umfPool* wrapper), to
 *              separate the pool's own cost from the framework's
 * The table shows the median ns per malloc+free pair over the runs, the ratio to
 * glibc from the same run, and the 2-thread speedup (work per second with 2
 * threads / with 1). The last three columns do the same with the CPU time each
 * thread used (CLOCK_THREAD_CPUTIME_ID): on a machine shared with other work the
 * wall-clock speedup says more about the neighbours than about the allocator,
 * while CPU ns per pair rises only when threads slow each other down (locks,
 * shared cache lines). After live10k on one thread it prints the bytes the pool
 * holds from its provider per byte the program has allocated.
 *
 * Last, the cost of the extended statistics (params.extended_stats, docs/ctl.md): fixed64 on one
 * thread through umfPoolMalloc/umfPoolFree, on a pool with them off and one with them on, the two
 * pools alternating within each run; medians over the runs and the on/off ratio of each run.
 * With "xstats" as the third argument only these rows are measured. (There is no third row with
 * UMF's always-on counters compiled out: the disjoint pool keeps none on this path. Its
 * stats.alloc_count is read from the bucket counters, which move only when a thread cache refills
 * or drains under a bucket lock, and the core's per-thread counter stripes are not used for it.)
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <umf/experimental/ctl.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_disjoint.h>

#include "bench_common.h"
#include "bench_counting.h"

#define LIVE_SLOTS 10000
#define MAX_THREADS 2

/* ---- allocators under test ---- */

typedef enum { A_GLIBC, A_JEMALLOC, A_DISJOINT, A_DJ_OPS, A_COUNT } alloc_kind_t;
static const char *const ALLOC_NAMES[A_COUNT] = {"glibc", "jemalloc", "disjoint", "dj-ops"};


static umf_memory_pool_handle_t g_pool;
static const umf_memory_pool_ops_t *g_ops;
static void *g_priv;

static inline void *a_malloc(alloc_kind_t k, size_t size) {
    switch (k) {
    case A_GLIBC:
        return malloc(size);
    case A_JEMALLOC:
        return bench_je_mallocx(size, 0);
    case A_DISJOINT:
        return umfPoolMalloc(g_pool, size);
    default:
        return g_ops->malloc(g_priv, size);
    }
}

static inline void a_free(alloc_kind_t k, void *ptr) {
    switch (k) {
    case A_GLIBC:
        free(ptr);
        break;
    case A_JEMALLOC:
        bench_je_dallocx(ptr, 0);
        break;
    case A_DISJOINT:
        umfPoolFree(g_pool, ptr);
        break;
    default:
        g_ops->free(g_priv, ptr);
        break;
    }
}

/* ---- patterns ---- */

typedef enum { P_FIXED64, P_FIXED4K, P_RAND, P_LIVE, P_COUNT } pattern_t;
static const char *const PATTERN_NAMES[P_COUNT] = {"fixed64", "fixed4k", "rand8-64k", "live10k"};

static inline uint64_t rng_next(uint64_t *s) {
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static inline size_t rand_size(uint64_t *s) { return 8 + (size_t)(rng_next(s) % (64 * 1024 - 8 + 1)); }

typedef struct job_t {
    alloc_kind_t kind;
    pattern_t pattern;
    size_t pairs;
    unsigned seed;
    pthread_barrier_t *barrier;
    size_t live_bytes; /* out: requested bytes live at the end of live10k */
    double cpu_ns;     /* out: CPU time the thread spent in the timed part */
    void **slots;      /* live10k: kept until the caller frees them */
    size_t *slot_sizes;
} job_t;

static double thread_cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void *run_job(void *arg) {
    job_t *j = arg;
    alloc_kind_t k = j->kind;
    uint64_t s = 0x9E3779B97F4A7C15ULL * (j->seed + 1);
    size_t n = j->pairs;
    if (j->pattern == P_LIVE) {
        for (size_t i = 0; i < LIVE_SLOTS; i++) {
            j->slot_sizes[i] = rand_size(&s);
            j->slots[i] = a_malloc(k, j->slot_sizes[i]);
            ((char *)j->slots[i])[0] = 1;
        }
    }
    pthread_barrier_wait(j->barrier);
    double cpu0 = thread_cpu_ns();
    switch (j->pattern) {
    case P_FIXED64:
    case P_FIXED4K: {
        size_t size = j->pattern == P_FIXED64 ? 64 : 4096;
        for (size_t i = 0; i < n; i++) {
            char *p = a_malloc(k, size);
            p[0] = 1;
            __asm__ __volatile__("" : : "r"(p) : "memory");
            a_free(k, p);
        }
        break;
    }
    case P_RAND:
        for (size_t i = 0; i < n; i++) {
            char *p = a_malloc(k, rand_size(&s));
            p[0] = 1;
            __asm__ __volatile__("" : : "r"(p) : "memory");
            a_free(k, p);
        }
        break;
    case P_LIVE:
        for (size_t i = 0; i < n; i++) {
            size_t slot = (size_t)(rng_next(&s) % LIVE_SLOTS);
            a_free(k, j->slots[slot]);
            j->slot_sizes[slot] = rand_size(&s);
            j->slots[slot] = a_malloc(k, j->slot_sizes[slot]);
            ((char *)j->slots[slot])[0] = 1;
        }
        break;
    default:
        break;
    }
    j->cpu_ns = thread_cpu_ns() - cpu0;
    pthread_barrier_wait(j->barrier);
    if (j->pattern == P_LIVE) {
        size_t live = 0;
        for (size_t i = 0; i < LIVE_SLOTS; i++) {
            live += j->slot_sizes[i];
        }
        j->live_bytes = live;
    }
    return NULL;
}

static double now_ns(void) { return bench_clock_ns(CLOCK_MONOTONIC); }

static counting_t g_counting;
static double g_reserved_ratio[A_COUNT];

/* Runs one measurement; returns wall ns per pair (per thread) and, in *cpu, the CPU ns per
 * pair averaged over the threads (what a thread costs when it has a core to itself). */
static double measure(alloc_kind_t k, pattern_t pat, unsigned nthreads, size_t pairs, unsigned run, double *cpu) {
    pthread_t th[MAX_THREADS];
    job_t jobs[MAX_THREADS];
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, nthreads + 1);
    for (unsigned t = 0; t < nthreads; t++) {
        jobs[t] = (job_t){.kind = k, .pattern = pat, .pairs = pairs, .seed = run * 16 + t, .barrier = &barrier};
        if (pat == P_LIVE) {
            jobs[t].slots = calloc(LIVE_SLOTS, sizeof(void *));
            jobs[t].slot_sizes = calloc(LIVE_SLOTS, sizeof(size_t));
        }
        pthread_create(&th[t], NULL, run_job, &jobs[t]);
    }
    pthread_barrier_wait(&barrier);
    double t0 = now_ns();
    pthread_barrier_wait(&barrier);
    double t1 = now_ns();
    for (unsigned t = 0; t < nthreads; t++) {
        pthread_join(th[t], NULL);
    }
    pthread_barrier_destroy(&barrier);
    if (pat == P_LIVE) {
        if (nthreads == 1 && (k == A_DISJOINT || k == A_DJ_OPS)) {
            size_t reserved = __atomic_load_n(&g_counting.bytes, __ATOMIC_RELAXED);
            g_reserved_ratio[k] = (double)reserved / (double)jobs[0].live_bytes;
        }
        for (unsigned t = 0; t < nthreads; t++) {
            for (size_t i = 0; i < LIVE_SLOTS; i++) {
                a_free(k, jobs[t].slots[i]);
            }
            free(jobs[t].slots);
            free(jobs[t].slot_sizes);
        }
    }
    double c = 0;
    for (unsigned t = 0; t < nthreads; t++) {
        c += jobs[t].cpu_ns;
    }
    *cpu = c / nthreads / (double)pairs;
    return (t1 - t0) / (double)pairs;
}

static umf_result_t ops_ctl(const char *path, ...) {
    va_list args;
    va_start(args, path);
    umf_result_t rc = g_ops->ext_ctl(g_priv, CTL_QUERY_PROGRAMMATIC, path, NULL, 0, CTL_QUERY_RUNNABLE, args);
    va_end(args);
    return rc;
}

/* ns per 64 B malloc+free pair on pool, one thread (the first byte written, as in run_job). */
static double pair_ns_64(umf_memory_pool_handle_t pool, size_t pairs) {
    for (size_t i = 0; i < 1000; i++) { /* warm the thread cache */
        umfPoolFree(pool, umfPoolMalloc(pool, 64));
    }
    double t0 = now_ns();
    for (size_t i = 0; i < pairs; i++) {
        char *p = umfPoolMalloc(pool, 64);
        *(volatile char *)p = 1;
        umfPoolFree(pool, p);
    }
    return (now_ns() - t0) / (double)pairs;
}

/* The extended statistics off and on, measured in the same runs (see the top of the file). */
static void measure_xstats(umf_memory_provider_handle_t prov, unsigned runs, size_t pairs) {
    umf_memory_pool_handle_t off = NULL, on = NULL;
    int one = 1;
    if (umfPoolCreate(umfDisjointPoolOps(), prov, NULL, 0, &off) != UMF_RESULT_SUCCESS ||
        umfPoolCreate(umfDisjointPoolOps(), prov, NULL, 0, &on) != UMF_RESULT_SUCCESS ||
        umfCtlSet("umf.pool.by_handle.{}.params.extended_stats", &one, sizeof(one), on) != UMF_RESULT_SUCCESS) {
        printf("extended statistics: cannot set up the pools\n");
        return;
    }
    double t_off[64], t_on[64], ratio[64];
    for (unsigned r = 0; r < runs; r++) {
        /* alternate which goes first, so that neither always meets a colder or warmer machine */
        if (r % 2) {
            t_on[r] = pair_ns_64(on, pairs);
            t_off[r] = pair_ns_64(off, pairs);
        } else {
            t_off[r] = pair_ns_64(off, pairs);
            t_on[r] = pair_ns_64(on, pairs);
        }
        ratio[r] = t_on[r] / t_off[r];
    }
    printf("\nextended statistics, disjoint pool, fixed64 (malloc(64)+free), 1 thread, umfPoolMalloc/umfPoolFree, "
           "%u runs x %zu pairs\n",
           runs, pairs);
    printf("%-24s %10s %8s\n", "extended_stats", "ns/pair", "x off");
    printf("%-24s %10.1f %8.2f\n", "off (the default)", bench_median(t_off, (int)runs), 1.0);
    printf("%-24s %10.1f %8.2f\n", "on", bench_median(t_on, (int)runs), bench_median(ratio, (int)runs));
    umfPoolDestroy(on);
    umfPoolDestroy(off);
}

int main(int argc, char **argv) {
    unsigned runs = argc > 1 ? (unsigned)atoi(argv[1]) : 5;
    size_t pairs = argc > 2 ? (size_t)atol(argv[2]) : 1000000;
    if (runs < 1) {
        runs = 1;
    }
    if (runs > 64) {
        runs = 64;
    }

    bool have_je = BENCH_HAVE_JEMALLOC;

    /* the OS provider when this libumf has it, else plain mmap inside this program */
    const char *backing = "mmap (bench)";
    const umf_memory_provider_ops_t *(*os_ops)(void) =
        (const umf_memory_provider_ops_t *(*)(void))dlsym(RTLD_DEFAULT, "umfOsMemoryProviderOps");
    umf_result_t (*os_params_create)(void **) = (umf_result_t(*)(void **))dlsym(RTLD_DEFAULT, "umfOsMemoryProviderParamsCreate");
    if (os_ops && os_ops() && os_params_create) {
        void *os_params = NULL;
        if (os_params_create(&os_params) == UMF_RESULT_SUCCESS &&
            umfMemoryProviderCreate(os_ops(), os_params, &g_counting.inner) == UMF_RESULT_SUCCESS) {
            backing = "OS provider";
        }
        /* params are freed with the process */
    }
    umf_memory_provider_handle_t prov = NULL;
    if (umfMemoryProviderCreate(&CP_OPS, &g_counting, &prov) != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "cannot create the provider\n");
        return 1;
    }

    if (argc > 3 && strcmp(argv[3], "xstats") == 0) {
        measure_xstats(prov, runs, pairs);
        umfMemoryProviderDestroy(prov);
        if (g_counting.inner) {
            umfMemoryProviderDestroy(g_counting.inner);
        }
        return 0;
    }
    printf("disjoint pool benchmark: %u runs, %zu pairs per thread per run (live10k: %zu), provider: %s, jemalloc: %s\n",
           runs, pairs, pairs / 4, backing, have_je ? "5.3.0 (static)" : "not built");
    printf("%-10s %-9s %10s %8s %10s %8s %9s %9s %9s %9s\n", "pattern", "allocator", "ns/pair 1T", "x glibc",
           "ns/pair 2T", "x glibc", "2T/1T", "cpu ns 1T", "cpu ns 2T", "2T/1T cpu");

    double ratio_1t[A_COUNT][P_COUNT] = {{0}};
    double speedup[A_COUNT][P_COUNT] = {{0}};
    for (int pat = 0; pat < P_COUNT; pat++) {
        double med[A_COUNT][3] = {{0}};
        double rat[A_COUNT][3] = {{0}};
        double cmed[A_COUNT][3] = {{0}};
        for (unsigned nt = 1; nt <= 2; nt++) {
            double samples[A_COUNT][64];
            double ratios[A_COUNT][64];
            double cpus[A_COUNT][64];
            for (unsigned r = 0; r < runs; r++) {
                for (int k = 0; k < A_COUNT; k++) {
                    if (k == A_JEMALLOC && !have_je) {
                        continue;
                    }
                    if (k == A_DISJOINT || k == A_DJ_OPS) {
                        umf_disjoint_pool_params_handle_t params = NULL;
                        umfDisjointPoolParamsCreate(&params);
                        if (k == A_DISJOINT) {
                            umfPoolCreate(umfDisjointPoolOps(), prov, params, 0, &g_pool);
                        } else {
                            g_ops = umfDisjointPoolOps();
                            g_ops->initialize(prov, params, &g_priv);
                            ops_ctl("post_initialize");
                        }
                        umfDisjointPoolParamsDestroy(params);
                    }
                    samples[k][r] = measure((alloc_kind_t)k, (pattern_t)pat, nt, pat == P_LIVE ? pairs / 4 : pairs, r,
                                           &cpus[k][r]);
                    if (k == A_DISJOINT) {
                        umfPoolDestroy(g_pool);
                    } else if (k == A_DJ_OPS) {
                        g_ops->finalize(g_priv);
                    }
                }
                for (int k = 0; k < A_COUNT; k++) {
                    ratios[k][r] = samples[k][r] / samples[A_GLIBC][r];
                }
            }
            for (int k = 0; k < A_COUNT; k++) {
                qsort(samples[k], runs, sizeof(double), bench_cmp_double);
                qsort(ratios[k], runs, sizeof(double), bench_cmp_double);
                qsort(cpus[k], runs, sizeof(double), bench_cmp_double);
                cmed[k][nt] = cpus[k][runs / 2];
                med[k][nt] = samples[k][runs / 2];
                rat[k][nt] = ratios[k][runs / 2];
            }
        }
        for (int k = 0; k < A_COUNT; k++) {
            if (k == A_JEMALLOC && !have_je) {
                continue;
            }
            /* work per second with 2 threads over 1 thread: 2 pairs in med[2] vs 1 pair in med[1] */
            speedup[k][pat] = 2.0 * med[k][1] / med[k][2];
            ratio_1t[k][pat] = rat[k][1];
            /* the same from CPU time: what 2 threads would do on 2 idle cores */
            double cpu_speedup = 2.0 * cmed[k][1] / cmed[k][2];
            printf("%-10s %-9s %10.1f %8.2f %10.1f %8.2f %9.2f %9.1f %9.1f %9.2f\n", PATTERN_NAMES[pat], ALLOC_NAMES[k],
                   med[k][1], rat[k][1], med[k][2], rat[k][2], speedup[k][pat], cmed[k][1], cmed[k][2], cpu_speedup);
        }
    }
    printf("\nlive10k, 1 thread, end of the last run: provider bytes held per byte in use: disjoint %.3f, dj-ops %.3f\n",
           g_reserved_ratio[A_DISJOINT], g_reserved_ratio[A_DJ_OPS]);
    printf("goals: ratio to glibc <= 1.30 on every pattern (1 thread), 2T/1T work >= 1.70, bytes held per byte <= 1.25\n");
    for (int k = A_DISJOINT; k <= A_DJ_OPS; k++) {
        int ok = 1;
        for (int pat = 0; pat < P_COUNT; pat++) {
            ok &= ratio_1t[k][pat] <= 1.30 && speedup[k][pat] >= 1.70;
        }
        ok &= g_reserved_ratio[k] <= 1.25;
        printf("%s: %s\n", ALLOC_NAMES[k], ok ? "all goals met" : "some goals missed (see above)");
    }
    measure_xstats(prov, runs, pairs);
    umfMemoryProviderDestroy(prov);
    if (g_counting.inner) {
        umfMemoryProviderDestroy(g_counting.inner);
    }
    return 0;
}
