/*
 * The disjoint pool: size-class buckets that cut fixed-size chunks out of slabs
 * taken from the provider.
 *
 * Layout of the pool (all of it in ordinary host memory; provider memory is
 * never read or written for bookkeeping):
 *
 *  - Size classes: min_bucket_size, then alternately x1.5 and x2 of the last
 *    power of two (8, 12, 16, 24, 32, ...) up to the first class that is at
 *    least max_poolable_size.
 *  - A "unit" U: the slab_min_size rounded up to a power of two (and to the
 *    provider's minimum page). Every slab spans a whole number of units and
 *    starts on a page boundary; the slab of a pointer is found by looking its
 *    page up in a radix tree kept by the pool. Most classes use slabs of one
 *    unit; the x1.5 classes that would waste more than 1/64 of a unit use slabs
 *    of 3 units, which they fill exactly.
 *  - Arenas: each class has one bucket per arena (a small number, about the
 *    number of CPUs). A thread allocates from "its" arena and moves to another
 *    one when it finds the bucket lock taken, so threads rarely share a lock.
 *    A chunk is always given back to the bucket of its slab.
 *  - Each bucket: a spin lock, a list of slabs with free chunks, a list of full
 *    slabs and a cache of empty slabs (at most `capacity`, and within the
 *    shared limit when there is one). Free chunks of a slab are a bitmap.
 *  - Allocations larger than max_poolable_size, and aligned ones that no bucket
 *    can serve, go straight to the provider and are kept in a hash map (pointer
 *    -> provider block), so freeing them needs no tracker.
 *
 *  - Thread caches (only when pool_trace is 0, so that the statistics of a
 *    traced pool stay exact): each thread keeps up to DP_TC_SLOTS free chunks
 *    of each class up to DP_TC_MAX_SIZE, filled and drained DP_TC_BATCH at a
 *    time under the bucket lock, so the common malloc/free pair takes no lock.
 *    Cached chunks count as used; a thread's cache goes back to the buckets
 *    when the thread exits, when it trims the pool, or when it needs the TLS
 *    slot for another pool; destroying the pool just forgets the caches.
 *    A thread finds its cache through a small per-thread table (one __thread
 *    pointer; libumf must stay loadable with dlopen, so no initial-exec TLS),
 *    and the first thread that caches for a pool finds it through the pool
 *    itself (the thread's dp_thread_token() compared with the pool's owners).
 *
 * Beyond upstream UMF, calloc and realloc are supported.
 *
 * The params live in disjoint_params.c, the statistics and CTL nodes in disjoint_ctl.c, the
 * page -> slab radix tree and the map of large allocations in disjoint_maps.c;
 * disjoint_internal.h holds what they share.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/utils.h"
#include "pools/disjoint_internal.h"
#include "pools/pool_xstats.h"

void dp_lock_slow(dp_lock_t *l) {
    unsigned spins = 0;
    for (;;) {
        while (atomic_load_explicit(&l->taken, memory_order_relaxed) != 0) {
            if (++spins < 128) {
                dp_cpu_relax();
            } else {
                sched_yield();
            }
        }
        if (atomic_exchange_explicit(&l->taken, 1, memory_order_acquire) == 0) {
            return;
        }
    }
}

static __thread umf_result_t dp_last_error = UMF_RESULT_SUCCESS;
static __thread unsigned dp_tls_arena = UINT_MAX;
static atomic_uint dp_arena_counter;

pthread_mutex_t dp_tc_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t dp_tc_once = PTHREAD_ONCE_INIT;
static void dp_tc_make_key(void);
static pthread_key_t dp_tc_key;
static atomic_bool dp_tc_key_ready;

/* the same pointer as the key's value, quicker to read */
static __thread dp_thread_t *dp_self;

static inline dp_thread_t *dp_thread_peek(void) { return dp_self; }
static atomic_uint_fast64_t dp_pool_ids;

static inline void *dp_fail(umf_result_t rc) {
    dp_last_error = rc;
    return NULL;
}

/* ------------------------------------------------------------------------- */
/* Size classes                                                                */

static inline unsigned dp_log2_floor(size_t x) { return 63u - (unsigned)__builtin_clzll((unsigned long long)x); }

/* The class of an allocation of size bytes (0 < size <= largest class). */
static inline unsigned dp_class_of(const dp_pool_t *p, size_t size) {
    if (size <= p->cls->class_size[0]) {
        return 0;
    }
    unsigned k = dp_log2_floor(size - 1); /* 2^k < size <= 2^(k+1) */
    int half = p->cls->half_class[k];
    if (half >= 0 && size <= p->cls->class_size[half]) {
        return (unsigned)half;
    }
    return (unsigned)p->cls->pow_class[k + 1];
}

static size_t dp_next_pow2(size_t x) {
    if (x <= 1) {
        return 1;
    }
    if (x > ((size_t)1 << 62)) {
        return (size_t)1 << 62;
    }
    return (size_t)1 << (dp_log2_floor(x - 1) + 1);
}

/* Chooses the geometry of every class and allocates the buckets. */
static umf_result_t dp_setup_locked(dp_pool_t *p) {
    size_t page = 0;
    if (umfMemoryProviderGetMinPageSize(p->provider, NULL, &page) != UMF_RESULT_SUCCESS || !IS_POWER_OF_2(page)) {
        page = umf_page_size();
    }
    size_t unit = p->params.slab_min_size;
    if (unit < page) {
        unit = page;
    }
    unit = dp_next_pow2(unit);
    p->unit = unit;
    p->slab_align = UMF_MAX(page, (size_t)1 << DP_PAGE_SHIFT);

    if (p->cls == NULL && (p->cls = calloc(1, sizeof(*p->cls))) == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    for (int i = 0; i < 64; i++) {
        p->cls->pow_class[i] = -1;
        p->cls->half_class[i] = -1;
    }
    size_t min = p->params.min_bucket_size;
    if (!IS_POWER_OF_2(min)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    size_t maxp = p->params.max_poolable_size;
    unsigned n = 0;
    if (maxp > 0) {
        unsigned k = dp_log2_floor(min);
        p->cls->pow_class[k] = (int)n;
        p->cls->class_size[n++] = min;
        while (p->cls->class_size[n - 1] < maxp && n + 2 <= DP_MAX_CLASSES && k + 1 < 48) {
            size_t pw = (size_t)1 << k;
            size_t half = pw + pw / 2;
            if (pw >= 2) {
                p->cls->half_class[k] = (int)n;
                p->cls->class_size[n++] = half;
                if (half >= maxp) {
                    break;
                }
            }
            k++;
            p->cls->pow_class[k] = (int)n;
            p->cls->class_size[n++] = (size_t)1 << k;
        }
    }
    p->nclasses = n;
    p->max_pooled = n > 0 ? UMF_MIN(maxp, p->cls->class_size[n - 1]) : 0;
    p->tc_classes = 0;
    pthread_once(&dp_tc_once, dp_tc_make_key);
    /* the fast paths read the key only when tc_classes > 0 */
    if (p->params.pool_trace == 0 && atomic_load(&dp_tc_key_ready) && min >= 4) {
        while (p->tc_classes < n && p->cls->class_size[p->tc_classes] <= DP_TC_MAX_SIZE) {
            p->tc_classes++;
        }
    }
    p->tc_max_size = p->tc_classes ? UMF_MIN(p->cls->class_size[p->tc_classes - 1], p->max_pooled) : 0;
    for (size_t sz = 4; sz <= p->tc_max_size; sz += 4) {
        /* classes of at least 4 bytes are multiples of 4: a size and its round-up to 4 share one */
        p->small_class[sz / 4] = (uint8_t)dp_class_of(p, sz);
    }

    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned narenas = 1;
    while (narenas < DP_MAX_ARENAS && (long)narenas < ncpu) {
        narenas *= 2;
    }
    p->narenas = narenas;
    dp_radix_init(&p->radix);

    if (n > 0) {
        p->buckets = aligned_alloc(DP_CACHELINE, sizeof(dp_bucket_t) * n * narenas);
        if (p->buckets == NULL) {
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
        memset(p->buckets, 0, sizeof(dp_bucket_t) * n * narenas);
    }
    for (unsigned a = 0; a < narenas; a++) {
        for (unsigned c = 0; c < n; c++) {
            dp_bucket_t *b = &p->buckets[a * n + c];
            size_t sz = p->cls->class_size[c];
            size_t slab;
            if (sz <= unit) {
                slab = (unit % sz) * 64 <= unit ? unit : 3 * unit;
            } else if (sz % unit == 0) {
                slab = sz;
            } else {
                slab = ALIGN_UP(sz, unit);
                if ((3 * unit) % sz == 0 && 3 * unit >= sz) {
                    slab = 3 * unit;
                }
            }
            /* A slab of one or two chunks goes back to the provider almost every time one is freed
             * (capacity counts slabs): grow small slabs to hold several chunks, up to the default
             * slab_min_size, so that chunks come and go without provider calls. */
            while (slab / sz < DP_SLAB_MIN_CHUNKS && slab * 2 <= DP_SLAB_GROW_LIMIT) {
                slab *= 2;
            }
            atomic_init(&b->lock.taken, 0);
            b->cls = c;
            b->size = sz;
            b->slab_size = slab;
            b->chunks = (uint32_t)UMF_MIN(slab / sz, (size_t)UINT32_MAX);
            bool three = !IS_POWER_OF_2(sz);
            b->size_shift = dp_log2_floor(three ? sz / 3 : sz);
            b->div = three ? (dp_divider_t){0xAAAAAAABu, 33} : (dp_divider_t){1, 0};
            b->pool = p;
        }
    }
    atomic_store_explicit(&p->ready, true, memory_order_release);
    return UMF_RESULT_SUCCESS;
}

umf_result_t dp_setup(dp_pool_t *p) {
    if (atomic_load_explicit(&p->ready, memory_order_acquire)) {
        return UMF_RESULT_SUCCESS;
    }
    pthread_mutex_lock(&p->setup_lock);
    umf_result_t rc = UMF_RESULT_SUCCESS;
    if (!atomic_load_explicit(&p->ready, memory_order_relaxed)) {
        rc = dp_setup_locked(p);
    }
    pthread_mutex_unlock(&p->setup_lock);
    return rc;
}

/* ------------------------------------------------------------------------- */
/* Slabs                                                                       */

static inline void dp_list_push(dp_list_t *l, dp_slab_t *s) {
    s->prev = NULL;
    s->next = l->head;
    if (l->head) {
        l->head->prev = s;
    }
    l->head = s;
    l->count++;
}

static inline void dp_list_remove(dp_list_t *l, dp_slab_t *s) {
    if (s->prev) {
        s->prev->next = s->next;
    } else {
        l->head = s->next;
    }
    if (s->next) {
        s->next->prev = s->prev;
    }
    s->prev = s->next = NULL;
    l->count--;
}

/* off / b->size (off < slab size, so off >> size_shift < 2^32) */
static inline size_t dp_chunk_index(const dp_bucket_t *b, size_t off) { return dp_divide(b->div, b->size_shift, off); }

static inline size_t dp_bitmap_words(uint32_t chunks) { return ((size_t)chunks + 63) / 64; }

static void dp_slab_reset_bits(dp_slab_t *s, uint32_t chunks) {
    size_t words = dp_bitmap_words(chunks);
    for (size_t w = 0; w < words; w++) {
        s->bits[w] = ~(uint64_t)0;
    }
    if (chunks % 64) {
        s->bits[words - 1] = ((uint64_t)1 << (chunks % 64)) - 1;
    }
    s->nfree = chunks;
    s->hint = 0;
}

static inline void dp_note_in_pool(dp_bucket_t *b) {
    if (dp_in_pool(b) > b->max_slabs_in_pool) {
        b->max_slabs_in_pool = dp_in_pool(b);
    }
}

static inline void dp_note_in_use(dp_bucket_t *b) {
    size_t in_use = dp_in_use(b);
    if (in_use > b->max_slabs_in_use) {
        b->max_slabs_in_use = in_use;
    }
}

/* Gives the memory of slab s back to the provider; the caller holds the bucket lock. */
static void dp_slab_release(dp_bucket_t *b, dp_slab_t *s) {
    dp_pool_t *p = b->pool;
    dp_radix_set(&p->radix, s->base, b->slab_size, NULL);
    umf_result_t rc = umfMemoryProviderFree(p->provider, s->block, s->block_size);
    if (rc != UMF_RESULT_SUCCESS) {
        LOG_ERR("disjoint pool %s: the provider failed to free a slab of %zu bytes (%d)", p->params.name,
                s->block_size, (int)rc);
    }
    s->state = DP_SLAB_DEAD;
    s->base = NULL;
    s->next = b->dead;
    s->prev = NULL;
    b->dead = s;
}

/* Takes a new slab from the provider; the caller holds the bucket lock. */
static dp_slab_t *dp_slab_create(dp_bucket_t *b, umf_result_t *rc) {
    dp_pool_t *p = b->pool;
    dp_slab_t *s = b->dead;
    if (s) {
        b->dead = s->next;
    } else {
        s = malloc(sizeof(dp_slab_t) + dp_bitmap_words(b->chunks) * sizeof(uint64_t));
        if (s == NULL) {
            *rc = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
            return NULL;
        }
        s->bucket = b;
        s->state = DP_SLAB_DEAD;
        s->cls = b->cls;
        s->chunks = b->chunks;
        s->size = b->size;
        s->size_shift = b->size_shift;
        s->div = b->div;
    }
    void *block = NULL;
    size_t block_size = b->slab_size;
    umf_result_t r = umfMemoryProviderAlloc(p->provider, block_size, p->slab_align, &block);
    if (r == UMF_RESULT_SUCCESS && block != NULL && !IS_ALIGNED(block, p->slab_align)) {
        /* the provider ignored the alignment: give it back and over-allocate */
        umfMemoryProviderFree(p->provider, block, block_size);
        block = NULL;
        r = UMF_RESULT_ERROR_INVALID_ALIGNMENT;
    }
    if (r == UMF_RESULT_ERROR_INVALID_ALIGNMENT || r == UMF_RESULT_ERROR_NOT_SUPPORTED) {
        block_size = b->slab_size + p->slab_align;
        r = umfMemoryProviderAlloc(p->provider, block_size, 0, &block);
    }
    if (r != UMF_RESULT_SUCCESS || block == NULL) {
        *rc = r != UMF_RESULT_SUCCESS ? r : UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        s->next = b->dead;
        b->dead = s;
        return NULL;
    }
    s->block = block;
    s->block_size = block_size;
    s->base = (char *)ALIGN_UP((uintptr_t)block, p->slab_align);
    dp_slab_reset_bits(s, b->chunks);
    r = dp_radix_set(&p->radix, s->base, b->slab_size, s);
    if (r != UMF_RESULT_SUCCESS) {
        umfMemoryProviderFree(p->provider, block, block_size);
        *rc = r;
        s->state = DP_SLAB_DEAD;
        s->next = b->dead;
        b->dead = s;
        return NULL;
    }
    return s;
}

static inline void dp_shared_release(dp_pool_t *p, size_t bytes) {
    if (p->limits) {
        atomic_fetch_sub_explicit(&p->limits->total_size, bytes, memory_order_relaxed);
    }
}

static inline bool dp_shared_reserve(dp_pool_t *p, size_t bytes) {
    if (p->limits == NULL) {
        return true;
    }
    size_t cur = atomic_load_explicit(&p->limits->total_size, memory_order_relaxed);
    do {
        if (cur + bytes > p->limits->max_size || cur + bytes < cur) {
            return false;
        }
    } while (!atomic_compare_exchange_weak_explicit(&p->limits->total_size, &cur, cur + bytes,
                                                    memory_order_relaxed, memory_order_relaxed));
    return true;
}

/* Allocates one chunk from bucket b; the caller holds the lock. */
static void *dp_bucket_alloc_locked(dp_bucket_t *b, umf_result_t *rc) {
    dp_slab_t *s = b->avail.head;
    if (UMF_UNLIKELY(s == NULL)) {
        s = b->empty.head;
        if (s) {
            dp_list_remove(&b->empty, s);
            dp_shared_release(b->pool, b->slab_size);
            b->alloc_pool_num++;
        } else {
            s = dp_slab_create(b, rc);
            if (s == NULL) {
                return NULL;
            }
        }
        s->state = DP_SLAB_AVAIL;
        dp_list_push(&b->avail, s);
        dp_note_in_use(b);
    } else {
        b->alloc_pool_num++;
        if (UMF_UNLIKELY(b->avail_empty) && s->nfree == b->chunks) {
            /* the kept empty slab is in use again */
            b->avail_empty = 0;
            dp_shared_release(b->pool, b->slab_size);
            dp_note_in_use(b);
        }
    }
    uint32_t w = s->hint;
    while (s->bits[w] == 0) {
        w++;
    }
    unsigned bit = (unsigned)__builtin_ctzll(s->bits[w]);
    s->bits[w] &= s->bits[w] - 1;
    s->hint = w;
    size_t idx = (size_t)w * 64 + bit;
    if (--s->nfree == 0) {
        dp_list_remove(&b->avail, s);
        s->state = DP_SLAB_FULL;
        dp_list_push(&b->full, s);
    }
    b->alloc_num++;
    return s->base + idx * b->size;
}

/* Frees a chunk of slab s; the caller holds the bucket lock and checked ptr. */
static void dp_bucket_free_locked(dp_bucket_t *b, dp_slab_t *s, size_t idx) {
    size_t w = idx / 64;
    s->bits[w] |= (uint64_t)1 << (idx % 64);
    if (w < s->hint) {
        s->hint = (uint32_t)w;
    }
    s->nfree++;
    b->free_num++;
    if (s->state == DP_SLAB_FULL) {
        dp_list_remove(&b->full, s);
        s->state = DP_SLAB_AVAIL;
        dp_list_push(&b->avail, s);
    }
    if (s->nfree == b->chunks) {
        dp_pool_t *p = b->pool;
        bool can_keep = dp_in_pool(b) < p->params.capacity;
        if (b->avail.count == 1 && can_keep && dp_shared_reserve(p, b->slab_size)) {
            /* the bucket's only slab: keep it where the next allocation looks first */
            b->avail_empty = 1;
            dp_note_in_pool(b);
            return;
        }
        dp_list_remove(&b->avail, s);
        if (can_keep && dp_shared_reserve(p, b->slab_size)) {
            s->state = DP_SLAB_EMPTY;
            dp_list_push(&b->empty, s);
            dp_note_in_pool(b);
        } else {
            dp_slab_release(b, s);
        }
    }
}

/* ------------------------------------------------------------------------- */
/* Allocation                                                                  */

static inline unsigned dp_my_arena(void) {
    unsigned a = dp_tls_arena;
    if (UMF_UNLIKELY(a == UINT_MAX)) {
        a = atomic_fetch_add_explicit(&dp_arena_counter, 1, memory_order_relaxed) & 0x7fffffffu;
        dp_tls_arena = a;
    }
    return a;
}

static dp_bucket_t *dp_lock_my_bucket(dp_pool_t *p, unsigned cls) {
    unsigned a = dp_my_arena() & (p->narenas - 1);
    dp_bucket_t *b = &p->buckets[a * p->nclasses + cls];
    if (UMF_UNLIKELY(!dp_trylock(&b->lock))) {
        /* someone else works in this arena: move to the next one */
        dp_tls_arena = dp_tls_arena + 1;
        a = dp_tls_arena & (p->narenas - 1);
        b = &p->buckets[a * p->nclasses + cls];
        dp_lock(&b->lock);
    }
    return b;
}

/* Gives n cached chunks back to their buckets; each chunk goes to the bucket of its slab. */
static void dp_tc_drain(dp_pool_t *p, void **items, uint32_t n) {
    dp_bucket_t *locked = NULL;
    for (uint32_t i = 0; i < n; i++) {
        dp_slab_t *s = dp_radix_get(&p->radix, items[i]);
        if (s == NULL) {
            continue; /* cannot happen for chunks the cache took from a slab */
        }
        dp_bucket_t *b = s->bucket;
        if (b != locked) {
            if (locked) {
                dp_unlock(&locked->lock);
            }
            dp_lock(&b->lock);
            locked = b;
        }
        size_t idx = dp_chunk_index(b, (size_t)((char *)items[i] - s->base));
        dp_bucket_free_locked(b, s, idx);
    }
    if (locked) {
        dp_unlock(&locked->lock);
    }
}

/* Empties every bin of tc into its pool; the caller holds dp_tc_lock (the pool is alive). */
static void dp_tc_flush(dp_tcache_t *tc) {
    for (unsigned c = 0; c < tc->nclasses; c++) {
        dp_tbin_t *bin = &tc->bins[c];
        uint32_t n = atomic_load_explicit(&bin->count, memory_order_relaxed);
        if (n) {
            dp_tc_drain(tc->pool, bin->items, n);
            atomic_store_explicit(&bin->count, 0, memory_order_relaxed);
        }
    }
}

/* Flushes (when its pool lives), unlinks and frees a thread cache. */
static void dp_tc_release(dp_tcache_t *tc) {
    pthread_mutex_lock(&dp_tc_lock);
    dp_pool_t *p = tc->pool;
    if (p) {
        for (int i = 0; i < DP_OWNERS; i++) {
            if (atomic_load_explicit(&p->owners[i].tc, memory_order_relaxed) == tc) {
                atomic_store_explicit(&p->owners[i].tc, NULL, memory_order_release);
            }
        }
        dp_tc_flush(tc);
        if (tc->prev) {
            tc->prev->next = tc->next;
        } else {
            p->tc_list = tc->next;
        }
        if (tc->next) {
            tc->next->prev = tc->prev;
        }
    }
    pthread_mutex_unlock(&dp_tc_lock);
    free(tc);
}

static void dp_tc_thread_exit(void *arg) {
    dp_thread_t *t = arg;
    dp_self = NULL;
    for (int i = 0; i < DP_TLS_POOLS; i++) {
        if (t->tc[i].tc) {
            dp_tcache_t *tc = t->tc[i].tc;
            t->tc[i].tc = NULL;
            t->tc[i].id = 0;
            dp_tc_release(tc);
        }
    }
    free(t);
}

static void dp_tc_make_key(void) {
    if (pthread_key_create(&dp_tc_key, dp_tc_thread_exit) == 0) {
        atomic_store_explicit(&dp_tc_key_ready, true, memory_order_release);
    }
}

/* The calling thread's cache for p, made on first use; NULL when there is none. */
static dp_tcache_t *dp_tc_slow(dp_pool_t *p) {
    if (p->tc_classes == 0) {
        return NULL;
    }
    pthread_once(&dp_tc_once, dp_tc_make_key);
    dp_thread_t *t = dp_thread_peek();
    if (t == NULL) {
        /* without the key the cache could not be given back at thread exit */
        if (!atomic_load(&dp_tc_key_ready) || (t = calloc(1, sizeof(*t))) == NULL) {
            return NULL;
        }
        if (pthread_setspecific(dp_tc_key, t) != 0) {
            free(t);
            return NULL;
        }
        dp_self = t;
    }
    /* Every slot busy (the common case for a thread taking turns among more pools than slots): skip the
     * scan below, which takes a lock per slot, except on the misses that may take a slot over. */
    bool busy = true;
    for (int i = 0; i < DP_TLS_POOLS; i++) {
        busy &= t->tc[i].tc != NULL;
    }
    if (busy && (t->misses + 1) % DP_TC_EVICT_EVERY != 0) {
        t->misses++;
        return NULL;
    }
    /* forget the caches of pools that are gone, and pick a slot */
    int slot = -1;
    for (int i = 0; i < DP_TLS_POOLS; i++) {
        dp_tcache_t *tc = t->tc[i].tc;
        if (tc) {
            pthread_mutex_lock(&dp_tc_lock);
            bool gone = tc->pool == NULL;
            pthread_mutex_unlock(&dp_tc_lock);
            if (gone) {
                free(tc);
                t->tc[i].tc = NULL;
                t->tc[i].id = 0;
            }
        }
        if (t->tc[i].tc == NULL && slot < 0) {
            slot = i;
        }
    }
    if (slot < 0) {
        /* All slots busy. A thread that takes turns among more pools than slots (nested pools) would
         * flush and rebuild a cache on nearly every call: serve such pools from their buckets and only
         * now and then give back the last slot, so that a pool used for good still gets one. */
        if (++t->misses % DP_TC_EVICT_EVERY != 0) {
            return NULL;
        }
        slot = DP_TLS_POOLS - 1;
        dp_tcache_t *old = t->tc[slot].tc;
        t->tc[slot].tc = NULL;
        t->tc[slot].id = 0;
        dp_tc_release(old);
    }
    dp_tcache_t *tc = calloc(1, sizeof(dp_tcache_t) + p->tc_classes * sizeof(dp_tbin_t));
    if (tc == NULL) {
        return NULL;
    }
    tc->pool = p;
    tc->pool_id = p->id;
    tc->nclasses = p->tc_classes;
    pthread_mutex_lock(&dp_tc_lock);
    tc->next = p->tc_list;
    if (p->tc_list) {
        p->tc_list->prev = tc;
    }
    p->tc_list = tc;
    for (int i = 0; i < DP_OWNERS; i++) {
        if (!p->owners[i].claimed) {
            p->owners[i].claimed = true;
            p->owners[i].thread = dp_thread_token();
            atomic_store_explicit(&p->owners[i].tc, tc, memory_order_release);
            break;
        }
    }
    pthread_mutex_unlock(&dp_tc_lock);
    t->tc[slot].id = p->id;
    t->tc[slot].tc = tc;
    return tc;
}

static inline dp_tcache_t *dp_tc_get(dp_pool_t *p) {
    dp_thread_t *t = dp_thread_peek();
    for (int i = 0; t && i < DP_TLS_POOLS; i++) {
        if (t->tc[i].id == p->id) {
            return t->tc[i].tc;
        }
    }
    return dp_tc_slow(p);
}

/* Gives the calling thread's cache of p back to the buckets (trim, destroy). */
static void dp_tc_flush_mine(dp_pool_t *p, bool forget) {
    dp_thread_t *t = dp_thread_peek();
    for (int i = 0; t && i < DP_TLS_POOLS; i++) {
        if (t->tc[i].id == p->id && t->tc[i].tc) {
            dp_tcache_t *tc = t->tc[i].tc;
            if (forget) {
                t->tc[i].tc = NULL;
                t->tc[i].id = 0;
                dp_tc_release(tc);
            } else {
                pthread_mutex_lock(&dp_tc_lock);
                if (tc->pool) {
                    dp_tc_flush(tc);
                }
                pthread_mutex_unlock(&dp_tc_lock);
            }
        }
    }
}

/* malloc of a cached class: from the thread cache, refilled DP_TC_BATCH at a time. */
static void *dp_alloc_cached(dp_pool_t *p, dp_tcache_t *tc, unsigned cls) {
    dp_tbin_t *bin = &tc->bins[cls];
    uint32_t n = atomic_load_explicit(&bin->count, memory_order_relaxed);
    if (UMF_LIKELY(n > 0)) {
        atomic_store_explicit(&bin->count, n - 1, memory_order_relaxed);
        return bin->items[n - 1];
    }
    dp_bucket_t *b = dp_lock_my_bucket(p, cls);
    umf_result_t rc = UMF_RESULT_SUCCESS;
    void *ptr = dp_bucket_alloc_locked(b, &rc);
    if (ptr) {
        /* fill up only from slabs already there, never taking a new one just for the cache */
        while (n < DP_TC_BATCH && (b->avail.head || b->empty.head)) {
            void *more = dp_bucket_alloc_locked(b, &rc);
            if (more == NULL) {
                break;
            }
            bin->items[n++] = more;
        }
    }
    dp_unlock(&b->lock);
    atomic_store_explicit(&bin->count, n, memory_order_relaxed);
    if (UMF_UNLIKELY(ptr == NULL)) {
        return dp_fail(rc);
    }
    return ptr;
}

/* The free of a chunk into a full bin: its older half goes back to the buckets first. Out of line
 * and reached by a tail call, so the fast path of free needs no stack frame. */
static __attribute__((noinline)) umf_result_t dp_tc_push_full(dp_pool_t *p, dp_tbin_t *bin, void *ptr) {
    dp_tc_drain(p, bin->items, DP_TC_BATCH);
    memmove(bin->items, bin->items + DP_TC_BATCH, (DP_TC_SLOTS - DP_TC_BATCH) * sizeof(void *));
    uint32_t n = DP_TC_SLOTS - DP_TC_BATCH;
    bin->items[n] = ptr;
    atomic_store_explicit(&bin->count, n + 1, memory_order_relaxed);
    return UMF_RESULT_SUCCESS;
}

/* free of a chunk of a cached class (s is ptr's slab, found without a lock). */
static inline __attribute__((always_inline)) umf_result_t dp_free_cached(dp_pool_t *p, dp_tcache_t *tc, dp_slab_t *s, void *ptr) {
    size_t off = (size_t)((char *)ptr - s->base);
    size_t idx = dp_divide(s->div, s->size_shift, off);
    if (UMF_UNLIKELY((char *)ptr < s->base || idx * s->size != off || idx >= s->chunks)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    dp_tbin_t *bin = &tc->bins[s->cls];
    uint32_t n = atomic_load_explicit(&bin->count, memory_order_relaxed);
    /* a chunk freed again right after is caught here; one cached longer is not */
    if (UMF_UNLIKELY((n > 0 && bin->items[n - 1] == ptr) || (n > 1 && bin->items[n - 2] == ptr))) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (UMF_UNLIKELY(n == DP_TC_SLOTS)) {
        return dp_tc_push_full(p, bin, ptr);
    }
    bin->items[n] = ptr;
    atomic_store_explicit(&bin->count, n + 1, memory_order_relaxed);
    return UMF_RESULT_SUCCESS;
}

static void *dp_alloc_class(dp_pool_t *p, unsigned cls) {
    if (cls < p->tc_classes) {
        dp_tcache_t *tc = dp_tc_get(p);
        if (UMF_LIKELY(tc != NULL)) {
            return dp_alloc_cached(p, tc, cls);
        }
    }
    unsigned a = dp_my_arena() & (p->narenas - 1);
    dp_bucket_t *b = &p->buckets[a * p->nclasses + cls];
    if (UMF_UNLIKELY(!dp_trylock(&b->lock))) {
        /* someone else works in this arena: move to the next one */
        dp_tls_arena = dp_tls_arena + 1;
        a = dp_tls_arena & (p->narenas - 1);
        b = &p->buckets[a * p->nclasses + cls];
        dp_lock(&b->lock);
    }
    umf_result_t rc = UMF_RESULT_SUCCESS;
    void *ptr = dp_bucket_alloc_locked(b, &rc);
    dp_unlock(&b->lock);
    if (UMF_UNLIKELY(ptr == NULL)) {
        return dp_fail(rc);
    }
    return ptr;
}

/* An allocation straight from the provider, aligned to alignment (0: the provider's default). */
static void *dp_alloc_large(dp_pool_t *p, size_t size, size_t alignment) {
    dp_large_t *e = malloc(sizeof(*e));
    if (e == NULL) {
        return dp_fail(UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    }
    void *block = NULL;
    size_t block_size = size;
    umf_result_t rc = umfMemoryProviderAlloc(p->provider, size, alignment, &block);
    if (rc == UMF_RESULT_SUCCESS && block != NULL && alignment > 1 && !IS_ALIGNED(block, alignment)) {
        umfMemoryProviderFree(p->provider, block, block_size);
        block = NULL;
        rc = UMF_RESULT_ERROR_INVALID_ALIGNMENT;
    }
    if (alignment > 1 && (rc == UMF_RESULT_ERROR_INVALID_ALIGNMENT || rc == UMF_RESULT_ERROR_NOT_SUPPORTED)) {
        /* the provider cannot align: over-allocate and align inside */
        if (size > SIZE_MAX - alignment) {
            free(e);
            return dp_fail(UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
        }
        block_size = size + alignment - 1;
        rc = umfMemoryProviderAlloc(p->provider, block_size, 0, &block);
    }
    if (rc != UMF_RESULT_SUCCESS || block == NULL) {
        free(e);
        return dp_fail(rc != UMF_RESULT_SUCCESS ? rc : UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    }
    e->block = block;
    e->block_size = block_size;
    e->ptr = alignment > 1 ? (void *)ALIGN_UP((uintptr_t)block, alignment) : block;
    e->usable = size;
    if (!dp_large_insert(p, e)) {
        umfMemoryProviderFree(p->provider, block, block_size);
        free(e);
        return dp_fail(UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    }
    return e->ptr;
}

static inline void dp_trace(dp_pool_t *p, const char *op, const void *ptr, size_t size) {
    if (UMF_UNLIKELY(p->params.pool_trace > 2)) {
        LOG_INFO("disjoint pool %s: %s %p (%zu bytes)", p->params.name, op, ptr, size);
    }
}

static __attribute__((noinline)) void *dp_malloc_slow(dp_pool_t *p, size_t size);

/* The calling thread's cache of p when the thread is one of the pool's owners, else NULL (the callers
 * then find or make it through dp_tc_get, out of line). No calls, so the fast paths need no stack frame. */
static inline dp_tcache_t *dp_tc_find_owned(dp_pool_t *p) {
    uintptr_t self = dp_thread_token();
    for (int i = 0; i < DP_OWNERS; i++) {
        dp_tcache_t *tc = atomic_load_explicit(&p->owners[i].tc, memory_order_acquire);
        if (tc != NULL && p->owners[i].thread == self) {
            return tc;
        }
    }
    return NULL;
}

static inline __attribute__((always_inline)) void *dp_raw_malloc(void *pool, size_t size) {
    dp_pool_t *p = pool;
    if (UMF_LIKELY(size - 1 < p->tc_max_size)) {
        /* the thread cache: no lock */
        dp_tcache_t *tc = dp_tc_find_owned(p);
        if (UMF_LIKELY(tc != NULL)) {
            dp_tbin_t *bin = &tc->bins[p->small_class[(size + 3) / 4]];
            uint32_t n = atomic_load_explicit(&bin->count, memory_order_relaxed);
            if (UMF_LIKELY(n > 0)) {
                atomic_store_explicit(&bin->count, n - 1, memory_order_relaxed);
                return bin->items[n - 1];
            }
        }
    }
    return dp_malloc_slow(p, size);
}

static void *dp_malloc_slow(dp_pool_t *p, size_t size) {
    if (UMF_UNLIKELY(size == 0)) {
        dp_last_error = UMF_RESULT_SUCCESS;
        return NULL;
    }
    if (UMF_UNLIKELY(!atomic_load_explicit(&p->ready, memory_order_acquire))) {
        umf_result_t rc = dp_setup(p);
        if (rc != UMF_RESULT_SUCCESS) {
            return dp_fail(rc);
        }
    }
    void *ptr;
    if (UMF_LIKELY(size <= p->max_pooled)) {
        ptr = dp_alloc_class(p, dp_class_of(p, size));
    } else {
        ptr = dp_alloc_large(p, size, 0);
    }
    dp_trace(p, "malloc", ptr, size);
    return ptr;
}

static void *dp_raw_aligned_malloc(void *pool, size_t size, size_t alignment) {
    dp_pool_t *p = pool;
    if (alignment <= 1) {
        return dp_raw_malloc(pool, size);
    }
    if (!IS_POWER_OF_2(alignment)) {
        return dp_fail(UMF_RESULT_ERROR_INVALID_ALIGNMENT);
    }
    if (size == 0) {
        dp_last_error = UMF_RESULT_SUCCESS;
        return NULL;
    }
    umf_result_t rc = dp_setup(p);
    if (rc != UMF_RESULT_SUCCESS) {
        return dp_fail(rc);
    }
    if (size > SIZE_MAX - alignment) {
        return dp_fail(UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    }
    void *ptr;
    size_t need = ALIGN_UP(size, alignment);
    if (alignment <= p->slab_align && need <= p->max_pooled) {
        /* every chunk of the class of need is aligned to alignment (see the top of the file) */
        ptr = dp_alloc_class(p, dp_class_of(p, need));
    } else {
        ptr = dp_alloc_large(p, size, alignment);
    }
    dp_trace(p, "aligned_malloc", ptr, size);
    return ptr;
}

/* Locates ptr: a chunk (slab + index, bucket locked) or a large allocation (unlocked). */
typedef struct dp_where {
    dp_slab_t *slab; /* NULL: not in a slab */
    dp_bucket_t *bucket;
    size_t idx;
} dp_where_t;

/* True when ptr sits in the calling thread's cache, that is, it was freed. */
static bool dp_in_my_cache(dp_pool_t *p, unsigned cls, const void *ptr) {
    if (cls >= p->tc_classes) {
        return false;
    }
    dp_thread_t *t = dp_thread_peek();
    for (int i = 0; t && i < DP_TLS_POOLS; i++) {
        if (t->tc[i].id == p->id && t->tc[i].tc) {
            dp_tbin_t *bin = &t->tc[i].tc->bins[cls];
            uint32_t n = atomic_load_explicit(&bin->count, memory_order_relaxed);
            for (uint32_t k = 0; k < n; k++) {
                if (bin->items[k] == ptr) {
                    return true;
                }
            }
        }
    }
    return false;
}

/* Finds the live chunk at ptr and locks its bucket. INVALID_ARGUMENT if ptr is in a slab
 * but not at an allocated chunk; NOT_FOUND-like (slab NULL, SUCCESS) if ptr is in no slab. */
static umf_result_t dp_locate_chunk(dp_pool_t *p, const void *ptr, dp_where_t *w) {
    w->slab = NULL;
    if (!atomic_load_explicit(&p->ready, memory_order_acquire)) {
        return UMF_RESULT_SUCCESS;
    }
    dp_slab_t *s = dp_radix_get(&p->radix, ptr);
    if (s == NULL) {
        return UMF_RESULT_SUCCESS;
    }
    dp_bucket_t *b = s->bucket;
    dp_lock(&b->lock);
    /* check again under the lock: the slab may have been given back meanwhile */
    if (s->state == DP_SLAB_DEAD || s->state == DP_SLAB_EMPTY || (const char *)ptr < s->base ||
        (const char *)ptr >= s->base + b->slab_size) {
        dp_unlock(&b->lock);
        return dp_radix_get(&p->radix, ptr) == NULL ? UMF_RESULT_SUCCESS : UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    size_t off = (size_t)((const char *)ptr - s->base);
    size_t idx = dp_chunk_index(b, off);
    if (idx * b->size != off || idx >= b->chunks || (s->bits[idx / 64] >> (idx % 64)) & 1 ||
        dp_in_my_cache(p, b->cls, ptr)) {
        dp_unlock(&b->lock);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    w->slab = s;
    w->bucket = b;
    w->idx = idx;
    return UMF_RESULT_SUCCESS;
}

static __attribute__((noinline)) umf_result_t dp_free_slow(dp_pool_t *p, void *ptr);

/* The fast path of free for a thread that is not one of the pool's owners: its cache through the TLS
 * table, with the slab the fast path already found. */
static __attribute__((noinline)) umf_result_t dp_free_in_slab(dp_pool_t *p, dp_slab_t *s, void *ptr) {
    dp_tcache_t *tc = dp_tc_get(p);
    return tc ? dp_free_cached(p, tc, s, ptr) : dp_free_slow(p, ptr);
}

static inline __attribute__((always_inline)) umf_result_t dp_raw_free(void *pool, void *ptr) {
    dp_pool_t *p = pool;
    if (UMF_LIKELY(p->tc_classes != 0 && ptr != NULL)) {
        /* the thread cache: no lock */
        dp_slab_t *s = dp_radix_get(&p->radix, ptr);
        if (UMF_LIKELY(s != NULL && s->cls < p->tc_classes)) {
            dp_tcache_t *tc = dp_tc_find_owned(p);
            if (UMF_LIKELY(tc != NULL)) {
                return dp_free_cached(p, tc, s, ptr);
            }
            return dp_free_in_slab(p, s, ptr);
        }
    }
    return dp_free_slow(p, ptr);
}

static umf_result_t dp_free_slow(dp_pool_t *p, void *ptr) {
    if (ptr == NULL) {
        return UMF_RESULT_SUCCESS;
    }
    dp_trace(p, "free", ptr, 0);
    if (p->tc_classes && atomic_load_explicit(&p->ready, memory_order_acquire)) {
        dp_slab_t *s = dp_radix_get(&p->radix, ptr);
        if (s && s->cls < p->tc_classes) {
            dp_tcache_t *tc = dp_tc_get(p);
            if (tc) {
                return dp_free_cached(p, tc, s, ptr);
            }
        }
    }
    dp_where_t w;
    umf_result_t rc = dp_locate_chunk(p, ptr, &w);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    if (w.slab) {
        dp_bucket_free_locked(w.bucket, w.slab, w.idx);
        dp_unlock(&w.bucket->lock);
        return UMF_RESULT_SUCCESS;
    }
    pthread_mutex_lock(&p->large_lock);
    dp_large_t *e = dp_large_find_locked(p, ptr, true);
    pthread_mutex_unlock(&p->large_lock);
    if (e == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    rc = umfMemoryProviderFree(p->provider, e->block, e->block_size);
    if (rc != UMF_RESULT_SUCCESS) {
        /* keep it known, so that the caller may try again */
        dp_large_insert(p, e);
        return rc;
    }
    free(e);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t dp_usable_size(void *pool, const void *ptr, size_t *size) {
    dp_pool_t *p = pool;
    if (size == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *size = 0;
    if (ptr == NULL) {
        return UMF_RESULT_SUCCESS;
    }
    dp_where_t w;
    umf_result_t rc = dp_locate_chunk(p, ptr, &w);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    if (w.slab) {
        *size = w.bucket->size;
        dp_unlock(&w.bucket->lock);
        return UMF_RESULT_SUCCESS;
    }
    pthread_mutex_lock(&p->large_lock);
    dp_large_t *e = dp_large_find_locked(p, ptr, false);
    if (e) {
        *size = e->usable;
    }
    pthread_mutex_unlock(&p->large_lock);
    return e ? UMF_RESULT_SUCCESS : UMF_RESULT_ERROR_INVALID_ARGUMENT;
}

static void *dp_raw_calloc(void *pool, size_t num, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(num, size, &total)) {
        return dp_fail(UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    }
    void *ptr = dp_raw_malloc(pool, total);
    if (ptr) {
        memset(ptr, 0, total);
    }
    return ptr;
}

static void *dp_raw_realloc(void *pool, void *ptr, size_t size) {
    dp_pool_t *p = pool;
    if (ptr == NULL) {
        return dp_raw_malloc(pool, size);
    }
    if (size == 0) {
        umf_result_t rc = dp_raw_free(pool, ptr);
        dp_last_error = rc;
        return NULL;
    }
    size_t old = 0;
    dp_where_t w;
    umf_result_t rc = dp_locate_chunk(p, ptr, &w);
    if (rc != UMF_RESULT_SUCCESS) {
        return dp_fail(rc);
    }
    if (w.slab) {
        old = w.bucket->size;
        unsigned cls = w.bucket->cls;
        dp_unlock(&w.bucket->lock);
        /* same class: nothing to do */
        if (size <= p->max_pooled && dp_class_of(p, size) == cls) {
            return ptr;
        }
    } else {
        pthread_mutex_lock(&p->large_lock);
        dp_large_t *e = dp_large_find_locked(p, ptr, false);
        if (e == NULL) {
            pthread_mutex_unlock(&p->large_lock);
            return dp_fail(UMF_RESULT_ERROR_INVALID_ARGUMENT);
        }
        size_t room = e->block_size - (size_t)((char *)e->ptr - (char *)e->block);
        if (size > p->max_pooled && size <= room && size >= room / 2) {
            /* grows or shrinks in place */
            p->large_usable += size - e->usable;
            e->usable = size;
            pthread_mutex_unlock(&p->large_lock);
            return ptr;
        }
        old = e->usable;
        pthread_mutex_unlock(&p->large_lock);
    }
    void *nptr = dp_raw_malloc(pool, size);
    if (nptr == NULL) {
        return NULL;
    }
    memcpy(nptr, ptr, UMF_MIN(old, size));
    dp_raw_free(pool, ptr);
    return nptr;
}

static umf_result_t dp_get_last_allocation_error(void *pool) { return dp_last_error; }

static umf_result_t dp_get_name(void *pool, const char **name) {
    if (name == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *name = pool ? ((dp_pool_t *)pool)->params.name : DP_DEFAULT_NAME;
    return UMF_RESULT_SUCCESS;
}

/* ------------------------------------------------------------------------- */
/* Create, destroy, trim                                                       */

static umf_result_t dp_initialize(umf_memory_provider_handle_t provider, const void *params, void **pool) {
    if (provider == NULL || pool == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    const struct umf_disjoint_pool_params_t *in = params;
    if (in && !IS_POWER_OF_2(in->min_bucket_size)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    dp_pool_t *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    if (in) {
        p->params = *in;
        p->params.name[DP_NAME_MAX - 1] = '\0';
    } else {
        dp_params_defaults(&p->params);
    }
    p->provider = provider;
    p->limits = p->params.shared_limits;
    p->id = (uint64_t)atomic_fetch_add_explicit(&dp_pool_ids, 1, memory_order_relaxed) + 1;
    atomic_init(&p->ready, false);
    pthread_mutex_init(&p->setup_lock, NULL);
    pthread_mutex_init(&p->large_lock, NULL);
    umf_xstats_init(&p->xs);
    *pool = p;
    return UMF_RESULT_SUCCESS;
}

static void dp_free_slab_list(dp_bucket_t *b, dp_slab_t *s, bool empty_list) {
    while (s) {
        dp_slab_t *next = s->next;
        if (empty_list) {
            dp_shared_release(b->pool, b->slab_size);
        }
        umfMemoryProviderFree(b->pool->provider, s->block, s->block_size);
        free(s);
        s = next;
    }
}

static umf_result_t dp_finalize(void *pool) {
    dp_pool_t *p = pool;
    if (p == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (atomic_load(&p->ready)) {
        /* the calling thread's cache goes now; other threads free theirs when they next look */
        dp_tc_flush_mine(p, true);
        pthread_mutex_lock(&dp_tc_lock);
        for (dp_tcache_t *tc = p->tc_list; tc; tc = tc->next) {
            tc->pool = NULL;
        }
        p->tc_list = NULL;
        pthread_mutex_unlock(&dp_tc_lock);
        size_t leaked = 0;
        for (unsigned i = 0; i < p->narenas * p->nclasses; i++) {
            dp_bucket_t *b = &p->buckets[i];
            leaked += b->full.count * b->chunks;
            for (dp_slab_t *s = b->avail.head; s; s = s->next) {
                leaked += b->chunks - s->nfree;
            }
            if (b->avail_empty) {
                dp_shared_release(p, b->slab_size);
            }
            dp_free_slab_list(b, b->avail.head, false);
            dp_free_slab_list(b, b->full.head, false);
            dp_free_slab_list(b, b->empty.head, true);
            for (dp_slab_t *s = b->dead; s;) {
                dp_slab_t *next = s->next;
                free(s);
                s = next;
            }
        }
        if (leaked) {
            LOG_WARN("disjoint pool %s destroyed with %zu chunks still allocated", p->params.name, leaked);
        }
        dp_radix_destroy(&p->radix);
        free(p->buckets);
    }
    for (size_t i = 0; i < p->large_tab_size; i++) {
        for (dp_large_t *e = p->large_tab[i]; e;) {
            dp_large_t *next = e->next;
            umfMemoryProviderFree(p->provider, e->block, e->block_size);
            free(e);
            e = next;
        }
    }
    free(p->large_tab);
    free(p->cls);
    pthread_mutex_destroy(&p->large_lock);
    pthread_mutex_destroy(&p->setup_lock);
    umf_xstats_fini(&p->xs);
    free(p);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t dp_trim(void *pool, size_t minBytesToKeep) {
    dp_pool_t *p = pool;
    if (p == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (!atomic_load_explicit(&p->ready, memory_order_acquire)) {
        return UMF_RESULT_SUCCESS;
    }
    dp_tc_flush_mine(p, false);
    size_t nb = (size_t)p->narenas * p->nclasses;
    size_t cached = 0;
    for (size_t i = 0; i < nb; i++) {
        dp_bucket_t *b = &p->buckets[i];
        dp_lock(&b->lock);
        cached += dp_in_pool(b) * b->slab_size;
        dp_unlock(&b->lock);
    }
    /* give back the largest slabs first: fewer provider calls for the same bytes */
    for (size_t i = nb; i-- > 0 && cached > minBytesToKeep;) {
        dp_bucket_t *b = &p->buckets[(i % p->narenas) * p->nclasses + i / p->narenas];
        dp_lock(&b->lock);
        while (dp_in_pool(b) > 0 && cached >= minBytesToKeep + b->slab_size) {
            dp_slab_t *s = b->empty.head;
            if (s) {
                dp_list_remove(&b->empty, s);
            } else {
                s = b->avail.head;
                while (s->nfree != b->chunks) {
                    s = s->next;
                }
                b->avail_empty = 0;
                dp_list_remove(&b->avail, s);
            }
            dp_shared_release(p, b->slab_size);
            dp_slab_release(b, s);
            cached -= b->slab_size;
        }
        dp_unlock(&b->lock);
    }
    return UMF_RESULT_SUCCESS;
}


/* The ops: the functions above, or while params.extended_stats is on, their counted versions. */
#define DP_XS(pool) (&((dp_pool_t *)(pool))->xs)
UMF_XSTATS_DEFINE_OPS(dp, DP_XS)

static const umf_memory_pool_ops_t DP_OPS = {
    .version = UMF_POOL_OPS_VERSION_CURRENT,
    .initialize = dp_initialize,
    .finalize = dp_finalize,
    .malloc = dp_malloc,
    .calloc = dp_calloc,
    .realloc = dp_realloc,
    .aligned_malloc = dp_aligned_malloc,
    .malloc_usable_size = dp_usable_size,
    .free = dp_free,
    .get_last_allocation_error = dp_get_last_allocation_error,
    .get_name = dp_get_name,
    .ext_ctl = dp_ctl,
    .ext_trim_memory = dp_trim,
};

const umf_memory_pool_ops_t *umfDisjointPoolOps(void) { return &DP_OPS; }

size_t (*umf_disjoint_live_count_fn(const umf_memory_pool_ops_t *ops))(void *priv) {
    return ops != NULL && ops->malloc == dp_malloc ? dp_live_count : NULL;
}

