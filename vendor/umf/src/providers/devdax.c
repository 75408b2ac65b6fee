/*
 * The DevDax memory provider: the first `size` bytes of a device DAX
 * character device (e.g. /dev/dax0.0), mapped once, shared and with MAP_SYNC,
 * and handed out by the coarse allocator as one region that never grows.
 * Offsets in the device are offsets in the mapping, so path + (ptr - base) is
 * what IPC needs. The page size is 2 MiB (the usual device DAX alignment).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <umf/memory_provider_ops.h>
#include <umf/providers/provider_devdax_memory.h>

#include "base/ctl_value.h"
#include "base/utils.h"
#include "core/ipc_internal.h"
#include "providers/coarse.h"

#define DEVDAX_DEFAULT_NAME "DEVDAX"
#define DEVDAX_NAME_SIZE 64
#define DEVDAX_PAGE ((size_t)2 << 20)

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif

/* ---------------------------------------------------------------- params */

struct umf_devdax_memory_provider_params_t {
    char *path;
    size_t size;
    unsigned protection;
    char name[DEVDAX_NAME_SIZE];
};

static umf_result_t devdax_copy_path(const char *path, char **out) {
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

umf_result_t umfDevDaxMemoryProviderParamsCreate(const char *path, size_t size,
                                                 umf_devdax_memory_provider_params_handle_t *hParams) {
    if (hParams == NULL) {
        LOG_ERR("hParams is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    char *copy = NULL;
    umf_result_t rc = devdax_copy_path(path, &copy);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    struct umf_devdax_memory_provider_params_t *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        free(copy);
        LOG_ERR("out of memory for DevDax provider params");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->path = copy;
    p->size = size; /* 0 is refused when the provider is created */
    p->protection = UMF_PROTECTION_READ | UMF_PROTECTION_WRITE;
    umf_strlcpy(p->name, DEVDAX_DEFAULT_NAME, sizeof(p->name));
    *hParams = p;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfDevDaxMemoryProviderParamsDestroy(umf_devdax_memory_provider_params_handle_t hParams) {
    if (hParams != NULL) {
        free(hParams->path);
        free(hParams);
    }
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfDevDaxMemoryProviderParamsSetDeviceDax(umf_devdax_memory_provider_params_handle_t hParams,
                                                       const char *path, size_t size) {
    if (hParams == NULL) {
        LOG_ERR("params handle is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    char *copy = NULL;
    umf_result_t rc = devdax_copy_path(path, &copy);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    free(hParams->path);
    hParams->path = copy;
    hParams->size = size;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfDevDaxMemoryProviderParamsSetProtection(umf_devdax_memory_provider_params_handle_t hParams,
                                                        unsigned protection) {
    if (hParams == NULL) {
        LOG_ERR("params handle is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    int prot;
    if (!umf_protection_to_prot(protection, &prot)) {
        /* 0 and unknown bits are no valid combination (UMF refuses 0 here, not at create) */
        LOG_ERR("invalid protection flags 0x%x", protection);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    hParams->protection = protection;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfDevDaxMemoryProviderParamsSetName(umf_devdax_memory_provider_params_handle_t hParams,
                                                  const char *name) {
    CHECK_PARAMS_HANDLE(hParams);
    return umf_params_set_name(hParams->name, sizeof(hParams->name), name, false);
}

/* ------------------------------------------------------------- provider */

static __thread umf_native_error_t devdax_last_error;

typedef struct devdax_provider_t {
    char path[PATH_MAX];
    char *base;
    size_t size;
    unsigned protection;
    coarse_t *coarse;
    char name[DEVDAX_NAME_SIZE];
} devdax_provider_t;

/*
 * Whether the character device st describes belongs to the "dax" subsystem:
 * 1 yes, 0 no, -1 cannot tell (no sysfs).
 */
static int devdax_is_dax_device(const struct stat *st) {
    char link[64], target[PATH_MAX];
    snprintf(link, sizeof(link), "/sys/dev/char/%u:%u/subsystem", major(st->st_rdev), minor(st->st_rdev));
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (n < 0) {
        return -1;
    }
    target[n] = '\0';
    const char *last = strrchr(target, '/');
    last = last ? last + 1 : target;
    return strcmp(last, "dax") == 0 ? 1 : 0;
}

static umf_result_t devdax_initialize(const void *params, void **provider) {
    if (params == NULL || provider == NULL) {
        LOG_ERR("params or provider is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    const struct umf_devdax_memory_provider_params_t *in = params;
    if (in->path == NULL || in->path[0] == '\0') {
        LOG_ERR("path is NULL or empty");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (in->size == 0) {
        LOG_ERR("the size of the device DAX %s is 0", in->path);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    int prot = 0;
    if (!umf_protection_to_prot(in->protection, &prot)) {
        LOG_ERR("invalid protection flags 0x%x", in->protection);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    int fd = open(in->path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        LOG_ERR("cannot open the device DAX %s: errno %d", in->path, errno);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode)) {
        LOG_ERR("%s is not a device DAX: not a character device", in->path);
        close(fd);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    int is_dax = devdax_is_dax_device(&st);
    if (is_dax == 0) {
        LOG_ERR("%s is not a device DAX: its character device is not of the dax subsystem", in->path);
        close(fd);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    void *addr = mmap(NULL, in->size, prot, MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
    int err = errno;
    close(fd); /* the mapping keeps the device open */
    if (addr == MAP_FAILED) {
        if (is_dax < 0 && (err == EOPNOTSUPP || err == EINVAL || err == ENODEV)) {
            /* without sysfs (a container, a chroot) the refused MAP_SYNC mapping is what tells */
            LOG_ERR("%s is not a device DAX (sysfs cannot tell): mapping it with MAP_SYNC failed: errno %d", in->path, err);
        } else {
            LOG_ERR("mapping %zu bytes of the device DAX %s with MAP_SYNC failed: errno %d", in->size, in->path, err);
        }
        return UMF_RESULT_ERROR_UNKNOWN;
    }
    devdax_provider_t *p = calloc(1, sizeof(*p));
    umf_result_t rc = p ? coarse_create(NULL, &p->coarse) : UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    if (rc == UMF_RESULT_SUCCESS) {
        rc = coarse_add_region(p->coarse, addr, in->size, 0);
    }
    if (rc != UMF_RESULT_SUCCESS) {
        if (p) {
            coarse_destroy(p->coarse);
        }
        free(p);
        munmap(addr, in->size);
        return rc;
    }
    umf_strlcpy(p->path, in->path, sizeof(p->path));
    umf_strlcpy(p->name, in->name, sizeof(p->name));
    p->base = addr;
    p->size = in->size;
    p->protection = in->protection;
    *provider = p;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t devdax_finalize(void *provider) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    devdax_provider_t *p = provider;
    coarse_destroy(p->coarse);
    munmap(p->base, p->size);
    free(p);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t devdax_alloc(void *provider, size_t size, size_t alignment, void **ptr) {
    if (provider == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *ptr = NULL;
    if (coarse_provider_alignment(&alignment, DEVDAX_PAGE) != UMF_RESULT_SUCCESS) {
        LOG_ERR("alignment %zu is not a power of 2 dividing or multiple of the page size (2 MiB)", alignment);
        return UMF_RESULT_ERROR_INVALID_ALIGNMENT;
    }
    if (size == 0) {
        LOG_ERR("size is 0");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return coarse_alloc(((devdax_provider_t *)provider)->coarse, size, alignment, ptr);
}

static umf_result_t devdax_free(void *provider, void *ptr, size_t size) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return coarse_provider_free(((devdax_provider_t *)provider)->coarse, ptr, size, "DevDax provider");
}

static umf_result_t devdax_get_last_native_error(void *provider, const char **ppMessage, int32_t *pError) {
    (void)provider;
    return umf_native_error_get(&devdax_last_error, ppMessage, pError);
}

static umf_result_t devdax_get_recommended_page_size(void *provider, size_t size, size_t *pageSize) {
    (void)size;
    if (provider == NULL || pageSize == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *pageSize = DEVDAX_PAGE;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t devdax_get_min_page_size(void *provider, const void *ptr, size_t *pageSize) {
    (void)ptr;
    if (provider == NULL || pageSize == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *pageSize = DEVDAX_PAGE;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t devdax_get_name(void *provider, const char **name) {
    if (name == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *name = provider ? ((devdax_provider_t *)provider)->name : DEVDAX_DEFAULT_NAME;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t devdax_purge_lazy(void *provider, void *ptr, size_t size) {
    (void)ptr;
    (void)size;
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

static umf_result_t devdax_purge_force(void *provider, void *ptr, size_t size) {
    if (provider == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    devdax_provider_t *p = provider;
    uintptr_t a = (uintptr_t)ptr;
    if (a < (uintptr_t)p->base || size > p->size || a - (uintptr_t)p->base > p->size - size) {
        LOG_ERR("purge of %p (%zu bytes) is outside the device DAX mapping", ptr, size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (size == 0) {
        return UMF_RESULT_SUCCESS;
    }
    if (madvise(ptr, size, MADV_DONTNEED) != 0) {
        umf_native_error_set(&devdax_last_error, UMF_DEVDAX_RESULT_ERROR_PURGE_FORCE_FAILED, errno,
                             "forced purge (madvise) failed");
        LOG_ERR("DevDax provider: %s", devdax_last_error.msg);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    return UMF_RESULT_SUCCESS;
}

static umf_result_t devdax_allocation_split(void *provider, void *ptr, size_t totalSize, size_t firstSize) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return coarse_provider_split(((devdax_provider_t *)provider)->coarse, ptr, totalSize, firstSize);
}

static umf_result_t devdax_allocation_merge(void *provider, void *lowPtr, void *highPtr, size_t totalSize) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return coarse_provider_merge(((devdax_provider_t *)provider)->coarse, lowPtr, highPtr, totalSize);
}

static umf_result_t devdax_ctl(void *provider, umf_ctl_query_source_t source, const char *name, void *arg,
                               size_t size, umf_ctl_query_type_t queryType, va_list args) {
    (void)source;
    char path[UMF_CTL_PATH_MAX];
    if (provider == NULL || name == NULL || !umf_ctl_resolve_path(name, args, path, sizeof(path))) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return coarse_provider_ctl(((devdax_provider_t *)provider)->coarse, path, arg, size, queryType);
}

/*
 * IPC: a handle names the device and the allocation's offset in it; the
 * consumer maps that range of the device (MAP_SYNC, as the provider does).
 * Layout as UMF 1.1's, so handles travel between this library and upstream builds.
 */
typedef struct devdax_ipc_data_t {
    char path[PATH_MAX];
    unsigned protection;
    size_t offset;
    size_t length;
} devdax_ipc_data_t;

static umf_result_t devdax_fail(int err, const char *what) {
    umf_native_error_set(&devdax_last_error, UMF_DEVDAX_RESULT_ERROR_ALLOC_FAILED, err, what);
    LOG_ERR("DevDax provider: %s", devdax_last_error.msg);
    return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
}

static umf_result_t devdax_get_ipc_handle_size(void *provider, size_t *size) {
    if (provider == NULL || size == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *size = sizeof(devdax_ipc_data_t);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t devdax_get_ipc_handle(void *provider, const void *ptr, size_t size, void *providerIpcData) {
    if (provider == NULL || ptr == NULL || providerIpcData == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    devdax_provider_t *p = provider;
    uintptr_t a = (uintptr_t)ptr;
    if (a < (uintptr_t)p->base || size == 0 || size > p->size || a - (uintptr_t)p->base > p->size - size) {
        LOG_ERR("%p (%zu bytes) is not memory of this DevDax provider", ptr, size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    devdax_ipc_data_t *d = providerIpcData;
    memset(d->path, 0, sizeof(d->path));
    umf_strlcpy(d->path, p->path, sizeof(d->path));
    d->protection = p->protection;
    d->offset = (size_t)(a - (uintptr_t)p->base);
    d->length = size;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t devdax_put_ipc_handle(void *provider, void *providerIpcData) {
    if (provider == NULL || providerIpcData == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    const devdax_ipc_data_t *d = providerIpcData;
    if (strncmp(d->path, ((devdax_provider_t *)provider)->path, sizeof(d->path)) != 0) {
        LOG_ERR("the IPC handle was not made by this DevDax provider");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return UMF_RESULT_SUCCESS; /* nothing was set up for it */
}

static umf_result_t devdax_open_ipc_handle(void *provider, void *providerIpcData, void **ptr) {
    if (provider == NULL || providerIpcData == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    const devdax_ipc_data_t *d = providerIpcData;
    int prot = 0;
    if (memchr(d->path, '\0', sizeof(d->path)) == NULL || d->path[0] == '\0' || d->length == 0 ||
        !umf_protection_to_prot(d->protection, &prot) || d->offset > (size_t)INT64_MAX ||
        d->length > (size_t)INT64_MAX - d->offset - DEVDAX_PAGE) {
        LOG_ERR("malformed DevDax IPC handle");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    int fd = open(d->path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        return devdax_fail(errno, "opening the IPC handle's device failed");
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode) || devdax_is_dax_device(&st) == 0) {
        close(fd);
        LOG_ERR("%s, named by the IPC handle, is not a device DAX", d->path);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    size_t delta = d->offset % DEVDAX_PAGE; /* the device maps in units of its alignment */
    size_t len = ALIGN_UP(d->length + delta, DEVDAX_PAGE);
    void *addr = mmap(NULL, len, prot, MAP_SHARED_VALIDATE | MAP_SYNC, fd, (off_t)(d->offset - delta));
    int err = errno;
    close(fd); /* the mapping keeps the device open */
    if (addr == MAP_FAILED) {
        return devdax_fail(err, "mapping the IPC handle's range of the device failed");
    }
    umf_ipc_report_mapped_size(len - delta);
    *ptr = (char *)addr + delta;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t devdax_close_ipc_handle(void *provider, void *ptr, size_t size) {
    if (provider == NULL || ptr == NULL || size == 0) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    size_t delta = (uintptr_t)ptr % DEVDAX_PAGE; /* device DAX mappings start on its alignment */
    if (size > SIZE_MAX - delta - DEVDAX_PAGE) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (munmap((char *)ptr - delta, ALIGN_UP(size + delta, DEVDAX_PAGE)) != 0) {
        umf_native_error_set(&devdax_last_error, UMF_DEVDAX_RESULT_ERROR_FREE_FAILED, errno,
                             "unmapping an opened IPC handle failed");
        LOG_ERR("DevDax provider: %s", devdax_last_error.msg);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    return UMF_RESULT_SUCCESS;
}

static const umf_memory_provider_ops_t DEVDAX_OPS = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = devdax_initialize,
    .finalize = devdax_finalize,
    .alloc = devdax_alloc,
    .free = devdax_free,
    .get_last_native_error = devdax_get_last_native_error,
    .get_recommended_page_size = devdax_get_recommended_page_size,
    .get_min_page_size = devdax_get_min_page_size,
    .get_name = devdax_get_name,
    .ext_purge_lazy = devdax_purge_lazy,
    .ext_purge_force = devdax_purge_force,
    .ext_allocation_merge = devdax_allocation_merge,
    .ext_allocation_split = devdax_allocation_split,
    .ext_get_ipc_handle_size = devdax_get_ipc_handle_size,
    .ext_get_ipc_handle = devdax_get_ipc_handle,
    .ext_put_ipc_handle = devdax_put_ipc_handle,
    .ext_open_ipc_handle = devdax_open_ipc_handle,
    .ext_close_ipc_handle = devdax_close_ipc_handle,
    .ext_ctl = devdax_ctl,
};

const umf_memory_provider_ops_t *umfDevDaxMemoryProviderOps(void) { return &DEVDAX_OPS; }
