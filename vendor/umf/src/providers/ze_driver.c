/*
 * Loading the Level Zero loader. UMF 1.1 only finds a loader the program has loaded
 * already (dlopen with RTLD_NOLOAD, name from UMF_ZE_LOADER_LIB_NAME); this
 * implementation tries that first, so the program's own loader wins, and otherwise
 * loads it itself through the normal library search. zeInit stays the program's job.
 */
#include "ze_driver.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

#include "base/dl.h"
#include "base/utils.h"

#define ZE_LOADER_LIB "libze_loader.so.1"
#define ZE_LOADER_ENV "UMF_ZE_LOADER_LIB_NAME"

#define ZE_SYMBOL(name, opt) {#name, offsetof(ze_api_t, name), opt}
static const umf_dl_symbol_t ZE_SYMBOLS[] = {
    ZE_SYMBOL(zeMemAllocHost, false),
    ZE_SYMBOL(zeMemAllocDevice, false),
    ZE_SYMBOL(zeMemAllocShared, false),
    ZE_SYMBOL(zeMemFree, false),
    ZE_SYMBOL(zeMemGetIpcHandle, false),
    ZE_SYMBOL(zeMemPutIpcHandle, true),
    ZE_SYMBOL(zeMemOpenIpcHandle, false),
    ZE_SYMBOL(zeMemCloseIpcHandle, false),
    ZE_SYMBOL(zeContextMakeMemoryResident, false),
    ZE_SYMBOL(zeContextEvictMemory, false),
    ZE_SYMBOL(zeDeviceGetProperties, false),
    ZE_SYMBOL(zeMemFreeExt, true),
    ZE_SYMBOL(zeMemGetAllocProperties, false),
};

static pthread_mutex_t g_ze_lock = PTHREAD_MUTEX_INITIALIZER;
static void *g_ze_handle; /* guarded by g_ze_lock */
static ze_api_t g_ze;     /* filled while g_ze_handle is set */

const ze_api_t *umf_ze_load(void) {
    const ze_api_t *api = NULL;
    pthread_mutex_lock(&g_ze_lock);
    if (g_ze_handle == NULL) {
        const char *name = NULL;
        const char *why = NULL;
        void *h = umf_dl_open(ZE_LOADER_ENV, ZE_LOADER_LIB, RTLD_LAZY | RTLD_NOLOAD, &name, &why);
        if (h == NULL) {
            h = umf_dl_open(ZE_LOADER_ENV, ZE_LOADER_LIB, RTLD_LAZY | RTLD_LOCAL, &name, &why);
        }
        if (h == NULL) {
            LOG_ERR("cannot load %s (%s): the Level Zero provider needs the Level Zero loader", name, why);
            goto out;
        }
        ze_api_t table;
        const char *missing = umf_dl_resolve(h, ZE_SYMBOLS, UMF_ARRAY_SIZE(ZE_SYMBOLS), &table, sizeof(table));
        if (missing != NULL) {
            LOG_ERR("%s lacks %s: not a Level Zero loader the Level Zero provider can use", name, missing);
            dlclose(h);
            goto out;
        }
        g_ze = table;
        g_ze_handle = h;
        LOG_DEBUG("loaded %s", name);
    }
    api = &g_ze;
out:
    pthread_mutex_unlock(&g_ze_lock);
    return api;
}

void umf_ze_fini(void) {
    pthread_mutex_lock(&g_ze_lock);
    if (g_ze_handle != NULL) {
        dlclose(g_ze_handle);
        g_ze_handle = NULL;
        memset(&g_ze, 0, sizeof(g_ze));
    }
    pthread_mutex_unlock(&g_ze_lock);
}

const char *umf_ze_result_name(ze_result_t res) {
    static const struct {
        ze_result_t code;
        const char *name;
    } NAMES[] = {
        {0x0u, "ZE_RESULT_SUCCESS"},
        {0x1u, "ZE_RESULT_NOT_READY"},
        {0x70000001u, "ZE_RESULT_ERROR_DEVICE_LOST"},
        {0x70000002u, "ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY"},
        {0x70000003u, "ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY"},
        {0x70000004u, "ZE_RESULT_ERROR_MODULE_BUILD_FAILURE"},
        {0x70010000u, "ZE_RESULT_ERROR_INSUFFICIENT_PERMISSIONS"},
        {0x70010001u, "ZE_RESULT_ERROR_NOT_AVAILABLE"},
        {0x78000001u, "ZE_RESULT_ERROR_UNINITIALIZED"},
        {0x78000002u, "ZE_RESULT_ERROR_UNSUPPORTED_VERSION"},
        {0x78000003u, "ZE_RESULT_ERROR_UNSUPPORTED_FEATURE"},
        {0x78000004u, "ZE_RESULT_ERROR_INVALID_ARGUMENT"},
        {0x78000005u, "ZE_RESULT_ERROR_INVALID_NULL_HANDLE"},
        {0x78000006u, "ZE_RESULT_ERROR_HANDLE_OBJECT_IN_USE"},
        {0x78000007u, "ZE_RESULT_ERROR_INVALID_NULL_POINTER"},
        {0x78000008u, "ZE_RESULT_ERROR_INVALID_SIZE"},
        {0x78000009u, "ZE_RESULT_ERROR_UNSUPPORTED_SIZE"},
        {0x7800000au, "ZE_RESULT_ERROR_UNSUPPORTED_ALIGNMENT"},
        {0x7800000cu, "ZE_RESULT_ERROR_INVALID_ENUMERATION"},
        {0x7ffffffeu, "ZE_RESULT_ERROR_UNKNOWN"},
    };
    for (size_t i = 0; i < UMF_ARRAY_SIZE(NAMES); i++) {
        if (NAMES[i].code == res) {
            return NAMES[i].name;
        }
    }
    return NULL;
}
