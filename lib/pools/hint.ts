/**
 * Adds a sentence saying what to do to a {@link UmfError} of a pool constructor.
 *
 * @module pools/hint
 * @internal
 */
import type { UmfError } from '../errors.js'

/**
 * Appends `hint` to the error's message (and to the first line of its stack).
 *
 * @param e - the error
 * @param hint - what went wrong and how to fix it
 * @returns the same error
 * @internal
 */
export function withHint(e: UmfError, hint: string): UmfError {
  const old = e.message
  const stack = e.stack // formatted now, with the old message, if it was not yet
  e.message = `${old}: ${hint}`
  if (typeof stack === 'string') e.stack = stack.replace(old, e.message)
  return e
}
