/**
 * The options every pool constructor takes ({@link PoolOptionsSchema}).
 *
 * @module config/pool
 */
import { z } from 'zod'

/**
 * Options of `new MemoryPool(ops, provider, options)` and of the pool subclasses.
 *
 * - `ownProvider` (default false): `UMF_POOL_CREATE_FLAG_OWN_PROVIDER`; the pool destroys the provider, and
 *   the provider object becomes unusable ("moved").
 * - `disableTracking` (default false): `UMF_POOL_CREATE_FLAG_DISABLE_TRACKING`; umfFree, `MemoryPool.byPtr`
 *   and memory properties then do not find the pool's memory (and the proxy pool cannot free).
 * - `params`: for a pool from a C ops table, the address of its C params object (or null).
 */
export const PoolOptionsSchema = z.strictObject({
  /** `UMF_POOL_CREATE_FLAG_OWN_PROVIDER`: the pool destroys the provider (default false). */
  ownProvider: z.boolean().default(false),
  /** `UMF_POOL_CREATE_FLAG_DISABLE_TRACKING` (default false). */
  disableTracking: z.boolean().default(false),
  /** The address of the C params object of a pool from a C ops table (default null). */
  params: z
    .bigint()
    .positive({ error: 'params must be a non-NULL address (a bigint), or null' })
    .nullable()
    .default(null),
})

/** What a program passes as pool options (see {@link PoolOptionsSchema}). */
export type PoolOptions = z.input<typeof PoolOptionsSchema>

/** Pool options after validation. */
export type PoolOptionsParsed = z.output<typeof PoolOptionsSchema>


/** The same schema as {@link PoolOptionsSchema} (an alias kept for the pool subclasses that import it). */
export const PoolOptionsObject = PoolOptionsSchema
