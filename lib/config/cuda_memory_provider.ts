/**
 * The params of the CUDA memory provider ({@link CudaMemoryProviderParamsSchema}), checked before anything
 * reaches C. Defaults are UMF's: the context and device current on the calling thread, flags 0.
 *
 * @module config/cuda_memory_provider
 */
import { z } from 'zod'
import type { umf_usm_memory_type_t } from '../../ffi/index.js'
import { providerNameSchema } from './file_memory_provider.js'

/**
 * The memory types, as `umf_usm_memory_type_t` values.
 *
 * @internal
 */
export const CUDA_MEMORY_TYPES: Record<CudaMemoryType, umf_usm_memory_type_t> = { host: 1, device: 2, shared: 3 }

/** A memory type of the CUDA provider: `'host'`, `'device'` or `'shared'` (managed). */
export type CudaMemoryType = 'host' | 'device' | 'shared'

const CONTEXT_MSG = 'context must be a CUcontext: a non-zero address as a bigint or a safe integer'
const DEVICE_MSG = 'device must be a CUdevice: an integer from 0 to 2147483647'
const FLAGS_MSG = 'allocFlags must be an integer from 0 to 4294967295 (CU_MEMHOSTALLOC_* or CU_MEM_ATTACH_* bits)'

/**
 * Schema of the CUDA memory provider's params:
 *
 * Its keys, with their C setters, values and UMF's defaults, are tabled in the documentation of
 * {@link CudaMemoryProvider}, whose constructor takes them.
 */
export const CudaMemoryProviderParamsSchema = z.strictObject({
  /** `'host'` (cuMemHostAlloc), `'device'` (cuMemAlloc) or `'shared'` (cuMemAllocManaged). Required. */
  memoryType: z.enum(['host', 'device', 'shared'], { error: 'memoryType must be "host", "device" or "shared"' }),
  /** The CUcontext to allocate in; default: the context current on the calling thread. */
  context: z
    .union([z.bigint({ error: CONTEXT_MSG }), z.number({ error: CONTEXT_MSG }).int({ error: CONTEXT_MSG })], {
      error: CONTEXT_MSG,
    })
    .refine((v) => (typeof v === 'bigint' ? v > 0n && v < 1n << 64n : Number.isSafeInteger(v) && v > 0), {
      error: CONTEXT_MSG,
    })
    .transform((v) => BigInt(v))
    .optional(),
  /** The CUdevice; default: the device of the current context. */
  device: z.number({ error: DEVICE_MSG }).int({ error: DEVICE_MSG }).min(0, { error: DEVICE_MSG }).max(2147483647, { error: DEVICE_MSG }).optional(),
  /** Flags of the driver's allocation call (host: CU_MEMHOSTALLOC_*, shared: CU_MEM_ATTACH_*; 0 = global). */
  allocFlags: z.number({ error: FLAGS_MSG }).int({ error: FLAGS_MSG }).min(0, { error: FLAGS_MSG }).max(0xffffffff, { error: FLAGS_MSG }).default(0),
  /** The provider's name (default `'CUDA'`). */
  name: providerNameSchema.optional(),
})

/** What a program passes to `new CudaMemoryProvider(params)` (see {@link CudaMemoryProviderParamsSchema}). */
export type CudaMemoryProviderParams = z.input<typeof CudaMemoryProviderParamsSchema>

/** The params after validation, with defaults filled in (context as a bigint). */
export type CudaMemoryProviderParamsParsed = z.output<typeof CudaMemoryProviderParamsSchema>
