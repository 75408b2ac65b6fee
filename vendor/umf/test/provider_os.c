/* The OS memory provider through the public API: params, create errors, alloc/free, purge, split/merge, pools, threads. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_os_memory.h>

#include "provider_os_test.h"
#include "test_common.h"

static size_t page;
static int have_hwloc;

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static umf_os_memory_provider_params_handle_t new_params(void) {
    umf_os_memory_provider_params_handle_t p = NULL;
    CHECK_OK(umfOsMemoryProviderParamsCreate(&p));
    return p;
}

/* Creates a provider from params and destroys the params; NULL on failure (*rc says why). */
static umf_memory_provider_handle_t create_from(umf_os_memory_provider_params_handle_t params, umf_result_t *rc) {
    umf_memory_provider_handle_t h = NULL;
    *rc = umfMemoryProviderCreate(umfOsMemoryProviderOps(), params, &h);
    umfOsMemoryProviderParamsDestroy(params);
    return *rc == UMF_RESULT_SUCCESS ? h : NULL;
}

static umf_memory_provider_handle_t default_provider(void) {
    umf_result_t rc;
    umf_memory_provider_handle_t h = create_from(new_params(), &rc);
    CHECK_OK(rc);
    return h;
}

static void test_ops_table(void) {
    const umf_memory_provider_ops_t *ops = umfOsMemoryProviderOps();
    REQUIRE(ops != NULL);
    CHECK_EQ(ops->version, UMF_PROVIDER_OPS_VERSION_CURRENT);
    CHECK(ops == umfOsMemoryProviderOps());
    const char *name = NULL;
    CHECK_OK(ops->get_name(NULL, &name));
    CHECK(name != NULL && strcmp(name, "OS") == 0);
    CHECK(ops->ext_purge_lazy != NULL && ops->ext_purge_force != NULL);
    CHECK(ops->ext_allocation_split != NULL && ops->ext_allocation_merge != NULL);
    CHECK_EQ(ops->initialize(NULL, (void **)&name), UMF_RESULT_ERROR_INVALID_ARGUMENT);
}

static void test_params_null_handles(void) {
    unsigned nodes[1] = {0};
    umf_numa_split_partition_t parts[1] = {{1, 0}};
    CHECK_EQ(umfOsMemoryProviderParamsCreate(NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfOsMemoryProviderParamsDestroy(NULL));
    CHECK_EQ(umfOsMemoryProviderParamsSetProtection(NULL, UMF_PROTECTION_READ), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfOsMemoryProviderParamsSetVisibility(NULL, UMF_MEM_MAP_SHARED), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfOsMemoryProviderParamsSetShmName(NULL, "x"), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfOsMemoryProviderParamsSetNumaList(NULL, nodes, 1), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfOsMemoryProviderParamsSetNumaMode(NULL, UMF_NUMA_MODE_BIND), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfOsMemoryProviderParamsSetPartSize(NULL, 4096), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfOsMemoryProviderParamsSetPartitions(NULL, parts, 1), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfOsMemoryProviderParamsSetName(NULL, "x"), UMF_RESULT_ERROR_INVALID_ARGUMENT);

    umf_os_memory_provider_params_handle_t p = new_params();
    REQUIRE(p != NULL);
    CHECK_EQ(umfOsMemoryProviderParamsSetNumaList(p, NULL, 2), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfOsMemoryProviderParamsSetPartitions(p, NULL, 1), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfOsMemoryProviderParamsSetName(p, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* empty lists and no shm name are fine */
    CHECK_OK(umfOsMemoryProviderParamsSetNumaList(p, NULL, 0));
    CHECK_OK(umfOsMemoryProviderParamsSetPartitions(p, NULL, 0));
    CHECK_OK(umfOsMemoryProviderParamsSetShmName(p, NULL));
    CHECK_OK(umfOsMemoryProviderParamsDestroy(p));
}

/* Defaults: read+write, private, no NUMA, name "OS". */
static void test_defaults(void) {
    umf_memory_provider_handle_t h = default_provider();
    REQUIRE(h != NULL);
    const char *name = NULL;
    CHECK_OK(umfMemoryProviderGetName(h, &name));
    CHECK(name && strcmp(name, "OS") == 0);
    void *ptr = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, 3 * page, 0, &ptr));
    REQUIRE(ptr != NULL);
    memset(ptr, 0x5a, 3 * page);
    CHECK_EQ(((unsigned char *)ptr)[3 * page - 1], 0x5a);
    /* private: a child's write stays in the child */
    pid_t pid = fork();
    if (pid == 0) {
        memset(ptr, 0x11, page);
        _exit(0);
    }
    int st = 0;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK_EQ(((unsigned char *)ptr)[0], 0x5a);
    CHECK_OK(umfMemoryProviderFree(h, ptr, 3 * page));
    CHECK_OK(umfMemoryProviderDestroy(h));
}

/* Setters copy: changing the caller's buffers afterwards changes nothing. */
static void test_params_are_copied(void) {
    umf_os_memory_provider_params_handle_t p = new_params();
    char name[16] = "copied_name";
    unsigned nodes[1] = {0};
    CHECK_OK(umfOsMemoryProviderParamsSetName(p, name));
    if (have_hwloc) {
        CHECK_OK(umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_BIND));
        CHECK_OK(umfOsMemoryProviderParamsSetNumaList(p, nodes, 1));
    }
    strcpy(name, "changed");
    nodes[0] = 99999; /* would be rejected if it were read */
    umf_result_t rc;
    umf_memory_provider_handle_t h = create_from(p, &rc);
    CHECK_OK(rc);
    REQUIRE(h != NULL);
    const char *got = NULL;
    CHECK_OK(umfMemoryProviderGetName(h, &got));
    CHECK(got && strcmp(got, "copied_name") == 0);
    CHECK_OK(umfMemoryProviderDestroy(h));

    /* a later set replaces the earlier one; a long name is cut to 63 characters */
    p = new_params();
    char longname[100];
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    CHECK_OK(umfOsMemoryProviderParamsSetName(p, "first"));
    CHECK_OK(umfOsMemoryProviderParamsSetName(p, longname));
    h = create_from(p, &rc);
    REQUIRE(h != NULL);
    CHECK_OK(umfMemoryProviderGetName(h, &got));
    CHECK_EQ(strlen(got), 63);
    CHECK_OK(umfMemoryProviderDestroy(h));
}

typedef void (*setup_fn)(umf_os_memory_provider_params_handle_t p);

static umf_result_t create_rc(setup_fn setup) {
    umf_os_memory_provider_params_handle_t p = new_params();
    setup(p);
    umf_result_t rc;
    umf_memory_provider_handle_t h = create_from(p, &rc);
    if (h) {
        umfMemoryProviderDestroy(h);
    }
    return rc;
}

static unsigned node0[1] = {0};
static unsigned node_missing[2] = {0, 4095};
static void s_prot0(umf_os_memory_provider_params_handle_t p) { umfOsMemoryProviderParamsSetProtection(p, 0); }
static void s_prot16(umf_os_memory_provider_params_handle_t p) { umfOsMemoryProviderParamsSetProtection(p, 16); }
static void s_prot_big(umf_os_memory_provider_params_handle_t p) { umfOsMemoryProviderParamsSetProtection(p, UMF_PROTECTION_READ | 0x100); }
static void s_prot_all(umf_os_memory_provider_params_handle_t p) {
    umfOsMemoryProviderParamsSetProtection(p, UMF_PROTECTION_READ | UMF_PROTECTION_WRITE | UMF_PROTECTION_EXEC);
}
static void s_prot_none(umf_os_memory_provider_params_handle_t p) { umfOsMemoryProviderParamsSetProtection(p, UMF_PROTECTION_NONE); }
static void s_vis0(umf_os_memory_provider_params_handle_t p) { umfOsMemoryProviderParamsSetVisibility(p, (umf_memory_visibility_t)0); }
static void s_vis3(umf_os_memory_provider_params_handle_t p) { umfOsMemoryProviderParamsSetVisibility(p, (umf_memory_visibility_t)3); }
static void s_mode6(umf_os_memory_provider_params_handle_t p) { umfOsMemoryProviderParamsSetNumaMode(p, (umf_numa_mode_t)6); }
static void s_shared_bind(umf_os_memory_provider_params_handle_t p) {
    umfOsMemoryProviderParamsSetVisibility(p, UMF_MEM_MAP_SHARED);
    umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_BIND);
    umfOsMemoryProviderParamsSetNumaList(p, node0, 1);
}
static void s_shared_local(umf_os_memory_provider_params_handle_t p) {
    umfOsMemoryProviderParamsSetVisibility(p, UMF_MEM_MAP_SHARED);
    umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_LOCAL);
}
static void s_default_list(umf_os_memory_provider_params_handle_t p) { umfOsMemoryProviderParamsSetNumaList(p, node0, 1); }
static void s_local_list(umf_os_memory_provider_params_handle_t p) {
    umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_LOCAL);
    umfOsMemoryProviderParamsSetNumaList(p, node0, 1);
}
static void s_bind_empty(umf_os_memory_provider_params_handle_t p) { umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_BIND); }
static void s_interleave_empty(umf_os_memory_provider_params_handle_t p) { umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_INTERLEAVE); }
static void s_split_empty(umf_os_memory_provider_params_handle_t p) { umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_SPLIT); }
static void s_preferred_empty(umf_os_memory_provider_params_handle_t p) { umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_PREFERRED); }
static void s_split_weight0(umf_os_memory_provider_params_handle_t p) {
    umf_numa_split_partition_t parts[2] = {{1, 0}, {0, 0}};
    umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_SPLIT);
    umfOsMemoryProviderParamsSetNumaList(p, node0, 1);
    umfOsMemoryProviderParamsSetPartitions(p, parts, 2);
}
static void s_split_target_unlisted(umf_os_memory_provider_params_handle_t p) {
    umf_numa_split_partition_t parts[2] = {{1, 0}, {1, 1}};
    umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_SPLIT);
    umfOsMemoryProviderParamsSetNumaList(p, node0, 1);
    umfOsMemoryProviderParamsSetPartitions(p, parts, 2);
}
static void s_bind_missing(umf_os_memory_provider_params_handle_t p) {
    umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_BIND);
    umfOsMemoryProviderParamsSetNumaList(p, node_missing, 2);
}
static void s_interleave_missing(umf_os_memory_provider_params_handle_t p) {
    umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_INTERLEAVE);
    umfOsMemoryProviderParamsSetNumaList(p, node_missing, 2);
}
static void s_preferred_missing(umf_os_memory_provider_params_handle_t p) {
    umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_PREFERRED);
    umfOsMemoryProviderParamsSetNumaList(p, node_missing + 1, 1);
}
static void s_split_missing(umf_os_memory_provider_params_handle_t p) {
    umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_SPLIT);
    umfOsMemoryProviderParamsSetNumaList(p, node_missing, 2);
}
static void s_shm_slash(umf_os_memory_provider_params_handle_t p) {
    umfOsMemoryProviderParamsSetVisibility(p, UMF_MEM_MAP_SHARED);
    umfOsMemoryProviderParamsSetShmName(p, "umf/test");
}
static void s_shm_long(umf_os_memory_provider_params_handle_t p) {
    char name[300];
    memset(name, 'a', 254); /* NAME_MAX - 2 is the longest allowed */
    name[254] = '\0';
    umfOsMemoryProviderParamsSetVisibility(p, UMF_MEM_MAP_SHARED);
    umfOsMemoryProviderParamsSetShmName(p, name);
}

/* What a NUMA mode other than DEFAULT/LOCAL gives: without hwloc, always NOT_SUPPORTED. */
#define NUMA(rc) (have_hwloc ? (rc) : UMF_RESULT_ERROR_NOT_SUPPORTED)

static void test_create_errors(void) {
    umf_memory_provider_handle_t h = (umf_memory_provider_handle_t)0x1;
    CHECK_EQ(umfMemoryProviderCreate(umfOsMemoryProviderOps(), NULL, &h), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(create_rc(s_prot0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(create_rc(s_prot16), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(create_rc(s_prot_big), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(create_rc(s_prot_all), UMF_RESULT_SUCCESS);
    CHECK_EQ(create_rc(s_prot_none), UMF_RESULT_SUCCESS);
    CHECK_EQ(create_rc(s_vis0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(create_rc(s_vis3), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(create_rc(s_mode6), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(create_rc(s_shared_bind), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_EQ(create_rc(s_shared_local), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_EQ(create_rc(s_default_list), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(create_rc(s_local_list), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(create_rc(s_bind_empty), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(create_rc(s_interleave_empty), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(create_rc(s_split_empty), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(create_rc(s_preferred_empty), NUMA(UMF_RESULT_SUCCESS));
    CHECK_EQ(create_rc(s_split_weight0), NUMA(UMF_RESULT_ERROR_INVALID_ARGUMENT));
    CHECK_EQ(create_rc(s_split_target_unlisted), NUMA(UMF_RESULT_ERROR_INVALID_ARGUMENT));
    CHECK_EQ(create_rc(s_bind_missing), NUMA(UMF_RESULT_ERROR_INVALID_ARGUMENT));
    CHECK_EQ(create_rc(s_interleave_missing), NUMA(UMF_RESULT_ERROR_INVALID_ARGUMENT));
    CHECK_EQ(create_rc(s_preferred_missing), NUMA(UMF_RESULT_ERROR_INVALID_ARGUMENT));
    CHECK_EQ(create_rc(s_split_missing), NUMA(UMF_RESULT_ERROR_INVALID_ARGUMENT));
    CHECK_EQ(create_rc(s_shm_slash), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(create_rc(s_shm_long), UMF_RESULT_ERROR_INVALID_ARGUMENT);
}

static void test_alloc_alignment(void) {
    umf_memory_provider_handle_t h = default_provider();
    REQUIRE(h != NULL);
    size_t good[] = {0, 1, 2, 8, 64, 256, page, 2 * page, 64 * 1024, 2 * 1024 * 1024, 64 * 1024 * 1024};
    for (size_t i = 0; i < ARRAY_LEN(good); i++) {
        void *ptr = NULL;
        size_t size = 5 * page + 17;
        CHECK_OK(umfMemoryProviderAlloc(h, size, good[i], &ptr));
        if (ptr == NULL) {
            continue;
        }
        size_t want = good[i] > page ? good[i] : page;
        CHECK_EQ((uintptr_t)ptr % want, 0);
        memset(ptr, 0xab, size);
        CHECK_EQ(((unsigned char *)ptr)[size - 1], 0xab);
        CHECK_OK(umfMemoryProviderFree(h, ptr, size));
    }
    /* neither a multiple nor a divisor of the page size */
    size_t bad[] = {3, 24, page + 1, 3 * page / 2, 2 * page + 64};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        void *ptr = (void *)0x1;
        CHECK_EQ(umfMemoryProviderAlloc(h, page, bad[i], &ptr), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    }
    void *ptr = NULL;
    CHECK_EQ(umfMemoryProviderAlloc(h, 0, 0, &ptr), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderAlloc(h, page, 0, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* sizes that are not a page multiple still free cleanly */
    CHECK_OK(umfMemoryProviderAlloc(h, 1, 0, &ptr));
    REQUIRE(ptr != NULL);
    *(char *)ptr = 1;
    CHECK_OK(umfMemoryProviderFree(h, ptr, 1));
    CHECK_OK(umfMemoryProviderDestroy(h));
}

/* As UMF: a page multiple that is not a power of 2 is a valid alignment, and honoured. */
static void test_alloc_alignment_page_multiples(void) {
    umf_memory_provider_handle_t h = default_provider();
    REQUIRE(h != NULL);
    size_t alignments[] = {3 * page, 5 * page, 1280 * page /* 5 MiB */};
    size_t sizes[] = {3 * page, page + 64, 1, 7 * page};
    for (size_t i = 0; i < ARRAY_LEN(alignments); i++) {
        for (size_t j = 0; j < ARRAY_LEN(sizes); j++) {
            void *ptr = NULL;
            CHECK_OK(umfMemoryProviderAlloc(h, sizes[j], alignments[i], &ptr));
            REQUIRE(ptr != NULL);
            CHECK_EQ((uintptr_t)ptr % alignments[i], 0);
            memset(ptr, 0x5a, sizes[j]);
            CHECK_OK(umfMemoryProviderFree(h, ptr, sizes[j]));
        }
    }
    CHECK_OK(umfMemoryProviderDestroy(h));
}

/* Each native error's message starts with its code's fixed text (UMF's), then what failed. */
static void check_native_error(umf_memory_provider_handle_t h, int32_t want_code, const char *want_prefix) {
    const char *msg = NULL;
    int32_t code = 0;
    CHECK_OK(umfMemoryProviderGetLastNativeError(h, &msg, &code));
    CHECK_EQ(code, want_code);
    CHECK(msg != NULL && strncmp(msg, want_prefix, strlen(want_prefix)) == 0);
}

static void test_native_error_texts(void) {
    umf_memory_provider_handle_t h = default_provider();
    REQUIRE(h != NULL);
    void *ptr = NULL;
    CHECK_EQ(umfMemoryProviderAlloc(h, SIZE_MAX, 0, &ptr), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    check_native_error(h, UMF_OS_RESULT_ERROR_ALLOC_FAILED, "memory allocation failed");
    void *good = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, 2 * page, 0, &good));
    REQUIRE(good != NULL);
    CHECK_EQ(umfMemoryProviderFree(h, (char *)good + 1, page), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    check_native_error(h, UMF_OS_RESULT_ERROR_FREE_FAILED, "memory deallocation failed");
    CHECK_EQ(umfMemoryProviderPurgeLazy(h, (char *)good + 1, page), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    check_native_error(h, UMF_OS_RESULT_ERROR_PURGE_LAZY_FAILED, "lazy purging failed");
    CHECK_EQ(umfMemoryProviderPurgeForce(h, (char *)good + 1, page), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    check_native_error(h, UMF_OS_RESULT_ERROR_PURGE_FORCE_FAILED, "force purging failed");
    CHECK_OK(umfMemoryProviderFree(h, good, 2 * page));
    CHECK_OK(umfMemoryProviderDestroy(h));
}

static void test_alloc_failure_native_error(void) {
    umf_memory_provider_handle_t h = default_provider();
    REQUIRE(h != NULL);
    void *ptr = (void *)0x1;
    CHECK_EQ(umfMemoryProviderAlloc(h, SIZE_MAX - page, 0, &ptr), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    CHECK(ptr == NULL);
    const char *msg = NULL;
    int32_t code = 0;
    CHECK_OK(umfMemoryProviderGetLastNativeError(h, &msg, &code));
    CHECK_EQ(code, UMF_OS_RESULT_ERROR_ALLOC_FAILED);
    CHECK(msg != NULL && strstr(msg, "memory allocation failed: mmap failed: ") == msg && strstr(msg, strerror(ENOMEM)) != NULL);
    umf_memory_provider_handle_t failed = NULL;
    CHECK_OK(umfGetLastFailedMemoryProvider(&failed));
    CHECK(failed == h);

    /* far more than the address space: a real mmap failure */
    CHECK_EQ(umfMemoryProviderAlloc(h, (size_t)1 << 62, 0, &ptr), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    CHECK_OK(umfMemoryProviderGetLastNativeError(h, &msg, &code));
    CHECK_EQ(code, UMF_OS_RESULT_ERROR_ALLOC_FAILED);

    CHECK_OK(umfMemoryProviderFree(h, NULL, 0));
    CHECK_OK(umfMemoryProviderFree(h, NULL, page));
    /* unmapping a misaligned address fails with the free code */
    void *good = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, 2 * page, 0, &good));
    REQUIRE(good != NULL);
    CHECK_EQ(umfMemoryProviderFree(h, (char *)good + 1, page), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    CHECK_OK(umfMemoryProviderGetLastNativeError(h, &msg, &code));
    CHECK_EQ(code, UMF_OS_RESULT_ERROR_FREE_FAILED);
    CHECK(strstr(msg, "memory deallocation failed: munmap failed: ") == msg);
    CHECK_OK(umfMemoryProviderFree(h, good, 2 * page));
    CHECK_OK(umfMemoryProviderDestroy(h));
}

static void *thread_native_error(void *arg) {
    const char *msg = NULL;
    int32_t code = -1;
    umfMemoryProviderGetLastNativeError((umf_memory_provider_handle_t)arg, &msg, &code);
    return (void *)(intptr_t)code;
}

static void test_native_error_per_thread(void) {
    umf_memory_provider_handle_t h = default_provider();
    REQUIRE(h != NULL);
    void *ptr;
    CHECK_EQ(umfMemoryProviderAlloc(h, SIZE_MAX, 0, &ptr), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    pthread_t t;
    void *ret = (void *)(intptr_t)-1;
    REQUIRE(pthread_create(&t, NULL, thread_native_error, h) == 0);
    pthread_join(t, &ret);
    CHECK_EQ((intptr_t)ret, 0);
    CHECK_OK(umfMemoryProviderDestroy(h));
}

static void test_page_sizes(void) {
    umf_memory_provider_handle_t h = default_provider();
    REQUIRE(h != NULL);
    size_t ps = 0;
    CHECK_OK(umfMemoryProviderGetRecommendedPageSize(h, 0, &ps));
    CHECK_EQ(ps, (size_t)sysconf(_SC_PAGESIZE));
    ps = 0;
    CHECK_OK(umfMemoryProviderGetRecommendedPageSize(h, 1 << 30, &ps));
    CHECK_EQ(ps, (size_t)sysconf(_SC_PAGESIZE));
    ps = 0;
    CHECK_OK(umfMemoryProviderGetMinPageSize(h, NULL, &ps));
    CHECK_EQ(ps, (size_t)sysconf(_SC_PAGESIZE));
    void *ptr = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, page, 0, &ptr));
    ps = 0;
    CHECK_OK(umfMemoryProviderGetMinPageSize(h, ptr, &ps));
    CHECK_EQ(ps, (size_t)sysconf(_SC_PAGESIZE));
    CHECK_OK(umfMemoryProviderFree(h, ptr, page));
    CHECK_EQ(umfMemoryProviderGetMinPageSize(h, NULL, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMemoryProviderDestroy(h));
}

static void test_purge(void) {
    umf_memory_provider_handle_t h = default_provider();
    REQUIRE(h != NULL);
    size_t size = 8 * page;
    unsigned char *ptr = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, size, 0, (void **)&ptr));
    REQUIRE(ptr != NULL);
    memset(ptr, 7, size);
    CHECK_OK(umfMemoryProviderPurgeForce(h, ptr, 4 * page));
    CHECK_EQ(ptr[0], 0);
    CHECK_EQ(ptr[4 * page - 1], 0);
    CHECK_EQ(ptr[4 * page], 7); /* outside the purged range */
    CHECK_OK(umfMemoryProviderPurgeLazy(h, ptr + 4 * page, 4 * page));
    ptr[4 * page] = 9; /* still usable after a lazy purge */
    CHECK_EQ(ptr[4 * page], 9);
    const char *msg;
    int32_t code;
    CHECK_EQ(umfMemoryProviderPurgeLazy(h, ptr + 1, page), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    CHECK_OK(umfMemoryProviderGetLastNativeError(h, &msg, &code));
    CHECK_EQ(code, UMF_OS_RESULT_ERROR_PURGE_LAZY_FAILED);
    CHECK_EQ(umfMemoryProviderPurgeForce(h, ptr + 1, page), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    CHECK_OK(umfMemoryProviderGetLastNativeError(h, &msg, &code));
    CHECK_EQ(code, UMF_OS_RESULT_ERROR_PURGE_FORCE_FAILED);
    CHECK(strstr(msg, strerror(EINVAL)) != NULL);
    CHECK_EQ(umfMemoryProviderPurgeForce(h, NULL, page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMemoryProviderFree(h, ptr, size));
    CHECK_OK(umfMemoryProviderDestroy(h));
}

static void test_split_merge(void) {
    umf_memory_provider_handle_t h = default_provider();
    REQUIRE(h != NULL);
    char *ptr = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, 4 * page, 0, (void **)&ptr));
    REQUIRE(ptr != NULL);
    CHECK_OK(umfMemoryProviderAllocationSplit(h, ptr, 4 * page, page));
    CHECK_OK(umfMemoryProviderAllocationSplit(h, ptr + page, 3 * page, 2 * page));
    CHECK_OK(umfMemoryProviderAllocationMerge(h, ptr, ptr + page, 3 * page));
    CHECK_EQ(umfMemoryProviderAllocationSplit(h, ptr, 4 * page, 100), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderAllocationSplit(h, ptr, 4 * page, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderAllocationSplit(h, ptr, 4 * page, 4 * page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderAllocationMerge(h, ptr + page, ptr, 2 * page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderAllocationMerge(h, ptr, ptr + 2 * page, 2 * page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    memset(ptr, 1, 4 * page);
    /* the pieces free separately */
    CHECK_OK(umfMemoryProviderFree(h, ptr, 3 * page));
    CHECK_EQ(ptr[3 * page], 1);
    CHECK_OK(umfMemoryProviderFree(h, ptr + 3 * page, page));
    CHECK_OK(umfMemoryProviderDestroy(h));
}

/* Runs fn in a child and returns its wait status. */
static int in_child(void (*fn)(void *), void *arg) {
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL); /* a sanitizer's handler would turn the fault into an exit */
        fn(arg);
        _exit(0);
    }
    int st = 0;
    if (waitpid(pid, &st, 0) != pid) {
        return -1;
    }
    return st;
}

static void child_write(void *p) { *(volatile char *)p = 1; }
static void child_read(void *p) { (void)*(volatile char *)p; }

static umf_memory_provider_handle_t provider_with_protection(unsigned prot) {
    umf_os_memory_provider_params_handle_t p = new_params();
    CHECK_OK(umfOsMemoryProviderParamsSetProtection(p, prot));
    umf_result_t rc;
    umf_memory_provider_handle_t h = create_from(p, &rc);
    CHECK_OK(rc);
    return h;
}

static void test_protection(void) {
    umf_memory_provider_handle_t ro = provider_with_protection(UMF_PROTECTION_READ);
    REQUIRE(ro != NULL);
    char *ptr = NULL;
    CHECK_OK(umfMemoryProviderAlloc(ro, page, 0, (void **)&ptr));
    REQUIRE(ptr != NULL);
    CHECK_EQ(ptr[0], 0); /* readable */
    int st = in_child(child_write, ptr);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
    st = in_child(child_read, ptr);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK_OK(umfMemoryProviderFree(ro, ptr, page));
    CHECK_OK(umfMemoryProviderDestroy(ro));

    umf_memory_provider_handle_t none = provider_with_protection(UMF_PROTECTION_NONE);
    REQUIRE(none != NULL);
    CHECK_OK(umfMemoryProviderAlloc(none, page, 2 * page, (void **)&ptr));
    REQUIRE(ptr != NULL);
    st = in_child(child_read, ptr);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
    CHECK_OK(umfMemoryProviderFree(none, ptr, page));
    CHECK_OK(umfMemoryProviderDestroy(none));

    umf_memory_provider_handle_t rw = provider_with_protection(UMF_PROTECTION_READ | UMF_PROTECTION_WRITE);
    REQUIRE(rw != NULL);
    CHECK_OK(umfMemoryProviderAlloc(rw, page, 0, (void **)&ptr));
    st = in_child(child_write, ptr);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK_OK(umfMemoryProviderFree(rw, ptr, page));
    CHECK_OK(umfMemoryProviderDestroy(rw));
}

static umf_result_t call_ctl(const umf_memory_provider_ops_t *ops, void *priv, const char *name, void *arg,
                             size_t size, umf_ctl_query_type_t type, ...) {
    va_list args;
    va_start(args, type);
    umf_result_t rc = ops->ext_ctl(priv, CTL_QUERY_PROGRAMMATIC, name, arg, size, type, args);
    va_end(args);
    return rc;
}

/* The ops table used directly: ext_ctl statistics and unknown paths. */
static void test_ops_ctl(void) {
    const umf_memory_provider_ops_t *ops = umfOsMemoryProviderOps();
    umf_os_memory_provider_params_handle_t p = new_params();
    void *priv = NULL;
    CHECK_OK(ops->initialize(p, &priv));
    umfOsMemoryProviderParamsDestroy(p);
    REQUIRE(priv != NULL);
    size_t v = 123;
    int ipc = -1;
    CHECK_EQ(call_ctl(ops, priv, "no.such.path", &v, sizeof(v), CTL_QUERY_READ), UMF_RESULT_ERROR_INVALID_CTL_PATH);
    CHECK_OK(call_ctl(ops, priv, "post_initialize", NULL, 0, CTL_QUERY_RUNNABLE));
    CHECK_OK(call_ctl(ops, priv, "stats.allocated_memory", &v, sizeof(v), CTL_QUERY_READ));
    CHECK_EQ(v, 0);
    CHECK_OK(call_ctl(ops, priv, "params.ipc_enabled", &ipc, sizeof(ipc), CTL_QUERY_READ));
    CHECK_EQ(ipc, 0);
    void *a = NULL, *b = NULL;
    CHECK_OK(ops->alloc(priv, 3 * page, 0, &a));
    CHECK_OK(ops->alloc(priv, page + 1, 0, &b));
    CHECK_OK(call_ctl(ops, priv, "stats.allocated_memory", &v, sizeof(v), CTL_QUERY_READ));
    CHECK_EQ(v, 5 * page);
    CHECK_OK(ops->free(priv, a, 3 * page));
    CHECK_OK(call_ctl(ops, priv, "stats.allocated_memory", &v, sizeof(v), CTL_QUERY_READ));
    CHECK_EQ(v, 2 * page);
    CHECK_OK(call_ctl(ops, priv, "stats.peak_memory", &v, sizeof(v), CTL_QUERY_READ));
    CHECK_EQ(v, 5 * page);
    CHECK_OK(call_ctl(ops, priv, "stats.peak_memory.reset", NULL, 0, CTL_QUERY_RUNNABLE));
    CHECK_OK(call_ctl(ops, priv, "stats.peak_memory", &v, sizeof(v), CTL_QUERY_READ));
    CHECK_EQ(v, 2 * page);
    CHECK_EQ(call_ctl(ops, priv, "stats.peak_memory", &v, 1, CTL_QUERY_READ), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(call_ctl(ops, priv, "stats.peak_memory", &v, sizeof(v), CTL_QUERY_WRITE), UMF_RESULT_ERROR_INVALID_CTL_PATH);
    CHECK_OK(ops->free(priv, b, page + 1));
    /* get_last_native_error tolerates NULL outs */
    CHECK_OK(ops->get_last_native_error(priv, NULL, NULL));
    CHECK_OK(ops->finalize(priv));
}

static void test_proxy_pool(void) {
    umf_memory_provider_handle_t h = default_provider();
    REQUIRE(h != NULL);
    umf_memory_pool_handle_t pool = NULL;
    CHECK_OK(umfPoolCreate(umfProxyPoolOps(), h, NULL, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool));
    REQUIRE(pool != NULL);
    char *a = umfPoolMalloc(pool, 1000);
    REQUIRE(a != NULL);
    for (int i = 0; i < 1000; i++) {
        a[i] = (char)i;
    }
    char *b = umfPoolAlignedMalloc(pool, 3 * page, 1 << 20);
    REQUIRE(b != NULL);
    CHECK_EQ((uintptr_t)b % (1 << 20), 0);
    memset(b, 0x33, 3 * page);
    int ok = 1;
    for (int i = 0; i < 1000; i++) {
        ok &= a[i] == (char)i;
    }
    CHECK(ok);
    umf_memory_pool_handle_t found = NULL;
    CHECK_OK(umfPoolByPtr(b + page, &found));
    CHECK(found == pool);
    CHECK_OK(umfPoolFree(pool, a));
    CHECK_OK(umfFree(b));
    CHECK(umfPoolAlignedMalloc(pool, page, 3) == NULL);
    CHECK_OK(umfPoolDestroy(pool));
}

typedef struct thread_arg_t {
    umf_memory_provider_handle_t h;
    unsigned seed;
    int failures;
} thread_arg_t;

static void *thread_alloc_free(void *varg) {
    thread_arg_t *arg = varg;
    enum { SLOTS = 16 };
    unsigned char *ptrs[SLOTS] = {0};
    size_t sizes[SLOTS] = {0};
    unsigned char tag = (unsigned char)(arg->seed & 0xff);
    for (int it = 0; it < 1500; it++) {
        int s = rand_r(&arg->seed) % SLOTS;
        if (ptrs[s]) {
            if (ptrs[s][0] != tag || ptrs[s][sizes[s] - 1] != tag) {
                arg->failures++;
            }
            if (umfMemoryProviderFree(arg->h, ptrs[s], sizes[s]) != UMF_RESULT_SUCCESS) {
                arg->failures++;
            }
            ptrs[s] = NULL;
        } else {
            size_t size = 1 + (size_t)(rand_r(&arg->seed) % (8 * page));
            size_t align = (rand_r(&arg->seed) % 4 == 0) ? 16 * page : 0;
            if (umfMemoryProviderAlloc(arg->h, size, align, (void **)&ptrs[s]) != UMF_RESULT_SUCCESS || !ptrs[s]) {
                arg->failures++;
                ptrs[s] = NULL;
                continue;
            }
            sizes[s] = size;
            ptrs[s][0] = tag;
            ptrs[s][size - 1] = tag;
        }
    }
    for (int s = 0; s < SLOTS; s++) {
        if (ptrs[s] && umfMemoryProviderFree(arg->h, ptrs[s], sizes[s]) != UMF_RESULT_SUCCESS) {
            arg->failures++;
        }
    }
    return NULL;
}

static void run_threads(umf_memory_provider_handle_t h) {
    enum { N = 8 };
    pthread_t t[N];
    thread_arg_t args[N];
    for (int i = 0; i < N; i++) {
        args[i] = (thread_arg_t){h, (unsigned)(i * 7919 + 1), 0};
        CHECK(pthread_create(&t[i], NULL, thread_alloc_free, &args[i]) == 0);
    }
    int failures = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        failures += args[i].failures;
    }
    CHECK_EQ(failures, 0);
}

static void test_threads_private(void) {
    umf_memory_provider_handle_t h = default_provider();
    REQUIRE(h != NULL);
    run_threads(h);
    CHECK_OK(umfMemoryProviderDestroy(h));
}

static void test_threads_shared(void) {
    umf_os_memory_provider_params_handle_t p = new_params();
    CHECK_OK(umfOsMemoryProviderParamsSetVisibility(p, UMF_MEM_MAP_SHARED));
    umf_result_t rc;
    setenv("UMF_MEM_FD_FUNC", "memfd_create", 1);
    umf_memory_provider_handle_t h = create_from(p, &rc);
    unsetenv("UMF_MEM_FD_FUNC");
    CHECK_OK(rc);
    REQUIRE(h != NULL);
    run_threads(h);
    CHECK_OK(umfMemoryProviderDestroy(h));
}

int main(void) {
    page = (size_t)sysconf(_SC_PAGESIZE);
    have_hwloc = os_test_umf_has_hwloc();
    RUN_TEST(test_ops_table);
    RUN_TEST(test_params_null_handles);
    RUN_TEST(test_defaults);
    RUN_TEST(test_params_are_copied);
    RUN_TEST(test_create_errors);
    RUN_TEST(test_alloc_alignment);
    RUN_TEST(test_alloc_alignment_page_multiples);
    RUN_TEST(test_native_error_texts);
    RUN_TEST(test_alloc_failure_native_error);
    RUN_TEST(test_native_error_per_thread);
    RUN_TEST(test_page_sizes);
    RUN_TEST(test_purge);
    RUN_TEST(test_split_merge);
    RUN_TEST(test_protection);
    RUN_TEST(test_ops_ctl);
    RUN_TEST(test_proxy_pool);
    RUN_TEST(test_threads_private);
    RUN_TEST(test_threads_shared);
    return TEST_SUMMARY();
}
