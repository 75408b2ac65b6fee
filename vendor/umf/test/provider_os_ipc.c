/* IPC operations of the OS memory provider, through the provider API: in one process and across fork. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <umf/ipc.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_os_memory.h>

#include "test_common.h"

/* UMF 1.1's OS provider IPC data (reference 1.4). */
typedef struct os_ipc_blob_t {
    int pid;
    int fd;
    size_t fd_offset;
    size_t size;
    unsigned protection;
    unsigned visibility;
    size_t shm_name_len;
    char shm_name[];
} os_ipc_blob_t;

static size_t page;

static umf_memory_provider_handle_t make_provider(umf_memory_visibility_t vis, const char *shm_name) {
    umf_os_memory_provider_params_handle_t p = NULL;
    CHECK_OK(umfOsMemoryProviderParamsCreate(&p));
    CHECK_OK(umfOsMemoryProviderParamsSetVisibility(p, vis));
    CHECK_OK(umfOsMemoryProviderParamsSetShmName(p, shm_name));
    setenv("UMF_MEM_FD_FUNC", "memfd_create", 1);
    umf_memory_provider_handle_t h = NULL;
    CHECK_OK(umfMemoryProviderCreate(umfOsMemoryProviderOps(), p, &h));
    unsetenv("UMF_MEM_FD_FUNC");
    umfOsMemoryProviderParamsDestroy(p);
    return h;
}

static void test_private_has_no_ipc(void) {
    umf_memory_provider_handle_t h = make_provider(UMF_MEM_MAP_PRIVATE, NULL);
    REQUIRE(h != NULL);
    size_t size = 0;
    CHECK_EQ(umfMemoryProviderGetIPCHandleSize(h, &size), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    void *ptr = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, page, 0, &ptr));
    char blob[256];
    CHECK_EQ(umfMemoryProviderGetIPCHandle(h, ptr, page, blob), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    void *opened = NULL;
    CHECK_EQ(umfMemoryProviderOpenIPCHandle(h, blob, &opened), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMemoryProviderFree(h, ptr, page));
    CHECK_OK(umfMemoryProviderDestroy(h));
}

/* Gets a handle for a 3-page allocation filled with 0x3c and checks the blob. */
static os_ipc_blob_t *get_handle(umf_memory_provider_handle_t h, const char *shm_name, unsigned char **out_ptr) {
    size_t size = 0;
    CHECK_OK(umfMemoryProviderGetIPCHandleSize(h, &size));
    CHECK_EQ(size, 40 + (shm_name ? strlen(shm_name) : 0) + 1);
    unsigned char *first = NULL, *ptr = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, page, 0, (void **)&first)); /* so the second starts at offset page */
    CHECK_OK(umfMemoryProviderAlloc(h, 3 * page, 0, (void **)&ptr));
    if (!ptr || !first) {
        return NULL;
    }
    memset(ptr, 0x3c, 3 * page);
    os_ipc_blob_t *blob = calloc(1, size);
    CHECK_OK(umfMemoryProviderGetIPCHandle(h, ptr, 3 * page, blob));
    CHECK_EQ(blob->pid, getpid());
    CHECK_EQ(blob->fd_offset, page);
    CHECK_EQ(blob->size, 3 * page);
    CHECK_EQ(blob->protection, UMF_PROTECTION_READ | UMF_PROTECTION_WRITE);
    CHECK_EQ(blob->visibility, UMF_MEM_MAP_SHARED);
    CHECK_EQ(blob->shm_name_len, shm_name ? strlen(shm_name) : 0);
    CHECK(strcmp(blob->shm_name, shm_name ? shm_name : "") == 0);
    CHECK_OK(umfMemoryProviderFree(h, first, page));
    /* an address the provider did not return */
    CHECK_EQ(umfMemoryProviderGetIPCHandle(h, ptr + page, page, blob), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    *out_ptr = ptr;
    return blob;
}

static void check_open_same_process(const char *shm_name) {
    umf_memory_provider_handle_t prod = make_provider(UMF_MEM_MAP_SHARED, shm_name);
    umf_memory_provider_handle_t cons = make_provider(UMF_MEM_MAP_SHARED, NULL);
    REQUIRE(prod && cons);
    unsigned char *ptr = NULL;
    os_ipc_blob_t *blob = get_handle(prod, shm_name, &ptr);
    REQUIRE(blob != NULL);
    unsigned char *mapped = NULL;
    CHECK_OK(umfMemoryProviderOpenIPCHandle(cons, blob, (void **)&mapped));
    REQUIRE(mapped != NULL);
    CHECK(mapped != ptr);
    CHECK_EQ(mapped[0], 0x3c);
    CHECK_EQ(mapped[3 * page - 1], 0x3c);
    mapped[5] = 0x77;
    CHECK_EQ(ptr[5], 0x77);
    ptr[page] = 0x12;
    CHECK_EQ(mapped[page], 0x12);
    CHECK_OK(umfMemoryProviderCloseIPCHandle(cons, mapped, 3 * page));
    CHECK_OK(umfMemoryProviderPutIPCHandle(prod, blob));
    /* put checks the handle is this provider's */
    CHECK_EQ(umfMemoryProviderPutIPCHandle(cons, blob), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    blob->pid++;
    CHECK_EQ(umfMemoryProviderPutIPCHandle(prod, blob), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    blob->pid--;
    /* a malformed handle */
    blob->fd_offset += 1;
    CHECK_EQ(umfMemoryProviderOpenIPCHandle(cons, blob, (void **)&mapped), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    blob->fd_offset -= 1;
    CHECK_OK(umfMemoryProviderFree(prod, ptr, 3 * page));
    free(blob);
    CHECK_OK(umfMemoryProviderDestroy(cons));
    CHECK_OK(umfMemoryProviderDestroy(prod));
}

static void test_memfd_same_process(void) { check_open_same_process(NULL); }

static void test_named_shm_same_process(void) {
    char name[64];
    snprintf(name, sizeof(name), "umf_test_os_ipc_%d", (int)getpid());
    check_open_same_process(name);
    /* the consumer unlinked the object when it opened it */
    char path[80];
    snprintf(path, sizeof(path), "/%s", name);
    errno = 0;
    CHECK(shm_open(path, O_RDONLY, 0) < 0 && errno == ENOENT);
}

/* A forked child (another process) opens the handle with pidfd_getfd, reads and writes back. */
static void test_memfd_other_process(void) {
    umf_memory_provider_handle_t prod = make_provider(UMF_MEM_MAP_SHARED, NULL);
    REQUIRE(prod != NULL);
    unsigned char *ptr = NULL;
    os_ipc_blob_t *blob = get_handle(prod, NULL, &ptr);
    REQUIRE(blob != NULL);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        umf_memory_provider_handle_t cons = make_provider(UMF_MEM_MAP_SHARED, NULL);
        unsigned char *mapped = NULL;
        if (!cons || umfMemoryProviderOpenIPCHandle(cons, blob, (void **)&mapped) != UMF_RESULT_SUCCESS) {
            _exit(2);
        }
        int ok = mapped[0] == 0x3c && mapped[3 * page - 1] == 0x3c;
        memset(mapped + 2 * page, 0x99, page);
        umfMemoryProviderCloseIPCHandle(cons, mapped, 3 * page);
        umfMemoryProviderDestroy(cons);
        _exit(ok ? 0 : 3);
    }
    int st = 0;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 0);
    CHECK_EQ(ptr[2 * page], 0x99);
    CHECK_EQ(ptr[3 * page - 1], 0x99);
    CHECK_EQ(ptr[2 * page - 1], 0x3c);
    CHECK_OK(umfMemoryProviderPutIPCHandle(prod, blob));
    CHECK_OK(umfMemoryProviderFree(prod, ptr, 3 * page));
    free(blob);
    CHECK_OK(umfMemoryProviderDestroy(prod));
}

/* A handle naming a process that is gone cannot be opened; the error is the provider's. */
static void test_dead_process(void) {
    umf_memory_provider_handle_t cons = make_provider(UMF_MEM_MAP_SHARED, NULL);
    REQUIRE(cons != NULL);
    pid_t pid = fork();
    if (pid == 0) {
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    os_ipc_blob_t *blob = calloc(1, sizeof(os_ipc_blob_t) + 1);
    blob->pid = pid;
    blob->fd = 3;
    blob->size = page;
    blob->protection = UMF_PROTECTION_READ;
    blob->visibility = UMF_MEM_MAP_SHARED;
    void *mapped = NULL;
    CHECK_EQ(umfMemoryProviderOpenIPCHandle(cons, blob, &mapped), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    const char *msg = NULL;
    int32_t code = 0;
    CHECK_OK(umfMemoryProviderGetLastNativeError(cons, &msg, &code));
    CHECK_EQ(code, UMF_OS_RESULT_ERROR_ALLOC_FAILED);
    CHECK(msg && strstr(msg, "pidfd_open") != NULL);
    free(blob);
    CHECK_OK(umfMemoryProviderDestroy(cons));
}

/* The whole path through the core: a proxy pool's allocation shared with umfGetIPCHandle, opened by a child's pool. */
static void test_pool_ipc_other_process(void) {
    umf_memory_provider_handle_t prod = make_provider(UMF_MEM_MAP_SHARED, NULL);
    REQUIRE(prod != NULL);
    umf_memory_pool_handle_t pool = NULL;
    CHECK_OK(umfPoolCreate(umfProxyPoolOps(), prod, NULL, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool));
    REQUIRE(pool != NULL);
    size_t hsize = 0;
    CHECK_OK(umfPoolGetIPCHandleSize(pool, &hsize));
    CHECK_EQ(hsize, 40 + 40 + 1);
    uint32_t *buf = umfPoolMalloc(pool, 5 * page);
    REQUIRE(buf != NULL);
    for (size_t i = 0; i < 5 * page / 4; i++) {
        buf[i] = (uint32_t)(i * 2654435761u);
    }
    umf_ipc_handle_t handle = NULL;
    size_t size = 0;
    CHECK_OK(umfGetIPCHandle(buf + 100, &handle, &size)); /* an interior pointer */
    REQUIRE(handle != NULL);
    CHECK_EQ(size, hsize);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        umf_memory_provider_handle_t cons = make_provider(UMF_MEM_MAP_SHARED, NULL);
        umf_memory_pool_handle_t cpool = NULL;
        umf_ipc_handler_handle_t handler = NULL;
        uint32_t *mapped = NULL;
        if (!cons || umfPoolCreate(umfProxyPoolOps(), cons, NULL, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &cpool) ||
            umfPoolGetIPCHandler(cpool, &handler) || umfOpenIPCHandle(handler, handle, (void **)&mapped)) {
            _exit(2);
        }
        int ok = 1;
        for (size_t i = 100; i < 5 * page / 4; i++) {
            ok &= mapped[i - 100] == (uint32_t)(i * 2654435761u);
        }
        mapped[0] = 0xfeedface; /* buf[100] in the parent */
        if (umfCloseIPCHandle(mapped) != UMF_RESULT_SUCCESS || umfPoolDestroy(cpool) != UMF_RESULT_SUCCESS) {
            _exit(4);
        }
        _exit(ok ? 0 : 3);
    }
    int st = 0;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 0);
    CHECK_EQ(buf[100], 0xfeedface);
    CHECK_EQ(buf[101], (uint32_t)(101 * 2654435761u));
    CHECK_OK(umfPutIPCHandle(handle));
    CHECK_OK(umfPoolFree(pool, buf));
    CHECK_OK(umfPoolDestroy(pool));
}

int main(void) {
    page = (size_t)sysconf(_SC_PAGESIZE);
    RUN_TEST(test_private_has_no_ipc);
    RUN_TEST(test_memfd_same_process);
    RUN_TEST(test_named_shm_same_process);
    RUN_TEST(test_memfd_other_process);
    RUN_TEST(test_dead_process);
    RUN_TEST(test_pool_ipc_other_process);
    return TEST_SUMMARY();
}
