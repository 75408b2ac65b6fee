/**
 * Memory providers (`umf/memory_provider.h`): {@link MemoryProvider} over any ops table, either a C table
 * (e.g. `umfOsMemoryProviderOps()`) or a provider written in TypeScript ({@link MemoryProviderImpl}).
 *
 * @module memory_provider
 */
import koffi from 'koffi'
import * as ffi from '../ffi/index.js'
import * as ctl from './ctl.js'
import type { CtlQueryType, CtlSource } from './ctl.js'
import type { umf_memory_provider_handle_t, umf_memory_provider_ops_t } from '../ffi/index.js'
import { TypeScriptOps, ctlTrampoline, cString, toCOps, type Trampolines, checkImplShape, messageBuffer, returnedPtr, returnedSize, runOp } from './callbacks.js'
import { check, guarded, lastNativeError, setProviderHandleCheck, type NativeError } from './errors.js'
import { LiveObjects, UmfHandle } from './handle.js'
import { SizeTable, addressKey } from './sizes.js'
import { describe, toParamsAddress, toPtr, toSize, type Size } from './validate.js'
import { F_JS, F_PROVIDER, inWorker, ownerDone, register, type SlotRef } from './threads.js'

/** The counters of {@link MemoryProvider.stats}. */
export interface ProviderStats {
  /** Bytes allocated now. */
  allocatedMemory: number | undefined
  /** The most bytes allocated at once since creation or {@link MemoryProvider.resetPeakMemory}. */
  peakMemory: number | undefined
}

/**
 * A memory provider written in TypeScript. Only `name`, `alloc` and `free` are required.
 *
 * Ops run on the JavaScript thread, called by C (a pool's allocation, umfFree...). An exception thrown by
 * an op is caught before it reaches C: C receives `UMF_RESULT_ERROR_USER_SPECIFIC` (or, for a thrown
 * {@link UmfError}, its code), and the lib/ call that led there throws that same exception once C returns.
 * The exception's message (and a numeric `nativeCode` property, if it has one) becomes the provider's
 * native error.
 *
 * Sizes arrive as numbers. The object must not hold a reference to the {@link MemoryProvider} wrapping
 * it, or the wrapper can never be reclaimed by the garbage collector.
 */
export interface MemoryProviderImpl {
  /** The provider's name: 1 to 63 characters of `[A-Za-z0-9_-]`. */
  readonly name: string
  /**
   * Allocates memory.
   *
   * @param size - bytes
   * @param alignment - 0 for the provider's default, else a power of 2
   * @returns the address, or null when out of memory (C then gets `UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY`)
   */
  alloc(size: number, alignment: number): bigint | null
  /**
   * Frees memory this provider allocated.
   *
   * @param ptr - the address (never NULL: a NULL free succeeds without calling this)
   * @param size - the size it was allocated with (0 when the caller does not know it)
   */
  free(ptr: bigint, size: number): void
  /** The page size to use for an allocation of `size` bytes (default 4096). */
  recommendedPageSize?(size: number): number
  /** The smallest page size at `ptr` (or for the provider when `ptr` is null; default 4096). */
  minPageSize?(ptr: bigint | null): number
  /** Lets the OS reclaim the pages of a range lazily. Without it: `UMF_RESULT_ERROR_NOT_SUPPORTED`. */
  purgeLazy?(ptr: bigint, size: number): void
  /** Releases the pages of a range now. Without it: `UMF_RESULT_ERROR_NOT_SUPPORTED`. */
  purgeForce?(ptr: bigint, size: number): void
  /** Splits one allocation into two at `firstSize` (give both split and merge, or neither). */
  allocationSplit?(ptr: bigint, totalSize: number, firstSize: number): void
  /** Merges two adjacent allocations (give both split and merge, or neither). */
  allocationMerge?(lowPtr: bigint, highPtr: bigint, totalSize: number): void
  /** Called once when the provider is destroyed (explicitly, by its owning pool, or by the finalizer). */
  finalize?(): void
  /**
   * Answers the CTL queries that reach this object (`umf.{pool,provider}.by_handle.{}.<path>`, by name,
   * defaults stored for its name, and `post_initialize` at creation). `value` is a view of the C buffer:
   * the bytes written (for `write`; text when `source` is `'config'`), the buffer to fill (for `read`),
   * null for an action without argument. Return false for a path it does not know
   * (`UMF_RESULT_ERROR_INVALID_CTL_PATH`); a thrown exception follows the rules of the other ops.
   * `{}` in a path reaches it unresolved: lib/'s `ctl` functions put the names in the path instead.
   */
  ctl?(source: CtlSource, path: string, type: CtlQueryType, value: Uint8Array | null): boolean | void
}

/** What a {@link MemoryProvider} is created from: the address of a C ops table, or a TypeScript provider. */
export type ProviderOps = bigint | MemoryProviderImpl

/** A C params object to destroy once the provider exists. @internal */
export interface ParamsHandle {
  readonly handle: bigint
  destroy(): void
  /**
   * Objects the C params refer to (a disjoint pool's shared limits, the memory of a fixed provider): the
   * pool or provider created from them keeps them alive, and their destroy() is refused until it is freed.
   */
  readonly parents?: readonly UmfHandle[]
  /** Ends what the params borrowed (a lent allocation): run once the provider is freed, or was never created. */
  readonly release?: () => void
}

/**
 * Builds a C params object: creates it, runs the setters, and destroys it again when one of them throws.
 *
 * @param create - the C create function (given the out-parameter), e.g. `(out) => ffi.umfOsMemoryProviderParamsCreate(out)`
 * @param createName - its name, for errors
 * @param destroy - the C destroy function
 * @param set - calls the C setters (each through `check`)
 * @param parents - objects the C params refer to (see {@link ParamsHandle.parents})
 * @returns the params handle
 * @internal
 */
export function buildParamsHandle<H extends bigint>(
  create: (out: [H | null]) => number,
  createName: string,
  destroy: (h: H) => number,
  set: (h: H) => void,
  parents: readonly UmfHandle[] = [],
): ParamsHandle {
  const out: [H | null] = [null]
  check(create(out), createName)
  const h = out[0]!
  const params: ParamsHandle = { handle: h, destroy: () => void destroy(h), parents }
  try {
    set(h)
  } catch (e) {
    params.destroy()
    throw e
  }
  return params
}

const BORROW: unique symbol = Symbol('borrow')
const ADOPT: unique symbol = Symbol('adopt')

// ---- the TypeScript provider trampolines, shared by every instance ----

const S = ffi.UMF_RESULT_SUCCESS
const NOT_SUPPORTED = ffi.UMF_RESULT_ERROR_NOT_SUPPORTED
const INVALID = ffi.UMF_RESULT_ERROR_INVALID_ARGUMENT
const OOM = ffi.UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY
const DEFAULT_NAME = 'typescript'

const tsOps = new TypeScriptOps<MemoryProviderImpl, umf_memory_provider_ops_t>(trampolines, (t) => ({
  version: ffi.UMF_PROVIDER_OPS_VERSION_CURRENT,
  initialize: t['initialize']!,
  finalize: t['finalize']!,
  alloc: t['alloc']!,
  free: t['free']!,
  get_last_native_error: t['get_last_native_error']!,
  get_recommended_page_size: t['get_recommended_page_size']!,
  get_min_page_size: t['get_min_page_size']!,
  get_name: t['get_name']!,
  ext_purge_lazy: t['ext_purge_lazy']!,
  ext_purge_force: t['ext_purge_force']!,
  ext_allocation_merge: t['ext_allocation_merge']!,
  ext_allocation_split: t['ext_allocation_split']!,
  ext_get_ipc_handle_size: null,
  ext_get_ipc_handle: null,
  ext_put_ipc_handle: null,
  ext_open_ipc_handle: null,
  ext_close_ipc_handle: null,
  ext_ctl: t['ext_ctl']!,
  ext_get_allocation_properties: null,
  ext_get_allocation_properties_size: null,
}))
const slots = tsOps.slots

function num(v: number | bigint): number {
  return typeof v === 'number' ? v : Number(v)
}

function trampolines(): Trampolines {
  return {
    initialize: [
      (params: bigint | null, out: bigint | null): number => {
        if (slots.get(params) === undefined || out === null) return INVALID
        koffi.encode(out, 'void *', params)
        return S
      },
      ffi.umf_memory_provider_ops_t__initialize,
    ],
    finalize: [
      (state: bigint | null): number => {
        const s = slots.get(state)
        if (s === undefined) return INVALID
        return runOp(s, () => s.impl.finalize?.())
      },
      ffi.umf_memory_provider_ops_t__finalize,
    ],
    alloc: [
      (state: bigint | null, size: number | bigint, alignment: number | bigint, out: bigint | null): number => {
        const s = slots.get(state)
        if (s === undefined || out === null) return INVALID
        if (typeof size !== 'number' || typeof alignment !== 'number') return OOM
        let p = null as bigint | null
        const rc = runOp(s, () => {
          p = returnedPtr(s.impl.alloc(size, alignment), `${s.impl.name}.alloc`)
          koffi.encode(out, 'void *', p)
        })
        return rc === S && p === null ? OOM : rc
      },
      ffi.umf_memory_provider_ops_t__alloc,
    ],
    free: [
      (state: bigint | null, ptr: bigint | null, size: number | bigint): number => {
        const s = slots.get(state)
        if (s === undefined) return INVALID
        if (ptr === null) return S
        return runOp(s, () => s.impl.free(ptr, num(size)))
      },
      ffi.umf_memory_provider_ops_t__free,
    ],
    get_last_native_error: [
      (state: bigint | null, msg: bigint | null, code: bigint | null): number => {
        const s = slots.get(state)
        if (s === undefined || msg === null || code === null) return INVALID
        koffi.encode(msg, 'void *', messageBuffer(s, s.nativeMessage))
        koffi.encode(code, 'int32_t', s.nativeCode)
        return S
      },
      ffi.umf_memory_provider_ops_t__get_last_native_error,
    ],
    get_recommended_page_size: [
      (state: bigint | null, size: number | bigint, out: bigint | null): number => {
        const s = slots.get(state)
        if (s === undefined || out === null) return INVALID
        return runOp(s, () => {
          const f = s.impl.recommendedPageSize
          const page = f ? returnedSize(f.call(s.impl, num(size)), `${s.impl.name}.recommendedPageSize`) : 4096
          koffi.encode(out, 'size_t', page)
        })
      },
      ffi.umf_memory_provider_ops_t__get_recommended_page_size,
    ],
    get_min_page_size: [
      (state: bigint | null, ptr: bigint | null, out: bigint | null): number => {
        const s = slots.get(state)
        if (s === undefined || out === null) return INVALID
        return runOp(s, () => {
          const f = s.impl.minPageSize
          const page = f ? returnedSize(f.call(s.impl, ptr), `${s.impl.name}.minPageSize`) : 4096
          koffi.encode(out, 'size_t', page)
        })
      },
      ffi.umf_memory_provider_ops_t__get_min_page_size,
    ],
    ext_ctl: [ctlTrampoline(slots), ffi.umf_memory_provider_ops_t__ext_ctl],
    get_name: [
      (state: bigint | null, out: bigint | null): number => {
        if (out === null) return INVALID
        const s = slots.get(state)
        koffi.encode(out, 'void *', s === undefined ? slotlessName() : s.cName)
        return S
      },
      ffi.umf_memory_provider_ops_t__get_name,
    ],
    ext_purge_lazy: [purgeTrampoline('purgeLazy'), ffi.umf_memory_provider_ops_t__ext_purge_lazy],
    ext_purge_force: [purgeTrampoline('purgeForce'), ffi.umf_memory_provider_ops_t__ext_purge_force],
    ext_allocation_merge: [
      (state: bigint | null, low: bigint | null, high: bigint | null, total: number | bigint): number => {
        const s = slots.get(state)
        if (s === undefined || low === null || high === null) return INVALID
        const f = s.impl.allocationMerge
        if (f === undefined) return NOT_SUPPORTED
        return runOp(s, () => f.call(s.impl, low, high, num(total)))
      },
      ffi.umf_memory_provider_ops_t__ext_allocation_merge,
    ],
    ext_allocation_split: [
      (state: bigint | null, ptr: bigint | null, total: number | bigint, first: number | bigint): number => {
        const s = slots.get(state)
        if (s === undefined || ptr === null) return INVALID
        const f = s.impl.allocationSplit
        if (f === undefined) return NOT_SUPPORTED
        return runOp(s, () => f.call(s.impl, ptr, num(total), num(first)))
      },
      ffi.umf_memory_provider_ops_t__ext_allocation_split,
    ],
  }
}

function slotlessName(): bigint {
  return cString(DEFAULT_NAME)
}

function purgeTrampoline(op: 'purgeLazy' | 'purgeForce') {
  return (state: bigint | null, ptr: bigint | null, size: number | bigint): number => {
    const s = slots.get(state)
    if (s === undefined || ptr === null) return INVALID
    const f = s.impl[op]
    if (f === undefined) return NOT_SUPPORTED
    return runOp(s, () => f.call(s.impl, ptr, num(size)))
  }
}

const IMPL_OPTIONAL = ['ctl', 
  'recommendedPageSize',
  'minPageSize',
  'purgeLazy',
  'purgeForce',
  'allocationSplit',
  'allocationMerge',
  'finalize',
] as const

function checkImpl(impl: MemoryProviderImpl): void {
  checkImplShape(impl, 'provider', ['alloc', 'free'], IMPL_OPTIONAL)
  if ((impl.allocationSplit === undefined) !== (impl.allocationMerge === undefined)) {
    throw new TypeError(`provider "${impl.name}": give allocationSplit and allocationMerge together, or neither`)
  }
}

// ---- live providers by handle ----

const live = new LiveObjects<MemoryProvider>()
setProviderHandleCheck((h) => live.get(h) !== null)

/**
 * A memory provider: the source of the memory a pool hands out.
 *
 * ```ts
 * using provider = new OsMemoryProvider()          // a C provider, with its params schema
 * using mine = new MemoryProvider({ name: 'mine', alloc: ..., free: ... })   // written in TypeScript
 * ```
 *
 * Create it from an ops table: a C one (`ffi.umfOsMemoryProviderOps()`, with a C params handle) or a
 * {@link MemoryProviderImpl}. Subclasses such as {@link OsMemoryProvider} validate params with zod first.
 */
export class MemoryProvider extends UmfHandle<umf_memory_provider_handle_t> {
  #name: string | undefined
  #impl: MemoryProviderImpl | undefined
  /** What {@link MemoryProvider.alloc} handed out and is not freed yet: free, purge, split and merge are
   * checked against it, so a wrong size cannot unmap or zero neighbouring memory. */
  readonly #allocs = new SizeTable(16)
  /** Allocations lent to another object (a fixed provider's memory): free() refuses them meanwhile. */
  readonly #lent = new Set<bigint>()

  /**
   * Creates a provider (`umfMemoryProviderCreate`).
   *
   * @param ops - a C ops table address, or a provider written in TypeScript
   * @param params - for a C table: its params handle (or null); ignored for a TypeScript provider
   * @throws TypeError for a bad ops object; UmfError when C refuses; the exception of the TypeScript
   *   provider if one of its ops threw during creation
   */
  constructor(ops: ProviderOps, params?: bigint | ParamsHandle | null)
  /** @internal */
  constructor(ops: typeof BORROW | typeof ADOPT, handle: umf_memory_provider_handle_t)
  constructor(ops: ProviderOps | typeof BORROW | typeof ADOPT, params?: bigint | ParamsHandle | null) {
    super()
    if (ops === BORROW) {
      this.adopt(params as umf_memory_provider_handle_t, null, '', { borrowed: true })
      live.set(params as umf_memory_provider_handle_t, this)
      return
    }
    if (ops === ADOPT) {
      this.#adoptCreated(params as umf_memory_provider_handle_t, undefined, [])
      return
    }
    const paramsHandle = params && typeof params === 'object' ? params : undefined
    try {
      const out: [umf_memory_provider_handle_t | null] = [null]
      if (typeof ops === 'bigint') {
        toCOps(toPtr(ops, 'ops'), 'provider')
        const p = paramsHandle ? paramsHandle.handle : (params ?? null)
        if (p !== null && (typeof p !== 'bigint' || p <= 0n)) {
          throw new TypeError(`params must be a bigint handle or null, got ${describe(p)}`)
        }
        if (paramsHandle === undefined && p !== null) toParamsAddress(p, 'params')
        check(guarded(() => ffi.umfMemoryProviderCreate(ops, p as bigint | null, out)), 'umfMemoryProviderCreate')
        this.#adoptCreated(out[0]!, undefined, paramsHandle?.parents ?? [], paramsHandle?.release)
      } else {
        checkImpl(ops)
        const { rc, id } = tsOps.create(ops, ops.name, (struct, state) => ffi.umfMemoryProviderCreate(struct, state, out))
        check(rc, 'umfMemoryProviderCreate')
        this.#impl = ops
        this.#adoptCreated(out[0]!, id, [])
      }
    } finally {
      paramsHandle?.destroy()
      if (!this.alive) paramsHandle?.release?.()
    }
  }

  #adoptCreated(h: umf_memory_provider_handle_t, id: number | undefined, parents: readonly UmfHandle[], release?: () => void): void {
    // objects the params refer to (a fixed provider's memory) outlive the provider, as a pool's provider does
    const dropParents = UmfHandle.depend(parents)
    // a worker's providers are known to every thread: others free them once the worker ends (lib/threads.ts)
    const ref = inWorker ? register(h, F_PROVIDER | (id !== undefined ? F_JS : 0)) : null
    this.adopt(h, ffi.umfMemoryProviderDestroy, 'umfMemoryProviderDestroy', {
      parents: [...parents],
      after: () => {
        if (ref !== null) ownerDone(ref)
        live.freed(h)
        if (id !== undefined) slots.remove(id)
        dropParents()
        release?.()
      },
    })
    this.#ref = ref
    live.set(h, this)
  }

  /** Its entry in lib/'s registry across threads (a worker's provider), or null. */
  #ref: SlotRef | null = null

  /**
   * A non-owning wrapper of a provider handle that something else owns (e.g. the provider a pool written
   * in TypeScript receives). It can allocate and free, but not be destroyed.
   *
   * @param handle - the handle
   * @returns the live {@link MemoryProvider} of that handle when lib/ created it, else a borrowed wrapper
   */
  static fromHandle(handle: umf_memory_provider_handle_t): MemoryProvider {
    toPtr(handle, 'handle')
    const known = live.get(handle)
    if (known === null) {
      throw new TypeError(
        `handle 0x${handle.toString(16)} is not a live memory provider of lib/ (C would dereference it); ` +
          'use the MemoryProvider object, or MemoryProvider.byHandle() to ask',
      )
    }
    return known
  }

  /**
   * {@link MemoryProvider.fromHandle} for a handle C itself handed to lib/ (a pool's tracking provider in
   * `initialize`, the last failed provider): a borrowed wrapper when lib/ did not create it. @internal
   *
   * @param handle - a handle from C
   * @returns the object
   */
  static fromCHandle(handle: umf_memory_provider_handle_t): MemoryProvider {
    return live.get(handle) ?? new MemoryProvider(BORROW, handle)
  }

  /**
   * Takes ownership of a provider that C created by other means than `umfMemoryProviderCreate` (e.g.
   * `umfMemoryProviderCreateFromMemspace`): the object destroys it.
   *
   * @param handle - the new handle, owned by nothing else
   * @returns the owning object
   * @internal
   */
  static adoptOwned(handle: umf_memory_provider_handle_t): MemoryProvider {
    toPtr(handle, 'handle')
    return new MemoryProvider(ADOPT, handle)
  }

  /**
   * The live provider object lib/ created for a handle.
   *
   * @param handle - the handle
   * @returns the object, or null when lib/ did not create it (or it is gone)
   */
  static byHandle(handle: bigint | null): MemoryProvider | null {
    return live.get(handle)
  }

  /**
   * The provider that failed last on this thread (`umfGetLastFailedMemoryProvider`).
   *
   * @returns its object, or null when none failed
   */
  static lastFailed(): MemoryProvider | null {
    const out: [umf_memory_provider_handle_t | null] = [null]
    check(ffi.umfGetLastFailedMemoryProvider(out), 'umfGetLastFailedMemoryProvider')
    return out[0] === null ? null : MemoryProvider.fromCHandle(out[0])
  }

  /**
   * What JavaScript may do with this provider's memory, from its `protection` param (providers without
   * one give read-write memory): views need `'readwrite'`, copies `'read'`.
   */
  get memoryAccess(): 'readwrite' | 'read' | 'none' {
    const prot = (this as { params?: { protection?: unknown } }).params?.protection
    if (typeof prot !== 'number') return 'readwrite'
    // PROT_WRITE implies PROT_READ on the CPUs Linux runs on
    if ((prot & ffi.UMF_PROTECTION_WRITE) !== 0) return 'readwrite'
    return (prot & ffi.UMF_PROTECTION_READ) !== 0 ? 'read' : 'none'
  }

  /** The TypeScript implementation, for a provider written in TypeScript. */
  get impl(): MemoryProviderImpl | undefined {
    return this.#impl
  }

  /**
   * Why the CPU cannot read or write this provider's memory, or `undefined` when it can (every provider
   * but a CUDA provider of device memory). Pools and opened IPC handles refuse views of such memory.
   */
  get notHostAccessible(): string | undefined {
    return undefined
  }

  protected override describeSelf(): string {
    return this.#name ? `${this.constructor.name} "${this.#name}"` : this.constructor.name
  }

  /**
   * The provider's byte counters, read through CTL (`umf.provider.by_handle.{}.stats.*`): every built-in
   * provider has them. UMF reports success for a provider that does not answer; its counters are then
   * undefined.
   */
  get stats(): ProviderStats {
    return { allocatedMemory: this.#counter('allocated_memory'), peakMemory: this.#counter('peak_memory') }
  }

  /** Sets the peak of {@link stats} to the bytes allocated now (`stats.peak_memory.reset`). */
  resetPeakMemory(): void {
    ctl.exec('umf.provider.by_handle.{}.stats.peak_memory.reset', this)
  }

  #counter(node: string): number | undefined {
    // all ones: a value no provider can hold, left there when the provider does not answer
    const buf = Buffer.alloc(8, 0xff)
    const h = this.handle
    check(guarded(() => ffi.umfCtlGet(`umf.provider.by_handle.{}.stats.${node}`, buf as unknown as bigint, 8, 'void *', h)), 'umfCtlGet')
    const v = buf.readBigUInt64LE(0)
    return v === 0xffffffffffffffffn ? undefined : Number(v)
  }

  /** The provider's name (`umfMemoryProviderGetName`), e.g. `'OS'`. */
  get name(): string {
    if (this.#name !== undefined) {
      if (this._h === null) throw this.deadError()
      return this.#name
    }
    const h = this.handle
    const out: [string | null] = [null]
    check(ffi.umfMemoryProviderGetName(h, out), 'umfMemoryProviderGetName', h)
    this.#name = out[0] ?? ''
    return this.#name
  }

  /**
   * Allocates directly from the provider (`umfMemoryProviderAlloc`). Free with {@link MemoryProvider.free}
   * and the same size.
   *
   * @param size - bytes
   * @param alignment - 0 for the default; the OS provider takes any multiple or divisor of the page size
   *   (3 pages too), other providers a power of 2
   * @returns the address
   */
  alloc(size: Size, alignment: Size = 0): bigint {
    const h = this.handle
    toSize(size, 'size')
    toSize(alignment, 'alignment')
    const out: [bigint | null] = [null]
    this.#call(() => ffi.umfMemoryProviderAlloc(h, size, alignment, out), 'umfMemoryProviderAlloc')
    if (out[0] === null) throw new Error('umfMemoryProviderAlloc succeeded without an address')
    this.#allocs.set(out[0], Number(size))
    return out[0]
  }

  /** The recorded size of an allocation starting at `ptr`, else throws. */
  #known(ptr: bigint, op: string): number {
    const n = this.#allocs.get(ptr)
    if (n < 0) {
      throw new RangeError(
        `${op}: 0x${ptr.toString(16)} is not the start of a live allocation made by ${this.describeSelf()}.alloc() ` +
          '(memory a pool took from the provider is the pool\'s to free)',
      )
    }
    return n
  }

  /** Checks that [ptr, ptr + size) lies within one allocation lib/ handed out. */
  #within(ptr: bigint, size: Size, op: string): void {
    const r = this.#allocs.containing(ptr)
    const start = addressKey(ptr)
    if (r === null || start + Number(size) > r.start + r.size) {
      throw new RangeError(
        `${op}: [0x${ptr.toString(16)}, +${size}) is not within a live allocation made by ${this.describeSelf()}.alloc()`,
      )
    }
  }

  /**
   * Marks an allocation of this provider as lent to `borrower` (a fixed provider over it): free() refuses
   * it until the returned function is called. @internal
   *
   * @param ptr - the allocation's start
   * @returns the function that ends the loan
   */
  lend(ptr: bigint): () => void {
    this.#known(ptr, 'lend')
    this.#lent.add(ptr)
    return () => void this.#lent.delete(ptr)
  }

  /**
   * Frees memory allocated by {@link MemoryProvider.alloc} (`umfMemoryProviderFree`).
   *
   * @param ptr - the address (null does nothing)
   * @param size - the size it was allocated with
   */
  free(ptr: bigint | null, size: Size): void {
    const h = this.handle
    const p = ptr === null ? null : toPtr(ptr, 'ptr')
    toSize(size, 'size')
    if (p === null) return
    const known = this.#known(p, 'free')
    if (Number(size) !== known && Number(size) !== 0) {
      throw new RangeError(`free: 0x${p.toString(16)} was allocated with ${known} bytes, not ${size}`)
    }
    if (this.#lent.has(p)) throw new Error(`free: 0x${p.toString(16)} is lent to a FixedMemoryProvider that still uses it; destroy that first`)
    this.#call(() => ffi.umfMemoryProviderFree(h, p, known), 'umfMemoryProviderFree')
    this.#allocs.delete(p)
  }

  /**
   * `umfMemoryProviderGetRecommendedPageSize`.
   *
   * @param size - the allocation size in question (0 for the general case)
   * @returns the page size
   */
  recommendedPageSize(size: Size = 0): number {
    const h = this.handle
    toSize(size, 'size')
    const out: [number | bigint | null] = [null]
    this.#call(() => ffi.umfMemoryProviderGetRecommendedPageSize(h, size, out), 'umfMemoryProviderGetRecommendedPageSize')
    return Number(out[0])
  }

  /**
   * `umfMemoryProviderGetMinPageSize`.
   *
   * @param ptr - an address of this provider, or null for the provider in general
   * @returns the page size
   */
  minPageSize(ptr: bigint | null = null): number {
    const h = this.handle
    const p = ptr === null ? null : toPtr(ptr, 'ptr')
    const out: [number | bigint | null] = [null]
    this.#call(() => ffi.umfMemoryProviderGetMinPageSize(h, p, out), 'umfMemoryProviderGetMinPageSize')
    return Number(out[0])
  }

  /**
   * Lets the OS reclaim a range's pages lazily (`umfMemoryProviderPurgeLazy`).
   *
   * @param ptr - start (page-aligned)
   * @param size - bytes
   */
  purgeLazy(ptr: bigint, size: Size): void {
    const h = this.handle
    const p = toPtr(ptr, 'ptr')
    toSize(size, 'size')
    this.#within(p, size, 'purgeLazy')
    this.#call(() => ffi.umfMemoryProviderPurgeLazy(h, p, size), 'umfMemoryProviderPurgeLazy')
  }

  /**
   * Releases a range's pages now (`umfMemoryProviderPurgeForce`).
   *
   * @param ptr - start (page-aligned)
   * @param size - bytes
   */
  purgeForce(ptr: bigint, size: Size): void {
    const h = this.handle
    const p = toPtr(ptr, 'ptr')
    toSize(size, 'size')
    this.#within(p, size, 'purgeForce')
    this.#call(() => ffi.umfMemoryProviderPurgeForce(h, p, size), 'umfMemoryProviderPurgeForce')
  }

  /**
   * Splits one allocation in two (`umfMemoryProviderAllocationSplit`).
   *
   * @param ptr - the allocation
   * @param totalSize - its size
   * @param firstSize - the size of the first part (0 < firstSize < totalSize)
   */
  allocationSplit(ptr: bigint, totalSize: Size, firstSize: Size): void {
    const h = this.handle
    const p = toPtr(ptr, 'ptr')
    toSize(totalSize, 'totalSize')
    toSize(firstSize, 'firstSize')
    const total = Number(totalSize)
    const first = Number(firstSize)
    if (this.#known(p, 'allocationSplit') !== total || !(first > 0 && first < total)) {
      throw new RangeError(`allocationSplit: totalSize must be the allocation's size and 0 < firstSize < totalSize`)
    }
    if (this.#lent.has(p)) throw new Error(`allocationSplit: 0x${p.toString(16)} is lent to a FixedMemoryProvider`)
    this.#call(() => ffi.umfMemoryProviderAllocationSplit(h, p, totalSize, firstSize), 'umfMemoryProviderAllocationSplit')
    this.#allocs.set(p, first)
    this.#allocs.set(p + BigInt(first), total - first)
  }

  /**
   * Merges two adjacent allocations (`umfMemoryProviderAllocationMerge`).
   *
   * @param lowPtr - the lower one
   * @param highPtr - the higher one
   * @param totalSize - their total size
   */
  allocationMerge(lowPtr: bigint, highPtr: bigint, totalSize: Size): void {
    const h = this.handle
    const lo = toPtr(lowPtr, 'lowPtr')
    const hi = toPtr(highPtr, 'highPtr')
    toSize(totalSize, 'totalSize')
    const a = this.#known(lo, 'allocationMerge')
    const b = this.#known(hi, 'allocationMerge')
    if (lo + BigInt(a) !== hi || a + b !== Number(totalSize)) {
      throw new RangeError('allocationMerge: the allocations must be adjacent (lowPtr + its size = highPtr) and totalSize their sum')
    }
    if (this.#lent.has(lo) || this.#lent.has(hi)) throw new Error('allocationMerge: an allocation is lent to a FixedMemoryProvider')
    this.#call(() => ffi.umfMemoryProviderAllocationMerge(h, lo, hi, totalSize), 'umfMemoryProviderAllocationMerge')
    this.#allocs.delete(hi)
    this.#allocs.set(lo, a + b)
  }

  /**
   * The provider's last native error on this thread (`umfMemoryProviderGetLastNativeError`).
   *
   * @returns message and code, or undefined when the provider does not report one
   */
  lastNativeError(): NativeError | undefined {
    return lastNativeError(this.handle)
  }

  #call(f: () => number, func: string): void {
    const h = this._h
    check(this.inCall(f), func, h)
  }

  /** Moves ownership to a pool (see {@link MemoryPool}'s `ownProvider`). @internal */
  static moveToPool(provider: MemoryProvider, pool: UmfHandle): void {
    const h = provider.handle
    // the pool frees it now: no other thread may free it after the worker ends
    if (provider.#ref !== null) ownerDone(provider.#ref)
    provider.#ref = null
    UmfHandle.moveHandle(provider, pool)
    live.delete(h)
  }
}

/**
 * Number of providers written in TypeScript that are alive (not yet freed by C).
 *
 * @returns the count
 * @internal test-only (lib/testing.ts)
 */
export function liveTypeScriptProviders(): number {
  return slots.live
}
