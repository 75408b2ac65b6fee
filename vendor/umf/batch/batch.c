/*
 * libumf_batch.so.1: the loops behind lib/'s batch calls (pool.mallocMany / pool.freeMany), and a C-side
 * malloc+free loop the TypeScript benchmarks time as the C cost of a pair.
 *
 * It is a library of its own, not part of libumf.so.1, so that libumf exports exactly UMF 1.1's API. It
 * calls libumf only through that public API (umfPoolMalloc, umfPoolFree), linked by SONAME, so when a
 * process has already loaded a libumf.so.1 (an upstream one named by UMF_LIBRARY_PATH included) these loops
 * run on that one. Every entry point checks its arguments and never aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <umf/memory_pool.h>

#define BATCH_EXPORT __attribute__((visibility("default")))

/*
 * Allocates n blocks of size bytes from pool into out[0..n) (addresses as uint64_t).
 * Returns how many it allocated: n, or the index of the first failed umfPoolMalloc (the caller then reads
 * umfPoolGetLastAllocationError on this thread, frees out[0..returned) and reports the error). Returns 0
 * for a NULL pool or out.
 */
BATCH_EXPORT size_t umf_batch_malloc(umf_memory_pool_handle_t pool, size_t size, uint64_t *out, size_t n) {
    if (pool == NULL || out == NULL) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        void *p = umfPoolMalloc(pool, size);
        if (p == NULL) {
            return i;
        }
        out[i] = (uint64_t)(uintptr_t)p;
    }
    return n;
}

/*
 * Frees ptrs[0..n) to pool with umfPoolFree (0 entries are skipped). Every entry is freed even when one
 * fails; returns UMF_RESULT_SUCCESS or the first failure's code (UMF_RESULT_ERROR_INVALID_ARGUMENT for a
 * NULL pool, or a NULL ptrs with n > 0).
 */
BATCH_EXPORT int umf_batch_free(umf_memory_pool_handle_t pool, const uint64_t *ptrs, size_t n) {
    if (pool == NULL || (ptrs == NULL && n > 0)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t first = UMF_RESULT_SUCCESS;
    for (size_t i = 0; i < n; i++) {
        if (ptrs[i] == 0) {
            continue;
        }
        umf_result_t rc = umfPoolFree(pool, (void *)(uintptr_t)ptrs[i]);
        if (rc != UMF_RESULT_SUCCESS && first == UMF_RESULT_SUCCESS) {
            first = rc;
        }
    }
    return (int)first;
}

/*
 * For the benchmarks: n pairs of umfPoolMalloc(pool, size) + umfPoolFree, each block's first byte written
 * (as a program would). Returns the ns they took (CLOCK_MONOTONIC), or -1 when an allocation failed or the
 * pool is NULL.
 */
BATCH_EXPORT double umf_batch_pairs(umf_memory_pool_handle_t pool, size_t size, size_t n) {
    if (pool == NULL) {
        return -1;
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (size_t i = 0; i < n; i++) {
        void *p = umfPoolMalloc(pool, size);
        if (p == NULL) {
            return -1;
        }
        *(volatile char *)p = 1;
        umfPoolFree(pool, p);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
}
