/**
 * The params of the file memory provider ({@link FileMemoryProviderParamsSchema}), checked before anything
 * reaches C, and the pieces the DevDax and fixed providers' schemas share with it (protection flags,
 * paths, names). Defaults are UMF's.
 *
 * @module config/file_memory_provider
 */
import { z } from 'zod'
import type { ProtectionName } from './os_memory_provider.js'

const PROTECTION_FLAGS: Record<ProtectionName, number> = { none: 1, read: 2, write: 4, exec: 8 }
const protectionName = z.enum(['none', 'read', 'write', 'exec'], {
  error: 'a protection flag is one of "none", "read", "write", "exec"',
})
const PROTECTION_MSG =
  'protection must be UMF_PROTECTION_* bits (an integer from 1 to 15), a flag name ("read") or flag names (["read", "write"])'

/**
 * Memory protection: `UMF_PROTECTION_*` bits (1-15), one flag name or several; parsed to the bits.
 * Default read + write (UMF's default for the file and DevDax providers).
 *
 * @internal
 */
export const protectionSchema = z
  .union(
    [
      z.number({ error: PROTECTION_MSG }).int({ error: PROTECTION_MSG }).min(1, { error: PROTECTION_MSG }).max(15, { error: PROTECTION_MSG }),
      protectionName,
      z.array(protectionName).min(1, { error: 'give at least one protection flag' }),
    ],
    { error: PROTECTION_MSG },
  )
  .default(['read', 'write'])
  .transform((p) => {
    if (typeof p === 'number') return p
    const names = typeof p === 'string' ? [p] : p
    return names.reduce((bits, n) => bits | PROTECTION_FLAGS[n], 0)
  })

/** The longest path C takes (PATH_MAX is 4096 bytes with its terminating NUL). */
const PATH_MAX_BYTES = 4095

/**
 * A path to a file or device: a non-empty string without NUL of at most 4095 bytes (UTF-8).
 *
 * @param what - the key's name, for the messages
 * @internal
 */
export function pathSchema(what: string) {
  return z
    .string({ error: `${what} must be a string (a file system path)` })
    .min(1, { error: `${what} must not be empty` })
    .refine((s) => !s.includes('\0'), { error: `${what} must not contain NUL characters` })
    .refine((s) => Buffer.byteLength(s) <= PATH_MAX_BYTES, {
      error: `${what} must be at most ${PATH_MAX_BYTES} bytes (PATH_MAX)`,
    })
}

/**
 * A provider name: 1 to 63 characters of `[A-Za-z0-9_-]` (C keeps 63 characters).
 *
 * @internal
 */
export const providerNameSchema = z
  .string({ error: 'name must be a string' })
  .regex(/^[A-Za-z0-9_-]{1,63}$/, { error: 'name must be 1 to 63 characters of [A-Za-z0-9_-]' })

/**
 * Schema of the file memory provider's params:
 *
 * Its keys, with their C setters, values and UMF's defaults, are tabled in the documentation of
 * {@link FileMemoryProvider}, whose constructor takes them.
 */
export const FileMemoryProviderParamsSchema = z.strictObject({
  /** The file to map; created (mode 0600) when missing, never truncated or removed. Required. */
  path: pathSchema('path'),
  /** `UMF_PROTECTION_*` bits (1-15), a flag name, or flag names; default read + write. */
  protection: protectionSchema,
  /**
   * `'private'` (`UMF_MEM_MAP_PRIVATE`, default: copy on write, nothing reaches the file) or `'shared'`
   * (`UMF_MEM_MAP_SHARED`: writes reach the file; needed for FSDAX and for IPC).
   */
  visibility: z
    .enum(['private', 'shared'], { error: 'visibility must be "private" or "shared"' })
    .default('private'),
  /** The provider's name (default `'FILE'`). */
  name: providerNameSchema.optional(),
})

/** What a program passes to `new FileMemoryProvider(params)` (see {@link FileMemoryProviderParamsSchema}). */
export type FileMemoryProviderParams = z.input<typeof FileMemoryProviderParamsSchema>

/** The params after validation, with defaults filled in (protection as flag bits). */
export type FileMemoryProviderParamsParsed = z.output<typeof FileMemoryProviderParamsSchema>
