/**
 * The disjoint pool (`umf/pools/pool_disjoint.h`): {@link DisjointPool}, and the
 * {@link DisjointPoolSharedLimits} several of them can share.
 *
 * @module pools/disjoint_pool
 */
import * as ffi from '../../ffi/index.js'
import type { umf_disjoint_pool_params_handle_t } from '../../ffi/index.js'
import { DisjointPoolParamsSchema, type DisjointPoolParams, type DisjointPoolParamsParsed } from '../config/disjoint_pool.js'
import { parseConfig } from '../config/parse.js'
import { BuiltinPoolOptionsSchema, type BuiltinPoolOptions } from '../config/builtin_pool.js'
import { UmfError, check } from '../errors.js'
import { MemoryPool } from '../memory_pool.js'
import { buildParamsHandle, type MemoryProvider, type ParamsHandle } from '../memory_provider.js'

export { DisjointPoolSharedLimits } from './disjoint_pool_shared_limits.js'

/** Builds the C params object; on a failure it is destroyed before the error is thrown. */
function buildParams(p: DisjointPoolParamsParsed): ParamsHandle {
  return buildParamsHandle(
    (out: [umf_disjoint_pool_params_handle_t | null]) => ffi.umfDisjointPoolParamsCreate(out),
    'umfDisjointPoolParamsCreate',
    ffi.umfDisjointPoolParamsDestroy,
    (h) => {
      check(ffi.umfDisjointPoolParamsSetSlabMinSize(h, p.slabMinSize), 'umfDisjointPoolParamsSetSlabMinSize')
      check(ffi.umfDisjointPoolParamsSetMaxPoolableSize(h, p.maxPoolableSize), 'umfDisjointPoolParamsSetMaxPoolableSize')
      check(ffi.umfDisjointPoolParamsSetCapacity(h, p.capacity), 'umfDisjointPoolParamsSetCapacity')
      check(ffi.umfDisjointPoolParamsSetMinBucketSize(h, p.minBucketSize), 'umfDisjointPoolParamsSetMinBucketSize')
      check(ffi.umfDisjointPoolParamsSetTrace(h, p.trace), 'umfDisjointPoolParamsSetTrace')
      check(ffi.umfDisjointPoolParamsSetName(h, p.name), 'umfDisjointPoolParamsSetName')
      // .handle throws DestroyedError for destroyed limits, before C sees the pointer
      const limits = p.sharedLimits === null ? null : p.sharedLimits.handle
      check(ffi.umfDisjointPoolParamsSetSharedLimits(h, limits), 'umfDisjointPoolParamsSetSharedLimits')
    },
    p.sharedLimits === null ? [] : [p.sharedLimits],
  )
}

let defaultParams: DisjointPoolParamsParsed | undefined

/** Whether a value is `{}` (a plain object without own properties): the params that give the defaults. */
function isEmptyPlainObject(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype) return false
  return Reflect.ownKeys(v).length === 0
}

/**
 * The disjoint pool: allocations up to `maxPoolableSize` are chunks of size classes (`minBucketSize`,
 * then x1.5 and x2 steps: 8, 12, 16, 24, 32...) cut from slabs of at least `slabMinSize` bytes taken from
 * the provider; larger ones go straight to the provider. Each class keeps up to `capacity` empty slabs
 * for reuse (and, with {@link DisjointPoolSharedLimits}, within a byte limit shared with other pools);
 * {@link MemoryPool.trim} gives them back. malloc, calloc, realloc, alignedMalloc, usableSize, free and
 * trim are all supported.
 *
 * ```ts
 * using provider = new OsMemoryProvider()
 * using pool = new DisjointPool(provider, { slabMinSize: 256 * 1024, capacity: 2 })
 * const p = pool.malloc(100)      // a chunk of the 128-byte class
 * pool.usableSize(p)              // 128
 * pool.free(p)
 * ```
 *
 * The params are validated by {@link DisjointPoolParamsSchema} (a {@link ConfigError} lists every problem)
 * before the C params object is built; it is destroyed once the pool exists (or its creation failed).
 */
export class DisjointPool extends MemoryPool {
  /** The params the pool was created with, after validation and defaults. */
  readonly params: Readonly<DisjointPoolParamsParsed>

  /**
   * Creates a disjoint pool over a provider.
   *
   * Its params, with UMF's defaults (checked by {@link DisjointPoolParamsSchema}):
   *
   * | key | C setter | values | default |
   * |---|---|---|---|
   * | `slabMinSize` | `umfDisjointPoolParamsSetSlabMinSize` | bytes, at least 1: the smallest block the pool takes from its provider | 64 KiB |
   * | `maxPoolableSize` | `…SetMaxPoolableSize` | bytes; larger allocations go straight to the provider (0: all of them) | 2 MiB |
   * | `capacity` | `…SetCapacity` | empty slabs kept per size class (0: none) | 4 |
   * | `minBucketSize` | `…SetMinBucketSize` | the smallest size class: a power of 2 | 8 |
   * | `trace` | `…SetTrace` | 0 (none) to 3 (every operation logged through `UMF_LOG`) | 0 |
   * | `name` | `…SetName` | 1 to 63 characters of `[A-Za-z0-9_-]` | `'disjoint'` |
   * | `sharedLimits` | `…SetSharedLimits` | a {@link DisjointPoolSharedLimits}, or null | null |
   * | `extendedStats` | (none: `params.extended_stats` through CTL, this library's extension) | true: keep {@link MemoryPool.extendedStats} | false |
   *
   * @param provider - the provider
   * @param params - see {@link DisjointPoolParamsSchema}
   * @param options - `ownProvider`, `disableTracking`
   * @throws ConfigError for bad params or options; DestroyedError for a destroyed provider or shared limits;
   *   UmfError when C refuses
   */
  constructor(provider: MemoryProvider, params: DisjointPoolParams = {}, options: BuiltinPoolOptions = {}) {
    const parsed = DisjointPool.parseParams(params)
    const opts = parseConfig(BuiltinPoolOptionsSchema, options, 'DisjointPool options')
    const ops = ffi.umfDisjointPoolOps()
    if (ops === null) throw new UmfError(ffi.UMF_RESULT_ERROR_NOT_SUPPORTED, 'umfDisjointPoolOps')
    super(ops, provider, opts, buildParams(parsed))
    this.params = Object.freeze(parsed)
    if (parsed.extendedStats) this.startExtendedStats()
  }

  /** The shared limits the pool was created with, or null. */
  get sharedLimits(): DisjointPoolParamsParsed['sharedLimits'] {
    return this.params.sharedLimits
  }

  /**
   * Validates params without creating a pool.
   *
   * @param params - the params
   * @returns the params with UMF's defaults filled in
   * @throws ConfigError
   */
  static parseParams(params: unknown): DisjointPoolParamsParsed {
    // the defaults, parsed once and shared (frozen): most pools use them, and each pool keeps its params
    if (isEmptyPlainObject(params)) return (defaultParams ??= Object.freeze(parseConfig(DisjointPoolParamsSchema, {}, 'DisjointPool params')))
    return parseConfig(DisjointPoolParamsSchema, params, 'DisjointPool params')
  }
}
