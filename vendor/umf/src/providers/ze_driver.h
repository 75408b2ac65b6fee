/*
 * The Level Zero API as the Level Zero provider uses it: the loader's types spelled as
 * plain C (no Level Zero SDK is needed to build; layouts as in ze_api.h 1.x), and its
 * 13 entry points, resolved from libze_loader.so.1 at run time.
 */
#ifndef UMF_INTERNAL_ZE_DRIVER_H
#define UMF_INTERNAL_ZE_DRIVER_H 1

#include <stddef.h>
#include <stdint.h>

#include <umf/base.h>
#include <umf/providers/provider_level_zero.h>

typedef uint32_t ze_result_t;

#define ZE_RESULT_SUCCESS 0u
#define ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY 0x70000002u
#define ZE_RESULT_ERROR_INVALID_ARGUMENT 0x78000004u

/* ze_structure_type_t values of the structs below */
#define ZE_STYPE_DEVICE_PROPERTIES 0x3u
#define ZE_STYPE_DEVICE_MEM_ALLOC_DESC 0x15u
#define ZE_STYPE_HOST_MEM_ALLOC_DESC 0x16u
#define ZE_STYPE_MEMORY_ALLOCATION_PROPERTIES 0x17u
#define ZE_STYPE_EXTERNAL_MEMORY_EXPORT_DESC 0x18u
#define ZE_STYPE_MEMORY_FREE_EXT_DESC 0x1000au
#define ZE_STYPE_RELAXED_ALLOCATION_LIMITS_EXP_DESC 0x20001u

#define ZE_RELAXED_ALLOCATION_LIMITS_EXP_FLAG_MAX_SIZE 0x1u
#define ZE_EXTERNAL_MEMORY_TYPE_FLAG_DMA_BUF 0x2u
#define ZE_FREE_POLICY_FLAG_BLOCKING 0x1u
#define ZE_FREE_POLICY_FLAG_DEFER 0x2u

/* ze_memory_type_t */
#define ZE_MEMORY_TYPE_UNKNOWN 0
#define ZE_MEMORY_TYPE_HOST 1
#define ZE_MEMORY_TYPE_DEVICE 2
#define ZE_MEMORY_TYPE_SHARED 3

/* A descriptor's common head: every extension struct chains through pNext. */
typedef struct ze_chain_t {
    uint32_t stype;
    const void *pNext;
} ze_chain_t;

typedef struct ze_flags_desc_t { /* host/device alloc, relaxed limits, export, free-ext descs */
    uint32_t stype;
    const void *pNext;
    uint32_t flags;
    uint32_t ordinal; /* ze_device_mem_alloc_desc_t only */
} ze_flags_desc_t;

typedef struct ze_device_properties_t {
    uint32_t stype;
    void *pNext;
    uint32_t type, vendorId, deviceId, flags, subdeviceId, coreClockRate;
    uint64_t maxMemAllocSize;
    uint32_t maxHardwareContexts, maxCommandQueuePriority, numThreadsPerEU, physicalEUSimdWidth,
        numEUsPerSubslice, numSubslicesPerSlice, numSlices;
    uint64_t timerResolution;
    uint32_t timestampValidBits, kernelTimestampValidBits;
    uint8_t uuid[16];
    char name[256];
} ze_device_properties_t;

typedef struct ze_memory_allocation_properties_t {
    uint32_t stype;
    void *pNext;
    uint32_t type;
    uint64_t id;
    uint64_t pageSize;
} ze_memory_allocation_properties_t;

#define ZE_IPC_HANDLE_SIZE 64
typedef struct ze_ipc_mem_handle_t {
    char data[ZE_IPC_HANDLE_SIZE]; /* on Linux the exporting process's fd comes first */
} ze_ipc_mem_handle_t;

typedef struct ze_api_t {
    ze_result_t (*zeMemAllocHost)(ze_context_handle_t, const void *desc, size_t size, size_t align, void **ptr);
    ze_result_t (*zeMemAllocDevice)(ze_context_handle_t, const void *desc, size_t size, size_t align,
                                    ze_device_handle_t, void **ptr);
    ze_result_t (*zeMemAllocShared)(ze_context_handle_t, const void *device_desc, const void *host_desc, size_t size,
                                    size_t align, ze_device_handle_t, void **ptr);
    ze_result_t (*zeMemFree)(ze_context_handle_t, void *ptr);
    ze_result_t (*zeMemGetIpcHandle)(ze_context_handle_t, const void *ptr, ze_ipc_mem_handle_t *handle);
    ze_result_t (*zeMemPutIpcHandle)(ze_context_handle_t, ze_ipc_mem_handle_t handle); /* optional (1.6+) */
    ze_result_t (*zeMemOpenIpcHandle)(ze_context_handle_t, ze_device_handle_t, ze_ipc_mem_handle_t handle,
                                      uint32_t flags, void **ptr);
    ze_result_t (*zeMemCloseIpcHandle)(ze_context_handle_t, const void *ptr);
    ze_result_t (*zeContextMakeMemoryResident)(ze_context_handle_t, ze_device_handle_t, void *ptr, size_t size);
    ze_result_t (*zeContextEvictMemory)(ze_context_handle_t, ze_device_handle_t, void *ptr, size_t size);
    ze_result_t (*zeDeviceGetProperties)(ze_device_handle_t, ze_device_properties_t *props);
    ze_result_t (*zeMemFreeExt)(ze_context_handle_t, const void *desc, void *ptr); /* optional: free policies */
    ze_result_t (*zeMemGetAllocProperties)(ze_context_handle_t, const void *ptr,
                                           ze_memory_allocation_properties_t *props, ze_device_handle_t *device);
} ze_api_t;

/*
 * Loads the Level Zero loader once per process (until umf_ze_fini) and returns its entry
 * points; NULL when it cannot be loaded or lacks a required one, after logging why
 * (the caller answers UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE).
 */
const ze_api_t *umf_ze_load(void);

/* The name of a ze_result_t ("ZE_RESULT_ERROR_..."), or NULL for a code it does not know. */
const char *umf_ze_result_name(ze_result_t res);

/* Called by the core's last umfTearDown(): unloads the loader (no Level Zero provider may be left). */
void umf_ze_fini(void);

#endif
