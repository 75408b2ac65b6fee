/*
 * Micro-benchmark of the allocation tracker (src/core/tracker.c).
 *
 * For 1,000 / 100,000 / 1,000,000 live ranges, laid out dense (64-byte ranges
 * every 128 bytes, like an arena provider) or sparse (one 4 KiB page at a
 * random page of a 64 GiB span, like mmap), it measures in ns per operation:
 *   cycle   add a range in a random gap + find an interior pointer of it + remove it
 *   cycle (hot)  the same over 8 gaps only, so the touched nodes stay in cache
 *   find    an interior pointer of a random live range
 *   find-seq  the same, walking the live ranges in address order
 * with 1 thread and with 2 threads at once (each thread its own gaps; the
 * figure is the time per operation one thread sees). Times are the CPU time
 * of the measuring thread (CLOCK_THREAD_CPUTIME_ID), so time spent
 * descheduled on a busy machine is left out. Each figure is the median of
 * several runs. glibc malloc(64)+free is measured in the same run
 * for scale. Usage: bench_internal_tracker [runs] (default 5).
 *
 * Last, "goals" (issue 17) with their targets: writer scaling, as the per-op
 * thread CPU time of add+find+remove (hot) with 2 threads over 1 thread
 * (at most 1 / 0.85 = 1.18 means 2 threads reach at least 1.7x the
 * throughput of one, had they a core each), and find (random) at 1,000,000
 * live ranges over 1,000 (target at most 4).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/tracker.h"
#include "bench_common.h"

#define OPS 200000u
#define MAX_THREADS 2

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* CPU time of the calling thread: on a shared machine, time spent descheduled is not counted. */
static double now_ns(void) { return bench_clock_ns(CLOCK_THREAD_CPUTIME_ID); }

typedef enum { OP_CYCLE, OP_CYCLE_HOT, OP_FIND, OP_FIND_SEQ, OP_MALLOC } op_t;

typedef struct layout {
    size_t n;
    uintptr_t *live;   /* bases of the live ranges, ascending */
    size_t live_size;
    uintptr_t *gaps;   /* free bases for the add/remove cycle, one list per thread */
    size_t gap_size;
    uint32_t *random_idx; /* OPS random indexes into live */
    /* The addresses each operation uses, precomputed in the order they are used so that
     * the benchmark's own table lookups add no cache misses to what is measured: */
    uintptr_t *find_ptr[MAX_THREADS];            /* interior pointers of random live ranges */
    uintptr_t *cycle_base[MAX_THREADS + 1];      /* gap bases: [0] one thread alone, [1 + k] thread k of two */
} layout_t;

typedef struct job {
    umf_tracker_t *t;
    const layout_t *l;
    op_t op;
    unsigned tid, nthreads;
    pthread_barrier_t *barrier;
    double ns_per_op;
    size_t sink;
    size_t failures; /* adds or removes that did not succeed: the run is void */
} job_t;

static int owner;

static void run_op(job_t *j) {
    const layout_t *l = j->l;
    size_t sink = 0;
    double t0 = now_ns();
    switch (j->op) {
    case OP_CYCLE:
    case OP_CYCLE_HOT: {
        umf_alloc_info_t info;
        memset(&info, 0, sizeof(info));
        info.base_size = l->gap_size;
        info.owner = &owner;
        for (size_t i = 0; i < OPS; i++) {
            /* gaps are interleaved between threads: thread k uses gaps k, k + nthreads, ... */
            const uintptr_t *bases = l->cycle_base[j->nthreads == 1 ? 0 : 1 + j->tid];
            uintptr_t b = bases[j->op == OP_CYCLE_HOT ? i % 8 : i];
            info.base = (void *)b;
            j->failures += umf_tracker_add(j->t, &info, NULL) != UMF_RESULT_SUCCESS;
            sink += (uintptr_t)umf_tracker_find(j->t, (void *)(b + 8));
            j->failures += umf_tracker_remove(j->t, (void *)b, &owner, NULL) != UMF_RESULT_SUCCESS;
        }
        break;
    }
    case OP_FIND:
        for (size_t i = 0; i < OPS; i++) {
            sink += (uintptr_t)umf_tracker_find(j->t, (void *)l->find_ptr[j->tid][i]);
        }
        break;
    case OP_FIND_SEQ: {
        size_t k = (l->n / j->nthreads) * j->tid;
        for (size_t i = 0; i < OPS; i++) {
            sink += (uintptr_t)umf_tracker_find(j->t, (void *)(l->live[k] + 8));
            if (++k == l->n) {
                k = 0;
            }
        }
        break;
    }
    case OP_MALLOC:
        for (size_t i = 0; i < OPS; i++) {
            void *p = malloc(64);
            __asm__ __volatile__("" : : "r"(p) : "memory");
            free(p);
        }
        break;
    }
    j->ns_per_op = (now_ns() - t0) / OPS;
    j->sink = sink;
}

static void *thread_main(void *arg) {
    job_t *j = arg;
    pthread_barrier_wait(j->barrier);
    run_op(j);
    return NULL;
}

/* ns per op one thread sees with nthreads running the op at once (the slowest thread). */
static double measure(umf_tracker_t *t, const layout_t *l, op_t op, unsigned nthreads) {
    job_t jobs[MAX_THREADS];
    pthread_t th[MAX_THREADS];
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, nthreads);
    for (unsigned i = 0; i < nthreads; i++) {
        jobs[i] = (job_t){.t = t, .l = l, .op = op, .tid = i, .nthreads = nthreads, .barrier = &barrier};
    }
    if (nthreads == 1) {
        run_op(&jobs[0]);
    } else {
        for (unsigned i = 0; i < nthreads; i++) {
            pthread_create(&th[i], NULL, thread_main, &jobs[i]);
        }
        for (unsigned i = 0; i < nthreads; i++) {
            pthread_join(th[i], NULL);
        }
    }
    pthread_barrier_destroy(&barrier);
    double worst = 0;
    for (unsigned i = 0; i < nthreads; i++) {
        if (jobs[i].failures) {
            fprintf(stderr, "%zu adds/removes failed: the measurement is void\n", jobs[i].failures);
            exit(1);
        }
        worst = jobs[i].ns_per_op > worst ? jobs[i].ns_per_op : worst;
    }
    return worst;
}

static int cmp_uptr(const void *a, const void *b) {
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return (x > y) - (x < y);
}

static void make_layout(layout_t *l, size_t n, int sparse) {
    l->n = n;
    l->live = malloc(n * sizeof(uintptr_t));
    l->gaps = malloc(n * sizeof(uintptr_t));
    l->random_idx = malloc(OPS * sizeof(uint32_t));
    if (!sparse) {
        const uintptr_t region = 0x7f1200000000ull;
        l->live_size = 64;
        l->gap_size = 64;
        for (size_t i = 0; i < n; i++) {
            l->live[i] = region + i * 128;
            l->gaps[i] = region + i * 128 + 64;
        }
    } else {
        /* distinct random even pages of a 64 GiB span; the odd page after each is its gap */
        const uintptr_t region = 0x7e0000000000ull;
        l->live_size = 4096;
        l->gap_size = 4096;
        for (size_t i = 0; i < n; i++) {
            l->live[i] = region + (rnd() % (1ull << 23)) * 8192;
        }
        qsort(l->live, n, sizeof(uintptr_t), cmp_uptr);
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            if (m == 0 || l->live[i] != l->live[m - 1]) {
                l->live[m++] = l->live[i];
            }
        }
        while (m < n) { /* top up after duplicates (rare), past the span */
            l->live[m] = l->live[m - 1] + 8192;
            m++;
        }
        for (size_t i = 0; i < n; i++) {
            l->gaps[i] = l->live[i] + 4096;
        }
    }
    for (size_t i = 0; i < OPS; i++) {
        l->random_idx[i] = (uint32_t)(rnd() % n);
    }
    for (unsigned k = 0; k < MAX_THREADS; k++) {
        l->find_ptr[k] = malloc(OPS * sizeof(uintptr_t));
        for (size_t i = 0; i < OPS; i++) {
            l->find_ptr[k][i] = l->live[l->random_idx[(i + k * 7919) % OPS]] + 8;
        }
    }
    /* gaps are interleaved between two threads: thread k uses gaps k, k + 2, ... */
    for (unsigned c = 0; c <= MAX_THREADS; c++) {
        unsigned nthreads = c == 0 ? 1 : MAX_THREADS, tid = c == 0 ? 0 : c - 1;
        l->cycle_base[c] = malloc(OPS * sizeof(uintptr_t));
        for (size_t i = 0; i < OPS; i++) {
            l->cycle_base[c][i] = l->gaps[(l->random_idx[i] % (n / nthreads)) * nthreads + tid];
        }
    }
}

static void free_layout(layout_t *l) {
    free(l->live);
    free(l->gaps);
    free(l->random_idx);
    for (unsigned k = 0; k < MAX_THREADS; k++) {
        free(l->find_ptr[k]);
    }
    for (unsigned c = 0; c <= MAX_THREADS; c++) {
        free(l->cycle_base[c]);
    }
}

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    if (runs < 1 || runs > 101) {
        runs = 5;
    }
    static const size_t sizes[] = {1000, 100000, 1000000};
    static const char *op_names[] = {"add+find+remove", "add+find+rm (hot)", "find (random)", "find (sequential)"};
    double samples[101];
    double hot[2][3][2], rnd_find[2][3]; /* [sparse][size][threads] */

    for (int i = 0; i < runs; i++) {
        samples[i] = measure(NULL, NULL, OP_MALLOC, 1);
    }
    double malloc_ns = bench_median(samples, runs);

    printf("allocation tracker, median of %d runs of %u ops, ns per op as one thread sees it\n", runs, OPS);
    printf("%-7s %-18s %10s %12s %12s\n", "layout", "operation", "live", "1 thread", "2 threads");
    for (int sparse = 0; sparse <= 1; sparse++) {
        for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
            layout_t l;
            make_layout(&l, sizes[s], sparse);
            umf_tracker_t *t = umf_tracker_create();
            if (!t) {
                fprintf(stderr, "umf_tracker_create failed\n");
                return 1;
            }
            umf_alloc_info_t info;
            memset(&info, 0, sizeof(info));
            info.owner = &owner;
            info.base_size = l.live_size;
            for (size_t i = 0; i < l.n; i++) {
                info.base = (void *)l.live[i];
                if (umf_tracker_add(t, &info, NULL) != UMF_RESULT_SUCCESS) {
                    fprintf(stderr, "setup add failed\n");
                    return 1;
                }
            }
            /* sanity: the measured operations do what they should */
            if (umf_tracker_find(t, (void *)(l.live[l.n / 2] + 8)) == NULL ||
                umf_tracker_find(t, (void *)(l.gaps[l.n / 2] + 8)) != NULL) {
                fprintf(stderr, "lookup sanity check failed\n");
                return 1;
            }
            for (int op = OP_CYCLE; op <= OP_FIND_SEQ; op++) {
                double r[2];
                for (unsigned th = 1; th <= 2; th++) {
                    for (int i = 0; i < runs; i++) {
                        samples[i] = measure(t, &l, (op_t)op, th);
                    }
                    r[th - 1] = bench_median(samples, runs);
                }
                if (op == OP_CYCLE_HOT) {
                    hot[sparse][s][0] = r[0];
                    hot[sparse][s][1] = r[1];
                }
                if (op == OP_FIND) {
                    rnd_find[sparse][s] = r[0];
                }
                printf("%-7s %-18s %10zu %12.1f %12.1f\n", sparse ? "sparse" : "dense", op_names[op], l.n, r[0], r[1]);
            }
            if (umf_tracker_count(t) != l.n) {
                fprintf(stderr, "count drifted: %zu != %zu\n", umf_tracker_count(t), l.n);
                return 1;
            }
            umf_tracker_destroy(t);
            free_layout(&l);
        }
    }
    printf("glibc malloc(64)+free, 1 thread: %.1f ns\n", malloc_ns);
    printf("\ngoals (issue 17):\n");
    for (int sparse = 0; sparse <= 1; sparse++) {
        double w = hot[sparse][0][1] / hot[sparse][0][0];
        printf("  %-6s writer scaling, add+find+rm (hot), 1,000 live: 2-thread / 1-thread CPU ns per op %5.2f"
               "  (target <= 1.18) %s\n",
               sparse ? "sparse" : "dense", w, w <= 1 / 0.85 ? "met" : "NOT MET");
    }
    for (int sparse = 0; sparse <= 1; sparse++) {
        double g = rnd_find[sparse][2] / rnd_find[sparse][0];
        printf("  %-6s find (random), 1,000,000 / 1,000 live: %6.2f  (target <= 4) %s\n", sparse ? "sparse" : "dense",
               g, g <= 4 ? "met" : "NOT MET");
    }
    return 0;
}
