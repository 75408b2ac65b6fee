/*
 * IPC through umf/ipc.h between real processes, over the OS provider in its two
 * shared modes (anonymous memfd passed with pidfd_getfd, and a named POSIX shm
 * object). The producer is this process; the consumer is this program started
 * again (fork + exec) with the handle's bytes in hex on its command line: it
 * opens them through a pool of its own, checks what the producer wrote, writes
 * an answer, and the producer sees it. Also: a producer that has exited,
 * private memory, and a child that opens the same handle several times.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <umf/experimental/memory_properties.h>
#include <umf/ipc.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_os_memory.h>

#include "test_common.h"

#define REQUIRE_OK(call)                                                                           \
    do {                                                                                           \
        umf_result_t r_ = (call);                                                                  \
        CHECK_EQ(r_, UMF_RESULT_SUCCESS);                                                          \
        if (r_ != UMF_RESULT_SUCCESS) {                                                            \
            return;                                                                                \
        }                                                                                          \
    } while (0)

static size_t PAGE;

static umf_memory_pool_handle_t os_pool(umf_memory_visibility_t vis, const char *shm_name) {
    umf_os_memory_provider_params_handle_t params = NULL;
    if (umfOsMemoryProviderParamsCreate(&params) != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    umfOsMemoryProviderParamsSetVisibility(params, vis);
    if (shm_name != NULL) {
        umfOsMemoryProviderParamsSetShmName(params, shm_name);
    }
    umf_memory_provider_handle_t prov = NULL;
    umf_result_t rc = umfMemoryProviderCreate(umfOsMemoryProviderOps(), params, &prov);
    umfOsMemoryProviderParamsDestroy(params);
    if (rc != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    umf_memory_pool_handle_t pool = NULL;
    if (umfPoolCreate(umfProxyPoolOps(), prov, NULL, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool) !=
        UMF_RESULT_SUCCESS) {
        umfMemoryProviderDestroy(prov);
        return NULL;
    }
    return pool;
}

static void to_hex(const void *bytes, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    const unsigned char *b = bytes;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static size_t from_hex(const char *s, unsigned char *out, size_t max) {
    size_t n = strlen(s) / 2;
    if (n > max) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        if (sscanf(s + 2 * i, "%2x", &v) != 1) {
            return 0;
        }
        out[i] = (unsigned char)v;
    }
    return n;
}

/* The pattern the producer writes at byte i of an allocation. */
static unsigned char pattern(size_t i) { return (unsigned char)(i * 31 + 7); }

/* ----------------------------------------------------------------------------- the consumer child */

/*
 * argv: --consumer HEX LEN OFFSET. Opens the handle twice (one mapping), checks
 * the producer's pattern over the whole allocation (the pointer is OFFSET bytes in),
 * writes "answer" + its pid where the pointer points, closes both, exits 0 on success.
 */
static int consumer_main(const char *hex, size_t len, size_t offset) {
    _Alignas(8) unsigned char handle[4096];
    size_t n = from_hex(hex, handle, sizeof(handle));
    if (n < 40) {
        fprintf(stderr, "consumer: bad handle bytes\n");
        return 10;
    }
    umf_memory_pool_handle_t pool = os_pool(UMF_MEM_MAP_SHARED, NULL);
    if (pool == NULL) {
        return 11;
    }
    umf_ipc_handler_handle_t handler = NULL;
    if (umfPoolGetIPCHandler(pool, &handler) != UMF_RESULT_SUCCESS) {
        return 12;
    }
    unsigned char *p1 = NULL, *p2 = NULL;
    umf_result_t rc = umfOpenIPCHandle(handler, (umf_ipc_handle_t)handle, (void **)&p1);
    if (rc != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "consumer: open failed: %d\n", rc);
        umfPoolDestroy(pool);
        return 13;
    }
    if (umfOpenIPCHandle(handler, (umf_ipc_handle_t)handle, (void **)&p2) != UMF_RESULT_SUCCESS || p2 != p1) {
        return 14;
    }
    unsigned char *base = p1 - offset;
    for (size_t i = 0; i < len; i++) {
        if (base[i] != pattern(i)) {
            fprintf(stderr, "consumer: byte %zu is %u, not %u\n", i, base[i], pattern(i));
            return 15;
        }
    }
    umf_memory_properties_handle_t props = NULL;
    umf_memory_pool_handle_t ppool = (void *)1;
    if (umfGetMemoryPropertiesHandle(p1, &props) != UMF_RESULT_SUCCESS ||
        umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_POOL_HANDLE, &ppool, sizeof(ppool)) !=
            UMF_RESULT_SUCCESS ||
        ppool != NULL) {
        return 16;
    }
    snprintf((char *)p1, 64, "answer %d", (int)getpid());
    if (umfCloseIPCHandle(p1) != UMF_RESULT_SUCCESS || umfCloseIPCHandle(p2 + 1) != UMF_RESULT_SUCCESS) {
        return 17;
    }
    if (umfCloseIPCHandle(p1) != UMF_RESULT_ERROR_INVALID_ARGUMENT) {
        return 18;
    }
    if (umfPoolDestroy(pool) != UMF_RESULT_SUCCESS) {
        return 19;
    }
    return 0;
}

/* Starts the consumer on a handle; returns its exit status (or 128 + signal). */
static int run_consumer(umf_ipc_handle_t h, size_t hsize, size_t len, size_t offset, pid_t *child_pid) {
    char *hex = malloc(2 * hsize + 1);
    to_hex(h, hsize, hex);
    char lenarg[32], offarg[32];
    snprintf(lenarg, sizeof(lenarg), "%zu", len);
    snprintf(offarg, sizeof(offarg), "%zu", offset);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/proc/self/exe", "ipc_os", "--consumer", hex, lenarg, offarg, (char *)NULL);
        _exit(127);
    }
    free(hex);
    if (child_pid) {
        *child_pid = pid;
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ----------------------------------------------------------------------------- the tests */

static void share_with_child(const char *shm_name) {
    umf_memory_pool_handle_t pool = os_pool(UMF_MEM_MAP_SHARED, shm_name);
    REQUIRE(pool != NULL);
    size_t len = 5 * PAGE + 123, offset = 2 * PAGE + 40;
    unsigned char *buf = umfPoolMalloc(pool, len);
    REQUIRE(buf != NULL);
    for (size_t i = 0; i < len; i++) {
        buf[i] = pattern(i);
    }
    umf_ipc_handle_t h = NULL;
    size_t hsize = 0, expect = 0;
    REQUIRE_OK(umfGetIPCHandle(buf + offset, &h, &hsize));
    CHECK_OK(umfPoolGetIPCHandleSize(pool, &expect));
    CHECK_EQ(hsize, expect);
    pid_t child = 0;
    CHECK_EQ(run_consumer(h, hsize, len, offset, &child), 0);
    char answer[64];
    snprintf(answer, sizeof(answer), "answer %d", (int)child);
    CHECK(strcmp((char *)buf + offset, answer) == 0);
    if (shm_name != NULL) {
        /* the consumer unlinked the object once it had opened it */
        char path[300];
        snprintf(path, sizeof(path), "/%s", shm_name);
        int fd = shm_open(path, O_RDWR, 0);
        CHECK(fd < 0 && errno == ENOENT);
        if (fd >= 0) {
            close(fd);
        }
    }
    /* a second consumer: the producer's cached handle still works */
    for (size_t i = offset; i < offset + 64; i++) {
        buf[i] = pattern(i);
    }
    CHECK_EQ(run_consumer(h, hsize, len, offset, &child), shm_name ? 13 : 0);
    if (shm_name == NULL) {
        snprintf(answer, sizeof(answer), "answer %d", (int)child);
        CHECK(strcmp((char *)buf + offset, answer) == 0);
    }
    CHECK_OK(umfPutIPCHandle(h));
    CHECK_OK(umfPoolFree(pool, buf));
    CHECK_OK(umfPoolDestroy(pool));
}

static void test_memfd_across_processes(void) {
    setenv("UMF_MEM_FD_FUNC", "memfd_create", 1);
    share_with_child(NULL);
    unsetenv("UMF_MEM_FD_FUNC");
}

static void test_default_fd_across_processes(void) {
    /* memfd_secret when the kernel has it, else memfd_create */
    unsetenv("UMF_MEM_FD_FUNC");
    share_with_child(NULL);
}

static void test_named_shm_across_processes(void) {
    char name[64];
    snprintf(name, sizeof(name), "umf_ipc_os_test_%d", (int)getpid());
    share_with_child(name);
}

/* A producer (a forked child) makes a handle, sends its bytes, and exits: opening it fails cleanly. */
static void producer_exited(const char *shm_name) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    fflush(stderr);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        umf_memory_pool_handle_t pool = os_pool(UMF_MEM_MAP_SHARED, shm_name);
        void *buf = pool ? umfPoolMalloc(pool, PAGE) : NULL;
        umf_ipc_handle_t h = NULL;
        size_t hsize = 0;
        if (buf == NULL || umfGetIPCHandle(buf, &h, &hsize) != UMF_RESULT_SUCCESS) {
            _exit(1);
        }
        ssize_t w = write(fds[1], h, hsize);
        umfPutIPCHandle(h);
        umfPoolFree(pool, buf);
        umfPoolDestroy(pool);
        _exit(w == (ssize_t)hsize ? 0 : 2);
    }
    close(fds[1]);
    _Alignas(8) unsigned char handle[4096];
    ssize_t n = read(fds[0], handle, sizeof(handle));
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0); /* reaped: the process is gone */
    REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    REQUIRE(n > 40);

    umf_memory_pool_handle_t pool = os_pool(UMF_MEM_MAP_SHARED, NULL);
    REQUIRE(pool != NULL);
    umf_ipc_handler_handle_t handler = NULL;
    REQUIRE_OK(umfPoolGetIPCHandler(pool, &handler));
    void *p = NULL;
    umf_result_t rc = umfOpenIPCHandle(handler, (umf_ipc_handle_t)handle, &p);
    CHECK_EQ(rc, UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    CHECK(p == NULL);
    const char *msg = NULL;
    int32_t err = 0;
    umf_memory_provider_handle_t failed = NULL, upstream = NULL;
    CHECK_OK(umfGetLastFailedMemoryProvider(&failed));
    CHECK_OK(umfPoolGetMemoryProvider(pool, &upstream));
    CHECK(failed == upstream);
    if (failed != NULL) {
        CHECK_OK(umfMemoryProviderGetLastNativeError(failed, &msg, &err));
        CHECK_EQ(err, UMF_OS_RESULT_ERROR_ALLOC_FAILED);
        CHECK(msg != NULL && strstr(msg, shm_name ? "has exited" : "pidfd_open") != NULL);
    }
    CHECK_OK(umfPoolDestroy(pool));
}

static void test_memfd_producer_exited(void) {
    setenv("UMF_MEM_FD_FUNC", "memfd_create", 1);
    producer_exited(NULL);
    unsetenv("UMF_MEM_FD_FUNC");
}

static void test_named_shm_producer_exited(void) {
    char name[64];
    snprintf(name, sizeof(name), "umf_ipc_os_gone_%d", (int)getpid());
    producer_exited(name);
}

static void test_private_memory(void) {
    umf_memory_pool_handle_t pool = os_pool(UMF_MEM_MAP_PRIVATE, NULL);
    REQUIRE(pool != NULL);
    size_t size = 0;
    CHECK_EQ(umfPoolGetIPCHandleSize(pool, &size), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    void *buf = umfPoolMalloc(pool, PAGE);
    REQUIRE(buf != NULL);
    umf_ipc_handle_t h = NULL;
    CHECK_EQ(umfGetIPCHandle(buf, &h, &size), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK(h == NULL);
    CHECK_OK(umfPoolFree(pool, buf));
    CHECK_OK(umfPoolDestroy(pool));
}

/* Opening in the producer's own process goes through the provider too (a second mapping). */
static void test_same_process(void) {
    setenv("UMF_MEM_FD_FUNC", "memfd_create", 1);
    umf_memory_pool_handle_t P = os_pool(UMF_MEM_MAP_SHARED, NULL), Q = os_pool(UMF_MEM_MAP_SHARED, NULL);
    unsetenv("UMF_MEM_FD_FUNC");
    REQUIRE(P != NULL && Q != NULL);
    unsigned char *buf = umfPoolMalloc(P, 2 * PAGE);
    REQUIRE(buf != NULL);
    memset(buf, 0x5a, 2 * PAGE);
    umf_ipc_handle_t h = NULL;
    size_t hsize = 0;
    REQUIRE_OK(umfGetIPCHandle(buf + 1, &h, &hsize));
    umf_ipc_handler_handle_t hq = NULL;
    REQUIRE_OK(umfPoolGetIPCHandler(Q, &hq));
    unsigned char *o = NULL;
    REQUIRE_OK(umfOpenIPCHandle(hq, h, (void **)&o));
    CHECK(o != buf + 1);
    CHECK_EQ(o[-1], 0x5a);
    o[0] = 0xa5;
    CHECK_EQ(buf[1], 0xa5);
    CHECK_OK(umfCloseIPCHandle(o));
    CHECK_OK(umfPutIPCHandle(h));
    CHECK_OK(umfPoolDestroy(Q));
    CHECK_OK(umfPoolFree(P, buf));
    CHECK_OK(umfPoolDestroy(P));
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/*
 * Random and mutated OS-provider handles opened through umf/ipc.h: no crash, and only SUCCESS,
 * INVALID_ARGUMENT or MEMORY_PROVIDER_SPECIFIC (a system call of the provider refused the
 * handle). Process ids in the provider part are kept to this process or to one that cannot
 * exist, so that the test never reaches into other processes.
 */
static void test_fuzz_os_handles(void) {
    setenv("UMF_MEM_FD_FUNC", "memfd_create", 1);
    umf_memory_pool_handle_t P = os_pool(UMF_MEM_MAP_SHARED, NULL), Q = os_pool(UMF_MEM_MAP_SHARED, NULL);
    unsetenv("UMF_MEM_FD_FUNC");
    REQUIRE(P != NULL && Q != NULL);
    char *a = umfPoolMalloc(P, 3 * PAGE);
    REQUIRE(a != NULL);
    umf_ipc_handle_t h = NULL;
    size_t hsize = 0;
    REQUIRE_OK(umfGetIPCHandle(a + 5, &h, &hsize));
    REQUIRE(hsize <= 256);
    umf_ipc_handler_handle_t hq = NULL;
    REQUIRE_OK(umfPoolGetIPCHandler(Q, &hq));
    _Alignas(8) unsigned char buf[256];
    const int N = 20000;
    int opened = 0, rejected = 0, failed = 0, other = 0;
    for (int it = 0; it < N; it++) {
        memcpy(buf, h, hsize);
        memset(buf + hsize, 0, sizeof(buf) - hsize);
        int mode = (int)(rnd() % 3);
        if (mode == 0) {
            for (size_t i = 0; i < hsize; i++) {
                buf[i] = (unsigned char)rnd();
            }
        } else if (mode == 1) {
            int flips = 1 + (int)(rnd() % 6);
            for (int f = 0; f < flips; f++) {
                size_t bit = rnd() % (hsize * 8);
                buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
            }
        } else {
            size_t at = rnd() % (hsize - 7);
            uint64_t v = rnd() % 4 == 0 ? 0 : rnd() % 4 == 0 ? UINT64_MAX : rnd() >> (rnd() % 64);
            memcpy(buf + at, &v, 8);
        }
        int pid;
        memcpy(&pid, buf + 40, sizeof(pid)); /* the provider part starts with the owner's pid */
        if (pid != (int)getpid()) {
            pid = 0x3ffffff0; /* above any pid_max: no such process */
            memcpy(buf + 40, &pid, sizeof(pid));
        }
        void *o = NULL;
        umf_result_t rc = umfOpenIPCHandle(hq, (umf_ipc_handle_t)buf, &o);
        if (rc == UMF_RESULT_SUCCESS) {
            opened++;
            CHECK_OK(umfCloseIPCHandle(o));
        } else if (rc == UMF_RESULT_ERROR_INVALID_ARGUMENT) {
            rejected++;
        } else if (rc == UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC) {
            failed++;
        } else {
            other++;
            fprintf(stderr, "fuzz: unexpected result %d\n", rc);
        }
        if ((it & 511) == 511) {
            CHECK_OK(umfPoolDestroy(Q));
            setenv("UMF_MEM_FD_FUNC", "memfd_create", 1);
            Q = os_pool(UMF_MEM_MAP_SHARED, NULL);
            unsetenv("UMF_MEM_FD_FUNC");
            REQUIRE(Q != NULL);
            REQUIRE_OK(umfPoolGetIPCHandler(Q, &hq));
        }
    }
    fprintf(stderr, "fuzz: %d OS handles: %d opened, %d rejected, %d refused by the system\n", N, opened, rejected,
            failed);
    CHECK_EQ(other, 0);
    CHECK_EQ(opened + rejected + failed, N);
    /* the producer's memory is intact and the real handle still opens */
    void *o = NULL;
    CHECK_OK(umfOpenIPCHandle(hq, h, &o));
    CHECK(o != NULL && memcmp((char *)o - 5, a, 3 * PAGE) == 0);
    CHECK_OK(umfCloseIPCHandle(o));
    CHECK_OK(umfPutIPCHandle(h));
    CHECK_OK(umfPoolDestroy(Q));
    CHECK_OK(umfPoolFree(P, a));
    CHECK_OK(umfPoolDestroy(P));
}

int main(int argc, char **argv) {
    PAGE = (size_t)sysconf(_SC_PAGESIZE);
    if (argc == 5 && strcmp(argv[1], "--consumer") == 0) {
        return consumer_main(argv[2], strtoull(argv[3], NULL, 10), strtoull(argv[4], NULL, 10));
    }
    RUN_TEST(test_private_memory);
    RUN_TEST(test_same_process);
    RUN_TEST(test_memfd_across_processes);
    RUN_TEST(test_default_fd_across_processes);
    RUN_TEST(test_named_shm_across_processes);
    RUN_TEST(test_memfd_producer_exited);
    RUN_TEST(test_named_shm_producer_exited);
    RUN_TEST(test_fuzz_os_handles);
    return TEST_SUMMARY();
}
