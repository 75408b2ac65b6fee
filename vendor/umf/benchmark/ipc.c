/*
 * IPC benchmark: the cost of one umfGetIPCHandle+umfPutIPCHandle and of one
 * umfOpenIPCHandle+umfCloseIPCHandle, the first time for an allocation (the
 * provider is called) and cached, with UMF_MAX_OPENED_IPC_HANDLES unset and
 * with a limit smaller than the working set (the opens then cycle through the
 * LRU cache and every one of them maps and evicts).
 *
 * Each configuration runs in a child started with the variable set (it is read
 * when the library initializes); the parent prints the table of medians. The
 * memory comes from the OS provider in shared (memfd) mode when it supports IPC,
 * else from the memfd test provider of the C tests. Opens go through a second
 * pool of the same kind in the same process, which is what a consumer process does.
 *
 *   bench_ipc [runs]      (default 7 runs; a median of them is printed)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <umf.h>
#include <umf/ipc.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_os_memory.h>

#include "../test/common/test_ipc_provider.c"
#include "bench_common.h"

#define WORKING_SET 256 /* allocations the cached loops cycle through */
#define SMALL_LIMIT 64  /* UMF_MAX_OPENED_IPC_HANDLES of the second column */
#define ALLOC_SIZE ((size_t)64 * 1024)
#define FIRST_OPS 256 /* first-time operations per run */
#define CACHED_ROUNDS 40

enum { ROW_GET_FIRST, ROW_GET_CACHED, ROW_OPEN_FIRST, ROW_OPEN_CACHED, ROW_MALLOC, NROWS };
static const char *ROW_NAMES[NROWS] = {
    "get+put, first for the allocation",
    "get+put, cached",
    "open+close, first (provider open)",
    "open+close, cycling the working set",
    "reference: glibc malloc+free of a handle",
};

static double now_ns(void) { return bench_clock_ns(CLOCK_MONOTONIC); }

static test_provider_counters_t g_counters;
static const char *g_provider_name = "?";

static umf_memory_pool_handle_t make_pool(void) {
    umf_memory_provider_handle_t prov = NULL;
    umf_os_memory_provider_params_handle_t os = NULL;
    if (umfOsMemoryProviderParamsCreate(&os) == UMF_RESULT_SUCCESS) {
        umfOsMemoryProviderParamsSetVisibility(os, UMF_MEM_MAP_SHARED);
        if (umfMemoryProviderCreate(umfOsMemoryProviderOps(), os, &prov) != UMF_RESULT_SUCCESS) {
            prov = NULL;
        }
        umfOsMemoryProviderParamsDestroy(os);
    }
    umf_memory_pool_handle_t pool = NULL;
    if (prov != NULL) {
        size_t size = 0;
        if (umfPoolCreate(umfProxyPoolOps(), prov, NULL, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool) ==
                UMF_RESULT_SUCCESS &&
            umfPoolGetIPCHandleSize(pool, &size) == UMF_RESULT_SUCCESS) {
            g_provider_name = "OS provider, shared memfd";
            return pool;
        }
        if (pool != NULL) {
            umfPoolDestroy(pool);
        } else {
            umfMemoryProviderDestroy(prov);
        }
        pool = NULL;
    }
    test_ipc_params_t params = {.counters = &g_counters};
    if (umfMemoryProviderCreate(test_ipc_provider_ops(), &params, &prov) != UMF_RESULT_SUCCESS ||
        umfPoolCreate(umfProxyPoolOps(), prov, NULL, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool) !=
            UMF_RESULT_SUCCESS) {
        fprintf(stderr, "cannot create a pool with IPC support\n");
        exit(1);
    }
    g_provider_name = "memfd test provider (the OS provider has no IPC here)";
    return pool;
}

static void must(umf_result_t rc, const char *what) {
    if (rc != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "%s failed: %d\n", what, rc);
        exit(1);
    }
}

/* One run of every row; ns per operation into out. */
static void run_once(double out[NROWS]) {
    umf_memory_pool_handle_t P = make_pool(), Q = make_pool();
    umf_ipc_handler_handle_t hq = NULL;
    must(umfPoolGetIPCHandler(Q, &hq), "umfPoolGetIPCHandler");

    /* get+put, first: a fresh allocation each time (its allocation and free are not timed) */
    double total = 0;
    for (int i = 0; i < FIRST_OPS; i++) {
        void *p = umfPoolMalloc(P, ALLOC_SIZE);
        if (p == NULL) {
            fprintf(stderr, "allocation failed\n");
            exit(1);
        }
        umf_ipc_handle_t h = NULL;
        size_t s = 0;
        double t0 = now_ns();
        must(umfGetIPCHandle(p, &h, &s), "umfGetIPCHandle");
        must(umfPutIPCHandle(h), "umfPutIPCHandle");
        total += now_ns() - t0;
        umfPoolFree(P, p);
    }
    out[ROW_GET_FIRST] = total / FIRST_OPS;

    /* the working set, with one handle each */
    void *bufs[WORKING_SET];
    umf_ipc_handle_t handles[WORKING_SET];
    for (int i = 0; i < WORKING_SET; i++) {
        size_t s = 0;
        bufs[i] = umfPoolMalloc(P, ALLOC_SIZE);
        if (bufs[i] == NULL) {
            fprintf(stderr, "allocation failed\n");
            exit(1);
        }
        must(umfGetIPCHandle(bufs[i], &handles[i], &s), "umfGetIPCHandle");
    }

    /* get+put, cached */
    double t0 = now_ns();
    for (int r = 0; r < CACHED_ROUNDS; r++) {
        for (int i = 0; i < WORKING_SET; i++) {
            umf_ipc_handle_t h = NULL;
            size_t s = 0;
            must(umfGetIPCHandle((char *)bufs[i] + 64, &h, &s), "umfGetIPCHandle");
            must(umfPutIPCHandle(h), "umfPutIPCHandle");
        }
    }
    out[ROW_GET_CACHED] = (now_ns() - t0) / (CACHED_ROUNDS * WORKING_SET);

    /* open+close, first: every handle of the working set opened once by a fresh consumer */
    t0 = now_ns();
    for (int i = 0; i < WORKING_SET; i++) {
        void *o = NULL;
        must(umfOpenIPCHandle(hq, handles[i], &o), "umfOpenIPCHandle");
        must(umfCloseIPCHandle(o), "umfCloseIPCHandle");
    }
    out[ROW_OPEN_FIRST] = (now_ns() - t0) / WORKING_SET;

    /* open+close, cycling the working set: hits without a limit, a map and an eviction each with one */
    t0 = now_ns();
    for (int r = 0; r < CACHED_ROUNDS; r++) {
        for (int i = 0; i < WORKING_SET; i++) {
            void *o = NULL;
            must(umfOpenIPCHandle(hq, handles[i], &o), "umfOpenIPCHandle");
            must(umfCloseIPCHandle(o), "umfCloseIPCHandle");
        }
    }
    out[ROW_OPEN_CACHED] = (now_ns() - t0) / (CACHED_ROUNDS * WORKING_SET);

    /* reference: what a handle copy alone costs from glibc */
    size_t hsize = 0;
    umfPoolGetIPCHandleSize(P, &hsize);
    t0 = now_ns();
    for (int r = 0; r < CACHED_ROUNDS * WORKING_SET; r++) {
        void *volatile m = malloc(hsize);
        free(m);
    }
    out[ROW_MALLOC] = (now_ns() - t0) / (CACHED_ROUNDS * WORKING_SET);

    for (int i = 0; i < WORKING_SET; i++) {
        umfPutIPCHandle(handles[i]);
        umfPoolFree(P, bufs[i]);
    }
    umfPoolDestroy(Q);
    umfPoolDestroy(P);
}

/* The child: runs the rows `runs` times and writes the medians, one per line, to stdout. */
static int child_main(int runs) {
    double samples[NROWS][64];
    for (int r = 0; r < runs; r++) {
        double one[NROWS];
        run_once(one);
        for (int k = 0; k < NROWS; k++) {
            samples[k][r] = one[k];
        }
    }
    printf("%s\n", g_provider_name);
    for (int k = 0; k < NROWS; k++) {
        qsort(samples[k], (size_t)runs, sizeof(double), bench_cmp_double);
        printf("%.1f\n", samples[k][runs / 2]);
    }
    return 0;
}

/* Starts this program as a child with the variable set (or unset) and reads its medians. */
static int run_child(const char *limit, int runs, char *provider, size_t plen, double med[NROWS]) {
    int fds[2];
    if (pipe(fds) != 0) {
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        if (limit) {
            setenv("UMF_MAX_OPENED_IPC_HANDLES", limit, 1);
        } else {
            unsetenv("UMF_MAX_OPENED_IPC_HANDLES");
        }
        char arg[16];
        snprintf(arg, sizeof(arg), "%d", runs);
        execl("/proc/self/exe", "bench_ipc", "--child", arg, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *in = fdopen(fds[0], "r");
    int ok = in != NULL && fgets(provider, (int)plen, in) != NULL;
    for (int k = 0; ok && k < NROWS; k++) {
        ok = fscanf(in, "%lf", &med[k]) == 1;
    }
    if (in) {
        fclose(in);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    provider[strcspn(provider, "\n")] = '\0';
    return ok && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--child") == 0) {
        return child_main(atoi(argv[2]));
    }
    int runs = argc > 1 ? atoi(argv[1]) : 7;
    if (runs < 1 || runs > 64) {
        fprintf(stderr, "usage: %s [runs 1..64]\n", argv[0]);
        return 2;
    }
    double unlimited[NROWS], limited[NROWS];
    char provider[256] = "", provider2[256] = "";
    char limit[16];
    snprintf(limit, sizeof(limit), "%d", SMALL_LIMIT);
    if (run_child(NULL, runs, provider, sizeof(provider), unlimited) != 0 ||
        run_child(limit, runs, provider2, sizeof(provider2), limited) != 0) {
        fprintf(stderr, "a benchmark child failed\n");
        return 1;
    }
    printf("IPC, %s; %zu KiB allocations, working set %d, median of %d runs, ns per operation\n", provider,
           ALLOC_SIZE / 1024, WORKING_SET, runs);
    printf("%-42s %16s %24s\n", "operation", "limit unset", "UMF_MAX_OPENED_IPC_HANDLES=64");
    for (int k = 0; k < NROWS; k++) {
        printf("%-42s %16.1f %24.1f\n", ROW_NAMES[k], unlimited[k], limited[k]);
    }
    return 0;
}
