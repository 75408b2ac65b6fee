#include "test_providers.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

static umf_result_t counting_initialize(const void *params, void **provider) {
    if (params == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *provider = (void *)params;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t counting_finalize(void *provider) { return UMF_RESULT_SUCCESS; }

static umf_result_t counting_alloc(void *provider, size_t size, size_t alignment, void **ptr) {
    test_provider_counters_t *c = provider;
    *ptr = NULL;
    if (c->fail_next_allocs > 0) {
        c->fail_next_allocs--;
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    size_t page = page_size();
    if (alignment == 0) {
        alignment = page;
    }
    if (alignment & (alignment - 1)) {
        return UMF_RESULT_ERROR_INVALID_ALIGNMENT;
    }
    size_t mapped = (size + page - 1) / page * page + (alignment > page ? alignment : 0);
    char *raw = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    char *aligned = (char *)(((uintptr_t)raw + alignment - 1) & ~(uintptr_t)(alignment - 1));
    size_t used = (size + page - 1) / page * page;
    /* give back the slack around the aligned block so free() can unmap exactly [aligned, +size) */
    if (aligned > raw) {
        munmap(raw, (size_t)(aligned - raw));
    }
    if (raw + mapped > aligned + used) {
        munmap(aligned + used, (size_t)(raw + mapped - (aligned + used)));
    }
    if (c->protect_pages) {
        mprotect(aligned, used, PROT_NONE);
    }
    __atomic_fetch_add(&c->alloc_count, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&c->bytes_live, size, __ATOMIC_RELAXED);
    *ptr = aligned;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t counting_free(void *provider, void *ptr, size_t size) {
    test_provider_counters_t *c = provider;
    if (ptr == NULL) {
        return UMF_RESULT_SUCCESS;
    }
    size_t page = page_size();
    munmap(ptr, (size + page - 1) / page * page);
    __atomic_fetch_add(&c->free_count, 1, __ATOMIC_RELAXED);
    __atomic_fetch_sub(&c->bytes_live, size, __ATOMIC_RELAXED);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t counting_last_native_error(void *provider, const char **msg, int32_t *err) {
    *msg = "no native error";
    *err = 0;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t counting_recommended_page_size(void *provider, size_t size, size_t *page) {
    *page = page_size();
    return UMF_RESULT_SUCCESS;
}

static umf_result_t counting_min_page_size(void *provider, const void *ptr, size_t *page) {
    *page = page_size();
    return UMF_RESULT_SUCCESS;
}

static umf_result_t counting_name(void *provider, const char **name) {
    *name = "test_counting";
    return UMF_RESULT_SUCCESS;
}

static umf_result_t counting_split(void *provider, void *ptr, size_t total, size_t first) {
    test_provider_counters_t *c = provider;
    __atomic_fetch_add(&c->split_count, 1, __ATOMIC_RELAXED);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t counting_merge(void *provider, void *low, void *high, size_t total) {
    test_provider_counters_t *c = provider;
    __atomic_fetch_add(&c->merge_count, 1, __ATOMIC_RELAXED);
    return UMF_RESULT_SUCCESS;
}

static const umf_memory_provider_ops_t COUNTING_OPS = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = counting_initialize,
    .finalize = counting_finalize,
    .alloc = counting_alloc,
    .free = counting_free,
    .get_last_native_error = counting_last_native_error,
    .get_recommended_page_size = counting_recommended_page_size,
    .get_min_page_size = counting_min_page_size,
    .get_name = counting_name,
    .ext_allocation_split = counting_split,
    .ext_allocation_merge = counting_merge,
};

const umf_memory_provider_ops_t *test_counting_provider_ops(void) { return &COUNTING_OPS; }

static umf_result_t null_initialize(const void *params, void **provider) {
    *provider = NULL;
    return UMF_RESULT_SUCCESS;
}
static umf_result_t null_alloc(void *provider, size_t size, size_t alignment, void **ptr) {
    *ptr = NULL;
    return UMF_RESULT_SUCCESS;
}
static umf_result_t null_free(void *provider, void *ptr, size_t size) { return UMF_RESULT_SUCCESS; }
static umf_result_t null_name(void *provider, const char **name) {
    *name = "null";
    return UMF_RESULT_SUCCESS;
}

static const umf_memory_provider_ops_t NULL_OPS = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = null_initialize,
    .finalize = counting_finalize,
    .alloc = null_alloc,
    .free = null_free,
    .get_last_native_error = counting_last_native_error,
    .get_recommended_page_size = counting_recommended_page_size,
    .get_min_page_size = counting_min_page_size,
    .get_name = null_name,
};

const umf_memory_provider_ops_t *test_null_provider_ops(void) { return &NULL_OPS; }
