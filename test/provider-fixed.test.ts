// FixedMemoryProvider: memory it allocates itself (withSize) or memory the program owns ({ ptr, size },
// with the pool or provider it comes from as owner), through the proxy and disjoint pools; out of space;
// who keeps the memory alive; and every bad input from TypeScript, refused before C sees it.
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import koffi from 'koffi'
import * as ffi from '../ffi/index.js'
import {
  ConfigError,
  DestroyedError,
  DisjointPool,
  FileMemoryProvider,
  FixedMemoryProvider,
  FixedMemoryProviderParamsSchema,
  MemoryPool,
  OsMemoryProvider,
  ProxyPool,
  UmfError,
} from '../lib/index.js'
import { runProviderChild } from './fixtures/provider-child-run.js'
import { throwsLike } from './fixtures/asserts.js'

const OOM = ffi.UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY
const MiB = 1024 * 1024
const any = (x: unknown) => x as never

function inside(p: bigint, provider: FixedMemoryProvider, size = 1): boolean {
  return p >= provider.ptr && p + BigInt(size) <= provider.ptr + BigInt(provider.size)
}

t.test('withSize: a proxy pool hands out pieces of the region until it is full', async (t) => {
  const provider = FixedMemoryProvider.withSize(MiB)
  t.equal(provider.name, 'FIXED', 'default name')
  t.ok(provider.ownsMemory, 'the provider owns memory it allocated')
  t.equal(provider.size, MiB)
  t.equal(provider.ptr % 4096n, 0n, 'the region is page-aligned')
  t.equal(provider.minPageSize(), 4096)
  t.equal(provider.recommendedPageSize(), 4096)
  t.same(Object.isFrozen(provider.params), true, 'params are frozen')

  const pool = new ProxyPool(provider)
  const got: bigint[] = []
  let error: unknown
  for (;;) {
    try {
      got.push(pool.malloc(4096))
    } catch (e) {
      error = e
      break
    }
  }
  t.equal(got.length, MiB / 4096, 'exactly size / 4096 page allocations fit')
  t.ok(got.every((p) => inside(p, provider, 4096)), 'every allocation lies within the region')
  t.equal(new Set(got).size, got.length, 'no address twice')
  t.type(error, UmfError)
  t.equal((error as UmfError).code, OOM, 'a full region gives OUT_OF_HOST_MEMORY')
  t.equal((error as UmfError).codeName, 'UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY')
  t.equal(pool.lastAllocationError(), OOM)

  // the memory is usable, and a freed piece is handed out again
  const v = pool.view(got[7]!)
  v.fill(0xab)
  t.equal(new Uint8Array(koffi.view(got[7]!, 4096))[4095], 0xab, 'bytes written are in the region')
  pool.free(got[7]!)
  const again = pool.malloc(4096)
  t.equal(again, got[7], 'the freed page is reused')
  got[7] = again
  throwsLike(t, () => pool.malloc(1), UmfError, /OUT_OF_HOST_MEMORY/, 'full again')

  t.throws(() => provider.destroy(), /still used by 1 live object/, 'destroy is refused while the pool lives')
  for (const p of got) pool.free(p)
  pool.destroy()
  provider.destroy()
  t.notOk(provider.alive)
  provider.destroy() // a second destroy does nothing
})

t.test('withSize: the provider directly (alloc, alignment, purge, split and merge, out of space)', async (t) => {
  using provider = FixedMemoryProvider.withSize(256 * 1024, { name: 'arena_1' })
  t.equal(provider.name, 'arena_1', 'name option')
  const a = provider.alloc(64 * 1024, 64 * 1024)
  t.equal(a % BigInt(64 * 1024), 0n, 'aligned as asked')
  t.ok(inside(a, provider, 64 * 1024))
  new Uint8Array(koffi.view(a, 4096)).fill(7)
  provider.purgeForce(a, 4096)
  t.equal(new Uint8Array(koffi.view(a, 4096))[0], 0, 'a forced purge drops the pages (zeros after)')
  throwsLike(t, () => provider.purgeLazy(a, 4096), UmfError, /UMF_RESULT_ERROR_NOT_SUPPORTED/, 'no lazy purge')
  provider.allocationSplit(a, 64 * 1024, 16 * 1024)
  provider.allocationMerge(a, a + BigInt(16 * 1024), 64 * 1024)
  throwsLike(t, () => provider.alloc(MiB), UmfError, /umfMemoryProviderAlloc failed: UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY \(1\)/, 'more than the region')
  throwsLike(t, () => provider.alloc(4096, 3), UmfError, /UMF_RESULT_ERROR_INVALID_ALIGNMENT/, 'alignment not a power of 2')
  provider.free(a, 64 * 1024)
  t.throws(() => provider.free(a, 64 * 1024), /not the start of a live allocation/, 'a double free is refused by lib/')
})

t.test('withSize: a disjoint pool over a small region', async (t) => {
  const provider = FixedMemoryProvider.withSize(MiB)
  const pool = new DisjointPool(provider, { slabMinSize: 64 * 1024, capacity: 0 })
  const got: bigint[] = []
  let error: unknown
  for (let i = 0; i < 100_000; i++) {
    try {
      const p = pool.malloc(200)
      pool.view(p)[199] = i & 0xff
      got.push(p)
    } catch (e) {
      error = e
      break
    }
  }
  t.ok(got.length > 1000, `${got.length} small allocations fit`)
  t.ok(got.length < (MiB / 200) + 1, 'but no more than the region holds')
  t.ok(got.every((p) => inside(p, provider, 200)), 'all of them within the region')
  t.type(error, UmfError)
  t.equal((error as UmfError).code, OOM, 'the disjoint pool reports OUT_OF_HOST_MEMORY too')
  t.ok(got.every((p, i) => pool.view(p)[199] === (i & 0xff)), 'every allocation kept its own byte')
  for (const p of got) pool.free(p)
  const p = pool.malloc(200)
  t.ok(inside(p, provider, 200), 'room again after freeing')
  pool.free(p)
  pool.destroy()
  provider.destroy()
})

t.test('withSize + ownProvider: the pool destroys the provider, the memory goes after it', async (t) => {
  const provider = FixedMemoryProvider.withSize(128 * 1024)
  const pool = new ProxyPool(provider, { ownProvider: true })
  t.ok(provider.moved, 'the provider moved to the pool')
  const p = pool.malloc(4096)
  t.ok(p >= provider.params.ptr)
  pool.free(p)
  pool.destroy()
  t.throws(() => provider.destroy(), DestroyedError, 'a moved provider cannot be destroyed directly')
})

t.test('forgotten withSize providers and pools: the garbage collector frees them, memory last (child)', async (t) => {
  const r = runProviderChild('fixedForgotten')
  t.equal(r.signal, null, `no signal (${r.stderr.slice(0, 400)})`)
  t.equal(r.status, 0)
  t.ok(r.byName.get('end'), 'reached the end')
  t.ok(Number(r.byName.get('collected')?.['objects']) >= 40, 'pools, providers and buffers were collected')
})

t.test('memory from a pool (owner: pool): kept alive while the provider lives', async (t) => {
  const osProvider = new OsMemoryProvider()
  const outer = new ProxyPool(osProvider)
  const region = outer.malloc(MiB)
  const provider = new FixedMemoryProvider({ ptr: region, size: MiB, owner: outer })
  t.notOk(provider.ownsMemory)
  t.equal(provider.ptr, region)
  t.throws(() => outer.destroy(), /still used by 1 live object/, "the owner pool's destroy is refused")
  const inner = new ProxyPool(provider)
  const p = inner.malloc(8192)
  t.ok(p >= region && p + 8192n <= region + BigInt(MiB), 'the inner pool hands out the outer allocation')
  inner.view(p).fill(5)
  t.equal(outer.view(region, MiB)[Number(p - region)], 5, 'the same bytes seen through the outer pool')
  t.equal(MemoryPool.byPtr(p), inner, 'byPtr finds the innermost pool')
  inner.free(p)
  inner.destroy()
  provider.destroy()
  outer.free(region)
  outer.destroy()
  osProvider.destroy()
  t.notOk(outer.alive, 'the owner can go once the provider is gone')
})

t.test('memory from a provider (owner: provider) and from koffi.alloc (no owner)', async (t) => {
  using osProvider = new OsMemoryProvider()
  const region = osProvider.alloc(MiB)
  const a = new FixedMemoryProvider({ ptr: region, size: MiB, owner: osProvider })
  t.throws(() => osProvider.destroy(), /still used/, 'the owner provider is kept')
  const pa = new ProxyPool(a)
  const x = pa.malloc(100)
  t.ok(x >= region && x < region + BigInt(MiB))
  pa.free(x)
  pa.destroy()
  a.destroy()
  osProvider.free(region, MiB)

  const raw = koffi.alloc('uint64_t', 65536) as bigint // 512 KiB
  const b = new FixedMemoryProvider({ ptr: raw, size: 512 * 1024 })
  const pb = new ProxyPool(b)
  const y = pb.malloc(4096)
  t.ok(y >= raw && y < raw + 512n * 1024n, 'koffi.alloc memory the program vouches for')
  pb.free(y)
  pb.destroy()
  b.destroy()

  const c = new FixedMemoryProvider({ ptr: raw, size: 256n * 1024n })
  t.equal(c.size, 256n * 1024n, 'a bigint size is kept as given')
  t.ok(c.alloc(4096) >= raw)
  c.destroy()
  koffi.free(raw)
})

t.test('bad params: refused before anything reaches C', async (t) => {
  using osProvider = new OsMemoryProvider()
  using outer = new ProxyPool(osProvider)
  const region = outer.malloc(64 * 1024)
  const config = (name: string, params: unknown, pattern: RegExp) =>
    throwsLike(t, () => new FixedMemoryProvider(any(params)), ConfigError, pattern, name)

  config('nothing', undefined, /invalid FixedMemoryProvider params/)
  config('a string', '0x1000', /expected object/)
  config('unknown key', { ptr: region, size: 4096, owner: outer, protection: 'read' }, /Unrecognized key: "protection"/)
  config('no ptr', { size: 4096 }, /ptr must be a bigint address of native memory.*got undefined/)
  config('no size', { ptr: region, owner: outer }, /size must be a number of bytes from 1/)
  config('ptr as a number', { ptr: Number(region), size: 4096 }, /a number is never an address here/)
  config('ptr as a string', { ptr: '0x1000', size: 4096 }, /got string "0x1000"/)
  config('ptr 0n', { ptr: 0n, size: 4096 }, /non-NULL address below 2\^64, got 0n/)
  config('ptr negative', { ptr: -4096n, size: 4096 }, /non-NULL address below 2\^64, got -4096n/)
  config('ptr 2^64', { ptr: 1n << 64n, size: 1 }, /below 2\^64/)
  config('ptr a Uint8Array', { ptr: new Uint8Array(4096), size: 4096 }, /JavaScript buffers .* cannot back a fixed provider/)
  config('ptr a Buffer', { ptr: Buffer.alloc(4096), size: 4096 }, /koffi passes them to C as pointers valid only during one call/)
  config('params an ArrayBuffer', new ArrayBuffer(4096), /JavaScript buffers/)
  config('params a Buffer', Buffer.alloc(16), /FixedMemoryProvider\.withSize\(n\)/)
  config('size 0', { ptr: region, size: 0, owner: outer }, /size must be a number of bytes from 1/)
  config('size negative', { ptr: region, size: -1, owner: outer }, /size must be a number of bytes from 1/)
  config('size fractional', { ptr: region, size: 1.5, owner: outer }, /size must be/)
  config('size NaN', { ptr: region, size: NaN, owner: outer }, /size must be/)
  config('size a string', { ptr: region, size: '4096', owner: outer }, /size must be/)
  config('size 2^53', { ptr: region, size: 2 ** 53, owner: outer }, /size must be/)
  config('size bigint 2^64', { ptr: region, size: 1n << 64n }, /size must be/)
  config('past 2^64', { ptr: (1n << 64n) - 4096n, size: 8192 }, /must not run past the end of the address space/)
  config('owner not a handle', { ptr: region, size: 4096, owner: {} }, /owner must be the MemoryPool or MemoryProvider/)
  config('name empty', { ptr: region, size: 4096, owner: outer, name: '' }, /name must be 1 to 63 characters/)
  config('name too long', { ptr: region, size: 4096, owner: outer, name: 'x'.repeat(64) }, /name must be 1 to 63/)
  config('name with a space', { ptr: region, size: 4096, owner: outer, name: 'a b' }, /\[A-Za-z0-9_-\]/)
  config('name a number', { ptr: region, size: 4096, owner: outer, name: 5 }, /name must be a string/)

  t.same(FixedMemoryProvider.parseParams({ ptr: 4096n, size: 10 }), { ptr: 4096n, size: 10 }, 'parseParams (schema only)')
  t.equal(FixedMemoryProviderParamsSchema.safeParse({ ptr: 1n, size: 1 }).success, true)
  outer.free(region)
})

t.test('memory the program cannot vouch for: refused before C', async (t) => {
  using osProvider = new OsMemoryProvider()
  using outer = new ProxyPool(osProvider)
  const region = outer.malloc(64 * 1024)
  const range = (name: string, params: object, pattern: RegExp) =>
    throwsLike(t, () => new FixedMemoryProvider(any(params)), RangeError, pattern, name)

  range('unmapped low address', { ptr: 0x1000n, size: 4096 }, /0x1000 is not mapped in this process/)
  range('unmapped high address', { ptr: 0x7ffffffff000n + 0x10000n, size: 4096 }, /is not mapped in this process/)
  range('pool memory without owner', { ptr: region, size: 4096 }, /belongs to the UMF pool "proxy"; pass owner/)
  range('an interior address of the owner pool', { ptr: region + 4096n, size: 4096, owner: outer }, /is not the start of a live allocation of the owner pool "proxy"/)
  range('more than the allocation', { ptr: region, size: 128 * 1024, owner: outer }, /larger than the owner pool's allocation .* \(65536 bytes\)/)
  const raw = koffi.alloc('uint8_t', 64) as bigint
  range('a range running past its mapping', { ptr: raw, size: 1n << 40n }, /is not mapped in this process|not readable and writable/)
  koffi.free(raw)

  // memory another live fixed provider hands out
  const first = new FixedMemoryProvider({ ptr: region, size: 32 * 1024, owner: outer, name: 'first' })
  range('the same memory twice', { ptr: region, size: 32 * 1024, owner: outer }, /overlaps that of the live fixed provider "first" \[0x[0-9a-f]+, 0x[0-9a-f]+\); two providers would hand out the same bytes/)
  const own = FixedMemoryProvider.withSize(8192, { name: 'own' })
  range('the memory of a withSize provider', { ptr: own.ptr + 4096n, size: 100 }, /overlaps that of the live fixed provider "own"/)
  own.destroy()
  first.destroy()
  const second = new FixedMemoryProvider({ ptr: region, size: 32 * 1024, owner: outer })
  t.ok(second.alive, 'once the first provider is destroyed, its memory can back another')
  second.destroy()

  // read-only memory: an allocation of a read-only file provider
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'umf-fixed-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const ro = new FileMemoryProvider({ path: path.join(dir, 'ro.bin'), protection: 'read' })
  const roPool = new ProxyPool(ro)
  const rp = roPool.malloc(8192)
  range('a read-only mapping', { ptr: rp, size: 8192, owner: roPool }, /not readable and writable \(r--p\)/)
  roPool.free(rp)
  roPool.destroy()
  ro.destroy()

  // owners that are gone
  const gone = new ProxyPool(new OsMemoryProvider())
  const gp = gone.malloc(4096)
  gone.free(gp)
  t.throws(
    () => new FixedMemoryProvider({ ptr: gp, size: 4096, owner: gone }),
    /is not the start of a live allocation/,
    'a freed allocation of the owner',
  )
  gone.destroy()
  t.throws(() => new FixedMemoryProvider({ ptr: region, size: 4096, owner: gone }), DestroyedError, 'a destroyed owner')
  const moved = new OsMemoryProvider()
  const mover = new ProxyPool(moved, { ownProvider: true })
  t.throws(() => new FixedMemoryProvider({ ptr: region, size: 4096, owner: moved }), DestroyedError, 'a moved owner')
  mover.destroy()
  outer.free(region)
})

t.test('withSize: bad sizes and options', async (t) => {
  t.throws(() => FixedMemoryProvider.withSize(0), /size must be at least 1 byte/)
  t.throws(() => FixedMemoryProvider.withSize(0n), /size must be at least 1 byte/)
  t.throws(() => FixedMemoryProvider.withSize(-1), RangeError)
  t.throws(() => FixedMemoryProvider.withSize(1.5), /non-negative integer/)
  t.throws(() => FixedMemoryProvider.withSize(any('4096')), TypeError)
  t.throws(() => FixedMemoryProvider.withSize(any(null)), TypeError)
  t.throws(() => FixedMemoryProvider.withSize(1n << 60n), /more than koffi.alloc can give/)
  t.throws(() => FixedMemoryProvider.withSize(2 ** 40), /more than koffi.alloc can give/)
  throwsLike(t, () => FixedMemoryProvider.withSize(4096, any({ nme: 'x' })), ConfigError, /Unrecognized key: "nme"/, 'unknown option')
  t.throws(() => FixedMemoryProvider.withSize(4096, { name: 'bad name' }), ConfigError)
  const odd = FixedMemoryProvider.withSize(5000)
  t.equal(odd.size, 5000, 'any size is taken as given')
  const p = odd.alloc(4096)
  t.ok(inside(p, odd, 4096))
  throwsLike(t, () => odd.alloc(4096), UmfError, /OUT_OF_HOST_MEMORY/, 'one page fits in 5000 bytes, not two')
  odd.free(p, 4096)
  odd.destroy()
})

t.test('destroyed providers: every use throws DestroyedError', async (t) => {
  const provider = FixedMemoryProvider.withSize(64 * 1024)
  provider.destroy()
  t.throws(() => provider.alloc(4096), DestroyedError)
  t.throws(() => provider.free(0x1000n, 4096), DestroyedError)
  t.throws(() => provider.name, DestroyedError)
  t.throws(() => provider.minPageSize(), DestroyedError)
  t.throws(() => provider.handle, DestroyedError)
  t.throws(() => new ProxyPool(provider), DestroyedError, 'no pool over a destroyed provider')
  t.throws(() => new DisjointPool(provider), DestroyedError)
  t.equal(provider.ptr, provider.params.ptr, 'the params stay readable')
  provider.destroy()
  provider[Symbol.dispose]()
})
