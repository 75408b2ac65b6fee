/*
 * Benchmark of the core: provider and proxy-pool alloc+free pairs and umfPoolByPtr lookups,
 * with glibc malloc measured in the same run. Prints median ns per operation over several runs,
 * for 1 and 2 threads.
 *
 *   build/Release/benchmark/bench_core [runs]
 *
 * Last, "goals" (issue 17): tracker writer scaling, as proxy-pool malloc+free pairs of 64 B with each
 * thread on a pool of its own, in thread CPU time per pair: 2 threads at most 1 / 0.85 of 1 thread
 * means 2 threads reach at least 1.7x the throughput of one, had they a core each (wall time on a
 * shared 2-core machine cannot show it); and umfPoolByPtr in random order at 1,000,000 live
 * allocations at most 4x its cost at 1,000.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <umf.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_os_memory.h>

#include "bench_common.h"

static int g_runs = 7;

static double now_ns(void) { return bench_clock_ns(CLOCK_MONOTONIC); }

/* ---- a benchmark-only provider: constant-time allocation from a preallocated arena ---- */

#define ARENA_SIZE (8ull << 30) /* reserved, not committed */
#define ARENA_CLASSES 48

typedef struct arena_t {
    char *base;
    _Atomic size_t used;
} arena_t;

typedef struct free_node_t {
    struct free_node_t *next;
} free_node_t;

/* per-thread: a chunk of the arena to bump from, and LIFO free lists by power-of-2 class */
static __thread char *tls_bump, *tls_bump_end;
static __thread free_node_t *tls_free[ARENA_CLASSES];

static inline int size_class(size_t size) { return size <= 16 ? 4 : 64 - __builtin_clzll(size - 1); }

static umf_result_t arena_initialize(const void *params, void **provider) {
    *provider = (void *)params;
    return UMF_RESULT_SUCCESS;
}
static umf_result_t arena_finalize(void *provider) { return UMF_RESULT_SUCCESS; }

static umf_result_t arena_alloc(void *provider, size_t size, size_t alignment, void **ptr) {
    arena_t *a = provider;
    int c = size_class(size);
    free_node_t *n = tls_free[c];
    if (n) {
        tls_free[c] = n->next;
        *ptr = n;
        return UMF_RESULT_SUCCESS;
    }
    size_t block = (size_t)1 << c;
    if (tls_bump + block > tls_bump_end) {
        size_t chunk = block > (1u << 20) ? block : (1u << 20);
        size_t off = atomic_fetch_add(&a->used, chunk);
        if (off + chunk > ARENA_SIZE) {
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
        tls_bump = a->base + off;
        tls_bump_end = tls_bump + chunk;
    }
    *ptr = tls_bump;
    tls_bump += block;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t arena_free(void *provider, void *ptr, size_t size) {
    if (ptr) {
        int c = size_class(size);
        free_node_t *n = ptr;
        n->next = tls_free[c];
        tls_free[c] = n;
    }
    return UMF_RESULT_SUCCESS;
}

static umf_result_t arena_native_error(void *provider, const char **msg, int32_t *err) {
    *msg = "";
    *err = 0;
    return UMF_RESULT_SUCCESS;
}
static umf_result_t arena_page(void *provider, size_t size, size_t *page) {
    *page = 4096;
    return UMF_RESULT_SUCCESS;
}
static umf_result_t arena_min_page(void *provider, const void *ptr, size_t *page) {
    *page = 4096;
    return UMF_RESULT_SUCCESS;
}
static umf_result_t arena_name(void *provider, const char **name) {
    *name = "bench_arena";
    return UMF_RESULT_SUCCESS;
}

static const umf_memory_provider_ops_t ARENA_OPS = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = arena_initialize,
    .finalize = arena_finalize,
    .alloc = arena_alloc,
    .free = arena_free,
    .get_last_native_error = arena_native_error,
    .get_recommended_page_size = arena_page,
    .get_min_page_size = arena_min_page,
    .get_name = arena_name,
};

/* ---- measured operations ---- */

typedef enum { OP_MALLOC, OP_OS_PROVIDER, OP_ARENA_PROVIDER, OP_PROXY_POOL } op_kind_t;

typedef struct case_t {
    op_kind_t kind;
    size_t size;
    size_t iters;
    umf_memory_provider_handle_t provider;
    umf_memory_pool_handle_t pool;
} case_t;

typedef struct thread_arg_t {
    const case_t *c;
    pthread_barrier_t *barrier;
    double ns_per_op;
    umf_memory_pool_handle_t own_pool; /* when set: pairs on this pool, timed in thread CPU time */
} thread_arg_t;

static void *run_pairs(void *arg) {
    thread_arg_t *t = arg;
    const case_t *c = t->c;
    size_t n = c->iters;
    pthread_barrier_wait(t->barrier);
    if (t->own_pool) {
        double start = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID);
        for (size_t i = 0; i < n; i++) {
            void *p = umfPoolMalloc(t->own_pool, c->size);
            *(volatile char *)p = 1;
            umfPoolFree(t->own_pool, p);
        }
        t->ns_per_op = (bench_clock_ns(CLOCK_THREAD_CPUTIME_ID) - start) / (double)n;
        return NULL;
    }
    double start = now_ns();
    for (size_t i = 0; i < n; i++) {
        void *p = NULL;
        switch (c->kind) {
        case OP_MALLOC:
            p = malloc(c->size);
            *(volatile char *)p = 1;
            free(p);
            break;
        case OP_OS_PROVIDER:
        case OP_ARENA_PROVIDER:
            umfMemoryProviderAlloc(c->provider, c->size, 0, &p);
            *(volatile char *)p = 1;
            umfMemoryProviderFree(c->provider, p, c->size);
            break;
        case OP_PROXY_POOL:
            p = umfPoolMalloc(c->pool, c->size);
            *(volatile char *)p = 1;
            umfPoolFree(c->pool, p);
            break;
        }
    }
    t->ns_per_op = (now_ns() - start) / (double)n;
    return NULL;
}

/* Median over runs of the mean ns per pair across `threads` threads running at once; with own_pools,
 * thread i works on own_pools[i] and the time is its CPU time. */
static double measure_on(const case_t *c, int threads, umf_memory_pool_handle_t *own_pools) {
    double samples[32];
    for (int r = 0; r < g_runs; r++) {
        pthread_t tid[2];
        thread_arg_t args[2];
        pthread_barrier_t barrier;
        pthread_barrier_init(&barrier, NULL, (unsigned)threads);
        for (int i = 0; i < threads; i++) {
            args[i] = (thread_arg_t){.c = c, .barrier = &barrier, .own_pool = own_pools ? own_pools[i] : NULL};
            pthread_create(&tid[i], NULL, run_pairs, &args[i]);
        }
        double sum = 0;
        for (int i = 0; i < threads; i++) {
            pthread_join(tid[i], NULL);
            sum += args[i].ns_per_op;
        }
        pthread_barrier_destroy(&barrier);
        samples[r] = sum / threads;
    }
    return bench_median(samples, g_runs);
}

static double measure(const case_t *c, int threads) { return measure_on(c, threads, NULL); }

static void row(const char *name, const case_t *c, double base1, double base2) {
    double t1 = measure(c, 1), t2 = measure(c, 2);
    printf("| %-38s | %9.1f | %9.1f | %8.2fx | %8.2fx |\n", name, t1, t2, base1 > 0 ? t1 / base1 : 1.0,
           base2 > 0 ? t2 / base2 : 1.0);
}

/* ---- lookups ---- */

static uint64_t xorshift(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

typedef struct lookup_arg_t {
    void **ptrs;
    size_t n;
    size_t lookups;
    int random_order;
    pthread_barrier_t *barrier;
    double ns;
} lookup_arg_t;

static void *run_lookups(void *arg) {
    lookup_arg_t *l = arg;
    uint64_t seed = 0x9e3779b97f4a7c15ull ^ (uintptr_t)l;
    umf_memory_pool_handle_t found;
    size_t hits = 0;
    pthread_barrier_wait(l->barrier);
    double start = now_ns();
    for (size_t i = 0; i < l->lookups; i++) {
        size_t k = l->random_order ? (size_t)(xorshift(&seed) % l->n) : i % l->n;
        hits += umfPoolByPtr((char *)l->ptrs[k] + 17, &found) == UMF_RESULT_SUCCESS;
    }
    l->ns = (now_ns() - start) / (double)l->lookups;
    if (hits != l->lookups) {
        fprintf(stderr, "lookup missed %zu pointers\n", l->lookups - hits);
        exit(1);
    }
    return NULL;
}

static double measure_lookups(void **ptrs, size_t n, int threads, int random_order) {
    double samples[32];
    for (int r = 0; r < g_runs; r++) {
        pthread_t tid[2];
        lookup_arg_t args[2];
        pthread_barrier_t barrier;
        pthread_barrier_init(&barrier, NULL, (unsigned)threads);
        for (int i = 0; i < threads; i++) {
            args[i] = (lookup_arg_t){.ptrs = ptrs, .n = n, .lookups = 2000000, .random_order = random_order,
                                     .barrier = &barrier};
            pthread_create(&tid[i], NULL, run_lookups, &args[i]);
        }
        double sum = 0;
        for (int i = 0; i < threads; i++) {
            pthread_join(tid[i], NULL);
            sum += args[i].ns;
        }
        pthread_barrier_destroy(&barrier);
        samples[r] = sum / threads;
    }
    return bench_median(samples, g_runs);
}

int main(int argc, char **argv) {
    if (argc > 1) {
        g_runs = atoi(argv[1]);
        if (g_runs < 1 || g_runs > 32) {
            fprintf(stderr, "usage: %s [runs 1..32]\n", argv[0]);
            return 2;
        }
    }
    umf_os_memory_provider_params_handle_t os_params;
    umf_memory_provider_handle_t os, arena_prov;
    umf_memory_pool_handle_t proxy;
    arena_t arena;
    arena.base = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    atomic_init(&arena.used, 0);
    if (arena.base == MAP_FAILED || umfOsMemoryProviderParamsCreate(&os_params) != UMF_RESULT_SUCCESS ||
        umfMemoryProviderCreate(umfOsMemoryProviderOps(), os_params, &os) != UMF_RESULT_SUCCESS ||
        umfMemoryProviderCreate(&ARENA_OPS, &arena, &arena_prov) != UMF_RESULT_SUCCESS ||
        umfPoolCreate(umfProxyPoolOps(), arena_prov, NULL, 0, &proxy) != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "setup failed\n");
        return 1;
    }
    umfOsMemoryProviderParamsDestroy(os_params);

    printf("median ns per operation, %d runs; ratio = this row / its baseline row, same thread count\n\n", g_runs);
    printf("| %-38s | %9s | %9s | %9s | %9s |\n", "operation", "1 thread", "2 threads", "ratio 1t", "ratio 2t");
    printf("|%s|%s|%s|%s|%s|\n", "----------------------------------------", "-----------", "-----------",
           "-----------", "-----------");

    size_t sizes[] = {4096, 2u << 20};
    const char *names[] = {"4 KiB", "2 MiB"};
    for (int i = 0; i < 2; i++) {
        case_t m = {OP_MALLOC, sizes[i], i == 0 ? 2000000 : 20000, NULL, NULL};
        case_t o = {OP_OS_PROVIDER, sizes[i], i == 0 ? 200000 : 20000, os, NULL};
        double b1 = measure(&m, 1), b2 = measure(&m, 2);
        char label[64];
        snprintf(label, sizeof(label), "glibc malloc+free %s (baseline)", names[i]);
        printf("| %-38s | %9.1f | %9.1f | %8.2fx | %8.2fx |\n", label, b1, b2, 1.0, 1.0);
        snprintf(label, sizeof(label), "OS provider alloc+free %s", names[i]);
        row(label, &o, b1, b2);
    }
    size_t small[] = {64, 4096};
    const char *small_names[] = {"64 B", "4 KiB"};
    for (int i = 0; i < 2; i++) {
        case_t m = {OP_MALLOC, small[i], 5000000, NULL, NULL};
        case_t a = {OP_ARENA_PROVIDER, small[i], 5000000, arena_prov, NULL};
        case_t p = {OP_PROXY_POOL, small[i], 5000000, NULL, proxy};
        char label[64];
        double mb1 = measure(&m, 1), mb2 = measure(&m, 2);
        snprintf(label, sizeof(label), "glibc malloc+free %s", small_names[i]);
        printf("| %-38s | %9.1f | %9.1f | %8s | %8s |\n", label, mb1, mb2, "", "");
        double b1 = measure(&a, 1), b2 = measure(&a, 2);
        snprintf(label, sizeof(label), "arena provider alloc+free %s (baseline)", small_names[i]);
        printf("| %-38s | %9.1f | %9.1f | %8.2fx | %8.2fx |\n", label, b1, b2, 1.0, 1.0);
        double p1 = measure(&p, 1), p2 = measure(&p, 2);
        snprintf(label, sizeof(label), "proxy pool malloc+free %s", small_names[i]);
        printf("| %-38s | %9.1f | %9.1f | %8.2fx | %8.2fx |\n", label, p1, p2, p1 / b1, p2 / b2);
        printf("| %-38s | %9.1f | %9.1f | %9s | %9s |\n", "  tracking overhead per pair (ns)", p1 - b1, p2 - b2, "",
               "");
    }

    /* writer scaling: each thread its own proxy pool (its own ranges in the tracker) */
    umf_memory_pool_handle_t own[2];
    for (int i = 0; i < 2; i++) {
        if (umfPoolCreate(umfProxyPoolOps(), arena_prov, NULL, 0, &own[i]) != UMF_RESULT_SUCCESS) {
            fprintf(stderr, "setup failed\n");
            return 1;
        }
    }
    case_t own_case = {OP_PROXY_POOL, 64, 2000000, NULL, NULL};
    double w1 = measure_on(&own_case, 1, own), w2 = measure_on(&own_case, 2, own);
    printf("| %-38s | %9.1f | %9.1f | %9s | %9s |\n", "own proxy pool per thread, 64 B (CPU)", w1, w2, "", "");
    for (int i = 0; i < 2; i++) {
        umfPoolDestroy(own[i]);
    }

    printf("\n| %-38s | %9s | %9s | %9s | %9s |\n", "umfPoolByPtr, live allocations", "1t seq", "2t seq", "1t random",
           "2t random");
    printf("|%s|%s|%s|%s|%s|\n", "----------------------------------------", "-----------", "-----------",
           "-----------", "-----------");
    size_t counts[] = {1000, 100000, 1000000};
    double last_rand = 0;
    void **ptrs = malloc(sizeof(void *) * 1000000);
    size_t live = 0;
    double first_seq = 0, first_rand = 0;
    for (int i = 0; i < 3; i++) {
        while (live < counts[i]) {
            ptrs[live] = umfPoolMalloc(proxy, 64);
            if (!ptrs[live]) {
                fprintf(stderr, "allocation failed\n");
                return 1;
            }
            live++;
        }
        double s1 = measure_lookups(ptrs, live, 1, 0), s2 = measure_lookups(ptrs, live, 2, 0);
        double r1 = measure_lookups(ptrs, live, 1, 1), r2 = measure_lookups(ptrs, live, 2, 1);
        if (i == 0) {
            first_seq = s1;
            first_rand = r1;
        }
        char label[64];
        snprintf(label, sizeof(label), "%zu", counts[i]);
        printf("| %-38s | %9.1f | %9.1f | %9.1f | %9.1f |\n", label, s1, s2, r1, r2);
        if (i == 2) {
            last_rand = r1;
            printf("| %-38s | %8.2fx | %9s | %8.2fx | %9s |\n", "1,000,000 vs 1,000 (1 thread)", s1 / first_seq, "",
                   r1 / first_rand, "");
        }
    }
    printf("\ngoals (issue 17):\n");
    printf("  writer scaling, own pools: 2-thread / 1-thread CPU ns per pair %5.2f  (target <= 1.18) %s\n", w2 / w1,
           w2 / w1 <= 1 / 0.85 ? "met" : "NOT MET");
    printf("  umfPoolByPtr random, 1,000,000 / 1,000 live: %6.2f  (target <= 4) %s\n", last_rand / first_rand,
           last_rand / first_rand <= 4 ? "met" : "NOT MET");
    for (size_t i = 0; i < live; i++) {
        umfPoolFree(proxy, ptrs[i]);
    }
    free(ptrs);
    umfPoolDestroy(proxy);
    umfMemoryProviderDestroy(arena_prov);
    umfMemoryProviderDestroy(os);
    munmap(arena.base, ARENA_SIZE);
    return 0;
}
