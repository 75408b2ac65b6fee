/* A memory provider that counts the bytes it holds, over another provider or plain mmap: the
 * benchmarks print the bytes a pool holds from its provider per byte the program has in use. */
#ifndef UMF_BENCH_COUNTING_H
#define UMF_BENCH_COUNTING_H 1

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include <umf/memory_provider.h>

typedef struct counting_t {
    umf_memory_provider_handle_t inner; /* NULL: plain mmap */
    _Atomic size_t bytes;
} counting_t;

static size_t page_sz(void) { return (size_t)sysconf(_SC_PAGESIZE); }

static umf_result_t cp_init(const void *params, void **priv) {
    *priv = (void *)params;
    return UMF_RESULT_SUCCESS;
}
static umf_result_t cp_fini(void *priv) { return UMF_RESULT_SUCCESS; }

static umf_result_t cp_alloc(void *priv, size_t size, size_t align, void **ptr) {
    counting_t *c = priv;
    umf_result_t rc;
    if (c->inner) {
        rc = umfMemoryProviderAlloc(c->inner, size, align, ptr);
    } else {
        size_t pg = page_sz();
        size_t a = align > pg ? align : pg;
        size_t len = (size + pg - 1) / pg * pg;
        char *raw = mmap(NULL, len + a - pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (raw == MAP_FAILED) {
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
        char *p = (char *)(((uintptr_t)raw + a - 1) & ~(uintptr_t)(a - 1));
        if (p > raw) {
            munmap(raw, (size_t)(p - raw));
        }
        if (raw + len + a - pg > p + len) {
            munmap(p + len, (size_t)(raw + len + a - pg - (p + len)));
        }
        *ptr = p;
        rc = UMF_RESULT_SUCCESS;
    }
    if (rc == UMF_RESULT_SUCCESS) {
        __atomic_fetch_add(&c->bytes, size, __ATOMIC_RELAXED);
    }
    return rc;
}

static umf_result_t cp_free(void *priv, void *ptr, size_t size) {
    counting_t *c = priv;
    umf_result_t rc;
    if (c->inner) {
        rc = umfMemoryProviderFree(c->inner, ptr, size);
    } else {
        size_t pg = page_sz();
        rc = munmap(ptr, (size + pg - 1) / pg * pg) == 0 ? UMF_RESULT_SUCCESS : UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (rc == UMF_RESULT_SUCCESS) {
        __atomic_fetch_sub(&c->bytes, size, __ATOMIC_RELAXED);
    }
    return rc;
}

static umf_result_t cp_err(void *priv, const char **msg, int32_t *err) {
    *msg = "";
    *err = 0;
    return UMF_RESULT_SUCCESS;
}
static umf_result_t cp_page(void *priv, size_t size, size_t *page) {
    *page = page_sz();
    return UMF_RESULT_SUCCESS;
}
static umf_result_t cp_min_page(void *priv, const void *ptr, size_t *page) {
    *page = page_sz();
    return UMF_RESULT_SUCCESS;
}
static umf_result_t cp_name(void *priv, const char **name) {
    *name = "bench_counting";
    return UMF_RESULT_SUCCESS;
}

static const umf_memory_provider_ops_t CP_OPS = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = cp_init,
    .finalize = cp_fini,
    .alloc = cp_alloc,
    .free = cp_free,
    .get_last_native_error = cp_err,
    .get_recommended_page_size = cp_page,
    .get_min_page_size = cp_min_page,
    .get_name = cp_name,
};

#endif
