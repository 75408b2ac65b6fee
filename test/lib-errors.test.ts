// lib/errors.ts: UmfError from the one choke point (code, symbolic name, C function, provider native
// error), ConfigError with zod's issues, DestroyedError, and exceptions thrown by TypeScript callbacks.
import t from 'tap'
import { z } from 'zod'
import * as ffi from '../ffi/index.js'
import {
  ConfigError,
  DestroyedError,
  MemoryPool,
  MemoryProvider,
  OsMemoryProvider,
  ProxyPool,
  UmfError,
  check,
  lastNativeError,
  resultName,
  takeCallbackError,
} from '../lib/index.js'

t.test('resultName covers every umf_result_t', async (t) => {
  for (const [name, code] of Object.entries(ffi.umf_result_t)) t.equal(resultName(code), name)
  t.equal(resultName(3), 'UMF_RESULT_ERROR_INVALID_ARGUMENT')
  t.equal(resultName(12345), 'UMF_RESULT_12345')
})

t.test('check() passes success and throws UmfError otherwise', async (t) => {
  t.doesNotThrow(() => check(0, 'umfX'))
  const e = t.throws(() => check(ffi.UMF_RESULT_ERROR_NOT_SUPPORTED, 'umfPoolTrimMemory')) as UmfError
  t.ok(e instanceof UmfError)
  t.equal(e.name, 'UmfError')
  t.equal(e.code, 5)
  t.equal(e.codeName, 'UMF_RESULT_ERROR_NOT_SUPPORTED')
  t.equal(e.func, 'umfPoolTrimMemory')
  t.equal(e.nativeError, undefined)
  t.equal(e.message, 'umfPoolTrimMemory failed: UMF_RESULT_ERROR_NOT_SUPPORTED (5)')
})

t.test('a real C failure arrives as UmfError with the function name', async (t) => {
  using provider = new OsMemoryProvider()
  using pool = new ProxyPool(provider)
  const e = t.throws(() => pool.trim(0)) as UmfError
  t.equal(e.code, ffi.UMF_RESULT_ERROR_NOT_SUPPORTED)
  t.equal(e.func, 'umfPoolTrimMemory')
  const c = t.throws(() => pool.calloc(2, 8)) as UmfError
  t.equal(c.code, ffi.UMF_RESULT_ERROR_NOT_SUPPORTED, 'the proxy pool has no calloc: last allocation error')
  t.equal(c.func, 'umfPoolCalloc')
})

t.test('MEMORY_PROVIDER_SPECIFIC carries the provider native error', async (t) => {
  using provider = new OsMemoryProvider()
  using pool = new ProxyPool(provider)
  const huge = 1n << 52n
  const e = t.throws(() => provider.alloc(huge)) as UmfError
  t.equal(e.code, ffi.UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC)
  t.equal(e.codeName, 'UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC')
  t.same(e.nativeError, { message: e.nativeError?.message, code: ffi.UMF_OS_RESULT_ERROR_ALLOC_FAILED, provider: 'OS' })
  t.match(e.nativeError?.message, /^memory allocation failed: mmap failed/, "UMF's fixed text for 1001 comes first")
  t.match(e.message, /native error 1001/)
  t.same(provider.lastNativeError()?.code, 1001, 'the provider reports it too')
  t.equal(MemoryProvider.lastFailed(), provider, 'umfGetLastFailedMemoryProvider is this provider')
  // through a pool: NULL, then umfPoolGetLastAllocationError, then the native error
  const p = t.throws(() => pool.malloc(huge)) as UmfError
  t.equal(p.func, 'umfPoolMalloc')
  t.equal(p.code, ffi.UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC)
  t.equal(p.nativeError?.code, 1001)
  t.equal(p.nativeError?.provider, 'OS')
  t.equal(pool.lastAllocationError(), ffi.UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC)
  t.equal(lastNativeError()?.code, 1001, 'lastNativeError() asks the last failed provider')
})

t.test('ConfigError carries zod issues and pretty text', async (t) => {
  const e = t.throws(() => new OsMemoryProvider({ visibility: 'public', extra: 1 } as never)) as ConfigError
  t.ok(e instanceof ConfigError)
  t.equal(e.name, 'ConfigError')
  t.match(e.message, /^invalid OsMemoryProvider params:\n/)
  t.match(e.message, /Unrecognized key: "extra"/)
  t.match(e.message, /→ at visibility/)
  t.equal(e.issues.length, 2)
  t.same(e.issues.map((i) => i.code).sort(), ['invalid_value', 'unrecognized_keys'])
  const direct = new ConfigError('thing', new z.ZodError([{ code: 'custom', message: 'bad', path: ['x'], input: 1 }]))
  t.match(direct.message, /invalid thing:\n✖ bad\n {2}→ at x/)
})

t.test('DestroyedError tells destroyed from moved', async (t) => {
  t.equal(new DestroyedError('Pool', 'destroyed').message, 'Pool was destroyed and can no longer be used')
  t.match(new DestroyedError('Provider', 'moved').message, /moved: a pool owns it now/)
})

t.test('an exception thrown by a TypeScript provider reaches the caller of the lib call', async (t) => {
  const boom = new Error('provider exploded')
  let mode: 'throw' | 'null' | 'umf' | 'native' = 'throw'
  using provider = new MemoryProvider({
    name: 'thrower',
    alloc: () => {
      if (mode === 'throw') throw boom
      if (mode === 'umf') throw new UmfError(ffi.UMF_RESULT_ERROR_OUT_OF_RESOURCES, 'thrower.alloc')
      if (mode === 'native') throw Object.assign(new Error('device on fire'), { nativeCode: 77 })
      return null
    },
    free: () => {
      throw new RangeError('free refused')
    },
  })
  using pool = new ProxyPool(provider)
  t.equal(t.throws(() => pool.malloc(8)), boom, 'pool.malloc rethrows the very exception')
  t.equal(t.throws(() => provider.alloc(8)), boom, 'provider.alloc too')
  t.equal(pool.lastAllocationError(), ffi.UMF_RESULT_ERROR_USER_SPECIFIC, 'C got USER_SPECIFIC')
  mode = 'null'
  const oom = t.throws(() => pool.malloc(8)) as UmfError
  t.equal(oom.code, ffi.UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY, 'alloc returning null is out of memory')
  mode = 'umf'
  const res = t.throws(() => pool.malloc(8)) as UmfError
  t.equal(res.code, ffi.UMF_RESULT_ERROR_OUT_OF_RESOURCES, 'a thrown UmfError surfaces as it is')
  t.equal(pool.lastAllocationError(), ffi.UMF_RESULT_ERROR_OUT_OF_RESOURCES, 'and C got its code')
  mode = 'native'
  t.throws(() => provider.alloc(8), /device on fire/)
  t.same(provider.lastNativeError(), { message: 'device on fire', code: 77, provider: 'thrower' }, 'native error from the exception')
  const fe = t.throws(() => provider.free(0x1000n, 8))
  t.ok(fe instanceof RangeError, 'free exception surfaces with its class')
  // the same call from ffi/: no lib call runs, so the exception is kept for takeCallbackError()
  mode = 'throw'
  const out: [bigint | null] = [null]
  t.equal(ffi.umfMemoryProviderAlloc(provider.handle, 8, 0, out), ffi.UMF_RESULT_ERROR_USER_SPECIFIC)
  t.equal(takeCallbackError(), boom, 'takeCallbackError returns it')
  t.equal(takeCallbackError(), undefined, 'once')
  t.doesNotThrow(() => provider.name, 'nothing stale is thrown by the next lib call')
})

t.test('an exception thrown by a TypeScript pool reaches the caller; C sees NULL + USER_SPECIFIC', async (t) => {
  using provider = new OsMemoryProvider()
  const err = new TypeError('pool exploded')
  using pool = new MemoryPool({ name: 'throwpool', malloc: () => { throw err }, free: () => { throw err }, trim: () => { throw err } }, provider)
  t.equal(t.throws(() => pool.malloc(8)), err)
  t.equal(t.throws(() => pool.trim()), err)
  t.equal(ffi.umfPoolMalloc(pool.handle, 8), null, 'umfPoolMalloc from ffi/ gets NULL')
  t.equal(ffi.umfPoolGetLastAllocationError(pool.handle), ffi.UMF_RESULT_ERROR_USER_SPECIFIC)
  t.equal(takeCallbackError(), err)
  t.equal(ffi.umfPoolTrimMemory(pool.handle, 0), ffi.UMF_RESULT_ERROR_USER_SPECIFIC, 'result ops get USER_SPECIFIC')
  t.equal(takeCallbackError(), err)
})

t.test('a TypeScript pool whose initialize throws: the constructor throws it, nothing stays registered', async (t) => {
  const { liveTypeScriptPools } = await import('../lib/testing.js')
  using provider = new OsMemoryProvider()
  const err = new Error('no init for you')
  t.equal(t.throws(() => new MemoryPool({ name: 'noinit', initialize: () => { throw err }, malloc: () => null, free: () => {} }, provider)), err)
  t.equal(liveTypeScriptPools(), 0, 'its id was released')
  t.doesNotThrow(() => provider.destroy(), 'and the provider has no dependent left')
})
