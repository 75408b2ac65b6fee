// The OS memory provider under the proxy pool, through the raw ffi/ layer only: the path a C program
// ported line by line takes. Every result code is asserted.
import t from 'tap'
import koffi from 'koffi'
import * as ffi from '../ffi/index.js'
import type { umf_memory_pool_handle_t, umf_memory_provider_handle_t, umf_os_memory_provider_params_handle_t } from '../ffi/index.js'

const { UMF_RESULT_SUCCESS } = ffi

t.test('OS provider + proxy pool: allocate, write, read back, find, free', async (t) => {
  // params
  const paramsOut: [umf_os_memory_provider_params_handle_t | null] = [null]
  t.equal(ffi.umfOsMemoryProviderParamsCreate(paramsOut), UMF_RESULT_SUCCESS, 'umfOsMemoryProviderParamsCreate')
  const params = paramsOut[0]
  t.type(params, 'bigint', 'params handle is a bigint')
  t.not(params, 0n)
  t.equal(ffi.umfOsMemoryProviderParamsSetProtection(params, ffi.UMF_PROTECTION_READ | ffi.UMF_PROTECTION_WRITE), UMF_RESULT_SUCCESS)
  t.equal(ffi.umfOsMemoryProviderParamsSetVisibility(params, ffi.UMF_MEM_MAP_PRIVATE), UMF_RESULT_SUCCESS)

  // provider
  const osOps = ffi.umfOsMemoryProviderOps()
  t.type(osOps, 'bigint', 'umfOsMemoryProviderOps() returns the ops table address')
  const providerOut: [umf_memory_provider_handle_t | null] = [null]
  t.equal(ffi.umfMemoryProviderCreate(osOps, params, providerOut), UMF_RESULT_SUCCESS, 'umfMemoryProviderCreate')
  const provider = providerOut[0]
  t.type(provider, 'bigint')
  t.equal(ffi.umfOsMemoryProviderParamsDestroy(params), UMF_RESULT_SUCCESS, 'params can go once the provider exists')

  const name: [string | null] = [null]
  t.equal(ffi.umfMemoryProviderGetName(provider, name), UMF_RESULT_SUCCESS)
  t.equal(name[0], 'OS', 'const char ** out-parameter arrives as a string')
  const page: [number | bigint | null] = [null]
  t.equal(ffi.umfMemoryProviderGetMinPageSize(provider, null, page), UMF_RESULT_SUCCESS)
  t.ok(Number(page[0]) >= 4096, `min page size ${page[0]}`)

  // pool
  const poolOut: [umf_memory_pool_handle_t | null] = [null]
  t.equal(ffi.umfPoolCreate(ffi.umfProxyPoolOps(), provider, null, ffi.UMF_POOL_CREATE_FLAG_NONE, poolOut), UMF_RESULT_SUCCESS, 'umfPoolCreate')
  const pool = poolOut[0]
  t.type(pool, 'bigint')
  const poolName: [string | null] = [null]
  t.equal(ffi.umfPoolGetName(pool, poolName), UMF_RESULT_SUCCESS)
  t.type(poolName[0], 'string')
  const poolProvider: [umf_memory_provider_handle_t | null] = [null]
  t.equal(ffi.umfPoolGetMemoryProvider(pool, poolProvider), UMF_RESULT_SUCCESS)
  t.equal(poolProvider[0], provider, 'the pool reports its provider')

  // allocate and use the memory
  const size = 4096
  const ptr = ffi.umfPoolMalloc(pool, size)
  t.type(ptr, 'bigint', 'umfPoolMalloc returns an address')
  t.not(ptr, 0n)
  const view = new Uint8Array(koffi.view(ptr, size))
  t.equal(view.length, size)
  for (let i = 0; i < size; i++) view[i] = (i * 7 + 3) & 0xff
  const again = new Uint8Array(koffi.view(ptr, size))
  let same = true
  for (let i = 0; i < size; i++) if (again[i] !== ((i * 7 + 3) & 0xff)) same = false
  t.ok(same, 'a second view over the same address sees the bytes written through the first')
  const decoded = koffi.decode(ptr, 'uint8_t', size) as number[] | Uint8Array
  t.same(Array.from(decoded.slice(0, 8)), [3, 10, 17, 24, 31, 38, 45, 52], 'koffi.decode copies out the same bytes')
  t.equal(decoded[size - 1], ((size - 1) * 7 + 3) & 0xff)
  t.equal(koffi.decode(ptr, 100, 'uint8_t'), (100 * 7 + 3) & 0xff, 'decode at a byte offset')

  // the tracker finds the pool from any address inside the allocation
  const found: [umf_memory_pool_handle_t | null] = [null]
  t.equal(ffi.umfPoolByPtr(ptr, found), UMF_RESULT_SUCCESS, 'umfPoolByPtr(start)')
  t.equal(found[0], pool)
  const inner: [umf_memory_pool_handle_t | null] = [null]
  t.equal(ffi.umfPoolByPtr((ptr as bigint) + 100n, inner), UMF_RESULT_SUCCESS, 'umfPoolByPtr(inside)')
  t.equal(inner[0], pool)

  t.equal(ffi.umfPoolFree(pool, ptr), UMF_RESULT_SUCCESS, 'umfPoolFree')
  const gone: [umf_memory_pool_handle_t | null] = [null]
  t.equal(ffi.umfPoolByPtr(ptr, gone), ffi.UMF_RESULT_ERROR_INVALID_ARGUMENT, 'a freed address belongs to no pool')
  t.equal(ffi.umfPoolFree(pool, null), UMF_RESULT_SUCCESS, 'freeing NULL is fine')

  // umfFree finds the pool by itself
  const p2 = ffi.umfPoolMalloc(pool, 64)
  t.type(p2, 'bigint')
  t.equal(ffi.umfFree(p2), UMF_RESULT_SUCCESS, 'umfFree')

  // teardown
  t.equal(ffi.umfPoolDestroy(pool), UMF_RESULT_SUCCESS, 'umfPoolDestroy')
  t.equal(ffi.umfMemoryProviderDestroy(provider), UMF_RESULT_SUCCESS, 'umfMemoryProviderDestroy')
})

t.test('errors come back as result codes', async (t) => {
  const out: [umf_memory_provider_handle_t | null] = [null]
  t.equal(ffi.umfMemoryProviderCreate(ffi.umfOsMemoryProviderOps(), null, out), ffi.UMF_RESULT_ERROR_INVALID_ARGUMENT, 'OS provider needs params')
  t.equal(out[0], null, 'the out-parameter stays null on failure')
  const found: [umf_memory_pool_handle_t | null] = [null]
  const local = koffi.alloc('uint8_t', 16)
  t.teardown(() => koffi.free(local))
  t.equal(ffi.umfPoolByPtr(koffi.address(local), found), ffi.UMF_RESULT_ERROR_INVALID_ARGUMENT, 'memory UMF does not track')
  t.equal(ffi.umfGetCurrentVersion(), ffi.UMF_VERSION_CURRENT)
})
