/**
 * The params of the OS memory provider ({@link OsMemoryProviderParamsSchema}), checked before anything
 * reaches C. Defaults are UMF's.
 *
 * @module config/os_memory_provider
 */
import { z } from 'zod'

const PROTECTION_FLAGS = { none: 1, read: 2, write: 4, exec: 8 } as const

/** A protection flag by name. */
export type ProtectionName = keyof typeof PROTECTION_FLAGS

const NUMA_MODES = { default: 0, bind: 1, interleave: 2, preferred: 3, split: 4, local: 5 } as const

/** A NUMA mode by name (`UMF_NUMA_MODE_*`). */
export type NumaModeName = keyof typeof NUMA_MODES

const uint32 = z.number().int().min(0).max(0xffffffff)
const size = z.union([
  z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  z.bigint().min(0n).max((1n << 64n) - 1n),
])

const protectionName = z.enum(['none', 'read', 'write', 'exec'])

/**
 * Schema of the OS memory provider's params (all optional):
 *
 * | key | C setter | values | default |
 * |---|---|---|---|
 * | `protection` | `umfOsMemoryProviderParamsSetProtection` | `UMF_PROTECTION_*` bits (1-15), a name (`'read'`) or names (`['read', 'write']`) | read + write |
 * | `visibility` | `…SetVisibility` | `'private'` or `'shared'` | `'private'` |
 * | `shmName` | `…SetShmName` | a name without `/`, at most 253 characters (needs `'shared'`) | none |
 * | `numaMode` | `…SetNumaMode` | `'default'`, `'bind'`, `'interleave'`, `'preferred'`, `'split'`, `'local'` | `'default'` |
 * | `numaList` | `…SetNumaList` | NUMA node ids | `[]` |
 * | `partSize` | `…SetPartSize` | bytes per interleave part (0: page size) | 0 |
 * | `partitions` | `…SetPartitions` | `{ weight, target }` for `'split'` | `[]` |
 * | `name` | `…SetName` | 1 to 63 characters of `[A-Za-z0-9_-]` | `'OS'` |
 *
 * The cross-field rules UMF enforces at creation are checked here too: `'shared'` needs mode `'default'`;
 * `'default'` and `'local'` take no node list; `'bind'`, `'interleave'` and `'split'` need one; every
 * partition's target must be in the list and its weight above 0.
 */
export const OsMemoryProviderParamsSchema = z
  .strictObject({
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
    visibility: z.enum(['private', 'shared']).default('private'),
    shmName: z
      .string()
      .min(1)
      .max(253)
      .refine((s) => !s.includes('/') && !s.includes('\0'), { error: 'shmName must not contain "/" or NUL' })
      .nullable()
      .default(null),
    numaMode: z.enum(['default', 'bind', 'interleave', 'preferred', 'split', 'local']).default('default'),
    numaList: z.array(uint32).max(1024).default([]),
    partSize: size.default(0),
    partitions: z
      .array(z.strictObject({ weight: uint32.min(1, { error: 'a partition weight must be at least 1' }), target: uint32 }))
      .max(1024)
      .default([]),
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

/** What a program passes to `new OsMemoryProvider(params)`. */
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
