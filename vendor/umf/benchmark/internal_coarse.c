/*
 * Micro-benchmark of the coarse allocator (src/providers/coarse.c) with 1,000
 * and 100,000 live blocks.
 *
 * The allocator never touches the memory it manages, so the region is a
 * reserved, inaccessible address range (PROT_NONE, 64 GiB). Each run first
 * allocates N blocks of random sizes (64 B .. 16 KiB, default alignment 64 B,
 * every 8th one page-aligned), then measures in ns per pair:
 *   churn     free a random live block, allocate a new random one in its slot
 *             (fragmented free lists, coalescing, best fit over N blocks)
 *   lifo      allocate one block and free it at once (the cheapest path)
 *   find      which block holds a random interior pointer (a tree descent)
 *   find-start  the same for the start of a random allocation (a hash lookup)
 * glibc malloc+free of random 64 B .. 16 KiB sizes with the same churn over N
 * live blocks is measured in the same run for scale. Times are the CPU time of
 * the measuring thread; each figure is the median of several runs.
 * Usage: bench_internal_coarse [runs] (default 5).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "providers/coarse.h"
#include "bench_common.h"

#define OPS 200000u
#define REGION ((size_t)64 << 30)
#define MAX_RUNS 31

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double now_ns(void) { return bench_clock_ns(CLOCK_THREAD_CPUTIME_ID); }

static size_t rand_size(void) { return 64 + (size_t)(rnd() % (16 * 1024 - 64)); }
static size_t rand_align(void) { return rnd() % 8 == 0 ? 4096 : 64; }

typedef struct live_t {
    void *ptr;
    size_t size;
} live_t;

enum { M_CHURN, M_LIFO, M_FIND, M_FIND_START, M_MALLOC, M_COUNT };
static const char *const NAMES[M_COUNT] = {"coarse churn (free+alloc)", "coarse lifo (alloc+free)",
                                           "coarse find (interior)", "coarse find (start)",
                                           "glibc churn (free+malloc)"};

/* One run over n live blocks: fills out[M_*] with ns per operation; 0 on success. */
static int run(void *region, size_t n, double out[M_COUNT]) {
    coarse_t *c = NULL;
    if (coarse_create(NULL, &c) != UMF_RESULT_SUCCESS || coarse_add_region(c, region, REGION, 0) != UMF_RESULT_SUCCESS) {
        coarse_destroy(c);
        return -1;
    }
    live_t *live = calloc(n, sizeof(*live));
    if (live == NULL) {
        coarse_destroy(c);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        live[i].size = rand_size();
        rc = coarse_alloc(c, live[i].size, rand_align(), &live[i].ptr) == UMF_RESULT_SUCCESS ? 0 : -1;
    }
    /* churn once untimed so the free lists are fragmented before measuring */
    for (unsigned k = 0; k < n && rc == 0; k++) {
        size_t i = rnd() % n;
        coarse_free(c, live[i].ptr, live[i].size);
        live[i].size = rand_size();
        rc = coarse_alloc(c, live[i].size, rand_align(), &live[i].ptr) == UMF_RESULT_SUCCESS ? 0 : -1;
    }
    /* the random choices are drawn before timing */
    uint32_t *idx = malloc(OPS * sizeof(*idx));
    uint32_t *sz = malloc(OPS * sizeof(*sz));
    uint32_t *al = malloc(OPS * sizeof(*al));
    if (idx == NULL || sz == NULL || al == NULL) {
        rc = -1;
    }
    for (unsigned k = 0; k < OPS && rc == 0; k++) {
        idx[k] = (uint32_t)(rnd() % n);
        sz[k] = (uint32_t)rand_size();
        al[k] = (uint32_t)rand_align();
    }
    if (rc == 0) {
        double t0 = now_ns();
        for (unsigned k = 0; k < OPS && rc == 0; k++) {
            live_t *l = &live[idx[k]];
            coarse_free(c, l->ptr, l->size);
            l->size = sz[k];
            rc = coarse_alloc(c, l->size, al[k], &l->ptr) == UMF_RESULT_SUCCESS ? 0 : -1;
        }
        out[M_CHURN] = (now_ns() - t0) / OPS;

        t0 = now_ns();
        for (unsigned k = 0; k < OPS && rc == 0; k++) {
            void *p = NULL;
            rc = coarse_alloc(c, sz[k], 64, &p) == UMF_RESULT_SUCCESS ? 0 : -1;
            coarse_free(c, p, sz[k]);
        }
        out[M_LIFO] = (now_ns() - t0) / OPS;

        size_t sink = 0;
        coarse_block_info_t info;
        t0 = now_ns();
        for (unsigned k = 0; k < OPS && rc == 0; k++) {
            const live_t *l = &live[idx[k]];
            rc = coarse_find(c, (char *)l->ptr + l->size / 2, &info) == UMF_RESULT_SUCCESS ? 0 : -1;
            sink += info.block_size;
        }
        out[M_FIND] = (now_ns() - t0) / OPS;

        t0 = now_ns();
        for (unsigned k = 0; k < OPS && rc == 0; k++) {
            rc = coarse_find(c, live[idx[k]].ptr, &info) == UMF_RESULT_SUCCESS ? 0 : -1;
            sink += info.block_size;
        }
        out[M_FIND_START] = (now_ns() - t0) / OPS;
        if (sink == 0) {
            rc = -1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        coarse_free(c, live[i].ptr, live[i].size);
    }
    coarse_destroy(c);

    /* glibc with the same pattern and the same number of live blocks */
    for (size_t i = 0; i < n && rc == 0; i++) {
        live[i].ptr = malloc(live[i].size);
        rc = live[i].ptr ? 0 : -1;
    }
    if (rc == 0) {
        double t0 = now_ns();
        for (unsigned k = 0; k < OPS; k++) {
            live_t *l = &live[idx[k]];
            free(l->ptr);
            l->ptr = malloc(sz[k]);
            if (l->ptr) {
                *(volatile char *)l->ptr = 1;
            }
        }
        out[M_MALLOC] = (now_ns() - t0) / OPS;
        for (size_t i = 0; i < n; i++) {
            free(live[i].ptr);
        }
    }
    free(idx);
    free(sz);
    free(al);
    free(live);
    return rc;
}

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    if (runs < 1 || runs > MAX_RUNS) {
        runs = 5;
    }
    void *region = mmap(NULL, REGION, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (region == MAP_FAILED) {
        fprintf(stderr, "cannot reserve the address range\n");
        return 1;
    }
    const size_t lives[2] = {1000, 100000};
    double med[2][M_COUNT];
    for (int l = 0; l < 2; l++) {
        double samples[M_COUNT][MAX_RUNS];
        for (int r = 0; r < runs; r++) {
            double out[M_COUNT] = {0};
            if (run(region, lives[l], out) != 0) {
                fprintf(stderr, "run failed\n");
                return 1;
            }
            for (int m = 0; m < M_COUNT; m++) {
                samples[m][r] = out[m];
            }
        }
        for (int m = 0; m < M_COUNT; m++) {
            med[l][m] = bench_median(samples[m], runs);
        }
    }
    printf("coarse allocator, ns per operation (median of %d runs, %u ops each, thread CPU time)\n", runs, OPS);
    printf("%-28s %14s %14s %14s\n", "", "1,000 live", "100,000 live", "100k / 1k");
    for (int m = 0; m < M_COUNT; m++) {
        printf("%-28s %14.1f %14.1f %14.2f\n", NAMES[m], med[0][m], med[1][m], med[1][m] / med[0][m]);
    }
    munmap(region, REGION);
    return 0;
}
