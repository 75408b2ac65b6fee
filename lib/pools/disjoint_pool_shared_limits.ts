/**
 * The shared limits of disjoint pools (`umfDisjointPoolSharedLimitsCreate`): {@link DisjointPoolSharedLimits}.
 *
 * @module pools/disjoint_pool_shared_limits
 */
import * as ffi from '../../ffi/index.js'
import type { umf_disjoint_pool_shared_limits_handle_t } from '../../ffi/index.js'
import { check } from '../errors.js'
import { UmfHandle } from '../handle.js'
import { toSize, type Size } from '../validate.js'

/**
 * A limit shared by several disjoint pools: the bytes of empty slabs that all of them together keep cached
 * instead of giving back to their providers (each pool also keeps at most `capacity` empty slabs per size
 * class). Pass it as the `sharedLimits` param of each {@link DisjointPool}.
 *
 * ```ts
 * using limits = new DisjointPoolSharedLimits(1 << 20)   // 1 MiB of cached slabs across both pools
 * using a = new DisjointPool(provider, { sharedLimits: limits })
 * using b = new DisjointPool(provider, { sharedLimits: limits })
 * ```
 *
 * Pools created with it keep it alive: `destroy()` throws while one of them is alive, and the garbage
 * collector never reclaims it before them.
 */
export class DisjointPoolSharedLimits extends UmfHandle<umf_disjoint_pool_shared_limits_handle_t> {
  /** The limit, in bytes, as given. */
  readonly maxSize: Size

  /**
   * Creates shared limits.
   *
   * @param maxSize - bytes of empty slabs the pools sharing it may keep cached together (0: none)
   * @throws TypeError or RangeError for a bad size; UmfError when C refuses
   */
  constructor(maxSize: Size) {
    super()
    toSize(maxSize, 'maxSize')
    const out: [umf_disjoint_pool_shared_limits_handle_t | null] = [null]
    check(ffi.umfDisjointPoolSharedLimitsCreate(maxSize, out), 'umfDisjointPoolSharedLimitsCreate')
    this.adopt(out[0]!, ffi.umfDisjointPoolSharedLimitsDestroy, 'umfDisjointPoolSharedLimitsDestroy')
    this.maxSize = maxSize
  }
}
