/*
 * The jemalloc pool: jemalloc arenas whose extents (the large blocks jemalloc carves
 * allocations from) come from the pool's provider through custom extent hooks.
 *
 * How jemalloc gets into the process
 * ----------------------------------
 * We use Debian's libjemalloc (5.3), whose symbols are not prefixed: it exports malloc,
 * free, mallocx, mallctl... Whatever we do must leave the process's own malloc on glibc
 * (Node's heap, and every library that frees what another allocated).
 *
 *  - Linking libjemalloc.so.2 as a dependency of libumf.so would put it in the global
 *    symbol scope of a program linked to libumf, where its malloc can win over glibc's.
 *  - Linking the static libjemalloc_pic.a into libumf.so with its symbols made local
 *    would make every malloc()/free() inside libumf itself bind to jemalloc's copy,
 *    while memory crosses the libumf/libc border both ways (strdup, getline, hwloc...).
 *    Its code also uses initial-exec TLS, so libumf.so would get the STATIC_TLS flag
 *    and could no longer be dlopen()ed by Node at all (see below).
 *
 * So libjemalloc.so.2 is dlopen()ed with RTLD_LOCAL when the first jemalloc pool is
 * created, and only mallocx/rallocx/dallocx/sallocx/mallctl are taken from it with
 * dlsym(). RTLD_LOCAL keeps all its symbols out of the global scope: malloc in the
 * process stays glibc's (the pool_jemalloc test checks this). The library is never
 * closed: it registers fork handlers and thread-exit destructors.
 * <jemalloc/jemalloc.h> is included only for extent_hooks_t and the MALLOCX_* flags;
 * libumf does not link against jemalloc (--no-undefined would catch a direct call).
 *
 * Static TLS: Debian builds jemalloc with initial-exec TLS (about 2.6 KiB, the ELF flag
 * STATIC_TLS). glibc can place such a library loaded by dlopen() only in the small
 * surplus of static TLS it reserves at start-up, which is too small by default, and
 * dlopen() then fails with "cannot allocate memory in static TLS block". A process that
 * wants the jemalloc pool must start with a larger surplus, for example
 *     GLIBC_TUNABLES=glibc.rtld.optional_static_tls=16384
 * (Node included). Without it pool creation fails cleanly with
 * UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE and an error log line saying so.
 *
 * The library name can be replaced with the environment variable UMF_JEMALLOC_LIB_NAME
 * (tests use it to check the missing-library path).
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

#include "base/dl.h"
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

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include <jemalloc/jemalloc.h>

/* ---- the library, loaded once ---- */

/* Gives a thread's number back when it exits (see thread_no_take). */
static pthread_key_t g_thread_key;
static _Atomic bool g_have_thread_key;
static void thread_no_release(void *value);

typedef struct je_api_t {
    void *(*mallocx)(size_t size, int flags);
    void *(*rallocx)(void *ptr, size_t size, int flags);
    void (*dallocx)(void *ptr, int flags);
    size_t (*sallocx)(const void *ptr, int flags);
    int (*mallctl)(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen);
} je_api_t;

static je_api_t g_je;
static umf_result_t g_je_status = UMF_RESULT_ERROR_UNKNOWN;
static pthread_once_t g_je_once = PTHREAD_ONCE_INIT;

static const umf_dl_symbol_t JE_SYMBOLS[] = {
    {"mallocx", offsetof(je_api_t, mallocx), false}, {"rallocx", offsetof(je_api_t, rallocx), false},
    {"dallocx", offsetof(je_api_t, dallocx), false}, {"sallocx", offsetof(je_api_t, sallocx), false},
    {"mallctl", offsetof(je_api_t, mallctl), false},
};

static void je_load_once(void) {
    const char *lib;
    const char *why;
    /* RTLD_LOCAL: none of its symbols (malloc above all) may join the global scope.
     * RTLD_NODELETE: it is never unloaded, even by a stray dlclose. */
    void *h = umf_dl_open("UMF_JEMALLOC_LIB_NAME", "libjemalloc.so.2", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE, &lib,
                          &why);
    if (h == NULL) {
        LOG_ERR("cannot load %s: %s. The jemalloc pool needs Debian's package libjemalloc2 (apt-get install "
                "libjemalloc2); if the error is \"cannot allocate memory in static TLS block\", start the process "
                "with GLIBC_TUNABLES=glibc.rtld.optional_static_tls=16384",
                lib, why);
        g_je_status = UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE;
        return;
    }
    je_api_t api;
    if (umf_dl_resolve(h, JE_SYMBOLS, UMF_ARRAY_SIZE(JE_SYMBOLS), &api, sizeof(api)) != NULL) {
        LOG_ERR("%s does not export mallocx/rallocx/dallocx/sallocx/mallctl: not jemalloc 5", lib);
        dlclose(h);
        g_je_status = UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE;
        return;
    }
    g_je = api;
    g_have_thread_key = pthread_key_create(&g_thread_key, thread_no_release) == 0;
    g_je_status = UMF_RESULT_SUCCESS;
    LOG_DEBUG("loaded %s", lib);
}

static umf_result_t je_load(void) {
    pthread_once(&g_je_once, je_load_once);
    return g_je_status;
}

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
__attribute__((destructor)) static void je_thread_key_unload(void) {
    if (g_have_thread_key) {
        g_have_thread_key = false;
        pthread_key_delete(g_thread_key);
    }
}

/* ---- the pool ---- */

typedef struct je_pool_t {
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
    struct je_block_t {
        void *addr;
        size_t size;
    } *blocks;
    size_t blocks_cap, blocks_used;
    /* The explicit tcaches of the threads that used the pool. */
    uint64_t id; /* unique over the process's life: tells a new pool at a freed address apart */
    bool have_key;
    pthread_key_t key; /* per thread: its je_tcache_node_t, or NULL */
    pthread_mutex_t tcaches_lock;
    struct je_tcache_node_t {
        struct je_tcache_node_t *next;
        unsigned tcache;
    } *tcaches;
    char name[JE_NAME_MAX];
} je_pool_t;

static _Atomic uint64_t g_pool_ids;

/* The flags of the last pool this thread used (one thread-local access on the fast path). */
static __thread struct je_tls_t {
    const je_pool_t *pool;
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
static bool blocks_add(je_pool_t *p, void *addr, size_t size) {
    bool ok = true;
    pthread_mutex_lock(&p->blocks_lock);
    if ((p->blocks_used + 1) * 2 > p->blocks_cap) {
        size_t cap = p->blocks_cap ? p->blocks_cap * 2 : 64;
        struct je_block_t *nb = calloc(cap, sizeof(*nb));
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
static bool blocks_take_whole(je_pool_t *p, void *addr, size_t size) {
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

static inline je_pool_t *pool_of(extent_hooks_t *h) { return (je_pool_t *)h; }

static void *hook_alloc(extent_hooks_t *h, void *new_addr, size_t size, size_t alignment, bool *zero,
                        bool *commit, unsigned arena_ind) {
    if (new_addr != NULL) {
        return NULL; /* a provider cannot place memory at a chosen address; jemalloc copes */
    }
    je_pool_t *p = pool_of(h);
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
    je_pool_t *p = pool_of(h);
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

static umf_result_t create_arena(je_pool_t *p, unsigned *index) {
    extent_hooks_t *hooks = &p->hooks;
    size_t len = sizeof(*index);
    tls_hook_error = UMF_RESULT_SUCCESS;
    int err = g_je.mallctl("arenas.create", index, &len, &hooks, sizeof(hooks));
    if (err != 0) {
        umf_result_t rc = tls_hook_error != UMF_RESULT_SUCCESS ? tls_hook_error : UMF_RESULT_ERROR_OUT_OF_RESOURCES;
        tls_hook_error = UMF_RESULT_SUCCESS;
        LOG_ERR("jemalloc arenas.create failed: %s", strerror(err));
        return rc;
    }
    return UMF_RESULT_SUCCESS;
}

static int arena_of_flags(int flags) { return ((flags >> 20) & 0xfff) - 1; }

static void destroy_arena(unsigned index) {
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "arena.%u.destroy", index);
    int err = g_je.mallctl(cmd, NULL, NULL, NULL, 0);
    if (err != 0) {
        LOG_WARN("jemalloc %s failed: %s", cmd, strerror(err));
    }
}

/* The flags of the calling thread's arena, creating it on first use; 0 when it cannot be created. */
static int arena_flags_slow(je_pool_t *p, size_t slot) {
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

static inline int arena_flags(je_pool_t *p) {
    size_t slot = thread_no() % p->n_arenas;
    int flags = atomic_load_explicit(&p->flags[slot], memory_order_acquire);
    if (UMF_UNLIKELY(flags == 0)) {
        flags = arena_flags_slow(p, slot);
    }
    return flags;
}

/* This thread's explicit tcache for the pool, created on first use; MALLOCX_TCACHE_NONE without. */
static int thread_tcache_flags(je_pool_t *p) {
    if (!p->have_key) {
        return MALLOCX_TCACHE_NONE;
    }
    struct je_tcache_node_t *node = pthread_getspecific(p->key);
    if (node == NULL) {
        node = malloc(sizeof(*node));
        unsigned tc = 0;
        size_t len = sizeof(tc);
        if (node == NULL || g_je.mallctl("tcache.create", &tc, &len, NULL, 0) != 0) {
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

static struct je_tls_t *thread_flags_slow(je_pool_t *p, struct je_tls_t *t) {
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
static inline struct je_tls_t *thread_flags(je_pool_t *p) {
    struct je_tls_t *t = &tls_last_pool;
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

static umf_result_t je_initialize(umf_memory_provider_handle_t provider, const void *params, void **pool) {
    if (provider == NULL || pool == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    const struct umf_jemalloc_pool_params_t *prm = params;
    size_t n = prm != NULL && prm->n_arenas != 0 ? prm->n_arenas : default_arena_count();
    if (n > JE_MAX_ARENAS) {
        LOG_ERR("%zu arenas asked, at most %d", n, JE_MAX_ARENAS);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = je_load();
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    rc = probe_split(provider);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    je_pool_t *p = calloc(1, sizeof(*p));
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
    atomic_store_explicit(&flags[slot], MALLOCX_ARENA(index), memory_order_release);
    *pool = p;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t je_finalize(void *pool) {
    je_pool_t *p = pool;
    /* the tcaches go first: destroying one flushes what it caches into the pool's arenas */
    pthread_mutex_lock(&p->tcaches_lock);
    struct je_tcache_node_t *node = p->tcaches;
    p->tcaches = NULL;
    pthread_mutex_unlock(&p->tcaches_lock);
    while (node != NULL) {
        struct je_tcache_node_t *next = node->next;
        unsigned tc = node->tcache;
        int err = g_je.mallctl("tcache.destroy", NULL, NULL, &tc, sizeof(tc));
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
    free((void *)p->flags);
    free(p);
    return UMF_RESULT_SUCCESS;
}

static void *je_alloc(je_pool_t *p, size_t size, int extra_flags) {
    struct je_tls_t *t = thread_flags(p);
    if (UMF_UNLIKELY(t == NULL)) {
        return NULL; /* tls_last_error set */
    }
    /* mallocx(0) is undefined in jemalloc; like malloc(0), give a unique minimal block. */
    void *ptr = g_je.mallocx(size != 0 ? size : 1, t->alloc_flags | extra_flags);
    if (UMF_UNLIKELY(ptr == NULL)) {
        tls_last_error = failed_alloc_error();
        return NULL;
    }
    return ptr;
}

static void *je_malloc(void *pool, size_t size) { return je_alloc(pool, size, 0); }

static void *je_calloc(void *pool, size_t num, size_t size) {
    size_t total;
    if (UMF_UNLIKELY(__builtin_mul_overflow(num, size, &total))) {
        tls_last_error = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        return NULL;
    }
    return je_alloc(pool, total, MALLOCX_ZERO);
}

static void *je_aligned_malloc(void *pool, size_t size, size_t alignment) {
    if (alignment <= 1) {
        return je_alloc(pool, size, 0);
    }
    if (UMF_UNLIKELY(!IS_POWER_OF_2(alignment))) {
        tls_last_error = UMF_RESULT_ERROR_INVALID_ALIGNMENT;
        return NULL;
    }
    return je_alloc(pool, size, MALLOCX_LG_ALIGN(__builtin_ctzl(alignment)));
}

static umf_result_t je_free(void *pool, void *ptr) {
    if (ptr != NULL) {
        struct je_tls_t *t = thread_flags(pool);
        g_je.dallocx(ptr, t != NULL ? t->free_flags : MALLOCX_TCACHE_NONE);
    }
    return UMF_RESULT_SUCCESS;
}

static void *je_realloc(void *pool, void *ptr, size_t size) {
    if (ptr == NULL) {
        return je_alloc(pool, size, 0);
    }
    if (size == 0) {
        je_free(pool, ptr);
        tls_last_error = UMF_RESULT_SUCCESS;
        return NULL;
    }
    struct je_tls_t *t = thread_flags(pool);
    if (UMF_UNLIKELY(t == NULL)) {
        return NULL;
    }
    void *out = g_je.rallocx(ptr, size, t->alloc_flags);
    if (UMF_UNLIKELY(out == NULL)) {
        tls_last_error = failed_alloc_error(); /* ptr is still valid */
    }
    return out;
}

static umf_result_t je_usable_size(void *pool, const void *ptr, size_t *size) {
    if (size == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *size = ptr != NULL ? g_je.sallocx(ptr, 0) : 0;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t je_last_error(void *pool) { return tls_last_error; }

static umf_result_t je_get_name(void *pool, const char **name) {
    if (name == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *name = pool != NULL ? ((je_pool_t *)pool)->name : JE_DEFAULT_NAME;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t je_ctl(void *pool, umf_ctl_query_source_t source, const char *name, void *arg, size_t size,
                           umf_ctl_query_type_t queryType, va_list args) {
    if (name != NULL && strcmp(name, "post_initialize") == 0 && queryType == CTL_QUERY_RUNNABLE) {
        return UMF_RESULT_SUCCESS;
    }
    return UMF_RESULT_ERROR_INVALID_CTL_PATH;
}

/* Bytes of unused pages an arena keeps (dirty and muzzy), from its statistics. */
static size_t arena_cached_bytes(unsigned index) {
    char path[96];
    size_t pages = 0, total = 0, len = sizeof(pages);
    snprintf(path, sizeof(path), "stats.arenas.%u.pdirty", index);
    if (g_je.mallctl(path, &pages, &len, NULL, 0) == 0) {
        total += pages;
    }
    len = sizeof(pages);
    snprintf(path, sizeof(path), "stats.arenas.%u.pmuzzy", index);
    if (g_je.mallctl(path, &pages, &len, NULL, 0) == 0) {
        total += pages;
    }
    return total * umf_page_size();
}

/* Purges whole arenas (arena.<i>.purge: unused pages are purged through the provider's
 * PurgeForce/PurgeLazy, and unused whole provider blocks freed, see hook_dalloc) as long as
 * the unused memory left is still at least minBytesToKeep. Blocks in the calling and other
 * threads' tcaches (small sizes) stay cached until the pool is destroyed. */
static umf_result_t je_trim(void *pool, size_t minBytesToKeep) {
    je_pool_t *p = pool;
    uint64_t epoch = 1;
    size_t elen = sizeof(epoch);
    g_je.mallctl("epoch", &epoch, &elen, &epoch, sizeof(epoch)); /* refresh the statistics */
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
        int err = g_je.mallctl(cmd, NULL, NULL, NULL, 0);
        if (err != 0) {
            LOG_ERR("jemalloc %s failed: %s", cmd, strerror(err));
            return UMF_RESULT_ERROR_UNKNOWN;
        }
        total -= c;
    }
    return UMF_RESULT_SUCCESS;
}

static const umf_memory_pool_ops_t JEMALLOC_POOL_OPS = {
    .version = UMF_POOL_OPS_VERSION_CURRENT,
    .initialize = je_initialize,
    .finalize = je_finalize,
    .malloc = je_malloc,
    .calloc = je_calloc,
    .realloc = je_realloc,
    .aligned_malloc = je_aligned_malloc,
    .malloc_usable_size = je_usable_size,
    .free = je_free,
    .get_last_allocation_error = je_last_error,
    .get_name = je_get_name,
    .ext_ctl = je_ctl,
    .ext_trim_memory = je_trim,
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
