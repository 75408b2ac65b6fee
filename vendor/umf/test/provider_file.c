/* The file memory provider through the public API: params, create errors, growth, visibility, persistence, protection, purge, split/merge, pools, threads, grow failure. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_disjoint.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_file_memory.h>

#include "test_common.h"

#define MiB ((size_t)1 << 20)

static size_t page;
static char dir[64];
static int file_seq;

/* A fresh path in the test's directory (the file does not exist yet). */
static const char *new_path(char *out, size_t n) {
    snprintf(out, n, "%s/f%d", dir, file_seq++);
    return out;
}

static off_t file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

/* A provider over path with the given protection and visibility; NULL on failure (*rc says why). */
static umf_memory_provider_handle_t file_provider(const char *path, unsigned prot, umf_memory_visibility_t vis,
                                                  umf_result_t *rc) {
    umf_file_memory_provider_params_handle_t params = NULL;
    *rc = umfFileMemoryProviderParamsCreate(path, &params);
    if (*rc != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    umfFileMemoryProviderParamsSetProtection(params, prot);
    umfFileMemoryProviderParamsSetVisibility(params, vis);
    umf_memory_provider_handle_t h = NULL;
    *rc = umfMemoryProviderCreate(umfFileMemoryProviderOps(), params, &h);
    umfFileMemoryProviderParamsDestroy(params);
    return *rc == UMF_RESULT_SUCCESS ? h : NULL;
}

static umf_memory_provider_handle_t rw_provider(const char *path, umf_memory_visibility_t vis) {
    umf_result_t rc;
    umf_memory_provider_handle_t h =
        file_provider(path, UMF_PROTECTION_READ | UMF_PROTECTION_WRITE, vis, &rc);
    CHECK_OK(rc);
    return h;
}

static void test_ops_table(void) {
    const umf_memory_provider_ops_t *ops = umfFileMemoryProviderOps();
    REQUIRE(ops != NULL);
    CHECK(ops == umfFileMemoryProviderOps());
    CHECK_EQ(ops->version, UMF_PROVIDER_OPS_VERSION_CURRENT);
    const char *name = NULL;
    CHECK_OK(ops->get_name(NULL, &name));
    CHECK(name != NULL && strcmp(name, "FILE") == 0);
    CHECK(ops->ext_purge_lazy && ops->ext_purge_force && ops->ext_allocation_split && ops->ext_allocation_merge);
    void *priv = NULL;
    CHECK_EQ(ops->initialize(NULL, &priv), UMF_RESULT_ERROR_INVALID_ARGUMENT);
}

static void test_params(void) {
    umf_file_memory_provider_params_handle_t p = NULL;
    CHECK_EQ(umfFileMemoryProviderParamsCreate("/tmp/x", NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfFileMemoryProviderParamsCreate(NULL, &p), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfFileMemoryProviderParamsCreate("", &p), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    static char longpath[PATH_MAX + 10];
    memset(longpath, 'a', sizeof(longpath) - 1);
    longpath[0] = '/';
    CHECK_EQ(umfFileMemoryProviderParamsCreate(longpath, &p), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK(p == NULL);
    CHECK_EQ(umfFileMemoryProviderParamsSetPath(NULL, "/tmp/x"), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfFileMemoryProviderParamsSetProtection(NULL, UMF_PROTECTION_READ), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfFileMemoryProviderParamsSetVisibility(NULL, UMF_MEM_MAP_SHARED), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfFileMemoryProviderParamsSetName(NULL, "x"), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfFileMemoryProviderParamsDestroy(NULL));

    char path[96];
    CHECK_OK(umfFileMemoryProviderParamsCreate(new_path(path, sizeof(path)), &p));
    REQUIRE(p != NULL);
    CHECK_EQ(umfFileMemoryProviderParamsSetPath(p, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfFileMemoryProviderParamsSetPath(p, ""), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfFileMemoryProviderParamsSetPath(p, longpath), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfFileMemoryProviderParamsSetName(p, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* the path and name are copied: the caller's buffers may change afterwards */
    char mine[96], name[16] = "my_file";
    new_path(mine, sizeof(mine));
    CHECK_OK(umfFileMemoryProviderParamsSetPath(p, mine));
    CHECK_OK(umfFileMemoryProviderParamsSetName(p, name));
    char expected[96];
    memcpy(expected, mine, sizeof(mine));
    memset(mine, 0, sizeof(mine));
    name[0] = 'X';
    umf_memory_provider_handle_t h = NULL;
    CHECK_OK(umfMemoryProviderCreate(umfFileMemoryProviderOps(), p, &h));
    CHECK_OK(umfFileMemoryProviderParamsDestroy(p));
    REQUIRE(h != NULL);
    const char *got = NULL;
    CHECK_OK(umfMemoryProviderGetName(h, &got));
    CHECK(got && strcmp(got, "my_file") == 0);
    CHECK_EQ(file_size(expected), 0); /* created, not grown yet */
    CHECK_OK(umfMemoryProviderDestroy(h));
    CHECK_EQ(file_size(path), -1); /* the first path was replaced, never created */
}

static void test_create_errors(void) {
    umf_memory_provider_handle_t h = NULL;
    umf_result_t rc;
    char path[96];
    CHECK_EQ(umfMemoryProviderCreate(umfFileMemoryProviderOps(), NULL, &h), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    unsigned bad_prot[] = {0, 16, 0x100 | UMF_PROTECTION_READ};
    for (size_t i = 0; i < sizeof(bad_prot) / sizeof(bad_prot[0]); i++) {
        h = file_provider(new_path(path, sizeof(path)), bad_prot[i], UMF_MEM_MAP_PRIVATE, &rc);
        CHECK_EQ(rc, UMF_RESULT_ERROR_INVALID_ARGUMENT);
        CHECK(h == NULL);
    }
    int bad_vis[] = {0, 3, -1};
    for (size_t i = 0; i < sizeof(bad_vis) / sizeof(bad_vis[0]); i++) {
        h = file_provider(new_path(path, sizeof(path)), UMF_PROTECTION_READ, (umf_memory_visibility_t)bad_vis[i], &rc);
        CHECK_EQ(rc, UMF_RESULT_ERROR_INVALID_ARGUMENT);
        CHECK(h == NULL);
    }
    /* a directory, and a file in a directory that does not exist */
    h = file_provider(dir, UMF_PROTECTION_READ, UMF_MEM_MAP_PRIVATE, &rc);
    CHECK_EQ(rc, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    snprintf(path, sizeof(path), "%s/no/such/dir/file", dir);
    h = file_provider(path, UMF_PROTECTION_READ, UMF_MEM_MAP_PRIVATE, &rc);
    CHECK_EQ(rc, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK(h == NULL);
}

static void test_alloc_free(void) {
    char path[96];
    umf_memory_provider_handle_t h = rw_provider(new_path(path, sizeof(path)), UMF_MEM_MAP_PRIVATE);
    REQUIRE(h != NULL);
    void *a = NULL, *b = NULL;
    CHECK_EQ(umfMemoryProviderAlloc(h, 0, 0, &a), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderAlloc(h, page, 0, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMemoryProviderAlloc(h, 100, 0, &a));
    REQUIRE(a != NULL);
    CHECK_EQ((uintptr_t)a % page, 0);
    CHECK_EQ(file_size(path), (off_t)(2 * MiB)); /* the first chunk */
    memset(a, 0x11, 100);
    CHECK_OK(umfMemoryProviderAlloc(h, page, 0, &b));
    REQUIRE(b != NULL);
    memset(b, 0x22, page);
    CHECK_EQ(((unsigned char *)a)[99], 0x11);
    CHECK_OK(umfMemoryProviderFree(h, NULL, 0));
    CHECK_EQ(umfMemoryProviderFree(h, (char *)b + 1, page - 1), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderFree(h, b, page + 1), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    int local = 0;
    CHECK_EQ(umfMemoryProviderFree(h, &local, sizeof(local)), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMemoryProviderFree(h, b, page));
    CHECK_EQ(umfMemoryProviderFree(h, b, page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMemoryProviderFree(h, a, 100));
    /* as UMF: a size no page rounding can hold is a bad argument, not a failed allocation */
    a = (void *)0x1;
    CHECK_EQ(umfMemoryProviderAlloc(h, SIZE_MAX, 0, &a), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK(a == NULL);
    CHECK_EQ(umfMemoryProviderAlloc(h, SIZE_MAX - page + 1, 0, &a), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* as UMF: a private provider has no opened IPC handle to close */
    CHECK_OK(umfMemoryProviderAlloc(h, page, 0, &b));
    CHECK_EQ(umfMemoryProviderCloseIPCHandle(h, b, page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    *(volatile char *)b = 1; /* still mapped */
    CHECK_OK(umfMemoryProviderFree(h, b, page));
    CHECK_OK(umfMemoryProviderDestroy(h));
    CHECK_EQ(file_size(path), (off_t)(2 * MiB)); /* the file stays */
}

static void test_alignment(void) {
    char path[96];
    umf_memory_provider_handle_t h = rw_provider(new_path(path, sizeof(path)), UMF_MEM_MAP_PRIVATE);
    REQUIRE(h != NULL);
    void *p = NULL;
    size_t bad[] = {3, 48, 3 * page, 6 * page};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_EQ(umfMemoryProviderAlloc(h, 64, bad[i], &p), UMF_RESULT_ERROR_INVALID_ALIGNMENT);
    }
    size_t good[] = {0, 8, page, 4 * page, 2 * MiB, 8 * MiB};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        p = NULL;
        CHECK_OK(umfMemoryProviderAlloc(h, 3 * page, good[i], &p));
        size_t a = good[i] ? good[i] : page;
        CHECK(p != NULL && (uintptr_t)p % a == 0);
        if (p) {
            memset(p, (int)i, 3 * page);
            CHECK_OK(umfMemoryProviderFree(h, p, 3 * page));
        }
    }
    CHECK_OK(umfMemoryProviderDestroy(h));
}

/* Many allocations grow the file chunk by chunk; freed space is reused before the file grows again. */
static void test_growth(void) {
    char path[96];
    umf_memory_provider_handle_t h = rw_provider(new_path(path, sizeof(path)), UMF_MEM_MAP_SHARED);
    REQUIRE(h != NULL);
    enum { N = 320 };
    static unsigned char *ptrs[N];
    const size_t sz = 64 * 1024;
    for (int i = 0; i < N; i++) {
        ptrs[i] = NULL;
        CHECK_OK(umfMemoryProviderAlloc(h, sz, 0, (void **)&ptrs[i]));
        if (ptrs[i]) {
            memset(ptrs[i], i & 0xff, sz);
        }
    }
    off_t grown = file_size(path);
    CHECK(grown >= (off_t)(N * sz));
    CHECK(grown < (off_t)(N * sz + 2 * MiB));
    CHECK_EQ(grown % (off_t)(2 * MiB), 0);
    int intact = 1;
    for (int i = 0; i < N; i++) {
        intact &= ptrs[i] && ptrs[i][0] == (i & 0xff) && ptrs[i][sz - 1] == (i & 0xff);
    }
    CHECK(intact);
    /* each allocation's bytes are in the file (shared), somewhere: the file holds every tag */
    int fd = open(path, O_RDONLY);
    REQUIRE(fd >= 0);
    static unsigned char seen[256];
    memset(seen, 0, sizeof(seen));
    unsigned char *chunk = malloc(sz);
    REQUIRE(chunk != NULL);
    for (off_t off = 0; off + (off_t)sz <= grown; off += (off_t)sz) {
        if (pread(fd, chunk, sz, off) == (ssize_t)sz && chunk[0] == chunk[sz - 1]) {
            seen[chunk[0]] = 1;
        }
    }
    free(chunk);
    close(fd);
    int all_seen = 1;
    for (int i = 0; i < 256 && i < N; i++) {
        all_seen &= seen[i];
    }
    CHECK(all_seen);
    for (int i = 0; i < N; i += 2) {
        CHECK_OK(umfMemoryProviderFree(h, ptrs[i], sz));
    }
    for (int i = 0; i < N; i += 2) {
        CHECK_OK(umfMemoryProviderAlloc(h, sz, 0, (void **)&ptrs[i]));
    }
    CHECK_EQ(file_size(path), grown); /* reused, not grown */
    /* one request bigger than a chunk gets a mapping of its own */
    void *big = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, 5 * MiB, 0, &big));
    REQUIRE(big != NULL);
    memset(big, 0x5b, 5 * MiB);
    CHECK(file_size(path) >= grown + (off_t)(5 * MiB));
    CHECK_OK(umfMemoryProviderFree(h, big, 5 * MiB));
    for (int i = 0; i < N; i++) {
        CHECK_OK(umfMemoryProviderFree(h, ptrs[i], sz));
    }
    CHECK_OK(umfMemoryProviderDestroy(h));
}

static int read_exact(const char *path, off_t off, void *buf, size_t n) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        return -1;
    }
    ssize_t got = pread(fd, buf, n, off);
    close(fd);
    return got == (ssize_t)n ? 0 : -1;
}

static bool all_bytes(const unsigned char *p, size_t n, unsigned char v) {
    for (size_t i = 0; i < n; i++) {
        if (p[i] != v) {
            return false;
        }
    }
    return true;
}

/* Shared: what is written is in the file, during the provider's life and after; private: never. */
static void test_visibility_and_persistence(void) {
    char path[96];
    umf_memory_provider_handle_t h = rw_provider(new_path(path, sizeof(path)), UMF_MEM_MAP_SHARED);
    REQUIRE(h != NULL);
    unsigned char *a = NULL, *b = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, 2 * page, 0, (void **)&a));
    CHECK_OK(umfMemoryProviderAlloc(h, page, 0, (void **)&b));
    REQUIRE(a != NULL && b != NULL);
    /* the file's first allocations sit at its start */
    CHECK(b == a + 2 * page || a == b + page);
    off_t off_a = b == a + 2 * page ? 0 : (off_t)page;
    off_t off_b = b == a + 2 * page ? (off_t)(2 * page) : 0;
    memset(a, 0xab, 2 * page);
    memset(b, 0xcd, page);
    unsigned char *buf = malloc(2 * page);
    REQUIRE(buf != NULL);
    CHECK_EQ(read_exact(path, off_a, buf, 2 * page), 0);
    CHECK(all_bytes(buf, 2 * page, 0xab)); /* visible at once through the page cache */
    CHECK_OK(umfMemoryProviderDestroy(h));

    /* after the provider is gone, with read(2) */
    int fd = open(path, O_RDONLY);
    REQUIRE(fd >= 0);
    CHECK_EQ(lseek(fd, off_b, SEEK_SET), off_b);
    memset(buf, 0, page);
    CHECK_EQ(read(fd, buf, page), (ssize_t)page);
    CHECK(all_bytes(buf, page, 0xcd));
    close(fd);

    /* and from another process */
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        unsigned char *cbuf = malloc(2 * page);
        int cfd = open(path, O_RDONLY);
        if (cbuf == NULL || cfd < 0 || pread(cfd, cbuf, 2 * page, off_a) != (ssize_t)(2 * page)) {
            _exit(2);
        }
        _exit(all_bytes(cbuf, 2 * page, 0xab) ? 0 : 1);
    }
    int st = -1;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);

    /* a new shared provider over the same file sees the old bytes (it maps from offset 0 again) */
    h = rw_provider(path, UMF_MEM_MAP_SHARED);
    REQUIRE(h != NULL);
    unsigned char *c = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, 3 * page, 0, (void **)&c));
    REQUIRE(c != NULL);
    CHECK(all_bytes(c + off_a, 2 * page, 0xab));
    CHECK(all_bytes(c + off_b, page, 0xcd));
    CHECK_OK(umfMemoryProviderFree(h, c, 3 * page));
    CHECK_OK(umfMemoryProviderDestroy(h));
    CHECK_EQ(file_size(path), (off_t)(2 * MiB)); /* grow-only, never truncated */

    /* private: copy on write, the file keeps its bytes */
    h = rw_provider(path, UMF_MEM_MAP_PRIVATE);
    REQUIRE(h != NULL);
    CHECK_OK(umfMemoryProviderAlloc(h, 3 * page, 0, (void **)&c));
    REQUIRE(c != NULL);
    CHECK(all_bytes(c + off_a, 2 * page, 0xab)); /* reads the file */
    memset(c, 0x01, 3 * page);
    CHECK_EQ(read_exact(path, off_a, buf, 2 * page), 0);
    CHECK(all_bytes(buf, 2 * page, 0xab));
    CHECK_OK(umfMemoryProviderFree(h, c, 3 * page));
    CHECK_OK(umfMemoryProviderDestroy(h));
    CHECK_EQ(read_exact(path, off_b, buf, page), 0);
    CHECK(all_bytes(buf, page, 0xcd));
    free(buf);
}

/* A file longer than a chunk is not shortened, and its bytes are what the first allocation shows. */
static void test_existing_file(void) {
    char path[96];
    new_path(path, sizeof(path));
    int fd = open(path, O_RDWR | O_CREAT, 0600);
    REQUIRE(fd >= 0);
    CHECK_EQ(ftruncate(fd, (off_t)(3 * MiB)), 0);
    unsigned char pattern[64];
    memset(pattern, 0x9d, sizeof(pattern));
    CHECK_EQ(pwrite(fd, pattern, sizeof(pattern), 0), (ssize_t)sizeof(pattern));
    close(fd);
    umf_memory_provider_handle_t h = rw_provider(path, UMF_MEM_MAP_SHARED);
    REQUIRE(h != NULL);
    unsigned char *p = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, page, 0, (void **)&p));
    REQUIRE(p != NULL);
    CHECK(all_bytes(p, sizeof(pattern), 0x9d));
    CHECK_EQ(p[sizeof(pattern)], 0);
    CHECK_OK(umfMemoryProviderFree(h, p, page));
    CHECK_OK(umfMemoryProviderDestroy(h));
    CHECK_EQ(file_size(path), (off_t)(3 * MiB));
}

static int in_child(void (*fn)(void *), void *arg) {
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        fn(arg);
        _exit(0);
    }
    int st = 0;
    return waitpid(pid, &st, 0) == pid ? st : -1;
}

/* (the default action, so that a sanitizer's handler does not turn the fault into an exit code) */
static void child_write(void *p) {
    signal(SIGSEGV, SIG_DFL);
    *(volatile char *)p = 1;
}
static void child_read(void *p) {
    signal(SIGSEGV, SIG_DFL);
    (void)*(volatile char *)p;
}

static void test_protection(void) {
    char path[96];
    umf_result_t rc;
    const umf_memory_visibility_t vis[] = {UMF_MEM_MAP_PRIVATE, UMF_MEM_MAP_SHARED};
    for (int v = 0; v < 2; v++) {
        umf_memory_provider_handle_t ro = file_provider(new_path(path, sizeof(path)), UMF_PROTECTION_READ, vis[v], &rc);
        CHECK_OK(rc);
        REQUIRE(ro != NULL);
        char *p = NULL;
        CHECK_OK(umfMemoryProviderAlloc(ro, page, 0, (void **)&p));
        REQUIRE(p != NULL);
        CHECK_EQ(p[0], 0); /* readable: a new file reads zeros */
        int st = in_child(child_write, p);
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
        st = in_child(child_read, p);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        CHECK_OK(umfMemoryProviderFree(ro, p, page));
        CHECK_OK(umfMemoryProviderDestroy(ro));

        umf_memory_provider_handle_t none = file_provider(new_path(path, sizeof(path)), UMF_PROTECTION_NONE, vis[v], &rc);
        CHECK_OK(rc);
        REQUIRE(none != NULL);
        CHECK_OK(umfMemoryProviderAlloc(none, page, 0, (void **)&p));
        REQUIRE(p != NULL);
        st = in_child(child_read, p);
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
        CHECK_OK(umfMemoryProviderFree(none, p, page));
        CHECK_OK(umfMemoryProviderDestroy(none));

        umf_memory_provider_handle_t rw = rw_provider(new_path(path, sizeof(path)), vis[v]);
        REQUIRE(rw != NULL);
        CHECK_OK(umfMemoryProviderAlloc(rw, page, 0, (void **)&p));
        REQUIRE(p != NULL);
        st = in_child(child_write, p);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        /* shared: the child's write is ours too; private: it stays in the child */
        CHECK_EQ(p[0], vis[v] == UMF_MEM_MAP_SHARED ? 1 : 0);
        CHECK_OK(umfMemoryProviderFree(rw, p, page));
        CHECK_OK(umfMemoryProviderDestroy(rw));
    }
}

static void test_page_sizes(void) {
    char path[96];
    umf_memory_provider_handle_t h = rw_provider(new_path(path, sizeof(path)), UMF_MEM_MAP_SHARED);
    REQUIRE(h != NULL);
    size_t ps = 0;
    /* the test directory is not on a DAX file system: the system page */
    CHECK_OK(umfMemoryProviderGetRecommendedPageSize(h, 5 * MiB, &ps));
    CHECK_EQ(ps, page);
    CHECK_OK(umfMemoryProviderGetMinPageSize(h, NULL, &ps));
    CHECK_EQ(ps, page);
    CHECK_EQ(umfMemoryProviderGetMinPageSize(h, NULL, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMemoryProviderDestroy(h));

    const char *fsdax = getenv("UMF_TESTS_FSDAX_PATH");
    if (fsdax != NULL && fsdax[0] != '\0') {
        /* on a real FSDAX file the page is 2 MiB and the memory is mapped with MAP_SYNC */
        h = rw_provider(fsdax, UMF_MEM_MAP_SHARED);
        REQUIRE(h != NULL);
        CHECK_OK(umfMemoryProviderGetMinPageSize(h, NULL, &ps));
        CHECK_EQ(ps, 2 * MiB);
        void *p = NULL;
        CHECK_OK(umfMemoryProviderAlloc(h, page, 0, &p));
        CHECK(p != NULL && (uintptr_t)p % (2 * MiB) == 0);
        CHECK_OK(umfMemoryProviderFree(h, p, page));
        CHECK_OK(umfMemoryProviderDestroy(h));
    }
}

static void test_purge(void) {
    char path[96];
    const umf_memory_visibility_t vis[] = {UMF_MEM_MAP_PRIVATE, UMF_MEM_MAP_SHARED};
    for (int v = 0; v < 2; v++) {
        umf_memory_provider_handle_t h = rw_provider(new_path(path, sizeof(path)), vis[v]);
        REQUIRE(h != NULL);
        unsigned char *p = NULL;
        CHECK_OK(umfMemoryProviderAlloc(h, 64 * page, 0, (void **)&p));
        REQUIRE(p != NULL);
        memset(p, 0x3c, 64 * page);
        CHECK_EQ(umfMemoryProviderPurgeLazy(h, p, page), UMF_RESULT_ERROR_NOT_SUPPORTED);
        CHECK_EQ(p[0], 0x3c);
        CHECK_EQ(umfMemoryProviderPurgeForce(h, NULL, page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
        int local = 0;
        CHECK_EQ(umfMemoryProviderPurgeForce(h, &local, sizeof(local)), UMF_RESULT_ERROR_INVALID_ARGUMENT);
        CHECK_EQ(umfMemoryProviderPurgeForce(h, p, 4 * MiB), UMF_RESULT_ERROR_INVALID_ARGUMENT); /* past the mapping */
        struct stat before, after;
        CHECK_EQ(stat(path, &before), 0);
        CHECK_OK(umfMemoryProviderPurgeForce(h, p, 32 * page));
        CHECK(all_bytes(p, 32 * page, 0));
        CHECK(all_bytes(p + 32 * page, 32 * page, 0x3c));
        CHECK_EQ(stat(path, &after), 0);
        if (vis[v] == UMF_MEM_MAP_SHARED) {
            /* the hole was punched: fewer blocks, same length, the file reads zeros there */
            CHECK(after.st_blocks < before.st_blocks);
            CHECK_EQ(after.st_size, before.st_size);
            /* p is the first allocation of a fresh file: file offset 0 */
            unsigned char buf[64];
            CHECK_EQ(read_exact(path, 0, buf, sizeof(buf)), 0);
            CHECK(all_bytes(buf, sizeof(buf), 0));
            CHECK_EQ(read_exact(path, (off_t)(32 * page), buf, sizeof(buf)), 0);
            CHECK(all_bytes(buf, sizeof(buf), 0x3c));
        }
        CHECK_OK(umfMemoryProviderFree(h, p, 64 * page));
        CHECK_OK(umfMemoryProviderDestroy(h));
    }
    /* private: madvise refuses an unaligned range, reported as the native error */
    umf_memory_provider_handle_t h = rw_provider(new_path(path, sizeof(path)), UMF_MEM_MAP_PRIVATE);
    REQUIRE(h != NULL);
    char *p = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, 2 * page, 0, (void **)&p));
    REQUIRE(p != NULL);
    CHECK_EQ(umfMemoryProviderPurgeForce(h, p + 1, page), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    const char *msg = NULL;
    int32_t code = 0;
    CHECK_OK(umfMemoryProviderGetLastNativeError(h, &msg, &code));
    CHECK_EQ(code, UMF_FILE_RESULT_ERROR_PURGE_FORCE_FAILED);
    CHECK(msg != NULL && strstr(msg, "purge") != NULL);
    CHECK_OK(umfMemoryProviderFree(h, p, 2 * page));
    CHECK_OK(umfMemoryProviderDestroy(h));
}

static void test_split_merge(void) {
    char path[96];
    umf_memory_provider_handle_t h = rw_provider(new_path(path, sizeof(path)), UMF_MEM_MAP_SHARED);
    REQUIRE(h != NULL);
    char *p = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, 8 * page, 0, (void **)&p));
    REQUIRE(p != NULL);
    CHECK_EQ(umfMemoryProviderAllocationSplit(h, p, 8 * page, 8 * page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderAllocationSplit(h, p, 4 * page, page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderAllocationSplit(h, p + page, 7 * page, page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMemoryProviderAllocationSplit(h, p, 8 * page, 3 * page));
    CHECK_EQ(umfMemoryProviderFree(h, p, 8 * page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderAllocationMerge(h, p, p + 3 * page, 7 * page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMemoryProviderAllocationMerge(h, p, p + 3 * page, 8 * page));
    CHECK_OK(umfMemoryProviderAllocationSplit(h, p, 8 * page, 5 * page));
    CHECK_OK(umfMemoryProviderFree(h, p + 5 * page, 3 * page));
    CHECK_OK(umfMemoryProviderFree(h, p, 5 * page));
    CHECK_OK(umfMemoryProviderDestroy(h));
}

static umf_result_t call_ctl(const umf_memory_provider_ops_t *ops, void *priv, const char *name, void *arg,
                             size_t size, umf_ctl_query_type_t type, ...) {
    va_list args;
    va_start(args, type);
    umf_result_t rc = ops->ext_ctl(priv, CTL_QUERY_PROGRAMMATIC, name, arg, size, type, args);
    va_end(args);
    return rc;
}

static void test_ops_ctl(void) {
    char path[96];
    const umf_memory_provider_ops_t *ops = umfFileMemoryProviderOps();
    umf_file_memory_provider_params_handle_t params = NULL;
    CHECK_OK(umfFileMemoryProviderParamsCreate(new_path(path, sizeof(path)), &params));
    void *priv = NULL;
    CHECK_OK(ops->initialize(params, &priv));
    umfFileMemoryProviderParamsDestroy(params);
    REQUIRE(priv != NULL);
    size_t v = 1;
    CHECK_EQ(call_ctl(ops, priv, "params.nothing", &v, sizeof(v), CTL_QUERY_READ), UMF_RESULT_ERROR_INVALID_CTL_PATH);
    CHECK_OK(call_ctl(ops, priv, "post_initialize", NULL, 0, CTL_QUERY_RUNNABLE));
    void *a = NULL;
    CHECK_OK(ops->alloc(priv, 3 * page, 0, &a));
    CHECK_OK(call_ctl(ops, priv, "stats.allocated_memory", &v, sizeof(v), CTL_QUERY_READ));
    CHECK_EQ(v, 3 * page);
    CHECK_OK(ops->free(priv, a, 3 * page));
    CHECK_OK(call_ctl(ops, priv, "stats.allocated_memory", &v, sizeof(v), CTL_QUERY_READ));
    CHECK_EQ(v, 0);
    CHECK_OK(call_ctl(ops, priv, "stats.peak_memory", &v, sizeof(v), CTL_QUERY_READ));
    CHECK_EQ(v, 3 * page);
    CHECK_EQ(ops->alloc(NULL, 10, 0, &a), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(ops->finalize(NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(ops->finalize(priv));
}

static void test_proxy_pool(void) {
    char path[96];
    umf_memory_provider_handle_t h = rw_provider(new_path(path, sizeof(path)), UMF_MEM_MAP_SHARED);
    REQUIRE(h != NULL);
    umf_memory_pool_handle_t pool = NULL;
    CHECK_OK(umfPoolCreate(umfProxyPoolOps(), h, NULL, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool));
    REQUIRE(pool != NULL);
    char *a = umfPoolMalloc(pool, 3000);
    char *b = umfPoolAlignedMalloc(pool, 100, 2 * MiB);
    REQUIRE(a != NULL && b != NULL);
    CHECK_EQ((uintptr_t)b % (2 * MiB), 0);
    memset(a, 7, 3000);
    memset(b, 8, 100);
    umf_memory_pool_handle_t found = NULL;
    CHECK_OK(umfPoolByPtr(a + 2999, &found));
    CHECK(found == pool);
    CHECK(umfPoolAlignedMalloc(pool, 100, 3 * page) == NULL);
    CHECK_OK(umfPoolFree(pool, a));
    CHECK_OK(umfFree(b));
    CHECK_OK(umfPoolDestroy(pool));
    CHECK(file_size(path) >= (off_t)(2 * MiB));
}

/* A disjoint pool over a shared file provider: many small allocations, the file grows under them. */
static void test_disjoint_pool(void) {
    char path[96];
    umf_memory_provider_handle_t h = rw_provider(new_path(path, sizeof(path)), UMF_MEM_MAP_SHARED);
    REQUIRE(h != NULL);
    umf_memory_pool_handle_t pool = NULL;
    CHECK_OK(umfPoolCreate(umfDisjointPoolOps(), h, NULL, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool));
    REQUIRE(pool != NULL);
    enum { N = 20000 };
    static unsigned char *ptrs[N];
    int ok = 1;
    for (int i = 0; i < N; i++) {
        size_t size = 16 + (size_t)(i % 61) * 16;
        ptrs[i] = umfPoolMalloc(pool, size);
        if (ptrs[i] == NULL) {
            ok = 0;
            break;
        }
        ptrs[i][0] = (unsigned char)i;
        ptrs[i][size - 1] = (unsigned char)i;
    }
    CHECK(ok);
    CHECK(file_size(path) >= (off_t)(4 * MiB)); /* about 10 MiB of chunks: more than one */
    int intact = 1;
    for (int i = 0; i < N && ptrs[i]; i++) {
        size_t size = 16 + (size_t)(i % 61) * 16;
        intact &= ptrs[i][0] == (unsigned char)i && ptrs[i][size - 1] == (unsigned char)i;
    }
    CHECK(intact);
    umf_memory_pool_handle_t found = NULL;
    CHECK_OK(umfPoolByPtr(ptrs[N / 2] + 8, &found));
    CHECK(found == pool);
    for (int i = 0; i < N && ptrs[i]; i++) {
        CHECK_OK(umfPoolFree(pool, ptrs[i]));
    }
    CHECK_OK(umfPoolDestroy(pool));
}

typedef struct thread_arg_t {
    umf_memory_provider_handle_t h;
    unsigned seed;
    int failures;
} thread_arg_t;

static void *thread_body(void *varg) {
    thread_arg_t *arg = varg;
    enum { SLOTS = 16 };
    unsigned char *ptrs[SLOTS] = {0};
    size_t sizes[SLOTS] = {0};
    unsigned char tag = (unsigned char)(arg->seed | 1);
    for (int it = 0; it < 3000; it++) {
        int s = rand_r(&arg->seed) % SLOTS;
        if (ptrs[s]) {
            if (ptrs[s][0] != tag || ptrs[s][sizes[s] - 1] != tag ||
                umfMemoryProviderFree(arg->h, ptrs[s], sizes[s]) != UMF_RESULT_SUCCESS) {
                arg->failures++;
            }
            ptrs[s] = NULL;
        } else {
            size_t size = 1 + (size_t)(rand_r(&arg->seed) % (16 * page));
            if (umfMemoryProviderAlloc(arg->h, size, 0, (void **)&ptrs[s]) != UMF_RESULT_SUCCESS) {
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

static void test_threads(void) {
    char path[96];
    umf_memory_provider_handle_t h = rw_provider(new_path(path, sizeof(path)), UMF_MEM_MAP_SHARED);
    REQUIRE(h != NULL);
    enum { N = 4 };
    pthread_t t[N];
    thread_arg_t args[N];
    int started = 0;
    for (int i = 0; i < N; i++) {
        args[i] = (thread_arg_t){h, (unsigned)(i * 104729 + 11), 0};
        if (pthread_create(&t[i], NULL, thread_body, &args[i]) == 0) {
            started++;
        }
    }
    CHECK_EQ(started, N);
    for (int i = 0; i < started; i++) {
        pthread_join(t[i], NULL);
        CHECK_EQ(args[i].failures, 0);
    }
    /* at most 4 x 16 x 16 pages live at once, plus chunk rounding */
    CHECK(file_size(path) <= (off_t)(N * 16 * 16 * page + 16 * MiB));
    CHECK_OK(umfMemoryProviderDestroy(h));
}

/* The file cannot grow (RLIMIT_FSIZE): alloc fails with the native ALLOC_FAILED; checked in a child. */
static void child_grow_fails(void *arg) {
    const char *path = arg;
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {1 * MiB, 1 * MiB};
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0) {
        _exit(10);
    }
    umf_result_t rc;
    umf_memory_provider_handle_t h =
        file_provider(path, UMF_PROTECTION_READ | UMF_PROTECTION_WRITE, UMF_MEM_MAP_SHARED, &rc);
    if (h == NULL) {
        _exit(11);
    }
    void *p = NULL;
    if (umfMemoryProviderAlloc(h, page, 0, &p) != UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC || p != NULL) {
        _exit(12);
    }
    const char *msg = NULL;
    int32_t code = 0;
    if (umfMemoryProviderGetLastNativeError(h, &msg, &code) != UMF_RESULT_SUCCESS ||
        code != UMF_FILE_RESULT_ERROR_ALLOC_FAILED || msg == NULL || strstr(msg, "grow") == NULL) {
        _exit(13);
    }
    umf_memory_provider_handle_t failed = NULL;
    if (umfGetLastFailedMemoryProvider(&failed) != UMF_RESULT_SUCCESS || failed != h) {
        _exit(14);
    }
    umfMemoryProviderDestroy(h);
    _exit(0);
}

static void test_grow_failure(void) {
    char path[96];
    int st = in_child(child_grow_fails, (void *)new_path(path, sizeof(path)));
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 0);
}

static int remove_entry(const char *name) {
    char p[128];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return unlink(p);
}

int main(void) {
    page = (size_t)sysconf(_SC_PAGESIZE);
    snprintf(dir, sizeof(dir), "/tmp/umf_test_file_XXXXXX");
    if (mkdtemp(dir) == NULL) {
        fprintf(stderr, "cannot create a temporary directory\n");
        return 1;
    }
    RUN_TEST(test_ops_table);
    RUN_TEST(test_params);
    RUN_TEST(test_create_errors);
    RUN_TEST(test_alloc_free);
    RUN_TEST(test_alignment);
    RUN_TEST(test_growth);
    RUN_TEST(test_visibility_and_persistence);
    RUN_TEST(test_existing_file);
    RUN_TEST(test_protection);
    RUN_TEST(test_page_sizes);
    RUN_TEST(test_purge);
    RUN_TEST(test_split_merge);
    RUN_TEST(test_ops_ctl);
    RUN_TEST(test_proxy_pool);
    RUN_TEST(test_disjoint_pool);
    RUN_TEST(test_threads);
    RUN_TEST(test_grow_failure);
    for (int i = 0; i < file_seq; i++) {
        char name[16];
        snprintf(name, sizeof(name), "f%d", i);
        remove_entry(name);
    }
    rmdir(dir);
    return TEST_SUMMARY();
}
