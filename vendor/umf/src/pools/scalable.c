/*
 * The scalable pool: a oneTBB tbbmalloc memory pool (rml::pool_*) whose raw memory comes
 * from the pool's provider.
 *
 * tbbmalloc is not linked: libtbbmalloc.so.2 (Debian package libtbbmalloc2) is loaded with
 * dlopen(RTLD_LOCAL) when the first scalable pool is created, once per process under a
 * lock, and closed by umf_scalable_fini(), which the core's last umfTearDown() calls.
 * The environment variable UMF_TBBMALLOC_LIB_NAME, when set and not empty, names another
 * library file to load instead (tests use it to check the missing-library path).
 *
 * tbbmalloc's pool API is C++; its functions are found by their mangled names:
 *   rml::pool_create_v1(intptr_t, const rml::MemPoolPolicy *, rml::MemoryPool **) -> MemPoolError
 *   rml::pool_destroy(MemoryPool *) -> bool        rml::pool_malloc(MemoryPool *, size_t)
 *   rml::pool_realloc(MemoryPool *, void *, size_t) rml::pool_aligned_malloc(MemoryPool *, size_t, size_t)
 *   rml::pool_free(MemoryPool *, void *) -> bool   rml::pool_identify(void *) -> MemoryPool *
 *   rml::pool_msize(MemoryPool *, void *) -> size_t (optional: older tbbmalloc lacks it)
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <umf/pools/pool_scalable.h>

#include "base/dl.h"
#include "base/utils.h"

#define SCALABLE_DEFAULT_NAME "scalable"
#define SCALABLE_NAME_MAX 64
#define SCALABLE_DEFAULT_GRANULARITY ((size_t)2 * 1024 * 1024)

struct umf_scalable_pool_params_t {
    size_t granularity;
    bool keep_all_memory;
    char name[SCALABLE_NAME_MAX];
};

#ifndef UMF_HAVE_SCALABLE

umf_result_t umfScalablePoolParamsCreate(umf_scalable_pool_params_handle_t *hParams) {
    LOG_ERR("the scalable pool is not built in (UMF_WITH_SCALABLE=OFF)");
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

umf_result_t umfScalablePoolParamsDestroy(umf_scalable_pool_params_handle_t hParams) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

umf_result_t umfScalablePoolParamsSetGranularity(umf_scalable_pool_params_handle_t hParams, size_t granularity) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

umf_result_t umfScalablePoolParamsSetKeepAllMemory(umf_scalable_pool_params_handle_t hParams, bool keepAllMemory) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

umf_result_t umfScalablePoolParamsSetName(umf_scalable_pool_params_handle_t hParams, const char *name) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

const umf_memory_pool_ops_t *umfScalablePoolOps(void) { return NULL; }

void umf_scalable_fini(void) {}

#else /* UMF_HAVE_SCALABLE */

#include <dlfcn.h>

#include "pools/pool_xstats.h"

/* tbbmalloc's rml::MemPoolPolicy (version 1). pFree returns 0 on success: tbbmalloc reads
 * the result, so the callback is declared returning int. */
typedef struct tbb_mem_pool_policy_t {
    void *(*pAlloc)(intptr_t pool_id, size_t *bytes);
    int (*pFree)(intptr_t pool_id, void *ptr, size_t bytes);
    size_t granularity;
    int version;
    unsigned fixed_pool : 1, keep_all_memory : 1, reserved : 30;
} tbb_mem_pool_policy_t;

#define TBB_POOL_VERSION 1
#define TBB_POOL_OK 0 /* rml::MemPoolError: POOL_OK, INVALID_POLICY, UNSUPPORTED_POLICY, NO_MEMORY, NO_EFFECT */

typedef struct tbb_pool tbb_pool; /* rml::MemoryPool, opaque */

typedef struct tbb_api_t {
    int (*pool_create_v1)(intptr_t pool_id, const tbb_mem_pool_policy_t *policy, tbb_pool **pool);
    bool (*pool_destroy)(tbb_pool *pool);
    void *(*pool_malloc)(tbb_pool *pool, size_t size);
    void *(*pool_realloc)(tbb_pool *pool, void *ptr, size_t size);
    void *(*pool_aligned_malloc)(tbb_pool *pool, size_t size, size_t alignment);
    bool (*pool_free)(tbb_pool *pool, void *ptr);
    tbb_pool *(*pool_identify)(void *ptr);
    size_t (*pool_msize)(tbb_pool *pool, void *ptr); /* may be NULL */
} tbb_api_t;

static pthread_mutex_t g_tbb_lock = PTHREAD_MUTEX_INITIALIZER;
static void *g_tbb_handle; /* guarded by g_tbb_lock */
static tbb_api_t g_tbb;    /* filled while g_tbb_handle is set */

static const umf_dl_symbol_t TBB_SYMBOLS[] = {
    {"_ZN3rml14pool_create_v1ElPKNS_13MemPoolPolicyEPPNS_10MemoryPoolE", offsetof(tbb_api_t, pool_create_v1), false},
    {"_ZN3rml12pool_destroyEPNS_10MemoryPoolE", offsetof(tbb_api_t, pool_destroy), false},
    {"_ZN3rml11pool_mallocEPNS_10MemoryPoolEm", offsetof(tbb_api_t, pool_malloc), false},
    {"_ZN3rml12pool_reallocEPNS_10MemoryPoolEPvm", offsetof(tbb_api_t, pool_realloc), false},
    {"_ZN3rml19pool_aligned_mallocEPNS_10MemoryPoolEmm", offsetof(tbb_api_t, pool_aligned_malloc), false},
    {"_ZN3rml9pool_freeEPNS_10MemoryPoolEPv", offsetof(tbb_api_t, pool_free), false},
    {"_ZN3rml13pool_identifyEPv", offsetof(tbb_api_t, pool_identify), false},
    {"_ZN3rml10pool_msizeEPNS_10MemoryPoolEPv", offsetof(tbb_api_t, pool_msize), true},
};

/* Loads tbbmalloc if it is not loaded yet. */
static umf_result_t tbb_load(void) {
    umf_result_t rc = UMF_RESULT_SUCCESS;
    pthread_mutex_lock(&g_tbb_lock);
    if (g_tbb_handle != NULL) {
        goto out;
    }
    const char *lib;
    const char *why;
    void *h = umf_dl_open("UMF_TBBMALLOC_LIB_NAME", "libtbbmalloc.so.2", RTLD_LAZY | RTLD_LOCAL, &lib, &why);
    if (h == NULL) {
        LOG_ERR("cannot load %s (%s): the scalable pool needs oneTBB's tbbmalloc, in Debian the package "
                "libtbbmalloc2 (apt-get install libtbbmalloc2)",
                lib, why);
        rc = UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE;
        goto out;
    }
    tbb_api_t api;
    const char *missing = umf_dl_resolve(h, TBB_SYMBOLS, UMF_ARRAY_SIZE(TBB_SYMBOLS), &api, sizeof(api));
    if (missing != NULL) {
        LOG_ERR("%s lacks %s: not a oneTBB tbbmalloc with memory pools (Debian package libtbbmalloc2)", lib, missing);
        dlclose(h);
        rc = UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE;
        goto out;
    }
    g_tbb = api;
    g_tbb_handle = h;
    LOG_DEBUG("loaded %s", lib);
out:
    pthread_mutex_unlock(&g_tbb_lock);
    return rc;
}

/* Called by the core's last umfTearDown(): unloads tbbmalloc (no scalable pool may be left). */
void umf_scalable_fini(void) {
    pthread_mutex_lock(&g_tbb_lock);
    if (g_tbb_handle != NULL) {
        dlclose(g_tbb_handle);
        g_tbb_handle = NULL;
        memset(&g_tbb, 0, sizeof(g_tbb));
    }
    pthread_mutex_unlock(&g_tbb_lock);
}

static __thread umf_result_t tls_last_error;
static __thread umf_result_t tls_raw_error; /* the provider's error inside pAlloc */

typedef struct scalable_pool_t {
    tbb_pool *pool;
    umf_memory_provider_handle_t provider;
    char name[SCALABLE_NAME_MAX];
    umf_xstats_t xs; /* the extended statistics (pool_xstats.h) */
} scalable_pool_t;

#define SC_XS(pool) (&((scalable_pool_t *)(pool))->xs)

static void *raw_alloc(intptr_t pool_id, size_t *bytes) {
    scalable_pool_t *p = (scalable_pool_t *)pool_id;
    void *ptr = NULL;
    umf_result_t rc = umfMemoryProviderAlloc(p->provider, *bytes, 0, &ptr);
    if (rc != UMF_RESULT_SUCCESS || ptr == NULL) {
        tls_raw_error = rc != UMF_RESULT_SUCCESS ? rc : UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        return NULL;
    }
    return ptr;
}

static int raw_free(intptr_t pool_id, void *ptr, size_t bytes) {
    scalable_pool_t *p = (scalable_pool_t *)pool_id;
    umf_result_t rc = umfMemoryProviderFree(p->provider, ptr, bytes);
    if (rc != UMF_RESULT_SUCCESS) {
        LOG_ERR("provider free of %p (%zu bytes) failed: %d", ptr, bytes, (int)rc);
        return -1;
    }
    return 0;
}

static umf_result_t failed_alloc_error(void) {
    umf_result_t rc = tls_raw_error;
    tls_raw_error = UMF_RESULT_SUCCESS;
    return rc != UMF_RESULT_SUCCESS ? rc : UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
}

static umf_result_t sc_initialize(umf_memory_provider_handle_t provider, const void *params, void **pool) {
    if (provider == NULL || pool == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    const struct umf_scalable_pool_params_t *prm = params;
    if (prm != NULL && prm->granularity == 0) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = tbb_load();
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    scalable_pool_t *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->provider = provider;
    umf_strlcpy(p->name, prm != NULL ? prm->name : SCALABLE_DEFAULT_NAME, sizeof(p->name));
    tbb_mem_pool_policy_t policy;
    memset(&policy, 0, sizeof(policy));
    policy.pAlloc = raw_alloc;
    policy.pFree = raw_free;
    policy.granularity = prm != NULL ? prm->granularity : SCALABLE_DEFAULT_GRANULARITY;
    policy.version = TBB_POOL_VERSION;
    policy.fixed_pool = 0;
    policy.keep_all_memory = prm != NULL && prm->keep_all_memory ? 1 : 0;
    tls_raw_error = UMF_RESULT_SUCCESS;
    int err = g_tbb.pool_create_v1((intptr_t)p, &policy, &p->pool);
    if (err != TBB_POOL_OK || p->pool == NULL) {
        rc = tls_raw_error != UMF_RESULT_SUCCESS ? tls_raw_error : UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
        tls_raw_error = UMF_RESULT_SUCCESS;
        LOG_ERR("tbbmalloc pool_create_v1 failed: %d", err);
        free(p);
        return rc;
    }
    umf_xstats_init(&p->xs);
    *pool = p;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t sc_finalize(void *pool) {
    scalable_pool_t *p = pool;
    umf_result_t rc = UMF_RESULT_SUCCESS;
    if (!g_tbb.pool_destroy(p->pool)) {
        LOG_ERR("tbbmalloc pool_destroy failed");
        rc = UMF_RESULT_ERROR_UNKNOWN;
    }
    umf_xstats_fini(&p->xs);
    free(p);
    return rc;
}

static void *sc_raw_malloc(void *pool, size_t size) {
    scalable_pool_t *p = pool;
    void *ptr = g_tbb.pool_malloc(p->pool, size != 0 ? size : 1);
    if (UMF_UNLIKELY(ptr == NULL)) {
        tls_last_error = failed_alloc_error();
    }
    return ptr;
}

static void *sc_raw_calloc(void *pool, size_t num, size_t size) {
    size_t total;
    if (UMF_UNLIKELY(__builtin_mul_overflow(num, size, &total))) {
        tls_last_error = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        return NULL;
    }
    void *ptr = sc_raw_malloc(pool, total);
    if (ptr != NULL) {
        memset(ptr, 0, total);
    }
    return ptr;
}

static umf_result_t sc_raw_free(void *pool, void *ptr) {
    if (ptr == NULL) {
        return UMF_RESULT_SUCCESS;
    }
    scalable_pool_t *p = pool;
    return g_tbb.pool_free(p->pool, ptr) ? UMF_RESULT_SUCCESS : UMF_RESULT_ERROR_INVALID_ARGUMENT;
}

static void *sc_raw_realloc(void *pool, void *ptr, size_t size) {
    if (ptr == NULL) {
        return sc_raw_malloc(pool, size);
    }
    if (size == 0) {
        sc_raw_free(pool, ptr);
        tls_last_error = UMF_RESULT_SUCCESS;
        return NULL;
    }
    scalable_pool_t *p = pool;
    void *out = g_tbb.pool_realloc(p->pool, ptr, size);
    if (UMF_UNLIKELY(out == NULL)) {
        tls_last_error = failed_alloc_error(); /* ptr is still valid */
    }
    return out;
}

static void *sc_raw_aligned_malloc(void *pool, size_t size, size_t alignment) {
    if (alignment <= 1) {
        return sc_raw_malloc(pool, size);
    }
    if (UMF_UNLIKELY(!IS_POWER_OF_2(alignment))) {
        tls_last_error = UMF_RESULT_ERROR_INVALID_ALIGNMENT;
        return NULL;
    }
    scalable_pool_t *p = pool;
    void *ptr = g_tbb.pool_aligned_malloc(p->pool, size != 0 ? size : 1, alignment);
    if (UMF_UNLIKELY(ptr == NULL)) {
        tls_last_error = failed_alloc_error();
    }
    return ptr;
}

static umf_result_t sc_usable_size(void *pool, const void *ptr, size_t *size) {
    if (size == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (ptr == NULL) {
        *size = 0;
        return UMF_RESULT_SUCCESS;
    }
    if (g_tbb.pool_msize == NULL) {
        *size = 0;
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    scalable_pool_t *p = pool;
    *size = g_tbb.pool_msize(p->pool, (void *)ptr);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t sc_last_error(void *pool) { return tls_last_error; }

static umf_result_t sc_get_name(void *pool, const char **name) {
    if (name == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *name = pool != NULL ? ((scalable_pool_t *)pool)->name : SCALABLE_DEFAULT_NAME;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t sc_ctl(void *pool, umf_ctl_query_source_t source, const char *name, void *arg, size_t size,
                           umf_ctl_query_type_t queryType, va_list args) {
    if (name != NULL && strcmp(name, "post_initialize") == 0 && queryType == CTL_QUERY_RUNNABLE) {
        return umf_xstats_seal(SC_XS(pool));
    }
    return umf_xstats_ctl(SC_XS(pool), source, name, arg, size, queryType, args);
}

/* tbbmalloc has no call that gives a pool's cached memory back: trimming is not supported. */
static umf_result_t sc_trim(void *pool, size_t minBytesToKeep) { return UMF_RESULT_ERROR_NOT_SUPPORTED; }

/* The ops: the functions above, or while params.extended_stats is on, their counted versions. */
UMF_XSTATS_DEFINE_OPS(sc, SC_XS)

static const umf_memory_pool_ops_t SCALABLE_POOL_OPS = {
    .version = UMF_POOL_OPS_VERSION_CURRENT,
    .initialize = sc_initialize,
    .finalize = sc_finalize,
    .malloc = sc_malloc,
    .calloc = sc_calloc,
    .realloc = sc_realloc,
    .aligned_malloc = sc_aligned_malloc,
    .malloc_usable_size = sc_usable_size,
    .free = sc_free,
    .get_last_allocation_error = sc_last_error,
    .get_name = sc_get_name,
    .ext_ctl = sc_ctl,
    .ext_trim_memory = sc_trim,
};

const umf_memory_pool_ops_t *umfScalablePoolOps(void) { return &SCALABLE_POOL_OPS; }

umf_result_t umfScalablePoolParamsCreate(umf_scalable_pool_params_handle_t *hParams) {
    if (hParams == NULL) {
        LOG_ERR("hParams is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    struct umf_scalable_pool_params_t *prm = calloc(1, sizeof(*prm));
    if (prm == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    prm->granularity = SCALABLE_DEFAULT_GRANULARITY;
    prm->keep_all_memory = false;
    umf_strlcpy(prm->name, SCALABLE_DEFAULT_NAME, sizeof(prm->name));
    *hParams = prm;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfScalablePoolParamsDestroy(umf_scalable_pool_params_handle_t hParams) {
    free(hParams);
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfScalablePoolParamsSetGranularity(umf_scalable_pool_params_handle_t hParams, size_t granularity) {
    if (hParams == NULL || granularity == 0) {
        LOG_ERR("%s", hParams == NULL ? "hParams is NULL" : "granularity must be more than 0");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    hParams->granularity = granularity;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfScalablePoolParamsSetKeepAllMemory(umf_scalable_pool_params_handle_t hParams, bool keepAllMemory) {
    if (hParams == NULL) {
        LOG_ERR("hParams is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    hParams->keep_all_memory = keepAllMemory;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfScalablePoolParamsSetName(umf_scalable_pool_params_handle_t hParams, const char *name) {
    CHECK_PARAMS_HANDLE(hParams);
    return umf_params_set_name(hParams->name, sizeof(hParams->name), name, true);
}

#endif /* UMF_HAVE_SCALABLE */
