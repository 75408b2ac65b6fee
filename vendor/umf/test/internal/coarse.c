/*
 * Tests of the coarse allocator (src/providers/coarse.c) on its own: argument
 * checks, alignment, coalescing, split/merge, growth, threads, and a long
 * randomized run checked against a byte-level model of the regions.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "providers/coarse.h"
#include "test_common.h"

int umf_test_failures;
int umf_test_checks;
const char *umf_test_current = "";

#define KiB ((size_t)1024)
#define MiB (KiB * KiB)

static coarse_stats_t stats_of(coarse_t *c) {
    coarse_stats_t s;
    coarse_get_stats(c, &s);
    return s;
}

/* (REQUIRE evaluates its condition twice, so calls with effects stay outside it) */
static coarse_t *new_coarse(const coarse_params_t *params) {
    coarse_t *c = NULL;
    return coarse_create(params, &c) == UMF_RESULT_SUCCESS ? c : NULL;
}

static void test_arguments(void) {
    coarse_t *c = NULL;
    CHECK_RESULT(coarse_create(NULL, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(coarse_create(NULL, &c));
    REQUIRE(c != NULL);
    char *buf = aligned_alloc(4096, 64 * KiB);
    REQUIRE(buf != NULL);

    CHECK_RESULT(coarse_add_region(NULL, buf, 4096, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(coarse_add_region(c, NULL, 4096, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(coarse_add_region(c, buf, 0, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(coarse_add_region(c, (void *)(UINTPTR_MAX - 10), 100, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);

    void *p = (void *)1;
    /* no region yet: nothing fits */
    CHECK_RESULT(coarse_alloc(c, 1, 0, &p), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    CHECK_OK(coarse_add_region(c, buf + 16 * KiB, 32 * KiB, 7));
    /* overlapping regions are refused, adjacent ones accepted */
    CHECK_RESULT(coarse_add_region(c, buf + 16 * KiB, 4 * KiB, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(coarse_add_region(c, buf + 12 * KiB, 8 * KiB, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(coarse_add_region(c, buf + 40 * KiB, 16 * KiB, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(coarse_add_region(c, buf + 20 * KiB, 1, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(coarse_add_region(c, buf, 64 * KiB, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(coarse_add_region(c, buf + 48 * KiB, 16 * KiB, 8));
    CHECK_OK(coarse_add_region(c, buf, 16 * KiB, 9));
    CHECK_EQ(stats_of(c).num_regions, 3);
    CHECK_EQ(stats_of(c).total_size, 64 * KiB);

    CHECK_RESULT(coarse_alloc(NULL, 1, 0, &p), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(coarse_alloc(c, 1, 0, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(coarse_alloc(c, 1, 3, &p), UMF_RESULT_ERROR_INVALID_ALIGNMENT);
    CHECK_RESULT(coarse_alloc(c, 1, 4097, &p), UMF_RESULT_ERROR_INVALID_ALIGNMENT);
    CHECK_RESULT(coarse_alloc(c, SIZE_MAX, 0, &p), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    CHECK_RESULT(coarse_alloc(c, SIZE_MAX - 2, 4096, &p), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    CHECK_OK(coarse_alloc(c, 0, 0, &p));
    CHECK(p == NULL);

    CHECK_OK(coarse_free(c, NULL, 0));
    CHECK_RESULT(coarse_free(NULL, buf, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(coarse_free(c, buf, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT); /* free block */
    CHECK_RESULT(coarse_free(c, buf + 100 * KiB, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);

    void *q = NULL;
    CHECK_OK(coarse_alloc(c, 1000, 0, &q));
    REQUIRE(q != NULL);
    CHECK_RESULT(coarse_free(c, q, 999), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(coarse_free(c, (char *)q + 1, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(coarse_free(c, q, 1000));
    CHECK_RESULT(coarse_free(c, q, 1000), UMF_RESULT_ERROR_INVALID_ARGUMENT); /* double free */

    coarse_block_info_t info;
    CHECK_RESULT(coarse_find(c, buf, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(coarse_find(NULL, buf, &info), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(coarse_find(c, buf + 64 * KiB, &info), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(coarse_find(c, buf - 1, &info), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(coarse_find(c, buf + 50 * KiB, &info));
    CHECK(info.region_base == buf + 48 * KiB);
    CHECK_EQ(info.region_size, 16 * KiB);
    CHECK_EQ(info.region_user, 8);
    CHECK(!info.used);

    CHECK_EQ(coarse_check(c), 0);
    coarse_destroy(c);
    coarse_destroy(NULL);
    free(buf);
}

static void test_exact_fill_and_reuse(void) {
    coarse_t *c = NULL;
    c = new_coarse(NULL);
    REQUIRE(c != NULL);
    char *buf = aligned_alloc(4096, 16 * KiB);
    REQUIRE(buf != NULL);
    CHECK_OK(coarse_add_region(c, buf, 16 * KiB, 0));
    void *a = NULL, *b = NULL;
    CHECK_OK(coarse_alloc(c, 16 * KiB, 4096, &a));
    CHECK(a == buf);
    CHECK_RESULT(coarse_alloc(c, 1, 0, &b), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    CHECK_EQ(stats_of(c).used_size, 16 * KiB);
    CHECK_EQ(stats_of(c).free_size, 0);
    CHECK_EQ(stats_of(c).num_free_blocks, 0);
    CHECK_OK(coarse_free(c, a, 0));
    CHECK_EQ(stats_of(c).used_size, 0);
    CHECK_OK(coarse_alloc(c, 16 * KiB, 0, &b));
    CHECK(b == buf);
    CHECK_OK(coarse_free(c, b, 16 * KiB));
    CHECK_EQ(coarse_check(c), 0);
    coarse_destroy(c);
    free(buf);
}

static void test_alignment(void) {
    coarse_t *c = NULL;
    c = new_coarse(NULL);
    REQUIRE(c != NULL);
    char *buf = aligned_alloc(64 * KiB, 256 * KiB);
    REQUIRE(buf != NULL);
    /* a region that starts 16 bytes past a 64 KiB boundary */
    CHECK_OK(coarse_add_region(c, buf + 16, 256 * KiB - 16, 0));
    void *p = NULL;
    CHECK_OK(coarse_alloc(c, 100, 4096, &p));
    CHECK(p == buf + 4096);
    /* free prefix [buf+16, buf+4096), used block, free rest */
    CHECK_EQ(stats_of(c).num_blocks, 3);
    CHECK_EQ(stats_of(c).num_free_blocks, 2);
    void *q = NULL;
    CHECK_OK(coarse_alloc(c, 10, 64 * KiB, &q));
    CHECK(((uintptr_t)q % (64 * KiB)) == 0);
    void *r = NULL;
    /* fits in the prefix [buf+16, buf+4096) and is 8-aligned */
    CHECK_OK(coarse_alloc(c, 4000, 8, &r));
    CHECK(((uintptr_t)r % 8) == 0);
    CHECK((char *)r >= buf + 16 && (char *)r + 4000 <= buf + 4096);
    CHECK_EQ(stats_of(c).used_size, 4110);
    CHECK_EQ(coarse_check(c), 0);
    CHECK_OK(coarse_free(c, p, 100));
    CHECK_OK(coarse_free(c, r, 4000));
    CHECK_OK(coarse_free(c, q, 10));
    /* everything coalesced back into one block */
    CHECK_EQ(stats_of(c).num_blocks, 1);
    CHECK_EQ(stats_of(c).num_free_blocks, 1);
    /* a 1 MiB alignment fits only when a 1 MiB boundary lies early enough in the region */
    uintptr_t boundary = ((uintptr_t)buf + 16 + MiB - 1) & ~(uintptr_t)(MiB - 1);
    bool fits = boundary + 64 * KiB <= (uintptr_t)buf + 256 * KiB;
    p = NULL;
    CHECK_RESULT(coarse_alloc(c, 64 * KiB, 1 * MiB, &p), fits ? UMF_RESULT_SUCCESS : UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    if (fits) {
        CHECK(p == (void *)boundary);
        CHECK_OK(coarse_free(c, p, 64 * KiB));
    }
    /* 200 KiB aligned to 128 KiB: the first 128 KiB boundary is 64 KiB or 128 KiB into the region, too late */
    CHECK_RESULT(coarse_alloc(c, 200 * KiB, 128 * KiB, &p), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    CHECK_OK(coarse_alloc(c, 200 * KiB, 16, &p)); /* the size alone fits */
    CHECK_OK(coarse_free(c, p, 200 * KiB));
    CHECK_EQ(coarse_check(c), 0);
    coarse_destroy(c);
    free(buf);
}

static void test_coalescing(void) {
    coarse_t *c = NULL;
    c = new_coarse(NULL);
    REQUIRE(c != NULL);
    char *buf = aligned_alloc(4096, 64 * KiB);
    REQUIRE(buf != NULL);
    CHECK_OK(coarse_add_region(c, buf, 32 * KiB, 0));
    CHECK_OK(coarse_add_region(c, buf + 32 * KiB, 32 * KiB, 0)); /* adjacent, but a separate region */
    void *p[8];
    for (int i = 0; i < 8; i++) {
        CHECK_OK(coarse_alloc(c, 8 * KiB, 4096, &p[i]));
    }
    CHECK_EQ(stats_of(c).free_size, 0);
    CHECK_EQ(stats_of(c).num_blocks, 8);
    void *x = NULL;
    CHECK_RESULT(coarse_alloc(c, 1, 0, &x), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    /* free 0 and 2, then 1: the three become one block */
    CHECK_OK(coarse_free(c, buf, 8 * KiB));
    CHECK_OK(coarse_free(c, buf + 16 * KiB, 8 * KiB));
    CHECK_EQ(stats_of(c).num_free_blocks, 2);
    CHECK_OK(coarse_free(c, buf + 8 * KiB, 8 * KiB));
    CHECK_EQ(stats_of(c).num_free_blocks, 1);
    CHECK_EQ(stats_of(c).num_blocks, 6);
    /* a 24 KiB request now fits where the three were */
    CHECK_OK(coarse_alloc(c, 24 * KiB, 0, &x));
    CHECK(x == buf);
    CHECK_OK(coarse_free(c, x, 0));
    /* free the last of region 1 and the first of region 2: not merged across the boundary */
    CHECK_OK(coarse_free(c, buf + 24 * KiB, 0));
    CHECK_OK(coarse_free(c, buf + 32 * KiB, 0));
    CHECK_EQ(stats_of(c).num_free_blocks, 2);
    CHECK_RESULT(coarse_alloc(c, 40 * KiB, 0, &x), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    CHECK_OK(coarse_free(c, buf + 40 * KiB, 0));
    CHECK_OK(coarse_free(c, buf + 48 * KiB, 0));
    CHECK_OK(coarse_free(c, buf + 56 * KiB, 0));
    CHECK_EQ(stats_of(c).num_blocks, 2);
    CHECK_EQ(stats_of(c).num_free_blocks, 2);
    CHECK_EQ(stats_of(c).used_size, 0);
    CHECK_EQ(coarse_check(c), 0);
    coarse_destroy(c);
    free(buf);
}

static void test_best_fit(void) {
    coarse_t *c = NULL;
    c = new_coarse(NULL);
    REQUIRE(c != NULL);
    char *buf = aligned_alloc(4096, 64 * KiB);
    REQUIRE(buf != NULL);
    CHECK_OK(coarse_add_region(c, buf, 64 * KiB, 0));
    /* holes of 12 KiB at 0, 4 KiB at 16 KiB, 8 KiB at 24 KiB */
    void *p[16];
    for (int i = 0; i < 16; i++) {
        CHECK_OK(coarse_alloc(c, 4 * KiB, 4096, &p[i]));
    }
    int holes[] = {0, 1, 2, 4, 6, 7};
    for (size_t i = 0; i < sizeof(holes) / sizeof(holes[0]); i++) {
        CHECK_OK(coarse_free(c, p[holes[i]], 4 * KiB));
    }
    void *x = NULL;
    CHECK_OK(coarse_alloc(c, 4 * KiB, 0, &x));
    CHECK(x == buf + 16 * KiB); /* the smallest hole that fits */
    CHECK_OK(coarse_alloc(c, 6 * KiB, 0, &x));
    CHECK(x == buf + 24 * KiB);
    CHECK_OK(coarse_alloc(c, 12 * KiB, 0, &x));
    CHECK(x == buf);
    CHECK_EQ(coarse_check(c), 0);
    coarse_destroy(c);
    free(buf);
}

static void test_split_merge(void) {
    coarse_t *c = NULL;
    c = new_coarse(NULL);
    REQUIRE(c != NULL);
    char *buf = aligned_alloc(4096, 64 * KiB);
    REQUIRE(buf != NULL);
    CHECK_OK(coarse_add_region(c, buf, 32 * KiB, 0));
    void *a = NULL;
    CHECK_OK(coarse_alloc(c, 16 * KiB, 4096, &a));
    REQUIRE(a == buf);
    CHECK_OK(coarse_add_region(c, buf + 32 * KiB, 32 * KiB, 0));
    CHECK_RESULT(coarse_split(NULL, a, 16 * KiB, 4 * KiB), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(coarse_split(c, NULL, 16 * KiB, 4 * KiB), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(coarse_split(c, a, 16 * KiB, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(coarse_split(c, a, 16 * KiB, 16 * KiB), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(coarse_split(c, a, 8 * KiB, 4 * KiB), UMF_RESULT_ERROR_INVALID_ARGUMENT); /* wrong total */
    CHECK_RESULT(coarse_split(c, buf + 16 * KiB, 16 * KiB, 4 * KiB), UMF_RESULT_ERROR_INVALID_ARGUMENT); /* free */
    CHECK_OK(coarse_split(c, a, 16 * KiB, 4 * KiB));
    CHECK_EQ(stats_of(c).num_blocks, 4);
    CHECK_EQ(stats_of(c).used_size, 16 * KiB);
    coarse_block_info_t info;
    CHECK_OK(coarse_find(c, buf + 5 * KiB, &info));
    CHECK(info.block_base == buf + 4 * KiB);
    CHECK_EQ(info.block_size, 12 * KiB);
    CHECK(info.used);
    /* the halves are independent allocations now */
    CHECK_RESULT(coarse_free(c, a, 16 * KiB), UMF_RESULT_ERROR_INVALID_ARGUMENT);

    char *hi = buf + 4 * KiB;
    CHECK_RESULT(coarse_merge(NULL, a, hi, 16 * KiB), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(coarse_merge(c, NULL, hi, 16 * KiB), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(coarse_merge(c, a, NULL, 16 * KiB), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(coarse_merge(c, a, hi, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(coarse_merge(c, hi, a, 16 * KiB), UMF_RESULT_ERROR_INVALID_ARGUMENT); /* reversed */
    CHECK_RESULT(coarse_merge(c, a, hi, 15 * KiB), UMF_RESULT_ERROR_INVALID_ARGUMENT); /* wrong total */
    CHECK_RESULT(coarse_merge(c, a, a, 8 * KiB), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* split again and merge only neighbours */
    CHECK_OK(coarse_split(c, hi, 12 * KiB, 4 * KiB));
    CHECK_RESULT(coarse_merge(c, a, buf + 8 * KiB, 12 * KiB), UMF_RESULT_ERROR_INVALID_ARGUMENT); /* not adjacent */
    CHECK_OK(coarse_merge(c, hi, buf + 8 * KiB, 12 * KiB));
    CHECK_OK(coarse_merge(c, a, hi, 16 * KiB));
    CHECK_EQ(stats_of(c).num_blocks, 3);
    CHECK_OK(coarse_free(c, a, 16 * KiB));

    /* used blocks on both sides of a region boundary cannot merge */
    void *x = NULL, *y = NULL;
    CHECK_OK(coarse_alloc(c, 32 * KiB, 0, &x));
    CHECK_OK(coarse_alloc(c, 32 * KiB, 0, &y));
    REQUIRE(x != NULL && y != NULL);
    void *lo = x < y ? x : y, *up = x < y ? y : x;
    CHECK(lo == buf && up == buf + 32 * KiB);
    CHECK_RESULT(coarse_merge(c, lo, up, 64 * KiB), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(coarse_free(c, x, 0));
    CHECK_OK(coarse_free(c, y, 0));
    CHECK_EQ(stats_of(c).used_size, 0);
    CHECK_EQ(coarse_check(c), 0);
    coarse_destroy(c);
    free(buf);
}

/* ---- growth ---- */

typedef struct grow_state_t {
    void *chunks[64];
    size_t sizes[64];
    int n;
    int limit;
} grow_state_t;

static umf_result_t test_grow(void *arg, size_t min_size, void **base, size_t *size, uintptr_t *user) {
    grow_state_t *g = arg;
    if (g->n >= g->limit) {
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    size_t sz = min_size < 64 * KiB ? 64 * KiB : (min_size + 4095) & ~(size_t)4095;
    void *p = aligned_alloc(4096, sz);
    if (p == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    g->chunks[g->n] = p;
    g->sizes[g->n] = sz;
    *base = p;
    *size = sz;
    *user = (uintptr_t)g->n * 1000;
    g->n++;
    return UMF_RESULT_SUCCESS;
}

static int count_region(void *base, size_t size, uintptr_t user, void *arg) {
    size_t *acc = arg;
    acc[0]++;
    acc[1] += size;
    return 0;
}

static int stop_at_second(void *base, size_t size, uintptr_t user, void *arg) {
    int *seen = arg;
    return ++*seen == 2 ? 42 : 0;
}

static void test_grow_callback(void) {
    grow_state_t g = {.n = 0, .limit = 6};
    coarse_params_t params = {.grow = test_grow, .grow_arg = &g};
    coarse_t *c = NULL;
    c = new_coarse(&params);
    REQUIRE(c != NULL);
    void *p[40];
    for (int i = 0; i < 40; i++) {
        CHECK_OK(coarse_alloc(c, 8 * KiB, 4096, &p[i]));
    }
    CHECK_EQ(g.n, 5); /* 8 blocks of 8 KiB per 64 KiB chunk */
    CHECK_EQ(stats_of(c).num_regions, 5);
    CHECK_EQ(stats_of(c).total_size, 5 * 64 * KiB);
    /* a request bigger than the default chunk gets a chunk that big */
    void *big = NULL;
    CHECK_OK(coarse_alloc(c, 200 * KiB, 4096, &big));
    CHECK_EQ(g.n, 6);
    coarse_block_info_t info;
    CHECK_OK(coarse_find(c, (char *)big + 100 * KiB, &info));
    CHECK(info.region_base == g.chunks[5]);
    CHECK_EQ(info.region_user, 5000);
    /* the callback's error reaches the caller */
    void *x = NULL;
    CHECK_RESULT(coarse_alloc(c, 1 * MiB, 0, &x), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    size_t acc[2] = {0, 0};
    CHECK_EQ(coarse_for_each_region(c, count_region, acc), 0);
    CHECK_EQ(acc[0], 6);
    CHECK_EQ(acc[1], stats_of(c).total_size);
    int seen = 0;
    CHECK_EQ(coarse_for_each_region(c, stop_at_second, &seen), 42);
    CHECK_EQ(seen, 2);
    for (int i = 0; i < 40; i++) {
        CHECK_OK(coarse_free(c, p[i], 8 * KiB));
    }
    CHECK_OK(coarse_free(c, big, 200 * KiB));
    CHECK_EQ(stats_of(c).used_size, 0);
    CHECK_EQ(stats_of(c).num_free_blocks, 6);
    CHECK_EQ(coarse_check(c), 0);
    coarse_destroy(c);
    for (int i = 0; i < g.n; i++) {
        free(g.chunks[i]);
    }
}

/* ---- threads ---- */

#define THREADS 4

typedef struct thread_arg_t {
    coarse_t *c;
    unsigned seed;
    int failures;
} thread_arg_t;

static void *thread_body(void *argp) {
    thread_arg_t *t = argp;
    void *live[64] = {0};
    size_t sizes[64] = {0};
    for (int i = 0; i < 20000; i++) {
        int k = rand_r(&t->seed) % 64;
        if (live[k]) {
            /* our bytes are still ours */
            if (((unsigned char *)live[k])[0] != (unsigned char)k ||
                ((unsigned char *)live[k])[sizes[k] - 1] != (unsigned char)k) {
                t->failures++;
            }
            if (coarse_free(t->c, live[k], sizes[k]) != UMF_RESULT_SUCCESS) {
                t->failures++;
            }
            live[k] = NULL;
        } else {
            sizes[k] = 1 + rand_r(&t->seed) % 3000;
            if (coarse_alloc(t->c, sizes[k], 64, &live[k]) == UMF_RESULT_SUCCESS) {
                memset(live[k], k, sizes[k]);
            } else {
                live[k] = NULL;
            }
        }
    }
    for (int k = 0; k < 64; k++) {
        if (live[k] && coarse_free(t->c, live[k], sizes[k]) != UMF_RESULT_SUCCESS) {
            t->failures++;
        }
    }
    return NULL;
}

static void test_threads(void) {
    coarse_t *c = NULL;
    c = new_coarse(NULL);
    REQUIRE(c != NULL);
    char *buf = aligned_alloc(4096, 1 * MiB);
    REQUIRE(buf != NULL);
    CHECK_OK(coarse_add_region(c, buf, 1 * MiB, 0));
    pthread_t th[THREADS];
    thread_arg_t args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (thread_arg_t){.c = c, .seed = 1234u + (unsigned)i, .failures = 0};
        int prc = pthread_create(&th[i], NULL, thread_body, &args[i]);
        REQUIRE(prc == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ(args[i].failures, 0);
    }
    CHECK_EQ(stats_of(c).used_size, 0);
    CHECK_EQ(stats_of(c).num_blocks, 1);
    CHECK_EQ(coarse_check(c), 0);
    coarse_destroy(c);
    free(buf);
}

/* ---- randomized run against a model ---- */

#define MODEL_REGIONS 3
#define MODEL_MAX_LIVE 512

typedef struct live_t {
    unsigned char *ptr;
    size_t size;
    int region;
    unsigned char tag;
} live_t;

typedef struct model_t {
    unsigned char *base[MODEL_REGIONS];
    size_t size[MODEL_REGIONS];
    unsigned char *shadow[MODEL_REGIONS]; /* 1 = byte handed out */
    live_t live[MODEL_MAX_LIVE];
    int n_live;
    size_t used;
} model_t;

static int model_region_of(model_t *m, const unsigned char *p, size_t size) {
    for (int r = 0; r < MODEL_REGIONS; r++) {
        if (p >= m->base[r] && p + size <= m->base[r] + m->size[r]) {
            return r;
        }
    }
    return -1;
}

/* Length of the longest run of free bytes of any region. */
static size_t model_longest_free(model_t *m) {
    size_t best = 0;
    for (int r = 0; r < MODEL_REGIONS; r++) {
        size_t run = 0;
        for (size_t i = 0; i < m->size[r]; i++) {
            run = m->shadow[r][i] ? 0 : run + 1;
            if (run > best) {
                best = run;
            }
        }
    }
    return best;
}

/* Free runs of every region, which is what the allocator's free blocks must be once coalesced. */
static size_t model_free_runs(model_t *m) {
    size_t runs = 0;
    for (int r = 0; r < MODEL_REGIONS; r++) {
        for (size_t i = 0; i < m->size[r]; i++) {
            if (!m->shadow[r][i] && (i == 0 || m->shadow[r][i - 1])) {
                runs++;
            }
        }
    }
    return runs;
}

static void model_mark(model_t *m, const live_t *l, unsigned char v) {
    memset(m->shadow[l->region] + (l->ptr - m->base[l->region]), v, l->size);
}

static int model_find_live(model_t *m, const unsigned char *p) {
    for (int i = 0; i < m->n_live; i++) {
        if (m->live[i].ptr == p) {
            return i;
        }
    }
    return -1;
}

static bool bytes_are(const unsigned char *p, size_t n, unsigned char v) {
    for (size_t i = 0; i < n; i++) {
        if (p[i] != v) {
            return false;
        }
    }
    return true;
}

static void test_randomized_against_model(void) {
    static model_t m;
    memset(&m, 0, sizeof(m));
    coarse_t *c = NULL;
    c = new_coarse(NULL);
    REQUIRE(c != NULL);
    size_t region_sizes[MODEL_REGIONS] = {256 * KiB, 64 * KiB + 100, 128 * KiB};
    for (int r = 0; r < MODEL_REGIONS; r++) {
        m.size[r] = region_sizes[r];
        m.base[r] = aligned_alloc(4096, (m.size[r] + 4095) & ~(size_t)4095);
        m.shadow[r] = calloc(1, m.size[r]);
        REQUIRE(m.base[r] != NULL && m.shadow[r] != NULL);
        /* region 1 starts off a page boundary */
        CHECK_OK(coarse_add_region(c, m.base[r] + (r == 1 ? 24 : 0), m.size[r] - (r == 1 ? 24 : 0), (uintptr_t)r));
        if (r == 1) {
            memset(m.shadow[r], 1, 24); /* never handed out */
        }
    }
    unsigned seed = 20260126;
    size_t total = 0;
    for (int r = 0; r < MODEL_REGIONS; r++) {
        total += m.size[r] - (r == 1 ? 24 : 0);
    }
    int ops = 0, allocs = 0, frees = 0, splits = 0, merges = 0, failed_allocs = 0, errors = 0;
    for (ops = 0; ops < 6000 && errors < 10; ops++) {
        int what = rand_r(&seed) % 100;
        if (what < 45 && m.n_live < MODEL_MAX_LIVE) {
            size_t size = (rand_r(&seed) % 4 == 0) ? 1 + (size_t)rand_r(&seed) % (24 * KiB) : 1 + (size_t)rand_r(&seed) % 700;
            size_t alignment = (rand_r(&seed) % 3 == 0) ? (size_t)1 << (rand_r(&seed) % 14) : 0;
            void *p = NULL;
            umf_result_t rc = coarse_alloc(c, size, alignment, &p);
            if (rc == UMF_RESULT_SUCCESS) {
                unsigned char *q = p;
                int r = model_region_of(&m, q, size);
                size_t a = alignment ? alignment : 1;
                if (r < 0 || ((uintptr_t)q % a) != 0 ||
                    !bytes_are(m.shadow[r] + (q - m.base[r]), size, 0)) {
                    errors++;
                    CHECK(!"allocation outside the regions, misaligned or overlapping");
                    continue;
                }
                live_t *l = &m.live[m.n_live++];
                *l = (live_t){.ptr = q, .size = size, .region = r, .tag = (unsigned char)(ops % 251 + 1)};
                model_mark(&m, l, 1);
                memset(q, l->tag, size);
                m.used += size;
                allocs++;
            } else {
                /* best fit with the fallback must succeed whenever a run of size + alignment - 1 exists */
                size_t need = size + (alignment ? alignment - 1 : 0);
                if (rc != UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY || model_longest_free(&m) >= need) {
                    errors++;
                    CHECK(!"allocation failed although it fits");
                }
                failed_allocs++;
            }
        } else if (what < 85 && m.n_live > 0) {
            int i = rand_r(&seed) % m.n_live;
            live_t l = m.live[i];
            if (!bytes_are(l.ptr, l.size, l.tag)) {
                errors++;
                CHECK(!"an allocation's bytes were overwritten");
            }
            /* sometimes free without the size */
            CHECK_OK(coarse_free(c, l.ptr, rand_r(&seed) % 2 ? l.size : 0));
            model_mark(&m, &l, 0);
            m.used -= l.size;
            m.live[i] = m.live[--m.n_live];
            frees++;
        } else if (what < 93 && m.n_live > 0 && m.n_live < MODEL_MAX_LIVE) {
            int i = rand_r(&seed) % m.n_live;
            live_t *l = &m.live[i];
            if (l->size < 2) {
                CHECK_RESULT(coarse_split(c, l->ptr, l->size, 1), UMF_RESULT_ERROR_INVALID_ARGUMENT);
                continue;
            }
            size_t first = 1 + rand_r(&seed) % (l->size - 1);
            CHECK_OK(coarse_split(c, l->ptr, l->size, first));
            live_t second = {.ptr = l->ptr + first, .size = l->size - first, .region = l->region, .tag = l->tag};
            l->size = first;
            m.live[m.n_live++] = second;
            splits++;
        } else if (m.n_live > 0) {
            int i = rand_r(&seed) % m.n_live;
            live_t *l = &m.live[i];
            int j = model_find_live(&m, l->ptr + l->size);
            if (j >= 0 && m.live[j].region == l->region) {
                CHECK_OK(coarse_merge(c, l->ptr, m.live[j].ptr, l->size + m.live[j].size));
                memset(m.live[j].ptr, l->tag, m.live[j].size);
                l->size += m.live[j].size;
                m.live[j] = m.live[--m.n_live];
                merges++;
            } else {
                /* not a live neighbour in the same region: refused */
                CHECK_RESULT(coarse_merge(c, l->ptr, l->ptr + l->size, l->size + 1), UMF_RESULT_ERROR_INVALID_ARGUMENT);
            }
        }
        coarse_stats_t s = stats_of(c);
        if (s.used_size != m.used || s.total_size != total || s.free_size != total - m.used) {
            errors++;
            CHECK(!"byte accounting differs from the model");
        }
        int inv = coarse_check(c);
        if (inv != 0) {
            errors++;
            CHECK_EQ(inv, 0);
        }
        if (ops % 200 == 0 && s.num_free_blocks != model_free_runs(&m)) {
            errors++;
            CHECK_EQ(s.num_free_blocks, model_free_runs(&m));
        }
        if (ops % 50 == 0 && m.n_live > 0) {
            /* find answers for an interior byte of a live allocation */
            live_t *l = &m.live[rand_r(&seed) % m.n_live];
            coarse_block_info_t info;
            CHECK_OK(coarse_find(c, l->ptr + l->size / 2, &info));
            CHECK(info.block_base == l->ptr && info.block_size == l->size && info.used);
            CHECK_EQ(info.region_user, l->region);
        }
    }
    CHECK_EQ(errors, 0);
    CHECK(allocs > 1000 && frees > 1000 && splits > 100 && merges > 10);
    CHECK(failed_allocs > 0); /* the run did reach full regions */
    while (m.n_live > 0) {
        live_t l = m.live[--m.n_live];
        CHECK(bytes_are(l.ptr, l.size, l.tag));
        CHECK_OK(coarse_free(c, l.ptr, l.size));
    }
    CHECK_EQ(stats_of(c).used_size, 0);
    CHECK_EQ(stats_of(c).num_blocks, MODEL_REGIONS);
    CHECK_EQ(coarse_check(c), 0);
    coarse_destroy(c);
    for (int r = 0; r < MODEL_REGIONS; r++) {
        free(m.base[r]);
        free(m.shadow[r]);
    }
}

int main(void) {
    RUN_TEST(test_arguments);
    RUN_TEST(test_exact_fill_and_reuse);
    RUN_TEST(test_alignment);
    RUN_TEST(test_coalescing);
    RUN_TEST(test_best_fit);
    RUN_TEST(test_split_merge);
    RUN_TEST(test_grow_callback);
    RUN_TEST(test_threads);
    RUN_TEST(test_randomized_against_model);
    return TEST_SUMMARY();
}
