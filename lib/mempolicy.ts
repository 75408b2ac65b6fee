/**
 * Memory policies (`umf/experimental/mempolicy.h`): {@link Mempolicy}.
 *
 * @module mempolicy
 */
import * as ffi from '../ffi/index.js'
import type { umf_mempolicy_handle_t } from '../ffi/index.js'
import {
  MEMPOLICY_BIND_VALUES,
  MempolicyParamsSchema,
  type MempolicyParams,
  type MempolicyParamsParsed,
} from './config/memspace.js'
import { parseConfig } from './config/parse.js'
import { check } from './errors.js'
import { UmfHandle } from './handle.js'

/**
 * How a provider or pool from a {@link Memspace} places memory on the memspace's targets.
 *
 * ```ts
 * using policy = new Mempolicy({ bind: 'interleave', partSize: 2 * 4096 })
 * using provider = memspace.createProvider(policy)
 * ```
 *
 * | key | C | values | default |
 * |---|---|---|---|
 * | `bind` | `umfMempolicyCreate` | `'interleave'`, `'bind'`, `'preferred'`, `'split'` | required |
 * | `partSize` | `umfMempolicySetInterleavePartSize` | bytes per node in turn (`'interleave'` only) | 0: page by page |
 * | `partitions` | `umfMempolicySetCustomSplitPartitions` | `{ weight, target }` shares (`'split'` only) | equal shares |
 *
 * A split share's `target` is the id (NUMA node) of a target of the memspace; a share on a node outside it
 * makes the provider's creation fail with `UMF_RESULT_ERROR_INVALID_ARGUMENT`.
 */
export class Mempolicy extends UmfHandle<umf_mempolicy_handle_t> {
  /** The params after validation. */
  readonly params: Readonly<MempolicyParamsParsed>

  /**
   * Creates a policy.
   *
   * @param params - see {@link MempolicyParamsSchema}
   * @throws ConfigError for bad params; UmfError when C refuses
   */
  constructor(params: MempolicyParams) {
    super()
    const p = Mempolicy.parseParams(params)
    const out: [umf_mempolicy_handle_t | null] = [null]
    check(ffi.umfMempolicyCreate(MEMPOLICY_BIND_VALUES[p.bind] as ffi.umf_mempolicy_membind_t, out), 'umfMempolicyCreate')
    const h = out[0]!
    this.adopt(h, ffi.umfMempolicyDestroy, 'umfMempolicyDestroy')
    try {
      if (p.partSize !== undefined) check(ffi.umfMempolicySetInterleavePartSize(h, p.partSize), 'umfMempolicySetInterleavePartSize')
      if (p.partitions !== undefined) {
        const parts = p.partitions.map((x) => ({ weight: x.weight, target: x.target }))
        check(ffi.umfMempolicySetCustomSplitPartitions(h, parts, parts.length), 'umfMempolicySetCustomSplitPartitions')
      }
    } catch (e) {
      this.destroy()
      throw e
    }
    this.params = Object.freeze(p)
  }

  /** The placement: `'interleave'`, `'bind'`, `'preferred'` or `'split'`. */
  get bind(): MempolicyParamsParsed['bind'] {
    return this.params.bind
  }

  /**
   * Validates params without creating a policy.
   *
   * @param params - the params
   * @returns the parsed params
   * @throws ConfigError
   */
  static parseParams(params: unknown): MempolicyParamsParsed {
    return parseConfig(MempolicyParamsSchema, params, 'Mempolicy params')
  }
}
