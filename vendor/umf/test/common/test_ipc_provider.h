/*
 * A provider for the IPC tests: memory of a memfd, mapped shared, so that an
 * IPC handle can be opened again in the same process (as a new mapping of the
 * same pages). It counts its calls, including the five IPC ops, and checks the
 * handle data it is given strictly: only handles made by a live instance of
 * this provider in this process open.
 */
#ifndef UMF_TEST_IPC_PROVIDER_H
#define UMF_TEST_IPC_PROVIDER_H 1

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <umf/memory_provider.h>

#include "test_providers.h"

/* A gate the provider's ext_open_ipc_handle waits at while it is closed: a test holds an open in the
 * middle of its work, for as long as it needs, instead of guessing a delay. */
typedef struct test_gate_t {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool closed;
    unsigned waiting; /* opens waiting at the gate now */
} test_gate_t;

void test_gate_init(test_gate_t *g);
void test_gate_set(test_gate_t *g, bool closed);
/* Waits until n opens wait at the gate. */
void test_gate_await(test_gate_t *g, unsigned n);
unsigned test_gate_waiting(test_gate_t *g);

typedef struct test_ipc_params_t {
    test_provider_counters_t *counters; /* required; updated atomically */
    unsigned get_delay_us;              /* ext_get_ipc_handle sleeps this long (widens races in tests) */
    test_gate_t *open_gate;             /* optional: ext_open_ipc_handle waits here while it is closed */
} test_ipc_params_t;

/* The provider's part of an IPC handle. */
typedef struct test_ipc_data_t {
    uint64_t magic;
    uint64_t cookie; /* which provider instance made it */
    int32_t pid;
    int32_t fd;
    uint64_t offset; /* of the allocation in the memfd */
    uint64_t size;
} test_ipc_data_t;

#define TEST_IPC_MAGIC 0x7465737469706321ull

/* Name "test_ipc". Allocations are page-granular; split/merge at page boundaries. */
const umf_memory_provider_ops_t *test_ipc_provider_ops(void);

#endif
