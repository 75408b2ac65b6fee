/**
 * Memory pools (`umf/memory_pool.h`): {@link MemoryPool} over any pool ops table, either a C table (e.g.
 * `umfProxyPoolOps()`) or a pool written in TypeScript ({@link MemoryPoolImpl}); {@link umfFree}; zero-copy
 * views of allocations.
 *
 * @module memory_pool
 */
import koffi from 'koffi'
import * as ffi from '../ffi/index.js'
import { defaultLibraryPath, libraryPath } from '../ffi/library.js'
import * as ctl from './ctl.js'
import type { CtlQueryType, CtlSource } from './ctl.js'
import type { umf_memory_pool_handle_t, umf_memory_pool_ops_t, umf_memory_provider_handle_t } from '../ffi/index.js'
import { TypeScriptOps, ctlTrampoline, toCOps, callbackFailed, checkImplShape, returnedPtr, returnedSize, runOp, type Trampolines } from './callbacks.js'
import { parseConfig } from './config/parse.js'
import { PoolOptionsSchema, type PoolOptions } from './config/pool.js'
import { UmfError, check, enter, failure, guarded, leave } from './errors.js'
import { LiveObjects, UmfHandle } from './handle.js'
import { MemoryProvider, type ParamsHandle } from './memory_provider.js'
import { SizeTable, addressKey, nativeBuffer } from './sizes.js'
import { batch, poolFreeN, poolMallocN } from './fast_calls.js'
import {
  DEAD,
  F_JS,
  F_SHARED,
  SharedSizeTable,
  addFlags,
  adoptSlot,
  adopterCount,
  inWorker,
  isThisRegistry,
  lookupPool,
  ownerDone,
  register,
  registryBuffer,
  setDestroyers,
  sweepExitedThreads,
  tracked,
  unadoptSlot,
  type SlotRef,
} from './threads.js'
import { describe, toParamsAddress, toPtr, toSize, type Size } from './validate.js'

/**
 * A memory pool written in TypeScript. Only `name`, `malloc` and `free` are required.
 *
 * C calls its ops (from `umfPoolMalloc`, `umfFree`...). A pointer-returning op that throws gives C NULL
 * with the last allocation error `UMF_RESULT_ERROR_USER_SPECIFIC` (or a thrown {@link UmfError}'s code);
 * other ops give C that code. Either way the lib/ call that led there throws the same exception.
 * Returning null from an allocation op means out of memory (`UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY`).
 *
 * The object must not hold a reference to the {@link MemoryPool} wrapping it.
 */
export interface MemoryPoolImpl {
  /** The pool's name: 1 to 63 characters of `[A-Za-z0-9_-]`. */
  readonly name: string
  /**
   * Called once, before any allocation, with the provider to take memory from (a borrowed wrapper of the
   * pool's tracking provider: allocations made through it are found by umfFree and `MemoryPool.byPtr`).
   *
   * @param provider - the provider
   */
  initialize?(provider: MemoryProvider): void
  /** Allocates `size` bytes; null when out of memory. */
  malloc(size: number): bigint | null
  /** Allocates `size` bytes aligned to `alignment`. Without it: `UMF_RESULT_ERROR_NOT_SUPPORTED`. */
  alignedMalloc?(size: number, alignment: number): bigint | null
  /** Allocates `num * size` zeroed bytes. Without it: malloc, then the bytes are zeroed. */
  calloc?(num: number, size: number): bigint | null
  /** Resizes an allocation (ptr null: allocate; size 0: free). Without it: `UMF_RESULT_ERROR_NOT_SUPPORTED`. */
  realloc?(ptr: bigint | null, size: number): bigint | null
  /** The usable size of an allocation. Without it: `UMF_RESULT_ERROR_NOT_SUPPORTED`. */
  usableSize?(ptr: bigint): number
  /** Frees an allocation (never called for NULL). */
  free(ptr: bigint): void
  /** Gives cached memory back to the provider. Without it: `UMF_RESULT_ERROR_NOT_SUPPORTED`. */
  trim?(minBytesToKeep: number): void
  /** Called once when the pool is destroyed. */
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

/** What a {@link MemoryPool} is created from: the address of a C pool ops table, or a TypeScript pool. */
export type PoolOps = bigint | MemoryPoolImpl

/** The statistics of {@link MemoryPool.stats}. */
export interface PoolStats {
  /** Live allocations: mallocs (of any kind) not yet freed. */
  allocCount: number
}

/**
 * The extended statistics of a disjoint, jemalloc or scalable pool created with `extendedStats: true`
 * (this library's extension of UMF's CTL: `stats.allocated_bytes`, `stats.peak_allocated_bytes`,
 * `stats.size_histogram.*`).
 */
export interface PoolExtendedStats {
  /** Live bytes, as the callers asked for them (not as the pool rounded them). */
  allocatedBytes: number
  /** The most `allocatedBytes` has been, since creation or {@link MemoryPool.resetPeakAllocatedBytes}. */
  peakAllocatedBytes: number
  /**
   * Allocations asked for, by size class: entry i counts the sizes from 2^i to 2^(i+1) - 1 (64 entries),
   * since creation or {@link MemoryPool.resetSizeHistogram}.
   */
  sizeHistogram: number[]
}

// ---- the TypeScript pool trampolines, shared by every instance ----

const S = ffi.UMF_RESULT_SUCCESS
const INVALID = ffi.UMF_RESULT_ERROR_INVALID_ARGUMENT
const NOT_SUPPORTED = ffi.UMF_RESULT_ERROR_NOT_SUPPORTED
const OOM = ffi.UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY

const tsOps = new TypeScriptOps<MemoryPoolImpl, umf_memory_pool_ops_t>(trampolines, (t) => ({
  version: ffi.UMF_POOL_OPS_VERSION_CURRENT,
  initialize: t['initialize']!,
  finalize: t['finalize']!,
  malloc: t['malloc']!,
  calloc: t['calloc']!,
  realloc: t['realloc']!,
  aligned_malloc: t['aligned_malloc']!,
  malloc_usable_size: t['malloc_usable_size']!,
  free: t['free']!,
  get_last_allocation_error: t['get_last_allocation_error']!,
  get_name: t['get_name']!,
  ext_ctl: t['ext_ctl']!,
  ext_trim_memory: t['ext_trim_memory']!,
}))
const slots = tsOps.slots
/** The provider wrappers handed to `initialize()` by the pool being created: they die with that pool. */
let initializing: MemoryProvider[] | null = null

type Slot = NonNullable<ReturnType<typeof slots.get>>

function allocOp(s: Slot, f: () => unknown, op: string): bigint | null {
  try {
    const p = returnedPtr(f(), `${s.impl.name}.${op}`)
    s.lastAllocError = p === null ? OOM : S
    return p
  } catch (e) {
    s.lastAllocError = callbackFailed(s, e)
    return null
  }
}

function trampolines(): Trampolines {
  return {
    initialize: [
      (provider: umf_memory_provider_handle_t | null, params: bigint | null, out: bigint | null): number => {
        const s = slots.get(params)
        if (s === undefined || provider === null || out === null) return INVALID
        return runOp(s, () => {
          if (s.impl.initialize !== undefined) {
            const wrapper = MemoryProvider.fromCHandle(provider)
            initializing?.push(wrapper)
            s.impl.initialize(wrapper)
          }
          koffi.encode(out, 'void *', params)
        })
      },
      ffi.umf_memory_pool_ops_t__initialize,
    ],
    finalize: [
      (state: bigint | null): number => {
        const s = slots.get(state)
        if (s === undefined) return INVALID
        return runOp(s, () => s.impl.finalize?.())
      },
      ffi.umf_memory_pool_ops_t__finalize,
    ],
    malloc: [
      (state: bigint | null, size: number | bigint): bigint | null => {
        const s = slots.get(state)
        if (s === undefined) return null
        if (typeof size !== 'number') return ((s.lastAllocError = OOM), null)
        return allocOp(s, () => s.impl.malloc(size), 'malloc')
      },
      ffi.umf_memory_pool_ops_t__malloc,
    ],
    calloc: [
      (state: bigint | null, num: number | bigint, size: number | bigint): bigint | null => {
        const s = slots.get(state)
        if (s === undefined) return null
        const total = Number(num) * Number(size)
        if (typeof num !== 'number' || typeof size !== 'number' || !Number.isSafeInteger(total)) {
          return ((s.lastAllocError = OOM), null)
        }
        const f = s.impl.calloc
        if (f !== undefined) return allocOp(s, () => f.call(s.impl, num, size), 'calloc')
        const p = allocOp(s, () => s.impl.malloc(total), 'malloc')
        if (p !== null && total > 0) new Uint8Array(nativeBuffer(p, total, `${s.impl.name}.calloc`)).fill(0)
        return p
      },
      ffi.umf_memory_pool_ops_t__calloc,
    ],
    realloc: [
      (state: bigint | null, ptr: bigint | null, size: number | bigint): bigint | null => {
        const s = slots.get(state)
        if (s === undefined) return null
        const f = s.impl.realloc
        if (f === undefined) return ((s.lastAllocError = NOT_SUPPORTED), null)
        if (typeof size !== 'number') return ((s.lastAllocError = OOM), null)
        const r = allocOp(s, () => f.call(s.impl, ptr, size), 'realloc')
        if (r === null && size === 0 && s.lastAllocError === OOM) s.lastAllocError = S // realloc(p, 0) frees
        return r
      },
      ffi.umf_memory_pool_ops_t__realloc,
    ],
    aligned_malloc: [
      (state: bigint | null, size: number | bigint, alignment: number | bigint): bigint | null => {
        const s = slots.get(state)
        if (s === undefined) return null
        const f = s.impl.alignedMalloc
        if (f === undefined) return ((s.lastAllocError = NOT_SUPPORTED), null)
        if (typeof size !== 'number' || typeof alignment !== 'number') return ((s.lastAllocError = OOM), null)
        return allocOp(s, () => f.call(s.impl, size, alignment), 'alignedMalloc')
      },
      ffi.umf_memory_pool_ops_t__aligned_malloc,
    ],
    malloc_usable_size: [
      (state: bigint | null, ptr: bigint | null, out: bigint | null): number => {
        const s = slots.get(state)
        if (s === undefined || out === null) return INVALID
        const f = s.impl.usableSize
        if (f === undefined || ptr === null) {
          koffi.encode(out, 'size_t', 0)
          return f === undefined ? NOT_SUPPORTED : S
        }
        return runOp(s, () => koffi.encode(out, 'size_t', returnedSize(f.call(s.impl, ptr), `${s.impl.name}.usableSize`)))
      },
      ffi.umf_memory_pool_ops_t__malloc_usable_size,
    ],
    free: [
      (state: bigint | null, ptr: bigint | null): number => {
        const s = slots.get(state)
        if (s === undefined) return INVALID
        if (ptr === null) return S
        return runOp(s, () => s.impl.free(ptr))
      },
      ffi.umf_memory_pool_ops_t__free,
    ],
    get_last_allocation_error: [
      (state: bigint | null): number => slots.get(state)?.lastAllocError ?? INVALID,
      ffi.umf_memory_pool_ops_t__get_last_allocation_error,
    ],
    ext_ctl: [ctlTrampoline(slots), ffi.umf_memory_pool_ops_t__ext_ctl],
    get_name: [
      (state: bigint | null, out: bigint | null): number => {
        if (out === null) return INVALID
        const s = slots.get(state)
        if (s === undefined) return INVALID
        koffi.encode(out, 'void *', s.cName)
        return S
      },
      ffi.umf_memory_pool_ops_t__get_name,
    ],
    ext_trim_memory: [
      (state: bigint | null, keep: number | bigint): number => {
        const s = slots.get(state)
        if (s === undefined) return INVALID
        const f = s.impl.trim
        if (f === undefined) return NOT_SUPPORTED
        return runOp(s, () => f.call(s.impl, Number(keep)))
      },
      ffi.umf_memory_pool_ops_t__ext_trim_memory,
    ],
  }
}

const POOL_OPTIONAL = ['ctl', 'initialize', 'alignedMalloc', 'calloc', 'realloc', 'usableSize', 'trim', 'finalize'] as const

function checkImpl(impl: MemoryPoolImpl): void {
  checkImplShape(impl, 'pool', ['malloc', 'free'], POOL_OPTIONAL)
}

// ---- typed views ----

/** The typed-array classes {@link MemoryPool.viewAs} accepts. */
export type TypedArrayClass =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Uint8ClampedArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor

const TYPED_ARRAYS: ReadonlySet<unknown> = new Set([
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
])

// ---- live pools by handle ----

/**
 * How a pool is freed, and the JS-side cleanup once C freed it. Made outside the constructor so that the
 * closures keep only these few values, not the constructor's whole scope (a forgotten pool holds them
 * until the finalizer runs, and 100,000 forgotten pools must stay small: issue 14).
 *
 * A pool that other threads adopted is not freed when its owner is done with it (by a finalizer, or the
 * end of its thread): the last adopter frees it, and its provider and parents are kept until the process
 * ends, as C still uses them.
 */
function poolCleanup(h: bigint, id: number | undefined, sizes: SizeTable, dependsOn: readonly UmfHandle[]): () => void {
  return () => {
    live.freed(h)
    if (id !== undefined) slots.remove(id)
    sizes.clear()
    // kept for adopters: its provider stays in use by C, so it stays undestroyable
    if (!keptForAdopters.has(h)) for (const d of dependsOn) UmfHandle.dropDependent(d)
  }
}

/** Pools this thread dropped while other threads still use them, with their parents (kept alive). */
const keptForAdopters = new Map<bigint, readonly object[]>()

/** Pools this (worker) thread created: every 256th looks for what ended workers left. */
let workerPoolsMade = 0

/**
 * How a registered pool (a worker's, or a shared one) is freed by its owner: in C only when no other
 * thread adopted it; else the last adopter frees it (lib/threads.ts).
 */
/** The name C's CTL knows a new pool by (`umfPoolGetName`: what its `by_name` entry holds), or ''. */
function ctlName(h: umf_memory_pool_handle_t): string {
  const out: [string | null] = [null]
  try {
    return guarded(() => ffi.umfPoolGetName(h, out)) === S ? (out[0] ?? '') : ''
  } catch {
    return ''
  }
}

function registeredFree(ref: SlotRef): (free: (h: bigint) => number, parents: readonly object[]) => (h: bigint) => number {
  return (free, parents) => (handle) => {
    if (ownerDone(ref) === 'kept') {
      keptForAdopters.set(handle, parents)
      return S
    }
    return free(handle)
  }
}

/** Marks the constructor call of {@link MemoryPool.adopt}. */
const ADOPTED: unique symbol = Symbol('adopted')

/**
 * What {@link MemoryPool.share} returns: a plain object that `postMessage` can send to another thread
 * (it holds SharedArrayBuffers, which are shared, not copied), for {@link MemoryPool.adopt} there.
 * Treat it as opaque.
 */
export interface SharedPoolToken {
  readonly type: 'umf.MemoryPool'
  /** The pool's handle. */
  readonly handle: bigint
  /** Its entry in lib/'s registry of this process. */
  readonly slot: number
  readonly gen: number
  /** lib/'s registry of this process (the same buffer in every thread started after lib/ was loaded). */
  readonly registry: SharedArrayBuffer
  /** The pool's table of allocation sizes, shared by every thread that holds it. */
  readonly sizes: { readonly ctl: SharedArrayBuffer; readonly data: SharedArrayBuffer }
  /** What views of the pool's memory may do, and why there are none (memory the CPU cannot touch). */
  readonly access: 'readwrite' | 'read' | 'none'
  readonly notHostAccessible: string | null
  /** The pool's name. */
  readonly name: string
}

setDestroyers({
  pool: (h) => void ffi.umfPoolDestroy(h as umf_memory_pool_handle_t),
  provider: (h) => void ffi.umfMemoryProviderDestroy(h as umf_memory_provider_handle_t),
})

const live = new LiveObjects<MemoryPool>()
/** Whether libumf is this repository's (its disjoint pool checks addresses; see MemoryPool#vouched). */
const ownLibumf = libraryPath === defaultLibraryPath
const MAX_SAFE = Number.MAX_SAFE_INTEGER
// the hot paths call these directly (a namespace property read per call is measurable)
const { umfPoolMalloc, umfPoolFree } = ffi
/** The most allocations one {@link MemoryPool.mallocMany} call makes. */
export const MAX_BATCH = 2 ** 24
// the halves of a BigUint64Array element seen through a Uint32Array
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
const LO = LITTLE ? 0 : 1
const HI = LITTLE ? 1 : 0
/** freeMany's record of the sizes it took out of the table, to put them back when it refuses. */
let takenSizes = new Float64Array(1024)
/** Slots of a pool's cache of the bigints of freed addresses (see MemoryPool.#bigKeys). */
const BIGINT_CACHE = 64
const BIGINT_CACHE_SHIFT = 32 - Math.log2(BIGINT_CACHE)

/**
 * A memory pool: allocations of any size, carved from its provider's memory.
 *
 * ```ts
 * using provider = new OsMemoryProvider()
 * using pool = new ProxyPool(provider)
 * const p = pool.malloc(64)                // a bigint address
 * const bytes = pool.view(p)               // zero-copy Uint8Array over the 64 bytes
 * pool.free(p)
 * ```
 *
 * Allocations are `bigint` addresses. The pool remembers the size of every allocation it handed out, so
 * {@link MemoryPool.view} cannot reach past one and {@link MemoryPool.free} refuses an address it did not
 * hand out (or that was freed already) instead of passing it to C.
 *
 * **Views of freed memory:** a view is an ArrayBuffer over C memory and cannot be revoked. `free()` makes
 * lib/ forget the allocation (no new view, no second free), but a view taken before stays usable from
 * JavaScript and then reads or writes memory the pool may have reused or unmapped (a crash). Drop views
 * before freeing, and copy (`.slice()`) any data that must outlive the allocation.
 */
export class MemoryPool extends UmfHandle<umf_memory_pool_handle_t> {
  #sizes: SizeTable | SharedSizeTable = new SizeTable()
  /** Its entry in lib/'s registry of pools across threads (see lib/threads.ts), or null. */
  #ref: SlotRef | null = null
  /** 'owner' of a shared pool, 'adopter' of a pool adopted from another thread, else null. */
  #sharing: 'owner' | 'adopter' | null = null
  /** Whether the pool itself can tell a live allocation start (a C disjoint pool of this libumf). */
  #vouches = false
  #noHost: string | undefined
  readonly #provider: MemoryProvider
  #name: string | undefined
  #impl: MemoryPoolImpl | undefined
  /** Allocations lent out, with a count (see lend()); made at the first loan, as most pools lend nothing. */
  #lent: Map<bigint, number> | null = null
  /** What views of the provider's memory may do (its protection). */
  #access: 'readwrite' | 'read' | 'none' = 'readwrite'
  /** Whether TypeScript code (this pool's or its provider's ops) can run in a malloc or free. */
  #js = true
  /** The handle as a number for the number-typed hot-path calls (fast_calls.ts); 0 when it is past 2^53. */
  #hn = 0
  /**
   * The bigints of recently freed addresses, direct-mapped by address ({@link BIGINT_CACHE} slots; made at
   * the first free): pools reuse freed blocks first, and handing out the same (immutable) bigint again
   * saves making one, about as costly as the koffi call itself.
   */
  #bigKeys: Float64Array | null = null
  #bigs: bigint[] | null = null

  /**
   * Creates a pool (`umfPoolCreate`).
   *
   * @param ops - a C pool ops table address (e.g. `ffi.umfProxyPoolOps()`), or a pool written in TypeScript
   * @param provider - the provider to take memory from; the pool keeps it alive (and, with `ownProvider`,
   *   takes it over)
   * @param options - see {@link PoolOptionsSchema}
   * @param paramsHandle - for subclasses: a C params object to destroy once the pool exists
   * @throws ConfigError for bad options; TypeError for bad ops or provider; DestroyedError for a destroyed
   *   provider; UmfError when C refuses
   */
  constructor(ops: PoolOps, provider: MemoryProvider, options: PoolOptions = {}, paramsHandle?: ParamsHandle) {
    super()
    if ((ops as unknown) === ADOPTED) {
      // MemoryPool.adopt(): options is the token, already checked
      const token = options as unknown as SharedPoolToken
      const ref = { slot: token.slot, gen: token.gen }
      const h = token.handle as umf_memory_pool_handle_t
      this.#sizes = new SharedSizeTable(token.sizes)
      this.#ref = ref
      this.#sharing = 'adopter'
      this.#provider = provider
      this.#access = token.access
      this.#noHost = token.notHostAccessible ?? undefined
      this.#js = false
      this.#hn = h <= BigInt(MAX_SAFE) ? Number(h) : 0 // the shared table has the number-key methods too
      this.#name = token.name
      this.adopt(h, (handle) => (unadoptSlot(ref) ? ffi.umfPoolDestroy(handle) : S), 'umfPoolDestroy', {
        after: () => live.freed(h),
      })
      live.set(h, this)
      return
    }
    try {
      if (!(provider instanceof MemoryProvider)) {
        throw new TypeError(`provider must be a MemoryProvider, got ${describe(provider)}`)
      }
      const opts = parseConfig(PoolOptionsSchema, options, 'pool options')
      const ph = provider.handle
      if (opts.ownProvider && UmfHandle.isBorrowed(provider)) {
        throw new TypeError('ownProvider needs a provider this program owns, not a borrowed one')
      }
      const flags =
        (opts.ownProvider ? ffi.UMF_POOL_CREATE_FLAG_OWN_PROVIDER : 0) |
        (opts.disableTracking ? ffi.UMF_POOL_CREATE_FLAG_DISABLE_TRACKING : 0)
      const out: [umf_memory_pool_handle_t | null] = [null]
      const wrappers: MemoryProvider[] = []
      let id: number | undefined
      let rc: number
      if (typeof ops === 'bigint') {
        toCOps(toPtr(ops, 'ops'), 'pool')
        const params = paramsHandle ? paramsHandle.handle : opts.params
        if (paramsHandle === undefined && params !== null) toParamsAddress(params, 'params')
        rc = guarded(() => ffi.umfPoolCreate(ops, ph, params, flags, out))
      } else {
        checkImpl(ops)
        const outer = initializing
        initializing = wrappers
        let created
        try {
          created = tsOps.create(ops, ops.name, (struct, state) => ffi.umfPoolCreate(struct, ph, state, flags, out))
        } finally {
          initializing = outer
        }
        // a pool that failed to be created freed the provider it gave initialize(): that wrapper dies now
        if (created.rc !== S) for (const w of wrappers) if (UmfHandle.isBorrowed(w)) UmfHandle.revokeWith(this, w)
        rc = created.rc
        id = created.id
        this.#impl = ops
      }
      check(rc, 'umfPoolCreate')
      const h = out[0]!
      // objects the params refer to (shared limits) outlive the pool, like its provider
      const extra = paramsHandle?.parents ?? []
      // the provider's destroy() is refused while the pool lives (unless the pool takes it over)
      const dependsOn = opts.ownProvider ? extra : extra.length === 0 ? [provider] : [provider, ...extra]
      for (const d of dependsOn) UmfHandle.addDependent(d)
      const js = this.#impl !== undefined || provider.impl !== undefined || UmfHandle.isBorrowed(provider)
      // a worker's pools are known to every thread: others free them once the worker ends (lib/threads.ts);
      // so are pools with TypeScript code, with their CTL name: other threads must not reach that code
      // through C (umf.pool.by_name.<name>..., umfFree), see ctl.ts
      const ref = inWorker || js ? register(h, js ? F_JS : 0, ph, ctlName(h)) : null
      this.adopt(h, ffi.umfPoolDestroy, 'umfPoolDestroy', {
        parents: extra.length === 0 ? [provider] : [provider, ...extra],
        after: poolCleanup(h, id, this.#sizes as SizeTable, dependsOn),
      })
      if (ref !== null) UmfHandle.wrapFree(this, registeredFree(ref))
      this.#ref = ref
      live.set(h, this)
      for (const w of wrappers) if (UmfHandle.isBorrowed(w)) UmfHandle.revokeWith(this, w)
      this.#provider = provider
      this.#access = provider.memoryAccess
      this.#js = js
      this.#hn = h <= BigInt(MAX_SAFE) ? Number(h) : 0
      this.#vouches = typeof ops === 'bigint' && ops === ffi.umfDisjointPoolOps() && ownLibumf
      // now and then (a scan of the registry): what terminated workers left behind
      if (ref !== null && (++workerPoolsMade & 255) === 1) sweepExitedThreads()
      // with ownProvider the provider is not in dependsOn (no dependency to drop before the move)
      if (opts.ownProvider) MemoryProvider.moveToPool(provider, this)
    } finally {
      paramsHandle?.destroy()
    }
  }

  /**
   * The live pool that holds an address (`umfPoolByPtr`; interior addresses work).
   *
   * @param ptr - the address
   * @returns the pool's object, or null when no live pool of lib/ holds it
   */
  static byPtr(ptr: bigint): MemoryPool | null {
    const p = toPtr(ptr, 'ptr')
    const out: [umf_memory_pool_handle_t | null] = [null]
    const rc = ffi.umfPoolByPtr(p, out)
    if (rc !== S) return null
    return live.get(out[0])
  }

  /**
   * The live pool object lib/ created for a handle.
   *
   * @param handle - the handle
   * @returns the object, or null
   */
  static byHandle(handle: bigint | null): MemoryPool | null {
    return live.get(handle)
  }

  /**
   * Makes this pool usable in other threads (worker_threads): returns a token to send with `postMessage`,
   * which {@link MemoryPool.adopt} turns into a {@link MemoryPool} there. See docs/workers.md.
   *
   * From then on the pool's table of allocation sizes is shared by every thread that holds the pool (so
   * an allocation made in one thread can be viewed and freed in another), and the pool lives until its
   * owner and every adopter are done with it: its owner's `destroy()` throws while another running thread
   * holds it; if the owner forgets it or its thread ends, the last adopter frees it.
   *
   * @returns the token (call it again for more; each adopting thread counts once)
   * @throws TypeError for a pool with TypeScript code (its ops or its provider's): C would run that code
   *   in other threads, where it does not exist; Error where threads cannot be tracked (no Linux /proc)
   */
  share(): SharedPoolToken {
    const h = this.handle
    if (this.#js) {
      throw new TypeError(
        `share: ${this.describeSelf()} runs TypeScript code (its ops or its provider's), which exists only in the thread ` +
          'that created it; share a pool of C ops over a C provider instead',
      )
    }
    const registry = registryBuffer()
    if (!tracked || registry === null) throw new Error('share: lib/ tracks threads through /proc, which this system does not have')
    if (this.#sharing === null) {
      let ref = this.#ref
      if (ref === null) {
        const out: [umf_memory_provider_handle_t | null] = [null]
        check(ffi.umfPoolGetMemoryProvider(h, out), 'umfPoolGetMemoryProvider')
        ref = register(h, 0, out[0] ?? 0n)
        if (ref === null) throw new Error('share: lib/ registry of pools is full')
        UmfHandle.wrapFree(this, registeredFree(ref))
        this.#ref = ref
      }
      const shared = new SharedSizeTable()
      const local = this.#sizes
      if (local instanceof SizeTable) local.forEach((p, n) => shared.set(p, n))
      this.#sizes = shared
      addFlags(ref, F_SHARED)
      this.#sharing = 'owner'
    }
    sweepExitedThreads()
    const ref = this.#ref!
    return {
      type: 'umf.MemoryPool',
      handle: h,
      slot: ref.slot,
      gen: ref.gen,
      registry,
      sizes: (this.#sizes as SharedSizeTable).buffers,
      access: this.#access,
      notHostAccessible: this.#noHost ?? this.#provider.notHostAccessible ?? null,
      name: this.name,
    }
  }

  /**
   * The pool of a token from {@link MemoryPool.share} (made in another thread, or this one): a borrowed
   * object that can allocate, free, view and look up pointers (`MemoryPool.byPtr` finds it), but not
   * destroy the pool. `release()` (or `using`, or forgetting it) ends this thread's hold; so does the end
   * of the thread. Adopting the same pool again in one thread gives the same object.
   *
   * @param token - the token, as received from `postMessage`
   * @returns the pool
   * @throws TypeError for something else than a token; Error when the pool is gone, or the token comes
   *   from a thread that does not share this thread's lib/ registry (a worker started before umf was
   *   imported)
   */
  static adopt(token: SharedPoolToken): MemoryPool {
    const t = token as Partial<Record<keyof SharedPoolToken, unknown>> | null
    const sizes = t?.sizes as { ctl?: unknown; data?: unknown } | undefined
    if (
      typeof t !== 'object' || t === null || t.type !== 'umf.MemoryPool' || typeof t.handle !== 'bigint' ||
      t.handle <= 0n || !Number.isSafeInteger(t.slot) || !Number.isSafeInteger(t.gen) ||
      !(t.registry instanceof SharedArrayBuffer) || typeof sizes !== 'object' || sizes === null ||
      !(sizes.ctl instanceof SharedArrayBuffer) || !(sizes.data instanceof SharedArrayBuffer) ||
      !['readwrite', 'read', 'none'].includes(t.access as string) || typeof t.name !== 'string' ||
      (t.notHostAccessible !== null && typeof t.notHostAccessible !== 'string')
    ) {
      throw new TypeError(`MemoryPool.adopt: token must be what pool.share() returned, got ${describe(token)}`)
    }
    if (!isThisRegistry(t.registry)) {
      throw new Error(
        'MemoryPool.adopt: the token comes from a thread that does not share this thread\'s lib/ registry ' +
          '(import umf in the main thread before starting workers)',
      )
    }
    sweepExitedThreads()
    const known = live.get(t.handle)
    if (known !== null) {
      // this thread holds the pool already (its owner, or an earlier adoption): the same object
      const r = known.#ref
      if (r !== null && r.slot === t.slot && r.gen === t.gen) return known
      throw new Error('MemoryPool.adopt: the pool of this token was destroyed (or the token is not from this process)')
    }
    const { flags } = adoptSlot({ slot: t.slot as number, gen: t.gen as number }, t.handle)
    if ((flags & F_JS) !== 0) throw new Error('MemoryPool.adopt: the pool runs TypeScript code of another thread')
    const out: [umf_memory_provider_handle_t | null] = [null]
    const rc = ffi.umfPoolGetMemoryProvider(t.handle as umf_memory_pool_handle_t, out)
    if (rc !== S || out[0] === null) {
      unadoptSlot({ slot: t.slot as number, gen: t.gen as number })
      check(rc === S ? ffi.UMF_RESULT_ERROR_UNKNOWN : rc, 'umfPoolGetMemoryProvider')
    }
    return new MemoryPool(ADOPTED as unknown as PoolOps, MemoryProvider.fromCHandle(out[0]!), token as unknown as PoolOptions)
  }

  /** Whether this object is a pool adopted from a token (see {@link MemoryPool.adopt}). */
  get adopted(): boolean {
    return this.#sharing === 'adopter'
  }

  /**
   * Ends this thread's hold on an adopted pool (see {@link MemoryPool.adopt}); the object then reads as
   * destroyed. When the pool's owner is already done with it and no other thread holds it, the pool is
   * freed now. Does nothing for a released object.
   *
   * @throws Error for a pool that was not adopted (its owner destroys it)
   */
  release(): void {
    if (this.#sharing !== 'adopter') throw new Error(`release: ${this.describeSelf()} was not adopted; destroy() it`)
    this.#releasing = true
    try {
      super.destroy()
    } finally {
      this.#releasing = false
    }
  }

  #releasing = false

  /**
   * Frees the pool (`umfPoolDestroy`); see {@link UmfHandle.destroy}.
   *
   * @throws Error for an adopted pool (use release()), or a shared pool that a running thread still holds
   */
  override destroy(): void {
    if (this.#sharing === 'adopter' && !this.#releasing) {
      if (!this.alive) return
      throw new Error(`${this.describeSelf()} is adopted from another thread, which owns it: release() it instead`)
    }
    if (this.#sharing === 'owner' && this.alive && !UmfHandle.isBusy(this)) {
      const n = adopterCount(this.#ref!)
      if (n > 0) {
        throw new Error(
          `${this.describeSelf()} is still held by ${n} other thread(s) that adopted it; they must release() it (or end) first`,
        )
      }
    }
    super.destroy()
  }

  /** `using` support: destroys an owned pool, releases an adopted one. */
  override [Symbol.dispose](): void {
    if (!this.alive) return
    if (this.#sharing === 'adopter') this.release()
    else super[Symbol.dispose]()
  }

  /** The TypeScript implementation, for a pool written in TypeScript. */
  get impl(): MemoryPoolImpl | undefined {
    return this.#impl
  }

  protected override describeSelf(): string {
    return this.#name ? `${this.constructor.name} "${this.#name}"` : this.constructor.name
  }

  /**
   * The pool's statistics every pool has, read through CTL (`umf.pool.by_handle.{}.stats.alloc_count`):
   * `allocCount`, its live allocations. The disjoint pool has more: see {@link ctl}.
   */
  get stats(): PoolStats {
    return { allocCount: ctl.get('umf.pool.by_handle.{}.stats.alloc_count', this) }
  }

  /**
   * The extended statistics (this library's extension), or undefined for a pool that does not keep them
   * (created without `extendedStats: true`, or of a kind that has none: proxy, TypeScript pools).
   */
  get extendedStats(): PoolExtendedStats | undefined {
    let on: boolean
    try {
      on = ctl.get('umf.pool.by_handle.{}.params.extended_stats', this)
    } catch (e) {
      if (e instanceof UmfError && e.code === ffi.UMF_RESULT_ERROR_INVALID_CTL_PATH) return undefined
      throw e
    }
    if (!on) return undefined
    const count = ctl.get('umf.pool.by_handle.{}.stats.size_histogram.count', this)
    const sizeHistogram: number[] = []
    for (let i = 0; i < count; i++) sizeHistogram.push(ctl.get('umf.pool.by_handle.{}.stats.size_histogram.{}.alloc_num', this, i))
    return {
      allocatedBytes: ctl.get('umf.pool.by_handle.{}.stats.allocated_bytes', this),
      peakAllocatedBytes: ctl.get('umf.pool.by_handle.{}.stats.peak_allocated_bytes', this),
      sizeHistogram,
    }
  }

  /**
   * Sets the peak of {@link extendedStats} to the bytes allocated now (`stats.peak_allocated_bytes.reset`).
   *
   * @throws UmfError `UMF_RESULT_ERROR_NOT_SUPPORTED` when the pool keeps no extended statistics
   */
  resetPeakAllocatedBytes(): void {
    ctl.exec('umf.pool.by_handle.{}.stats.peak_allocated_bytes.reset', this)
  }

  /**
   * Sets every class of {@link extendedStats}' size histogram back to 0 (`stats.size_histogram.reset`).
   *
   * @throws UmfError `UMF_RESULT_ERROR_NOT_SUPPORTED` when the pool keeps no extended statistics
   */
  resetSizeHistogram(): void {
    ctl.exec('umf.pool.by_handle.{}.stats.size_histogram.reset', this)
  }

  /**
   * Turns the extended statistics on, for the `extendedStats` param of the built-in pools (there is no C
   * params setter for it): done in the constructor, before any allocation. Destroys the pool if C refuses.
   *
   * @internal
   */
  protected startExtendedStats(): void {
    try {
      ctl.set('umf.pool.by_handle.{}.params.extended_stats', true, this)
    } catch (e) {
      this.destroy()
      throw e
    }
  }

  /** The pool's name (`umfPoolGetName`), e.g. `'proxy'`. */
  get name(): string {
    const h = this.handle
    if (this.#name !== undefined) return this.#name
    const out: [string | null] = [null]
    check(ffi.umfPoolGetName(h, out), 'umfPoolGetName')
    this.#name = out[0] ?? ''
    return this.#name
  }

  /**
   * The provider the pool was created with (`umfPoolGetMemoryProvider`). With `ownProvider` it is the
   * moved object, which throws {@link DestroyedError} when used.
   */
  get provider(): MemoryProvider {
    if (this._h === null) throw this.deadError()
    return this.#provider
  }

  /** The user value attached to the pool (`umfPoolGetTag`/`umfPoolSetTag`): an address or null. */
  get tag(): bigint | null {
    const h = this.handle
    const out: [bigint | null] = [null]
    check(ffi.umfPoolGetTag(h, out), 'umfPoolGetTag')
    return out[0]
  }

  /** Sets the tag, like {@link MemoryPool.setTag}. */
  set tag(value: bigint | null) {
    this.setTag(value)
  }

  /**
   * Attaches a value to the pool (`umfPoolSetTag`).
   *
   * @param value - a bigint (any non-zero value up to 2^64 - 1) or null
   * @returns the previous tag
   */
  setTag(value: bigint | null): bigint | null {
    const h = this.handle
    const v = value === null ? null : toPtr(value, 'tag')
    const old: [bigint | null] = [null]
    check(ffi.umfPoolSetTag(h, v, old), 'umfPoolSetTag')
    return old[0]
  }

  /** Number of allocations of this pool that lib/ handed out and that are not freed yet. */
  get liveAllocations(): number {
    return this.#sizes.size
  }

  /**
   * The size lib/ recorded for an allocation.
   *
   * @param ptr - an address this pool handed out
   * @returns its size, or undefined when the pool did not hand it out (or it was freed)
   */
  allocationSize(ptr: bigint): number | undefined {
    if (this._h === null) throw this.deadError()
    const n = this.#sizes.get(toPtr(ptr, 'ptr'))
    return n < 0 ? undefined : n
  }

  #allocFailed(func: string, size: Size): Error {
    const h = this._h!
    const code = ffi.umfPoolGetLastAllocationError(h)
    if (code === S) {
      return new UmfError(Number(size) === 0 ? INVALID : ffi.UMF_RESULT_ERROR_UNKNOWN, func)
    }
    return failure(code, func)
  }

  #record(p: bigint, size: number | bigint): void {
    this.#sizes.set(p, typeof size === 'number' ? size : Number(size))
  }

  /**
   * Allocates `size` bytes (`umfPoolMalloc`).
   *
   * @param size - bytes (a number, or a bigint for sizes past 2^53)
   * @returns the address
   * @throws UmfError with the pool's last allocation error (and the provider's native error) on failure
   */
  malloc(size: Size): bigint {
    const h = this._h
    if (h === null) throw this.deadError()
    if (typeof size !== 'number' || !(size >= 0 && size <= MAX_SAFE) || size % 1 !== 0) toSize(size, 'size')
    const hn = this.#hn
    if (!this.#js && hn !== 0 && typeof size === 'number') {
      // the lean path: a C pool over a C provider (no callback can run), the address as a number
      const a = poolMallocN(hn, size)
      if (typeof a === 'number') {
        if (a === 0) throw this.#allocFailed('umfPoolMalloc', size)
        this.#sizes.setKey(a, size)
        const keys = this.#bigKeys
        if (keys !== null) {
          const slot = Math.imul(a >>> 3, 0x9e3779b1) >>> BIGINT_CACHE_SHIFT
          if (keys[slot] === a) return this.#bigs![slot]!
        }
        return BigInt(a)
      }
      this.#sizes.set(a, size) // an address past 2^53
      return a
    }
    let p: bigint | null
    if (this.#js) {
      // busy while C runs: a callback calling back into this pool gets ReentrancyError (see UmfHandle.busy)
      this.busy()
      enter()
      p = umfPoolMalloc(h, size)
      this.unbusy(h)
      leave()
    } else {
      p = umfPoolMalloc(h, size) // C pool over a C provider: no callback can throw
    }
    if (p === null) throw this.#allocFailed('umfPoolMalloc', size)
    this.#sizes.set(p, typeof size === 'number' ? size : Number(size))
    return p
  }

  /**
   * Allocates `size` bytes aligned to `alignment` (`umfPoolAlignedMalloc`).
   *
   * @param size - bytes
   * @param alignment - a power of 2
   * @returns the address
   */
  alignedMalloc(size: Size, alignment: Size): bigint {
    if (this._h === null) throw this.deadError()
    toSize(size, 'size')
    toSize(alignment, 'alignment')
    const p = this.inCall((h) => ffi.umfPoolAlignedMalloc(h, size, alignment))
    if (p === null) throw this.#allocFailed('umfPoolAlignedMalloc', size)
    this.#record(p, size)
    return p
  }

  /**
   * Allocates `num * size` zeroed bytes (`umfPoolCalloc`).
   *
   * @param num - element count
   * @param size - element size
   * @returns the address
   */
  calloc(num: Size, size: Size): bigint {
    if (this._h === null) throw this.deadError()
    toSize(num, 'num')
    toSize(size, 'size')
    this.#checkAccess('calloc', 'readwrite') // C writes the zeros
    const total = BigInt(num) * BigInt(size)
    if (total > BigInt(MAX_SAFE)) throw new RangeError(`calloc: num * size = ${total} is too large`)
    const p = this.inCall((h) => ffi.umfPoolCalloc(h, num, size))
    if (p === null) throw this.#allocFailed('umfPoolCalloc', total)
    this.#record(p, total)
    return p
  }

  /**
   * Resizes an allocation, keeping its contents (`umfPoolRealloc`). With ptr null it allocates; with size 0
   * it frees and returns null. On failure the old allocation stays valid.
   *
   * @param ptr - an address this pool handed out, or null
   * @param size - the new size
   * @returns the new address (null after a resize to 0)
   */
  realloc(ptr: bigint | null, size: Size): bigint | null {
    const h = this.handle
    toSize(size, 'size')
    if (ptr !== null) this.#known(ptr, 'realloc')
    if (ptr !== null && this.#lent?.has(ptr) === true) throw this.#lentError(ptr, 'realloc')
    this.#checkAccess('realloc', 'readwrite') // C copies the bytes
    const p = this.inCall(() => ffi.umfPoolRealloc(h, ptr, size))
    if (p === null) {
      if (Number(size) === 0 && ptr !== null && ffi.umfPoolGetLastAllocationError(h) === S) {
        this.#sizes.delete(ptr)
        return null
      }
      throw this.#allocFailed('umfPoolRealloc', size)
    }
    if (ptr !== null) this.#sizes.delete(ptr)
    this.#record(p, size)
    return p
  }

  /** The recorded size of an address this pool handed out, else throws. */
  /** Refuses a view of memory the CPU cannot touch (reading it would crash the process). */
  #checkHostAccessible(op: string): void {
    const why = this.#noHost ?? this.#provider.notHostAccessible
    if (why !== undefined) throw new TypeError(`${op}: no view of this pool's memory: ${why}`)
  }

  #known(ptr: unknown, op: string): number {
    const size = this.#sizes.get(toPtr(ptr, 'ptr'))
    if (size < 0) {
      const n = this.#vouched(ptr as bigint)
      if (n < 0) throw this.#foreign(ptr as bigint, op)
      return n
    }
    return size
  }

  /**
   * An address lib/ did not record (allocated through ffi/): its usable size when the pool itself says
   * it is the start of one of its live allocations, else -1. Only a C disjoint pool of this repository's
   * libumf says so exactly (it checks the chunk is allocated and not in this thread's cache); it is not
   * asked for a shared pool, whose chunks other threads' caches may hold. The allocation is recorded.
   */
  #vouched(ptr: bigint): number {
    if (!this.#vouches || this.#sharing !== null || this._h === null) return -1
    const h = this._h
    const pool: [umf_memory_pool_handle_t | null] = [null]
    if (ffi.umfPoolByPtr(ptr, pool) !== S || pool[0] !== h) return -1
    const out: [number | bigint | null] = [null]
    if (ffi.umfPoolMallocUsableSize(h, ptr, out) !== S) return -1
    const n = Number(out[0])
    if (!(n > 0) || !Number.isSafeInteger(n)) return -1
    this.#sizes.set(ptr, n)
    return n
  }

  #foreign(ptr: bigint, op: string): Error {
    return new RangeError(
      `${op}: 0x${ptr.toString(16)} is not a live allocation of ${this.describeSelf()} ` +
        '(not the start of one of its allocations, or freed already)',
    )
  }

  /**
   * The usable size of an allocation (`umfPoolMallocUsableSize`).
   *
   * @param ptr - an address this pool handed out
   * @returns the size
   */
  usableSize(ptr: bigint): number {
    if (this._h === null) throw this.deadError()
    this.#known(ptr, 'usableSize')
    const out: [number | bigint | null] = [null]
    check(this.inCall((h) => ffi.umfPoolMallocUsableSize(h, ptr, out)), 'umfPoolMallocUsableSize')
    return Number(out[0])
  }

  /**
   * Frees an allocation (`umfPoolFree`). null does nothing.
   *
   * Views taken of the allocation stay usable from JavaScript but must no longer be touched (see the class
   * notes); lib/ forgets the allocation, so a new view or a second free throws.
   *
   * @param ptr - an address this pool handed out
   * @throws RangeError for an address the pool did not hand out or that was freed already
   */
  free(ptr: bigint | null): void {
    const h = this._h
    if (h === null) throw this.deadError()
    if (ptr === null) return
    // one BigInt op checks 0 < ptr < 2^64 well enough here: 0n is never in the table (relational BigInt
    // comparisons cost about 6 ns each, a third of this method)
    if (typeof ptr !== 'bigint' || BigInt.asUintN(64, ptr) !== ptr) toPtr(ptr, 'ptr')
    if (this.#lent !== null && this.#lent.has(ptr)) throw this.#lentError(ptr, 'free')
    const k = addressKey(ptr)
    if (this.#sizes.deleteKey(k) < 0) {
      if (ptr === 0n) throw new TypeError('ptr must be a non-NULL address below 2^64, got 0n')
      // an allocation made through ffi/ that the pool vouches for (recorded by #vouched, forgotten here)
      if (this.#vouched(ptr) < 0) throw this.#foreign(ptr, 'free')
      this.#sizes.deleteKey(k)
    }
    let rc: number
    if (!this.#js && this.#hn !== 0 && k <= MAX_SAFE) {
      // the lean path (see malloc); keep the bigint for the next malloc that returns this address
      const slot = Math.imul(k >>> 3, 0x9e3779b1) >>> BIGINT_CACHE_SHIFT
      const keys = (this.#bigKeys ??= new Float64Array(BIGINT_CACHE))
      keys[slot] = k
      ;(this.#bigs ??= new Array<bigint>(BIGINT_CACHE).fill(0n))[slot] = ptr
      rc = poolFreeN(this.#hn, k)
    } else if (this.#js) {
      this.busy()
      enter()
      rc = umfPoolFree(h, ptr)
      this.unbusy(h)
      leave()
    } else {
      rc = umfPoolFree(h, ptr)
    }
    if (rc !== S) check(rc, 'umfPoolFree')
  }

  /**
   * Allocates `n` blocks of `size` bytes in one call (a C loop over `umfPoolMalloc` in libumf_batch.so.1,
   * so the cost per block is close to C's; a TypeScript loop where that library is missing or the pool
   * runs TypeScript code). All or nothing: when one allocation fails, the ones made before it are freed,
   * the array's first `n` entries are left 0 and the error is thrown.
   *
   * ```ts
   * const ptrs = pool.mallocMany(1000, 64)   // BigUint64Array of 1000 addresses
   * pool.freeMany(ptrs)
   * ```
   *
   * @param n - how many blocks: an integer from 0 to {@link MAX_BATCH}
   * @param size - bytes per block, as for {@link MemoryPool.malloc}
   * @param into - an array to fill (its first `n` entries) instead of a new one; its length must be at least `n`
   * @returns the addresses: `into`, or a new BigUint64Array of length `n`
   * @throws TypeError or RangeError for bad arguments (nothing allocated); UmfError with the pool's last
   *   allocation error when an allocation fails (nothing left allocated)
   */
  mallocMany(n: number, size: Size, into?: BigUint64Array): BigUint64Array {
    const h = this._h
    if (h === null) throw this.deadError()
    if (typeof n !== 'number') throw new TypeError(`mallocMany: n must be a number, got ${describe(n)}`)
    if (!Number.isSafeInteger(n) || n < 0 || n > MAX_BATCH) {
      throw new RangeError(`mallocMany: n must be an integer from 0 to ${MAX_BATCH}, got ${String(n)}`)
    }
    toSize(size, 'size')
    let out: BigUint64Array
    if (into === undefined) {
      out = new BigUint64Array(n)
    } else {
      if (!(into instanceof BigUint64Array)) throw new TypeError(`mallocMany: into must be a BigUint64Array, got ${describe(into)}`)
      if (into.length < n) throw new RangeError(`mallocMany: into has ${into.length} entries, fewer than n = ${n}`)
      out = into
    }
    if (n === 0) return out
    const recorded = typeof size === 'number' ? size : Number(size)
    if (batch !== null && !this.#js) {
      const got = batch.malloc(h, size, out, n)
      if (got !== n) {
        const err = this.#allocFailed('umfPoolMalloc', size) // this thread's last allocation error, read first
        if (got > 0) batch.free(h, out, got)
        out.fill(0n, 0, n)
        throw err
      }
      this.#sizes.setMany(new Uint32Array(out.buffer, out.byteOffset, 2 * n), n, recorded)
      return out
    }
    let i = 0
    try {
      for (; i < n; i++) out[i] = this.malloc(size)
    } catch (e) {
      for (let j = 0; j < i; j++) this.free(out[j]!)
      out.fill(0n, 0, n)
      throw e
    }
    return out
  }

  /**
   * Frees many allocations in one call (a C loop over `umfPoolFree` in libumf_batch.so.1; see
   * {@link MemoryPool.mallocMany}). All or nothing: every entry must be a live allocation of this pool
   * made through lib/, none may appear twice and none may be lent (see {@link MemoryPool.with}); otherwise
   * it throws naming the first bad entry and frees none of them. The notes of {@link MemoryPool.free}
   * about views apply to each.
   *
   * @param ptrs - the addresses: a BigUint64Array (as mallocMany returns) or an array of bigints
   * @throws TypeError or RangeError for a bad entry (nothing freed); UmfError when C refuses a free (the
   *   others are freed all the same, and lib/ forgets them all)
   */
  freeMany(ptrs: BigUint64Array | readonly bigint[]): void {
    const h = this._h
    if (h === null) throw this.deadError()
    let arr: BigUint64Array
    if (ptrs instanceof BigUint64Array) {
      arr = ptrs
    } else if (Array.isArray(ptrs)) {
      arr = new BigUint64Array(ptrs.length)
      for (let i = 0; i < ptrs.length; i++) {
        const p: unknown = ptrs[i]
        if (typeof p !== 'bigint' || BigInt.asUintN(64, p) !== p) {
          throw new TypeError(`freeMany: ptrs[${i}] must be an address (a bigint from 0 to 2^64 - 1), got ${describe(p)}; nothing was freed`)
        }
        arr[i] = p
      }
    } else {
      throw new TypeError(`freeMany: ptrs must be a BigUint64Array or an array of bigints, got ${describe(ptrs)}`)
    }
    const n = arr.length
    if (n === 0) return
    // take every entry out of the size table; put them back and refuse at the first bad one
    const w = new Uint32Array(arr.buffer, arr.byteOffset, 2 * n)
    const sizes = this.#sizes
    const lent = this.#lent
    if (takenSizes.length < n) takenSizes = new Float64Array(Math.max(n, 2 * takenSizes.length))
    const taken = takenSizes
    if (lent === null) {
      const bad = sizes.deleteMany(w, n, taken)
      if (bad >= 0) throw this.#badBatchEntry(arr, bad)
    } else {
      // some allocations are lent: check each entry against the loans too
      for (let i = 0; i < n; i++) {
        const k = w[2 * i + HI]! * 4294967296 + w[2 * i + LO]!
        const s = k === 0 || lent.has(arr[i]!) ? -1 : sizes.deleteKey(k)
        if (s < 0) {
          for (let j = 0; j < i; j++) sizes.setKey(w[2 * j + HI]! * 4294967296 + w[2 * j + LO]!, taken[j]!)
          throw this.#badBatchEntry(arr, i)
        }
        taken[i] = s
      }
    }
    if (batch !== null && !this.#js) {
      const rc = batch.free(h, arr, n)
      if (rc !== S) check(rc, 'umfPoolFree')
      return
    }
    let first: unknown
    for (let i = 0; i < n; i++) {
      const p = arr[i]!
      try {
        check(this.inCall((hh) => umfPoolFree(hh, p)), 'umfPoolFree')
      } catch (e) {
        first ??= e
      }
    }
    if (first !== undefined) throw first
  }

  #badBatchEntry(arr: BigUint64Array, i: number): Error {
    const p = arr[i]!
    const at = `freeMany: ptrs[${i}] = 0x${p.toString(16)}`
    if (p === 0n) return new TypeError(`${at} is NULL; nothing was freed`)
    if (this.#lent?.has(p) === true) return new Error(`${at} is in use (lent to a FixedMemoryProvider, or inside pool.with()); nothing was freed`)
    const j = arr.indexOf(p)
    if (j < i) return new RangeError(`${at} appears twice (also ptrs[${j}]); nothing was freed`)
    return new RangeError(
      `${at} is not a live allocation of ${this.describeSelf()} (not allocated by it through lib/, or freed already); nothing was freed`,
    )
  }

  /**
   * Frees one of this pool's allocations through `umfFree` (for {@link umfFree}), with the checks of
   * {@link MemoryPool.free}. @internal
   *
   * @param ptr - the address
   * @param func - the caller's name, for errors
   */
  freeAddress(ptr: bigint, func: string): void {
    if (this._h === null) throw this.deadError()
    if (this.#lent?.has(ptr) === true) throw this.#lentError(ptr, func)
    if (this.#sizes.delete(ptr) < 0) {
      if (this.#vouched(ptr) < 0) {
        throw new RangeError(`${func}: 0x${ptr.toString(16)} is not the start of a live allocation of ${this.describeSelf()}`)
      }
      this.#sizes.delete(ptr)
    }
    check(this.inCall(() => ffi.umfFree(ptr)), 'umfFree')
  }

  /**
   * Why the last allocation from this pool on this thread failed (`umfPoolGetLastAllocationError`).
   *
   * @returns a `umf_result_t`
   */
  lastAllocationError(): number {
    return ffi.umfPoolGetLastAllocationError(this.handle)
  }

  /**
   * Gives cached memory back to the provider, keeping at least `minBytesToKeep` (`umfPoolTrimMemory`).
   *
   * @param minBytesToKeep - bytes the pool may keep
   */
  trim(minBytesToKeep: Size = 0): void {
    if (this._h === null) throw this.deadError()
    toSize(minBytesToKeep, 'minBytesToKeep')
    check(this.inCall((h) => ffi.umfPoolTrimMemory(h, minBytesToKeep)), 'umfPoolTrimMemory')
  }

  /**
   * A zero-copy `Uint8Array` over an allocation (koffi.view). Several views of one allocation share its
   * bytes. See the class notes about views of freed memory.
   *
   * @param ptr - an address this pool handed out
   * @param length - bytes, at most the allocation's size (default: all of it)
   * @returns the view
   * @throws RangeError for an unknown address or a length past the allocation
   */
  view(ptr: bigint, length?: number): Uint8Array {
    if (this._h === null) throw this.deadError()
    this.#checkHostAccessible('view')
    const size = this.#known(ptr, 'view')
    const n = length === undefined ? size : length
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > size) {
      throw new RangeError(`view: length must be an integer from 0 to the allocation's ${size} bytes, got ${String(length)}`)
    }
    this.#checkAccess('view', 'readwrite')
    return new Uint8Array(nativeBuffer(ptr, n, 'view'))
  }

  /** Throws when the provider's memory does not allow what a view (read and write) or a copy needs. */
  #checkAccess(op: string, need: 'read' | 'readwrite'): void {
    const a = this.#access
    if (a === 'readwrite' || (a === 'read' && need === 'read')) return
    throw new TypeError(
      `${op}: the memory of ${this.describeSelf()} is ${a === 'none' ? 'neither readable nor writable' : 'read-only'} ` +
        `(its provider's protection); a view would ${a === 'none' ? 'crash the process when touched' : 'crash the process when written'}` +
        (a === 'read' ? '. Use pool.read(ptr) for a copy' : ''),
    )
  }

  /**
   * A copy of an allocation's bytes (works also for read-only memory, where {@link MemoryPool.view} refuses).
   *
   * @param ptr - an address this pool handed out
   * @param length - bytes, at most the allocation's size (default: all of it)
   * @returns a new Uint8Array owning its bytes
   */
  read(ptr: bigint, length?: number): Uint8Array {
    if (this._h === null) throw this.deadError()
    const size = this.#known(ptr, 'read')
    const n = length === undefined ? size : length
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > size) {
      throw new RangeError(`read: length must be an integer from 0 to the allocation's ${size} bytes, got ${String(length)}`)
    }
    this.#checkAccess('read', 'read')
    return new Uint8Array(nativeBuffer(ptr, n, 'read')).slice()
  }

  /**
   * Runs `body` with a view of an allocation and makes sure the view cannot be used to free it meanwhile:
   * the allocation cannot be freed (or reallocated) while `body` runs, and the pool cannot be destroyed.
   * This is the safe way to use a view: do not keep it (or a subarray of it) after `body` returns, as
   * nothing can revoke an ArrayBuffer over C memory once the allocation is freed.
   *
   * ```ts
   * const sum = pool.with(p, (bytes) => bytes.reduce((a, b) => a + b, 0))
   * ```
   *
   * @param ptr - an address this pool handed out
   * @param body - the work, given a view of the whole allocation
   * @returns what body returned
   */
  with<R>(ptr: bigint, body: (view: Uint8Array) => R): R {
    if (typeof body !== 'function') throw new TypeError(`with: body must be a function, got ${describe(body)}`)
    const view = this.view(ptr)
    const release = this.lend(ptr)
    const undepend = UmfHandle.depend([this])
    try {
      return body(view)
    } finally {
      undepend()
      release()
    }
  }

  /**
   * Marks an allocation as lent (a fixed provider's memory, a running {@link MemoryPool.with}): free()
   * and realloc() refuse it until the returned function is called. @internal
   *
   * @param ptr - an address this pool handed out
   * @returns the function that ends the loan (calling it again does nothing)
   */
  lend(ptr: bigint): () => void {
    this.#known(ptr, 'lend')
    const lent = (this.#lent ??= new Map())
    lent.set(ptr, (lent.get(ptr) ?? 0) + 1)
    let done = false
    return () => {
      if (done) return
      done = true
      const n = lent.get(ptr)! - 1
      if (n === 0) lent.delete(ptr)
      else lent.set(ptr, n)
    }
  }

  #lentError(ptr: bigint, op: string): Error {
    return new Error(
      `${op}: 0x${ptr.toString(16)} is in use (lent to a FixedMemoryProvider, or inside pool.with()); ` +
        'end that use before freeing it',
    )
  }

  /**
   * A zero-copy typed array over an allocation, e.g. `pool.viewAs(Float64Array, p, 8)`.
   *
   * @param type - the typed-array class
   * @param ptr - an address this pool handed out, aligned to the element size
   * @param count - elements (default: as many as fit)
   * @returns the typed array
   */
  viewAs<T extends TypedArrayClass>(type: T, ptr: bigint, count?: number): InstanceType<T> {
    if (this._h === null) throw this.deadError()
    if (!TYPED_ARRAYS.has(type)) throw new TypeError(`viewAs: type must be a typed-array class, got ${describe(type)}`)
    this.#checkHostAccessible('viewAs')
    const size = this.#known(ptr, 'viewAs')
    const bpe = type.BYTES_PER_ELEMENT
    if (addressKey(ptr) % bpe !== 0) throw new RangeError(`viewAs: 0x${ptr.toString(16)} is not aligned to ${bpe} bytes`)
    const n = count === undefined ? Math.floor(size / bpe) : count
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n * bpe > size) {
      throw new RangeError(`viewAs: count must be an integer from 0 to ${Math.floor(size / bpe)}, got ${String(count)}`)
    }
    this.#checkAccess('viewAs', 'readwrite')
    return new type(nativeBuffer(ptr, n * bpe, 'viewAs')) as InstanceType<T>
  }
}

/**
 * Frees an allocation of whichever pool holds it (`umfFree`). When that pool is a {@link MemoryPool} of
 * this program, the address must be one it handed out, and the pool forgets it.
 *
 * @param ptr - the address
 * @throws UmfError `UMF_RESULT_ERROR_INVALID_ARGUMENT` when no tracked pool holds it; RangeError for an
 *   address inside (not at the start of) an allocation of a lib/ pool
 */
export function umfFree(ptr: bigint): void {
  const p = toPtr(ptr, 'ptr')
  const out: [umf_memory_pool_handle_t | null] = [null]
  if (ffi.umfPoolByPtr(p, out) === S && out[0] !== null) {
    const pool = live.get(out[0])
    if (pool !== null) return pool.freeAddress(p, 'umfFree')
    // a pool of lib/ in another thread: this thread knows neither its sizes nor (for TypeScript code)
    // how to run its ops, so C is not called
    const other = lookupPool(out[0])
    if (other !== null) throw foreignThreadError(p, other.flags, other.state, other.ownerAlive)
  }
  check(guarded(() => ffi.umfFree(p)), 'umfFree')
}

function foreignThreadError(p: bigint, flags: number, state: number, ownerAlive: boolean): Error {
  const where = `umfFree: 0x${p.toString(16)} belongs to a pool of lib/ created in another thread`
  if ((flags & F_JS) !== 0 || state === DEAD) {
    return new Error(
      ownerAlive
        ? `${where}, whose TypeScript code (pool or provider ops) runs only in that thread: free it there`
        : `${where} that has ended; the pool's TypeScript code (pool or provider ops) ended with it, so the pool ` +
            'can no longer be used (its memory stays allocated until the process ends)',
    )
  }
  return new Error(`${where}: adopt the pool in this thread (pool.share() there, MemoryPool.adopt(token) here) to free it through lib/`)
}

/**
 * The live pool of this program that holds an address; see {@link MemoryPool.byPtr}.
 *
 * @param ptr - the address
 * @returns the pool, or null
 */
export function poolByPtr(ptr: bigint): MemoryPool | null {
  return MemoryPool.byPtr(ptr)
}

/**
 * Number of pools written in TypeScript that are alive (not yet freed by C).
 *
 * @returns the count
 * @internal test-only (lib/testing.ts)
 */
export function liveTypeScriptPools(): number {
  return slots.live
}

/**
 * Frees the pools (and providers) of worker threads that have ended without freeing them (a worker
 * stopped by `terminate()` runs no more JavaScript), unless another running thread adopted them: see
 * docs/workers.md. lib/ does this itself now and then when a worker creates pools, and whenever a pool is shared
 * or adopted; call it to do it now. A pool whose ops or provider are written in TypeScript in an ended
 * thread cannot be freed (its code is gone): it is left allocated, and lib/ calls reaching it throw.
 *
 * @returns how many pools and providers were freed
 */
export function reclaimExitedThreads(): number {
  return sweepExitedThreads()
}
