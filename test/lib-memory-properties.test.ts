// lib/memory_properties.ts and lib/umf.ts: the properties of tracked memory, and the library version.
import t from 'tap'
import koffi from 'koffi'
import * as ffi from '../ffi/index.js'
import { MemoryProvider, OsMemoryProvider, ProxyPool, UmfError, getMemoryProperties, libraryPath, version } from '../lib/index.js'

t.test('version', async (t) => {
  const v = version()
  t.same(v, { major: 1, minor: 0, value: ffi.UMF_VERSION_CURRENT }, 'UMF 1.1 reports API version 1.0, as upstream')
  t.match(libraryPath, /libumf\.so/)
})

t.test('properties of an allocation of a proxy pool', async (t) => {
  using provider = new OsMemoryProvider()
  using pool = new ProxyPool(provider)
  const p = pool.malloc(1000)
  const q = pool.malloc(1000)
  const props = getMemoryProperties(p + 10n)
  t.equal(props.pool, pool)
  t.equal(props.poolHandle, pool.handle)
  t.equal(props.provider, provider)
  t.equal(props.providerHandle, provider.handle)
  t.equal(props.baseAddress, p, 'the proxy pool hands out whole provider allocations')
  t.equal(props.baseSize, 1000)
  t.type(props.bufferId, 'bigint')
  t.equal(props.pointerType, 0, 'the OS provider does not say (UMF_MEMORY_TYPE_UNKNOWN)')
  const other = getMemoryProperties(q)
  t.not(other.bufferId, props.bufferId, 'buffer ids differ per provider allocation')
  pool.free(p)
  const e = t.throws(() => getMemoryProperties(p)) as UmfError
  t.equal(e.code, ffi.UMF_RESULT_ERROR_INVALID_ARGUMENT, 'freed memory has no properties')
  pool.free(q)
})

t.test('properties through an owned TypeScript provider', async (t) => {
  const provider = new MemoryProvider({ name: 'props', alloc: (n) => koffi.alloc('uint8_t', n) as bigint, free: (p) => koffi.free(p) })
  using pool = new ProxyPool(provider, { ownProvider: true })
  const p = pool.malloc(64)
  const props = getMemoryProperties(p)
  t.equal(props.pool, pool)
  t.equal(props.provider, provider, 'the moved provider object')
  t.equal(props.baseSize, 64)
  pool.free(p)
})
