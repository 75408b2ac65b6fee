/**
 * Errors of the lib/ layer: {@link UmfError} for a failed UMF call, {@link ConfigError} for a params object
 * that does not pass its schema, {@link DestroyedError} for the use of an object after destroy() or after
 * its ownership moved to C.
 *
 * Every `umf_result_t` that lib/ receives goes through one function, {@link check}, which turns a code
 * other than `UMF_RESULT_SUCCESS` into a {@link UmfError}.
 *
 * @module errors
 */
import { z } from 'zod'
import * as ffi from '../ffi/index.js'
import type { umf_memory_provider_handle_t } from '../ffi/index.js'

const resultNames = new Map<number, string>(Object.entries(ffi.umf_result_t).map(([name, code]) => [code, name]))

/**
 * The symbolic name of a `umf_result_t` code.
 *
 * @param code - the code, e.g. 3
 * @returns its C name, e.g. `'UMF_RESULT_ERROR_INVALID_ARGUMENT'`, or `'UMF_RESULT_<code>'` for a code the
 *   header does not define
 */
export function resultName(code: number): string {
  return resultNames.get(code) ?? `UMF_RESULT_${code}`
}

/** What a memory provider reported about its last failure on this thread. */
export interface NativeError {
  /** The provider's message (`''` when it gave none). */
  readonly message: string
  /** The provider's own error code (for the OS provider one of `UMF_OS_RESULT_*`). */
  readonly code: number
  /** The provider's name, when it could be read. */
  readonly provider?: string
}

/** Options of the {@link UmfError} constructor. */
export interface UmfErrorOptions {
  /** The provider's native error, for `UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC`. */
  nativeError?: NativeError
  /** The error that caused this one. */
  cause?: unknown
}

/**
 * A UMF function returned an error code (or NULL, for the allocation functions).
 *
 * ```ts
 * try { pool.malloc(1n << 60n) } catch (e) {
 *   if (e instanceof UmfError) console.log(e.code, e.codeName, e.func)
 * }
 * ```
 */
export class UmfError extends Error {
  /** The numeric `umf_result_t`, e.g. 3. */
  readonly code: number
  /** The symbolic name of {@link UmfError.code}, e.g. `'UMF_RESULT_ERROR_INVALID_ARGUMENT'`. */
  readonly codeName: string
  /** The C function that failed, e.g. `'umfPoolCreate'`. */
  readonly func: string
  /** For `UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC`: what the provider said, when it said something. */
  readonly nativeError: NativeError | undefined

  /**
   * @param code - the `umf_result_t`
   * @param func - the C function that returned it
   * @param options - the native error and the cause, if any
   */
  constructor(code: number, func: string, options: UmfErrorOptions = {}) {
    const name = resultName(code)
    let message = `${func} failed: ${name} (${code})`
    const native = options.nativeError
    if (native !== undefined) {
      const who = native.provider ? `provider "${native.provider}"` : 'provider'
      message += `; ${who} native error ${native.code}${native.message ? `: ${native.message}` : ''}`
    }
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'UmfError'
    this.code = code
    this.codeName = name
    this.func = func
    this.nativeError = native
  }
}

/**
 * A params object did not pass its schema. Nothing reached the C library.
 *
 * Its message is zod's `z.prettifyError` text; {@link ConfigError.issues} holds the issues themselves.
 */
export class ConfigError extends Error {
  /** zod's issues, one per problem. */
  readonly issues: readonly z.core.$ZodIssue[]

  /**
   * @param what - what was being validated, e.g. `'OsMemoryProvider params'`
   * @param error - zod's error
   */
  constructor(what: string, error: z.ZodError) {
    super(`invalid ${what}:\n${z.prettifyError(error)}`)
    this.name = 'ConfigError'
    this.issues = error.issues
  }
}

/**
 * An object was used after `destroy()`, or after its ownership moved to a pool (a provider passed with
 * `ownProvider: true`). The handle it held may already be freed, so nothing reached the C library.
 */
export class DestroyedError extends Error {
  /**
   * @param what - the object, e.g. `'MemoryPool "proxy"'`
   * @param state - `'destroyed'`, or `'moved'` when a pool took ownership
   */
  constructor(what: string, state: 'destroyed' | 'moved') {
    super(
      state === 'moved'
        ? `${what} was moved: a pool owns it now (ownProvider), so it can no longer be used or destroyed directly`
        : `${what} was destroyed and can no longer be used`,
    )
    this.name = 'DestroyedError'
  }
}

/**
 * A LevelZeroMemoryProvider was asked for before Level Zero was ready for it, or with a context or device that
 * Level Zero does not know. Level Zero follows its handles as pointers without checking them, so lib/ checks
 * first and nothing reached the C library. The message says what to do, in short: call `levelZeroInit()`
 * first and pass the context and device it returns (or, for a context made by other code,
 * `levelZeroRegisterContext(context)`).
 */
export class LevelZeroSetupError extends Error {
  /**
   * What is wrong: `'not-initialized'` (zeInit was not called, or found no driver), `'unknown-context'` (a
   * context this process did not get from levelZeroInit, levelZeroCreateContext or levelZeroRegisterContext),
   * `'unknown-device'` (a device that no driver lists).
   */
  readonly reason: 'not-initialized' | 'unknown-context' | 'unknown-device'

  /**
   * @param reason - what is wrong
   * @param message - what went wrong and what to do
   */
  constructor(reason: LevelZeroSetupError['reason'], message: string) {
    super(message)
    this.name = 'LevelZeroSetupError'
    this.reason = reason
  }
}

/**
 * A TypeScript callback (of a provider or pool written in TypeScript) called back into, or destroyed, the
 * object whose C call is running it: a pool from its provider's `alloc`, a provider from its own `alloc`.
 * C may hold a lock of that object (the call would wait for ever) or still use its memory (a destroy
 * would free it), so lib/ refuses before reaching C.
 */
export class ReentrancyError extends Error {
  /** @param what - the object, e.g. `'DisjointPool "disjoint"'` */
  constructor(what: string) {
    super(
      `${what} is running a C call that called this TypeScript callback; calling into it (or destroying it) ` +
        'from the callback is refused (C may hold its lock or use its memory). Use another pool or provider, or do it after the call returns',
    )
    this.name = 'ReentrancyError'
  }
}

/**
 * Reads the native error of the provider that failed last on this thread
 * (`umfGetLastFailedMemoryProvider` + `umfMemoryProviderGetLastNativeError`).
 *
 * @param provider - the provider to ask; by default the last failed one
 * @returns the error, or undefined when there is no provider to ask or it does not say
 */
export function lastNativeError(provider?: umf_memory_provider_handle_t | null): NativeError | undefined {
  if (provider !== undefined && provider !== null) checkProviderHandle(provider)
  let h = provider ?? null
  if (h === null) {
    const out: [umf_memory_provider_handle_t | null] = [null]
    if (ffi.umfGetLastFailedMemoryProvider(out) !== ffi.UMF_RESULT_SUCCESS) return undefined
    h = out[0]
    if (h === null) return undefined
  }
  const msg: [string | null] = [null]
  const code: [number | null] = [null]
  if (ffi.umfMemoryProviderGetLastNativeError(h, msg, code) !== ffi.UMF_RESULT_SUCCESS) return undefined
  const name: [string | null] = [null]
  const providerName = ffi.umfMemoryProviderGetName(h, name) === ffi.UMF_RESULT_SUCCESS ? (name[0] ?? undefined) : undefined
  return { message: msg[0] ?? '', code: code[0] ?? 0, provider: providerName }
}

let providerKnown: (h: bigint) => boolean = () => false

/**
 * Installs the test of whether a bigint is the handle of a live provider lib/ knows (memory_provider.ts
 * does, to avoid an import cycle). @internal
 *
 * @param known - the test
 */
export function setProviderHandleCheck(known: (h: bigint) => boolean): void {
  providerKnown = known
}

/** Refuses a raw provider handle lib/ does not know: C would dereference it. */
function checkProviderHandle(h: unknown): void {
  if (typeof h === 'bigint' && providerKnown(h)) return
  throw new TypeError(
    `provider must be the handle of a live memory provider of lib/ (provider.handle), got ${typeof h === 'bigint' ? `0x${h.toString(16)}` : typeof h}`,
  )
}

// ---- errors thrown by TypeScript callbacks ----

let pending: { error: unknown } | undefined
let depth = 0
let orphan: unknown

/**
 * Marks the start of a lib/ call that may run TypeScript callbacks. Pair with {@link leave}.
 *
 * @internal
 */
export function enter(): void {
  depth++
}

/**
 * Marks the end of a lib/ call started with {@link enter} and rethrows the first exception a TypeScript
 * callback threw during it.
 *
 * @internal
 */
export function leave(): void {
  depth--
  if (pending !== undefined) {
    const p = pending
    pending = undefined
    throw p.error
  }
}

/**
 * Runs a C call that may run TypeScript callbacks between {@link enter} and {@link leave}, so that the
 * first exception one of them threw is rethrown once the call returns.
 *
 * @param call - the C call
 * @returns what it returned
 * @internal
 */
export function guarded<T>(call: () => T): T {
  enter()
  try {
    return call()
  } finally {
    leave()
  }
}

/**
 * Keeps an exception a TypeScript callback threw, for the lib/ call that is running to rethrow once its
 * FFI call has returned. When no lib/ call is running (C or ffi/ called the callback), the exception is
 * kept for {@link takeCallbackError} instead.
 *
 * @internal
 */
export function keepCallbackError(error: unknown): void {
  if (depth > 0) {
    if (pending === undefined) pending = { error }
  } else {
    orphan = error
  }
}

/**
 * Whether a callback exception waits to be rethrown by the running lib/ call.
 *
 * @internal
 */
export function hasPending(): boolean {
  return pending !== undefined
}

/**
 * The last exception a TypeScript provider or pool threw while no lib/ call was running (for example
 * when a program calls `umfPoolMalloc` from ffi/ on a pool written in TypeScript), and forgets it. C got
 * `UMF_RESULT_ERROR_USER_SPECIFIC` for it.
 *
 * @returns the exception, or undefined
 */
export function takeCallbackError(): unknown {
  const e = orphan
  orphan = undefined
  return e
}

/**
 * The one place where lib/ turns a `umf_result_t` into an exception. Call it right after the C call, on
 * the same thread (the provider's native error is thread-local).
 *
 * A callback exception kept during the call wins: it is thrown as it is. Otherwise, for
 * `UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC` the error carries the provider's native error.
 *
 * @param rc - the result of the C call
 * @param func - the C function's name
 * @param provider - the provider whose native error to read; by default the last failed one
 * @throws UmfError when rc is not `UMF_RESULT_SUCCESS`
 */
export function check(rc: number, func: string, provider?: umf_memory_provider_handle_t | null): void {
  if (provider !== undefined && provider !== null && rc !== ffi.UMF_RESULT_SUCCESS) checkProviderHandle(provider)
  if (pending !== undefined) {
    const p = pending
    pending = undefined
    throw p.error
  }
  if (rc === ffi.UMF_RESULT_SUCCESS) return
  throw failure(rc, func, provider)
}

/**
 * Builds (does not throw) the {@link UmfError} for a failed call; see {@link check}.
 *
 * @param rc - the result of the C call
 * @param func - the C function's name
 * @param provider - the provider whose native error to read; by default the last failed one
 * @returns the error
 * @internal
 */
export function failure(rc: number, func: string, provider?: umf_memory_provider_handle_t | null): UmfError {
  const nativeError = rc === ffi.UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC ? lastNativeError(provider) : undefined
  return new UmfError(rc, func, { nativeError })
}
