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
 * - a provider that can split and merge allocations (else `UMF_RESULT_ERROR_NOT_SUPPORTED` at creation);
 * - Debian's libjemalloc2 loadable at run time: its initial-exec TLS needs spare static TLS, so start node
 *   with `GLIBC_TUNABLES=glibc.rtld.optional_static_tls=16384` (else `UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE`).
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
   *
   * @param provider - the provider (it must support allocationSplit/allocationMerge)
   * @param params - see {@link JemallocPoolParamsSchema}
   * @param options - `ownProvider`, `disableTracking`
   * @throws ConfigError for bad params or options; UmfError `UMF_RESULT_ERROR_NOT_SUPPORTED` without
   *   jemalloc or for a provider that cannot split, `UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE` when
   *   libjemalloc cannot be loaded
   */
  constructor(provider: MemoryProvider, params: JemallocPoolParams = {}, options: BuiltinPoolOptions = {}) {
    const parsed = JemallocPool.parseParams(params)
    const opts = parseConfig(BuiltinPoolOptionsSchema, options, 'JemallocPool options')
    const ops = ffi.umfJemallocPoolOps()
    if (ops === null) {
      throw notBuiltIn('umfJemallocPoolOps', 'this libumf was built without the jemalloc pool (install libjemalloc-dev and rebuild it)')
    }
    try {
      super(ops, provider, opts, buildParams(parsed))
    } catch (e) {
      if (e instanceof UmfError && e.func === 'umfPoolCreate') {
        if (e.code === ffi.UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE) {
          withHint(
            e,
            'libjemalloc.so.2 could not be loaded (install libjemalloc2; if it is installed, start node with ' +
              'GLIBC_TUNABLES=glibc.rtld.optional_static_tls=16384 so that its static TLS fits)',
          )
        } else if (e.code === ffi.UMF_RESULT_ERROR_NOT_SUPPORTED) {
          withHint(e, 'the jemalloc pool needs a provider that supports allocationSplit and allocationMerge')
        }
      }
      throw e
    }
    this.params = Object.freeze(parsed)
  }

  /**
   * Whether this libumf has the jemalloc pool (`umfJemallocPoolOps()` is not NULL). Loading libjemalloc
   * may still fail at creation.
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
