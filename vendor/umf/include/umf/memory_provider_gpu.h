/*
 * umf/memory_provider_gpu.h - types shared by the GPU memory providers.
 */
#ifndef UMF_MEMORY_PROVIDER_GPU_H
#define UMF_MEMORY_PROVIDER_GPU_H 1

#include <umf/base.h>

#ifdef __cplusplus
extern "C" {
#endif

/// @brief Where GPU-related memory lives.
typedef enum umf_usm_memory_type_t {
    UMF_MEMORY_TYPE_UNKNOWN = 0, ///< Not known (also: ordinary host memory).
    UMF_MEMORY_TYPE_HOST = 1,    ///< Host memory the device can reach.
    UMF_MEMORY_TYPE_DEVICE = 2,  ///< Device memory.
    UMF_MEMORY_TYPE_SHARED = 3   ///< Memory migrated between host and device on demand.
} umf_usm_memory_type_t;

#ifdef __cplusplus
}
#endif

#endif /* UMF_MEMORY_PROVIDER_GPU_H */
