/**
 * The params of the Level Zero memory provider ({@link LevelZeroMemoryProviderParamsSchema}), checked before
 * anything reaches C. Defaults are UMF's: no device, no resident devices, free policy `'default'`, ordinal 0.
 *
 * @module config/level_zero_memory_provider
 */
import { z } from 'zod'
import type { umf_level_zero_memory_provider_free_policy_t, umf_usm_memory_type_t } from '../../ffi/index.js'
import { providerNameSchema } from './file_memory_provider.js'

/** A memory type of the Level Zero provider: `'host'`, `'device'` or `'shared'`. */
export type LevelZeroMemoryType = 'host' | 'device' | 'shared'

/** A free policy: `'default'` (zeMemFree), `'blocking'` or `'defer'` (zeMemFreeExt). */
export type LevelZeroFreePolicy = 'default' | 'blocking' | 'defer'

/**
 * The memory types, as `umf_usm_memory_type_t` values.
 *
 * @internal
 */
export const LEVEL_ZERO_MEMORY_TYPES: Record<LevelZeroMemoryType, umf_usm_memory_type_t> = { host: 1, device: 2, shared: 3 }

/**
 * The free policies, as `umf_level_zero_memory_provider_free_policy_t` values.
 *
 * @internal
 */
export const LEVEL_ZERO_FREE_POLICIES: Record<LevelZeroFreePolicy, umf_level_zero_memory_provider_free_policy_t> = {
  default: 0,
  blocking: 1,
  defer: 2,
}

/**
 * A Level Zero handle (context or device): a non-zero address as a bigint or a safe integer.
 *
 * @param what - the name error messages use
 * @returns the schema, giving a bigint
 */
export const levelZeroHandleSchema = (what: string) => {
  const msg = `${what} must be a non-zero address as a bigint or a safe integer`
  return z
    .union([z.bigint({ error: msg }), z.number({ error: msg }).int({ error: msg })], { error: msg })
    .refine((v) => (typeof v === 'bigint' ? v > 0n && v < 1n << 64n : Number.isSafeInteger(v) && v > 0), { error: msg })
    .transform((v) => BigInt(v))
}

const ORDINAL_MSG = 'deviceOrdinal must be an integer from 0 to 4294967295'

/**
 * Schema of the Level Zero memory provider's params.
 *
 * Its keys, with their C setters, values and UMF's defaults, are tabled in the documentation of
 * {@link LevelZeroMemoryProvider}, whose constructor takes them.
 */
export const LevelZeroMemoryProviderParamsSchema = z
  .strictObject({
    /** `'host'` (zeMemAllocHost), `'device'` (zeMemAllocDevice) or `'shared'` (zeMemAllocShared). Required. */
    memoryType: z.enum(['host', 'device', 'shared'], { error: 'memoryType must be "host", "device" or "shared"' }),
    /** The ze_context_handle_t to allocate in. Required. */
    context: levelZeroHandleSchema('context'),
    /** The ze_device_handle_t: required for device and shared memory, absent for host memory. */
    device: levelZeroHandleSchema('device').optional(),
    /** Devices every allocation is made resident on (no duplicates). */
    residentDevices: z
      .array(levelZeroHandleSchema('each resident device'), { error: 'residentDevices must be an array of device handles' })
      .refine((a) => new Set(a).size === a.length, { error: 'residentDevices must not list a device twice' })
      .default([]),
    /** How memory is freed. */
    freePolicy: z.enum(['default', 'blocking', 'defer'], { error: 'freePolicy must be "default", "blocking" or "defer"' }).default('default'),
    /** ze_device_mem_alloc_desc_t.ordinal of device and shared allocations. */
    deviceOrdinal: z.number({ error: ORDINAL_MSG }).int({ error: ORDINAL_MSG }).min(0, { error: ORDINAL_MSG }).max(0xffffffff, { error: ORDINAL_MSG }).default(0),
    /** The provider's name (default `'LEVEL_ZERO'`). */
    name: providerNameSchema.optional(),
  })
  .refine((p) => (p.memoryType === 'host') === (p.device === undefined), {
    error: 'device is required for "device" and "shared" memory and must be left out for "host" memory',
    path: ['device'],
  })

/** What a program passes to `new LevelZeroMemoryProvider(params)` (see {@link LevelZeroMemoryProviderParamsSchema}). */
export type LevelZeroMemoryProviderParams = z.input<typeof LevelZeroMemoryProviderParamsSchema>

/** The params after validation, with defaults filled in (handles as bigints). */
export type LevelZeroMemoryProviderParamsParsed = z.output<typeof LevelZeroMemoryProviderParamsSchema>
