/*
 * IPC through umf/ipc.h over the file provider (shared visibility): the handle
 * names the file and the allocation's offset in it. In one process, across
 * processes (this program started again with the handle's bytes in hex), and
 * with malformed handles.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include <umf/ipc.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_file_memory.h>

#include "test_common.h"

#define REQUIRE_OK(call)                                                                           \
    do {                                                                                           \
        umf_result_t r_ = (call);                                                                  \
        CHECK_EQ(r_, UMF_RESULT_SUCCESS);                                                          \
        if (r_ != UMF_RESULT_SUCCESS) {                                                            \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define HDR 40

/* The file provider's part of a handle, as UMF 1.1 lays it out (reference 1.4). */
typedef struct file_ipc_blob_t {
    char path[PATH_MAX];
    size_t offset_fd;
    size_t size;
    unsigned protection;
    unsigned visibility;
} file_ipc_blob_t;

static size_t PAGE;

static umf_memory_pool_handle_t file_pool(const char *path, umf_memory_visibility_t vis) {
    umf_file_memory_provider_params_handle_t params = NULL;
    if (umfFileMemoryProviderParamsCreate(path, &params) != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    umfFileMemoryProviderParamsSetVisibility(params, vis);
    umf_memory_provider_handle_t prov = NULL;
    umf_result_t rc = umfMemoryProviderCreate(umfFileMemoryProviderOps(), params, &prov);
    umfFileMemoryProviderParamsDestroy(params);
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

static void temp_path(char *out, size_t len, const char *what) {
    const char *dir = getenv("TMPDIR");
    snprintf(out, len, "%s/umf_ipc_file_%s_%d", dir && *dir ? dir : "/tmp", what, (int)getpid());
}

static unsigned char pattern(size_t i) { return (unsigned char)(i * 13 + 5); }

/* ---------------------------------------------------------------------------- the consumer child */

/* argv: --consumer HEX LEN OFFSET. Opens the handle through a file pool of its own, checks the
 * producer's pattern, writes "file answer <pid>" where the pointer points. Exit 0 on success. */
static int consumer_main(const char *hex, size_t len, size_t offset) {
    size_t n = strlen(hex) / 2;
    unsigned char *handle = aligned_alloc(8, (n + 7) / 8 * 8 + 8);
    if (handle == NULL || n < HDR) {
        return 10;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
            return 10;
        }
        handle[i] = (unsigned char)v;
    }
    char path[256];
    temp_path(path, sizeof(path), "consumer");
    umf_memory_pool_handle_t pool = file_pool(path, UMF_MEM_MAP_SHARED);
    if (pool == NULL) {
        return 11;
    }
    umf_ipc_handler_handle_t handler = NULL;
    if (umfPoolGetIPCHandler(pool, &handler) != UMF_RESULT_SUCCESS) {
        return 12;
    }
    unsigned char *p = NULL;
    umf_result_t rc = umfOpenIPCHandle(handler, (umf_ipc_handle_t)handle, (void **)&p);
    if (rc != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "consumer: open failed: %d\n", rc);
        umfPoolDestroy(pool);
        return 13;
    }
    unsigned char *base = p - offset;
    for (size_t i = 0; i < len; i++) {
        if (base[i] != pattern(i)) {
            fprintf(stderr, "consumer: byte %zu is %u, not %u\n", i, base[i], pattern(i));
            return 14;
        }
    }
    snprintf((char *)p, 64, "file answer %d", (int)getpid());
    if (umfCloseIPCHandle(p) != UMF_RESULT_SUCCESS || umfPoolDestroy(pool) != UMF_RESULT_SUCCESS) {
        return 15;
    }
    unlink(path);
    free(handle);
    return 0;
}

static int run_consumer(umf_ipc_handle_t h, size_t hsize, size_t len, size_t offset, pid_t *child) {
    static const char digits[] = "0123456789abcdef";
    char *hex = malloc(2 * hsize + 1);
    const unsigned char *b = (const unsigned char *)h;
    for (size_t i = 0; i < hsize; i++) {
        hex[2 * i] = digits[b[i] >> 4];
        hex[2 * i + 1] = digits[b[i] & 15];
    }
    hex[2 * hsize] = '\0';
    char lenarg[32], offarg[32];
    snprintf(lenarg, sizeof(lenarg), "%zu", len);
    snprintf(offarg, sizeof(offarg), "%zu", offset);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/proc/self/exe", "ipc_file", "--consumer", hex, lenarg, offarg, (char *)NULL);
        _exit(127);
    }
    free(hex);
    *child = pid;
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---------------------------------------------------------------------------- the tests */

static void test_private_file(void) {
    char path[256];
    temp_path(path, sizeof(path), "private");
    umf_memory_pool_handle_t pool = file_pool(path, UMF_MEM_MAP_PRIVATE);
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
    unlink(path);
}

static void test_file_round_trip(void) {
    char ppath[256], qpath[256];
    temp_path(ppath, sizeof(ppath), "producer");
    temp_path(qpath, sizeof(qpath), "consumer_local");
    umf_memory_pool_handle_t P = file_pool(ppath, UMF_MEM_MAP_SHARED), Q = file_pool(qpath, UMF_MEM_MAP_SHARED);
    REQUIRE(P != NULL && Q != NULL);
    size_t len = 3 * PAGE + 7;
    unsigned char *skip = umfPoolMalloc(P, PAGE); /* so that the allocation is not at offset 0 */
    unsigned char *buf = umfPoolMalloc(P, len);
    REQUIRE(skip != NULL && buf != NULL);
    for (size_t i = 0; i < len; i++) {
        buf[i] = pattern(i);
    }
    umf_ipc_handle_t h = NULL;
    size_t hsize = 0, expect = 0;
    REQUIRE_OK(umfGetIPCHandle(buf + 9, &h, &hsize));
    CHECK_OK(umfPoolGetIPCHandleSize(P, &expect));
    CHECK_EQ(hsize, expect);
    CHECK_EQ(hsize, HDR + sizeof(file_ipc_blob_t));
    file_ipc_blob_t blob;
    memcpy(&blob, (char *)h + HDR, sizeof(blob));
    CHECK(strcmp(blob.path, ppath) == 0);
    CHECK_EQ(blob.size, len);
    CHECK_EQ(blob.visibility, UMF_MEM_MAP_SHARED);
    CHECK(blob.offset_fd >= PAGE);

    umf_ipc_handler_handle_t hq = NULL;
    REQUIRE_OK(umfPoolGetIPCHandler(Q, &hq));
    unsigned char *o = NULL;
    REQUIRE_OK(umfOpenIPCHandle(hq, h, (void **)&o));
    CHECK(o != buf + 9);
    CHECK(memcmp(o - 9, buf, len) == 0);
    o[0] = 0xEE;
    CHECK_EQ(buf[9], 0xEE);
    CHECK_OK(umfCloseIPCHandle(o));

    /* another process */
    pid_t child = 0;
    buf[9] = pattern(9);
    CHECK_EQ(run_consumer(h, hsize, len, 9, &child), 0);
    char answer[64];
    snprintf(answer, sizeof(answer), "file answer %d", (int)child);
    CHECK(strcmp((char *)buf + 9, answer) == 0);

    CHECK_OK(umfPutIPCHandle(h));
    CHECK_OK(umfPoolDestroy(Q));
    CHECK_OK(umfPoolFree(P, buf));
    CHECK_OK(umfPoolFree(P, skip));
    CHECK_OK(umfPoolDestroy(P));
    unlink(ppath);
    unlink(qpath);
}

static void test_malformed_file_handles(void) {
    char ppath[256], qpath[256], rpath[256];
    temp_path(ppath, sizeof(ppath), "producer_bad");
    temp_path(qpath, sizeof(qpath), "consumer_bad");
    temp_path(rpath, sizeof(rpath), "consumer_private");
    umf_memory_pool_handle_t P = file_pool(ppath, UMF_MEM_MAP_SHARED), Q = file_pool(qpath, UMF_MEM_MAP_SHARED);
    umf_memory_pool_handle_t R = file_pool(rpath, UMF_MEM_MAP_PRIVATE);
    REQUIRE(P != NULL && Q != NULL && R != NULL);
    unsigned char *buf = umfPoolMalloc(P, 2 * PAGE);
    REQUIRE(buf != NULL);
    umf_ipc_handle_t h = NULL;
    size_t hsize = 0;
    REQUIRE_OK(umfGetIPCHandle(buf, &h, &hsize));
    umf_ipc_handler_handle_t hq = NULL, hr = NULL;
    REQUIRE_OK(umfPoolGetIPCHandler(Q, &hq));
    REQUIRE_OK(umfPoolGetIPCHandler(R, &hr));
    unsigned char *bad = aligned_alloc(8, (hsize + 7) / 8 * 8);
    REQUIRE(bad != NULL);
    file_ipc_blob_t good;
    memcpy(&good, (char *)h + HDR, sizeof(good));
    void *o = NULL;

    /* a consumer with private visibility cannot open */
    CHECK_EQ(umfOpenIPCHandle(hr, h, &o), UMF_RESULT_ERROR_INVALID_ARGUMENT);

    file_ipc_blob_t blobs[6];
    for (int i = 0; i < 6; i++) {
        blobs[i] = good;
    }
    memset(blobs[0].path, 'x', sizeof(blobs[0].path)); /* no terminating NUL */
    blobs[1].path[0] = '\0';                          /* empty path */
    blobs[2].visibility = UMF_MEM_MAP_PRIVATE;
    blobs[3].protection = 0x100;
    blobs[4].offset_fd = (size_t)1 << 40; /* past the end of the file */
    blobs[5].size = SIZE_MAX;
    for (int i = 0; i < 6; i++) {
        memcpy(bad, h, hsize);
        memcpy(bad + HDR, &blobs[i], sizeof(blobs[i]));
        o = NULL;
        CHECK_EQ(umfOpenIPCHandle(hq, (umf_ipc_handle_t)bad, &o), UMF_RESULT_ERROR_INVALID_ARGUMENT);
        CHECK(o == NULL);
    }
    /* a file that does not exist: the provider's open fails with the system's reason */
    memcpy(bad, h, hsize);
    file_ipc_blob_t missing = good;
    snprintf(missing.path, sizeof(missing.path), "%s.missing", ppath);
    memcpy(bad + HDR, &missing, sizeof(missing));
    CHECK_EQ(umfOpenIPCHandle(hq, (umf_ipc_handle_t)bad, &o), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    /* a header that claims more than the provider data describes */
    memcpy(bad, h, hsize);
    size_t more = 64 * PAGE;
    memcpy(bad + 24, &more, sizeof(more));
    CHECK_EQ(umfOpenIPCHandle(hq, (umf_ipc_handle_t)bad, &o), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* the real one still opens */
    CHECK_OK(umfOpenIPCHandle(hq, h, &o));
    CHECK_OK(umfCloseIPCHandle(o));
    free(bad);
    CHECK_OK(umfPutIPCHandle(h));
    CHECK_OK(umfPoolDestroy(Q));
    CHECK_OK(umfPoolDestroy(R));
    CHECK_OK(umfPoolFree(P, buf));
    CHECK_OK(umfPoolDestroy(P));
    unlink(ppath);
    unlink(qpath);
    unlink(rpath);
}

int main(int argc, char **argv) {
    PAGE = (size_t)sysconf(_SC_PAGESIZE);
    if (argc == 5 && strcmp(argv[1], "--consumer") == 0) {
        return consumer_main(argv[2], strtoull(argv[3], NULL, 10), strtoull(argv[4], NULL, 10));
    }
    RUN_TEST(test_private_file);
    RUN_TEST(test_file_round_trip);
    RUN_TEST(test_malformed_file_handles);
    return TEST_SUMMARY();
}
