/**
 * The params of the fixed memory provider ({@link FixedMemoryProviderParamsSchema}), checked before
 * anything reaches C. What the schema cannot see (whether the memory is mapped, and whose it is) the
 * provider's constructor checks next; see {@link FixedMemoryProvider}.
 *
 * @module config/fixed_memory_provider
 */
import { z } from 'zod'
import { UmfHandle } from '../handle.js'
import type { MemoryPool } from '../memory_pool.js'
import type { MemoryProvider } from '../memory_provider.js'
import { describe } from '../validate.js'
import { providerNameSchema } from './file_memory_provider.js'

const SIZE_MAX = (1n << 64n) - 1n

/** Whether a value is JavaScript-managed memory (an ArrayBuffer, a typed array, a Buffer, a DataView). @internal */
export function isJsBuffer(v: unknown): boolean {
  return v instanceof ArrayBuffer || ArrayBuffer.isView(v) || (typeof SharedArrayBuffer === 'function' && v instanceof SharedArrayBuffer)
}

/** Why JavaScript buffers are refused. @internal */
export const JS_BUFFER_MSG =
  'JavaScript buffers (ArrayBuffer, typed arrays, Buffer) cannot back a fixed provider: koffi passes them to C as ' +
  'pointers valid only during one call, and the provider keeps its pointer for its whole life. Use ' +
  'FixedMemoryProvider.withSize(n), or native memory you own ({ ptr, size } from koffi.alloc, or from a pool with owner: pool)'

function ptrMessage(input: unknown): string {
  if (isJsBuffer(input)) return JS_BUFFER_MSG
  if (typeof input === 'number') {
    return `ptr must be a bigint address; a number is never an address here (got ${describe(input)})`
  }
  if (typeof input === 'bigint') return `ptr must be a non-NULL address below 2^64, got ${input}n`
  return `ptr must be a bigint address of native memory (from koffi.alloc, pool.malloc, provider.alloc), got ${describe(input)}`
}

const SIZE_MSG = 'size must be a number of bytes from 1 (a number up to 2^53 - 1, or a bigint up to 2^64 - 1)'

const objectSchema = z
  .strictObject({
    /**
     * Start of the memory, a `bigint` address. It must stay valid, mapped and unused by anything else
     * for the whole life of the provider. Required.
     */
    ptr: z
      .bigint({ error: (iss) => ptrMessage(iss.input) })
      .min(1n, { error: (iss) => ptrMessage(iss.input) })
      .max(SIZE_MAX, { error: (iss) => ptrMessage(iss.input) }),
    /** Bytes of memory from `ptr`, at least 1. Required. */
    size: z.union(
      [
        z.number({ error: SIZE_MSG }).int({ error: SIZE_MSG }).min(1, { error: SIZE_MSG }).max(Number.MAX_SAFE_INTEGER, { error: SIZE_MSG }),
        z.bigint({ error: SIZE_MSG }).min(1n, { error: SIZE_MSG }).max(SIZE_MAX, { error: SIZE_MSG }),
      ],
      { error: SIZE_MSG },
    ),
    /**
     * The object the memory belongs to, when it is a {@link MemoryPool} allocation (`ptr` must then be
     * the start of one of its live allocations) or a {@link MemoryProvider} allocation: the provider keeps
     * it alive and its `destroy()` is refused while the provider lives.
     */
    owner: z
      .custom<MemoryPool | MemoryProvider>((v) => v instanceof UmfHandle, {
        error: (iss) =>
          `owner must be the MemoryPool or MemoryProvider the memory comes from, got ${describe(iss.input)}`,
      })
      .optional(),
    /** The provider's name (default `'FIXED'`). */
    name: providerNameSchema.optional(),
  })
  .refine((p) => BigInt(p.ptr) + BigInt(p.size) - 1n <= SIZE_MAX, {
    error: 'ptr + size must not run past the end of the address space (2^64)',
    path: ['size'],
  })

/** What a program passes to `new FixedMemoryProvider(params)` (see {@link FixedMemoryProviderParamsSchema}). */
export interface FixedMemoryProviderParams {
  /**
   * Start of the memory, a `bigint` address of native memory (never a number or a JavaScript buffer). It
   * must stay mapped, and used by nothing else, for the whole life of the provider.
   */
  ptr: bigint
  /** Bytes of memory from `ptr`, at least 1. */
  size: number | bigint
  /**
   * The {@link MemoryPool} (with `ptr` the start of one of its live allocations) or {@link MemoryProvider}
   * (`provider.alloc`) the memory comes from: the provider keeps it alive, and its `destroy()` is refused
   * while the provider lives.
   */
  owner?: MemoryPool | MemoryProvider
  /** The provider's name (default `'FIXED'`): 1 to 63 characters of `[A-Za-z0-9_-]`. */
  name?: string
}

/** The params after validation (the same shape: nothing has a default). */
export type FixedMemoryProviderParamsParsed = FixedMemoryProviderParams

/**
 * Schema of the fixed memory provider's params:
 *
 * Its keys, with their C setters, values and UMF's defaults, are tabled in the documentation of
 * {@link FixedMemoryProvider}, whose constructor takes them.
 *
 * JavaScript buffers given as the params or as `ptr` are refused with a message saying why.
 */
export const FixedMemoryProviderParamsSchema: z.ZodType<FixedMemoryProviderParamsParsed, unknown> = z
  .custom<unknown>((v) => !isJsBuffer(v), { error: JS_BUFFER_MSG })
  .pipe(objectSchema) as z.ZodType<FixedMemoryProviderParamsParsed, unknown>

/** Options of `FixedMemoryProvider.withSize(size, options)`. */
export interface FixedMemoryProviderWithSizeOptions {
  /** The provider's name (default `'FIXED'`): 1 to 63 characters of `[A-Za-z0-9_-]`. */
  name?: string
}

/**
 * Schema of the options of `FixedMemoryProvider.withSize()`: only `name`.
 *
 * @internal
 */
export const FixedMemoryProviderWithSizeSchema: z.ZodType<FixedMemoryProviderWithSizeOptions, unknown> = z.strictObject({
  name: providerNameSchema.optional(),
})
