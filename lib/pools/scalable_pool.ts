/**
 * The scalable pool (`umf/pools/pool_scalable.h`): {@link ScalablePool}.
 *
 * @module pools/scalable_pool
 */
import * as ffi from '../../ffi/index.js'
import type { umf_scalable_pool_params_handle_t } from '../../ffi/index.js'
import { parseConfig } from '../config/parse.js'
import { BuiltinPoolOptionsSchema, type BuiltinPoolOptions } from '../config/builtin_pool.js'
import { ScalablePoolParamsSchema, type ScalablePoolParams, type ScalablePoolParamsParsed } from '../config/scalable_pool.js'
import { UmfError, check } from '../errors.js'
import { MemoryPool } from '../memory_pool.js'
import { buildParamsHandle, type MemoryProvider, type ParamsHandle } from '../memory_provider.js'
import { notBuiltIn, withHint } from '../hint.js'

function buildParams(p: ScalablePoolParamsParsed): ParamsHandle {
  return buildParamsHandle(
    (out: [umf_scalable_pool_params_handle_t | null]) => ffi.umfScalablePoolParamsCreate(out),
    'umfScalablePoolParamsCreate',
    ffi.umfScalablePoolParamsDestroy,
    (h) => {
      check(ffi.umfScalablePoolParamsSetGranularity(h, p.granularity), 'umfScalablePoolParamsSetGranularity')
      check(ffi.umfScalablePoolParamsSetKeepAllMemory(h, p.keepAllMemory), 'umfScalablePoolParamsSetKeepAllMemory')
      check(ffi.umfScalablePoolParamsSetName(h, p.name), 'umfScalablePoolParamsSetName')
    },
  )
}

/**
 * The scalable pool: a oneTBB tbbmalloc memory pool whose memory comes from the provider, in blocks of
 * at least `granularity` bytes. malloc, calloc, realloc, alignedMalloc, usableSize and free are
 * supported; trim is not (`UMF_RESULT_ERROR_NOT_SUPPORTED`).
 *
 * ```ts
 * using provider = new OsMemoryProvider()
 * using pool = new ScalablePool(provider)
 * ```
 *
 * tbbmalloc (`libtbbmalloc.so.2`, Debian's libtbbmalloc2) is loaded when the first scalable pool is
 * created; without it the constructor throws {@link UmfError} `UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE`.
 */
export class ScalablePool extends MemoryPool {
  /** The params the pool was created with, after validation and defaults. */
  readonly params: Readonly<ScalablePoolParamsParsed>

  /**
   * Creates a scalable pool over a provider.
   *
   * Its params, with UMF's defaults (checked by {@link ScalablePoolParamsSchema}):
   *
   * | key | C setter | values | default |
   * |---|---|---|---|
   * | `granularity` | `umfScalablePoolParamsSetGranularity` | bytes above 0: the smallest block the pool asks its provider for | 2 MiB |
   * | `keepAllMemory` | `umfScalablePoolParamsSetKeepAllMemory` | true: keep every block until the pool is destroyed | false |
   * | `name` | `umfScalablePoolParamsSetName` | 1 to 63 characters of `[A-Za-z0-9_-]` | `'scalable'` |
   * | `extendedStats` | (none: `params.extended_stats` through CTL, this library's extension) | true: keep {@link MemoryPool.extendedStats} | false |
   *
   * @param provider - the provider
   * @param params - see {@link ScalablePoolParamsSchema}
   * @param options - `ownProvider`, `disableTracking`
   * @throws ConfigError for bad params or options; UmfError `UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE`
   *   without tbbmalloc, `UMF_RESULT_ERROR_NOT_SUPPORTED` when libumf was built without the pool
   */
  constructor(provider: MemoryProvider, params: ScalablePoolParams = {}, options: BuiltinPoolOptions = {}) {
    const parsed = ScalablePool.parseParams(params)
    const opts = parseConfig(BuiltinPoolOptionsSchema, options, 'ScalablePool options')
    const ops = ffi.umfScalablePoolOps()
    if (ops === null) {
      throw notBuiltIn('umfScalablePoolOps', 'this libumf was built without the scalable pool (UMF_WITH_SCALABLE=OFF)')
    }
    try {
      super(ops, provider, opts, buildParams(parsed))
    } catch (e) {
      if (e instanceof UmfError && e.func === 'umfPoolCreate' && e.code === ffi.UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE) {
        withHint(e, 'oneTBB tbbmalloc (libtbbmalloc.so.2) could not be loaded; install libtbbmalloc2')
      }
      throw e
    }
    this.params = Object.freeze(parsed)
    if (parsed.extendedStats) this.startExtendedStats()
  }

  /**
   * Validates params without creating a pool.
   *
   * @param params - the params
   * @returns the params with UMF's defaults filled in
   * @throws ConfigError
   */
  static parseParams(params: unknown): ScalablePoolParamsParsed {
    return parseConfig(ScalablePoolParamsSchema, params, 'ScalablePool params')
  }
}
