// lib/pools/jemalloc_pool.ts: JemallocPool. Params and their errors, every allocation function over the OS
// provider, the fixed provider and a provider written in TypeScript that can split, running out of memory,
// a provider that cannot split (NOT_SUPPORTED), provider failure, trim, a provider whose memory cannot be
// touched (protection none), a fresh process with no special environment, a libumf built without the pool
// (a stand-in library), destroyed handles, bad input.
import t from 'tap'
import * as ffi from '../ffi/index.js'
import {
  ConfigError,
  DestroyedError,
  JEMALLOC_MAX_ARENAS,
  JemallocPool,
  MemoryProvider,
  OsMemoryProvider,
  UmfError,
} from '../lib/index.js'
import { runBody } from './fixtures/pool-child.js'
import {
  checkAllocations,
  checkBadInput,
  checkBuiltWithout,
  checkDestroyed,
  checkFixedProvider,
  checkOwnedUntracked,
  checkProviderFailure,
  countingProvider,
  throwsLike,
} from './fixtures/pool-common.js'

const MiB = 1024 * 1024
t.test('the pool is built in', async (t) => {
  t.equal(JemallocPool.available, true, 'umfJemallocPoolOps() is not NULL')
  using provider = new OsMemoryProvider()
  using pool = new JemallocPool(provider)
  t.equal(pool.name, 'jemalloc')
  t.same(pool.params, { numArenas: 0, name: 'jemalloc', extendedStats: false })
})

t.test('params: UMF defaults, accepted values, the C name', async (t) => {
  t.same(JemallocPool.parseParams({}), { numArenas: 0, name: 'jemalloc', extendedStats: false })
  t.equal(JEMALLOC_MAX_ARENAS, 4095)
  using provider = new OsMemoryProvider()
  for (const numArenas of [1, 3, JEMALLOC_MAX_ARENAS]) {
    using pool = new JemallocPool(provider, { numArenas, name: `je-${numArenas}` })
    t.equal(pool.name, `je-${numArenas}`, `numArenas ${numArenas}: created, the name reaches C`)
    pool.free(pool.malloc(100))
  }
})

t.test('params: every bad value is a ConfigError naming the key', async (t) => {
  using provider = new OsMemoryProvider()
  const cases: [string, unknown, RegExp][] = [
    ['unknown key', { arenas: 4 }, /Unrecognized key: "arenas"/],
    ['scalable key', { granularity: MiB }, /Unrecognized key: "granularity"/],
    ['not an object', [], /expected object/],
    ['numArenas negative', { numArenas: -1 }, /numArenas must be an integer from 0 \(four per CPU\) to 4095[\s\S]*at numArenas/],
    ['numArenas fraction', { numArenas: 2.5 }, /numArenas must be an integer from 0 to 4095/],
    ['numArenas 4096', { numArenas: 4096 }, /numArenas must be at most 4095/],
    ['numArenas bigint', { numArenas: 4n }, /numArenas must be a number/],
    ['numArenas string', { numArenas: '4' }, /numArenas must be a number/],
    ['name empty', { name: '' }, /name must be 1 to 63 characters/],
    ['name 64', { name: 'j'.repeat(64) }, /name must be 1 to 63 characters/],
    ['name dot', { name: 'je.1' }, /name must be 1 to 63 characters/],
    ['name object', { name: {} }, /name must be a string/],
  ]
  for (const [name, params, re] of cases) {
    throwsLike(t, () => new JemallocPool(provider, params as never), ConfigError, re, name)
  }
  let all: unknown
  try {
    new JemallocPool(provider, { numArenas: -2, name: '', x: 1 } as never)
  } catch (e) {
    all = e
  }
  t.equal((all as ConfigError).issues.length, 3, 'one ConfigError lists every problem')
  throwsLike(t, () => new JemallocPool(provider, {}, { ownProvider: 0 } as never), ConfigError, /ownProvider must be true or false/, 'bad option')
  throwsLike(t, () => new JemallocPool(42 as never), TypeError, /provider must be a MemoryProvider, got number 42/, 'provider number')
})

t.test('every allocation function over the OS provider', async (t) => {
  using provider = new OsMemoryProvider()
  using pool = new JemallocPool(provider, { numArenas: 2 })
  checkAllocations(t, pool, { maxAlignment: 4 * MiB, trim: true, large: 9 * MiB })
  checkBadInput(t, pool)
})

t.test('every allocation function over a provider written in TypeScript (with split and merge)', async (t) => {
  using os = new OsMemoryProvider()
  const { impl, counts } = countingProvider(os, { name: 'ts-split', split: true })
  using provider = new MemoryProvider(impl)
  using pool = new JemallocPool(provider, { numArenas: 1 })
  t.equal(pool.provider.name, 'ts-split')
  t.ok(counts.splits >= 1 && counts.merges >= 1, 'creation probed split and merge on the TypeScript provider')
  checkAllocations(t, pool, { maxAlignment: 1 * MiB, trim: true, large: 9 * MiB })
  checkBadInput(t, pool)
  t.ok(counts.allocs > 1, `jemalloc took ${counts.allocs} extents from the TypeScript provider`)
  pool.destroy()
  t.equal(counts.live.size, 0, 'destroy gave every extent back')
})

t.test('every allocation function over the fixed provider; running out of its memory', async (t) => {
  checkFixedProvider(t, (provider) => new JemallocPool(provider, { numArenas: 1 }), true)
})

t.test('a provider that cannot split: NOT_SUPPORTED at creation, nothing left allocated', async (t) => {
  using os = new OsMemoryProvider()
  const { impl, counts } = countingProvider(os, { name: 'no-split' })
  using provider = new MemoryProvider(impl)
  const e = t.throws(() => new JemallocPool(provider)) as UmfError
  t.ok(e instanceof UmfError)
  t.equal(e.code, ffi.UMF_RESULT_ERROR_NOT_SUPPORTED, 'UMF_RESULT_ERROR_NOT_SUPPORTED')
  t.equal(e.func, 'umfPoolCreate')
  t.match(e.message, /needs a provider that supports allocationSplit and allocationMerge/)
  t.equal(counts.live.size, 0, 'the probe allocation was given back')
  t.equal(counts.frees, counts.allocs)
  provider.destroy() // no pool holds it
})

t.test('a provider error reaches the caller', async (t) => {
  checkProviderFailure(t, (provider) => new JemallocPool(provider, { numArenas: 1 }), true)
})

t.test('ownProvider and disableTracking', async (t) => {
  checkOwnedUntracked(t, (provider, options) => new JemallocPool(provider, { numArenas: 1 }, options))
})

t.test('a fresh node process with no GLIBC_TUNABLES creates a jemalloc pool (child process)', async (t) => {
  const r = runBody(
    `
const pool = new lib.JemallocPool(new lib.OsMemoryProvider(), { numArenas: 2 })
const p = pool.malloc(4096)
pool.view(p).fill(7)
const seven = pool.view(p).every((b) => b === 7)
pool.free(p)
pool.destroy()
console.log(JSON.stringify({ seven, tunables: process.env.GLIBC_TUNABLES ?? null }))
`,
    { GLIBC_TUNABLES: undefined, UMF_LOG: undefined },
  )
  t.equal(r.signal, null, r.stderr)
  t.equal(r.status, 0, r.stderr)
  t.same(r.result, { seven: true, tunables: null })
})

t.test('over a provider with protection none: 1000 x 1 KiB, provider memory never touched', async (t) => {
  using provider = new OsMemoryProvider({ protection: 'none' })
  using pool = new JemallocPool(provider)
  const ptrs: bigint[] = []
  for (let i = 0; i < 1000; i++) ptrs.push(pool.malloc(1024))
  t.equal(new Set(ptrs).size, 1000, 'a thousand distinct blocks')
  t.ok(ptrs.every((p) => pool.usableSize(p) >= 1024))
  for (const p of ptrs) pool.free(p)
})

t.test('a libumf built without jemalloc: the constructor throws NOT_SUPPORTED (child process)', async (t) => {
  checkBuiltWithout(t, { cls: 'JemallocPool', opsFn: 'umfJemallocPoolOps', message: /built without the jemalloc pool/, available: true })
})

t.test('destroyed pool: every method throws DestroyedError', async (t) => {
  using provider = new OsMemoryProvider()
  checkDestroyed(t, new JemallocPool(provider, { numArenas: 1 }))
})
