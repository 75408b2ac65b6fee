/*
 * Extended statistics of the disjoint, jemalloc and scalable pools: this library's extension of
 * UMF's CTL, off unless a pool's params.extended_stats is set (see docs/ctl.md).
 *
 *   params.extended_stats                  boolean; set through umf.pool.default.<kind> before a pool
 *                                          is created, or turned on (never off) on a live pool
 *   stats.allocated_bytes                  bytes live, as the callers asked for them
 *   stats.peak_allocated_bytes             the most stats.allocated_bytes has been
 *   stats.peak_allocated_bytes.reset       exec: the peak becomes the current value
 *   stats.size_histogram.count             how many classes (64)
 *   stats.size_histogram.{}.min_size       smallest size of class i: 2^i
 *   stats.size_histogram.{}.max_size       largest size of class i: 2^(i+1) - 1
 *   stats.size_histogram.{}.alloc_num      allocations asked for with a size of class i
 *   stats.size_histogram.reset             exec: every class back to 0
 *
 * The pools do not keep the size a caller asked for, so while the statistics are on each live
 * allocation is recorded in a hash map (pointer -> size) of its own, split into shards with a lock
 * each; a free looks its pointer up there. Off, a pool pays one load and a branch per call.
 *
 * A pool embeds an umf_xstats_t, keeps its own allocation functions under <prefix>_raw_<op>
 * (calling only each other) and defines its ops with UMF_XSTATS_DEFINE_OPS(prefix, xs_of).
 */
#ifndef UMF_POOLS_POOL_XSTATS_H
#define UMF_POOLS_POOL_XSTATS_H 1

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <umf/base.h>

#include "base/utils.h"

/* The histogram's classes: class i holds the sizes [2^i, 2^(i+1)), i = 0..63. */
#define UMF_XSTATS_CLASSES 64

struct umf_xstats_state;

typedef struct umf_xstats {
    _Atomic(struct umf_xstats_state *) on; /* NULL while off: the only field the fast paths read */
    pthread_mutex_t lock;                  /* switching on */
    bool wanted;                           /* the switch before the pool is sealed */
    bool sealed;                           /* post_initialize ran: from now on only on, never off */
} umf_xstats_t;

/* The uncounted allocation functions of a pool. */
typedef struct umf_xstats_raw {
    void *(*malloc)(void *pool, size_t size);
    void *(*calloc)(void *pool, size_t num, size_t size);
    void *(*realloc)(void *pool, void *ptr, size_t size);
    void *(*aligned_malloc)(void *pool, size_t size, size_t alignment);
    umf_result_t (*free)(void *pool, void *ptr);
} umf_xstats_raw_t;

void umf_xstats_init(umf_xstats_t *x);
/* Frees what the statistics hold (the pool is going). */
void umf_xstats_fini(umf_xstats_t *x);

/* The counted versions of the ops, used while the statistics are on. */
void *umf_xstats_malloc(struct umf_xstats_state *s, const umf_xstats_raw_t *raw, void *pool, size_t size);
void *umf_xstats_calloc(struct umf_xstats_state *s, const umf_xstats_raw_t *raw, void *pool, size_t num, size_t size);
void *umf_xstats_realloc(struct umf_xstats_state *s, const umf_xstats_raw_t *raw, void *pool, void *ptr, size_t size);
void *umf_xstats_aligned_malloc(struct umf_xstats_state *s, const umf_xstats_raw_t *raw, void *pool, size_t size,
                                size_t alignment);
umf_result_t umf_xstats_free(struct umf_xstats_state *s, const umf_xstats_raw_t *raw, void *pool, void *ptr);

/* Seals the switch (the pool's post_initialize): on now if it was set, and from now on it can only be
 * turned on. Fails only when the host is out of memory. */
umf_result_t umf_xstats_seal(umf_xstats_t *x);

/* Answers the nodes listed above; any other path gives UMF_RESULT_ERROR_INVALID_CTL_PATH (reading
 * args from a copy, so the pool's own nodes may read them afresh). */
umf_result_t umf_xstats_ctl(umf_xstats_t *x, umf_ctl_query_source_t source, const char *name, void *arg, size_t size,
                            umf_ctl_query_type_t type, va_list args);

static inline struct umf_xstats_state *umf_xstats_on(umf_xstats_t *x) {
    return atomic_load_explicit(&x->on, memory_order_acquire);
}

/* Defines static <prefix>_malloc, _calloc, _realloc, _aligned_malloc and _free: each runs
 * <prefix>_raw_<op> directly while the statistics of the pool (xs_of(pool), an umf_xstats_t *)
 * are off, and its counted version while they are on. */
#define UMF_XSTATS_DEFINE_OPS(prefix, xs_of)                                                                         \
    static const umf_xstats_raw_t prefix##_raw_ops = {prefix##_raw_malloc, prefix##_raw_calloc, prefix##_raw_realloc, \
                                                      prefix##_raw_aligned_malloc, prefix##_raw_free};               \
    static void *prefix##_malloc(void *pool, size_t size) {                                                          \
        struct umf_xstats_state *s = umf_xstats_on(xs_of(pool));                                                     \
        return UMF_LIKELY(s == NULL) ? prefix##_raw_malloc(pool, size)                                               \
                                     : umf_xstats_malloc(s, &prefix##_raw_ops, pool, size);                          \
    }                                                                                                                \
    static void *prefix##_calloc(void *pool, size_t num, size_t size) {                                              \
        struct umf_xstats_state *s = umf_xstats_on(xs_of(pool));                                                     \
        return UMF_LIKELY(s == NULL) ? prefix##_raw_calloc(pool, num, size)                                          \
                                     : umf_xstats_calloc(s, &prefix##_raw_ops, pool, num, size);                     \
    }                                                                                                                \
    static void *prefix##_realloc(void *pool, void *ptr, size_t size) {                                              \
        struct umf_xstats_state *s = umf_xstats_on(xs_of(pool));                                                     \
        return UMF_LIKELY(s == NULL) ? prefix##_raw_realloc(pool, ptr, size)                                         \
                                     : umf_xstats_realloc(s, &prefix##_raw_ops, pool, ptr, size);                    \
    }                                                                                                                \
    static void *prefix##_aligned_malloc(void *pool, size_t size, size_t alignment) {                                \
        struct umf_xstats_state *s = umf_xstats_on(xs_of(pool));                                                     \
        return UMF_LIKELY(s == NULL) ? prefix##_raw_aligned_malloc(pool, size, alignment)                            \
                                     : umf_xstats_aligned_malloc(s, &prefix##_raw_ops, pool, size, alignment);       \
    }                                                                                                                \
    static umf_result_t prefix##_free(void *pool, void *ptr) {                                                       \
        struct umf_xstats_state *s = umf_xstats_on(xs_of(pool));                                                     \
        return UMF_LIKELY(s == NULL) ? prefix##_raw_free(pool, ptr) : umf_xstats_free(s, &prefix##_raw_ops, pool, ptr); \
    }

#endif
