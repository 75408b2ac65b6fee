/**
 * Shared machinery of providers and pools written in TypeScript.
 *
 * One set of `koffi.register`ed trampolines serves every instance: the opaque state C passes back to an op
 * (`void *provider` / `void *pool`) is a small integer id, mapped here to the TypeScript object. No JS
 * object pointer ever goes through C. The trampolines are registered when the first instance is created and
 * unregistered when the last one is freed (koffi allows 8192 registrations per process).
 *
 * @module callbacks
 */
import koffi from 'koffi'
import type { TypeObject } from 'koffi'
import * as ffi from '../ffi/index.js'
import { UmfError, enter, keepCallbackError, leave } from './errors.js'
import { ctlQueryTypeName, ctlSourceName, type CtlQueryType, type CtlSource } from './ctl.js'
import { describe } from './validate.js'

/** Per-instance state of a TypeScript provider or pool, found by its id. @internal */
export interface Slot<T> {
  readonly id: number
  readonly impl: T
  /** Its name as a C string (for `get_name`). */
  readonly cName: bigint
  /** Last native error (providers) / last allocation error (pools) on the main thread. */
  nativeMessage: string
  nativeCode: number
  lastAllocError: number
  /** A C buffer for the native error message, allocated on first use. */
  msgBuf: bigint | null
}

/** A table of ids for one kind of TypeScript object. @internal */
export class SlotTable<T> {
  readonly #slots: (Slot<T> | undefined)[] = [undefined]
  readonly #free: number[] = []
  #live = 0
  readonly #onEmpty: () => void

  /** @param onEmpty - called when the last slot is released */
  constructor(onEmpty: () => void) {
    this.#onEmpty = onEmpty
  }

  /** Number of live slots. */
  get live(): number {
    return this.#live
  }

  /**
   * Gives an object an id.
   *
   * @param impl - the TypeScript object
   * @param name - its name
   * @returns its slot
   */
  add(impl: T, name: string): Slot<T> {
    const id = this.#free.pop() ?? this.#slots.length
    const slot: Slot<T> = { id, impl, cName: cString(name), nativeMessage: '', nativeCode: 0, lastAllocError: 0, msgBuf: null }
    this.#slots[id] = slot
    this.#live++
    return slot
  }

  /**
   * The slot of the state pointer C passed to an op.
   *
   * @param state - the `void *` C passed
   * @returns the slot, or undefined for an unknown id
   */
  get(state: bigint | null): Slot<T> | undefined {
    if (state === null) return undefined
    return this.#slots[Number(state)]
  }

  /**
   * Releases an id (after C freed the object).
   *
   * @param id - the id
   */
  remove(id: number): void {
    const slot = this.#slots[id]
    if (slot === undefined) return
    if (slot.msgBuf !== null) koffi.free(slot.msgBuf)
    this.#slots[id] = undefined
    this.#free.push(id)
    if (--this.#live === 0) this.#onEmpty()
  }
}

const cStrings = new Map<string, bigint>()

/**
 * A C string that lives as long as the process (names are few and small).
 *
 * @param s - the string
 * @returns its address
 * @internal
 */
export function cString(s: string): bigint {
  let p = cStrings.get(s)
  if (p === undefined) {
    const bytes = Buffer.from(s, 'utf8')
    p = koffi.alloc('uint8_t', bytes.length + 1) as bigint
    const v = new Uint8Array(koffi.view(p, bytes.length + 1))
    v.set(bytes)
    v[bytes.length] = 0
    cStrings.set(s, p)
  }
  return p
}

/**
 * Writes a message into a slot's C buffer (1 KiB, truncated) and returns the buffer.
 *
 * @param slot - the slot
 * @param message - the text
 * @returns the buffer's address
 * @internal
 */
export function messageBuffer(slot: Slot<unknown>, message: string): bigint {
  const cap = 1024
  if (slot.msgBuf === null) slot.msgBuf = koffi.alloc('uint8_t', cap) as bigint
  const v = new Uint8Array(koffi.view(slot.msgBuf, cap))
  const written = Buffer.from(message, 'utf8').subarray(0, cap - 1)
  v.set(written)
  v[written.length] = 0
  return slot.msgBuf
}

/**
 * What an op returns to C for an exception: the code of a {@link UmfError} (not success), else
 * `UMF_RESULT_ERROR_USER_SPECIFIC`. The exception is kept for the running lib/ call to rethrow.
 *
 * @param slot - the instance, for its native error (or undefined)
 * @param err - the exception
 * @returns the `umf_result_t` for C
 * @internal
 */
export function callbackFailed(slot: Slot<unknown> | undefined, err: unknown): number {
  keepCallbackError(err)
  if (slot !== undefined) {
    slot.nativeMessage = err instanceof Error ? err.message : String(err)
    const code = (err as { nativeCode?: unknown } | null)?.nativeCode
    slot.nativeCode = typeof code === 'number' && Number.isInteger(code) ? code : 0
  }
  if (err instanceof UmfError && err.code !== ffi.UMF_RESULT_SUCCESS) return err.code
  return ffi.UMF_RESULT_ERROR_USER_SPECIFIC
}

/**
 * Runs the body of an op that returns a `umf_result_t`: success when it returns, else what
 * {@link callbackFailed} gives C for the exception.
 *
 * @param slot - the instance
 * @param body - the op's work
 * @returns the `umf_result_t` for C
 * @internal
 */
export function runOp(slot: Slot<unknown>, body: () => void): number {
  try {
    body()
    return ffi.UMF_RESULT_SUCCESS
  } catch (e) {
    return callbackFailed(slot, e)
  }
}

/**
 * The trampolines of one kind of TypeScript object (provider or pool) and its table of ids. The
 * trampolines are registered when the first instance is created and unregistered when the last is freed.
 *
 * @typeParam T - the TypeScript implementation's interface
 * @typeParam S - the C ops struct
 * @internal
 */
export class TypeScriptOps<T, S> {
  /** The ids of the live instances. */
  readonly slots: SlotTable<T>
  readonly #trampolines: () => Trampolines
  readonly #struct: (registered: Record<string, bigint>) => S
  #registered: Record<string, bigint> | null = null
  #built: S | null = null

  /**
   * @param trampolines - op name to [trampoline, koffi pointer-to-prototype type]
   * @param struct - builds the ops struct from the registered addresses
   */
  constructor(
    trampolines: () => Trampolines,
    struct: (registered: Record<string, bigint>) => S,
  ) {
    this.#trampolines = trampolines
    this.#struct = struct
    this.slots = new SlotTable<T>(() => {
      if (this.#registered !== null) unregisterAll(this.#registered)
      this.#registered = null
      this.#built = null
    })
  }

  /**
   * Creates a C object over the shared ops struct, with a new id of `impl` as its opaque state. The id
   * is released again when C refuses or the call throws.
   *
   * @param impl - the TypeScript object
   * @param name - its name
   * @param create - calls the C create function with the struct and the state; returns its `umf_result_t`
   * @returns the C result and the id (valid only on success)
   */
  create(impl: T, name: string, create: (struct: S, state: bigint) => number): { rc: number; id: number } {
    const struct = this.#ops()
    const slot = this.slots.add(impl, name)
    let rc: number | undefined
    enter()
    try {
      rc = create(struct, BigInt(slot.id))
    } finally {
      if (rc !== ffi.UMF_RESULT_SUCCESS) this.slots.remove(slot.id)
      leave()
    }
    return { rc, id: slot.id }
  }

  #ops(): S {
    if (this.#built !== null) return this.#built
    const registered = registerAll(this.#trampolines())
    this.#registered = registered
    this.#built = this.#struct(registered)
    return this.#built
  }
}

/**
 * Checks the shape of a TypeScript provider or pool object before it gets an id: an object, a valid
 * name, the required functions, and functions (or nothing) for the optional ones.
 *
 * @param impl - the object
 * @param kind - `'provider'` or `'pool'`, for the messages
 * @param required - names of the functions it must have
 * @param optional - names of the functions it may have
 * @throws TypeError naming what is wrong
 * @internal
 */
export function checkImplShape(impl: unknown, kind: string, required: readonly string[], optional: readonly string[]): void {
  if (typeof impl !== 'object' || impl === null) {
    throw new TypeError(`a ${kind} must be a C ops address (bigint) or an object of TypeScript ops, got ${describe(impl)}`)
  }
  const o = impl as Record<string, unknown>
  if (typeof o['name'] !== 'string' || !NAME_RE.test(o['name'])) {
    throw new TypeError(`${kind} name must be 1 to 63 characters of [A-Za-z0-9_-], got ${describe(o['name'])}`)
  }
  const name = o['name']
  for (const k of required) {
    if (typeof o[k] !== 'function') throw new TypeError(`${kind} "${name}" has no ${k}() function`)
  }
  for (const k of optional) {
    if (o[k] !== undefined && typeof o[k] !== 'function') {
      throw new TypeError(`${kind} "${name}": ${k} must be a function when given, got ${describe(o[k])}`)
    }
  }
}

const NAME_RE = /^[A-Za-z0-9_-]{1,63}$/

/**
 * Checks a value a TypeScript op returned where an address goes.
 *
 * @param p - the value
 * @param op - the op's name, for the message
 * @returns the address, or null
 * @internal
 */
export function returnedPtr(p: unknown, op: string): bigint | null {
  if (p === null || p === undefined) return null
  if (typeof p === 'bigint' && p > 0n && p < 1n << 64n) return p
  throw new TypeError(`${op} must return a non-zero bigint address or null, got ${typeof p}`)
}

/**
 * Checks a size a TypeScript op returned.
 *
 * @param n - the value
 * @param op - the op's name
 * @returns the size
 * @internal
 */
export function returnedSize(n: unknown, op: string): number {
  if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) return n
  if (typeof n === 'bigint' && n >= 0n && n <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(n)
  throw new TypeError(`${op} must return a non-negative integer, got ${String(n)}`)
}

/** Op name to [trampoline, koffi pointer-to-prototype type]. @internal */
export type Trampolines = Record<string, [(...args: never[]) => unknown, TypeObject]>

/**
 * Registers a set of trampolines with koffi.
 *
 * @param fns - op name to [function, koffi pointer-to-prototype type]
 * @returns op name to registered address
 * @internal
 */
export function registerAll(fns: Trampolines): Record<string, bigint> {
  const out: Record<string, bigint> = {}
  for (const [name, [fn, type]] of Object.entries(fns)) {
    out[name] = koffi.register(fn, type)
    registrations++
  }
  return out
}

/**
 * Unregisters what {@link registerAll} registered.
 *
 * @param table - op name to registered address
 * @internal
 */
export function unregisterAll(table: Record<string, bigint>): void {
  for (const p of Object.values(table)) {
    koffi.unregister(p)
    registrations--
  }
}

let registrations = 0

/**
 * How many koffi callbacks lib/ holds registered now: one set per kind (provider, pool) while any
 * TypeScript instance of that kind is alive, none otherwise.
 *
 * @returns the count
 * @internal test-only (lib/testing.ts)
 */
export function registeredCallbacks(): number {
  return registrations
}

/** The optional `ctl` member of a TypeScript provider or pool. @internal */
export type CtlMember = (source: CtlSource, path: string, type: CtlQueryType, value: Uint8Array | null) => boolean | void

/**
 * The `ext_ctl` trampoline of TypeScript providers and pools: calls the instance's `ctl` with the path
 * and a view of the value's bytes. No `ctl`, or `ctl` returning false, is `UMF_RESULT_ERROR_INVALID_CTL_PATH`
 * with no exception kept, since C asks every object for nodes it may not have (`post_initialize`,
 * defaults); an exception follows the callback rules.
 *
 * @param slots - the instances
 * @returns the trampoline
 * @internal
 */
export function ctlTrampoline<T extends { ctl?: CtlMember }>(slots: SlotTable<T>) {
  return (state: bigint | null, source: number, name: string | null, arg: bigint | null, size: number | bigint, type: number): number => {
    const s = slots.get(state)
    if (s === undefined || name === null) return ffi.UMF_RESULT_ERROR_INVALID_ARGUMENT
    const f = s.impl.ctl
    const qt = ctlQueryTypeName(type)
    if (typeof f !== 'function' || qt === undefined) return ffi.UMF_RESULT_ERROR_INVALID_CTL_PATH
    if (typeof size !== 'number' || (size > 0 && arg === null)) return ffi.UMF_RESULT_ERROR_INVALID_ARGUMENT
    const value = arg === null || size === 0 ? null : new Uint8Array(koffi.view(arg, size))
    let found = true
    const rc = runOp(s, () => {
      found = f.call(s.impl, ctlSourceName(source), name, qt, value) !== false
    })
    return rc === ffi.UMF_RESULT_SUCCESS && !found ? ffi.UMF_RESULT_ERROR_INVALID_CTL_PATH : rc
  }
}

let knownOps: { provider: Set<bigint>; pool: Set<bigint> } | undefined

/**
 * Checks a C ops table address given to `new MemoryProvider(ops)` / `new MemoryPool(ops, ...)`: it must be
 * one of the tables libumf exports (`umfOsMemoryProviderOps()`, `umfProxyPoolOps()`...). C calls through
 * the table's function pointers, so any other address would crash the process; a provider or pool of
 * one's own is written in TypeScript instead.
 *
 * @param value - the address
 * @param kind - `'provider'` or `'pool'`
 * @returns the address
 * @throws TypeError naming the accepted tables
 * @internal
 */
export function toCOps(value: bigint, kind: 'provider' | 'pool'): bigint {
  if (knownOps === undefined) {
    // a table another libumf (UMF_LIBRARY_PATH) does not export is simply not one of them
    const table = (f: () => bigint | null) => {
      try {
        return f()
      } catch {
        return null
      }
    }
    const of = (fs: (() => bigint | null)[]) => new Set(fs.map(table).filter((p): p is bigint => p !== null))
    knownOps = {
      provider: of([
        ffi.umfOsMemoryProviderOps,
        ffi.umfFixedMemoryProviderOps,
        ffi.umfFileMemoryProviderOps,
        ffi.umfDevDaxMemoryProviderOps,
        ffi.umfCUDAMemoryProviderOps,
        ffi.umfLevelZeroMemoryProviderOps,
      ]),
      pool: of([ffi.umfProxyPoolOps, ffi.umfDisjointPoolOps, ffi.umfJemallocPoolOps, ffi.umfScalablePoolOps]),
    }
  }
  if (knownOps[kind].has(value)) return value
  throw new TypeError(
    `ops 0x${value.toString(16)} is not a ${kind} ops table of libumf (ffi.umf…${kind === 'pool' ? 'PoolOps' : 'MemoryProviderOps'}()); ` +
      `write a ${kind} of your own in TypeScript (a Memory${kind === 'pool' ? 'Pool' : 'Provider'}Impl) instead`,
  )
}
