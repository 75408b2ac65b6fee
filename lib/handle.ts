/**
 * The lifetime of objects that own a UMF handle: {@link UmfHandle}.
 *
 * - `destroy()` frees the handle; a second call does nothing; `[Symbol.dispose]` calls it, so
 *   `using pool = new ProxyPool(provider)` frees the pool at the end of the block.
 * - A `FinalizationRegistry` frees the handle of an object the program forgot (without destroying it) once
 *   the garbage collector reclaims it. Its record holds the raw handle and strong references to the parent
 *   objects (a pool's provider), so a parent always outlives its children, also there.
 * - An object whose ownership moved to C (a provider passed to a pool with `ownProvider: true`) is
 *   "moved": it can no longer be used or destroyed; the pool frees it.
 * - Every method of a destroyed or moved object throws {@link DestroyedError} before touching C.
 *
 * @module handle
 */
import { DestroyedError, ReentrancyError, check, enter, guarded, leave } from './errors.js'

// `using` needs Symbol.dispose. Node 20.17+ has it; define it once for a runtime that does not (the same
// registered symbol Node uses, so objects stay disposable if the runtime defines it later).
if (typeof (Symbol as { dispose?: symbol }).dispose !== 'symbol') {
  Object.defineProperty(Symbol, 'dispose', { value: Symbol.for('nodejs.dispose'), configurable: false, writable: false })
}

/** How the native side of a handle is released. */
interface Release {
  /** The raw handle. */
  handle: bigint
  /** The C function freeing it (returns its `umf_result_t`), and that function's name. */
  free: ((h: bigint) => number) | null
  freeName: string
  /** JS-side cleanup to run once the handle is freed (callback ids, registries). */
  after: (() => void) | undefined
  /** Objects that must outlive this handle (null: none). */
  parents: readonly object[] | null
  /** Releases of moved children: freed by C along with this handle; their `after` runs after ours. */
  owned: Release[] | null
  /** Borrowed wrappers of handles that live inside this one (a pool's tracking provider): revoked with it. */
  borrowers: WeakRef<UmfHandle>[] | null
  done: boolean
  /** Ownership moved to another handle's C side: the finalizer of this object must not free it. */
  moved: boolean
}

// Every object of lib/ may be forgotten by the thousands (issue 14: 100,000 forgotten pools in one
// synchronous loop, where no finalizer can run until the loop returns), so a release record is kept small:
// no arrays until something is owned or borrowed, one FinalizationRegistry cell per object, and no
// unregister token (destroy() marks the record done instead; the finalizer then does nothing).

// set in UmfHandle's static block: marks a borrowed wrapper dead (its #state is private to the class)
let revoke: (h: UmfHandle) => void = () => {}

function runRelease(r: Release): number {
  if (r.done) return 0
  r.done = true
  let rc = 0
  try {
    if (r.free !== null) rc = r.free(r.handle)
  } finally {
    const { owned, borrowers, after } = r
    r.owned = r.borrowers = r.parents = null
    r.after = undefined
    if (owned !== null) {
      for (const child of owned) {
        child.done = true
        child.after?.()
      }
    }
    after?.()
    if (borrowers !== null) {
      for (const b of borrowers) {
        const w = b.deref()
        if (w !== undefined) revoke(w)
      }
    }
  }
  return rc
}

let finalizedCount = 0
const registry = new FinalizationRegistry<Release>((r) => {
  finalizedCount++
  if (r.moved) return
  try {
    runRelease(r)
  } catch {
    // a finalizer has no caller to report to; the handle is gone either way
  }
})

/** The record of a borrowed object: nothing to free (registered only so finalizedObjects() counts it). */
const NOTHING: Release = { handle: 0n, free: null, freeName: '', after: undefined, parents: null, owned: null, borrowers: null, done: true, moved: false }

/**
 * How many objects of lib/ the garbage collector has reclaimed so far (for tests of the finalizers).
 *
 * @returns the count
 * @internal test-only (lib/testing.ts)
 */
export function finalizedObjects(): number {
  return finalizedCount
}

/** Options of the protected `UmfHandle.adopt()` that subclasses call with a new handle. */
export interface AdoptOptions {
  /** Objects that must stay alive as long as this handle (for a pool: its provider). */
  parents?: object[]
  /** JS-side cleanup to run after the handle is freed, by destroy() or by the finalizer. */
  after?: () => void
  /** The object does not own the handle: destroy() refuses, nothing frees it. */
  borrowed?: boolean
  /**
   * For a borrowed object: the object whose handle contains this one. When it is freed, this wrapper
   * dies with it (its methods throw {@link DestroyedError} instead of touching freed memory).
   */
  owner?: UmfHandle
}

/**
 * Base class of every object of lib/ that owns (or borrows) a UMF handle.
 *
 * Subclasses create the C object in their constructor and hand the handle to their protected `adopt()`.
 *
 * @typeParam H - the branded handle type of ffi/, e.g. `umf_memory_pool_handle_t`
 */
export abstract class UmfHandle<H extends bigint = bigint> implements Disposable {
  /** The handle while the object is live, else null. Hot paths read it directly. @internal */
  protected _h: H | null = null
  #state: 'new' | 'live' | 'destroyed' | 'moved' = 'new'
  #release: Release | undefined
  #borrowed = false
  #dependents = 0
  /** lib/ calls into C on this object that are running now (and may run TypeScript callbacks). */
  #busy = 0

  static {
    revoke = (h) => {
      h._h = null
      h.#state = 'destroyed'
    }
  }

  /**
   * Takes ownership of a freshly created handle (or borrows one).
   *
   * @param handle - the handle
   * @param free - the C function that frees it, e.g. `ffi.umfPoolDestroy`
   * @param freeName - that function's name, for errors
   * @param options - parents, JS-side cleanup, borrowed
   * @internal
   */
  protected adopt(handle: H, free: ((h: H) => number) | null, freeName: string, options: AdoptOptions = {}): void {
    this._h = handle
    this.#state = 'live'
    this.#borrowed = options.borrowed === true
    const r: Release = {
      handle,
      free: this.#borrowed ? null : (free as ((h: bigint) => number) | null),
      freeName,
      after: options.after,
      parents: options.parents !== undefined && options.parents.length > 0 ? options.parents : null,
      owned: null,
      borrowers: null,
      done: false,
      moved: false,
    }
    this.#release = r
    if (options.owner !== undefined) UmfHandle.revokeWith(options.owner, this)
    registry.register(this, this.#borrowed ? NOTHING : r)
  }

  /** A short name of the object for messages, e.g. `MemoryPool "proxy"`. @internal */
  protected describeSelf(): string {
    return this.constructor.name
  }

  /** The error for a use of this object when it is not live. @internal */
  protected deadError(): Error {
    if (this.#busy > 0 && this.#state === 'live') return new ReentrancyError(this.describeSelf())
    return new DestroyedError(this.describeSelf(), this.#state === 'moved' ? 'moved' : 'destroyed')
  }

  /**
   * Marks the start of a C call on this object that may run TypeScript callbacks: until {@link
   * UmfHandle.unbusy}, the object reads as not live, so a callback that calls back into it (or destroys
   * it) gets {@link ReentrancyError} instead of re-entering C (a lock C holds would deadlock; a destroy
   * would free memory C is using). Every method reaches C through `_h`/`handle`, so this one switch
   * guards them all.
   *
   * @returns the handle, for the call
   * @internal
   */
  protected busy(): H {
    const h = this._h
    if (h === null) throw this.deadError()
    this._h = null
    this.#busy++
    return h
  }

  /**
   * Ends what {@link UmfHandle.busy} started.
   *
   * @param h - the handle busy() returned
   * @internal
   */
  protected unbusy(h: H): void {
    if (--this.#busy === 0 && this.#state === 'live') this._h = h
  }

  /**
   * Runs a C call on this object between {@link UmfHandle.busy} and {@link UmfHandle.unbusy}, and
   * between `enter()` and `leave()` (a callback's exception is rethrown after it).
   *
   * @param call - the C call, given the handle
   * @returns what it returned
   * @internal
   */
  protected inCall<T>(call: (h: H) => T): T {
    const h = this.busy()
    enter()
    try {
      return call(h)
    } finally {
      this.unbusy(h)
      leave()
    }
  }

  /**
   * The raw C handle, for calls through ffi/ (e.g. `ffi.umfPoolGetName(pool.handle, out)`). The object
   * still owns it: do not free it through ffi/.
   *
   * @throws DestroyedError after destroy() or a move
   */
  get handle(): H {
    const h = this._h
    if (h === null) throw this.deadError()
    return h
  }

  /** Whether the object still holds its handle (not destroyed, not moved). */
  get alive(): boolean {
    return this.#state === 'live'
  }

  /** Whether ownership of the handle moved to C (see the module notes). */
  get moved(): boolean {
    return this.#state === 'moved'
  }

  /**
   * Frees the handle now. Calling it again does nothing.
   *
   * @throws DestroyedError when the object was moved (its owner frees it); Error for a borrowed object;
   *   UmfError when the C destroy function reports an error (the handle is gone all the same)
   */
  destroy(): void {
    if (this.#state === 'destroyed') return
    if (this.#state === 'moved' || this.#busy > 0) throw this.deadError()
    if (this.#borrowed) {
      throw new Error(`${this.describeSelf()} is borrowed from the object that owns it, which destroys it`)
    }
    if (this.#dependents > 0) {
      throw new Error(
        `${this.describeSelf()} is still used by ${this.#dependents} live object(s) (e.g. pools); destroy them first`,
      )
    }
    const r = this.#release
    this._h = null
    this.#state = 'destroyed'
    // a destroyed object can stay reachable a while (a WeakRef keeps its target until the current job
    // ends): it must not keep its release record, parents and cleanup closures with it
    this.#release = undefined
    if (r === undefined) return
    check(guarded(() => runRelease(r)), r.freeName)
  }

  /** `using` support: destroys a live object; does nothing for a destroyed or moved one. */
  [Symbol.dispose](): void {
    if (this.#state === 'live' && !this.#borrowed) this.destroy()
  }

  /** Whether a lib/ call into C on this object is running (see {@link UmfHandle.busy}). @internal */
  static isBusy(h: UmfHandle): boolean {
    return h.#busy > 0
  }

  /**
   * Hands ownership of the handle to another object's C side (e.g. a pool created with
   * `UMF_POOL_CREATE_FLAG_OWN_PROVIDER`): this object becomes unusable, and its JS-side cleanup runs when
   * the new owner is freed.
   *
   * @param owner - the new owner
   * @internal
   */
  protected moveTo(owner: UmfHandle): void {
    if (this.#busy > 0) throw this.deadError()
    const r = this.#release
    this._h = null
    this.#state = 'moved'
    if (r === undefined) return
    r.moved = true
    const target = owner.#release
    if (target === undefined) throw new Error('moveTo: the new owner holds no handle')
    ;(target.owned ??= []).push(r)
  }

  /** Internal access to moveTo for sibling classes. @internal */
  static moveHandle(from: UmfHandle, to: UmfHandle): void {
    from.moveTo(to)
  }

  /**
   * Counts one more live object that depends on `parent` (a pool on its provider): `parent.destroy()`
   * refuses while any remain.
   *
   * @param parent - the parent
   * @internal
   */
  static addDependent(parent: UmfHandle): void {
    parent.#dependents++
  }

  /**
   * Undoes {@link UmfHandle.addDependent}.
   *
   * @param parent - the parent
   * @internal
   */
  static dropDependent(parent: UmfHandle): void {
    parent.#dependents--
  }

  /**
   * Counts one more live dependent of each parent (see {@link UmfHandle.addDependent}) until the returned
   * function is called; calling it again does nothing.
   *
   * @param parents - the parents
   * @returns the function that drops the count
   * @internal
   */
  static depend(parents: readonly UmfHandle[]): () => void {
    let held = [...parents]
    for (const p of held) p.#dependents++
    return () => {
      for (const p of held) p.#dependents--
      held = []
    }
  }

  /**
   * Makes a borrowed wrapper die with `owner` (see {@link AdoptOptions.owner}), for a wrapper made before
   * its owner had a handle (the provider a TypeScript pool's `initialize()` receives).
   *
   * @param owner - the owner
   * @param borrowed - the borrowed wrapper
   * @internal
   */
  static revokeWith(owner: UmfHandle, borrowed: UmfHandle): void {
    const o = owner.#release
    if (o === undefined || o.done) revoke(borrowed)
    else (o.borrowers ??= []).push(new WeakRef(borrowed))
  }

  /**
   * Wraps the function that frees an object's handle (a shared pool is freed by its last user).
   *
   * @param h - the object
   * @param wrap - given the current function and the parents, returns the new function
   * @internal
   */
  static wrapFree(h: UmfHandle, wrap: (free: (handle: bigint) => number, parents: readonly object[]) => (handle: bigint) => number): void {
    const r = h.#release
    if (r === undefined || r.free === null || r.done) return
    r.free = wrap(r.free, r.parents ?? [])
  }

  /** Whether an object was created with `borrowed` (does not own its handle). @internal */
  static isBorrowed(h: UmfHandle): boolean {
    return h.#borrowed
  }
}

/**
 * The live objects of one class by handle (weakly held), for finding the lib/ object of a handle C returns.
 *
 * @internal
 */
export class LiveObjects<T extends UmfHandle> {
  readonly #map = new Map<bigint, WeakRef<T>>()

  /**
   * Records the object of a handle.
   *
   * @param handle - the handle
   * @param object - its object
   */
  set(handle: bigint, object: T): void {
    this.#map.set(handle, new WeakRef(object))
  }

  /**
   * The live object of a handle.
   *
   * @param handle - the handle
   * @returns the object, or null when there is none (or it is no longer alive)
   */
  get(handle: bigint | null): T | null {
    if (handle === null) return null
    const known = this.#map.get(handle)?.deref()
    return known !== undefined && known.alive ? known : null
  }

  /**
   * Forgets a handle that was freed, unless a live object has it again by now (C reuses addresses).
   *
   * @param handle - the handle
   */
  freed(handle: bigint): void {
    if (this.get(handle) === null) this.#map.delete(handle)
  }

  /**
   * Forgets a handle.
   *
   * @param handle - the handle
   */
  delete(handle: bigint): void {
    this.#map.delete(handle)
  }
}
