/**
 * The CUDA driver as TypeScript sees it: the context and device current on this thread, read through the
 * same `libcuda.so.1` the CUDA provider loads, and {@link CudaError} for a failing driver call.
 *
 * @module cuda
 */
import koffi from 'koffi'
import type { KoffiFunc, LibraryHandle } from 'koffi'
import * as ffi from '../ffi/index.js'
import { UmfError } from './errors.js'
import { withHint } from './hint.js'
import { toUint32 } from './validate.js'

/** CUDA_ERROR_NOT_INITIALIZED: cuInit was never called (so there is no current context either). */
const CUDA_ERROR_NOT_INITIALIZED = 3
const CUDA_ERROR_INVALID_CONTEXT = 201

/** A CUDA driver call that failed: its CUresult, the driver's name for it and its description. */
export class CudaError extends Error {
  /** The CUresult. */
  readonly code: number
  /** The driver's name of the code, e.g. `'CUDA_ERROR_INVALID_DEVICE'`. */
  readonly cudaName: string
  /** The driver function that failed. */
  readonly func: string

  /**
   * @param code - the CUresult
   * @param cudaName - its name
   * @param text - its description
   * @param func - the failing function
   */
  constructor(code: number, cudaName: string, text: string, func: string) {
    super(`${func} failed with ${cudaName} (${code}): ${text}`)
    this.name = 'CudaError'
    this.code = code
    this.cudaName = cudaName
    this.func = func
  }
}

/** The context current on the calling thread and its device; `null` where there is none. */
export interface CudaCurrentContext {
  /** The CUcontext (an address), or `null`. */
  readonly context: bigint | null
  /** The CUdevice of that context, or `null`. */
  readonly device: number | null
}

interface Driver {
  cuInit: KoffiFunc<(flags: number) => number>
  cuDeviceGet: KoffiFunc<(out: [number | null], ordinal: number) => number>
  cuDevicePrimaryCtxRetain: KoffiFunc<(out: [unknown], dev: number) => number>
  cuCtxGetCurrent: KoffiFunc<(out: [unknown]) => number>
  cuCtxSetCurrent: KoffiFunc<(ctx: bigint | number) => number>
  cuCtxGetDevice: KoffiFunc<(out: [number | null]) => number>
  cuGetErrorName: KoffiFunc<(code: number, out: [string | null]) => number>
  cuGetErrorString: KoffiFunc<(code: number, out: [string | null]) => number>
}

let driver: Driver | undefined

/** Loads libcuda.so.1 as the C provider does: the one loaded already, else through the library search. */
function load(func: string): Driver {
  if (driver !== undefined) return driver
  let lib: LibraryHandle
  try {
    lib = koffi.load('libcuda.so.1')
  } catch (e) {
    throw withHint(
      new UmfError(ffi.UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE, func),
      `cannot load libcuda.so.1, the NVIDIA CUDA driver (${(e as Error).message})`,
    )
  }
  // CUcontext is an address: read as a 64-bit integer so that it comes back as a number or bigint
  driver = {
    cuInit: lib.func('int cuInit(unsigned int flags)'),
    cuDeviceGet: lib.func('int cuDeviceGet(_Out_ int *dev, int ordinal)'),
    cuDevicePrimaryCtxRetain: lib.func('int cuDevicePrimaryCtxRetain(_Out_ uint64_t *ctx, int dev)'),
    cuCtxGetCurrent: lib.func('int cuCtxGetCurrent(_Out_ uint64_t *ctx)'),
    cuCtxSetCurrent: lib.func('int cuCtxSetCurrent(uint64_t ctx)'),
    cuCtxGetDevice: lib.func('int cuCtxGetDevice(_Out_ int *dev)'),
    cuGetErrorName: lib.func('int cuGetErrorName(int code, _Out_ const char **name)'),
    cuGetErrorString: lib.func('int cuGetErrorString(int code, _Out_ const char **text)'),
  } as Driver
  return driver
}

function fail(d: Driver, code: number, func: string): CudaError {
  const name: [string | null] = [null]
  const text: [string | null] = [null]
  d.cuGetErrorName(code, name)
  d.cuGetErrorString(code, text)
  return new CudaError(code, name[0] ?? 'CUDA_ERROR_UNKNOWN_CODE', text[0] ?? 'unknown error', func)
}

/**
 * The CUDA context current on the calling thread and its device, through the driver the CUDA provider
 * uses: what `new CudaMemoryProvider({ memoryType })` takes when `context` and `device` are left out.
 *
 * @returns the context and device, each `null` when there is none (also before `cuInit`)
 * @throws UmfError `UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE` when libcuda.so.1 cannot be loaded;
 *   CudaError when the driver fails otherwise
 */
export function cudaCurrentContext(): CudaCurrentContext {
  const d = load('cuCtxGetCurrent')
  const ctx: [unknown] = [null]
  let rc = d.cuCtxGetCurrent(ctx)
  if (rc === CUDA_ERROR_NOT_INITIALIZED) return { context: null, device: null }
  if (rc !== 0) throw fail(d, rc, 'cuCtxGetCurrent')
  const context = BigInt(ctx[0] as number | bigint)
  if (context === 0n) return { context: null, device: null }
  const dev: [number | null] = [null]
  rc = d.cuCtxGetDevice(dev)
  if (rc === CUDA_ERROR_INVALID_CONTEXT) return { context, device: null }
  if (rc !== 0) throw fail(d, rc, 'cuCtxGetDevice')
  return { context, device: dev[0] }
}

/**
 * Initializes the driver (`cuInit`) and makes the primary context of a device current on the calling
 * thread (`cuDevicePrimaryCtxRetain`, `cuCtxSetCurrent`): the least a program needs before creating a
 * {@link CudaMemoryProvider} when nothing else set up CUDA. The primary context stays retained.
 *
 * @param device - the device ordinal (default 0)
 * @returns the context and device now current
 * @throws UmfError `UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE` when libcuda.so.1 cannot be loaded;
 *   CudaError when the driver refuses (e.g. `CUDA_ERROR_INVALID_DEVICE`, `CUDA_ERROR_NO_DEVICE`)
 */
export function cudaUsePrimaryContext(device = 0): CudaCurrentContext {
  const ordinal = toUint32(device, 'device')
  if (ordinal > 0x7fffffff) throw new RangeError(`device must be an integer from 0 to 2147483647, got ${ordinal}`)
  const d = load('cuInit')
  let rc = d.cuInit(0)
  if (rc !== 0) throw fail(d, rc, 'cuInit')
  const dev: [number | null] = [null]
  rc = d.cuDeviceGet(dev, ordinal)
  if (rc !== 0) throw fail(d, rc, 'cuDeviceGet')
  const ctx: [unknown] = [null]
  rc = d.cuDevicePrimaryCtxRetain(ctx, dev[0]!)
  if (rc !== 0) throw fail(d, rc, 'cuDevicePrimaryCtxRetain')
  const context = BigInt(ctx[0] as number | bigint)
  rc = d.cuCtxSetCurrent(context)
  if (rc !== 0) throw fail(d, rc, 'cuCtxSetCurrent')
  return { context, device: dev[0] }
}
