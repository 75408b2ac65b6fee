/*
 * The CUDA driver API as the CUDA provider uses it: the driver's types spelled as
 * plain C (no CUDA SDK is needed to build), and its 14 entry points, resolved
 * from libcuda.so.1 at run time.
 */
#ifndef UMF_INTERNAL_CUDA_DRIVER_H
#define UMF_INTERNAL_CUDA_DRIVER_H 1

#include <stddef.h>
#include <stdint.h>

#include <umf/base.h>

typedef int cu_result_t;         /* CUresult */
typedef uint64_t cu_deviceptr_t; /* CUdeviceptr */
typedef void *cu_context_t;      /* CUcontext */
typedef int cu_device_t;         /* CUdevice */

#define CU_SUCCESS 0
#define CU_ERROR_INVALID_VALUE 1
#define CU_ERROR_OUT_OF_MEMORY 2
#define CU_ERROR_DEINITIALIZED 4
#define CU_ERROR_INVALID_HANDLE 400

#define CU_MEM_ATTACH_GLOBAL 0x1u
#define CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS 0x1u

/* CUipcMemHandle: 64 opaque bytes, passed by value to cuIpcOpenMemHandle. */
#define CU_IPC_HANDLE_SIZE 64
typedef struct cu_ipc_mem_handle_t {
    char reserved[CU_IPC_HANDLE_SIZE];
} cu_ipc_mem_handle_t;

/* CUmemAllocationProp (32 bytes on x86_64); only type and location matter for granularity. */
#define CU_MEM_ALLOCATION_TYPE_PINNED 0x1
#define CU_MEM_LOCATION_TYPE_DEVICE 0x1
typedef struct cu_mem_allocation_prop_t {
    int type;
    int requested_handle_types;
    struct {
        int type;
        int id;
    } location;
    void *win32_handle_meta_data;
    struct {
        unsigned char compression_type;
        unsigned char gpu_direct_rdma_capable;
        unsigned short usage;
        unsigned char reserved[4];
    } alloc_flags;
} cu_mem_allocation_prop_t;

/* CUmemAllocationGranularity_flags */
#define CU_MEM_ALLOC_GRANULARITY_MINIMUM 0x0
#define CU_MEM_ALLOC_GRANULARITY_RECOMMENDED 0x1

typedef struct cu_api_t {
    cu_result_t (*cuMemGetAllocationGranularity)(size_t *granularity, const cu_mem_allocation_prop_t *prop,
                                                 int option);
    cu_result_t (*cuMemAlloc_v2)(cu_deviceptr_t *dptr, size_t size);
    cu_result_t (*cuMemHostAlloc)(void **pp, size_t size, unsigned int flags);
    cu_result_t (*cuMemAllocManaged)(cu_deviceptr_t *dptr, size_t size, unsigned int flags);
    cu_result_t (*cuMemFree_v2)(cu_deviceptr_t dptr);
    cu_result_t (*cuMemFreeHost)(void *p);
    cu_result_t (*cuGetErrorName)(cu_result_t error, const char **name);
    cu_result_t (*cuGetErrorString)(cu_result_t error, const char **text);
    cu_result_t (*cuCtxGetCurrent)(cu_context_t *ctx);
    cu_result_t (*cuCtxGetDevice)(cu_device_t *device);
    cu_result_t (*cuCtxSetCurrent)(cu_context_t ctx);
    cu_result_t (*cuIpcGetMemHandle)(cu_ipc_mem_handle_t *handle, cu_deviceptr_t dptr);
    cu_result_t (*cuIpcOpenMemHandle_v2)(cu_deviceptr_t *dptr, cu_ipc_mem_handle_t handle, unsigned int flags);
    cu_result_t (*cuIpcCloseMemHandle)(cu_deviceptr_t dptr);
} cu_api_t;

/*
 * Loads libcuda.so.1 once per process (until umf_cuda_fini) and returns its entry
 * points; NULL when it cannot be loaded or lacks one of them, after logging why
 * (the caller answers UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE).
 */
const cu_api_t *umf_cuda_load(void);

/* Called by the core's last umfTearDown(): unloads the driver (no CUDA provider may be left). */
void umf_cuda_fini(void);

#endif
