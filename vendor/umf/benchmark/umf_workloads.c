/*
 * UMF 1.1's own benchmark workloads (docs: shared/reference/umf-1.1-more.md section 5), rebuilt here so
 * that the disjoint pool is measured on them against glibc malloc and jemalloc's mallocx in the same run.
 *
 *   bench_umf_workloads [--tsv] [runs] [ops] [filter]
 *
 * filter: run only the workloads whose name contains it (e.g. "stacked 8..128"; "lookup" for the last part).
 * --tsv: print, instead of the tables, one tab-separated line per row for programs to read (npm run
 * bench:report): "row", workload, allocator, ns/op, x glibc, held/in use ("-" where not measured);
 * "lookup", call and order, nested ns, single ns (before the stack), ratio; "goal", what, value, unit,
 * target, met / NOT MET.
 *
 * On mmf the jemalloc and scalable pools (over the same counting OS provider) run too when libumf has
 * them (the scalable pool needs libtbbmalloc.so.2 at run time); their rows are left out otherwise.
 *
 * Disjoint pool parameters are UMF's: slab_min_size 4096, capacity 4, min_bucket_size 8,
 * max_poolable_size 65536, over the OS provider.
 *
 *   mmf <sizes>      "multiple malloc free": 10,000 slots, half allocated before timing; each operation
 *                    allocates into a random free slot or frees a random allocated one (a fair coin,
 *                    forced when no slot is free / none allocated); umfPoolMalloc / umfPoolFree
 *   stacked <sizes>  the same operations over 127 nested disjoint pools (7 levels, each block of a pool
 *                    a fixed provider under the next level's pool); allocations go round-robin to the
 *                    pools, every free is umfFree(ptr), which finds the pool through the tracker
 * sizes: fixed 4096 B, uniform 8..4096 B step 8, uniform 8..128 B step 8.
 *
 * All times are thread CPU time (the workloads are single-threaded; time spent descheduled on a busy
 * machine is left out).
 *
 * Columns: median ns per operation over the runs, the median of the per-run ratios to glibc, and (for
 * the disjoint pool on mmf) the provider bytes held per byte in use at the end of the timed part.
 *
 * Then "nested lookup": umfPoolByPtr and umfFree+umfPoolMalloc of 64 B on the innermost of the 7
 * levels, against the same on a single pool, with the pointers taken in allocation order and in a
 * random order. The single pool is measured twice: before the nested pools exist (the fair baseline:
 * a program with one pool has no nested ranges in the tracker) and alternating with the nested
 * pool while they exist (same tracker population). Ratios are nested / single-before-the-stack.
 *
 * Last, "goals": the measured value of each goal of issue 17 next to its target.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_disjoint.h>
#include <umf/pools/pool_jemalloc.h>
#include <umf/pools/pool_scalable.h>
#include <umf/providers/provider_fixed_memory.h>
#include <umf/providers/provider_os_memory.h>

#include "bench_common.h"
#include "bench_counting.h"

#define SLOTS 10000
#define MAX_RUNS 31
#define LEVELS 7
#define NPOOLS ((1 << LEVELS) - 1)
#define LOOKUP_PTRS 4096

typedef enum { S_FIXED4K, S_TO4K, S_TO128, S_COUNT } sizes_t;
static const char *const SIZE_NAMES[S_COUNT] = {"fixed 4096", "8..4096", "8..128"};

typedef enum { K_GLIBC, K_JEMALLOC, K_DISJOINT, K_JEPOOL, K_SCALABLE, K_COUNT } kind_t;
static const char *const KIND_NAMES[K_COUNT] = {"glibc", "jemalloc", "disjoint", "je-pool", "scalable"};

static inline uint64_t rng(uint64_t *s) {
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static inline size_t pick_size(sizes_t d, uint64_t *s) {
    switch (d) {
    case S_FIXED4K:
        return 4096;
    case S_TO4K:
        return 8 * (1 + (size_t)(rng(s) % 512));
    default:
        return 8 * (1 + (size_t)(rng(s) % 16));
    }
}

static umf_disjoint_pool_params_handle_t umf_params(void) {
    umf_disjoint_pool_params_handle_t p = NULL;
    umfDisjointPoolParamsCreate(&p);
    umfDisjointPoolParamsSetSlabMinSize(p, 4096);
    umfDisjointPoolParamsSetCapacity(p, 4);
    umfDisjointPoolParamsSetMinBucketSize(p, 8);
    umfDisjointPoolParamsSetMaxPoolableSize(p, 65536);
    return p;
}

/* ---- the allocator of one measurement ---- */

typedef struct target_t {
    kind_t kind;
    bool stacked;                          /* disjoint: round-robin over g_stack, freed with umfFree */
    umf_memory_pool_handle_t pool;         /* disjoint, not stacked */
    unsigned next;                         /* stacked: next pool */
} target_t;

static umf_memory_pool_handle_t g_stack[NPOOLS];

static inline void *t_malloc(target_t *t, size_t size) {
    switch (t->kind) {
    case K_GLIBC:
        return malloc(size);
    case K_JEMALLOC:
        return bench_je_mallocx(size, 0);
    default:
        if (t->stacked) {
            umf_memory_pool_handle_t p = g_stack[t->next];
            t->next = t->next + 1 == NPOOLS ? 0 : t->next + 1;
            return umfPoolMalloc(p, size);
        }
        return umfPoolMalloc(t->pool, size);
    }
}

static inline void t_free(target_t *t, void *ptr) {
    switch (t->kind) {
    case K_GLIBC:
        free(ptr);
        break;
    case K_JEMALLOC:
        bench_je_dallocx(ptr, 0);
        break;
    default:
        if (t->stacked) {
            umfFree(ptr);
        } else {
            umfPoolFree(t->pool, ptr);
        }
        break;
    }
}

static counting_t g_counting;

/* UMF's "multiple malloc free": returns ns per operation; *held gets the bytes the counting provider
 * holds per byte in use at the end of the timed part. */
static double run_mmf(target_t *t, sizes_t d, size_t ops, unsigned seed, double *held) {
    static void *slot[SLOTS];
    static size_t slot_size[SLOTS];
    static unsigned free_idx[SLOTS], used_idx[SLOTS], pos[SLOTS];
    unsigned nfree = 0, nused = 0;
    uint64_t s = 0x9E3779B97F4A7C15ULL * (seed + 1);
    /* two index sets with O(1) random pick and removal: pos[i] is slot i's place in its set */
    for (unsigned i = 0; i < SLOTS; i++) {
        pos[i] = nfree;
        free_idx[nfree++] = i;
        slot[i] = NULL;
    }
    size_t in_use = 0;
#define TAKE_FROM(set, n, other, m, k)                                                                                  \
    do {                                                                                                               \
        unsigned i_ = (unsigned)(rng(&s) % (n));                                                                        \
        k = set[i_];                                                                                                   \
        set[i_] = set[--(n)];                                                                                          \
        pos[set[i_]] = i_;                                                                                             \
        pos[k] = (m);                                                                                                  \
        other[(m)++] = k;                                                                                              \
    } while (0)
    for (unsigned i = 0; i < SLOTS / 2; i++) {
        unsigned k;
        TAKE_FROM(free_idx, nfree, used_idx, nused, k);
        slot_size[k] = pick_size(d, &s);
        slot[k] = t_malloc(t, slot_size[k]);
        ((char *)slot[k])[0] = 1;
        in_use += slot_size[k];
    }
    double t0 = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID);
    for (size_t op = 0; op < ops; op++) {
        bool alloc = nused == 0 || (nfree != 0 && (rng(&s) & 1));
        unsigned k;
        if (alloc) {
            TAKE_FROM(free_idx, nfree, used_idx, nused, k);
            slot_size[k] = pick_size(d, &s);
            slot[k] = t_malloc(t, slot_size[k]);
            ((char *)slot[k])[0] = 1;
            in_use += slot_size[k];
        } else {
            TAKE_FROM(used_idx, nused, free_idx, nfree, k);
            t_free(t, slot[k]);
            slot[k] = NULL;
            in_use -= slot_size[k];
        }
    }
    double t1 = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID);
#undef TAKE_FROM
    *held = (double)__atomic_load_n(&g_counting.bytes, __ATOMIC_RELAXED) / (double)in_use;
    for (unsigned i = 0; i < SLOTS; i++) {
        if (slot[i]) {
            t_free(t, slot[i]);
        }
    }
    return (t1 - t0) / (double)ops;
}

/* ---- the 127 nested pools ---- */

static umf_memory_provider_handle_t g_fixed[NPOOLS];

/* Pool i's children are 2i+1 and 2i+2; each is a disjoint pool over a fixed provider on a block of a
 * third of its parent's block, allocated from the parent pool. Returns false when something failed. */
static bool stack_build(umf_memory_provider_handle_t root_provider) {
    umf_disjoint_pool_params_handle_t params = umf_params();
    bool ok = umfPoolCreate(umfDisjointPoolOps(), root_provider, params, 0, &g_stack[0]) == UMF_RESULT_SUCCESS;
    size_t block[NPOOLS];
    block[0] = (size_t)2 << 30;
    for (unsigned i = 1; ok && i < NPOOLS; i++) {
        unsigned parent = (i - 1) / 2;
        block[i] = block[parent] / 3;
        void *mem = umfPoolMalloc(g_stack[parent], block[i]);
        umf_fixed_memory_provider_params_handle_t fp = NULL;
        ok = mem != NULL && umfFixedMemoryProviderParamsCreate(mem, block[i], &fp) == UMF_RESULT_SUCCESS &&
             umfMemoryProviderCreate(umfFixedMemoryProviderOps(), fp, &g_fixed[i]) == UMF_RESULT_SUCCESS &&
             umfPoolCreate(umfDisjointPoolOps(), g_fixed[i], params, 0, &g_stack[i]) == UMF_RESULT_SUCCESS;
        if (fp) {
            umfFixedMemoryProviderParamsDestroy(fp);
        }
    }
    umfDisjointPoolParamsDestroy(params);
    return ok;
}

static void stack_destroy(void) {
    for (unsigned i = NPOOLS; i-- > 1;) {
        umfPoolDestroy(g_stack[i]);
        umfMemoryProviderDestroy(g_fixed[i]);
        /* the block goes back to the parent, freed through the tracker like any allocation */
    }
    umfPoolDestroy(g_stack[0]);
}

/* ---- nested lookup ---- */

typedef struct lookup_t {
    double by_ptr, free_malloc; /* ns per call / per umfFree+umfPoolMalloc pair */
} lookup_t;

/* The order the pointers are visited in: allocation order, or a fixed random permutation. */
static unsigned g_order[2][LOOKUP_PTRS];

static void make_orders(void) {
    uint64_t s = 0x243F6A8885A308D3ULL;
    for (unsigned i = 0; i < LOOKUP_PTRS; i++) {
        g_order[0][i] = g_order[1][i] = i;
    }
    for (unsigned i = LOOKUP_PTRS; i-- > 1;) {
        unsigned j = (unsigned)(rng(&s) % (i + 1));
        unsigned x = g_order[1][i];
        g_order[1][i] = g_order[1][j];
        g_order[1][j] = x;
    }
}

static lookup_t run_lookup(umf_memory_pool_handle_t pool, unsigned rounds, int random_order) {
    static void *ptrs[LOOKUP_PTRS];
    const unsigned *order = g_order[random_order != 0];
    for (unsigned i = 0; i < LOOKUP_PTRS; i++) {
        ptrs[i] = umfPoolMalloc(pool, 64);
    }
    uintptr_t sink = 0;
    double t0 = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID);
    for (unsigned r = 0; r < rounds; r++) {
        for (unsigned i = 0; i < LOOKUP_PTRS; i++) {
            umf_memory_pool_handle_t p = NULL;
            umfPoolByPtr(ptrs[order[i]], &p);
            sink += (uintptr_t)p;
        }
    }
    double t1 = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID);
    for (unsigned r = 0; r < rounds; r++) {
        for (unsigned i = 0; i < LOOKUP_PTRS; i++) {
            unsigned k = order[i];
            umfFree(ptrs[k]);
            ptrs[k] = umfPoolMalloc(pool, 64);
        }
    }
    double t2 = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID);
    for (unsigned i = 0; i < LOOKUP_PTRS; i++) {
        umfFree(ptrs[i]);
    }
    if (sink == 1) {
        puts("");
    }
    double n = (double)rounds * LOOKUP_PTRS;
    return (lookup_t){(t1 - t0) / n, (t2 - t1) / n};
}

/* A pool of kind k (disjoint, je-pool, scalable) over prov, or NULL when libumf cannot make it. */
static umf_memory_pool_handle_t make_pool(kind_t k, umf_memory_provider_handle_t prov) {
    umf_memory_pool_handle_t pool = NULL;
    if (k == K_DISJOINT) {
        umf_disjoint_pool_params_handle_t params = umf_params();
        umfPoolCreate(umfDisjointPoolOps(), prov, params, 0, &pool);
        umfDisjointPoolParamsDestroy(params);
    } else if (k == K_JEPOOL && umfJemallocPoolOps() != NULL) {
        umfPoolCreate(umfJemallocPoolOps(), prov, NULL, 0, &pool);
    } else if (k == K_SCALABLE && umfScalablePoolOps() != NULL) {
        umfPoolCreate(umfScalablePoolOps(), prov, NULL, 0, &pool);
    }
    return pool;
}

/* Medians over the runs of the three pools' lookups, per order (0 allocation order, 1 random). */
typedef struct lookup_stats_t {
    double nested[2][2], single_before[2][2], single_with[2][2]; /* [order][by_ptr / free_malloc] */
} lookup_stats_t;

static umf_memory_pool_handle_t single_pool(umf_memory_provider_handle_t prov) {
    umf_disjoint_pool_params_handle_t params = umf_params();
    umf_memory_pool_handle_t single = NULL;
    umfPoolCreate(umfDisjointPoolOps(), prov, params, 0, &single);
    umfDisjointPoolParamsDestroy(params);
    return single;
}

/* The single pool alone, before the nested pools exist. */
static void lookup_before(umf_memory_provider_handle_t prov, unsigned runs, unsigned rounds, lookup_stats_t *st) {
    umf_memory_pool_handle_t single = single_pool(prov);
    for (int o = 0; o < 2; o++) {
        double by[MAX_RUNS], fm[MAX_RUNS];
        for (unsigned r = 0; r < runs; r++) {
            lookup_t s = run_lookup(single, rounds, o);
            by[r] = s.by_ptr;
            fm[r] = s.free_malloc;
        }
        st->single_before[o][0] = bench_median(by, (int)runs);
        st->single_before[o][1] = bench_median(fm, (int)runs);
    }
    umfPoolDestroy(single);
}

/* The innermost nested pool, alternating with a single pool, while the nested pools exist. */
static void lookup_nested(umf_memory_provider_handle_t prov, unsigned runs, unsigned rounds, lookup_stats_t *st) {
    umf_memory_pool_handle_t single = single_pool(prov);
    for (int o = 0; o < 2; o++) {
        double by_n[MAX_RUNS], by_s[MAX_RUNS], fm_n[MAX_RUNS], fm_s[MAX_RUNS];
        for (unsigned r = 0; r < runs; r++) {
            lookup_t n = run_lookup(g_stack[NPOOLS - 1], rounds, o);
            lookup_t s = run_lookup(single, rounds, o);
            by_n[r] = n.by_ptr;
            by_s[r] = s.by_ptr;
            fm_n[r] = n.free_malloc;
            fm_s[r] = s.free_malloc;
        }
        st->nested[o][0] = bench_median(by_n, (int)runs);
        st->nested[o][1] = bench_median(fm_n, (int)runs);
        st->single_with[o][0] = bench_median(by_s, (int)runs);
        st->single_with[o][1] = bench_median(fm_s, (int)runs);
    }
    umfPoolDestroy(single);
}

static void print_lookup(const lookup_stats_t *st) {
    static const char *const calls[2] = {"umfPoolByPtr", "umfFree + umfPoolMalloc"};
    static const char *const orders[2] = {"allocation order", "random order"};
    printf("\nnested lookup, 64 B, %d pointers: innermost of %d levels vs a single pool\n", LOOKUP_PTRS, LEVELS);
    printf("%-42s %10s %13s %13s %10s\n", "call", "nested ns", "single ns", "single ns", "nested /");
    printf("%-42s %10s %13s %13s %10s\n", "", "", "(no stack)", "(with stack)", "no stack");
    for (int o = 0; o < 2; o++) {
        for (int c = 0; c < 2; c++) {
            char name[64];
            snprintf(name, sizeof name, "%s, %s", calls[c], orders[o]);
            printf("%-42s %10.1f %13.1f %13.1f %10.2f\n", name, st->nested[o][c], st->single_before[o][c],
                   st->single_with[o][c], st->nested[o][c] / st->single_before[o][c]);
        }
    }
}

/* --tsv: "lookup", call and order, nested ns, single ns (no stack), nested / single (no stack); the
 * single pool measured with the stack is not in these rows (the table has it). */
static void print_lookup_tsv(const lookup_stats_t *st) {
    static const char *const calls[2] = {"umfPoolByPtr", "umfFree + umfPoolMalloc"};
    static const char *const orders[2] = {"allocation order", "random order"};
    for (int o = 0; o < 2; o++) {
        for (int c = 0; c < 2; c++) {
            printf("lookup\t%s, %s\t%.2f\t%.2f\t%.3f\n", calls[c], orders[o], st->nested[o][c],
                   st->single_before[o][c], st->nested[o][c] / st->single_before[o][c]);
        }
    }
}

static bool g_tsv;

/* A goal's line; with --tsv: "goal", what, value, unit, target, met / NOT MET. */
static void goal_line(const char *what, double value, const char *unit, const char *target, bool met) {
    if (g_tsv) {
        printf("goal\t%s\t%.3f\t%s\t%s\t%s\n", what, value, unit, target, met ? "met" : "NOT MET");
        return;
    }
    printf("  %-52s %8.2f%-3s %-26s %s\n", what, value, unit, target, met ? "met" : "NOT MET");
}

int main(int argc, char **argv) {
    bool tsv = argc > 1 && strcmp(argv[1], "--tsv") == 0;
    if (tsv) {
        argv++;
        argc--;
    }
    g_tsv = tsv;
    unsigned runs = argc > 1 ? (unsigned)atoi(argv[1]) : 5;
    size_t ops = argc > 2 ? (size_t)atol(argv[2]) : 400000;
    runs = runs < 1 ? 1 : runs > MAX_RUNS ? MAX_RUNS : runs;
    const char *filter = argc > 3 ? argv[3] : "";

    void *os_params = NULL;
    if (umfOsMemoryProviderParamsCreate((umf_os_memory_provider_params_handle_t *)&os_params) != UMF_RESULT_SUCCESS ||
        umfMemoryProviderCreate(umfOsMemoryProviderOps(), os_params, &g_counting.inner) != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "cannot create the OS provider\n");
        return 1;
    }
    umfOsMemoryProviderParamsDestroy(os_params);
    umf_memory_provider_handle_t prov = NULL;
    if (umfMemoryProviderCreate(&CP_OPS, &g_counting, &prov) != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "cannot create the counting provider\n");
        return 1;
    }
    bool have_je = BENCH_HAVE_JEMALLOC;
    bool have[K_COUNT] = {true, have_je, true, false, false};
    for (int k = K_JEPOOL; k < K_COUNT; k++) {
        umf_memory_pool_handle_t probe = make_pool((kind_t)k, prov);
        have[k] = probe != NULL;
        if (probe) {
            umfPoolDestroy(probe);
        }
    }
    if (!tsv) {
        printf("UMF 1.1 workloads: %u runs, %zu operations per run; disjoint: slab_min_size 4096, capacity 4, "
               "min_bucket_size 8, max_poolable_size 65536, OS provider; jemalloc: %s\n",
               runs, ops, have_je ? "5.3.0 (static)" : "not built");
        printf("%-30s %-9s %10s %8s %14s\n", "workload", "allocator", "ns/op", "x glibc", "held/in use");
    }
    make_orders();
    double disjoint_ratio[2][S_COUNT]; /* [stacked][sizes]; < 0 when not measured */
    for (int i = 0; i < 2 * S_COUNT; i++) {
        disjoint_ratio[i / S_COUNT][i % S_COUNT] = -1;
    }
    bool want_lookup = strstr("nested lookup", filter) != NULL;
    lookup_stats_t lk;
    unsigned rounds = (unsigned)(ops / LOOKUP_PTRS / 2 + 1);

    for (int stacked = 0; stacked <= 1; stacked++) {
        bool any = false;
        for (int d = 0; d < S_COUNT; d++) {
            char name[64];
            snprintf(name, sizeof name, "%s %s", stacked ? "stacked" : "mmf", SIZE_NAMES[d]);
            any |= strstr(name, filter) != NULL;
        }
        if (stacked && want_lookup) {
            any = true;
            lookup_before(prov, runs, rounds, &lk);
        }
        if (!any) {
            continue;
        }
        if (stacked && !stack_build(prov)) {
            fprintf(stderr, "cannot build the nested pools\n");
            return 1;
        }
        for (int d = 0; d < S_COUNT; d++) {
            char name[64];
            snprintf(name, sizeof name, "%s %s", stacked ? "stacked" : "mmf", SIZE_NAMES[d]);
            if (!strstr(name, filter)) {
                continue;
            }
            double ns[K_COUNT][MAX_RUNS], ratio[K_COUNT][MAX_RUNS], held[K_COUNT][MAX_RUNS];
            /* the jemalloc and scalable pools run on mmf only (the nested pools are disjoint pools) */
            bool run_k[K_COUNT];
            for (int k = 0; k < K_COUNT; k++) {
                run_k[k] = have[k] && (!stacked || k <= K_DISJOINT);
            }
            for (unsigned r = 0; r < runs; r++) {
                for (int k = 0; k < K_COUNT; k++) {
                    if (!run_k[k]) {
                        continue;
                    }
                    target_t t = {.kind = (kind_t)k, .stacked = stacked != 0};
                    if (k >= K_DISJOINT && !stacked) {
                        t.pool = make_pool((kind_t)k, prov);
                    }
                    double h = 0;
                    ns[k][r] = run_mmf(&t, (sizes_t)d, ops, r, &h);
                    held[k][r] = h;
                    if (t.pool) {
                        umfPoolDestroy(t.pool);
                    }
                }
                for (int k = 0; k < K_COUNT; k++) {
                    ratio[k][r] = run_k[k] ? ns[k][r] / ns[K_GLIBC][r] : 0;
                }
            }
            for (int k = 0; k < K_COUNT; k++) {
                if (!run_k[k]) {
                    continue;
                }
                /* held: the counting provider under the pools, so only for a pool that is not nested */
                bool with_held = k >= K_DISJOINT && !stacked;
                double ns_med = bench_median(ns[k], (int)runs), r_med = bench_median(ratio[k], (int)runs);
                double h_med = with_held ? bench_median(held[k], (int)runs) : 0;
                if (k == K_DISJOINT) {
                    disjoint_ratio[stacked][d] = r_med;
                }
                if (tsv) {
                    printf("row\t%s\t%s\t%.2f\t%.3f\t", name, KIND_NAMES[k], ns_med, r_med);
                    if (with_held) {
                        printf("%.4f\n", h_med);
                    } else {
                        printf("-\n");
                    }
                    continue;
                }
                printf("%-30s %-9s %10.1f %8.2f", name, KIND_NAMES[k], ns_med, r_med);
                if (with_held) {
                    printf(" %14.3f", h_med);
                }
                printf("\n");
            }
        }
        if (stacked && want_lookup) {
            lookup_nested(prov, runs, rounds, &lk);
            if (tsv) {
                print_lookup_tsv(&lk);
            } else {
                print_lookup(&lk);
            }
        }
        if (stacked) {
            stack_destroy();
        }
    }
    if (!tsv) {
        printf("\ngoals (issue 17), single thread, ratios from the same run:\n");
    }
    if (want_lookup) {
        for (int c = 0; c < 2; c++) {
            char what[96];
            double r = lk.nested[0][c] / lk.single_before[0][c];
            snprintf(what, sizeof what, "nested %s / single pool (no stack)", c ? "umfFree+malloc" : "umfPoolByPtr");
            goal_line(what, r, "x", "<= 1.5", r <= 1.5);
            /* 71954af on the development machine (thread CPU time, medians of 2 x 11 runs):
             * 12.8 ns umfPoolByPtr, 22.7 ns umfFree + umfPoolMalloc, allocation order */
            snprintf(what, sizeof what, "nested %s, ns (71954af: %s)", c ? "umfFree+malloc" : "umfPoolByPtr",
                     c ? "22.7" : "12.8");
            goal_line(what, lk.nested[0][c], "ns", c ? "<= 11.35 (2x faster)" : "<= 6.4 (2x faster)",
                      lk.nested[0][c] <= (c ? 11.35 : 6.4));
        }
    }
    static const double stacked_goal[S_COUNT] = {0, 3.05, 4.8};
    for (int d = S_TO4K; d <= S_TO128; d++) {
        if (disjoint_ratio[1][d] >= 0) {
            char what[96], target[32];
            snprintf(what, sizeof what, "stacked %s disjoint / glibc", SIZE_NAMES[d]);
            snprintf(target, sizeof target, "<= %.2f", stacked_goal[d]);
            goal_line(what, disjoint_ratio[1][d], "x", target, disjoint_ratio[1][d] <= stacked_goal[d]);
        }
    }
    if (disjoint_ratio[0][S_TO128] >= 0) {
        goal_line("mmf 8..128 disjoint / glibc", disjoint_ratio[0][S_TO128], "x", "<= 1.05",
                  disjoint_ratio[0][S_TO128] <= 1.05);
    }
    umfMemoryProviderDestroy(prov);
    umfMemoryProviderDestroy(g_counting.inner);
    return 0;
}
