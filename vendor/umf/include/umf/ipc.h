/*
 * umf/ipc.h - sharing memory of a pool with other processes (inter-process communication).
 *
 * The producer asks for an IPC handle of a pool allocation and sends its bytes
 * (umfGetIPCHandle() returns their size) to another process by any means. The
 * consumer opens the handle through the IPC handler of one of its own pools,
 * whose provider must be able to map memory of the producer's kind, and gets a
 * pointer to the same memory. Opened mappings are cached per handler; the
 * environment variable UMF_MAX_OPENED_IPC_HANDLES bounds how many are kept.
 */
#ifndef UMF_IPC_H
#define UMF_IPC_H 1

#include <umf/base.h>
#include <umf/memory_pool.h>

#ifdef __cplusplus
extern "C" {
#endif

/// @brief Opaque handle to the bytes of an IPC handle, as returned by umfGetIPCHandle().
typedef struct umf_ipc_data_t *umf_ipc_handle_t;

/// @brief Opaque handle to the IPC handler of a pool, which opens IPC handles into that pool's provider.
typedef void *umf_ipc_handler_handle_t;

/// @brief Tells the size of the IPC handles of a pool's allocations.
/// @param hPool the pool
/// @param size receives the size in bytes: the 40-byte header plus what the pool's provider needs
/// @return UMF_RESULT_SUCCESS, UMF_RESULT_ERROR_INVALID_ARGUMENT, or the provider's error (UMF_RESULT_ERROR_NOT_SUPPORTED without IPC)
umf_result_t umfPoolGetIPCHandleSize(umf_memory_pool_handle_t hPool, size_t *size);

/// @brief Creates an IPC handle describing the pool allocation that holds ptr.
/// @param ptr a pointer into memory allocated from a tracked pool (interior pointers are allowed)
/// @param ipcHandle receives the handle; release it with umfPutIPCHandle()
/// @param size receives the size of the handle in bytes, which is what another process needs to receive
/// @return UMF_RESULT_SUCCESS, UMF_RESULT_ERROR_INVALID_ARGUMENT (NULL argument or ptr not from a tracked pool), or the provider's error
umf_result_t umfGetIPCHandle(const void *ptr, umf_ipc_handle_t *ipcHandle, size_t *size);

/// @brief Releases an IPC handle returned by umfGetIPCHandle().
/// @param ipcHandle the handle
/// @return UMF_RESULT_SUCCESS, or UMF_RESULT_ERROR_INVALID_ARGUMENT when ipcHandle is not a live handle returned by umfGetIPCHandle()
umf_result_t umfPutIPCHandle(umf_ipc_handle_t ipcHandle);

/// @brief Maps the memory an IPC handle describes into this process.
/// @param hIPCHandler the IPC handler of the pool to open with (umfPoolGetIPCHandler())
/// @param ipcHandle the bytes of the handle, as received from the producer
/// @param ptr receives the address of the memory the handle points at
/// @return UMF_RESULT_SUCCESS, UMF_RESULT_ERROR_INVALID_ARGUMENT (bad handler or malformed handle), or the provider's error
umf_result_t umfOpenIPCHandle(umf_ipc_handler_handle_t hIPCHandler, umf_ipc_handle_t ipcHandle, void **ptr);

/// @brief Releases a mapping made by umfOpenIPCHandle(); the last release leaves it cached for reuse.
/// @param ptr the pointer umfOpenIPCHandle() returned, or any pointer into the same mapping
/// @return UMF_RESULT_SUCCESS, or UMF_RESULT_ERROR_INVALID_ARGUMENT when ptr is in no opened mapping
umf_result_t umfCloseIPCHandle(void *ptr);

/// @brief Gets the IPC handler of a pool, to open IPC handles with.
/// @param hPool the pool
/// @param hIPCHandler receives the handler, valid until the pool is destroyed
/// @return UMF_RESULT_SUCCESS or UMF_RESULT_ERROR_INVALID_ARGUMENT
umf_result_t umfPoolGetIPCHandler(umf_memory_pool_handle_t hPool, umf_ipc_handler_handle_t *hIPCHandler);

#ifdef __cplusplus
}
#endif

#endif /* UMF_IPC_H */
