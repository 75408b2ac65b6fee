/**
 * The params of the scalable pool ({@link ScalablePoolParamsSchema}), checked before anything reaches C.
 * Defaults are UMF's.
 *
 * @module config/scalable_pool
 */
import { z } from 'zod'
import { ExtendedStatsSchema } from './builtin_pool.js'

const granularityMsg =
  'granularity must be an integer number of bytes above 0 (a number up to 2^53 - 1, or a bigint up to 2^64 - 1)'

/**
 * Schema of the scalable pool's params (all optional):
 *
 * Its keys, with their C setters, values and UMF's defaults, are tabled in the documentation of
 * {@link ScalablePool}, whose constructor takes them.
 */
export const ScalablePoolParamsSchema = z.strictObject({
  granularity: z
    .union(
      [
        z
          .number({ error: granularityMsg })
          .int({ error: granularityMsg })
          .min(1, { error: granularityMsg })
          .max(Number.MAX_SAFE_INTEGER, { error: granularityMsg }),
        z
          .bigint({ error: granularityMsg })
          .min(1n, { error: granularityMsg })
          .max((1n << 64n) - 1n, { error: granularityMsg }),
      ],
      { error: granularityMsg },
    )
    .default(2 * 1024 * 1024),
  keepAllMemory: z.boolean({ error: 'keepAllMemory must be true or false' }).default(false),
  extendedStats: ExtendedStatsSchema,
  name: z
    .string({ error: 'name must be a string' })
    .regex(/^[A-Za-z0-9_-]{1,63}$/, { error: 'name must be 1 to 63 characters of [A-Za-z0-9_-]' })
    .default('scalable'),
})

/** What a program passes to `new ScalablePool(provider, params)`. */
export type ScalablePoolParams = z.input<typeof ScalablePoolParamsSchema>

/** The params after validation, with UMF's defaults filled in. */
export type ScalablePoolParamsParsed = z.output<typeof ScalablePoolParamsSchema>
