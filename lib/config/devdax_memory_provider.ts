/**
 * The params of the DevDax memory provider ({@link DevDaxMemoryProviderParamsSchema}), checked before
 * anything reaches C. Defaults are UMF's.
 *
 * @module config/devdax_memory_provider
 */
import { z } from 'zod'
import { pathSchema, protectionSchema, providerNameSchema } from './file_memory_provider.js'

const SIZE_MSG =
  'size must be the number of bytes of the device to map: an integer from 1 (a number up to 2^53 - 1, or a bigint up to 2^64 - 1)'

/**
 * Schema of the DevDax memory provider's params:
 *
 * Its keys, with their C setters, values and UMF's defaults, are tabled in the documentation of
 * {@link DevDaxMemoryProvider}, whose constructor takes them.
 */
export const DevDaxMemoryProviderParamsSchema = z.strictObject({
  /** The device DAX, e.g. `/dev/dax0.0`. Required. */
  path: pathSchema('path'),
  /** Bytes of the device to map (from its start), at least 1. Required. */
  size: z.union(
    [
      z.number({ error: SIZE_MSG }).int({ error: SIZE_MSG }).min(1, { error: SIZE_MSG }).max(Number.MAX_SAFE_INTEGER, { error: SIZE_MSG }),
      z.bigint({ error: SIZE_MSG }).min(1n, { error: SIZE_MSG }).max((1n << 64n) - 1n, { error: SIZE_MSG }),
    ],
    { error: SIZE_MSG },
  ),
  /** `UMF_PROTECTION_*` bits (1-15), a flag name, or flag names; default read + write. */
  protection: protectionSchema,
  /** The provider's name (default `'DEVDAX'`). */
  name: providerNameSchema.optional(),
})

/** What a program passes to `new DevDaxMemoryProvider(params)` (see {@link DevDaxMemoryProviderParamsSchema}). */
export type DevDaxMemoryProviderParams = z.input<typeof DevDaxMemoryProviderParamsSchema>

/** The params after validation, with defaults filled in (protection as flag bits). */
export type DevDaxMemoryProviderParamsParsed = z.output<typeof DevDaxMemoryProviderParamsSchema>
