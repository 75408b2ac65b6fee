/*
 * The file memory provider: memory mapped from a file that grows as needed.
 *
 * The file is opened (created when missing) at initialize. Allocations come
 * from the coarse allocator; when nothing fits, the grow callback extends the
 * file by a chunk (at least 2 MiB) and maps that chunk, recording its file
 * offset with the region, so the file offset of any allocated pointer is
 * region offset + (ptr - region base): path + offset is what IPC needs.
 * The provider only grows: freed memory returns to the coarse allocator and
 * the mappings stay until finalize. The file itself is never truncated or
 * removed.
 *
 * UMF_MEM_MAP_PRIVATE maps copy-on-write (writes never reach the file);
 * UMF_MEM_MAP_SHARED maps shared, and probes MAP_SHARED_VALIDATE|MAP_SYNC:
 * when the file system takes it (FSDAX), the provider's page is 2 MiB.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <umf/memory_provider_ops.h>
#include <umf/providers/provider_file_memory.h>

#include "base/ctl_value.h"
#include "base/utils.h"
#include "core/ipc_internal.h"
#include "providers/coarse.h"

#define FILE_DEFAULT_NAME "FILE"
#define FILE_NAME_SIZE 64
#define FILE_MIN_CHUNK ((size_t)2 << 20)
#define FILE_FSDAX_PAGE ((size_t)2 << 20)

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif

/* ---------------------------------------------------------------- params */

struct umf_file_memory_provider_params_t {
    char *path;
    unsigned protection;
    umf_memory_visibility_t visibility;
    char name[FILE_NAME_SIZE];
};

static umf_result_t file_copy_path(const char *path, char **out) {
    if (path == NULL || path[0] == '\0') {
        LOG_ERR("path is NULL or empty");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (strnlen(path, PATH_MAX) >= PATH_MAX) {
        LOG_ERR("path is longer than PATH_MAX");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    char *copy = strdup(path);
    if (copy == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    *out = copy;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfFileMemoryProviderParamsCreate(const char *path, umf_file_memory_provider_params_handle_t *hParams) {
    if (hParams == NULL) {
        LOG_ERR("hParams is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    char *copy = NULL;
    umf_result_t rc = file_copy_path(path, &copy);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    struct umf_file_memory_provider_params_t *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        free(copy);
        LOG_ERR("out of memory for file provider params");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->path = copy;
    p->protection = UMF_PROTECTION_READ | UMF_PROTECTION_WRITE;
    p->visibility = UMF_MEM_MAP_PRIVATE;
    umf_strlcpy(p->name, FILE_DEFAULT_NAME, sizeof(p->name));
    *hParams = p;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfFileMemoryProviderParamsDestroy(umf_file_memory_provider_params_handle_t hParams) {
    if (hParams != NULL) {
        free(hParams->path);
        free(hParams);
    }
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfFileMemoryProviderParamsSetPath(umf_file_memory_provider_params_handle_t hParams, const char *path) {
    CHECK_PARAMS_HANDLE(hParams);
    char *copy = NULL;
    umf_result_t rc = file_copy_path(path, &copy);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    free(hParams->path);
    hParams->path = copy;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfFileMemoryProviderParamsSetProtection(umf_file_memory_provider_params_handle_t hParams,
                                                      unsigned protection) {
    CHECK_PARAMS_HANDLE(hParams);
    hParams->protection = protection; /* checked when the provider is created */
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfFileMemoryProviderParamsSetVisibility(umf_file_memory_provider_params_handle_t hParams,
                                                      umf_memory_visibility_t visibility) {
    CHECK_PARAMS_HANDLE(hParams);
    hParams->visibility = visibility; /* checked when the provider is created */
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfFileMemoryProviderParamsSetName(umf_file_memory_provider_params_handle_t hParams, const char *name) {
    CHECK_PARAMS_HANDLE(hParams);
    return umf_params_set_name(hParams->name, sizeof(hParams->name), name, false);
}

/* ------------------------------------------------------------- provider */

static __thread umf_native_error_t file_last_error;

static umf_result_t file_fail(int32_t code, int err, const char *what) {
    umf_native_error_set(&file_last_error, code, err, what);
    LOG_ERR("file provider: %s", file_last_error.msg);
    return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
}

typedef struct file_provider_t {
    char path[PATH_MAX];
    int fd;
    unsigned protection;
    int prot;
    umf_memory_visibility_t visibility;
    bool fsdax;
    size_t page;
    size_t file_used; /* bytes of the file mapped so far; changed only under the coarse lock (grow) */
    coarse_t *coarse;
    char name[FILE_NAME_SIZE];
} file_provider_t;

static int file_map_flags(const file_provider_t *p) {
    if (p->visibility == UMF_MEM_MAP_PRIVATE) {
        return MAP_PRIVATE;
    }
    return p->fsdax ? (MAP_SHARED_VALIDATE | MAP_SYNC) : MAP_SHARED;
}

/* Makes the file at least end bytes long (never shorter). Returns 0 or an errno value. */
static int file_ensure_size(file_provider_t *p, size_t offset, size_t len) {
    struct stat st;
    if (fstat(p->fd, &st) != 0) {
        return errno;
    }
    size_t end = offset + len;
    if (p->visibility == UMF_MEM_MAP_SHARED) {
        /* reserve the blocks, so that a full disk fails here and not as SIGBUS on first touch */
        int err = posix_fallocate(p->fd, (off_t)offset, (off_t)len);
        if (err == 0) {
            return 0;
        }
        if (err != EOPNOTSUPP && err != EINVAL) {
            return err;
        }
    }
    if ((size_t)st.st_size < end && ftruncate(p->fd, (off_t)end) != 0) {
        return errno;
    }
    return 0;
}

/* The coarse allocator's grow callback: maps the next chunk of the file. Runs under the coarse lock. */
static umf_result_t file_grow(void *arg, size_t min_size, void **base, size_t *size, uintptr_t *user) {
    file_provider_t *p = arg;
    size_t want = min_size < FILE_MIN_CHUNK ? FILE_MIN_CHUNK : min_size;
    if (want > (size_t)INT64_MAX - p->file_used - p->page) {
        return file_fail(UMF_FILE_RESULT_ERROR_ALLOC_FAILED, EFBIG, "the file cannot grow that much");
    }
    size_t chunk = ALIGN_UP(want, p->page);
    size_t offset = p->file_used;
    int err = file_ensure_size(p, offset, chunk);
    if (err != 0) {
        return file_fail(UMF_FILE_RESULT_ERROR_ALLOC_FAILED, err, "growing the file failed");
    }
    void *addr = mmap(NULL, chunk, p->prot, file_map_flags(p), p->fd, (off_t)offset);
    if (addr == MAP_FAILED) {
        return file_fail(UMF_FILE_RESULT_ERROR_ALLOC_FAILED, errno, "mapping the file failed");
    }
    p->file_used = offset + chunk;
    *base = addr;
    *size = chunk;
    *user = (uintptr_t)offset;
    LOG_DEBUG("file provider: mapped %zu bytes of %s at offset %zu", chunk, p->path, offset);
    return UMF_RESULT_SUCCESS;
}

static int file_unmap_region(void *base, size_t size, uintptr_t user, void *arg) {
    (void)user;
    (void)arg;
    if (munmap(base, size) != 0) {
        LOG_ERR("munmap of %p (%zu bytes) failed", base, size);
    }
    return 0;
}

static umf_result_t file_initialize(const void *params, void **provider) {
    if (params == NULL || provider == NULL) {
        LOG_ERR("params or provider is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    const struct umf_file_memory_provider_params_t *in = params;
    if (in->path == NULL || in->path[0] == '\0') {
        LOG_ERR("path is NULL or empty");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    int prot = 0;
    if (!umf_protection_to_prot(in->protection, &prot)) {
        LOG_ERR("invalid protection flags 0x%x", in->protection);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (in->visibility != UMF_MEM_MAP_PRIVATE && in->visibility != UMF_MEM_MAP_SHARED) {
        LOG_ERR("invalid visibility %d", (int)in->visibility);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    file_provider_t *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    umf_strlcpy(p->path, in->path, sizeof(p->path));
    umf_strlcpy(p->name, in->name, sizeof(p->name));
    p->protection = in->protection;
    p->prot = prot;
    p->visibility = in->visibility;
    p->page = umf_page_size();

    p->fd = open(p->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (p->fd < 0) {
        LOG_ERR("cannot open or create %s: errno %d", p->path, errno);
        free(p);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    struct stat st;
    if (fstat(p->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        LOG_ERR("%s is not a regular file", p->path);
        close(p->fd);
        free(p);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (p->visibility == UMF_MEM_MAP_SHARED) {
        /* FSDAX probe: only a DAX file system accepts MAP_SYNC */
        void *probe = mmap(NULL, FILE_FSDAX_PAGE, p->prot, MAP_SHARED_VALIDATE | MAP_SYNC, p->fd, 0);
        if (probe != MAP_FAILED) {
            munmap(probe, FILE_FSDAX_PAGE);
            p->fsdax = true;
            p->page = FILE_FSDAX_PAGE;
            LOG_DEBUG("file provider: %s is on FSDAX (MAP_SYNC), page 2 MiB", p->path);
        }
    }
    coarse_params_t cp = {.grow = file_grow, .grow_arg = p};
    umf_result_t rc = coarse_create(&cp, &p->coarse);
    if (rc != UMF_RESULT_SUCCESS) {
        close(p->fd);
        free(p);
        return rc;
    }
    *provider = p;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t file_finalize(void *provider) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    file_provider_t *p = provider;
    coarse_for_each_region(p->coarse, file_unmap_region, NULL);
    coarse_destroy(p->coarse);
    close(p->fd);
    free(p);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t file_alloc(void *provider, size_t size, size_t alignment, void **ptr) {
    if (provider == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *ptr = NULL;
    file_provider_t *p = provider;
    if (coarse_provider_alignment(&alignment, p->page) != UMF_RESULT_SUCCESS) {
        LOG_ERR("alignment %zu is not a power of 2 dividing or multiple of the page size %zu", alignment, p->page);
        return UMF_RESULT_ERROR_INVALID_ALIGNMENT;
    }
    if (size == 0 || size > SIZE_MAX - p->page) {
        /* a size no page rounding can hold is a bad argument, as in UMF, not a failed allocation */
        LOG_ERR("size %zu is 0 or too large", size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return coarse_alloc(p->coarse, size, alignment, ptr);
}

static umf_result_t file_free(void *provider, void *ptr, size_t size) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return coarse_provider_free(((file_provider_t *)provider)->coarse, ptr, size, "file provider");
}

static umf_result_t file_get_last_native_error(void *provider, const char **ppMessage, int32_t *pError) {
    (void)provider;
    return umf_native_error_get(&file_last_error, ppMessage, pError);
}

static umf_result_t file_get_recommended_page_size(void *provider, size_t size, size_t *pageSize) {
    (void)size;
    if (provider == NULL || pageSize == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *pageSize = ((file_provider_t *)provider)->page;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t file_get_min_page_size(void *provider, const void *ptr, size_t *pageSize) {
    (void)ptr;
    if (provider == NULL || pageSize == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *pageSize = ((file_provider_t *)provider)->page;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t file_get_name(void *provider, const char **name) {
    if (name == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *name = provider ? ((file_provider_t *)provider)->name : FILE_DEFAULT_NAME;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t file_purge_lazy(void *provider, void *ptr, size_t size) {
    (void)ptr;
    (void)size;
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

static umf_result_t file_purge_force(void *provider, void *ptr, size_t size) {
    if (provider == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    file_provider_t *p = provider;
    coarse_block_info_t info;
    if (coarse_find(p->coarse, ptr, &info) != UMF_RESULT_SUCCESS ||
        size > info.region_size - (size_t)((char *)ptr - (char *)info.region_base)) {
        LOG_ERR("purge of %p (%zu bytes) is outside the memory of this file provider", ptr, size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (size == 0) {
        return UMF_RESULT_SUCCESS;
    }
    if (p->visibility == UMF_MEM_MAP_SHARED) {
        /* free the file's blocks; the mapping then reads zeros */
        off_t offset = (off_t)(info.region_user + (size_t)((char *)ptr - (char *)info.region_base));
        if (fallocate(p->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, (off_t)size) == 0) {
            return UMF_RESULT_SUCCESS;
        }
        if (errno != EOPNOTSUPP) {
            return file_fail(UMF_FILE_RESULT_ERROR_PURGE_FORCE_FAILED, errno, "forced purge (fallocate) failed");
        }
    }
    if (madvise(ptr, size, MADV_DONTNEED) != 0) {
        return file_fail(UMF_FILE_RESULT_ERROR_PURGE_FORCE_FAILED, errno, "forced purge (madvise) failed");
    }
    return UMF_RESULT_SUCCESS;
}

static umf_result_t file_allocation_split(void *provider, void *ptr, size_t totalSize, size_t firstSize) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return coarse_provider_split(((file_provider_t *)provider)->coarse, ptr, totalSize, firstSize);
}

static umf_result_t file_allocation_merge(void *provider, void *lowPtr, void *highPtr, size_t totalSize) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return coarse_provider_merge(((file_provider_t *)provider)->coarse, lowPtr, highPtr, totalSize);
}

static umf_result_t file_ctl(void *provider, umf_ctl_query_source_t source, const char *name, void *arg,
                             size_t size, umf_ctl_query_type_t queryType, va_list args) {
    (void)source;
    char path[UMF_CTL_PATH_MAX];
    if (provider == NULL || name == NULL || !umf_ctl_resolve_path(name, args, path, sizeof(path))) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return coarse_provider_ctl(((file_provider_t *)provider)->coarse, path, arg, size, queryType);
}

/*
 * IPC (shared visibility only): a handle names the file and the file offset of
 * an allocation; the consumer opens the file by its path and maps that range.
 * Layout as UMF 1.1's, so handles travel between this library and upstream builds.
 */
typedef struct file_ipc_data_t {
    char path[PATH_MAX];
    size_t offset_fd;
    size_t size;
    unsigned protection;
    unsigned visibility;
} file_ipc_data_t;

static umf_result_t file_check_ipc(const file_provider_t *p) {
    if (p->visibility != UMF_MEM_MAP_SHARED) {
        LOG_ERR("IPC needs a file provider with UMF_MEM_MAP_SHARED visibility");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return UMF_RESULT_SUCCESS;
}

static umf_result_t file_get_ipc_handle_size(void *provider, size_t *size) {
    if (provider == NULL || size == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = file_check_ipc(provider);
    if (rc == UMF_RESULT_SUCCESS) {
        *size = sizeof(file_ipc_data_t);
    }
    return rc;
}

static umf_result_t file_get_ipc_handle(void *provider, const void *ptr, size_t size, void *providerIpcData) {
    if (provider == NULL || ptr == NULL || providerIpcData == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    file_provider_t *p = provider;
    umf_result_t rc = file_check_ipc(p);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    coarse_block_info_t info;
    if (coarse_find(p->coarse, ptr, &info) != UMF_RESULT_SUCCESS || !info.used ||
        size > info.region_size - (size_t)((const char *)ptr - (char *)info.region_base)) {
        LOG_ERR("%p (%zu bytes) is not an allocation of this file provider", ptr, size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    file_ipc_data_t *d = providerIpcData;
    memset(d->path, 0, sizeof(d->path));
    umf_strlcpy(d->path, p->path, sizeof(d->path));
    d->offset_fd = (size_t)info.region_user + (size_t)((const char *)ptr - (char *)info.region_base);
    d->size = size;
    d->protection = p->protection;
    d->visibility = (unsigned)p->visibility;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t file_put_ipc_handle(void *provider, void *providerIpcData) {
    if (provider == NULL || providerIpcData == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    file_provider_t *p = provider;
    const file_ipc_data_t *d = providerIpcData;
    if (strncmp(d->path, p->path, sizeof(d->path)) != 0) {
        LOG_ERR("the IPC handle was not made by this file provider");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return UMF_RESULT_SUCCESS; /* nothing was set up for it */
}

static umf_result_t file_open_ipc_handle(void *provider, void *providerIpcData, void **ptr) {
    if (provider == NULL || providerIpcData == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    file_provider_t *p = provider;
    umf_result_t rc = file_check_ipc(p);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    const file_ipc_data_t *d = providerIpcData;
    int prot = 0;
    if (memchr(d->path, '\0', sizeof(d->path)) == NULL || d->path[0] == '\0' || d->size == 0 ||
        d->visibility != UMF_MEM_MAP_SHARED || !umf_protection_to_prot(d->protection, &prot) ||
        d->offset_fd > (size_t)INT64_MAX || d->size > (size_t)INT64_MAX - d->offset_fd) {
        LOG_ERR("malformed file IPC handle");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    int fd = open(d->path, (d->protection & UMF_PROTECTION_WRITE) ? O_RDWR | O_CLOEXEC : O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return file_fail(UMF_FILE_RESULT_ERROR_ALLOC_FAILED, errno, "opening the IPC handle's file failed");
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size < d->offset_fd + d->size) {
        close(fd);
        LOG_ERR("the IPC handle's range is not inside the regular file %s", d->path);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    size_t page = umf_page_size();
    size_t delta = d->offset_fd % page; /* mmap offsets are page-aligned; allocations may not be */
    void *addr = mmap(NULL, ALIGN_UP(d->size + delta, page), prot, MAP_SHARED, fd, (off_t)(d->offset_fd - delta));
    int err = errno;
    close(fd); /* the mapping keeps the file */
    if (addr == MAP_FAILED) {
        return file_fail(UMF_FILE_RESULT_ERROR_ALLOC_FAILED, err, "mapping the IPC handle's file range failed");
    }
    umf_ipc_report_mapped_size(ALIGN_UP(d->size + delta, page) - delta);
    *ptr = (char *)addr + delta;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t file_close_ipc_handle(void *provider, void *ptr, size_t size) {
    if (provider == NULL || ptr == NULL || size == 0) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = file_check_ipc(provider); /* a private provider opened nothing to close */
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    size_t page = umf_page_size();
    size_t delta = (uintptr_t)ptr % page;
    if (size > SIZE_MAX - delta - page) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (munmap((char *)ptr - delta, ALIGN_UP(size + delta, page)) != 0) {
        return file_fail(UMF_FILE_RESULT_ERROR_FREE_FAILED, errno, "unmapping an opened IPC handle failed");
    }
    return UMF_RESULT_SUCCESS;
}

static const umf_memory_provider_ops_t FILE_OPS = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = file_initialize,
    .finalize = file_finalize,
    .alloc = file_alloc,
    .free = file_free,
    .get_last_native_error = file_get_last_native_error,
    .get_recommended_page_size = file_get_recommended_page_size,
    .get_min_page_size = file_get_min_page_size,
    .get_name = file_get_name,
    .ext_purge_lazy = file_purge_lazy,
    .ext_purge_force = file_purge_force,
    .ext_allocation_merge = file_allocation_merge,
    .ext_allocation_split = file_allocation_split,
    .ext_get_ipc_handle_size = file_get_ipc_handle_size,
    .ext_get_ipc_handle = file_get_ipc_handle,
    .ext_put_ipc_handle = file_put_ipc_handle,
    .ext_open_ipc_handle = file_open_ipc_handle,
    .ext_close_ipc_handle = file_close_ipc_handle,
    .ext_ctl = file_ctl,
};

const umf_memory_provider_ops_t *umfFileMemoryProviderOps(void) { return &FILE_OPS; }
