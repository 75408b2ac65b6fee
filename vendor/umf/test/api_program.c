/*
 * A program written against the UMF 1.1 API the way a user writes one: only public headers,
 * no test harness. It must compile against vendor/umf/include unchanged and exit 0.
 */
#include <stdio.h>
#include <string.h>

#include <umf.h>
#include <umf/experimental/memory_properties.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_os_memory.h>

#define TRY(call)                                                                                  \
    do {                                                                                           \
        umf_result_t rc_ = (call);                                                                 \
        if (rc_ != UMF_RESULT_SUCCESS) {                                                           \
            fprintf(stderr, "%s failed: %d\n", #call, (int)rc_);                                   \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

int main(void) {
    umf_os_memory_provider_params_handle_t params = NULL;
    umf_memory_provider_handle_t provider = NULL;
    umf_memory_pool_handle_t pool = NULL;

    TRY(umfOsMemoryProviderParamsCreate(&params));
    TRY(umfOsMemoryProviderParamsSetProtection(params, UMF_PROTECTION_READ | UMF_PROTECTION_WRITE));
    TRY(umfOsMemoryProviderParamsSetVisibility(params, UMF_MEM_MAP_PRIVATE));
    TRY(umfMemoryProviderCreate(umfOsMemoryProviderOps(), params, &provider));
    TRY(umfOsMemoryProviderParamsDestroy(params));

    size_t page = 0;
    TRY(umfMemoryProviderGetMinPageSize(provider, NULL, &page));
    void *raw = NULL;
    TRY(umfMemoryProviderAlloc(provider, 4 * page, 0, &raw));
    memset(raw, 1, 4 * page);
    TRY(umfMemoryProviderFree(provider, raw, 4 * page));

    TRY(umfPoolCreate(umfProxyPoolOps(), provider, NULL, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool));
    const char *name = NULL;
    TRY(umfPoolGetName(pool, &name));
    if (strcmp(name, "proxy") != 0) {
        return 1;
    }
    char *text = umfPoolMalloc(pool, 64);
    if (text == NULL) {
        fprintf(stderr, "umfPoolMalloc failed: %d\n", (int)umfPoolGetLastAllocationError(pool));
        return 1;
    }
    strcpy(text, "Hello from UMF");

    umf_memory_pool_handle_t owner = NULL;
    TRY(umfPoolByPtr(text + 3, &owner));
    umf_memory_properties_handle_t props = NULL;
    size_t base_size = 0;
    TRY(umfGetMemoryPropertiesHandle(text, &props));
    TRY(umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_BASE_SIZE, &base_size, sizeof(base_size)));
    printf("%s (pool %s, %zu bytes, same pool: %s)\n", text, name, base_size, owner == pool ? "yes" : "no");
    if (owner != pool || base_size != 64) {
        return 1;
    }
    TRY(umfFree(text));
    TRY(umfPoolDestroy(pool));
    return umfGetCurrentVersion() == UMF_VERSION_CURRENT ? 0 : 1;
}
