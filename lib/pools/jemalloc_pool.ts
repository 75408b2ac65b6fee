/**
 * The jemalloc pool (`umf/pools/pool_jemalloc.h`): {@link JemallocPool}.
 *
 * @module pools/jemalloc_pool
 */
import * as ffi from '../../ffi/index.js'
import type { umf_jemalloc_pool_params_handle_t } from '../../ffi/index.js'
import { JemallocPoolParamsSchema, type JemallocPoolParams, type JemallocPoolParamsParsed } from '../config/jemalloc_pool.js'
import { parseConfig } from '../config/parse.js'
import { BuiltinPoolOptionsSchema, type BuiltinPoolOptions } from '../config/builtin_pool.js'
import { UmfError, check } from '../errors.js'
import { MemoryPool } from '../memory_pool.js'
import { buildParamsHandle, type MemoryProvider, type ParamsHandle } from '../memory_provider.js'
import { notBuiltIn, withHint } from '../hint.js'

function buildParams(p: JemallocPoolParamsParsed): ParamsHandle {
  return buildParamsHandle(
    (out: [umf_jemalloc_pool_params_handle_t | null]) => ffi.umfJemallocPoolParamsCreate(out),
    'umfJemallocPoolParamsCreate',
    ffi.umfJemallocPoolParamsDestroy,
    (h) => {
      check(ffi.umfJemallocPoolParamsSetNumArenas(h, p.numArenas), 'umfJemallocPoolParamsSetNumArenas')
      check(ffi.umfJemallocPoolParamsSetName(h, p.name), 'umfJemallocPoolParamsSetName')
    },
  )
}

/**
 * The jemalloc pool: jemalloc arenas whose memory comes from the provider (through extent hooks). Every
 * allocation function is supported; trim purges the arenas' unused pages.
 *
 * ```ts
 * using provider = new OsMemoryProvider()
 * using pool = new JemallocPool(provider, { numArenas: 4 })
 * ```
 *
 * Needs:
 * - a libumf built with jemalloc (else the constructor throws {@link UmfError} `UMF_RESULT_ERROR_NOT_SUPPORTED`);
 * - a provider that can split and merge allocations (else `UMF_RESULT_ERROR_NOT_SUPPORTED` at creation).
 *
 * jemalloc 5.3.0 is linked into libumf (names prefixed and hidden, as UMF does), so no special environment
 * is needed and the process's own `malloc` stays glibc's. The pool never writes to provider memory itself:
 * its metadata lives in host memory, so it works over memory the program cannot touch (protection `none`).
 */
export class JemallocPool extends MemoryPool {
  /** The params the pool was created with, after validation and defaults. */
  readonly params: Readonly<JemallocPoolParamsParsed>

  /**
   * Creates a jemalloc pool over a provider.
   *
   * Its params, with UMF's defaults (checked by {@link JemallocPoolParamsSchema}):
   *
   * | key | C setter | values | default |
   * |---|---|---|---|
   * | `numArenas` | `umfJemallocPoolParamsSetNumArenas` | 0 (four per CPU) to 4095 | 0 |
   * | `name` | `umfJemallocPoolParamsSetName` | 1 to 63 characters of `[A-Za-z0-9_-]` | `'jemalloc'` |
   * | `extendedStats` | (none: `params.extended_stats` through CTL, this library's extension) | true: keep {@link MemoryPool.extendedStats} | false |
   *
   * @param provider - the provider (it must support allocationSplit/allocationMerge)
   * @param params - see {@link JemallocPoolParamsSchema}
   * @param options - `ownProvider`, `disableTracking`
   * @throws ConfigError for bad params or options; UmfError `UMF_RESULT_ERROR_NOT_SUPPORTED` without
   *   jemalloc or for a provider that cannot split
   */
  constructor(provider: MemoryProvider, params: JemallocPoolParams = {}, options: BuiltinPoolOptions = {}) {
    const parsed = JemallocPool.parseParams(params)
    const opts = parseConfig(BuiltinPoolOptionsSchema, options, 'JemallocPool options')
    const ops = ffi.umfJemallocPoolOps()
    if (ops === null) {
      throw notBuiltIn('umfJemallocPoolOps', 'this libumf was built without the jemalloc pool (scripts/jemalloc.sh builds jemalloc 5.3.0; then rebuild libumf)')
    }
    try {
      super(ops, provider, opts, buildParams(parsed))
    } catch (e) {
      if (e instanceof UmfError && e.func === 'umfPoolCreate') {
        if (e.code === ffi.UMF_RESULT_ERROR_NOT_SUPPORTED) {
          withHint(e, 'the jemalloc pool needs a provider that supports allocationSplit and allocationMerge')
        }
      }
      throw e
    }
    this.params = Object.freeze(parsed)
    if (parsed.extendedStats) this.startExtendedStats()
  }

  /**
   * Whether this libumf has the jemalloc pool (`umfJemallocPoolOps()` is not NULL).
   */
  static get available(): boolean {
    return ffi.umfJemallocPoolOps() !== null
  }

  /**
   * Validates params without creating a pool.
   *
   * @param params - the params
   * @returns the params with UMF's defaults filled in
   * @throws ConfigError
   */
  static parseParams(params: unknown): JemallocPoolParamsParsed {
    return parseConfig(JemallocPoolParamsSchema, params, 'JemallocPool params')
  }
}
