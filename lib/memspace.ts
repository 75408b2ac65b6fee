/**
 * Memspaces (`umf/experimental/memspace.h`): {@link Memspace}, sets of NUMA nodes to create providers
 * and pools from, chosen by id, capacity, bandwidth or latency.
 *
 * @module memspace
 */
import koffi from 'koffi'
import * as ffi from '../ffi/index.js'
import type { umf_const_memspace_handle_t, umf_memory_provider_handle_t, umf_memspace_handle_t } from '../ffi/index.js'
import {
  CapacitySchema,
  MemspacePoolOptionsSchema,
  NumaNodeIdsSchema,
  type MempolicyParams,
  type MemspacePoolOptions,
} from './config/memspace.js'
import { parseConfig } from './config/parse.js'
import { UmfError, check, guarded, keepCallbackError } from './errors.js'
import { UmfHandle } from './handle.js'
import type { MemoryPool } from './memory_pool.js'
import { MemoryProvider } from './memory_provider.js'
import { Mempolicy } from './mempolicy.js'
import { Memtarget } from './memtarget.js'
import { DisjointPool } from './pools/disjoint_pool.js'
import { JemallocPool } from './pools/jemalloc_pool.js'
import { ProxyPool } from './pools/proxy_pool.js'
import { ScalablePool } from './pools/scalable_pool.js'

/** The name of a predefined memspace. */
export type PredefinedMemspaceName = 'HostAll' | 'HighestCapacity' | 'HighestBandwidth' | 'LowestLatency'

const BORROW: unique symbol = Symbol('predefined')

const predefinedGetters: Record<PredefinedMemspaceName, () => umf_const_memspace_handle_t | null> = {
  HostAll: () => ffi.umfMemspaceHostAllGet(),
  HighestCapacity: () => ffi.umfMemspaceHighestCapacityGet(),
  HighestBandwidth: () => ffi.umfMemspaceHighestBandwidthGet(),
  LowestLatency: () => ffi.umfMemspaceLowestLatencyGet(),
}

/**
 * A memspace: an ordered set of memory targets (NUMA nodes) that providers and pools take memory from.
 *
 * ```ts
 * using fast = Memspace.highestBandwidth()?.clone() ?? Memspace.fromNumaNodes([0])
 * fast.filter((t) => t.capacity >= 1n << 30n)
 * using pool = fast.createPool()
 * ```
 *
 * Two kinds of objects: memspaces this program created (`new Memspace()`, {@link Memspace.fromNumaNodes},
 * {@link Memspace.clone}), which it owns and may change; and the four predefined ones
 * ({@link Memspace.hostAll} and the others), shared by the whole process and built by UMF from the
 * machine's topology: they cannot be changed or destroyed (clone one to change it).
 */
export class Memspace extends UmfHandle<umf_memspace_handle_t> {
  readonly #predefined: PredefinedMemspaceName | null

  /**
   * Creates an empty memspace (`umfMemspaceNew`), to fill with {@link Memspace.add}.
   *
   * @throws UmfError when C refuses
   */
  constructor()
  /** @internal */
  constructor(kind: typeof BORROW, handle: umf_memspace_handle_t, name: PredefinedMemspaceName)
  /** @internal */
  constructor(kind: 'own', handle: umf_memspace_handle_t)
  constructor(kind?: typeof BORROW | 'own', handle?: umf_memspace_handle_t, name?: PredefinedMemspaceName) {
    super()
    if (kind === BORROW) {
      this.#predefined = name!
      this.adopt(handle!, null, '', { borrowed: true })
      return
    }
    this.#predefined = null
    let h = handle
    if (kind !== 'own') {
      const out: [umf_memspace_handle_t | null] = [null]
      check(ffi.umfMemspaceNew(out), 'umfMemspaceNew')
      h = out[0]!
    }
    this.adopt(h!, ffi.umfMemspaceDestroy, 'umfMemspaceDestroy')
  }

  /**
   * A memspace of the given NUMA nodes, in that order (`umfMemspaceCreateFromNumaArray`).
   *
   * @param ids - NUMA node ids (operating-system indexes), at least one, none twice
   * @returns the new memspace
   * @throws ConfigError for a bad list; UmfError `UMF_RESULT_ERROR_INVALID_ARGUMENT` for a node the machine
   *   lacks, `UMF_RESULT_ERROR_NOT_SUPPORTED` without hwloc
   */
  static fromNumaNodes(ids: readonly number[]): Memspace {
    const list = parseConfig(NumaNodeIdsSchema, ids, 'NUMA node ids')
    const out: [umf_memspace_handle_t | null] = [null]
    check(ffi.umfMemspaceCreateFromNumaArray(Uint32Array.from(list), list.length, out), 'umfMemspaceCreateFromNumaArray')
    return new Memspace('own', out[0]!)
  }

  /**
   * A predefined memspace by name.
   *
   * @param name - `'HostAll'`, `'HighestCapacity'`, `'HighestBandwidth'` or `'LowestLatency'`
   * @returns it, or null when this machine or library has none (no hwloc; no HMAT values for the last two)
   * @throws TypeError for an unknown name
   */
  static predefined(name: PredefinedMemspaceName): Memspace | null {
    const get = Object.hasOwn(predefinedGetters, name) ? predefinedGetters[name] : undefined
    if (get === undefined) {
      throw new TypeError(`unknown predefined memspace ${JSON.stringify(name)}: use ${Object.keys(predefinedGetters).join(', ')}`)
    }
    const h = get()
    return h === null ? null : new Memspace(BORROW, h as umf_memspace_handle_t, name)
  }

  /**
   * Every NUMA node of the machine, in id order (`umfMemspaceHostAllGet`). A provider from it without a
   * policy leaves placement to the system.
   *
   * @returns the memspace, or null without hwloc
   */
  static hostAll(): Memspace | null {
    return Memspace.predefined('HostAll')
  }

  /**
   * The NUMA nodes from the largest to the smallest (`umfMemspaceHighestCapacityGet`). A provider from
   * it uses the largest node only.
   *
   * @returns the memspace, or null without hwloc
   */
  static highestCapacity(): Memspace | null {
    return Memspace.predefined('HighestCapacity')
  }

  /**
   * For each node's CPUs the node they reach with the highest bandwidth (`umfMemspaceHighestBandwidthGet`,
   * from hwloc's memory attributes: ACPI HMAT on real machines). CPU-less nodes (HBM, CXL) are handled,
   * where UMF 1.1 gives NULL.
   *
   * @returns the memspace, or null when the machine reports no bandwidth values
   */
  static highestBandwidth(): Memspace | null {
    return Memspace.predefined('HighestBandwidth')
  }

  /**
   * For each node's CPUs the node they reach with the lowest latency (`umfMemspaceLowestLatencyGet`).
   *
   * @returns the memspace, or null when the machine reports no latency values
   */
  static lowestLatency(): Memspace | null {
    return Memspace.predefined('LowestLatency')
  }

  /** The name of a predefined memspace, or null for one this program owns. */
  get predefinedName(): PredefinedMemspaceName | null {
    return this.#predefined
  }

  /** Whether this is one of the shared, unchangeable predefined memspaces. */
  get isPredefined(): boolean {
    return this.#predefined !== null
  }

  protected override describeSelf(): string {
    return this.#predefined ? `Memspace ${this.#predefined}` : 'Memspace'
  }

  /** How many targets it holds (`umfMemspaceMemtargetNum`). */
  get size(): number {
    return Number(ffi.umfMemspaceMemtargetNum(this.handle))
  }

  /**
   * One target (`umfMemspaceMemtargetGet`).
   *
   * @param index - from 0
   * @returns a snapshot of the target
   * @throws RangeError for an index outside the memspace
   */
  target(index: number): Memtarget {
    const n = this.size
    if (!Number.isInteger(index) || index < 0 || index >= n) {
      throw new RangeError(`target index must be an integer from 0 to ${n - 1}, got ${String(index)}`)
    }
    return Memtarget.read(ffi.umfMemspaceMemtargetGet(this.handle, index)!)
  }

  /** Snapshots of all its targets, in order. */
  get targets(): Memtarget[] {
    const out: Memtarget[] = []
    for (let i = 0, n = this.size; i < n; i++) out.push(Memtarget.read(ffi.umfMemspaceMemtargetGet(this.handle, i)!))
    return out
  }

  /** The ids (NUMA nodes) of its targets, in order. */
  get ids(): number[] {
    return this.targets.map((t) => t.id)
  }

  #mutable(what: string): umf_memspace_handle_t {
    const h = this.handle
    if (this.#predefined !== null) {
      throw new TypeError(`${what}: the predefined memspace ${this.#predefined} cannot be changed; clone() it first`)
    }
    return h
  }

  /** A live C handle of a target equal to t (same type and id): ours, else the machine's (HostAll). */
  static #findHandle(space: umf_const_memspace_handle_t | null, t: Memtarget): bigint | null {
    if (space === null) return null
    for (let i = 0, n = Number(ffi.umfMemspaceMemtargetNum(space)); i < n; i++) {
      const h = ffi.umfMemspaceMemtargetGet(space, i)!
      const m = Memtarget.read(h)
      if (m.id === t.id && m.type === t.type) return h
    }
    return null
  }

  static #checkTarget(t: unknown): Memtarget {
    if (!(t instanceof Memtarget)) throw new TypeError('target must be a Memtarget (from a memspace)')
    return t
  }

  /**
   * Adds a copy of a target at the end (`umfMemspaceMemtargetAdd`).
   *
   * @param target - a target of any memspace
   * @throws TypeError for a predefined memspace or a non-target; UmfError `UMF_RESULT_ERROR_INVALID_ARGUMENT`
   *   when it is already there or the machine has no such node
   */
  add(target: Memtarget): void {
    const h = this.#mutable('add')
    const t = Memspace.#checkTarget(target)
    const th = Memspace.#findHandle(this.handle, t) ?? Memspace.#findHandle(ffi.umfMemspaceHostAllGet(), t)
    if (th === null) throw new UmfError(ffi.UMF_RESULT_ERROR_INVALID_ARGUMENT, 'umfMemspaceMemtargetAdd')
    check(ffi.umfMemspaceMemtargetAdd(h, th as ffi.umf_const_memtarget_handle_t), 'umfMemspaceMemtargetAdd')
  }

  /**
   * Removes the target equal to `target` (`umfMemspaceMemtargetRemove`).
   *
   * @param target - a target (from this or any memspace)
   * @throws TypeError for a predefined memspace or a non-target; UmfError `UMF_RESULT_ERROR_INVALID_ARGUMENT`
   *   when it is not there
   */
  remove(target: Memtarget): void {
    const h = this.#mutable('remove')
    const t = Memspace.#checkTarget(target)
    const th = Memspace.#findHandle(h, t)
    if (th === null) throw new UmfError(ffi.UMF_RESULT_ERROR_INVALID_ARGUMENT, 'umfMemspaceMemtargetRemove')
    check(ffi.umfMemspaceMemtargetRemove(h, th as ffi.umf_const_memtarget_handle_t), 'umfMemspaceMemtargetRemove')
  }

  /**
   * A changeable copy (`umfMemspaceClone`), of a predefined memspace too.
   *
   * @returns the copy, owned by the caller
   */
  clone(): Memspace {
    const out: [umf_memspace_handle_t | null] = [null]
    check(ffi.umfMemspaceClone(this.handle, out), 'umfMemspaceClone')
    return new Memspace('own', out[0]!)
  }

  /**
   * Keeps only the targets whose id is listed (`umfMemspaceFilterById`); it may end up empty.
   *
   * @param ids - NUMA node ids
   * @returns this memspace
   * @throws TypeError for a predefined memspace; ConfigError for a bad list
   */
  filterById(ids: readonly number[]): this {
    const h = this.#mutable('filterById')
    const list = parseConfig(NumaNodeIdsSchema, ids, 'NUMA node ids')
    check(ffi.umfMemspaceFilterById(h, Uint32Array.from(list), list.length), 'umfMemspaceFilterById')
    return this
  }

  /**
   * Keeps only the targets of at least `bytes` (`umfMemspaceFilterByCapacity`); it may end up empty.
   *
   * @param bytes - the least capacity
   * @returns this memspace
   * @throws TypeError for a predefined memspace; ConfigError for a negative or too large size
   */
  filterByCapacity(bytes: number | bigint): this {
    const h = this.#mutable('filterByCapacity')
    const least = parseConfig(CapacitySchema, bytes, 'capacity')
    check(ffi.umfMemspaceFilterByCapacity(h, least), 'umfMemspaceFilterByCapacity')
    return this
  }

  /**
   * Keeps the targets for which `keep` returns true (`umfMemspaceUserFilter`). Every target is judged
   * before any is removed: when `keep` throws, nothing is removed and the exception is rethrown.
   *
   * @param keep - the predicate; it must return a boolean
   * @returns this memspace
   * @throws TypeError for a predefined memspace, a non-function or a non-boolean answer; whatever `keep` threw
   */
  filter(keep: (target: Memtarget, index: number) => boolean): this {
    const h = this.#mutable('filter')
    if (typeof keep !== 'function') throw new TypeError('filter needs a function (target) => boolean')
    let index = 0
    const trampoline = (_ms: unknown, t: ffi.umf_const_memtarget_handle_t | null): number => {
      try {
        const verdict = keep(Memtarget.read(t!), index++)
        if (typeof verdict !== 'boolean') {
          throw new TypeError(`the filter must return true or false, got ${typeof verdict}`)
        }
        return verdict ? 1 : 0
      } catch (e) {
        keepCallbackError(e)
        return -1
      }
    }
    const fn = koffi.register(trampoline, ffi.umf_memspace_filter_func_t)
    try {
      check(guarded(() => ffi.umfMemspaceUserFilter(h, fn, null)), 'umfMemspaceUserFilter')
    } finally {
      koffi.unregister(fn)
    }
    return this
  }

  /**
   * An OS memory provider placing memory on this memspace's nodes (`umfMemoryProviderCreateFromMemspace`).
   * Without a policy: HostAll leaves placement to the system, HighestCapacity binds to its largest node,
   * any other memspace binds to its nodes. The provider does not need the memspace or policy afterwards.
   *
   * @param policy - a {@link Mempolicy} or its params, or none
   * @returns the provider, owned by the caller
   * @throws ConfigError for bad policy params; UmfError `UMF_RESULT_ERROR_INVALID_ARGUMENT` for an empty
   *   memspace or a split share outside it
   */
  createProvider(policy?: Mempolicy | MempolicyParams): MemoryProvider {
    const h = this.handle
    const owned = policy === undefined || policy instanceof Mempolicy ? null : new Mempolicy(policy)
    try {
      const pol = owned ?? (policy as Mempolicy | undefined)
      const out: [umf_memory_provider_handle_t | null] = [null]
      check(
        guarded(() => ffi.umfMemoryProviderCreateFromMemspace(h, pol ? pol.handle : null, out)),
        'umfMemoryProviderCreateFromMemspace',
      )
      return MemoryProvider.adoptOwned(out[0]!)
    } finally {
      owned?.destroy()
    }
  }

  /**
   * A pool over a provider from this memspace ({@link Memspace.createProvider}), which the pool owns. By
   * default a disjoint pool with its default params, as `umfPoolCreateFromMemspace` creates; any built-in
   * pool kind can be chosen.
   *
   * @param policy - a {@link Mempolicy} or its params, or none
   * @param options - see {@link MemspacePoolOptionsSchema}
   * @returns the pool, owned by the caller
   * @throws ConfigError for bad options or pool params; UmfError as {@link Memspace.createProvider} or the pool
   */
  createPool(policy?: Mempolicy | MempolicyParams, options: MemspacePoolOptions = {}): MemoryPool {
    const opts = parseConfig(MemspacePoolOptionsSchema, options, 'Memspace.createPool options')
    if (opts.kind === 'proxy' && opts.params !== undefined) {
      throw new TypeError("a 'proxy' pool takes no params")
    }
    // the pool's own params are checked before the provider exists, so bad params leave nothing behind
    const params = opts.params ?? {}
    if (opts.kind === 'disjoint') DisjointPool.parseParams(params)
    if (opts.kind === 'jemalloc') JemallocPool.parseParams(params)
    if (opts.kind === 'scalable') ScalablePool.parseParams(params)
    const provider = this.createProvider(policy)
    const flags = { ownProvider: true, disableTracking: opts.disableTracking }
    try {
      switch (opts.kind) {
        case 'jemalloc':
          return new JemallocPool(provider, params, flags)
        case 'scalable':
          return new ScalablePool(provider, params, flags)
        case 'proxy':
          return new ProxyPool(provider, flags)
        default:
          return new DisjointPool(provider, params, flags)
      }
    } catch (e) {
      if (provider.alive) provider.destroy()
      throw e
    }
  }

  /**
   * Destroys a memspace this program owns (`umfMemspaceDestroy`); providers and pools created from it are
   * not affected.
   *
   * @throws TypeError for a predefined memspace
   */
  override destroy(): void {
    if (this.#predefined !== null) {
      throw new TypeError(`the predefined memspace ${this.#predefined} belongs to UMF and cannot be destroyed`)
    }
    super.destroy()
  }
}
