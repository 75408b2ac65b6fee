/* Extended pool statistics (see pool_xstats.h): the record of live sizes, the counters, the CTL nodes. */
#include "pools/pool_xstats.h"

#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/ctl_value.h"
#include "base/log.h"

#define XS_SHARDS 64 /* a power of 2 */
#define XS_SHARD_BITS 6
#define XS_MIN_SLOTS 16

/* One shard of the record: open addressing with linear probing, key 0 = empty slot. */
typedef struct xs_slot {
    uintptr_t key;
    size_t size;
} xs_slot_t;

typedef struct xs_shard {
    atomic_int taken;
    size_t cap, used; /* cap: 0 or a power of 2 */
    xs_slot_t *slots;
} __attribute__((aligned(64))) xs_shard_t;

struct umf_xstats_state {
    _Atomic size_t allocated __attribute__((aligned(64)));
    _Atomic size_t peak;
    _Atomic size_t hist[UMF_XSTATS_CLASSES] __attribute__((aligned(64)));
    xs_shard_t shards[XS_SHARDS];
};

/* ------------------------------------------------------------------------- */
/* The record: pointer -> size asked for                                       */

static void xs_lock(xs_shard_t *h) {
    unsigned spins = 0;
    while (atomic_exchange_explicit(&h->taken, 1, memory_order_acquire) != 0) {
        while (atomic_load_explicit(&h->taken, memory_order_relaxed) != 0) {
            if (++spins > 64) {
                sched_yield();
            }
        }
    }
}

static void xs_unlock(xs_shard_t *h) { atomic_store_explicit(&h->taken, 0, memory_order_release); }

static inline uint64_t xs_hash(const void *ptr) { return ((uint64_t)(uintptr_t)ptr >> 4) * 0x9e3779b97f4a7c15ull; }

static inline xs_shard_t *xs_shard_of(struct umf_xstats_state *s, uint64_t hash) {
    return &s->shards[hash >> (64 - XS_SHARD_BITS)];
}

static inline size_t xs_home(const xs_shard_t *h, uintptr_t key) { return (size_t)xs_hash((void *)key) & (h->cap - 1); }

/* Puts key in a table known to have a free slot (an existing key is overwritten). */
static void xs_place(xs_slot_t *slots, size_t cap, uintptr_t key, size_t size) {
    size_t i = (size_t)xs_hash((void *)key) & (cap - 1);
    while (slots[i].key != 0 && slots[i].key != key) {
        i = (i + 1) & (cap - 1);
    }
    if (slots[i].key == 0) {
        slots[i].key = key;
    }
    slots[i].size = size;
}

/* Keeps the table at most half full; false when it needs to grow and cannot. Caller holds the lock. */
static bool xs_reserve(xs_shard_t *h) {
    if ((h->used + 1) * 2 <= h->cap) {
        return true;
    }
    size_t cap = h->cap ? h->cap * 2 : XS_MIN_SLOTS;
    xs_slot_t *slots = calloc(cap, sizeof(*slots));
    if (slots == NULL) {
        return false;
    }
    for (size_t i = 0; i < h->cap; i++) {
        if (h->slots[i].key != 0) {
            xs_place(slots, cap, h->slots[i].key, h->slots[i].size);
        }
    }
    free(h->slots);
    h->slots = slots;
    h->cap = cap;
    return true;
}

static bool xs_insert(struct umf_xstats_state *s, const void *ptr, size_t size) {
    xs_shard_t *h = xs_shard_of(s, xs_hash(ptr));
    xs_lock(h);
    bool ok = xs_reserve(h);
    if (ok) {
        xs_place(h->slots, h->cap, (uintptr_t)ptr, size);
        h->used++;
    }
    xs_unlock(h);
    return ok;
}

/* True when k lies in (i, j] going round the table. */
static inline bool xs_between(size_t i, size_t k, size_t j) { return i <= j ? (i < k && k <= j) : (i < k || k <= j); }

/* Removes ptr from the record, giving the size it was recorded with; false when it is not there. */
static bool xs_take(struct umf_xstats_state *s, const void *ptr, size_t *size) {
    xs_shard_t *h = xs_shard_of(s, xs_hash(ptr));
    uintptr_t key = (uintptr_t)ptr;
    bool found = false;
    xs_lock(h);
    if (h->cap != 0) {
        size_t mask = h->cap - 1, i = xs_home(h, key);
        while (h->slots[i].key != 0 && h->slots[i].key != key) {
            i = (i + 1) & mask;
        }
        if (h->slots[i].key == key) {
            found = true;
            *size = h->slots[i].size;
            /* close the gap: move back every entry of the run that may not stay behind it */
            for (size_t j = (i + 1) & mask; h->slots[j].key != 0; j = (j + 1) & mask) {
                if (!xs_between(i, xs_home(h, h->slots[j].key), j)) {
                    h->slots[i] = h->slots[j];
                    i = j;
                }
            }
            h->slots[i].key = 0;
            h->used--;
        }
    }
    xs_unlock(h);
    return found;
}

/* ------------------------------------------------------------------------- */
/* Counting                                                                    */

static inline unsigned xs_class(size_t size) { return 63u - (unsigned)__builtin_clzll((unsigned long long)size); }

/* A new allocation of size bytes at ptr (NULL: none). One the record cannot take (the host is out
 * of memory) is left out of the statistics, and so is its free. */
static void xs_note_alloc(struct umf_xstats_state *s, void *ptr, size_t size) {
    if (ptr == NULL) {
        return;
    }
    if (!xs_insert(s, ptr, size)) {
        LOG_WARN("extended pool statistics: out of host memory, allocation %p left out", ptr);
        return;
    }
    size_t now = atomic_fetch_add_explicit(&s->allocated, size, memory_order_relaxed) + size;
    size_t peak = atomic_load_explicit(&s->peak, memory_order_relaxed);
    while (now > peak &&
           !atomic_compare_exchange_weak_explicit(&s->peak, &peak, now, memory_order_relaxed, memory_order_relaxed)) {
    }
    if (size != 0) {
        atomic_fetch_add_explicit(&s->hist[xs_class(size)], 1, memory_order_relaxed);
    }
}

static void xs_note_free(struct umf_xstats_state *s, size_t size) {
    atomic_fetch_sub_explicit(&s->allocated, size, memory_order_relaxed);
}

void *umf_xstats_malloc(struct umf_xstats_state *s, const umf_xstats_raw_t *raw, void *pool, size_t size) {
    void *ptr = raw->malloc(pool, size);
    xs_note_alloc(s, ptr, size);
    return ptr;
}

void *umf_xstats_calloc(struct umf_xstats_state *s, const umf_xstats_raw_t *raw, void *pool, size_t num, size_t size) {
    void *ptr = raw->calloc(pool, num, size);
    xs_note_alloc(s, ptr, num * size); /* it succeeded: the product did not overflow */
    return ptr;
}

void *umf_xstats_aligned_malloc(struct umf_xstats_state *s, const umf_xstats_raw_t *raw, void *pool, size_t size,
                                size_t alignment) {
    void *ptr = raw->aligned_malloc(pool, size, alignment);
    xs_note_alloc(s, ptr, size);
    return ptr;
}

/* The record of ptr goes before the pool frees it: once freed, another thread may get the same
 * address and record it. It comes back if the pool refuses. */
umf_result_t umf_xstats_free(struct umf_xstats_state *s, const umf_xstats_raw_t *raw, void *pool, void *ptr) {
    size_t old = 0;
    bool had = ptr != NULL && xs_take(s, ptr, &old);
    umf_result_t rc = raw->free(pool, ptr);
    if (had) {
        if (rc == UMF_RESULT_SUCCESS) {
            xs_note_free(s, old);
        } else {
            xs_insert(s, ptr, old); /* its slot was just freed: no growth, cannot fail */
        }
    }
    return rc;
}

void *umf_xstats_realloc(struct umf_xstats_state *s, const umf_xstats_raw_t *raw, void *pool, void *ptr, size_t size) {
    size_t old = 0;
    bool had = ptr != NULL && xs_take(s, ptr, &old);
    void *out = raw->realloc(pool, ptr, size);
    if (out == NULL && size != 0 && ptr != NULL) {
        if (had) {
            xs_insert(s, ptr, old); /* failed: ptr is still live */
        }
        return NULL;
    }
    if (had) {
        xs_note_free(s, old);
    }
    xs_note_alloc(s, out, size);
    return out;
}

/* ------------------------------------------------------------------------- */
/* Switching on, CTL                                                           */

void umf_xstats_init(umf_xstats_t *x) {
    atomic_init(&x->on, NULL);
    pthread_mutex_init(&x->lock, NULL);
    x->wanted = false;
    x->sealed = false;
}

void umf_xstats_fini(umf_xstats_t *x) {
    struct umf_xstats_state *s = atomic_load(&x->on);
    if (s != NULL) {
        for (size_t i = 0; i < XS_SHARDS; i++) {
            free(s->shards[i].slots);
        }
        free(s);
    }
    pthread_mutex_destroy(&x->lock);
}

/* Caller holds x->lock. */
static umf_result_t xs_switch_on_locked(umf_xstats_t *x) {
    if (atomic_load_explicit(&x->on, memory_order_relaxed) != NULL) {
        return UMF_RESULT_SUCCESS;
    }
    struct umf_xstats_state *s = aligned_alloc(64, sizeof(*s));
    if (s == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    memset(s, 0, sizeof(*s));
    atomic_store_explicit(&x->on, s, memory_order_release);
    return UMF_RESULT_SUCCESS;
}

umf_result_t umf_xstats_seal(umf_xstats_t *x) {
    pthread_mutex_lock(&x->lock);
    x->sealed = true;
    umf_result_t rc = x->wanted ? xs_switch_on_locked(x) : UMF_RESULT_SUCCESS;
    pthread_mutex_unlock(&x->lock);
    return rc;
}

static umf_result_t xs_ctl_switch(umf_xstats_t *x, umf_ctl_query_source_t source, void *arg, size_t size,
                                  umf_ctl_query_type_t type) {
    if (type == CTL_QUERY_RUNNABLE) {
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    bool value = false;
    if (type == CTL_QUERY_WRITE) {
        umf_result_t rc = umf_ctl_arg_bool(source, arg, size, &value);
        if (rc != UMF_RESULT_SUCCESS) {
            return rc;
        }
    }
    umf_result_t rc = UMF_RESULT_SUCCESS;
    pthread_mutex_lock(&x->lock);
    bool on = atomic_load_explicit(&x->on, memory_order_relaxed) != NULL;
    if (type == CTL_QUERY_READ) {
        rc = umf_ctl_out_bool(arg, size, x->sealed ? on : x->wanted);
    } else if (!x->sealed) {
        x->wanted = value; /* a default, before the pool is created */
    } else if (value) {
        rc = xs_switch_on_locked(x);
    } else if (on) {
        rc = UMF_RESULT_ERROR_NOT_SUPPORTED; /* the record would no longer match the pool */
    }
    pthread_mutex_unlock(&x->lock);
    return rc;
}

#define XS_NODES 4
#define XS_NODE_MAX 64

/* A path node: "{}" takes a const char * (or, where index is set, a size_t) from args. */
typedef struct xs_node {
    char text[XS_NODE_MAX];
    bool wild;
} xs_node_t;

/* Splits name into at most XS_NODES nodes; false when it has more or one is empty or too long. */
static bool xs_split(const char *name, xs_node_t *nodes, size_t *n) {
    *n = 0;
    for (const char *s = name;;) {
        const char *dot = strchr(s, '.');
        size_t len = dot ? (size_t)(dot - s) : strlen(s);
        if (*n == XS_NODES || len == 0 || len >= XS_NODE_MAX) {
            return false;
        }
        memcpy(nodes[*n].text, s, len);
        nodes[*n].text[len] = '\0';
        nodes[*n].wild = strcmp(nodes[*n].text, "{}") == 0;
        (*n)++;
        if (dot == NULL) {
            return true;
        }
        s = dot + 1;
    }
}

/* The name of a node, reading a wildcard's argument. */
static const char *xs_name(xs_node_t *node, va_list *ap) {
    if (node->wild) {
        const char *s = va_arg(*ap, const char *);
        return s != NULL ? s : "";
    }
    return node->text;
}

/* A class index: digits, or a wildcard's size_t argument; false for anything else. */
static bool xs_index(xs_node_t *node, va_list *ap, size_t *out) {
    if (node->wild) {
        *out = va_arg(*ap, size_t);
        return true;
    }
    size_t v = 0;
    for (const char *c = node->text; *c; c++) {
        if (*c < '0' || *c > '9') {
            return false;
        }
        v = v > SIZE_MAX / 10 - 1 ? SIZE_MAX : v * 10 + (size_t)(*c - '0');
    }
    *out = v;
    return true;
}

typedef enum xs_node_kind {
    XS_NONE,
    XS_ALLOCATED,
    XS_PEAK,
    XS_PEAK_RESET,
    XS_HIST_COUNT,
    XS_HIST_RESET,
    XS_HIST_MIN,
    XS_HIST_MAX,
    XS_HIST_ALLOCS,
} xs_node_kind_t;

/* Which statistic nodes[1..] name (nodes[0] is "stats"), reading the wildcards; the class in *cls. */
static xs_node_kind_t xs_stat_kind(xs_node_t *nodes, size_t n, va_list *ap, size_t *cls) {
    if (n < 2) {
        return XS_NONE;
    }
    const char *what = xs_name(&nodes[1], ap);
    if (strcmp(what, "allocated_bytes") == 0 && n == 2) {
        return XS_ALLOCATED;
    }
    if (strcmp(what, "peak_allocated_bytes") == 0) {
        if (n == 2) {
            return XS_PEAK;
        }
        return n == 3 && strcmp(xs_name(&nodes[2], ap), "reset") == 0 ? XS_PEAK_RESET : XS_NONE;
    }
    if (strcmp(what, "size_histogram") != 0 || n < 3) {
        return XS_NONE;
    }
    if (n == 3 && !nodes[2].wild) {
        if (strcmp(nodes[2].text, "count") == 0) {
            return XS_HIST_COUNT;
        }
        if (strcmp(nodes[2].text, "reset") == 0) {
            return XS_HIST_RESET;
        }
    }
    if (n != 4 || !xs_index(&nodes[2], ap, cls)) {
        return XS_NONE;
    }
    const char *field = xs_name(&nodes[3], ap);
    if (strcmp(field, "min_size") == 0) {
        return XS_HIST_MIN;
    }
    if (strcmp(field, "max_size") == 0) {
        return XS_HIST_MAX;
    }
    return strcmp(field, "alloc_num") == 0 ? XS_HIST_ALLOCS : XS_NONE;
}

static umf_result_t xs_ctl_stat(umf_xstats_t *x, xs_node_kind_t kind, size_t cls, void *arg, size_t size,
                                umf_ctl_query_type_t type) {
    bool exec = kind == XS_PEAK_RESET || kind == XS_HIST_RESET;
    if (type != (exec ? CTL_QUERY_RUNNABLE : CTL_QUERY_READ)) {
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    struct umf_xstats_state *s = umf_xstats_on(x);
    if (s == NULL) {
        return UMF_RESULT_ERROR_NOT_SUPPORTED; /* params.extended_stats is off */
    }
    if (kind >= XS_HIST_MIN && cls >= UMF_XSTATS_CLASSES) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    switch (kind) {
    case XS_ALLOCATED:
        return umf_ctl_out_size(arg, size, atomic_load(&s->allocated));
    case XS_PEAK:
        return umf_ctl_out_size(arg, size, atomic_load(&s->peak));
    case XS_PEAK_RESET:
        atomic_store(&s->peak, atomic_load(&s->allocated));
        return UMF_RESULT_SUCCESS;
    case XS_HIST_COUNT:
        return umf_ctl_out_size(arg, size, UMF_XSTATS_CLASSES);
    case XS_HIST_RESET:
        for (size_t i = 0; i < UMF_XSTATS_CLASSES; i++) {
            atomic_store(&s->hist[i], 0);
        }
        return UMF_RESULT_SUCCESS;
    case XS_HIST_MIN:
        return umf_ctl_out_size(arg, size, (size_t)1 << cls);
    case XS_HIST_MAX:
        return umf_ctl_out_size(arg, size, cls == UMF_XSTATS_CLASSES - 1 ? SIZE_MAX : ((size_t)2 << cls) - 1);
    case XS_HIST_ALLOCS:
        return umf_ctl_out_size(arg, size, atomic_load(&s->hist[cls]));
    default:
        return UMF_RESULT_ERROR_INVALID_CTL_PATH;
    }
}

umf_result_t umf_xstats_ctl(umf_xstats_t *x, umf_ctl_query_source_t source, const char *name, void *arg, size_t size,
                            umf_ctl_query_type_t type, va_list args) {
    xs_node_t nodes[XS_NODES];
    size_t n = 0;
    if (name == NULL || !xs_split(name, nodes, &n) || nodes[0].wild) {
        return UMF_RESULT_ERROR_INVALID_CTL_PATH;
    }
    va_list ap;
    va_copy(ap, args);
    umf_result_t rc = UMF_RESULT_ERROR_INVALID_CTL_PATH;
    if (strcmp(nodes[0].text, "params") == 0 && n == 2) {
        if (strcmp(xs_name(&nodes[1], &ap), "extended_stats") == 0) {
            rc = xs_ctl_switch(x, source, arg, size, type);
        }
    } else if (strcmp(nodes[0].text, "stats") == 0) {
        size_t cls = 0;
        xs_node_kind_t kind = xs_stat_kind(nodes, n, &ap, &cls);
        if (kind != XS_NONE) {
            rc = xs_ctl_stat(x, kind, cls, arg, size, type);
        }
    }
    va_end(ap);
    return rc;
}
