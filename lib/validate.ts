/**
 * Checks of the values a program hands to lib/, made before anything reaches koffi (a wrong type inside a
 * struct aborts the process and a bad pointer crashes it).
 *
 * @module validate
 */

import fs from 'node:fs'

/** The largest `size_t`. */
export const SIZE_MAX: bigint = (1n << 64n) - 1n

/**
 * A byte count or element count: a non-negative integer `number` (at most `Number.MAX_SAFE_INTEGER`) or a
 * `bigint` from 0 to 2^64 - 1.
 */
export type Size = number | bigint

/**
 * Checks a size argument.
 *
 * @param value - the value to check
 * @param what - the argument's name, for the message
 * @returns the value, unchanged
 * @throws TypeError when it is neither a number nor a bigint; RangeError when it is negative, fractional,
 *   NaN, infinite, above `Number.MAX_SAFE_INTEGER` (as a number) or above 2^64 - 1
 */
export function toSize(value: unknown, what: string): Size {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return value
    throw new RangeError(
      `${what} must be a non-negative integer (a number up to Number.MAX_SAFE_INTEGER, or a bigint), got ${String(value)}`,
    )
  }
  if (typeof value === 'bigint') {
    if (value >= 0n && value <= SIZE_MAX) return value
    throw new RangeError(`${what} must be between 0 and 2^64 - 1, got ${value}n`)
  }
  throw new TypeError(`${what} must be a number or a bigint, got ${describe(value)}`)
}

/**
 * Checks a 32-bit unsigned argument (a C `unsigned`).
 *
 * @param value - the value to check
 * @param what - the argument's name, for the message
 * @returns the value
 * @throws TypeError or RangeError
 */
export function toUint32(value: unknown, what: string): number {
  if (typeof value !== 'number') throw new TypeError(`${what} must be a number, got ${describe(value)}`)
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`${what} must be an integer from 0 to 2^32 - 1, got ${value}`)
  }
  return value
}

/**
 * Checks a pointer argument: a non-zero `bigint` below 2^64.
 *
 * @param value - the value to check
 * @param what - the argument's name, for the message
 * @returns the pointer
 * @throws TypeError for anything else, including a number (numbers are never addresses here)
 */
export function toPtr(value: unknown, what: string): bigint {
  if (typeof value === 'bigint' && value > 0n && value <= SIZE_MAX) return value
  if (typeof value === 'bigint') throw new TypeError(`${what} must be a non-NULL address below 2^64, got ${value}n`)
  throw new TypeError(`${what} must be a bigint address (as returned by malloc), got ${describe(value)}`)
}

/**
 * A short description of a value for messages.
 *
 * @param value - any value
 * @returns e.g. `number 12`, `string "x"`, `null`
 */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'number':
      return `number ${value}`
    case 'bigint':
      return `bigint ${value}n`
    case 'string':
      return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`
    case 'undefined':
      return 'undefined'
    case 'function':
      return 'a function'
    case 'object':
      return Array.isArray(value) ? 'an array' : `an object (${value.constructor?.name ?? 'Object'})`
    default:
      return typeof value
  }
}

const hex = (p: bigint) => `0x${p.toString(16)}`

/**
 * The first address of [start, end) that is not mapped readable and writable in this process, with why;
 * null when all of it is (or when /proc/self/maps cannot be read). koffi segfaults on an unmapped
 * address: this is how lib/ checks a raw address it cannot otherwise vouch for before C uses it.
 *
 * @param start - first byte
 * @param end - one past the last byte
 * @returns the reason, or null
 */
export function mappingProblem(start: bigint, end: bigint): string | null {
  let text: string
  try {
    text = fs.readFileSync('/proc/self/maps', 'latin1')
  } catch {
    return null
  }
  let at = start
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+)/.exec(line)
    if (m === null) continue
    const lo = BigInt('0x' + m[1])
    const hi = BigInt('0x' + m[2])
    if (hi <= at) continue
    if (lo > at) return `${hex(at)} is not mapped in this process`
    const perms = m[3]!
    if (perms[0] !== 'r' || perms[1] !== 'w') {
      return `${hex(at)} is in a mapping that is not readable and writable (${perms})`
    }
    at = hi
    if (at >= end) return null
  }
  return `${hex(at)} is not mapped in this process`
}

/**
 * Checks the address of a C params object given as a raw bigint (from an ffi/ `…ParamsCreate`): it must
 * lie in mapped read-write memory, or C would crash reading it. lib/ cannot tell a params object from
 * other memory; this catches made-up numbers.
 *
 * @param value - the address
 * @param what - the argument's name
 * @returns the address
 * @throws TypeError for a non-address; RangeError for unmapped memory
 */
export function toParamsAddress(value: unknown, what: string): bigint {
  const p = toPtr(value, what)
  const bad = mappingProblem(p, p + 64n)
  if (bad !== null) {
    throw new RangeError(`${what} ${hex(p)} is not the address of a C params object (${bad}); pass one from an ffi/ …ParamsCreate, or null`)
  }
  return p
}
