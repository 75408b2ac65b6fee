/* Providers for tests, written against the public ops API only. */
#ifndef UMF_TEST_PROVIDERS_H
#define UMF_TEST_PROVIDERS_H 1

#include <stdbool.h>
#include <umf/memory_provider.h>

/* Counters a counting provider updates; the test owns them and passes them as params. */
typedef struct test_provider_counters_t {
    size_t alloc_count, free_count;
    size_t bytes_live;   /* sum of the sizes of live allocations */
    size_t split_count, merge_count;
    size_t ipc_get_count, ipc_put_count, ipc_open_count, ipc_close_count;
    size_t fail_next_allocs; /* > 0: that many next allocs fail with OUT_OF_HOST_MEMORY */
    bool protect_pages;      /* allocations are PROT_NONE until freed: any touch by a pool faults */
} test_provider_counters_t;

/*
 * A provider over mmap (page granularity) that counts its calls in the
 * test_provider_counters_t given as params. Supports split/merge; no IPC.
 * Name "test_counting".
 */
const umf_memory_provider_ops_t *test_counting_provider_ops(void);

/* A provider whose every operation succeeds without memory: alloc returns NULL. Name "null". */
const umf_memory_provider_ops_t *test_null_provider_ops(void);

#endif
