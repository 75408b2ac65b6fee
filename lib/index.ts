/**
 * The TypeScript API of the Unified Memory Framework: classes that own UMF handles, zod-validated params,
 * typed errors, zero-copy views of allocations, and providers and pools written in TypeScript.
 *
 * ```ts
 * import { OsMemoryProvider, ProxyPool } from 'umf'
 * using provider = new OsMemoryProvider()
 * using pool = new ProxyPool(provider)
 * const p = pool.malloc(64)
 * pool.view(p).fill(1)
 * pool.free(p)
 * ```
 *
 * The raw C functions, under their C names with their C argument order, are in `umf/ffi` (every header)
 * and `umf/ffi/<header path>` (one header, e.g. `umf/ffi/umf/memory_pool`).
 *
 * @module umf
 */
export { UmfError, ConfigError, DestroyedError, ReentrancyError, ForeignThreadError, LevelZeroSetupError, check, resultName, lastNativeError, takeCallbackError } from './errors.js'
export type { NativeError, UmfErrorOptions } from './errors.js'
export { UmfHandle } from './handle.js'
export type { AdoptOptions } from './handle.js'
export { MemoryProvider } from './memory_provider.js'
export type { MemoryProviderImpl, ProviderOps, ParamsHandle, ProviderStats } from './memory_provider.js'
export { MemoryPool, MAX_BATCH, umfFree, poolByPtr, reclaimExitedThreads } from './memory_pool.js'
export type { MemoryPoolImpl, PoolOps, PoolExtendedStats, PoolStats, SharedPoolToken, TypedArrayClass } from './memory_pool.js'
export * as ctl from './ctl.js'
export type { CtlArg, ObjectTail, CtlType, CtlTypeValue, CtlValue, CtlValueOf, CtlLoggerNodes, CtlObjectNodes, CtlSource, CtlQueryType } from './ctl.js'
export { OsMemoryProvider } from './providers/os_memory_provider.js'
export { FixedMemoryProvider } from './providers/fixed_memory_provider.js'
export { FileMemoryProvider } from './providers/file_memory_provider.js'
export { DevDaxMemoryProvider } from './providers/devdax_memory_provider.js'
export { CudaMemoryProvider } from './providers/cuda_memory_provider.js'
export { CudaMemoryProviderParamsSchema } from './config/cuda_memory_provider.js'
export type { CudaMemoryProviderParams, CudaMemoryProviderParamsParsed, CudaMemoryType } from './config/cuda_memory_provider.js'
export { cudaCurrentContext, cudaUsePrimaryContext, CudaError } from './cuda.js'
export type { CudaCurrentContext } from './cuda.js'
export { LevelZeroMemoryProvider } from './providers/level_zero_memory_provider.js'
export { LevelZeroMemoryProviderParamsSchema } from './config/level_zero_memory_provider.js'
export type {
  LevelZeroFreePolicy,
  LevelZeroMemoryProviderParams,
  LevelZeroMemoryProviderParamsParsed,
  LevelZeroMemoryType,
} from './config/level_zero_memory_provider.js'
export { levelZeroInit, levelZeroCreateContext, levelZeroRegisterContext, LevelZeroError } from './level_zero.js'
export type { LevelZeroSetup } from './level_zero.js'
export { FixedMemoryProviderParamsSchema } from './config/fixed_memory_provider.js'
export type {
  FixedMemoryProviderParams,
  FixedMemoryProviderParamsParsed,
  FixedMemoryProviderWithSizeOptions,
} from './config/fixed_memory_provider.js'
export { FileMemoryProviderParamsSchema } from './config/file_memory_provider.js'
export type { FileMemoryProviderParams, FileMemoryProviderParamsParsed } from './config/file_memory_provider.js'
export { DevDaxMemoryProviderParamsSchema } from './config/devdax_memory_provider.js'
export type { DevDaxMemoryProviderParams, DevDaxMemoryProviderParamsParsed } from './config/devdax_memory_provider.js'
export { ProxyPool } from './pools/proxy_pool.js'
export type { ProxyPoolOptions } from './pools/proxy_pool.js'
export { DisjointPool, DisjointPoolSharedLimits } from './pools/disjoint_pool.js'
export { BuiltinPoolOptionsSchema, ExtendedStatsSchema } from './config/builtin_pool.js'
export type { BuiltinPoolOptions } from './config/builtin_pool.js'
export { JemallocPool } from './pools/jemalloc_pool.js'
export { ScalablePool } from './pools/scalable_pool.js'
export { DisjointPoolParamsSchema } from './config/disjoint_pool.js'
export type { DisjointPoolParams, DisjointPoolParamsParsed } from './config/disjoint_pool.js'
export { JemallocPoolParamsSchema, JEMALLOC_MAX_ARENAS } from './config/jemalloc_pool.js'
export type { JemallocPoolParams, JemallocPoolParamsParsed } from './config/jemalloc_pool.js'
export { ScalablePoolParamsSchema } from './config/scalable_pool.js'
export type { ScalablePoolParams, ScalablePoolParamsParsed } from './config/scalable_pool.js'
export { Memspace } from './memspace.js'
export type { PredefinedMemspaceName } from './memspace.js'
export { Memtarget } from './memtarget.js'
export type { MemtargetType } from './memtarget.js'
export { Mempolicy } from './mempolicy.js'
export {
  MempolicyParamsSchema,
  NumaNodeIdsSchema,
  CapacitySchema,
  MemspacePoolOptionsSchema,
  MEMPOLICY_BIND_VALUES,
} from './config/memspace.js'
export type { MempolicyParams, MempolicyParamsParsed, MempolicyBindName, MemspacePoolOptions } from './config/memspace.js'
export { getMemoryProperties } from './memory_properties.js'
export type { MemoryProperties } from './memory_properties.js'
export {
  IpcHandler,
  OpenedIpcHandle,
  getIpcHandle,
  ipcHandleSize,
  readIpcHandleHeader,
  IPC_HANDLE_HEADER_SIZE,
  IPC_HANDLE_MAX_SIZE,
} from './ipc.js'
export type { IpcHandleHeader } from './ipc.js'
export { version, libraryPath } from './umf.js'
export type { UmfVersion } from './umf.js'
export { PoolOptionsSchema } from './config/pool.js'
export type { PoolOptions, PoolOptionsParsed } from './config/pool.js'
export { OsMemoryProviderParamsSchema, numaModeValue } from './config/os_memory_provider.js'
export type {
  OsMemoryProviderParams,
  OsMemoryProviderParamsParsed,
  ProtectionName,
  NumaModeName,
} from './config/os_memory_provider.js'
export { parseConfig } from './config/parse.js'
export { toSize, toPtr, toUint32, SIZE_MAX } from './validate.js'
export type { Size } from './validate.js'
