/**
 * The CUDA memory provider (`umf/providers/provider_cuda.h`): {@link CudaMemoryProvider}.
 *
 * @module providers/cuda_memory_provider
 */
import * as ffi from '../../ffi/index.js'
import type { umf_cuda_memory_provider_params_handle_t } from '../../ffi/index.js'
import {
  CUDA_MEMORY_TYPES,
  CudaMemoryProviderParamsSchema,
  type CudaMemoryProviderParams,
  type CudaMemoryProviderParamsParsed,
} from '../config/cuda_memory_provider.js'
import { parseConfig } from '../config/parse.js'
import { UmfError, check } from '../errors.js'
import { notBuiltIn, withHint } from '../hint.js'
import { MemoryProvider, buildParamsHandle, type ParamsHandle } from '../memory_provider.js'

function buildParams(p: CudaMemoryProviderParamsParsed): ParamsHandle {
  return buildParamsHandle(
    (out: [umf_cuda_memory_provider_params_handle_t | null]) => ffi.umfCUDAMemoryProviderParamsCreate(out),
    'umfCUDAMemoryProviderParamsCreate',
    ffi.umfCUDAMemoryProviderParamsDestroy,
    (h) => {
      check(ffi.umfCUDAMemoryProviderParamsSetMemoryType(h, CUDA_MEMORY_TYPES[p.memoryType]), 'umfCUDAMemoryProviderParamsSetMemoryType')
      if (p.context !== undefined) check(ffi.umfCUDAMemoryProviderParamsSetContext(h, p.context), 'umfCUDAMemoryProviderParamsSetContext')
      if (p.device !== undefined) check(ffi.umfCUDAMemoryProviderParamsSetDevice(h, p.device), 'umfCUDAMemoryProviderParamsSetDevice')
      check(ffi.umfCUDAMemoryProviderParamsSetAllocFlags(h, p.allocFlags), 'umfCUDAMemoryProviderParamsSetAllocFlags')
      if (p.name !== undefined) check(ffi.umfCUDAMemoryProviderParamsSetName(h, p.name), 'umfCUDAMemoryProviderParamsSetName')
    },
  )
}

/**
 * The CUDA memory provider: host, device or shared (managed) memory of one CUDA context and device,
 * through the NVIDIA driver `libcuda.so.1`, which libumf loads at run time (unlike UMF 1.1, which only
 * uses a libcuda.so.1 the program has loaded already, this one also loads it itself).
 *
 * ```ts
 * cudaUsePrimaryContext(0)                 // or any CUDA context current on this thread
 * using provider = new CudaMemoryProvider({ memoryType: 'shared' })
 * using pool = new DisjointPool(provider)
 * ```
 *
 * Device memory is not reachable by the CPU: `view()` and `viewAs()` of a pool (or an opened IPC handle)
 * over a `'device'` provider throw a TypeError instead of crashing the process. Host and shared memory
 * views work. IPC handles exist for device memory only (the driver's `cuIpcGetMemHandle`).
 *
 * Failing driver calls are UmfErrors whose `nativeError.code` is the CUresult and whose
 * `nativeError.message` is the driver's `"<name> - <description>"`, e.g.
 * `"CUDA_ERROR_OUT_OF_MEMORY - out of memory"` ({@link CudaMemoryProvider.cudaErrorName} reads the name).
 */
export class CudaMemoryProvider extends MemoryProvider {
  /** The params the provider was created with, after validation and defaults. */
  readonly params: Readonly<CudaMemoryProviderParamsParsed>

  /**
   * Creates a CUDA memory provider.
   *
   * Its params, with UMF's defaults (checked by {@link CudaMemoryProviderParamsSchema}):
   *
   * | key | C setter | values | default |
   * |---|---|---|---|
   * | `memoryType` | `umfCUDAMemoryProviderParamsSetMemoryType` | `'host'`, `'device'`, `'shared'` | required |
   * | `context` | `…SetContext` | a CUcontext (bigint or safe integer address) | the thread's current context |
   * | `device` | `…SetDevice` | a CUdevice (0 to 2^31 - 1) | the current context's device |
   * | `allocFlags` | `…SetAllocFlags` | `CU_MEMHOSTALLOC_*` (host), `CU_MEM_ATTACH_*` (shared) bits | 0 (shared: global) |
   * | `name` | `…SetName` | 1 to 63 characters of `[A-Za-z0-9_-]` | `'CUDA'` |
   *
   * @param params - see {@link CudaMemoryProviderParamsSchema}
   * @throws ConfigError for bad params; UmfError `UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE` when
   *   libcuda.so.1 cannot be loaded, `UMF_RESULT_ERROR_INVALID_ARGUMENT` when there is no context or
   *   device (none current and none given), `UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC` when the driver
   *   refuses the device
   */
  constructor(params: CudaMemoryProviderParams) {
    const parsed = CudaMemoryProvider.parseParams(params)
    const ops = ffi.umfCUDAMemoryProviderOps()
    if (ops === null) throw notBuiltIn('umfCUDAMemoryProviderOps', 'this libumf was built without the CUDA provider (UMF_WITH_CUDA=OFF)')
    let ph: ParamsHandle
    try {
      ph = buildParams(parsed)
    } catch (e) {
      if (e instanceof UmfError && e.code === ffi.UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE) {
        withHint(e, 'cannot load libcuda.so.1, the NVIDIA CUDA driver (install the driver, or put it on LD_LIBRARY_PATH)')
      }
      throw e
    }
    try {
      super(ops, ph)
    } catch (e) {
      if (e instanceof UmfError && e.func === 'umfMemoryProviderCreate' && e.code === ffi.UMF_RESULT_ERROR_INVALID_ARGUMENT) {
        withHint(e, 'the CUDA provider needs a context and a device: give them, or make a CUDA context current on this thread first (cudaUsePrimaryContext)')
      }
      throw e
    }
    this.params = Object.freeze(parsed)
  }

  /**
   * Validates params without creating a provider.
   *
   * @param params - the params
   * @returns the params with UMF's defaults filled in
   * @throws ConfigError
   */
  static parseParams(params: unknown): CudaMemoryProviderParamsParsed {
    return parseConfig(CudaMemoryProviderParamsSchema, params, 'CudaMemoryProvider params')
  }

  /**
   * The CUDA error name in an error of a CUDA provider (from its native error), e.g.
   * `'CUDA_ERROR_OUT_OF_MEMORY'`; `undefined` for any other error.
   *
   * @param e - a caught error
   * @returns the name, or undefined
   */
  static cudaErrorName(e: unknown): string | undefined {
    if (!(e instanceof UmfError) || e.nativeError === undefined) return undefined
    const m = /^(CUDA_ERROR_[A-Z0-9_]+) - /.exec(e.nativeError.message ?? '')
    return m?.[1]
  }

  /** The memory type: `'host'`, `'device'` or `'shared'`. */
  get memoryType(): CudaMemoryProviderParamsParsed['memoryType'] {
    if (this._h === null) throw this.deadError()
    return this.params.memoryType
  }

  override get notHostAccessible(): string | undefined {
    return this.params?.memoryType === 'device'
      ? 'it is CUDA device memory (a CudaMemoryProvider with memoryType "device"), which the CPU cannot read or write; use "host" or "shared" memory, or copy it with CUDA'
      : undefined
  }
}
