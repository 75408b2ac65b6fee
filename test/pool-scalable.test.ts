// lib/pools/scalable_pool.ts: ScalablePool (tbbmalloc). Params and their errors, every allocation function
// over the OS provider, the fixed provider and a provider written in TypeScript, granularity and
// keepAllMemory seen through that provider's alloc/free counts, running out of memory, trim (not
// supported), a missing tbbmalloc (child process with UMF_TBBMALLOC_LIB_NAME), destroyed handles, bad input.
import t from 'tap'
import * as ffi from '../ffi/index.js'
import {
  ConfigError,
  DestroyedError,
  MemoryProvider,
  OsMemoryProvider,
  ScalablePool,
  ScalablePoolParamsSchema,
  UmfError,
} from '../lib/index.js'
import { runBody, tryCreate } from './fixtures/pool-child.js'
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

t.test('params: UMF defaults, accepted values, the C name', async (t) => {
  t.same(ScalablePool.parseParams({}), { granularity: 2 * MiB, keepAllMemory: false, name: 'scalable', extendedStats: false })
  t.same(ScalablePool.parseParams({ granularity: 1, keepAllMemory: true, name: 'tbb-1' }), {
    granularity: 1,
    keepAllMemory: true,
    name: 'tbb-1',
    extendedStats: false,
  })
  t.equal(ScalablePoolParamsSchema.safeParse({ granularity: (1n << 64n) - 1n }).success, true, 'bigint up to 2^64 - 1')
  using provider = new OsMemoryProvider()
  using pool = new ScalablePool(provider, { name: 'my-scalable' })
  t.equal(pool.name, 'my-scalable', 'the name reaches C')
  using plain = new ScalablePool(provider)
  t.equal(plain.name, 'scalable')
  t.same(plain.params, { granularity: 2 * MiB, keepAllMemory: false, name: 'scalable', extendedStats: false })
})

t.test('params: every bad value is a ConfigError naming the key', async (t) => {
  using provider = new OsMemoryProvider()
  const cases: [string, unknown, RegExp][] = [
    ['unknown key', { granularty: MiB }, /Unrecognized key: "granularty"/],
    ['jemalloc key', { numArenas: 2 }, /Unrecognized key: "numArenas"/],
    ['not an object', 'fast', /expected object/],
    ['granularity 0', { granularity: 0 }, /granularity must be an integer number of bytes above 0[\s\S]*at granularity/],
    ['granularity 0n', { granularity: 0n }, /granularity must be an integer number of bytes above 0/],
    ['granularity negative', { granularity: -MiB }, /at granularity/],
    ['granularity fraction', { granularity: 1.5 }, /at granularity/],
    ['granularity string', { granularity: '2M' }, /at granularity/],
    ['granularity 2^64', { granularity: 1n << 64n }, /at granularity/],
    ['keepAllMemory number', { keepAllMemory: 1 }, /keepAllMemory must be true or false/],
    ['keepAllMemory string', { keepAllMemory: 'true' }, /keepAllMemory must be true or false/],
    ['name empty', { name: '' }, /name must be 1 to 63 characters/],
    ['name 64', { name: 'n'.repeat(64) }, /name must be 1 to 63 characters/],
    ['name slash', { name: 'a/b' }, /name must be 1 to 63 characters/],
    ['name null', { name: null }, /name must be a string/],
  ]
  for (const [name, params, re] of cases) {
    throwsLike(t, () => new ScalablePool(provider, params as never), ConfigError, re, name)
  }
  let all: unknown
  try {
    new ScalablePool(provider, { granularity: 0, keepAllMemory: 'no', name: '' } as never)
  } catch (e) {
    all = e
  }
  t.equal((all as ConfigError).issues.length, 3, 'one ConfigError lists every problem')
  throwsLike(t, () => new ScalablePool(provider, {}, { disableTracking: 1 } as never), ConfigError, /disableTracking must be true or false/, 'bad option')
  throwsLike(t, () => new ScalablePool({} as never), TypeError, /provider must be a MemoryProvider/, 'provider object')
})

t.test('every allocation function over the OS provider', async (t) => {
  using provider = new OsMemoryProvider()
  using pool = new ScalablePool(provider)
  checkAllocations(t, pool, { maxAlignment: 4 * MiB, trim: false, large: 9 * MiB })
  checkBadInput(t, pool)
})

t.test('every allocation function over a provider written in TypeScript', async (t) => {
  using os = new OsMemoryProvider()
  const { impl, counts } = countingProvider(os, { name: 'ts-counting' })
  using provider = new MemoryProvider(impl)
  using pool = new ScalablePool(provider)
  t.equal(pool.provider.name, 'ts-counting')
  checkAllocations(t, pool, { maxAlignment: 1 * MiB, trim: false, large: 9 * MiB })
  checkBadInput(t, pool)
  t.ok(counts.allocs > 0, `the pool took ${counts.allocs} blocks from the TypeScript provider`)
  pool.destroy()
  t.equal(counts.live.size, 0, 'destroy gave every block back')
})

t.test('every allocation function over the fixed provider; running out of its memory', async (t) => {
  checkFixedProvider(t, (provider) => new ScalablePool(provider), false)
})

t.test('granularity and keepAllMemory, seen through the provider counts', async (t) => {
  using os = new OsMemoryProvider()
  for (const keepAllMemory of [false, true]) {
    const { impl, counts } = countingProvider(os)
    using provider = new MemoryProvider(impl)
    const pool = new ScalablePool(provider, { granularity: 4 * MiB, keepAllMemory })
    t.equal(counts.allocs, 0, 'nothing taken before the first allocation')
    const ptrs: bigint[] = []
    for (let i = 0; i < 20; i++) ptrs.push(pool.malloc(MiB))
    t.ok(counts.allocs > 1, `20 MiB took ${counts.allocs} blocks`)
    t.ok(
      counts.sizes.every((s) => s >= 4 * MiB),
      `every block is at least the 4 MiB granularity (${[...new Set(counts.sizes)].join(', ')})`,
    )
    for (const p of ptrs) pool.free(p)
    pool.free(pool.malloc(64 * MiB))
    if (keepAllMemory) t.equal(counts.frees, 0, 'keepAllMemory: nothing given back before destroy')
    else t.ok(counts.frees > 0, `without keepAllMemory, free memory goes back (${counts.frees} blocks)`)
    pool.destroy()
    t.equal(counts.frees, counts.allocs, 'destroy gives back every block')
  }
})

t.test('a provider error reaches the caller', async (t) => {
  checkProviderFailure(t, (provider) => new ScalablePool(provider, { granularity: MiB }), false)
})

t.test('ownProvider and disableTracking', async (t) => {
  checkOwnedUntracked(t, (provider, options) => new ScalablePool(provider, {}, options))
})

t.test('tbbmalloc missing: DEPENDENCY_UNAVAILABLE (child process, UMF_TBBMALLOC_LIB_NAME)', async (t) => {
  const r = runBody(tryCreate('new lib.ScalablePool(new lib.OsMemoryProvider())'), {
    UMF_TBBMALLOC_LIB_NAME: '/nonexistent/libtbbmalloc.so.2',
  })
  t.equal(r.signal, null, `no crash (${r.stderr.slice(0, 300)})`)
  t.equal(r.status, 0)
  t.equal(r.result['ok'], false, 'the constructor throws')
  t.equal(r.result['error'], 'UmfError')
  t.equal(r.result['code'], ffi.UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE)
  t.equal(r.result['func'], 'umfPoolCreate')
  t.match(r.result['message'], /UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE.*libtbbmalloc\.so\.2.*install libtbbmalloc2/)
  // a library that is not tbbmalloc at all
  const wrong = runBody(tryCreate('new lib.ScalablePool(new lib.OsMemoryProvider())'), { UMF_TBBMALLOC_LIB_NAME: 'libz.so.1' })
  t.equal(wrong.result['code'], ffi.UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE, 'a library without the pool symbols: same code')
  // and with the variable empty, the default library loads
  const ok = runBody(tryCreate('new lib.ScalablePool(new lib.OsMemoryProvider())'), { UMF_TBBMALLOC_LIB_NAME: '' })
  t.same(ok.result, { ok: true, name: 'scalable' }, 'UMF_TBBMALLOC_LIB_NAME empty: libtbbmalloc.so.2')
})

t.test('a libumf built without the scalable pool: the constructor throws NOT_SUPPORTED (child process)', async (t) => {
  checkBuiltWithout(t, { cls: 'ScalablePool', opsFn: 'umfScalablePoolOps', message: /built without the scalable pool/, available: false })
})

t.test('destroyed pool: every method throws DestroyedError', async (t) => {
  using provider = new OsMemoryProvider()
  checkDestroyed(t, new ScalablePool(provider))
})
