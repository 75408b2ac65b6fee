/* The OS memory provider with UMF_MEM_MAP_SHARED: memfd, memfd_secret, named shm, fork, purge, split/merge. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_os_memory.h>

#include "test_common.h"

static size_t page;

/* A shared provider; fd_func is put in UMF_MEM_FD_FUNC while it is created (NULL: unset). */
static umf_memory_provider_handle_t shared_provider(const char *shm_name, const char *fd_func, umf_result_t *rc) {
    umf_os_memory_provider_params_handle_t p = NULL;
    CHECK_OK(umfOsMemoryProviderParamsCreate(&p));
    CHECK_OK(umfOsMemoryProviderParamsSetVisibility(p, UMF_MEM_MAP_SHARED));
    CHECK_OK(umfOsMemoryProviderParamsSetShmName(p, shm_name));
    if (fd_func) {
        setenv("UMF_MEM_FD_FUNC", fd_func, 1);
    } else {
        unsetenv("UMF_MEM_FD_FUNC");
    }
    umf_memory_provider_handle_t h = NULL;
    *rc = umfMemoryProviderCreate(umfOsMemoryProviderOps(), p, &h);
    unsetenv("UMF_MEM_FD_FUNC");
    umfOsMemoryProviderParamsDestroy(p);
    return *rc == UMF_RESULT_SUCCESS ? h : NULL;
}

/* The file backing the mapping at addr, from /proc/self/maps ("" when not found). */
static void mapping_path(const void *addr, char *out, size_t out_size) {
    out[0] = '\0';
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) {
        return;
    }
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && (uintptr_t)addr >= lo && (uintptr_t)addr < hi) {
            char *path = strchr(line, '/');
            if (path) {
                path[strcspn(path, "\n")] = '\0';
                snprintf(out, out_size, "%s", path);
            }
            break;
        }
    }
    fclose(f);
}

static int kernel_has_memfd_secret(void) {
#ifdef SYS_memfd_secret
    int fd = (int)syscall(SYS_memfd_secret, 0);
    if (fd >= 0) {
        close(fd);
        return 1;
    }
#endif
    return 0;
}

/* A child writes through the shared mapping; the parent sees it. */
static void check_fork_sharing(umf_memory_provider_handle_t h) {
    unsigned char *ptr = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, 2 * page, 0, (void **)&ptr));
    if (!ptr) {
        return;
    }
    memset(ptr, 0x11, 2 * page);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        memset(ptr + page, 0x22, page);
        _exit(ptr[0] == 0x11 ? 0 : 1);
    }
    int st = 0;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK_EQ(ptr[0], 0x11);
    CHECK_EQ(ptr[page], 0x22);
    CHECK_EQ(ptr[2 * page - 1], 0x22);
    CHECK_OK(umfMemoryProviderFree(h, ptr, 2 * page));
}

static void test_memfd_create_env(void) {
    umf_result_t rc;
    umf_memory_provider_handle_t h = shared_provider(NULL, "use memfd_create please", &rc);
    CHECK_OK(rc);
    REQUIRE(h != NULL);
    void *ptr = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, page, 0, &ptr));
    REQUIRE(ptr != NULL);
    char path[256];
    mapping_path(ptr, path, sizeof(path));
    CHECK(strstr(path, "/memfd:") == path);
    CHECK_OK(umfMemoryProviderFree(h, ptr, page));
    check_fork_sharing(h);
    CHECK_OK(umfMemoryProviderDestroy(h));
}

static void test_default_fd_func(void) {
    umf_result_t rc;
    umf_memory_provider_handle_t h = shared_provider(NULL, NULL, &rc);
    CHECK_OK(rc);
    REQUIRE(h != NULL);
    void *ptr = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, page, 0, &ptr));
    REQUIRE(ptr != NULL);
    char path[256];
    mapping_path(ptr, path, sizeof(path));
    if (kernel_has_memfd_secret()) {
        CHECK(strstr(path, "/secretmem") == path);
    } else {
        CHECK(strstr(path, "/memfd:") == path);
    }
    CHECK_OK(umfMemoryProviderFree(h, ptr, page));
    check_fork_sharing(h);
    /* the other word in UMF_MEM_FD_FUNC keeps the default */
    umfMemoryProviderDestroy(h);
    h = shared_provider(NULL, "memfd_secret", &rc);
    REQUIRE(h != NULL);
    CHECK_OK(umfMemoryProviderAlloc(h, page, 0, &ptr));
    mapping_path(ptr, path, sizeof(path));
    CHECK(strstr(path, kernel_has_memfd_secret() ? "/secretmem" : "/memfd:") == path);
    CHECK_OK(umfMemoryProviderFree(h, ptr, page));
    CHECK_OK(umfMemoryProviderDestroy(h));
}

/* Named shm: allocations are consecutive ranges of the object, seen by any other mapping of it. */
static void test_named_shm(void) {
    char name[64], path[80];
    snprintf(name, sizeof(name), "umf_test_os_%d", (int)getpid());
    snprintf(path, sizeof(path), "/%s", name);
    shm_unlink(path);
    umf_result_t rc;
    umf_memory_provider_handle_t h = shared_provider(name, NULL, &rc);
    CHECK_OK(rc);
    REQUIRE(h != NULL);

    /* the name is taken while the provider lives */
    umf_result_t rc2;
    umf_memory_provider_handle_t h2 = shared_provider(name, NULL, &rc2);
    CHECK(h2 == NULL);
    CHECK_EQ(rc2, UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);

    unsigned char *a = NULL, *b = NULL, *c = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, 2 * page, 0, (void **)&a));
    CHECK_OK(umfMemoryProviderAlloc(h, page, 0, (void **)&b));
    CHECK_OK(umfMemoryProviderAlloc(h, page, 1 << 21, (void **)&c)); /* over-mapped and trimmed */
    REQUIRE(a && b && c);
    CHECK_EQ((uintptr_t)c % (1 << 21), 0);
    char mpath[256];
    mapping_path(a, mpath, sizeof(mpath));
    CHECK(strncmp(mpath, "/dev/shm/", 9) == 0 && strstr(mpath, name) != NULL);

    int fd = shm_open(path, O_RDWR, 0);
    REQUIRE(fd >= 0);
    unsigned char *view = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    REQUIRE(view != MAP_FAILED);
    a[0] = 1;
    a[2 * page - 1] = 2;
    b[0] = 3;
    c[0] = 4;
    CHECK_EQ(view[0], 1);
    CHECK_EQ(view[2 * page - 1], 2);
    CHECK_EQ(view[2 * page], 3);
    CHECK_EQ(view[3 * page], 4);
    view[10] = 42;
    CHECK_EQ(a[10], 42);

    /* purging a shared range empties it in the object too */
    CHECK_OK(umfMemoryProviderPurgeForce(h, a, page));
    CHECK_EQ(a[0], 0);
    CHECK_EQ(view[0], 0);
    CHECK_EQ(a[2 * page - 1], 2);
    CHECK_OK(umfMemoryProviderPurgeLazy(h, a + page, page));
    /* freeing gives the pages of the object back */
    CHECK_OK(umfMemoryProviderFree(h, b, page));
    CHECK_EQ(view[2 * page], 0);
    CHECK_OK(umfMemoryProviderFree(h, a, 2 * page));
    CHECK_OK(umfMemoryProviderFree(h, c, page));
    munmap(view, 4 * page);

    CHECK_OK(umfMemoryProviderDestroy(h));
    errno = 0;
    CHECK(shm_open(path, O_RDONLY, 0) < 0 && errno == ENOENT);
    /* and the name is free again */
    h = shared_provider(name, NULL, &rc);
    CHECK_OK(rc);
    CHECK_OK(umfMemoryProviderDestroy(h));
}

/* Split pieces keep their place in the fd; merging needs contiguous fd ranges. */
static void test_shared_split_merge(void) {
    char name[64], path[80];
    snprintf(name, sizeof(name), "umf_test_os_split_%d", (int)getpid());
    snprintf(path, sizeof(path), "/%s", name);
    shm_unlink(path);
    umf_result_t rc;
    umf_memory_provider_handle_t h = shared_provider(name, NULL, &rc);
    REQUIRE(h != NULL);
    unsigned char *a = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, 4 * page, 0, (void **)&a));
    REQUIRE(a != NULL);
    CHECK_OK(umfMemoryProviderAllocationSplit(h, a, 4 * page, page));
    CHECK_OK(umfMemoryProviderAllocationMerge(h, a, a + page, 4 * page));
    CHECK_OK(umfMemoryProviderAllocationSplit(h, a, 4 * page, 3 * page));
    /* an address the provider never returned */
    CHECK_EQ(umfMemoryProviderAllocationSplit(h, a + page, 2 * page, page), UMF_RESULT_ERROR_INVALID_ARGUMENT);

    int fd = shm_open(path, O_RDWR, 0);
    REQUIRE(fd >= 0);
    unsigned char *view = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    REQUIRE(view != MAP_FAILED);
    memset(a, 5, 4 * page);
    /* freeing the second piece empties exactly its range of the fd */
    CHECK_OK(umfMemoryProviderFree(h, a + 3 * page, page));
    CHECK_EQ(view[3 * page], 0);
    CHECK_EQ(view[3 * page - 1], 5);
    CHECK_OK(umfMemoryProviderFree(h, a, 3 * page));
    munmap(view, 4 * page);

    /* two separate allocations next to each other in memory but not in the fd cannot merge */
    unsigned char *x = NULL, *y = NULL;
    int found = 0;
    unsigned char *keep[16];
    int nkeep = 0;
    for (int i = 0; i < 16 && !found; i++) {
        CHECK_OK(umfMemoryProviderAlloc(h, page, 0, (void **)&x));
        CHECK_OK(umfMemoryProviderAlloc(h, page, 0, (void **)&y));
        if (x + page == y || y + page == x) {
            found = 1;
        } else {
            keep[nkeep++] = x;
            keep[nkeep++] = y;
        }
    }
    REQUIRE(found);
    unsigned char *lo = x < y ? x : y, *hi = x < y ? y : x;
    CHECK_EQ(umfMemoryProviderAllocationMerge(h, lo, hi, 2 * page), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_OK(umfMemoryProviderFree(h, x, page));
    CHECK_OK(umfMemoryProviderFree(h, y, page));
    for (int i = 0; i < nkeep; i++) {
        CHECK_OK(umfMemoryProviderFree(h, keep[i], page));
    }
    CHECK_OK(umfMemoryProviderDestroy(h));
}

/* Memory of a proxy pool over a shared provider, written and read. */
static void test_shared_proxy_pool(void) {
    umf_result_t rc;
    umf_memory_provider_handle_t h = shared_provider(NULL, "memfd_create", &rc);
    REQUIRE(h != NULL);
    umf_memory_pool_handle_t pool = NULL;
    CHECK_OK(umfPoolCreate(umfProxyPoolOps(), h, NULL, 0, &pool));
    REQUIRE(pool != NULL);
    int *v = umfPoolMalloc(pool, 1000 * sizeof(int));
    REQUIRE(v != NULL);
    for (int i = 0; i < 1000; i++) {
        v[i] = i * 3;
    }
    long sum = 0;
    for (int i = 0; i < 1000; i++) {
        sum += v[i];
    }
    CHECK_EQ(sum, 3L * 999 * 1000 / 2);
    CHECK_OK(umfPoolFree(pool, v));
    CHECK_OK(umfPoolDestroy(pool));
    CHECK_OK(umfMemoryProviderDestroy(h));
}

/* Read-only shared memory: readable, purgeable, and a write faults (in a child). */
static void test_shared_read_only(void) {
    umf_os_memory_provider_params_handle_t p = NULL;
    CHECK_OK(umfOsMemoryProviderParamsCreate(&p));
    CHECK_OK(umfOsMemoryProviderParamsSetVisibility(p, UMF_MEM_MAP_SHARED));
    CHECK_OK(umfOsMemoryProviderParamsSetProtection(p, UMF_PROTECTION_READ));
    umf_memory_provider_handle_t h = NULL;
    setenv("UMF_MEM_FD_FUNC", "memfd_create", 1);
    CHECK_OK(umfMemoryProviderCreate(umfOsMemoryProviderOps(), p, &h));
    unsetenv("UMF_MEM_FD_FUNC");
    umfOsMemoryProviderParamsDestroy(p);
    REQUIRE(h != NULL);
    volatile unsigned char *ptr = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, 2 * page, 0, (void **)&ptr));
    REQUIRE(ptr != NULL);
    CHECK_EQ(ptr[page], 0);
    CHECK_OK(umfMemoryProviderPurgeForce(h, (void *)ptr, 2 * page));
    CHECK_OK(umfMemoryProviderPurgeLazy(h, (void *)ptr, 2 * page));
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL);
        ptr[0] = 1;
        _exit(0);
    }
    int st = 0;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
    CHECK_OK(umfMemoryProviderFree(h, (void *)ptr, 2 * page));
    CHECK_OK(umfMemoryProviderDestroy(h));
}

/* secretmem is locked memory: a lazy purge does nothing, a forced one cannot drop it. */
static void test_secretmem_purge(void) {
    umf_result_t rc;
    umf_memory_provider_handle_t h = shared_provider(NULL, NULL, &rc);
    REQUIRE(h != NULL);
    unsigned char *ptr = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, 2 * page, 0, (void **)&ptr));
    REQUIRE(ptr != NULL);
    memset(ptr, 6, 2 * page);
    CHECK_OK(umfMemoryProviderPurgeLazy(h, ptr, 2 * page));
    CHECK_EQ(umfMemoryProviderPurgeLazy(h, ptr + 1, page), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    if (kernel_has_memfd_secret()) {
        CHECK_EQ(ptr[0], 6);
        CHECK_EQ(umfMemoryProviderPurgeForce(h, ptr, 2 * page), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
        const char *msg = NULL;
        int32_t code = 0;
        CHECK_OK(umfMemoryProviderGetLastNativeError(h, &msg, &code));
        CHECK_EQ(code, UMF_OS_RESULT_ERROR_PURGE_FORCE_FAILED);
    } else {
        CHECK_OK(umfMemoryProviderPurgeForce(h, ptr, 2 * page));
        CHECK_EQ(ptr[0], 0);
    }
    CHECK_OK(umfMemoryProviderFree(h, ptr, 2 * page));
    CHECK_OK(umfMemoryProviderDestroy(h));
}

int main(void) {
    page = (size_t)sysconf(_SC_PAGESIZE);
    RUN_TEST(test_memfd_create_env);
    RUN_TEST(test_default_fd_func);
    RUN_TEST(test_named_shm);
    RUN_TEST(test_shared_split_merge);
    RUN_TEST(test_shared_proxy_pool);
    RUN_TEST(test_shared_read_only);
    RUN_TEST(test_secretmem_purge);
    return TEST_SUMMARY();
}
