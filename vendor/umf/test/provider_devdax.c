/*
 * The DevDax memory provider through the public API. Every argument and error
 * path runs everywhere (/dev/null, a regular file, a directory, a missing
 * path are not device DAX); with UMF_TESTS_DEVDAX_PATH and
 * UMF_TESTS_DEVDAX_SIZE set, the provider also runs over that real device.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_devdax_memory.h>

#include "test_common.h"

#define MiB ((size_t)1 << 20)

static char self_exe[PATH_MAX];

/* A provider over path/size with the given protection; NULL on failure (*rc says why). */
static umf_memory_provider_handle_t devdax_provider(const char *path, size_t size, unsigned prot, umf_result_t *rc) {
    umf_devdax_memory_provider_params_handle_t params = NULL;
    *rc = umfDevDaxMemoryProviderParamsCreate(path, size, &params);
    if (*rc != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    umf_memory_provider_handle_t h = NULL;
    *rc = umfDevDaxMemoryProviderParamsSetProtection(params, prot);
    if (*rc == UMF_RESULT_SUCCESS) {
        *rc = umfMemoryProviderCreate(umfDevDaxMemoryProviderOps(), params, &h);
    }
    umfDevDaxMemoryProviderParamsDestroy(params);
    return *rc == UMF_RESULT_SUCCESS ? h : NULL;
}

static const unsigned RW = UMF_PROTECTION_READ | UMF_PROTECTION_WRITE;

static void test_ops_table(void) {
    const umf_memory_provider_ops_t *ops = umfDevDaxMemoryProviderOps();
    REQUIRE(ops != NULL);
    CHECK(ops == umfDevDaxMemoryProviderOps());
    CHECK_EQ(ops->version, UMF_PROVIDER_OPS_VERSION_CURRENT);
    const char *name = NULL;
    CHECK_OK(ops->get_name(NULL, &name));
    CHECK(name != NULL && strcmp(name, "DEVDAX") == 0);
    CHECK_EQ(ops->get_name(NULL, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK(ops->ext_purge_lazy && ops->ext_purge_force && ops->ext_allocation_split && ops->ext_allocation_merge);
    void *priv = NULL;
    CHECK_EQ(ops->initialize(NULL, &priv), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* every op refuses a NULL provider instead of touching it */
    size_t ps = 0;
    void *p = NULL;
    CHECK_EQ(ops->alloc(NULL, 10, 0, &p), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(ops->free(NULL, p, 10), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(ops->finalize(NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(ops->get_recommended_page_size(NULL, 10, &ps), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(ops->get_min_page_size(NULL, NULL, &ps), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(ops->ext_purge_lazy(NULL, p, 10), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(ops->ext_purge_force(NULL, p, 10), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(ops->ext_allocation_split(NULL, p, 10, 5), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(ops->ext_allocation_merge(NULL, p, p, 10), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    const char *msg = NULL;
    int32_t code = -1;
    CHECK_OK(ops->get_last_native_error(NULL, &msg, &code));
    CHECK(msg != NULL);
    CHECK_EQ(ops->get_last_native_error(NULL, NULL, &code), UMF_RESULT_ERROR_INVALID_ARGUMENT);
}

static void test_params(void) {
    umf_devdax_memory_provider_params_handle_t p = NULL;
    CHECK_EQ(umfDevDaxMemoryProviderParamsCreate("/dev/dax0.0", MiB, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfDevDaxMemoryProviderParamsCreate(NULL, MiB, &p), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfDevDaxMemoryProviderParamsCreate("", MiB, &p), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    static char longpath[PATH_MAX + 8];
    memset(longpath, 'd', sizeof(longpath) - 1);
    longpath[0] = '/';
    CHECK_EQ(umfDevDaxMemoryProviderParamsCreate(longpath, MiB, &p), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK(p == NULL);
    CHECK_EQ(umfDevDaxMemoryProviderParamsSetDeviceDax(NULL, "/dev/dax0.0", MiB), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfDevDaxMemoryProviderParamsSetProtection(NULL, RW), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfDevDaxMemoryProviderParamsSetName(NULL, "x"), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfDevDaxMemoryProviderParamsDestroy(NULL));
    /* size 0 is accepted by the params; the provider refuses it */
    CHECK_OK(umfDevDaxMemoryProviderParamsCreate("/dev/dax0.0", 0, &p));
    REQUIRE(p != NULL);
    CHECK_EQ(umfDevDaxMemoryProviderParamsSetDeviceDax(p, NULL, MiB), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfDevDaxMemoryProviderParamsSetDeviceDax(p, "", MiB), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfDevDaxMemoryProviderParamsSetDeviceDax(p, longpath, MiB), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfDevDaxMemoryProviderParamsSetName(p, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfDevDaxMemoryProviderParamsSetDeviceDax(p, "/dev/dax1.0", 4 * MiB));
    CHECK_OK(umfDevDaxMemoryProviderParamsSetProtection(p, UMF_PROTECTION_READ));
    /* as UMF: 0 is no valid combination, refused by the setter itself; so are unknown bits */
    CHECK_EQ(umfDevDaxMemoryProviderParamsSetProtection(p, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfDevDaxMemoryProviderParamsSetProtection(p, 1u << 8), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfDevDaxMemoryProviderParamsSetName(p, "my_devdax"));
    umf_memory_provider_handle_t h = NULL;
    CHECK_EQ(umfMemoryProviderCreate(umfDevDaxMemoryProviderOps(), NULL, &h), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfDevDaxMemoryProviderParamsDestroy(p));
}

static void test_create_errors(void) {
    umf_result_t rc;
    umf_memory_provider_handle_t h;
    /* size 0: refused before the path is even opened */
    h = devdax_provider("/dev/null", 0, RW, &rc);
    CHECK_EQ(rc, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK(h == NULL);
    /* bad protection: refused by the setter already */
    unsigned bad_prot[] = {0, 16, 0x40 | UMF_PROTECTION_READ};
    for (size_t i = 0; i < sizeof(bad_prot) / sizeof(bad_prot[0]); i++) {
        h = devdax_provider("/dev/null", 2 * MiB, bad_prot[i], &rc);
        CHECK_EQ(rc, UMF_RESULT_ERROR_INVALID_ARGUMENT);
        CHECK(h == NULL);
    }
    /* a missing path, a directory */
    h = devdax_provider("/nonexistent/dax0.0", 2 * MiB, RW, &rc);
    CHECK_EQ(rc, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    h = devdax_provider("/tmp", 2 * MiB, RW, &rc);
    CHECK_EQ(rc, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* a regular file is not a character device */
    char path[] = "/tmp/umf_test_devdax_XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    CHECK_EQ(ftruncate(fd, (off_t)(4 * MiB)), 0);
    close(fd);
    h = devdax_provider(path, 2 * MiB, RW, &rc);
    CHECK_EQ(rc, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK(h == NULL);
    unlink(path);
    /* character devices that are not DAX: with sysfs that is known up front, else the MAP_SYNC mapping fails */
    umf_result_t expected = access("/sys/dev/char", F_OK) == 0 ? UMF_RESULT_ERROR_INVALID_ARGUMENT : UMF_RESULT_ERROR_UNKNOWN;
    h = devdax_provider("/dev/null", 2 * MiB, RW, &rc);
    CHECK_EQ(rc, expected);
    CHECK(h == NULL);
    h = devdax_provider("/dev/zero", 2 * MiB, RW, &rc);
    CHECK_EQ(rc, expected);
    CHECK(h == NULL);
}

/* Run in a re-executed copy of this program with UMF_LOG set: one failing create. */
static int child_log_main(void) {
    umf_result_t rc;
    umf_memory_provider_handle_t h = devdax_provider("/dev/null", 2 * MiB, RW, &rc);
    return (h == NULL && rc != UMF_RESULT_SUCCESS) ? 0 : 1;
}

/* A path that is not device DAX leaves an error line in the log (and nothing without UMF_LOG). */
static void test_error_is_logged(void) {
    char log_path[] = "/tmp/umf_test_devdax_log_XXXXXX";
    int fd = mkstemp(log_path);
    REQUIRE(fd >= 0);
    close(fd);
    char env_log[128];
    snprintf(env_log, sizeof(env_log), "UMF_LOG=level:error;output:file,%s", log_path);
    for (int with_log = 0; with_log < 2; with_log++) {
        int pipefd[2];
        REQUIRE(pipe(pipefd) == 0);
        fflush(stderr);
        pid_t pid = fork();
        if (pid == 0) {
            dup2(pipefd[1], 1);
            dup2(pipefd[1], 2);
            close(pipefd[0]);
            char *argv[] = {self_exe, (char *)"--log-child", NULL};
            char *envp[] = {with_log ? env_log : (char *)"UMF_UNRELATED=1", NULL};
            execve(self_exe, argv, envp);
            _exit(127);
        }
        close(pipefd[1]);
        char out[4096];
        ssize_t n, total = 0;
        while ((n = read(pipefd[0], out + total, sizeof(out) - 1 - (size_t)total)) > 0) {
            total += n;
        }
        close(pipefd[0]);
        int st = -1;
        CHECK_EQ(waitpid(pid, &st, 0), pid);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        CHECK_EQ(total, 0); /* nothing on stdout or stderr either way */
    }
    FILE *f = fopen(log_path, "r");
    REQUIRE(f != NULL);
    char text[8192];
    size_t len = fread(text, 1, sizeof(text) - 1, f);
    text[len] = '\0';
    fclose(f);
    unlink(log_path);
    CHECK(strstr(text, "/dev/null") != NULL);
    CHECK(strstr(text, "not a device DAX") != NULL);
}

/* ---- over a real device (UMF_TESTS_DEVDAX_PATH, UMF_TESTS_DEVDAX_SIZE) ---- */

static int child_write(void *p) {
    signal(SIGSEGV, SIG_DFL); /* not a sanitizer's handler */
    *(volatile char *)p = 1;
    return 0;
}

static int run_in_child(int (*fn)(void *), void *arg) {
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        _exit(fn(arg));
    }
    int st = -1;
    return waitpid(pid, &st, 0) == pid ? st : -1;
}

static void test_real_device(const char *path, size_t size) {
    umf_result_t rc;
    umf_memory_provider_handle_t h = devdax_provider(path, size, RW, &rc);
    CHECK_OK(rc);
    REQUIRE(h != NULL);
    const char *name = NULL;
    CHECK_OK(umfMemoryProviderGetName(h, &name));
    CHECK(name && strcmp(name, "DEVDAX") == 0);
    size_t ps = 0;
    CHECK_OK(umfMemoryProviderGetRecommendedPageSize(h, 1, &ps));
    CHECK_EQ(ps, 2 * MiB);
    CHECK_OK(umfMemoryProviderGetMinPageSize(h, NULL, &ps));
    CHECK_EQ(ps, 2 * MiB);

    char *a = NULL, *b = NULL;
    CHECK_EQ(umfMemoryProviderAlloc(h, 0, 0, (void **)&a), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderAlloc(h, 100, 3, (void **)&a), UMF_RESULT_ERROR_INVALID_ALIGNMENT);
    CHECK_EQ(umfMemoryProviderAlloc(h, 100, 3 * MiB, (void **)&a), UMF_RESULT_ERROR_INVALID_ALIGNMENT);
    CHECK_OK(umfMemoryProviderAlloc(h, 100, 0, (void **)&a));
    REQUIRE(a != NULL);
    CHECK_EQ((uintptr_t)a % (2 * MiB), 0); /* default alignment: the 2 MiB page */
    CHECK_OK(umfMemoryProviderAlloc(h, 4096, 4096, (void **)&b));
    REQUIRE(b != NULL);
    CHECK_EQ((uintptr_t)b % 4096, 0);
    memset(a, 0x5a, 100);
    memset(b, 0xa5, 4096);
    CHECK_EQ(a[99], 0x5a);
    CHECK_EQ(umfMemoryProviderFree(h, a + 1, 99), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderPurgeLazy(h, b, 4096), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_OK(umfMemoryProviderPurgeForce(h, b, 4096));
    CHECK_OK(umfMemoryProviderFree(h, b, 4096));
    CHECK_EQ(umfMemoryProviderFree(h, b, 4096), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMemoryProviderFree(h, a, 100));

    /* no growth: the device size is the limit */
    void *all = NULL;
    CHECK_EQ(umfMemoryProviderAlloc(h, size + 1, 0, &all), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    CHECK_OK(umfMemoryProviderAlloc(h, size, 0, &all));
    void *more = NULL;
    CHECK_EQ(umfMemoryProviderAlloc(h, 1, 4096, &more), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    if (size >= 4 * MiB && all != NULL) {
        CHECK_OK(umfMemoryProviderAllocationSplit(h, all, size, 2 * MiB));
        CHECK_OK(umfMemoryProviderAllocationMerge(h, all, (char *)all + 2 * MiB, size));
    }
    CHECK_OK(umfMemoryProviderFree(h, all, size));

    /* data persists across providers: the device is shared memory */
    CHECK_OK(umfMemoryProviderAlloc(h, 4096, 0, (void **)&a));
    REQUIRE(a != NULL);
    memset(a, 0x77, 4096);
    ptrdiff_t off = 0; /* the first allocation of a fresh provider is at the device's start */
    CHECK_OK(umfMemoryProviderDestroy(h));
    h = devdax_provider(path, size, RW, &rc);
    REQUIRE(h != NULL);
    CHECK_OK(umfMemoryProviderAlloc(h, 4096, 0, (void **)&b));
    REQUIRE(b != NULL);
    CHECK_EQ(b[off], 0x77);
    CHECK_EQ(b[4095], 0x77);

    /* a proxy pool over it */
    umf_memory_pool_handle_t pool = NULL;
    CHECK_OK(umfPoolCreate(umfProxyPoolOps(), h, NULL, UMF_POOL_CREATE_FLAG_NONE, &pool));
    REQUIRE(pool != NULL);
    char *c = umfPoolMalloc(pool, 1000);
    CHECK(c != NULL);
    umf_memory_pool_handle_t found = NULL;
    CHECK_OK(umfPoolByPtr(c, &found));
    CHECK(found == pool);
    CHECK_OK(umfPoolFree(pool, c));
    CHECK_OK(umfPoolDestroy(pool));
    CHECK_OK(umfMemoryProviderFree(h, b, 4096));
    CHECK_OK(umfMemoryProviderDestroy(h));

    /* read-only protection is enforced */
    h = devdax_provider(path, size, UMF_PROTECTION_READ, &rc);
    CHECK_OK(rc);
    REQUIRE(h != NULL);
    CHECK_OK(umfMemoryProviderAlloc(h, 4096, 0, (void **)&a));
    REQUIRE(a != NULL);
    CHECK_EQ(a[0], 0x77);
    int st = run_in_child(child_write, a);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
    CHECK_OK(umfMemoryProviderFree(h, a, 4096));
    CHECK_OK(umfMemoryProviderDestroy(h));
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--log-child") == 0) {
        return child_log_main();
    }
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
    if (n <= 0) {
        fprintf(stderr, "cannot find this program's path\n");
        return 1;
    }
    self_exe[n] = '\0';
    RUN_TEST(test_ops_table);
    RUN_TEST(test_params);
    RUN_TEST(test_create_errors);
    RUN_TEST(test_error_is_logged);
    const char *dax_path = getenv("UMF_TESTS_DEVDAX_PATH");
    const char *dax_size = getenv("UMF_TESTS_DEVDAX_SIZE");
    if (dax_path && dax_path[0] && dax_size && dax_size[0]) {
        size_t size = strtoull(dax_size, NULL, 0);
        umf_test_current = "test_real_device";
        int before = umf_test_failures;
        test_real_device(dax_path, size);
        fprintf(stderr, "%s test_real_device (%s, %zu bytes)\n", umf_test_failures == before ? "ok" : "not ok",
                dax_path, size);
    }
    return TEST_SUMMARY();
}
