// lib/pools/disjoint_pool.ts: DisjointPool and DisjointPoolSharedLimits. Params and their errors, every
// size-class boundary (usable sizes), every allocation function over the OS provider and over a provider
// written in TypeScript, capacity and shared limits seen through that provider's alloc/free counts, trim,
// tracking, ownership, destroyed handles and bad input.
import t from 'tap'
import * as ffi from '../ffi/index.js'
import {
  ConfigError,
  DestroyedError,
  DisjointPool,
  DisjointPoolParamsSchema,
  DisjointPoolSharedLimits,
  MemoryPool,
  MemoryProvider,
  OsMemoryProvider,
  UmfError,
  poolByPtr,
  umfFree,
} from '../lib/index.js'
import { runBody } from './fixtures/pool-child.js'
import { checkAllocations, checkBadInput, checkDestroyed, checkFixedProvider, countingProvider, throwsLike } from './fixtures/pool-common.js'

const KiB = 1024
const MiB = 1024 * KiB

/** The size classes the disjoint pool uses: min, then x1.5 and x2 steps, up to the first >= maxPoolable. */
function sizeClasses(min: number, maxPoolable: number): number[] {
  const out = [min]
  let k = Math.log2(min)
  while (out[out.length - 1]! < maxPoolable) {
    const pw = 2 ** k
    if (pw >= 2) {
      out.push(pw + pw / 2)
      if (pw + pw / 2 >= maxPoolable) break
    }
    k++
    out.push(2 ** k)
  }
  return out
}

/** The usable size the pool gives an allocation of `size` bytes. */
function expectedUsable(size: number, classes: number[], maxPoolable: number): number {
  const maxPooled = Math.min(maxPoolable, classes[classes.length - 1]!)
  if (size > maxPooled) return size
  return classes.find((c) => c >= size)!
}

t.test('params: UMF defaults, accepted values, the C name', async (t) => {
  t.same(DisjointPool.parseParams({}), {
    slabMinSize: 64 * KiB,
    maxPoolableSize: 2 * MiB,
    capacity: 4,
    minBucketSize: 8,
    trace: 0,
    name: 'disjoint',
    sharedLimits: null,
    extendedStats: false,
  })
  t.equal(ffi.UMF_DISJOINT_POOL_MIN_BUCKET_DEFAULT_SIZE, DisjointPool.parseParams({}).minBucketSize, 'the header default')
  const p = DisjointPool.parseParams({ slabMinSize: 1n << 20n, maxPoolableSize: 0, capacity: 0, minBucketSize: 1, trace: 3, name: 'a-B_9' })
  t.equal(p.slabMinSize, 1n << 20n, 'bigint sizes are kept')
  t.equal(p.maxPoolableSize, 0)
  t.equal(p.minBucketSize, 1)
  t.equal(DisjointPoolParamsSchema.safeParse({ name: 'x'.repeat(63) }).success, true, '63 characters')

  using provider = new OsMemoryProvider()
  using pool = new DisjointPool(provider, { name: 'my-disjoint', capacity: 1 })
  t.equal(pool.name, 'my-disjoint', 'the name reaches C (umfPoolGetName)')
  t.equal(pool.params.capacity, 1)
  t.ok(Object.isFrozen(pool.params))
  t.equal(pool.sharedLimits, null)
  t.equal(pool.provider, provider)
  t.ok(pool instanceof MemoryPool)
})

t.test('params: every bad value is a ConfigError naming the key; nothing reaches C', async (t) => {
  using provider = new OsMemoryProvider()
  const cases: [string, unknown, RegExp][] = [
    ['unknown key', { slabMinsize: 4096 }, /Unrecognized key: "slabMinsize"/],
    ['not an object', 42, /expected object/],
    ['slabMinSize string', { slabMinSize: '64K' }, /slabMinSize must be an integer number of bytes from 1[\s\S]*at slabMinSize/],
    ['slabMinSize 0', { slabMinSize: 0 }, /slabMinSize must be an integer number of bytes from 1/],
    ['slabMinSize negative', { slabMinSize: -4096 }, /at slabMinSize/],
    ['slabMinSize fraction', { slabMinSize: 4096.5 }, /at slabMinSize/],
    ['slabMinSize NaN', { slabMinSize: NaN }, /at slabMinSize/],
    ['slabMinSize 2^64', { slabMinSize: 1n << 64n }, /at slabMinSize/],
    ['maxPoolableSize negative', { maxPoolableSize: -1 }, /maxPoolableSize must be an integer number of bytes from 0/],
    ['maxPoolableSize past 2^53', { maxPoolableSize: 2 ** 53 }, /at maxPoolableSize/],
    ['capacity fraction', { capacity: 1.5 }, /capacity must be a whole number of slabs/],
    ['capacity negative', { capacity: -1 }, /capacity must be at least 0/],
    ['capacity bigint', { capacity: 4n }, /capacity must be a number of slabs/],
    ['minBucketSize 12', { minBucketSize: 12 }, /minBucketSize must be a power of 2/],
    ['minBucketSize 3n', { minBucketSize: 3n }, /minBucketSize must be a power of 2/],
    ['minBucketSize 0', { minBucketSize: 0 }, /minBucketSize must be an integer number of bytes from 1/],
    ['trace 4', { trace: 4 }, /trace must be an integer from 0 to 3/],
    ['trace true', { trace: true }, /trace must be a number/],
    ['name empty', { name: '' }, /name must be 1 to 63 characters/],
    ['name 64', { name: 'x'.repeat(64) }, /name must be 1 to 63 characters/],
    ['name space', { name: 'my pool' }, /name must be 1 to 63 characters/],
    ['name number', { name: 7 }, /name must be a string/],
    ['sharedLimits number', { sharedLimits: 65536 }, /sharedLimits must be a DisjointPoolSharedLimits object/],
    ['sharedLimits bigint', { sharedLimits: 0x1000n }, /sharedLimits must be a DisjointPoolSharedLimits object/],
  ]
  for (const [name, params, re] of cases) {
    throwsLike(t, () => new DisjointPool(provider, params as never), ConfigError, re, name)
    throwsLike(t, () => DisjointPool.parseParams(params), ConfigError, /invalid DisjointPool params/, `${name} (parseParams)`)
  }
  let all: unknown
  try {
    new DisjointPool(provider, { slabMinSize: -1, capacity: 'x', minBucketSize: 6, extra: 1 } as never)
  } catch (e) {
    all = e
  }
  t.ok(all instanceof ConfigError)
  t.equal((all as ConfigError).issues.length, 4, 'one ConfigError lists every problem')
  // options
  throwsLike(t, () => new DisjointPool(provider, {}, { ownProvider: 'yes' } as never), ConfigError, /ownProvider must be true or false/, 'ownProvider string')
  throwsLike(t, () => new DisjointPool(provider, {}, { params: 1n } as never), ConfigError, /invalid DisjointPool options[\s\S]*Unrecognized key: "params"/, 'params as an option')
  throwsLike(t, () => new DisjointPool('OS' as never), TypeError, /provider must be a MemoryProvider, got string/, 'provider string')
  throwsLike(t, () => new DisjointPool(null as never, {}), TypeError, /got null/, 'provider null')
  const gone = new OsMemoryProvider()
  gone.destroy()
  throwsLike(t, () => new DisjointPool(gone), DestroyedError, /was destroyed/, 'destroyed provider')
})

t.test('size classes: usable sizes around every class and around maxPoolableSize', async (t) => {
  using provider = new OsMemoryProvider()
  for (const [minBucketSize, maxPoolableSize] of [
    [8, 2 * MiB],
    [64, 100_000],
    [1, 300],
  ] as const) {
    const classes = sizeClasses(minBucketSize, maxPoolableSize)
    using pool = new DisjointPool(provider, { minBucketSize, maxPoolableSize })
    const sizes = new Set<number>()
    for (let i = 0; i < classes.length; i++) {
      const c = classes[i]!
      const prev = i > 0 ? classes[i - 1]! : 0
      for (const s of [prev + 1, c - 1, c, c + 1]) if (s > 0) sizes.add(s)
    }
    for (const s of [maxPoolableSize - 1, maxPoolableSize, maxPoolableSize + 1, maxPoolableSize * 2 + 3]) sizes.add(s)
    const wrong: string[] = []
    const live: bigint[] = []
    for (const s of [...sizes].sort((a, b) => a - b)) {
      const p = pool.malloc(s)
      live.push(p)
      const got = pool.usableSize(p)
      const want = expectedUsable(s, classes, maxPoolableSize)
      if (got !== want) wrong.push(`${s}: ${got} != ${want}`)
      const v = pool.view(p)
      v[0] = 1
      v[s - 1] = 2
    }
    t.same(wrong, [], `minBucketSize ${minBucketSize}, maxPoolableSize ${maxPoolableSize}: ${sizes.size} sizes over ${classes.length} classes (${classes.slice(0, 6).join(', ')}, ...)`)
    for (const p of live) pool.free(p)
  }
})

t.test('maxPoolableSize: larger allocations go straight to the provider (seen by a TypeScript provider)', async (t) => {
  using os = new OsMemoryProvider()
  const { impl, counts } = countingProvider(os)
  using provider = new MemoryProvider(impl)
  using pool = new DisjointPool(provider, { maxPoolableSize: 100_000 })
  const pooled = pool.malloc(100_000)
  const allocs = counts.allocs
  t.equal(pool.usableSize(pooled), 131_072, '100,000 bytes: a chunk of the 128 KiB class')
  const direct = pool.malloc(100_001)
  t.equal(counts.allocs, allocs + 1, 'one provider allocation for 100,001 bytes')
  t.equal(counts.sizes[counts.sizes.length - 1], 100_001, 'of exactly that size')
  t.equal(pool.usableSize(direct), 100_001)
  pool.free(direct)
  t.equal(counts.frees, 1, 'freed to the provider at once')
  pool.free(pooled)
  using none = new DisjointPool(provider, { maxPoolableSize: 0 })
  const before = counts.allocs
  const p = none.malloc(8)
  t.equal(counts.allocs, before + 1, 'maxPoolableSize 0: even 8 bytes come from the provider')
  t.equal(none.usableSize(p), 8)
  none.free(p)
})

t.test('every allocation function over the OS provider', async (t) => {
  using provider = new OsMemoryProvider()
  using pool = new DisjointPool(provider)
  t.equal(pool.name, 'disjoint')
  checkAllocations(t, pool, { maxAlignment: 4 * MiB, trim: true, large: 3 * MiB })
  checkBadInput(t, pool)
})

t.test('every allocation function over a provider written in TypeScript', async (t) => {
  using os = new OsMemoryProvider()
  const { impl, counts } = countingProvider(os, { name: 'ts-counting' })
  using provider = new MemoryProvider(impl)
  using pool = new DisjointPool(provider, { slabMinSize: 128 * KiB, capacity: 2 })
  t.equal(pool.provider.name, 'ts-counting')
  checkAllocations(t, pool, { maxAlignment: 1 * MiB, trim: true, large: 3 * MiB })
  checkBadInput(t, pool)
  t.ok(counts.allocs > 0, `the pool took ${counts.allocs} blocks from the TypeScript provider`)
  pool.trim()
  pool.destroy()
  t.equal(counts.live.size, 0, 'destroy gave every block back')
  t.equal(counts.frees, counts.allocs)
})

t.test('every allocation function over the fixed provider; running out of its memory', async (t) => {
  checkFixedProvider(t, (provider) => new DisjointPool(provider), true)
})

// 4 KiB chunks: above the thread-cache classes (<= 1 KiB), so every free reaches its slab at once.
// A 64 KiB slab holds 16 of them.
const CHUNK = 4 * KiB
const PER_SLAB = 16

function fill(pool: DisjointPool, slabs: number): bigint[] {
  const out: bigint[] = []
  for (let i = 0; i < slabs * PER_SLAB; i++) out.push(pool.malloc(CHUNK))
  return out
}

t.test('capacity: empty slabs kept per class, seen through the provider counts; trim', async (t) => {
  using os = new OsMemoryProvider()
  const { impl, counts } = countingProvider(os)
  using provider = new MemoryProvider(impl)
  for (const capacity of [0, 1, 2, 4]) {
    counts.allocs = counts.frees = 0
    using pool = new DisjointPool(provider, { capacity })
    const ptrs = fill(pool, 6)
    t.equal(counts.allocs, 6, `capacity ${capacity}: 96 chunks of 4 KiB take 6 slabs`)
    t.ok(
      counts.sizes.slice(-6).every((s) => s === 64 * KiB),
      'each slab is slabMinSize bytes',
    )
    for (const p of ptrs) pool.free(p)
    t.equal(counts.frees, 6 - capacity, `capacity ${capacity}: ${capacity} empty slab(s) kept, the rest freed`)
    fill(pool, 1).forEach((p) => pool.free(p))
    t.equal(counts.allocs, capacity > 0 ? 6 : 7, `capacity ${capacity}: the next slab ${capacity > 0 ? 'is a kept one' : 'is new'}`)
    pool.trim(64 * KiB)
    t.equal(counts.frees, capacity > 0 ? 6 - 1 : 7, 'trim(64 KiB) keeps one cached slab')
    pool.trim()
    t.equal(counts.frees, counts.allocs, 'trim() gives back every empty slab')
  }
})

t.test('slabMinSize reaches C: the size of the slabs the provider sees', async (t) => {
  using os = new OsMemoryProvider()
  const { impl, counts } = countingProvider(os)
  using provider = new MemoryProvider(impl)
  for (const [slabMinSize, slab] of [
    [256 * KiB, 256 * KiB],
    [100_000, 128 * KiB], // rounded up to a power of 2
    [1, 4 * KiB], // at least a page
  ] as const) {
    counts.sizes.length = 0
    using pool = new DisjointPool(provider, { slabMinSize, trace: 1 })
    // 256 B: 16 chunks fit even the smallest slab, which therefore does not grow past slabMinSize
    pool.free(pool.malloc(256))
    t.same(counts.sizes, [slab], `slabMinSize ${slabMinSize}: one slab of ${slab} bytes`)
  }
})

t.test('trace reaches C: a traced pool keeps no thread cache (seen through the provider counts)', async (t) => {
  using os = new OsMemoryProvider()
  const { impl, counts } = countingProvider(os)
  using provider = new MemoryProvider(impl)
  for (const trace of [0, 1]) {
    counts.allocs = counts.frees = 0
    using pool = new DisjointPool(provider, { capacity: 0, trace })
    const p = pool.malloc(64)
    t.equal(counts.allocs, 1, `trace ${trace}: one slab for a 64-byte chunk`)
    pool.free(p)
    if (trace === 0) {
      t.equal(counts.frees, 0, 'trace 0: the chunk waits in the thread cache, its slab stays')
      pool.trim()
      t.equal(counts.frees, 1, 'trim flushes the thread cache; the empty slab goes (capacity 0)')
    } else {
      t.equal(counts.frees, 1, `trace ${trace}: no thread cache, the empty slab goes at once (capacity 0)`)
    }
  }
})

t.test('trace 3 logs every operation through UMF_LOG, under the pool\'s name (child process)', async (t) => {
  const body = `
const pool = new lib.DisjointPool(new lib.OsMemoryProvider(), { trace: 3, name: 'traced-pool' })
const p = pool.malloc(100)
pool.free(p)
pool.destroy()
console.log(JSON.stringify({ p: '0x' + p.toString(16) }))
`
  const r = runBody(body, { UMF_LOG: 'level:info;output:stderr' })
  t.equal(r.status, 0, r.stderr.slice(0, 300))
  const p = String(r.result['p'])
  t.match(r.stderr, new RegExp(`disjoint pool traced-pool: malloc ${p} \\(100 bytes\\)`), 'the malloc, its address and size')
  t.match(r.stderr, new RegExp(`disjoint pool traced-pool: free ${p}`), 'the free')
  const quiet = runBody(body.replace('trace: 3', 'trace: 2'), { UMF_LOG: 'level:info;output:stderr' })
  t.notMatch(quiet.stderr, /disjoint pool traced-pool: malloc/, 'trace 2 does not log each operation')
})

t.test('shared limits: the bytes of cached slabs across pools, seen through the provider counts', async (t) => {
  using os = new OsMemoryProvider()
  const a = countingProvider(os, { name: 'prov-a' })
  const b = countingProvider(os, { name: 'prov-b' })
  using provA = new MemoryProvider(a.impl)
  using provB = new MemoryProvider(b.impl)
  using limits = new DisjointPoolSharedLimits(64 * KiB)
  t.equal(limits.maxSize, 64 * KiB)
  using poolA = new DisjointPool(provA, { sharedLimits: limits, capacity: 4 })
  using poolB = new DisjointPool(provB, { sharedLimits: limits, capacity: 4 })
  t.equal(poolA.sharedLimits, limits)
  fill(poolA, 2).forEach((p) => poolA.free(p))
  t.equal(a.counts.frees, 1, 'pool A keeps one 64 KiB slab: the whole shared limit')
  fill(poolB, 2).forEach((p) => poolB.free(p))
  t.equal(b.counts.frees, 2, 'pool B may keep none: A holds the limit (its capacity of 4 does not matter)')
  poolA.trim()
  t.equal(a.counts.frees, 2, 'A trimmed: the limit is free again')
  fill(poolB, 1).forEach((p) => poolB.free(p))
  t.equal(b.counts.frees, 2, 'now B keeps its empty slab')
  t.equal(b.counts.allocs, 3)

  // the limits live as long as a pool uses them
  throwsLike(t, () => limits.destroy(), Error, /still used by 2 live object\(s\)/, 'destroy with live pools')
  t.equal(limits.alive, true)
  poolA.destroy()
  poolB.destroy()
  t.equal(b.counts.frees, b.counts.allocs, 'destroying B gave back its cached slab (and released the limit)')
  limits.destroy()
  t.equal(limits.alive, false)
  throwsLike(t, () => new DisjointPool(provA, { sharedLimits: limits }), DestroyedError, /DisjointPoolSharedLimits was destroyed/, 'destroyed limits')
  throwsLike(t, () => limits.handle, DestroyedError, /was destroyed/, 'handle of destroyed limits')

  // a limit of 0: no pool keeps any empty slab
  using zero = new DisjointPoolSharedLimits(0n)
  using poolC = new DisjointPool(provA, { sharedLimits: zero })
  const frees = a.counts.frees
  fill(poolC, 3).forEach((p) => poolC.free(p))
  t.equal(a.counts.frees, frees + 3, 'limit 0: every empty slab goes back')
})

t.test('garbage collection: a forgotten pool keeps its shared limits alive, then both go (child process)', async (t) => {
  const body = `
import v8 from 'node:v8'
import vm from 'node:vm'
v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc')
const settle = async () => { for (let i = 0; i < 6; i++) { gc(); await new Promise((r) => setTimeout(r, 20)) } }
const os = new lib.OsMemoryProvider()
// only the pool references the limits from here on
let pool = new lib.DisjointPool(os, { sharedLimits: new lib.DisjointPoolSharedLimits(1 << 20), capacity: 8 })
await settle()
const whileAlive = testing.finalizedObjects()
// the pool still uses the limits: cache empty slabs, then trim them
const ptrs = []
for (let i = 0; i < 64; i++) ptrs.push(pool.malloc(4096))
for (const p of ptrs) pool.free(p)
pool.trim()
pool = null
await settle()
const afterDrop = testing.finalizedObjects()
console.log(JSON.stringify({ whileAlive, afterDrop, providerAlive: os.alive }))
`
  const r = runBody(body)
  t.equal(r.signal, null, `no crash (${r.stderr.slice(0, 300)})`)
  t.equal(r.status, 0)
  t.equal(r.result['whileAlive'], 0, 'nothing finalized while the pool lives, the limits included')
  t.equal(r.result['afterDrop'], 2, 'the forgotten pool and then its limits were finalized')
  t.equal(r.result['providerAlive'], true)
})

t.test('DisjointPoolSharedLimits: bad sizes', async (t) => {
  throwsLike(t, () => new DisjointPoolSharedLimits(-1), RangeError, /maxSize must be a non-negative integer/, 'negative')
  throwsLike(t, () => new DisjointPoolSharedLimits(1.5), RangeError, /maxSize/, 'fraction')
  throwsLike(t, () => new DisjointPoolSharedLimits('1M' as never), TypeError, /maxSize must be a number or a bigint/, 'string')
  throwsLike(t, () => new DisjointPoolSharedLimits(1n << 64n), RangeError, /maxSize/, '2^64')
  using max = new DisjointPoolSharedLimits((1n << 64n) - 1n)
  t.equal(max.alive, true, 'SIZE_MAX is a valid limit')
})

t.test('tracking: umfFree/poolByPtr need it; the pool itself frees without it', async (t) => {
  using provider = new OsMemoryProvider()
  using pool = new DisjointPool(provider, {}, { disableTracking: true })
  const small = pool.malloc(64)
  const large = pool.malloc(4 * MiB)
  t.equal(poolByPtr(small), null, 'untracked memory has no pool')
  t.equal(MemoryPool.byPtr(large), null)
  const e = t.throws(() => umfFree(small)) as UmfError
  t.equal(e.code, ffi.UMF_RESULT_ERROR_INVALID_ARGUMENT, 'umfFree cannot find it')
  pool.free(small)
  pool.free(large)
  t.equal(pool.liveAllocations, 0, 'pool.free works for slab chunks and large allocations')
})

t.test('ownProvider: the pool destroys the provider', async (t) => {
  const provider = new OsMemoryProvider()
  const pool = new DisjointPool(provider, { capacity: 1 }, { ownProvider: true })
  t.equal(provider.moved, true)
  throwsLike(t, () => provider.alloc(4096), DestroyedError, /was moved/, 'the moved provider')
  pool.free(pool.malloc(10))
  pool.destroy()
  t.equal(pool.alive, false)
})

t.test('ffi/ calls on a lib/ pool handle agree with lib/', async (t) => {
  using provider = new OsMemoryProvider()
  using pool = new DisjointPool(provider)
  const p = ffi.umfPoolMalloc(pool.handle, 100)
  t.type(p, 'bigint')
  const out: [number | bigint | null] = [null]
  t.equal(ffi.umfPoolMallocUsableSize(pool.handle, p, out), ffi.UMF_RESULT_SUCCESS)
  t.equal(Number(out[0]), 128, '100 bytes: the 128-byte class')
  const found: [ffi.umf_memory_pool_handle_t | null] = [null]
  t.equal(ffi.umfPoolByPtr(p, found), ffi.UMF_RESULT_SUCCESS)
  t.equal(found[0], pool.handle)
  t.equal(ffi.umfFree(p), ffi.UMF_RESULT_SUCCESS)
  t.equal(ffi.umfPoolMalloc(pool.handle, 0), null, 'malloc(0) is NULL')
  t.throws(() => pool.malloc(0), UmfError, 'and lib/ says so')
})

t.test('destroyed pool: every method throws DestroyedError', async (t) => {
  using provider = new OsMemoryProvider()
  checkDestroyed(t, new DisjointPool(provider))
})
