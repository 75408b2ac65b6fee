/**
 * Adds a sentence saying what went wrong and what to do to a {@link UmfError} of a pool or provider
 * constructor.
 *
 * @module hint
 * @internal
 */
import * as ffi from '../ffi/index.js'
import { UmfError } from './errors.js'

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

/**
 * The error of a constructor whose ops function returned NULL (this libumf lacks the pool or provider):
 * `UMF_RESULT_ERROR_NOT_SUPPORTED` from `func`, with a hint.
 *
 * @param func - the ops function, e.g. `'umfJemallocPoolOps'`
 * @param hint - why it is missing and what to do
 * @returns the error, to throw
 * @internal
 */
export function notBuiltIn(func: string, hint: string): UmfError {
  return withHint(new UmfError(ffi.UMF_RESULT_ERROR_NOT_SUPPORTED, func), hint)
}
