/* The memory pool API: creating pools over providers, allocating from them, finding a pointer's pool. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <umf/memory_pool.h>

#include "base/ctl_value.h"
#include "core/core.h"
#include "core/ctl_internal.h"

/* Live-allocation counter of a pool that does not count itself: a thread adds to its own stripe
 * (a cache line of its own), so threads do not contend; a read sums the stripes. */
#define UMF_COUNT_STRIPES 16
struct umf_count_stripe {
    _Atomic long long n;
    char pad[64 - sizeof(long long)];
};

static __thread unsigned tls_stripe = UINT32_MAX;
static atomic_uint g_next_stripe;

static inline void count_add(umf_memory_pool_handle_t h, long long d) {
    unsigned s = tls_stripe;
    if (UMF_UNLIKELY(s == UINT32_MAX)) {
        s = tls_stripe = atomic_fetch_add_explicit(&g_next_stripe, 1, memory_order_relaxed) % UMF_COUNT_STRIPES;
    }
    atomic_fetch_add_explicit(&h->stripes[s].n, d, memory_order_relaxed);
}

static size_t pool_alloc_count(umf_memory_pool_handle_t h) {
    if (h->live_count) {
        return h->live_count(h->priv);
    }
    long long sum = 0;
    for (int i = 0; i < UMF_COUNT_STRIPES; i++) {
        sum += atomic_load_explicit(&h->stripes[i].n, memory_order_relaxed);
    }
    /* a read racing a malloc on one stripe and its free on another may see the free first */
    return sum > 0 ? (size_t)sum : 0;
}

umf_result_t umf_pool_ctl_query(umf_memory_pool_handle_t h, umf_ctl_query_source_t source, const char *name,
                                void *arg, size_t size, umf_ctl_query_type_t type, va_list args) {
    /* the generic nodes first, then the pool's own */
    if (strcmp(name, "stats.alloc_count") == 0) {
        if (type != CTL_QUERY_READ) {
            return UMF_RESULT_ERROR_NOT_SUPPORTED;
        }
        return umf_ctl_out_size(arg, size, pool_alloc_count(h));
    }
    return h->ops.ext_ctl(h->priv, source, name, arg, size, type, args);
}

/* One default of umf.pool.default.<name>: a write to the new pool (its answer only logged, as in UMF). */
static void apply_pool_default(void *ctx, umf_ctl_query_source_t source, const char *key, void *value, size_t size) {
    umf_result_t rc = umf_pool_run_ctl(ctx, source, key, value, size, CTL_QUERY_WRITE);
    if (rc != UMF_RESULT_SUCCESS) {
        LOG_WARN("pool default %s not applied: %d", key, rc);
    }
}

#define POOL_OPS_V1_0_SIZE offsetof(umf_memory_pool_ops_t, ext_trim_memory)

static umf_result_t default_pool_ctl(void *pool, umf_ctl_query_source_t source, const char *name, void *arg,
                                     size_t size, umf_ctl_query_type_t type, va_list args) {
    return UMF_RESULT_ERROR_INVALID_CTL_PATH;
}

static umf_result_t default_trim(void *pool, size_t minBytesToKeep) { return UMF_RESULT_ERROR_NOT_SUPPORTED; }

/* The IPC component, when built in, closes the IPC mappings opened through the pool's handler. */
extern void umf_ipc_on_pool_destroy(umf_memory_pool_handle_t h) __attribute__((weak));

static umf_result_t normalize_pool_ops(const umf_memory_pool_ops_t *in, umf_memory_pool_ops_t *out) {
    if (UMF_MAJOR_VERSION(in->version) != 1 || UMF_MINOR_VERSION(in->version) > 1) {
        LOG_ERR("unsupported pool ops version %u.%u (this library implements 1.1)", UMF_MAJOR_VERSION(in->version),
                UMF_MINOR_VERSION(in->version));
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    memset(out, 0, sizeof(*out));
    if (in->version == UMF_POOL_OPS_VERSION_CURRENT) {
        *out = *in;
    } else {
        LOG_WARN("pool ops version 1.0: upgrading to 1.1");
        memcpy(out, in, POOL_OPS_V1_0_SIZE);
    }
    /* UMF does not check these; a NULL op would crash at its first use, so refuse it here. */
    if (!out->initialize || !out->finalize || !out->malloc || !out->calloc || !out->realloc ||
        !out->aligned_malloc || !out->malloc_usable_size || !out->free || !out->get_last_allocation_error ||
        !out->get_name) {
        LOG_ERR("a mandatory pool op is missing");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (!out->ext_ctl) out->ext_ctl = default_pool_ctl;
    if (!out->ext_trim_memory) out->ext_trim_memory = default_trim;
    out->version = UMF_POOL_OPS_VERSION_CURRENT;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umf_pool_run_ctl(umf_memory_pool_handle_t h, umf_ctl_query_source_t source, const char *name, void *arg,
                              size_t size, umf_ctl_query_type_t type, ...) {
    va_list args;
    va_start(args, type);
    umf_result_t rc = h->ops.ext_ctl(h->priv, source, name, arg, size, type, args);
    va_end(args);
    return rc;
}

umf_result_t umfPoolCreate(const umf_memory_pool_ops_t *ops, umf_memory_provider_handle_t provider,
                           const void *params, umf_pool_create_flags_t flags, umf_memory_pool_handle_t *hPool) {
    if (ops == NULL || provider == NULL || hPool == NULL ||
        (flags & ~(umf_pool_create_flags_t)(UMF_POOL_CREATE_FLAG_OWN_PROVIDER |
                                            UMF_POOL_CREATE_FLAG_DISABLE_TRACKING)) != 0) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_memory_pool_handle_t pool = calloc(1, sizeof(*pool));
    if (pool == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    umf_result_t rc = normalize_pool_ops(ops, &pool->ops);
    if (rc != UMF_RESULT_SUCCESS) {
        free(pool);
        return rc;
    }
    pool->upstream = provider;
    pool->flags = flags;
    pthread_mutex_init(&pool->tag_lock, NULL);
    if (flags & UMF_POOL_CREATE_FLAG_DISABLE_TRACKING) {
        pool->provider = provider;
    } else if ((rc = umf_tracking_provider_create(provider, pool, &pool->provider)) != UMF_RESULT_SUCCESS) {
        goto fail_tracking;
    }
    rc = pool->ops.initialize(pool->provider, params, &pool->priv);
    if (rc != UMF_RESULT_SUCCESS) {
        LOG_DEBUG("pool initialize failed: %d", rc);
        goto fail_init;
    }
    const char *name = NULL;
    if (pool->ops.get_name(pool->priv, &name) != UMF_RESULT_SUCCESS || !umf_name_is_valid(name)) {
        LOG_WARN("pool name \"%s\" is not valid for CTL lookups", name ? name : "(null)");
        name = NULL;
    }
    /* Defaults are stored by the name of the kind of pool (get_name(NULL): "disjoint") and apply to
     * every pool of that kind; those stored under this pool's own name, when it differs, come after. */
    const char *kind = NULL;
    if (pool->ops.get_name(NULL, &kind) != UMF_RESULT_SUCCESS || !umf_name_is_valid(kind)) {
        kind = NULL;
    }
    if (kind) {
        umf_ctl_apply_defaults(UMF_CTL_KIND_POOL, kind, apply_pool_default, pool);
    }
    if (name && (kind == NULL || strcmp(kind, name) != 0)) {
        umf_ctl_apply_defaults(UMF_CTL_KIND_POOL, name, apply_pool_default, pool);
    }
    rc = umf_pool_run_ctl(pool, CTL_QUERY_PROGRAMMATIC, "post_initialize", NULL, 0, CTL_QUERY_RUNNABLE);
    if (rc != UMF_RESULT_SUCCESS && rc != UMF_RESULT_ERROR_INVALID_CTL_PATH) {
        LOG_ERR("pool post_initialize failed: %d", rc);
        pool->ops.finalize(pool->priv);
        goto fail_init;
    }
    pool->live_count = umf_disjoint_live_count_fn ? umf_disjoint_live_count_fn(ops) : NULL;
    if (pool->live_count == NULL) {
        pool->stripes = aligned_alloc(64, sizeof(struct umf_count_stripe) * UMF_COUNT_STRIPES);
        if (pool->stripes == NULL) {
            pool->ops.finalize(pool->priv);
            rc = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
            goto fail_init;
        }
        memset(pool->stripes, 0, sizeof(struct umf_count_stripe) * UMF_COUNT_STRIPES);
    }
    if (name) {
        umf_ctl_pool_register(pool, name);
    }
    *hPool = pool;
    return UMF_RESULT_SUCCESS;

fail_init:
    if (pool->provider != provider) {
        umfMemoryProviderDestroy(pool->provider);
    }
fail_tracking:
    pthread_mutex_destroy(&pool->tag_lock);
    free(pool);
    return rc;
}

umf_result_t umfPoolDestroy(umf_memory_pool_handle_t hPool) {
    if (hPool == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_ctl_pool_unregister(hPool);
    if (umf_ipc_on_pool_destroy) {
        umf_ipc_on_pool_destroy(hPool);
    }
    umf_result_t rc = hPool->ops.finalize(hPool->priv);
    if (hPool->provider != hPool->upstream) {
        umf_result_t rc2 = umfMemoryProviderDestroy(hPool->provider);
        rc = rc != UMF_RESULT_SUCCESS ? rc : rc2;
    }
    if (hPool->flags & UMF_POOL_CREATE_FLAG_OWN_PROVIDER) {
        umf_result_t rc2 = umfMemoryProviderDestroy(hPool->upstream);
        rc = rc != UMF_RESULT_SUCCESS ? rc : rc2;
    }
    pthread_mutex_destroy(&hPool->tag_lock);
    free(hPool->stripes);
    free(hPool);
    return rc;
}

void *umfPoolMalloc(umf_memory_pool_handle_t hPool, size_t size) {
    if (UMF_UNLIKELY(hPool == NULL)) {
        return NULL;
    }
    void *ptr = hPool->ops.malloc(hPool->priv, size);
    if (hPool->stripes && ptr) {
        count_add(hPool, 1);
    }
    return ptr;
}

void *umfPoolAlignedMalloc(umf_memory_pool_handle_t hPool, size_t size, size_t alignment) {
    if (UMF_UNLIKELY(hPool == NULL)) {
        return NULL;
    }
    void *ptr = hPool->ops.aligned_malloc(hPool->priv, size, alignment);
    if (hPool->stripes && ptr) {
        count_add(hPool, 1);
    }
    return ptr;
}

void *umfPoolCalloc(umf_memory_pool_handle_t hPool, size_t num, size_t size) {
    if (UMF_UNLIKELY(hPool == NULL)) {
        return NULL;
    }
    void *ptr = hPool->ops.calloc(hPool->priv, num, size);
    if (hPool->stripes && ptr) {
        count_add(hPool, 1);
    }
    return ptr;
}

void *umfPoolRealloc(umf_memory_pool_handle_t hPool, void *ptr, size_t size) {
    if (UMF_UNLIKELY(hPool == NULL)) {
        return NULL;
    }
    void *out = hPool->ops.realloc(hPool->priv, ptr, size);
    if (hPool->stripes) {
        /* realloc(NULL, n) is a malloc; realloc(p, 0) giving NULL is a free */
        if (ptr == NULL && out != NULL) {
            count_add(hPool, 1);
        } else if (ptr != NULL && size == 0 && out == NULL) {
            count_add(hPool, -1);
        }
    }
    return out;
}

umf_result_t umfPoolMallocUsableSize(umf_memory_pool_handle_t hPool, const void *ptr, size_t *size) {
    if (hPool == NULL || size == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return hPool->ops.malloc_usable_size(hPool->priv, ptr, size);
}

umf_result_t umfPoolFree(umf_memory_pool_handle_t hPool, void *ptr) {
    if (UMF_UNLIKELY(hPool == NULL)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = hPool->ops.free(hPool->priv, ptr);
    if (hPool->stripes && ptr && rc == UMF_RESULT_SUCCESS) {
        count_add(hPool, -1);
    }
    return rc;
}

umf_result_t umfFree(void *ptr) {
    umf_memory_pool_handle_t pool = NULL;
    umf_result_t rc = umfPoolByPtr(ptr, &pool);
    if (rc != UMF_RESULT_SUCCESS) {
        LOG_DEBUG("%p belongs to no tracked pool", ptr);
        return rc;
    }
    return umfPoolFree(pool, ptr);
}

umf_result_t umfPoolGetLastAllocationError(umf_memory_pool_handle_t hPool) {
    if (hPool == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return hPool->ops.get_last_allocation_error(hPool->priv);
}

umf_result_t umfPoolByPtr(const void *ptr, umf_memory_pool_handle_t *pool) {
    if (ptr == NULL || pool == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_tracker_t *tracker = umf_global_tracker();
    umf_alloc_info_t *entry = tracker ? umf_tracker_find(tracker, ptr) : NULL;
    /* atomic: the entry may be reused by a concurrent add if ptr is being freed meanwhile */
    *pool = entry ? __atomic_load_n(&entry->pool, __ATOMIC_RELAXED) : NULL;
    return *pool ? UMF_RESULT_SUCCESS : UMF_RESULT_ERROR_INVALID_ARGUMENT;
}

umf_result_t umfPoolGetMemoryProvider(umf_memory_pool_handle_t hPool, umf_memory_provider_handle_t *hProvider) {
    if (hPool == NULL || hProvider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *hProvider = hPool->upstream;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfPoolGetName(umf_memory_pool_handle_t pool, const char **name) {
    if (pool == NULL || name == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return pool->ops.get_name(pool->priv, name);
}

umf_result_t umfPoolSetTag(umf_memory_pool_handle_t hPool, void *tag, void **oldTag) {
    if (hPool == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    pthread_mutex_lock(&hPool->tag_lock);
    if (oldTag != NULL) {
        *oldTag = hPool->tag;
    }
    hPool->tag = tag;
    pthread_mutex_unlock(&hPool->tag_lock);
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfPoolGetTag(umf_memory_pool_handle_t hPool, void **tag) {
    if (hPool == NULL || tag == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    pthread_mutex_lock(&hPool->tag_lock);
    *tag = hPool->tag;
    pthread_mutex_unlock(&hPool->tag_lock);
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfPoolTrimMemory(umf_memory_pool_handle_t hPool, size_t minBytesToKeep) {
    if (hPool == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return hPool->ops.ext_trim_memory(hPool->priv, minBytesToKeep);
}
