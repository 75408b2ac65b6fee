// A memory provider written in TypeScript through the raw ffi/ layer: its ops struct is filled with
// koffi.register()ed callbacks of the generated prototype types, then used by the proxy pool. This checks
// that the generated ops struct and callback prototypes fit what the C core calls.
import t from 'tap'
import koffi from 'koffi'
import type { TypeObject } from 'koffi'
import * as ffi from '../ffi/index.js'
import type { umf_memory_pool_handle_t, umf_memory_provider_handle_t, umf_memory_provider_ops_t } from '../ffi/index.js'

const { UMF_RESULT_SUCCESS } = ffi

t.test('a provider written in TypeScript serves the proxy pool', async (t) => {
  const calls: string[] = []
  const live = new Map<bigint, number>() // address -> size
  const STATE = 0x5151n // the opaque state handed to C: an id, not an object
  // a C string that outlives the calls, for get_name
  const nameBytes = Buffer.from('TS_PROVIDER\0')
  const cName = koffi.alloc('char', nameBytes.length) as bigint
  koffi.encode(cName, 'char', Array.from(nameBytes), nameBytes.length)
  t.teardown(() => koffi.free(cName))

  const registered: bigint[] = []
  const reg = <F extends (...args: never[]) => unknown>(fn: F, type: TypeObject): bigint => {
    const p = koffi.register(fn, type)
    registered.push(p)
    return p
  }
  t.teardown(() => registered.forEach((p) => koffi.unregister(p)))

  const ops: umf_memory_provider_ops_t = {
    version: ffi.UMF_PROVIDER_OPS_VERSION_CURRENT,
    initialize: reg<ffi.umf_memory_provider_ops_t__initialize>((params, provider) => {
      calls.push('initialize')
      if (params !== null || provider === null) return ffi.UMF_RESULT_ERROR_INVALID_ARGUMENT
      koffi.encode(provider, 'void *', STATE)
      return UMF_RESULT_SUCCESS
    }, ffi.umf_memory_provider_ops_t__initialize),
    finalize: reg<ffi.umf_memory_provider_ops_t__finalize>((provider) => {
      calls.push('finalize')
      return provider === STATE ? UMF_RESULT_SUCCESS : ffi.UMF_RESULT_ERROR_INVALID_ARGUMENT
    }, ffi.umf_memory_provider_ops_t__finalize),
    alloc: reg<ffi.umf_memory_provider_ops_t__alloc>((provider, size, alignment, ptr) => {
      calls.push(`alloc ${size} ${alignment}`)
      if (provider !== STATE || ptr === null) return ffi.UMF_RESULT_ERROR_INVALID_ARGUMENT
      const n = Number(size)
      const mem = koffi.alloc('uint8_t', n + 4096) as bigint
      const aligned = (mem + 4095n) & ~4095n
      live.set(aligned, n)
      allocBases.set(aligned, mem)
      koffi.encode(ptr, 'void *', aligned)
      return UMF_RESULT_SUCCESS
    }, ffi.umf_memory_provider_ops_t__alloc),
    free: reg<ffi.umf_memory_provider_ops_t__free>((provider, ptr, size) => {
      calls.push(`free ${size}`)
      if (provider !== STATE || ptr === null || !live.has(ptr)) return ffi.UMF_RESULT_ERROR_INVALID_ARGUMENT
      live.delete(ptr)
      koffi.free(allocBases.get(ptr))
      allocBases.delete(ptr)
      return UMF_RESULT_SUCCESS
    }, ffi.umf_memory_provider_ops_t__free),
    get_last_native_error: reg<ffi.umf_memory_provider_ops_t__get_last_native_error>((_provider, ppMessage, pError) => {
      if (ppMessage) koffi.encode(ppMessage, 'void *', cName)
      if (pError) koffi.encode(pError, 'int32_t', 42)
      return UMF_RESULT_SUCCESS
    }, ffi.umf_memory_provider_ops_t__get_last_native_error),
    get_recommended_page_size: reg<ffi.umf_memory_provider_ops_t__get_recommended_page_size>((_p, _size, pageSize) => {
      if (pageSize) koffi.encode(pageSize, 'size_t', 4096)
      return UMF_RESULT_SUCCESS
    }, ffi.umf_memory_provider_ops_t__get_recommended_page_size),
    get_min_page_size: reg<ffi.umf_memory_provider_ops_t__get_min_page_size>((_p, _ptr, pageSize) => {
      if (pageSize) koffi.encode(pageSize, 'size_t', 4096)
      return UMF_RESULT_SUCCESS
    }, ffi.umf_memory_provider_ops_t__get_min_page_size),
    get_name: reg<ffi.umf_memory_provider_ops_t__get_name>((_p, name) => {
      if (name) koffi.encode(name, 'void *', cName)
      return UMF_RESULT_SUCCESS
    }, ffi.umf_memory_provider_ops_t__get_name),
    ext_purge_lazy: null,
    ext_purge_force: null,
    ext_allocation_merge: null,
    ext_allocation_split: null,
    ext_get_ipc_handle_size: null,
    ext_get_ipc_handle: null,
    ext_put_ipc_handle: null,
    ext_open_ipc_handle: null,
    ext_close_ipc_handle: null,
    ext_ctl: null,
    ext_get_allocation_properties: null,
    ext_get_allocation_properties_size: null,
  }
  const allocBases = new Map<bigint, bigint>()

  const providerOut: [umf_memory_provider_handle_t | null] = [null]
  t.equal(ffi.umfMemoryProviderCreate(ops, null, providerOut), UMF_RESULT_SUCCESS, 'umfMemoryProviderCreate with a JS ops object')
  const provider = providerOut[0]
  t.type(provider, 'bigint')
  t.same(calls, ['initialize'])

  const name: [string | null] = [null]
  t.equal(ffi.umfMemoryProviderGetName(provider, name), UMF_RESULT_SUCCESS)
  t.equal(name[0], 'TS_PROVIDER', 'get_name wrote a C string pointer through const char **')
  const msg: [string | null] = [null]
  const code: [number | null] = [null]
  t.equal(ffi.umfMemoryProviderGetLastNativeError(provider, msg, code), UMF_RESULT_SUCCESS)
  t.equal(code[0], 42)
  t.equal(msg[0], 'TS_PROVIDER')
  const raw: [bigint | null] = [null]
  t.equal(ffi.umfMemoryProviderAlloc(provider, 4096, 0, raw), UMF_RESULT_SUCCESS, 'umfMemoryProviderAlloc reaches the TypeScript alloc')
  t.ok(raw[0] !== null && live.has(raw[0]), 'void ** out-parameter holds the address the callback wrote')
  t.equal(ffi.umfMemoryProviderPurgeLazy(provider, raw[0], 4096), ffi.UMF_RESULT_ERROR_NOT_SUPPORTED, 'a NULL optional op answers NOT_SUPPORTED')
  t.equal(ffi.umfMemoryProviderFree(provider, raw[0], 4096), UMF_RESULT_SUCCESS)
  t.equal(live.size, 0)

  const poolOut: [umf_memory_pool_handle_t | null] = [null]
  t.equal(ffi.umfPoolCreate(ffi.umfProxyPoolOps(), provider, null, ffi.UMF_POOL_CREATE_FLAG_NONE, poolOut), UMF_RESULT_SUCCESS)
  const pool = poolOut[0]
  const ptr = ffi.umfPoolMalloc(pool, 100)
  t.type(ptr, 'bigint')
  t.ok(live.has(ptr as bigint), 'the pool got its memory from the TypeScript alloc')
  t.equal((ptr as bigint) % 4096n, 0n)
  const view = new Uint8Array(koffi.view(ptr, 100))
  view.fill(0xab)
  t.equal(koffi.decode(ptr, 99, 'uint8_t'), 0xab)
  t.equal(ffi.umfPoolFree(pool, ptr), UMF_RESULT_SUCCESS)
  t.equal(live.size, 0, 'the free reached the TypeScript free')
  t.equal(ffi.umfPoolDestroy(pool), UMF_RESULT_SUCCESS)
  t.equal(ffi.umfMemoryProviderDestroy(provider), UMF_RESULT_SUCCESS)
  t.equal(calls[calls.length - 1], 'finalize')
  t.ok(calls.some((c) => c.startsWith('alloc 100')), `calls: ${calls.join(', ')}`)
})
