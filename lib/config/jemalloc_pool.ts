/**
 * The params of the jemalloc pool ({@link JemallocPoolParamsSchema}), checked before anything reaches C.
 * Defaults are UMF's.
 *
 * @module config/jemalloc_pool
 */
import { z } from 'zod'
import { ExtendedStatsSchema } from './builtin_pool.js'

/** The most arenas a jemalloc pool may have (jemalloc's `MALLCTL_ARENAS_ALL` - 1). */
export const JEMALLOC_MAX_ARENAS = 4095

/**
 * Schema of the jemalloc pool's params (all optional):
 *
 * Its keys, with their C setters, values and UMF's defaults, are tabled in the documentation of
 * {@link JemallocPool}, whose constructor takes them.
 */
export const JemallocPoolParamsSchema = z.strictObject({
  numArenas: z
    .number({ error: `numArenas must be a number from 0 to ${JEMALLOC_MAX_ARENAS}` })
    .int({ error: `numArenas must be an integer from 0 to ${JEMALLOC_MAX_ARENAS}` })
    .min(0, { error: `numArenas must be an integer from 0 (four per CPU) to ${JEMALLOC_MAX_ARENAS}` })
    .max(JEMALLOC_MAX_ARENAS, { error: `numArenas must be at most ${JEMALLOC_MAX_ARENAS}` })
    .default(0),
  name: z
    .string({ error: 'name must be a string' })
    .regex(/^[A-Za-z0-9_-]{1,63}$/, { error: 'name must be 1 to 63 characters of [A-Za-z0-9_-]' })
    .default('jemalloc'),
  extendedStats: ExtendedStatsSchema,
})

/** What a program passes to `new JemallocPool(provider, params)`. */
export type JemallocPoolParams = z.input<typeof JemallocPoolParamsSchema>

/** The params after validation, with UMF's defaults filled in. */
export type JemallocPoolParamsParsed = z.output<typeof JemallocPoolParamsSchema>
