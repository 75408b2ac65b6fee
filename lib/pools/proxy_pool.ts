/**
 * The proxy pool (`umf/pools/pool_proxy.h`): {@link ProxyPool}.
 *
 * @module pools/proxy_pool
 */
import * as ffi from '../../ffi/index.js'
import { parseConfig } from '../config/parse.js'
import { PoolOptionsSchema, type PoolOptions } from '../config/pool.js'
import { MemoryPool } from '../memory_pool.js'
import type { MemoryProvider } from '../memory_provider.js'

const ProxyPoolOptionsSchema = PoolOptionsSchema.omit({ params: true })

/** Options of {@link ProxyPool}: `ownProvider` and `disableTracking` (it takes no params). */
export type ProxyPoolOptions = Omit<PoolOptions, 'params'>

/**
 * The proxy pool: every allocation is one allocation of the provider (no caching). calloc, realloc and
 * usableSize are not supported (`UMF_RESULT_ERROR_NOT_SUPPORTED`), and freeing needs tracking.
 */
export class ProxyPool extends MemoryPool {
  /**
   * Creates a proxy pool over a provider.
   *
   * @param provider - the provider
   * @param options - `ownProvider`, `disableTracking`
   */
  constructor(provider: MemoryProvider, options: ProxyPoolOptions = {}) {
    const opts = parseConfig(ProxyPoolOptionsSchema, options, 'ProxyPool options')
    const ops = ffi.umfProxyPoolOps()
    if (ops === null) throw new Error('this libumf was built without the proxy pool')
    super(ops, provider, opts)
  }
}
