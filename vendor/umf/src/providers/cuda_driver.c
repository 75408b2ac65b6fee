/*
 * Loading the CUDA driver. UMF 1.1 only finds a libcuda.so.1 the program has
 * loaded already (dlopen with RTLD_NOLOAD); this implementation tries that
 * first, so the program's own driver (or a stand-in it loaded by path) wins,
 * and otherwise loads libcuda.so.1 itself through the normal library search.
 */
#include "cuda_driver.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

#include "base/dl.h"
#include "base/utils.h"

#define CUDA_LIB "libcuda.so.1"

#define CU_SYMBOL(name) {#name, offsetof(cu_api_t, name), false}
static const umf_dl_symbol_t CU_SYMBOLS[] = {
    CU_SYMBOL(cuMemGetAllocationGranularity),
    CU_SYMBOL(cuMemAlloc_v2),
    CU_SYMBOL(cuMemHostAlloc),
    CU_SYMBOL(cuMemAllocManaged),
    CU_SYMBOL(cuMemFree_v2),
    CU_SYMBOL(cuMemFreeHost),
    CU_SYMBOL(cuGetErrorName),
    CU_SYMBOL(cuGetErrorString),
    CU_SYMBOL(cuCtxGetCurrent),
    CU_SYMBOL(cuCtxGetDevice),
    CU_SYMBOL(cuCtxSetCurrent),
    CU_SYMBOL(cuIpcGetMemHandle),
    CU_SYMBOL(cuIpcOpenMemHandle_v2),
    CU_SYMBOL(cuIpcCloseMemHandle),
};

static pthread_mutex_t g_cu_lock = PTHREAD_MUTEX_INITIALIZER;
static void *g_cu_handle; /* guarded by g_cu_lock */
static cu_api_t g_cu;     /* filled while g_cu_handle is set */

const cu_api_t *umf_cuda_load(void) {
    const cu_api_t *api = NULL;
    pthread_mutex_lock(&g_cu_lock);
    if (g_cu_handle == NULL) {
        void *h = dlopen(CUDA_LIB, RTLD_LAZY | RTLD_NOLOAD);
        if (h == NULL) {
            h = dlopen(CUDA_LIB, RTLD_LAZY | RTLD_LOCAL);
        }
        if (h == NULL) {
            const char *why = dlerror();
            LOG_ERR("cannot load " CUDA_LIB " (%s): the CUDA provider needs the NVIDIA driver's " CUDA_LIB,
                    why ? why : "unknown error");
            goto out;
        }
        cu_api_t table;
        const char *missing = umf_dl_resolve(h, CU_SYMBOLS, UMF_ARRAY_SIZE(CU_SYMBOLS), &table, sizeof(table));
        if (missing != NULL) {
            LOG_ERR(CUDA_LIB " lacks %s: not a CUDA driver the CUDA provider can use", missing);
            dlclose(h);
            goto out;
        }
        g_cu = table;
        g_cu_handle = h;
        LOG_DEBUG("loaded " CUDA_LIB);
    }
    api = &g_cu;
out:
    pthread_mutex_unlock(&g_cu_lock);
    return api;
}

void umf_cuda_fini(void) {
    pthread_mutex_lock(&g_cu_lock);
    if (g_cu_handle != NULL) {
        dlclose(g_cu_handle);
        g_cu_handle = NULL;
        memset(&g_cu, 0, sizeof(g_cu));
    }
    pthread_mutex_unlock(&g_cu_lock);
}
