/**
 * The one helper every params schema of lib/config goes through.
 *
 * @module config/parse
 */
import type { z } from 'zod'
import { ConfigError } from '../errors.js'

/**
 * Validates input against a schema and returns the parsed value (with UMF's defaults filled in).
 *
 * @param schema - a zod schema
 * @param input - what the program passed
 * @param what - what it is, for the message (e.g. `'OsMemoryProvider params'`)
 * @returns the parsed value
 * @throws ConfigError with zod's issues and `z.prettifyError` text
 */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input)
  if (!r.success) throw new ConfigError(what, r.error)
  return r.data
}
