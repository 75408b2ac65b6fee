/**
 * The params of the disjoint pool ({@link DisjointPoolParamsSchema}), checked before anything reaches C.
 * Defaults are UMF's.
 *
 * @module config/disjoint_pool
 */
import { z } from 'zod'
import { ExtendedStatsSchema } from './builtin_pool.js'
import { DisjointPoolSharedLimits } from '../pools/disjoint_pool_shared_limits.js'

const MAX_SAFE = Number.MAX_SAFE_INTEGER
const SIZE_MAX = (1n << 64n) - 1n

/** A byte count: an integer number up to 2^53 - 1, or a bigint up to 2^64 - 1. */
function bytes(what: string, min: number) {
  const msg = `${what} must be an integer number of bytes from ${min} (a number up to 2^53 - 1, or a bigint up to 2^64 - 1)`
  return z.union(
    [
      z.number({ error: msg }).int({ error: msg }).min(min, { error: msg }).max(MAX_SAFE, { error: msg }),
      z.bigint({ error: msg }).min(BigInt(min), { error: msg }).max(SIZE_MAX, { error: msg }),
    ],
    { error: msg },
  )
}

function isPowerOf2(v: number | bigint): boolean {
  const b = BigInt(v)
  return b > 0n && (b & (b - 1n)) === 0n
}

/**
 * Schema of the disjoint pool's params (all optional):
 *
 * Its keys, with their C setters, values and UMF's defaults, are tabled in the documentation of
 * {@link DisjointPool}, whose constructor takes them.
 */
export const DisjointPoolParamsSchema = z.strictObject({
  slabMinSize: bytes('slabMinSize', 1).default(64 * 1024),
  maxPoolableSize: bytes('maxPoolableSize', 0).default(2 * 1024 * 1024),
  capacity: z
    .number({ error: 'capacity must be a number of slabs' })
    .int({ error: 'capacity must be a whole number of slabs' })
    .min(0, { error: 'capacity must be at least 0' })
    .max(MAX_SAFE, { error: 'capacity must be at most 2^53 - 1' })
    .default(4),
  minBucketSize: bytes('minBucketSize', 1)
    .refine(isPowerOf2, {
      error: 'minBucketSize must be a power of 2 (1, 2, 4, 8, 16...)',
      when: (payload) => payload.issues.length === 0, // one message for a value that is not a size at all
    })
    .default(8),
  trace: z
    .number({ error: 'trace must be a number from 0 to 3' })
    .int({ error: 'trace must be an integer from 0 to 3' })
    .min(0, { error: 'trace must be an integer from 0 to 3' })
    .max(3, { error: 'trace must be an integer from 0 to 3' })
    .default(0),
  name: z
    .string({ error: 'name must be a string' })
    .regex(/^[A-Za-z0-9_-]{1,63}$/, { error: 'name must be 1 to 63 characters of [A-Za-z0-9_-]' })
    .default('disjoint'),
  sharedLimits: z
    .instanceof(DisjointPoolSharedLimits, { error: 'sharedLimits must be a DisjointPoolSharedLimits object, or null' })
    .nullable()
    .default(null),
  extendedStats: ExtendedStatsSchema,
})

/** What a program passes to `new DisjointPool(provider, params)`. */
export type DisjointPoolParams = z.input<typeof DisjointPoolParamsSchema>

/** The params after validation, with UMF's defaults filled in. */
export type DisjointPoolParamsParsed = z.output<typeof DisjointPoolParamsSchema>
