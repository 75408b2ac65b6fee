/**
 * The options of the built-in pool classes ({@link BuiltinPoolOptionsSchema}): DisjointPool, JemallocPool
 * and ScalablePool take their C params separately, so their options are only the pool creation flags.
 *
 * @module config/builtin_pool
 */
import { z } from 'zod'

/**
 * Options of `new DisjointPool(provider, params, options)` (and of JemallocPool and ScalablePool):
 *
 * - `ownProvider` (default false): `UMF_POOL_CREATE_FLAG_OWN_PROVIDER`; the pool destroys the provider,
 *   and the provider object becomes unusable ("moved").
 * - `disableTracking` (default false): `UMF_POOL_CREATE_FLAG_DISABLE_TRACKING`; umfFree, `MemoryPool.byPtr`
 *   and memory properties then do not find the pool's memory.
 */
export const BuiltinPoolOptionsSchema = z.strictObject({
  ownProvider: z.boolean({ error: 'ownProvider must be true or false' }).default(false),
  disableTracking: z.boolean({ error: 'disableTracking must be true or false' }).default(false),
})

/** What a program passes as options of a built-in pool class. */
export type BuiltinPoolOptions = z.input<typeof BuiltinPoolOptionsSchema>

/**
 * The `extendedStats` param of DisjointPool, JemallocPool and ScalablePool (default false): this library's
 * extended statistics (`params.extended_stats`: requested bytes, their peak, a size histogram; see
 * {@link MemoryPool.extendedStats} and the CTL page). Off, they cost nothing; on, every allocation and
 * free also records its size.
 */
export const ExtendedStatsSchema = z.boolean({ error: 'extendedStats must be true or false' }).default(false)
