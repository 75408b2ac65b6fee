/*
 * What the files of the disjoint pool share (internal to src/pools):
 *
 *   disjoint.c          the allocation core: size classes, buckets, slabs, thread caches,
 *                       malloc/free, create/destroy/trim, the ops table
 *   disjoint_params.c   the params object and the shared limits (public API of pool_disjoint.h)
 *   disjoint_ctl.c      the statistics and the pool's CTL nodes
 *   disjoint_maps.c     page -> slab (radix tree) and the map of large allocations
 *
 * See the top of disjoint.c for how the pool is laid out.
 */
#ifndef UMF_POOLS_DISJOINT_INTERNAL_H
#define UMF_POOLS_DISJOINT_INTERNAL_H 1

#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <umf/memory_pool.h>
#include <umf/memory_pool_ops.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_disjoint.h>

#include "base/utils.h"
#include "pools/pool_xstats.h"

#define DP_DEFAULT_SLAB_MIN_SIZE ((size_t)64 * 1024)
#define DP_DEFAULT_MAX_POOLABLE_SIZE ((size_t)2 * 1024 * 1024)
#define DP_DEFAULT_CAPACITY ((size_t)4)
#define DP_SLAB_MIN_CHUNKS 16                   /* slabs grow towards this many chunks ... */
#define DP_SLAB_GROW_LIMIT ((size_t)64 * 1024) /* ... while they stay within this size */
#define DP_DEFAULT_NAME "disjoint"
#define DP_NAME_MAX 64
#define DP_MAX_ARENAS 16
#define DP_MAX_CLASSES 128
#define DP_CACHELINE 64
#define DP_TC_SLOTS 32      /* chunks a thread cache keeps per class */
#define DP_TC_BATCH 16      /* chunks moved between a thread cache and a bucket at once */
#define DP_TC_MAX_SIZE 1024 /* the largest class thread caches keep */
#define DP_OWNERS 4         /* threads a pool finds caches for without TLS */
#define DP_TLS_POOLS 128    /* pools a thread caches for at the same time (127 nested pools fit) */
#define DP_TC_EVICT_EVERY 64 /* with every slot busy, one miss in this many takes a slot over */

/* ------------------------------------------------------------------------- */
/* Params and shared limits (disjoint_params.c)                                */

struct umf_disjoint_pool_params_t {
    size_t slab_min_size;
    size_t max_poolable_size;
    size_t capacity;
    size_t min_bucket_size;
    int pool_trace;
    umf_disjoint_pool_shared_limits_handle_t shared_limits;
    char name[DP_NAME_MAX];
};

struct umf_disjoint_pool_shared_limits_t {
    size_t max_size;
    _Atomic size_t total_size; /* bytes of empty slabs cached by all the pools sharing it */
};

/* Fills p with UMF's defaults. */
void dp_params_defaults(struct umf_disjoint_pool_params_t *p);

/* ------------------------------------------------------------------------- */
/* A small spin lock: one atomic exchange to take it when free, a store to     */
/* release it. Waiters spin briefly, then yield.                               */

typedef struct dp_lock_t {
    atomic_int taken;
} dp_lock_t;

static inline void dp_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static inline bool dp_trylock(dp_lock_t *l) {
    return atomic_load_explicit(&l->taken, memory_order_relaxed) == 0 &&
           atomic_exchange_explicit(&l->taken, 1, memory_order_acquire) == 0;
}

void dp_lock_slow(dp_lock_t *l);

static inline void dp_lock(dp_lock_t *l) {
    if (UMF_LIKELY(atomic_exchange_explicit(&l->taken, 1, memory_order_acquire) == 0)) {
        return;
    }
    dp_lock_slow(l);
}

static inline void dp_unlock(dp_lock_t *l) { atomic_store_explicit(&l->taken, 0, memory_order_release); }
/* ------------------------------------------------------------------------- */
/* Pool structures                                                             */

struct dp_bucket;

typedef enum dp_slab_state_t {
    DP_SLAB_DEAD = 0,  /* metadata kept for reuse; the memory went back to the provider */
    DP_SLAB_AVAIL = 1, /* some chunks allocated, some free */
    DP_SLAB_FULL = 2,  /* every chunk allocated */
    DP_SLAB_EMPTY = 3, /* no chunk allocated; cached */
} dp_slab_state_t;

/* off / chunk size without a division or a branch (sizes are 2^k or 3 * 2^k; a branch on which
 * one mispredicts on every other free when sizes are mixed): ((off >> size_shift) * mul) >> shift,
 * with mul 1 and shift 0 for 2^k, and the reciprocal of 3 for 3 * 2^k (exact below 2^32). */
typedef struct dp_divider {
    uint32_t mul;
    uint32_t shift;
} dp_divider_t;

static inline size_t dp_divide(dp_divider_t d, unsigned size_shift, size_t off) {
    return (size_t)(((uint64_t)(off >> size_shift) * d.mul) >> d.shift);
}

typedef struct dp_slab {
    char *base;              /* first chunk; aligned to the unit */
    void *block;             /* what the provider returned (== base unless over-allocated) */
    size_t block_size;       /* the size asked of the provider */
    struct dp_bucket *bucket; /* never changes */
    /* copies of the bucket's geometry, one load away from the radix tree on free */
    uint32_t cls;
    uint32_t chunks;
    size_t size;
    unsigned size_shift;
    dp_divider_t div;
    struct dp_slab *prev, *next;
    uint32_t nfree;
    uint32_t hint; /* no free chunk in bitmap words below this one */
    int state;
    uint64_t bits[]; /* 1 = free chunk */
} dp_slab_t;

typedef struct dp_list {
    dp_slab_t *head;
    size_t count;
} dp_list_t;

typedef struct dp_bucket {
    dp_lock_t lock;
    uint32_t cls;
    uint32_t chunks; /* per slab */
    size_t size;     /* chunk size */
    size_t slab_size;
    unsigned size_shift; /* size == (3 or 1) << size_shift */
    dp_divider_t div;
    size_t avail_empty; /* 1 when the only slab in avail is empty and kept there */
    struct dp_pool *pool;
    dp_list_t avail, full, empty;
    dp_slab_t *dead; /* metadata of slabs given back, for reuse (singly linked by next) */
    /* statistics */
    size_t alloc_num;      /* chunks handed out */
    size_t alloc_pool_num; /* ... without taking a new slab from the provider */
    size_t free_num;
    size_t max_slabs_in_use;
    size_t max_slabs_in_pool;
} __attribute__((aligned(DP_CACHELINE))) dp_bucket_t;

/* An allocation that went straight to the provider. */
typedef struct dp_large {
    struct dp_large *next;
    void *ptr;         /* what the user got */
    void *block;       /* what the provider returned */
    size_t block_size; /* the size asked of the provider */
    size_t usable;
} dp_large_t;

/* Page -> slab map. Three levels with fixed shifts: 18 bits of address from
 * bit 39, then 12, then 15 bits down to the page. Nodes come from calloc, so the
 * big root and leaves only take the pages that are touched. */
#define DP_PAGE_SHIFT 12
#define DP_R0_SHIFT 39
#define DP_R0_BITS 18
#define DP_R1_SHIFT 27
#define DP_R1_BITS 12
#define DP_R2_BITS 15

typedef struct dp_radix {
    _Atomic(void *) *root;
    void **nodes; /* every node below the root, to free them */
    size_t nnodes, cap;
    pthread_mutex_t lock; /* writers */
} dp_radix_t;

/* The size classes of a pool, made with its buckets at the first allocation (1.5 KiB that a pool which
 * is never used does not hold: 100,000 forgotten empty pools must fit in a few hundred MiB). Only the
 * slower paths read them; the thread-cache fast path uses small_class, kept in the pool. */
typedef struct dp_classes {
    size_t class_size[DP_MAX_CLASSES];
    int pow_class[64];  /* class of 2^k, or -1 */
    int half_class[64]; /* class of 3 * 2^(k-1), or -1 */
} dp_classes_t;

typedef struct dp_pool {
    umf_memory_provider_handle_t provider;
    struct umf_disjoint_pool_params_t params;
    struct umf_disjoint_pool_shared_limits_t *limits; /* NULL: no limit */
    atomic_bool ready;
    umf_xstats_t xs; /* the extended statistics (pool_xstats.h) */
    bool sealed; /* post_initialize ran: params are final, buckets come with the first allocation */
    pthread_mutex_t setup_lock;

    size_t unit;
    size_t slab_align; /* slabs start on this boundary: the provider's page, at least 4 KiB */
    size_t max_pooled; /* largest size served from slabs */
    unsigned nclasses;
    unsigned narenas; /* a power of 2 */
    dp_classes_t *cls;    /* allocated by setup: an empty pool does not pay for these tables */
    dp_bucket_t *buckets; /* narenas * nclasses, arena-major */

    dp_radix_t radix;

    uint64_t id;                 /* unique, never reused: thread caches refer to pools by it */
    unsigned tc_classes;         /* classes below this index have thread caches (0: none) */
    size_t tc_max_size;          /* the largest of them (0: none) */
    uint8_t small_class[DP_TC_MAX_SIZE / 4 + 1]; /* class of sizes up to tc_max_size, by (size + 3) / 4 */
    /* The first DP_OWNERS threads that cache for the pool find their caches here
     * without TLS. A slot's thread is written once, before its cache is published;
     * the cache goes back to NULL for good when it is released. */
    struct {
        uintptr_t thread; /* dp_thread_token() of the thread */
        bool claimed;
        _Atomic(struct dp_tcache *) tc;
    } owners[DP_OWNERS];
    struct dp_tcache *tc_list;   /* this pool's thread caches, under dp_tc_lock */

    pthread_mutex_t large_lock;
    dp_large_t **large_tab;
    size_t large_tab_size; /* power of 2 */
    size_t large_count;
    size_t large_bytes;  /* block bytes held for large allocations */
    size_t large_usable; /* bytes handed out as large allocations */
} dp_pool_t;

/* A thread's cache of free chunks for one pool. Only its thread touches the bins
 * (counts are atomics so the statistics may read them); pool and the links
 * change under dp_tc_lock. */
typedef struct dp_tbin {
    _Atomic uint32_t count;
    void *items[DP_TC_SLOTS];
} dp_tbin_t;

typedef struct dp_tcache {
    dp_pool_t *pool; /* NULL once the pool is destroyed */
    uint64_t pool_id;
    struct dp_tcache *prev, *next;
    unsigned nclasses;
    dp_tbin_t bins[];
} dp_tcache_t;

typedef struct dp_tls_entry {
    uint64_t id;
    dp_tcache_t *tc;
} dp_tls_entry_t;

/* A thread's caches, found through a pthread key: pthread_getspecific is a few loads
 * from the thread descriptor, and unlike initial-exec TLS it keeps libumf loadable
 * with dlopen (its TLS block is too big for the static TLS glibc keeps spare). */
typedef struct dp_thread {
    dp_tls_entry_t tc[DP_TLS_POOLS];
    unsigned misses; /* lookups that found every slot busy */
} dp_thread_t;

/* ------------------------------------------------------------------------- */
/* The maps (disjoint_maps.c)                                                  */

void dp_radix_init(dp_radix_t *r);
/* Sets the pages of [base, base + size) to slab (or NULL). */
umf_result_t dp_radix_set(dp_radix_t *r, const void *base, size_t size, dp_slab_t *slab);
void dp_radix_destroy(dp_radix_t *r);
/* The slab of the page of ptr, or NULL; lock-free. */
/* A value unique among the live threads, read without a call: the thread pointer where the compiler
 * offers it (pthread_self() is a call into libc on every malloc and free otherwise). */
static inline uintptr_t dp_thread_token(void) {
#if defined(__x86_64__) && !defined(__clang__) && __GNUC__ >= 11
    return (uintptr_t)__builtin_thread_pointer();
#else
    return (uintptr_t)pthread_self();
#endif
}

static inline dp_slab_t *dp_radix_get(const dp_radix_t *r, const void *ptr) {
    uintptr_t a = (uintptr_t)ptr;
    if (UMF_UNLIKELY((a >> (DP_R0_SHIFT + DP_R0_BITS)) != 0 || r->root == NULL)) {
        return NULL;
    }
    _Atomic(void *) *n1 = atomic_load_explicit(&r->root[a >> DP_R0_SHIFT], memory_order_acquire);
    if (UMF_UNLIKELY(n1 == NULL)) {
        return NULL;
    }
    _Atomic(void *) *n2 = atomic_load_explicit(&n1[(a >> DP_R1_SHIFT) & ((1u << DP_R1_BITS) - 1)], memory_order_acquire);
    if (UMF_UNLIKELY(n2 == NULL)) {
        return NULL;
    }
    return atomic_load_explicit(&n2[(a >> DP_PAGE_SHIFT) & ((1u << DP_R2_BITS) - 1)], memory_order_acquire);
}

/* Records a large allocation (taking large_lock); false when the map cannot grow. */
bool dp_large_insert(dp_pool_t *p, dp_large_t *e);
/* Finds (and with remove, unlinks) the large allocation at ptr; the caller holds large_lock. */
dp_large_t *dp_large_find_locked(dp_pool_t *p, const void *ptr, bool remove);

/* Guards every pool's list of thread caches and the caches' links (disjoint.c). */
extern pthread_mutex_t dp_tc_lock;

static inline size_t dp_in_pool(const dp_bucket_t *b) { return b->empty.count + b->avail_empty; }
static inline size_t dp_in_use(const dp_bucket_t *b) { return b->avail.count + b->full.count - b->avail_empty; }

/* Chooses the geometry and allocates the buckets, once (disjoint.c). */
umf_result_t dp_setup(dp_pool_t *p);

/* The pool's ext_ctl (disjoint_ctl.c). */
umf_result_t dp_ctl(void *pool, umf_ctl_query_source_t source, const char *name, void *arg, size_t size,
                    umf_ctl_query_type_t queryType, va_list args);
/* stats.alloc_count of the pool, counted from its buckets (disjoint_ctl.c). */
size_t dp_live_count(void *pool);

#endif
