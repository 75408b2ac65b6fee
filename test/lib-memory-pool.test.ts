// lib/memory_pool.ts and lib/pools/proxy_pool.ts: the proxy pool over the OS provider, zero-copy views,
// MemoryPool.byPtr / poolByPtr, umfFree, tags; a TypeScript provider serving the C proxy pool; a pool
// written in TypeScript serving umfPoolMalloc and umfFree like a built-in one.
import t from 'tap'
import koffi from 'koffi'
import * as ffi from '../ffi/index.js'
import {
  MemoryPool,
  MemoryProvider,
  OsMemoryProvider,
  ProxyPool,
  UmfError,
  poolByPtr,
  umfFree,
  type MemoryPoolImpl,
} from '../lib/index.js'

t.test('proxy pool over the OS provider: round trip of every function', async (t) => {
  using provider = new OsMemoryProvider()
  using pool = new ProxyPool(provider)
  t.equal(pool.name, 'proxy')
  t.equal(pool.provider, provider)
  t.equal(pool.impl, undefined)
  const p = pool.malloc(4096)
  t.type(p, 'bigint')
  t.equal(pool.liveAllocations, 1)
  t.equal(pool.allocationSize(p), 4096)
  const a = pool.alignedMalloc(100, 1 << 16)
  t.equal(a % (1n << 16n), 0n, 'aligned to 64 KiB')
  t.equal(pool.allocationSize(a), 100)
  t.equal(MemoryPool.byPtr(p), pool)
  t.equal(MemoryPool.byPtr(p + 4095n), pool, 'interior addresses find the pool')
  t.equal(poolByPtr(a + 50n), pool)
  t.equal(MemoryPool.byHandle(pool.handle), pool)
  t.equal(pool.lastAllocationError(), ffi.UMF_RESULT_SUCCESS)
  const u = t.throws(() => pool.usableSize(p)) as UmfError
  t.equal(u.code, ffi.UMF_RESULT_ERROR_NOT_SUPPORTED, 'the proxy pool has no usable size')
  const r = t.throws(() => pool.realloc(p, 8192)) as UmfError
  t.equal(r.code, ffi.UMF_RESULT_ERROR_NOT_SUPPORTED, 'nor realloc')
  t.equal(pool.allocationSize(p), 4096, 'a failed realloc keeps the allocation')
  // tags
  t.equal(pool.tag, null)
  t.equal(pool.setTag(0xdeadn), null)
  t.equal(pool.tag, 0xdeadn)
  pool.tag = 7n
  t.equal(pool.setTag(null), 7n)
  t.equal(pool.tag, null)
  // frees
  pool.free(p)
  t.equal(pool.allocationSize(p), undefined, 'forgotten after free')
  umfFree(a)
  t.equal(pool.liveAllocations, 0, 'umfFree makes the pool forget the address too')
  t.equal(MemoryPool.byPtr(a), null, 'a freed address has no pool')
  pool.free(null)
})

t.test('views: zero-copy, bounded by the allocation, two views of one address', async (t) => {
  using provider = new OsMemoryProvider()
  using pool = new ProxyPool(provider)
  const p = pool.malloc(64)
  const v1 = pool.view(p)
  const v2 = pool.view(p)
  t.equal(v1.length, 64)
  t.not(v1.buffer, v2.buffer, 'two distinct ArrayBuffers')
  v1.set([1, 2, 3, 4])
  t.same(Array.from(v2.subarray(0, 4)), [1, 2, 3, 4], 'a write through one view is seen through the other')
  t.same(Array.from(koffi.decode(p, 'uint8_t', 4) as number[]), [1, 2, 3, 4], 'and by C')
  t.equal(pool.view(p, 10).length, 10)
  t.equal(pool.view(p, 0).length, 0)
  const f64 = pool.viewAs(Float64Array, p)
  t.equal(f64.length, 8)
  f64[7] = Math.PI
  t.equal(pool.viewAs(Float64Array, p, 8)[7], Math.PI)
  const u32 = pool.viewAs(Uint32Array, p, 2)
  t.equal(u32[0], 0x04030201, 'little-endian bytes 1..4')
  const big = pool.viewAs(BigUint64Array, p, 1)
  t.equal(big[0], 0x04030201n)
  t.equal(pool.viewAs(Int16Array, p, 0).length, 0)
  t.throws(() => pool.view(p, 65), RangeError)
  t.throws(() => pool.viewAs(Float64Array, p, 9), RangeError)
  pool.free(p)
  t.throws(() => pool.view(p), /not a live allocation/, 'no new view after free')
})

t.test('a provider written in TypeScript serves the C proxy pool', async (t) => {
  const blocks = new Map<bigint, number>()
  const seen: string[] = []
  using provider = new MemoryProvider({
    name: 'ts-heap',
    alloc(size, alignment) {
      seen.push(`alloc ${size} ${alignment}`)
      const p = koffi.alloc('uint8_t', size + 4096) as bigint
      const aligned = alignment > 0 ? (p + BigInt(alignment - 1)) & ~BigInt(alignment - 1) : p
      blocks.set(aligned, Number(p))
      return aligned
    },
    free(ptr, size) {
      seen.push(`free ${size}`)
      const base = blocks.get(ptr)
      if (base === undefined) throw new Error('not mine')
      blocks.delete(ptr)
      koffi.free(BigInt(base))
    },
  })
  using pool = new ProxyPool(provider)
  const p = pool.malloc(200)
  t.equal(blocks.size, 1)
  pool.view(p).fill(5)
  t.equal(pool.view(p)[199], 5)
  t.equal(MemoryPool.byPtr(p), pool, 'allocations of a TypeScript provider are tracked')
  const q = pool.alignedMalloc(10, 1024)
  t.equal(q % 1024n, 0n)
  pool.free(p)
  // ffi/ calls work on the same objects
  const r = ffi.umfPoolMalloc(pool.handle, 32)
  t.type(r, 'bigint')
  t.equal(ffi.umfFree(r), 0, 'umfFree from ffi/')
  umfFree(q)
  t.equal(blocks.size, 0)
  t.same(seen, ['alloc 200 0', 'alloc 10 1024', 'free 200', 'alloc 32 0', 'free 32', 'free 10'], 'the pool freed with the tracked sizes')
})

/** A bump-and-free-list pool written in TypeScript over its provider. */
class ListPool implements MemoryPoolImpl {
  readonly name = 'listpool'
  readonly calls: string[] = []
  provider: MemoryProvider | undefined
  readonly sizes = new Map<bigint, number>()
  initialize(provider: MemoryProvider): void {
    this.provider = provider
    this.calls.push(`initialize ${provider.name}`)
  }
  malloc(size: number): bigint | null {
    this.calls.push(`malloc ${size}`)
    const p = this.provider!.alloc(Math.max(size, 1))
    this.sizes.set(p, Math.max(size, 1))
    return p
  }
  alignedMalloc(size: number, alignment: number): bigint | null {
    this.calls.push(`alignedMalloc ${size} ${alignment}`)
    const p = this.provider!.alloc(Math.max(size, 1), alignment)
    this.sizes.set(p, Math.max(size, 1))
    return p
  }
  realloc(ptr: bigint | null, size: number): bigint | null {
    this.calls.push(`realloc ${size}`)
    if (ptr === null) return this.malloc(size)
    const old = this.sizes.get(ptr)!
    if (size === 0) {
      this.free(ptr)
      return null
    }
    const p = this.provider!.alloc(size)
    this.sizes.set(p, size)
    new Uint8Array(koffi.view(p, Math.min(old, size))).set(new Uint8Array(koffi.view(ptr, Math.min(old, size))))
    this.free(ptr)
    return p
  }
  usableSize(ptr: bigint): number {
    return this.sizes.get(ptr) ?? 0
  }
  free(ptr: bigint): void {
    this.calls.push('free')
    const size = this.sizes.get(ptr)
    if (size === undefined) throw new Error('listpool: unknown pointer')
    this.sizes.delete(ptr)
    this.provider!.free(ptr, size)
  }
  trim(keep: number): void {
    this.calls.push(`trim ${keep}`)
  }
  finalize(): void {
    this.calls.push('finalize')
  }
}

t.test('a pool written in TypeScript: lib calls, ffi calls and umfFree', async (t) => {
  using provider = new OsMemoryProvider()
  const impl = new ListPool()
  const pool = new MemoryPool(impl, provider)
  t.equal(pool.name, 'listpool')
  t.equal(pool.impl, impl)
  t.same(impl.calls, ['initialize OS'])
  const a = pool.malloc(100)
  t.equal(pool.usableSize(a), 100)
  const c = pool.calloc(10, 10)
  t.same(Array.from(pool.view(c)), new Array(100).fill(0), 'calloc without a calloc op: malloc + zero fill')
  pool.view(a).fill(3)
  const b = pool.realloc(a, 200)!
  t.equal(pool.allocationSize(b), 200)
  t.equal(pool.allocationSize(a), undefined)
  t.equal(pool.view(b)[99], 3, 'realloc kept the contents')
  t.equal(pool.realloc(b, 0), null, 'realloc to 0 frees')
  t.equal(pool.allocationSize(b), undefined)
  const n = pool.realloc(null, 16)!
  t.equal(pool.allocationSize(n), 16)
  const al = pool.alignedMalloc(64, 8192)
  t.equal(al % 8192n, 0n)
  pool.trim(123)
  t.equal(MemoryPool.byPtr(c), pool, 'the TypeScript pool allocates through the tracking provider')
  // umfPoolMalloc / umfFree from ffi/ reach the TypeScript pool like a built-in one
  const raw = ffi.umfPoolMalloc(pool.handle, 48)
  t.type(raw, 'bigint')
  const found: [ffi.umf_memory_pool_handle_t | null] = [null]
  t.equal(ffi.umfPoolByPtr(raw, found), 0)
  t.equal(found[0], pool.handle)
  t.equal(ffi.umfFree(raw), 0)
  const name: [string | null] = [null]
  t.equal(ffi.umfPoolGetName(pool.handle, name), 0)
  t.equal(name[0], 'listpool')
  umfFree(c)
  pool.free(n)
  pool.free(al)
  t.equal(impl.sizes.size, 0)
  pool.destroy()
  t.same(impl.calls, [
    'initialize OS',
    'malloc 100',
    'malloc 100',
    'realloc 200',
    'free',
    'realloc 0',
    'free',
    'realloc 16',
    'malloc 16',
    'alignedMalloc 64 8192',
    'trim 123',
    'malloc 48',
    'free',
    'free',
    'free',
    'free',
    'finalize',
  ])
})

t.test('TypeScript pool over a TypeScript provider; optional ops default to NOT_SUPPORTED', async (t) => {
  using provider = new MemoryProvider({
    name: 'heap',
    alloc: (size) => koffi.alloc('uint8_t', size) as bigint,
    free: (p) => koffi.free(p),
  })
  const live = new Set<bigint>()
  let prov: MemoryProvider
  using pool = new MemoryPool(
    {
      name: 'minimal',
      initialize: (p) => void (prov = p),
      malloc: (size) => {
        const p = prov.alloc(size)
        live.add(p)
        return p
      },
      calloc: (num, size) => {
        const p = prov.alloc(num * size)
        new Uint8Array(koffi.view(p, num * size)).fill(0)
        live.add(p)
        return p
      },
      free: (p) => void live.delete(p),
    },
    provider,
  )
  const p = pool.calloc(4, 4)
  t.same(Array.from(pool.view(p)), new Array(16).fill(0))
  for (const [what, f, code] of [
    ['alignedMalloc', () => pool.alignedMalloc(8, 64), ffi.UMF_RESULT_ERROR_NOT_SUPPORTED],
    ['realloc', () => pool.realloc(p, 64), ffi.UMF_RESULT_ERROR_NOT_SUPPORTED],
    ['usableSize', () => pool.usableSize(p), ffi.UMF_RESULT_ERROR_NOT_SUPPORTED],
    ['trim', () => pool.trim(), ffi.UMF_RESULT_ERROR_NOT_SUPPORTED],
  ] as const) {
    const e = t.throws(f, what) as UmfError
    t.equal(e.code, code, `${what}: NOT_SUPPORTED`)
  }
  pool.free(p)
  t.equal(live.size, 0)
})

t.test('pool options: ownProvider, disableTracking, params', async (t) => {
  const provider = new OsMemoryProvider()
  const untracked = new ProxyPool(provider, { disableTracking: true })
  const p = untracked.malloc(64)
  t.equal(MemoryPool.byPtr(p), null, 'untracked memory has no pool')
  t.throws(() => untracked.free(p), UmfError, 'and the proxy pool cannot free it')
  untracked.destroy()
  const generic = new MemoryPool(ffi.umfProxyPoolOps()!, provider, { params: null })
  t.equal(generic.name, 'proxy')
  generic.destroy()
  const owner = new MemoryPool(ffi.umfProxyPoolOps()!, provider, { ownProvider: true })
  t.equal(provider.moved, true)
  owner.destroy()
})
