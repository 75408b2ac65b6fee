/**
 * The params of the OS memory provider ({@link OsMemoryProviderParamsSchema}), checked before anything
 * reaches C. Defaults are UMF's.
 *
 * @module config/os_memory_provider
 */
import { z } from 'zod'

const PROTECTION_FLAGS: Record<ProtectionName, number> = { none: 1, read: 2, write: 4, exec: 8 }

/** A protection flag by name (`UMF_PROTECTION_NONE`, `_READ`, `_WRITE`, `_EXEC`). */
export type ProtectionName = 'none' | 'read' | 'write' | 'exec'

const NUMA_MODES: Record<NumaModeName, number> = { default: 0, bind: 1, interleave: 2, preferred: 3, split: 4, local: 5 }

/** A NUMA mode by name (`UMF_NUMA_MODE_*`). */
export type NumaModeName = 'default' | 'bind' | 'interleave' | 'preferred' | 'split' | 'local'

const uint32 = z.number().int().min(0).max(0xffffffff)
const size = z.union([
  z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  z.bigint().min(0n).max((1n << 64n) - 1n),
])

const protectionName = z.enum(['none', 'read', 'write', 'exec'])

/**
 * Schema of the OS memory provider's params (all optional):
 *
 * Its keys, with their C setters, values and UMF's defaults, are tabled in the documentation of
 * {@link OsMemoryProvider}, whose constructor takes them.
 *
 * The cross-field rules UMF enforces at creation are checked here too: `'shared'` needs mode `'default'`;
 * `'default'` and `'local'` take no node list; `'bind'`, `'interleave'` and `'split'` need one; every
 * partition's target must be in the list and its weight above 0.
 */
export const OsMemoryProviderParamsSchema = z
  .strictObject({
    /** `UMF_PROTECTION_*` bits (1-15), a flag name, or flag names; default read + write. */
    protection: z
      .union([
        z.number().int().min(1).max(15),
        protectionName,
        z.array(protectionName).min(1, { error: 'give at least one protection flag' }),
      ])
      .default(['read', 'write'])
      .transform((p) => {
        if (typeof p === 'number') return p
        const names = typeof p === 'string' ? [p] : p
        return names.reduce((bits, n) => bits | PROTECTION_FLAGS[n], 0)
      }),
    /** `'private'` (`UMF_MEM_MAP_PRIVATE`, default) or `'shared'` (`UMF_MEM_MAP_SHARED`). */
    visibility: z.enum(['private', 'shared']).default('private'),
    /** Name of a POSIX shared memory object to map (`'shared'` only); default none. */
    shmName: z
      .string()
      .min(1)
      .max(253)
      .refine((s) => !s.includes('/') && !s.includes('\0'), { error: 'shmName must not contain "/" or NUL' })
      .nullable()
      .default(null),
    /** The NUMA policy; default `'default'` (no binding). */
    numaMode: z.enum(['default', 'bind', 'interleave', 'preferred', 'split', 'local']).default('default'),
    /** NUMA node ids the policy uses. */
    numaList: z.array(uint32).max(1024).default([]),
    /** Bytes per part for `'interleave'` (0: the page size). */
    partSize: size.default(0),
    /** Weights of the nodes for `'split'`. */
    partitions: z
      .array(
        z.strictObject({
          /** Relative share of the memory (at least 1). */
          weight: uint32.min(1, { error: 'a partition weight must be at least 1' }),
          /** The NUMA node id (must be in `numaList`). */
          target: uint32,
        }),
      )
      .max(1024)
      .default([]),
    /** The provider's name (default `'OS'`). */
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,63}$/, { error: 'name must be 1 to 63 characters of [A-Za-z0-9_-]' })
      .optional(),
  })
  .superRefine((p, ctx) => {
    if (p.visibility === 'shared' && p.numaMode !== 'default') {
      ctx.addIssue({ code: 'custom', path: ['numaMode'], message: "visibility 'shared' works only with numaMode 'default'" })
    }
    if (p.shmName !== null && p.visibility !== 'shared') {
      ctx.addIssue({ code: 'custom', path: ['shmName'], message: "shmName needs visibility 'shared'" })
    }
    if ((p.numaMode === 'default' || p.numaMode === 'local') && p.numaList.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['numaList'], message: `numaMode '${p.numaMode}' takes no numaList` })
    }
    if ((p.numaMode === 'bind' || p.numaMode === 'interleave' || p.numaMode === 'split') && p.numaList.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['numaList'], message: `numaMode '${p.numaMode}' needs a non-empty numaList` })
    }
    if (p.partitions.length > 0 && p.numaMode !== 'split') {
      ctx.addIssue({ code: 'custom', path: ['partitions'], message: "partitions need numaMode 'split'" })
    }
    p.partitions.forEach((part, i) => {
      if (!p.numaList.includes(part.target)) {
        ctx.addIssue({ code: 'custom', path: ['partitions', i, 'target'], message: `target ${part.target} is not in numaList` })
      }
    })
  })

/** What a program passes to `new OsMemoryProvider(params)` (see {@link OsMemoryProviderParamsSchema}). */
export type OsMemoryProviderParams = z.input<typeof OsMemoryProviderParamsSchema>

/** The params after validation, with defaults filled in (protection as flag bits). */
export type OsMemoryProviderParamsParsed = z.output<typeof OsMemoryProviderParamsSchema>

/**
 * The `umf_numa_mode_t` value of a mode name.
 *
 * @param mode - the name
 * @returns the C value
 */
export function numaModeValue(mode: NumaModeName): number {
  return NUMA_MODES[mode]
}
