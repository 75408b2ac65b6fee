/**
 * Counters of lib/'s own bookkeeping, for this repository's tests (leak and lifetime checks). They are not
 * part of the package's API: the package's index does not export them and the documentation omits them.
 *
 * @internal
 * @module testing
 */
export { finalizedObjects } from './handle.js'
export { liveTypeScriptProviders } from './memory_provider.js'
export { liveTypeScriptPools } from './memory_pool.js'
export { registeredCallbacks } from './callbacks.js'
