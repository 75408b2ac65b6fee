/*
 * The jemalloc pool: jemalloc arenas whose extents (the large blocks jemalloc carves
 * allocations from) come from the pool's provider through custom extent hooks.
 *
 * How jemalloc gets into the process
 * ----------------------------------
 * jemalloc 5.3.0 is built from Debian's source package by scripts/jemalloc.sh and linked
 * statically into libumf.so, as UMF does:
 *  - every public name is prefixed je_ (je_mallocx...), so malloc and free stay glibc's,
 *    in the process and inside libumf itself (memory crosses the libumf/libc border both
 *    ways: strdup, getline, hwloc);
 *  - it is built without initial-exec TLS, so libumf.so has no STATIC_TLS flag and loads
 *    with dlopen() in any process (Node included) with no special environment;
 *  - its symbols are hidden (--without-export, and libumf.map exports UMF's names only).
 * JEMALLOC_NO_DEMANGLE keeps <jemalloc/jemalloc.h> from renaming anything in this file.
 *
 * Provider memory is never written by the pool: arenas are created with
 * experimental.arenas_create_ext and metadata_use_hooks off, so jemalloc's metadata comes
 * from its own mappings in host memory, and only allocations live in the extents the hooks
 * take from the provider (a provider whose memory is PROT_NONE works).
 *
 * Pool layout
 * -----------
 * A pool has n arenas (default 4 per CPU, at most 4095), created on first use; a thread
 * uses arena (its thread number % n; an exited thread's number is reused, see thread_no_take).
 * jemalloc's automatic thread cache is per thread, not
 * per arena, and would hand memory of one pool to another, so it is never used: each thread
 * gets its own explicit tcache (tcache.create) per pool on first use, found through a
 * one-entry thread-local cache (the last pool used) or a pthread key of the pool; all of a
 * pool's tcaches are destroyed (flushed into its arenas) when the pool is destroyed. If
 * jemalloc cannot create one, that thread goes without (MALLOCX_TCACHE_NONE). jemalloc needs to split the extents it gets (it asks for big blocks and cuts
 * them), so the provider must support umfMemoryProviderAllocationSplit(); initialize()
 * checks it with a real two-page allocation and fails with NOT_SUPPORTED otherwise.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <umf/pools/pool_jemalloc.h>

#include "base/utils.h"

#define JE_DEFAULT_NAME "jemalloc"
#define JE_NAME_MAX 64
/* MALLCTL_ARENAS_ALL (4096) is jemalloc's "all arenas" index: real arenas stay below it. */
#define JE_MAX_ARENAS 4095

struct umf_jemalloc_pool_params_t {
    size_t n_arenas; /* 0: the default */
    char name[JE_NAME_MAX];
};

#ifndef UMF_HAVE_JEMALLOC

umf_result_t umfJemallocPoolParamsCreate(umf_jemalloc_pool_params_handle_t *hParams) {
    LOG_ERR("the jemalloc pool is not built in (configure with jemalloc installed)");
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

umf_result_t umfJemallocPoolParamsDestroy(umf_jemalloc_pool_params_handle_t hParams) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

umf_result_t umfJemallocPoolParamsSetNumArenas(umf_jemalloc_pool_params_handle_t hParams, size_t numArenas) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

umf_result_t umfJemallocPoolParamsSetName(umf_jemalloc_pool_params_handle_t hParams, const char *name) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

const umf_memory_pool_ops_t *umfJemallocPoolOps(void) { return NULL; }

#else /* UMF_HAVE_JEMALLOC */

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#define JEMALLOC_NO_DEMANGLE
#include <jemalloc/jemalloc.h>

#include "pools/pool_xstats.h"

/* ---- once per process ---- */

/* Gives a thread's number back when it exits (see thread_no_take). */
static pthread_key_t g_thread_key;
static _Atomic bool g_have_thread_key;
static void thread_no_release(void *value);
static pthread_once_t g_je_once = PTHREAD_ONCE_INIT;

static void jp_init_once(void) { g_have_thread_key = pthread_key_create(&g_thread_key, thread_no_release) == 0; }

static void jp_init(void) { pthread_once(&g_je_once, jp_init_once); }

/* ---- per-thread state ---- */

/* Why the last allocation on this thread failed. */
static __thread umf_result_t tls_last_error;
/* The provider's error inside a hook, for the allocation call that triggered it. */
static __thread umf_result_t tls_hook_error;
/*
 * Thread numbers pick a thread's arena slot (number % n_arenas). A new thread takes the
 * lowest number no live thread holds, and gives it back when it exits (a pthread key
 * destructor), so that threads that come and go keep landing on the arenas already created.
 * Handing out ever-growing numbers made each of the first n_arenas short-lived threads
 * create a new arena in every pool it touched, which costs about 1.5 ms (jemalloc asks the
 * provider for a 2 MiB block of metadata that hook_alloc must zero, and faults it in).
 * The numbers only choose arenas: two threads sharing one (a number reused while a thread
 * still runs its destructors, or past the bitmap) is correct, only less spread out.
 */
#define JE_THREAD_NOS 4096
static _Atomic uint64_t g_thread_nos_used[JE_THREAD_NOS / 64]; /* bit i: number i held */
static _Atomic unsigned g_thread_count = JE_THREAD_NOS;        /* numbers past the bitmap, not reused */
/* 1 + this thread's number; 0 = none yet. */
static __thread unsigned tls_thread_no;

static void thread_no_release(void *value) {
    unsigned n = (unsigned)(uintptr_t)value - 1;
    if (n < JE_THREAD_NOS) {
        atomic_fetch_and_explicit(&g_thread_nos_used[n / 64], ~(UINT64_C(1) << (n % 64)), memory_order_relaxed);
    }
}

__attribute__((noinline)) static unsigned thread_no_take(void) {
    unsigned n = 0;
    for (size_t w = 0; w < JE_THREAD_NOS / 64 && n == 0; w++) {
        uint64_t used = atomic_load_explicit(&g_thread_nos_used[w], memory_order_relaxed);
        while (used != UINT64_MAX) {
            unsigned bit = (unsigned)__builtin_ctzll(~used);
            if (atomic_compare_exchange_weak_explicit(&g_thread_nos_used[w], &used, used | (UINT64_C(1) << bit),
                                                      memory_order_relaxed, memory_order_relaxed)) {
                n = (unsigned)(w * 64 + bit) + 1;
                break;
            }
        }
    }
    if (n != 0) {
        /* Without the destructor the number is simply never handed out again. */
        if (!g_have_thread_key || pthread_setspecific(g_thread_key, (void *)(uintptr_t)n) != 0) {
            LOG_DEBUG("thread number %u will not be reused", n - 1);
        }
    } else {
        n = atomic_fetch_add_explicit(&g_thread_count, 1, memory_order_relaxed) + 1;
        if (n == 0) { /* wrapped around after 4 billion threads */
            n = 1;
        }
    }
    tls_thread_no = n;
    return n;
}

static inline unsigned thread_no(void) {
    unsigned n = tls_thread_no;
    if (UMF_UNLIKELY(n == 0)) {
        n = thread_no_take();
    }
    return n - 1;
}

/* A libumf unloaded by dlclose() must leave no destructor of its own behind. */
__attribute__((destructor)) static void jp_thread_key_unload(void) {
    if (g_have_thread_key) {
        g_have_thread_key = false;
        pthread_key_delete(g_thread_key);
    }
}

/* ---- the pool ---- */

typedef struct jp_pool_t {
    /* First member: jemalloc passes this pointer back to every hook, which finds the pool by it. */
    extent_hooks_t hooks;
    umf_memory_provider_handle_t provider;
    size_t n_arenas;
    pthread_mutex_t create_lock;
    /* Per arena slot: the mallocx flags selecting it (MALLOCX_ARENA), 0 = not created. */
    _Atomic int *flags;
    /* The blocks the provider gave, as they were given (see hook_dalloc): open addressing,
     * key = start address (NULL = empty, JE_BLOCK_GONE = removed), guarded by blocks_lock. */
    pthread_mutex_t blocks_lock;
    struct jp_block_t {
        void *addr;
        size_t size;
    } *blocks;
    size_t blocks_cap, blocks_used;
    /* The explicit tcaches of the threads that used the pool. */
    uint64_t id; /* unique over the process's life: tells a new pool at a freed address apart */
    bool have_key;
    pthread_key_t key; /* per thread: its jp_tcache_node_t, or NULL */
    pthread_mutex_t tcaches_lock;
    struct jp_tcache_node_t {
        struct jp_tcache_node_t *next;
        unsigned tcache;
    } *tcaches;
    char name[JE_NAME_MAX];
    umf_xstats_t xs; /* the extended statistics (pool_xstats.h) */
} jp_pool_t;

#define JP_XS(pool) (&((jp_pool_t *)(pool))->xs)

static _Atomic uint64_t g_pool_ids;

/* The flags of the last pool this thread used (one thread-local access on the fast path). */
static __thread struct jp_tls_t {
    const jp_pool_t *pool;
    uint64_t id;
    int alloc_flags; /* MALLOCX_ARENA | MALLOCX_TCACHE(...) or MALLOCX_TCACHE_NONE */
    int free_flags;  /* MALLOCX_TCACHE(...) or MALLOCX_TCACHE_NONE */
} tls_last_pool;

#define JE_BLOCK_GONE ((void *)1)

static size_t block_hash(const void *addr, size_t cap) {
    uint64_t x = (uint64_t)(uintptr_t)addr >> 12;
    x *= 0x9E3779B97F4A7C15ull;
    return (size_t)(x >> 17) & (cap - 1);
}

/* Records a block; false when out of memory (the block is then simply never freed early). */
static bool blocks_add(jp_pool_t *p, void *addr, size_t size) {
    bool ok = true;
    pthread_mutex_lock(&p->blocks_lock);
    if ((p->blocks_used + 1) * 2 > p->blocks_cap) {
        size_t cap = p->blocks_cap ? p->blocks_cap * 2 : 64;
        struct jp_block_t *nb = calloc(cap, sizeof(*nb));
        if (nb == NULL) {
            ok = false;
            goto out;
        }
        size_t used = 0;
        for (size_t i = 0; i < p->blocks_cap; i++) {
            void *a = p->blocks[i].addr;
            if (a != NULL && a != JE_BLOCK_GONE) {
                size_t j = block_hash(a, cap);
                while (nb[j].addr != NULL) {
                    j = (j + 1) & (cap - 1);
                }
                nb[j] = p->blocks[i];
                used++;
            }
        }
        free(p->blocks);
        p->blocks = nb;
        p->blocks_cap = cap;
        p->blocks_used = used;
    }
    size_t j = block_hash(addr, p->blocks_cap);
    while (p->blocks[j].addr != NULL && p->blocks[j].addr != JE_BLOCK_GONE) {
        j = (j + 1) & (p->blocks_cap - 1);
    }
    if (p->blocks[j].addr == NULL) {
        p->blocks_used++;
    }
    p->blocks[j].addr = addr;
    p->blocks[j].size = size;
out:
    pthread_mutex_unlock(&p->blocks_lock);
    return ok;
}

/* Removes the block [addr, addr + size) if it is recorded exactly so; true when it was. */
static bool blocks_take_whole(jp_pool_t *p, void *addr, size_t size) {
    bool found = false;
    pthread_mutex_lock(&p->blocks_lock);
    if (p->blocks_cap != 0) {
        size_t j = block_hash(addr, p->blocks_cap);
        while (p->blocks[j].addr != NULL) {
            if (p->blocks[j].addr == addr) {
                if (p->blocks[j].size == size) {
                    p->blocks[j].addr = JE_BLOCK_GONE;
                    found = true;
                }
                break;
            }
            j = (j + 1) & (p->blocks_cap - 1);
        }
    }
    pthread_mutex_unlock(&p->blocks_lock);
    return found;
}

static inline jp_pool_t *pool_of(extent_hooks_t *h) { return (jp_pool_t *)h; }

static void *hook_alloc(extent_hooks_t *h, void *new_addr, size_t size, size_t alignment, bool *zero,
                        bool *commit, unsigned arena_ind) {
    if (new_addr != NULL) {
        return NULL; /* a provider cannot place memory at a chosen address; jemalloc copes */
    }
    jp_pool_t *p = pool_of(h);
    void *ptr = NULL;
    umf_result_t rc = umfMemoryProviderAlloc(p->provider, size, alignment, &ptr);
    if (rc != UMF_RESULT_SUCCESS || ptr == NULL) {
        tls_hook_error = rc != UMF_RESULT_SUCCESS ? rc : UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        return NULL;
    }
    if (!IS_ALIGNED(ptr, alignment)) {
        LOG_ERR("provider returned %p, not aligned to %zu", ptr, alignment);
        umfMemoryProviderFree(p->provider, ptr, size);
        tls_hook_error = UMF_RESULT_ERROR_INVALID_ALIGNMENT;
        return NULL;
    }
    /* Nothing says a provider's memory is zeroed (a fixed provider reuses memory). */
    if (*zero) {
        memset(ptr, 0, size);
    }
    *commit = true;
    blocks_add(p, ptr, size);
    return ptr;
}

/*
 * jemalloc runs with its default opt.retain: it assumes that address space it got is never
 * given back while it uses it, and so that two neighbouring extents of different arenas can
 * only meet at the start of a block the hooks returned (a "head", never merged over).
 * Giving back part of a block would break that: the provider may hand the hole out again to
 * another arena, right after a non-head extent, and jemalloc would then merge extents of two
 * arenas (we saw that corrupt its heaps). So dalloc gives memory back to the provider only
 * when it is a whole block exactly as the provider gave it (the arena's metadata blocks, or a
 * block whose pieces jemalloc merged back); otherwise it opts out (returns true) and jemalloc
 * keeps the range as "retained", after purging its pages through the provider. Everything
 * retained is given back by the destroy hook when the pool is destroyed.
 */
static bool hook_dalloc(extent_hooks_t *h, void *addr, size_t size, bool committed, unsigned arena_ind) {
    jp_pool_t *p = pool_of(h);
    if (!blocks_take_whole(p, addr, size)) {
        return true;
    }
    if (umfMemoryProviderFree(p->provider, addr, size) != UMF_RESULT_SUCCESS) {
        blocks_add(p, addr, size);
        return true;
    }
    return false;
}

static void hook_destroy(extent_hooks_t *h, void *addr, size_t size, bool committed, unsigned arena_ind) {
    blocks_take_whole(pool_of(h), addr, size);
    umf_result_t rc = umfMemoryProviderFree(pool_of(h)->provider, addr, size);
    if (rc != UMF_RESULT_SUCCESS) {
        LOG_WARN("provider free of %p (%zu bytes) failed: %d", addr, size, (int)rc);
    }
}

static bool hook_purge_lazy(extent_hooks_t *h, void *addr, size_t size, size_t offset, size_t length,
                            unsigned arena_ind) {
    return umfMemoryProviderPurgeLazy(pool_of(h)->provider, (char *)addr + offset, length) != UMF_RESULT_SUCCESS;
}

/* jemalloc takes a successful forced purge to mean the pages now read as zero, which is
 * what the built-in providers' forced purge (MADV_DONTNEED on private memory) gives. */
static bool hook_purge_forced(extent_hooks_t *h, void *addr, size_t size, size_t offset, size_t length,
                              unsigned arena_ind) {
    return umfMemoryProviderPurgeForce(pool_of(h)->provider, (char *)addr + offset, length) != UMF_RESULT_SUCCESS;
}

static bool hook_split(extent_hooks_t *h, void *addr, size_t size, size_t size_a, size_t size_b, bool committed,
                       unsigned arena_ind) {
    return umfMemoryProviderAllocationSplit(pool_of(h)->provider, addr, size, size_a) != UMF_RESULT_SUCCESS;
}

static bool hook_merge(extent_hooks_t *h, void *addr_a, size_t size_a, void *addr_b, size_t size_b, bool committed,
                       unsigned arena_ind) {
    return umfMemoryProviderAllocationMerge(pool_of(h)->provider, addr_a, addr_b, size_a + size_b) !=
           UMF_RESULT_SUCCESS;
}

static const extent_hooks_t HOOKS = {
    .alloc = hook_alloc,
    .dalloc = hook_dalloc,
    .destroy = hook_destroy,
    .commit = NULL,   /* memory is always committed ... */
    .decommit = NULL, /* ... and never decommitted */
    .purge_lazy = hook_purge_lazy,
    .purge_forced = hook_purge_forced,
    .split = hook_split,
    .merge = hook_merge,
};

/* jemalloc 5.3.0's arena_config_t, which experimental.arenas_create_ext takes (not in its public header). */
typedef struct jp_arena_config_t {
    extent_hooks_t *extent_hooks;
    bool metadata_use_hooks;
} jp_arena_config_t;

static umf_result_t create_arena(jp_pool_t *p, unsigned *index) {
    /* metadata from jemalloc's own host mappings: the provider's memory holds allocations only */
    jp_arena_config_t config = {.extent_hooks = &p->hooks, .metadata_use_hooks = false};
    size_t len = sizeof(*index);
    tls_hook_error = UMF_RESULT_SUCCESS;
    int err = je_mallctl("experimental.arenas_create_ext", index, &len, &config, sizeof(config));
    if (err != 0) {
        umf_result_t rc = tls_hook_error != UMF_RESULT_SUCCESS ? tls_hook_error : UMF_RESULT_ERROR_OUT_OF_RESOURCES;
        tls_hook_error = UMF_RESULT_SUCCESS;
        LOG_ERR("jemalloc experimental.arenas_create_ext failed: %s", strerror(err));
        return rc;
    }
    return UMF_RESULT_SUCCESS;
}

static int arena_of_flags(int flags) { return ((flags >> 20) & 0xfff) - 1; }

static void destroy_arena(unsigned index) {
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "arena.%u.destroy", index);
    int err = je_mallctl(cmd, NULL, NULL, NULL, 0);
    if (err != 0) {
        LOG_WARN("jemalloc %s failed: %s", cmd, strerror(err));
    }
}

/* The flags of the calling thread's arena, creating it on first use; 0 when it cannot be created. */
static int arena_flags_slow(jp_pool_t *p, size_t slot) {
    pthread_mutex_lock(&p->create_lock);
    int flags = atomic_load_explicit(&p->flags[slot], memory_order_acquire);
    if (flags == 0) {
        unsigned index;
        umf_result_t rc = create_arena(p, &index);
        if (rc == UMF_RESULT_SUCCESS) {
            flags = MALLOCX_ARENA(index);
            atomic_store_explicit(&p->flags[slot], flags, memory_order_release);
        } else {
            tls_last_error = rc;
        }
    }
    pthread_mutex_unlock(&p->create_lock);
    return flags;
}

static inline int arena_flags(jp_pool_t *p) {
    size_t slot = thread_no() % p->n_arenas;
    int flags = atomic_load_explicit(&p->flags[slot], memory_order_acquire);
    if (UMF_UNLIKELY(flags == 0)) {
        flags = arena_flags_slow(p, slot);
    }
    return flags;
}

/* This thread's explicit tcache for the pool, created on first use; MALLOCX_TCACHE_NONE without. */
static int thread_tcache_flags(jp_pool_t *p) {
    if (!p->have_key) {
        return MALLOCX_TCACHE_NONE;
    }
    struct jp_tcache_node_t *node = pthread_getspecific(p->key);
    if (node == NULL) {
        node = malloc(sizeof(*node));
        unsigned tc = 0;
        size_t len = sizeof(tc);
        if (node == NULL || je_mallctl("tcache.create", &tc, &len, NULL, 0) != 0) {
            free(node);
            return MALLOCX_TCACHE_NONE;
        }
        node->tcache = tc;
        pthread_mutex_lock(&p->tcaches_lock);
        node->next = p->tcaches;
        p->tcaches = node;
        pthread_mutex_unlock(&p->tcaches_lock);
        pthread_setspecific(p->key, node);
    }
    return MALLOCX_TCACHE(node->tcache);
}

static struct jp_tls_t *thread_flags_slow(jp_pool_t *p, struct jp_tls_t *t) {
    int arena = arena_flags(p);
    if (arena == 0) {
        return NULL;
    }
    int tcache = thread_tcache_flags(p);
    t->pool = p;
    t->id = p->id;
    t->alloc_flags = arena | tcache;
    t->free_flags = tcache;
    return t;
}

/* The calling thread's flags for the pool; NULL when its arena cannot be created. */
static inline struct jp_tls_t *thread_flags(jp_pool_t *p) {
    struct jp_tls_t *t = &tls_last_pool;
    if (UMF_LIKELY(t->pool == p && t->id == p->id)) {
        return t;
    }
    return thread_flags_slow(p, t);
}

static umf_result_t failed_alloc_error(void) {
    umf_result_t rc = tls_hook_error;
    tls_hook_error = UMF_RESULT_SUCCESS;
    return rc != UMF_RESULT_SUCCESS ? rc : UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
}

static size_t default_arena_count(void) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t n = cpus > 0 ? (size_t)cpus * 4 : 4;
    return n > JE_MAX_ARENAS ? JE_MAX_ARENAS : n;
}

/* Split support is checked on a real allocation: two pages, split, merged back, freed. */
static umf_result_t probe_split(umf_memory_provider_handle_t provider) {
    size_t page = 0;
    if (umfMemoryProviderGetMinPageSize(provider, NULL, &page) != UMF_RESULT_SUCCESS || page == 0) {
        page = umf_page_size();
    }
    void *ptr = NULL;
    umf_result_t rc = umfMemoryProviderAlloc(provider, 2 * page, 0, &ptr);
    if (rc != UMF_RESULT_SUCCESS || ptr == NULL) {
        LOG_ERR("the provider cannot allocate: %d", (int)rc);
        return rc != UMF_RESULT_SUCCESS ? rc : UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    rc = umfMemoryProviderAllocationSplit(provider, ptr, 2 * page, page);
    if (rc != UMF_RESULT_SUCCESS) {
        umfMemoryProviderFree(provider, ptr, 2 * page);
        LOG_ERR("the jemalloc pool needs a provider that can split allocations (split returned %d)", (int)rc);
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    if (umfMemoryProviderAllocationMerge(provider, ptr, (char *)ptr + page, 2 * page) == UMF_RESULT_SUCCESS) {
        umfMemoryProviderFree(provider, ptr, 2 * page);
    } else {
        umfMemoryProviderFree(provider, ptr, page);
        umfMemoryProviderFree(provider, (char *)ptr + page, page);
    }
    return UMF_RESULT_SUCCESS;
}

static umf_result_t jp_initialize(umf_memory_provider_handle_t provider, const void *params, void **pool) {
    if (provider == NULL || pool == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    const struct umf_jemalloc_pool_params_t *prm = params;
    size_t n = prm != NULL && prm->n_arenas != 0 ? prm->n_arenas : default_arena_count();
    if (n > JE_MAX_ARENAS) {
        LOG_ERR("%zu arenas asked, at most %d", n, JE_MAX_ARENAS);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    jp_init();
    umf_result_t rc = probe_split(provider);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    jp_pool_t *p = calloc(1, sizeof(*p));
    _Atomic int *flags = calloc(n, sizeof(*flags));
    if (p == NULL || flags == NULL) {
        free(p);
        free(flags);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->hooks = HOOKS;
    p->provider = provider;
    p->n_arenas = n;
    p->flags = flags;
    pthread_mutex_init(&p->create_lock, NULL);
    pthread_mutex_init(&p->blocks_lock, NULL);
    pthread_mutex_init(&p->tcaches_lock, NULL);
    p->id = atomic_fetch_add_explicit(&g_pool_ids, 1, memory_order_relaxed) + 1;
    p->have_key = pthread_key_create(&p->key, NULL) == 0;
    umf_strlcpy(p->name, prm != NULL ? prm->name : JE_DEFAULT_NAME, sizeof(p->name));
    /* The creating thread's arena now, so that a pool that cannot get memory fails here. */
    size_t slot = thread_no() % n;
    unsigned index;
    rc = create_arena(p, &index);
    if (rc != UMF_RESULT_SUCCESS) {
        pthread_mutex_destroy(&p->create_lock);
        pthread_mutex_destroy(&p->blocks_lock);
        pthread_mutex_destroy(&p->tcaches_lock);
        if (p->have_key) {
            pthread_key_delete(p->key);
        }
        free(p->blocks);
        free(flags);
        free(p);
        return rc;
    }
    umf_xstats_init(&p->xs);
    atomic_store_explicit(&flags[slot], MALLOCX_ARENA(index), memory_order_release);
    *pool = p;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t jp_finalize(void *pool) {
    jp_pool_t *p = pool;
    /* the tcaches go first: destroying one flushes what it caches into the pool's arenas */
    pthread_mutex_lock(&p->tcaches_lock);
    struct jp_tcache_node_t *node = p->tcaches;
    p->tcaches = NULL;
    pthread_mutex_unlock(&p->tcaches_lock);
    while (node != NULL) {
        struct jp_tcache_node_t *next = node->next;
        unsigned tc = node->tcache;
        int err = je_mallctl("tcache.destroy", NULL, NULL, &tc, sizeof(tc));
        if (err != 0) {
            LOG_WARN("jemalloc tcache.destroy %u failed: %s", tc, strerror(err));
        }
        free(node);
        node = next;
    }
    if (p->have_key) {
        pthread_key_delete(p->key);
    }
    if (tls_last_pool.pool == p) {
        tls_last_pool.pool = NULL;
    }
    for (size_t i = 0; i < p->n_arenas; i++) {
        int flags = atomic_load_explicit(&p->flags[i], memory_order_acquire);
        if (flags != 0) {
            destroy_arena((unsigned)arena_of_flags(flags)); /* frees every allocation left in it */
        }
    }
    pthread_mutex_destroy(&p->create_lock);
    pthread_mutex_destroy(&p->blocks_lock);
    pthread_mutex_destroy(&p->tcaches_lock);
    free(p->blocks);
    umf_xstats_fini(&p->xs);
    free((void *)p->flags);
    free(p);
    return UMF_RESULT_SUCCESS;
}

static void *jp_alloc(jp_pool_t *p, size_t size, int extra_flags) {
    struct jp_tls_t *t = thread_flags(p);
    if (UMF_UNLIKELY(t == NULL)) {
        return NULL; /* tls_last_error set */
    }
    /* mallocx(0) is undefined in jemalloc; like malloc(0), give a unique minimal block. */
    void *ptr = je_mallocx(size != 0 ? size : 1, t->alloc_flags | extra_flags);
    if (UMF_UNLIKELY(ptr == NULL)) {
        tls_last_error = failed_alloc_error();
        return NULL;
    }
    return ptr;
}

static void *jp_raw_malloc(void *pool, size_t size) { return jp_alloc(pool, size, 0); }

static void *jp_raw_calloc(void *pool, size_t num, size_t size) {
    size_t total;
    if (UMF_UNLIKELY(__builtin_mul_overflow(num, size, &total))) {
        tls_last_error = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        return NULL;
    }
    return jp_alloc(pool, total, MALLOCX_ZERO);
}

static void *jp_raw_aligned_malloc(void *pool, size_t size, size_t alignment) {
    if (alignment <= 1) {
        return jp_alloc(pool, size, 0);
    }
    if (UMF_UNLIKELY(!IS_POWER_OF_2(alignment))) {
        tls_last_error = UMF_RESULT_ERROR_INVALID_ALIGNMENT;
        return NULL;
    }
    return jp_alloc(pool, size, MALLOCX_LG_ALIGN(__builtin_ctzl(alignment)));
}

static umf_result_t jp_raw_free(void *pool, void *ptr) {
    if (ptr != NULL) {
        struct jp_tls_t *t = thread_flags(pool);
        je_dallocx(ptr, t != NULL ? t->free_flags : MALLOCX_TCACHE_NONE);
    }
    return UMF_RESULT_SUCCESS;
}

static void *jp_raw_realloc(void *pool, void *ptr, size_t size) {
    if (ptr == NULL) {
        return jp_alloc(pool, size, 0);
    }
    if (size == 0) {
        jp_raw_free(pool, ptr);
        tls_last_error = UMF_RESULT_SUCCESS;
        return NULL;
    }
    struct jp_tls_t *t = thread_flags(pool);
    if (UMF_UNLIKELY(t == NULL)) {
        return NULL;
    }
    void *out = je_rallocx(ptr, size, t->alloc_flags);
    if (UMF_UNLIKELY(out == NULL)) {
        tls_last_error = failed_alloc_error(); /* ptr is still valid */
    }
    return out;
}

static umf_result_t jp_usable_size(void *pool, const void *ptr, size_t *size) {
    if (size == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *size = ptr != NULL ? je_sallocx(ptr, 0) : 0;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t jp_last_error(void *pool) { return tls_last_error; }

static umf_result_t jp_get_name(void *pool, const char **name) {
    if (name == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *name = pool != NULL ? ((jp_pool_t *)pool)->name : JE_DEFAULT_NAME;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t jp_ctl(void *pool, umf_ctl_query_source_t source, const char *name, void *arg, size_t size,
                           umf_ctl_query_type_t queryType, va_list args) {
    if (name != NULL && strcmp(name, "post_initialize") == 0 && queryType == CTL_QUERY_RUNNABLE) {
        return umf_xstats_seal(JP_XS(pool));
    }
    return umf_xstats_ctl(JP_XS(pool), source, name, arg, size, queryType, args);
}

/* Bytes of unused pages an arena keeps (dirty and muzzy), from its statistics. */
static size_t arena_cached_bytes(unsigned index) {
    char path[96];
    size_t pages = 0, total = 0, len = sizeof(pages);
    snprintf(path, sizeof(path), "stats.arenas.%u.pdirty", index);
    if (je_mallctl(path, &pages, &len, NULL, 0) == 0) {
        total += pages;
    }
    len = sizeof(pages);
    snprintf(path, sizeof(path), "stats.arenas.%u.pmuzzy", index);
    if (je_mallctl(path, &pages, &len, NULL, 0) == 0) {
        total += pages;
    }
    return total * umf_page_size();
}

/* Purges whole arenas (arena.<i>.purge: unused pages are purged through the provider's
 * PurgeForce/PurgeLazy, and unused whole provider blocks freed, see hook_dalloc) as long as
 * the unused memory left is still at least minBytesToKeep. Blocks in the calling and other
 * threads' tcaches (small sizes) stay cached until the pool is destroyed. */
static umf_result_t jp_trim(void *pool, size_t minBytesToKeep) {
    jp_pool_t *p = pool;
    uint64_t epoch = 1;
    size_t elen = sizeof(epoch);
    je_mallctl("epoch", &epoch, &elen, &epoch, sizeof(epoch)); /* refresh the statistics */
    size_t cached[64], total = 0, n_known = 0;
    for (size_t i = 0; i < p->n_arenas; i++) {
        int flags = atomic_load_explicit(&p->flags[i], memory_order_acquire);
        size_t c = flags != 0 ? arena_cached_bytes((unsigned)arena_of_flags(flags)) : 0;
        if (i < UMF_ARRAY_SIZE(cached)) {
            cached[i] = c;
            n_known = i + 1;
        }
        total += c;
    }
    for (size_t i = 0; i < p->n_arenas && total > minBytesToKeep; i++) {
        int flags = atomic_load_explicit(&p->flags[i], memory_order_acquire);
        if (flags == 0) {
            continue;
        }
        unsigned index = (unsigned)arena_of_flags(flags);
        size_t c = i < n_known ? cached[i] : arena_cached_bytes(index);
        if (c == 0 || total - c < minBytesToKeep) {
            continue;
        }
        char cmd[64];
        snprintf(cmd, sizeof(cmd), "arena.%u.purge", index);
        int err = je_mallctl(cmd, NULL, NULL, NULL, 0);
        if (err != 0) {
            LOG_ERR("jemalloc %s failed: %s", cmd, strerror(err));
            return UMF_RESULT_ERROR_UNKNOWN;
        }
        total -= c;
    }
    return UMF_RESULT_SUCCESS;
}

/* The ops: the functions above, or while params.extended_stats is on, their counted versions. */
UMF_XSTATS_DEFINE_OPS(jp, JP_XS)

static const umf_memory_pool_ops_t JEMALLOC_POOL_OPS = {
    .version = UMF_POOL_OPS_VERSION_CURRENT,
    .initialize = jp_initialize,
    .finalize = jp_finalize,
    .malloc = jp_malloc,
    .calloc = jp_calloc,
    .realloc = jp_realloc,
    .aligned_malloc = jp_aligned_malloc,
    .malloc_usable_size = jp_usable_size,
    .free = jp_free,
    .get_last_allocation_error = jp_last_error,
    .get_name = jp_get_name,
    .ext_ctl = jp_ctl,
    .ext_trim_memory = jp_trim,
};

const umf_memory_pool_ops_t *umfJemallocPoolOps(void) { return &JEMALLOC_POOL_OPS; }

umf_result_t umfJemallocPoolParamsCreate(umf_jemalloc_pool_params_handle_t *hParams) {
    if (hParams == NULL) {
        LOG_ERR("hParams is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    struct umf_jemalloc_pool_params_t *prm = calloc(1, sizeof(*prm));
    if (prm == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    umf_strlcpy(prm->name, JE_DEFAULT_NAME, sizeof(prm->name));
    *hParams = prm;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfJemallocPoolParamsDestroy(umf_jemalloc_pool_params_handle_t hParams) {
    free(hParams);
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfJemallocPoolParamsSetNumArenas(umf_jemalloc_pool_params_handle_t hParams, size_t numArenas) {
    if (hParams == NULL) {
        LOG_ERR("hParams is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (numArenas > JE_MAX_ARENAS) {
        LOG_ERR("%zu arenas asked, at most %d", numArenas, JE_MAX_ARENAS);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    hParams->n_arenas = numArenas;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfJemallocPoolParamsSetName(umf_jemalloc_pool_params_handle_t hParams, const char *name) {
    CHECK_PARAMS_HANDLE(hParams);
    return umf_params_set_name(hParams->name, sizeof(hParams->name), name, true);
}

#endif /* UMF_HAVE_JEMALLOC */
