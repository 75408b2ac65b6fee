/**
 * The inputs of memspaces and mempolicies ({@link MempolicyParamsSchema}, {@link NumaNodeIdsSchema},
 * {@link MemspacePoolOptionsSchema}), checked before anything reaches C.
 *
 * @module config/memspace
 */
import { z } from 'zod'

const uint32 = z.number({ error: 'must be an integer from 0 to 2^32 - 1' }).int().min(0).max(0xffffffff)
const size = z.union(
  [z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.bigint().min(0n).max((1n << 64n) - 1n)],
  { error: 'must be a non-negative integer (number or bigint) below 2^64' },
)

/** The placement of a mempolicy by name (`UMF_MEMPOLICY_*`). */
export type MempolicyBindName = 'interleave' | 'bind' | 'preferred' | 'split'

/** `UMF_MEMPOLICY_*` values by name. */
export const MEMPOLICY_BIND_VALUES: Readonly<Record<MempolicyBindName, number>> = Object.freeze({
  interleave: 0,
  bind: 1,
  preferred: 2,
  split: 3,
})

/**
 * Schema of a mempolicy's params:
 *
 * - `bind` (required): `'interleave'`, `'bind'`, `'preferred'` or `'split'`.
 * - `partSize` (only with `'interleave'`, default 0 = page by page): bytes each node gets in turn.
 * - `partitions` (only with `'split'`, default none = equal shares): `{ weight, target }` with weight above 0
 *   and target the id (NUMA node) of a target of the memspace the policy is used with.
 */
export const MempolicyParamsSchema = z
  .strictObject({
    bind: z.enum(['interleave', 'bind', 'preferred', 'split'], {
      error: "bind must be 'interleave', 'bind', 'preferred' or 'split'",
    }),
    partSize: size.optional(),
    partitions: z
      .array(z.strictObject({ weight: uint32.min(1, 'a weight must be above 0'), target: uint32 }))
      .min(1, 'partitions, when given, must hold at least one share')
      .optional(),
  })
  .superRefine((p, ctx) => {
    if (p.partSize !== undefined && p.bind !== 'interleave') {
      ctx.addIssue({ code: 'custom', path: ['partSize'], message: "partSize is only for bind 'interleave'" })
    }
    if (p.partitions !== undefined && p.bind !== 'split') {
      ctx.addIssue({ code: 'custom', path: ['partitions'], message: "partitions are only for bind 'split'" })
    }
  })

/** What a program passes to `new Mempolicy(...)`. */
export type MempolicyParams = z.input<typeof MempolicyParamsSchema>
/** The params after validation. */
export type MempolicyParamsParsed = z.output<typeof MempolicyParamsSchema>

/** NUMA node ids (OS indexes) for `Memspace.fromNumaNodes` and `filterById`: at least one, none twice. */
export const NumaNodeIdsSchema = z
  .array(uint32, { error: 'must be an array of NUMA node ids' })
  .min(1, 'at least one NUMA node id is needed')
  .refine((ids) => new Set(ids).size === ids.length, 'a NUMA node id is listed twice')

/** A least capacity in bytes for `filterByCapacity` (a C `int64_t`, so at most 2^63 - 1). */
export const CapacitySchema = z.union(
  [z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.bigint().min(0n).max((1n << 63n) - 1n)],
  { error: 'must be a non-negative integer (number or bigint) below 2^63' },
)

/**
 * Options of `Memspace.createPool`:
 *
 * - `kind` (default `'disjoint'`, as UMF's `umfPoolCreateFromMemspace`): `'disjoint'`, `'jemalloc'`,
 *   `'scalable'` or `'proxy'`.
 * - `params`: the pool's params (checked by that pool's own schema); none for `'proxy'`.
 * - `disableTracking` (default false).
 */
export const MemspacePoolOptionsSchema = z.strictObject({
  kind: z
    .enum(['disjoint', 'jemalloc', 'scalable', 'proxy'], {
      error: "kind must be 'disjoint', 'jemalloc', 'scalable' or 'proxy'",
    })
    .default('disjoint'),
  params: z.record(z.string(), z.unknown()).optional(),
  disableTracking: z.boolean({ error: 'disableTracking must be true or false' }).default(false),
})

/** What a program passes as options of `Memspace.createPool`. */
export type MemspacePoolOptions = z.input<typeof MemspacePoolOptionsSchema>
