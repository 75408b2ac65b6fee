// The extended pool statistics (this library's CTL extension): the extendedStats param of DisjointPool,
// JemallocPool and ScalablePool, pool.extendedStats and its resets, the typed CTL paths, defaults, bad input.
import t from 'tap'
import * as ffi from '../ffi/index.js'
import {
  ConfigError,
  DisjointPool,
  JemallocPool,
  MemoryPool,
  OsMemoryProvider,
  ProxyPool,
  ScalablePool,
  UmfError,
  ctl,
  umfFree,
} from '../lib/index.js'

type Maker = (provider: OsMemoryProvider, extendedStats?: boolean) => MemoryPool

const kinds: [string, Maker][] = [
  ['disjoint', (p, extendedStats) => new DisjointPool(p, extendedStats === undefined ? {} : { extendedStats })],
  ['jemalloc', (p, extendedStats) => new JemallocPool(p, extendedStats === undefined ? {} : { extendedStats })],
  ['scalable', (p, extendedStats) => new ScalablePool(p, extendedStats === undefined ? {} : { extendedStats })],
]

/** The pool, or undefined when this machine cannot make one of the kind (no tbbmalloc, say). */
function tryMake(make: Maker, provider: OsMemoryProvider, extendedStats?: boolean): MemoryPool | undefined {
  try {
    return make(provider, extendedStats)
  } catch (e) {
    if (e instanceof UmfError) return undefined
    throw e
  }
}

for (const [kind, make] of kinds) {
  t.test(`${kind}: requested bytes, peak and histogram after known sequences`, async (t) => {
    using provider = new OsMemoryProvider()
    using pool = tryMake(make, provider, true)
    if (pool === undefined) return t.comment(`no ${kind} pool here`)
    t.equal(ctl.get('umf.pool.by_handle.{}.params.extended_stats', pool), true)
    const zeros = new Array(64).fill(0)
    t.same(pool.extendedStats, { allocatedBytes: 0, peakAllocatedBytes: 0, sizeHistogram: zeros })
    const a = pool.malloc(100)
    const b = pool.calloc(3, 10)
    const c = pool.alignedMalloc(200, 64)
    let d = pool.realloc(a, 1000)
    t.not(d, null)
    const stats = pool.extendedStats!
    t.equal(stats.allocatedBytes, 1230)
    t.equal(stats.peakAllocatedBytes, 1230)
    // 100 and 1000 (the realloc counts as an allocation of its new size), 30, 200
    t.equal(stats.sizeHistogram[6], 1)
    t.equal(stats.sizeHistogram[9], 1)
    t.equal(stats.sizeHistogram[4], 1)
    t.equal(stats.sizeHistogram[7], 1)
    t.equal(stats.sizeHistogram.reduce((x, y) => x + y), 4)
    d = pool.realloc(d, 10)
    t.equal(ctl.get('umf.pool.by_handle.{}.stats.allocated_bytes', pool), 240)
    umfFree(b)
    pool.free(c)
    t.equal(ctl.get('umf.pool.by_handle.{}.stats.allocated_bytes', pool), 10)
    pool.resetPeakAllocatedBytes()
    t.equal(ctl.get('umf.pool.by_handle.{}.stats.peak_allocated_bytes', pool), 10)
    pool.free(d)
    t.equal(pool.extendedStats!.allocatedBytes, 0)
    t.equal(pool.extendedStats!.peakAllocatedBytes, 10)
    t.equal(ctl.get('umf.pool.by_handle.{}.stats.size_histogram.{}.alloc_num', pool, 3), 1)
    t.equal(ctl.get('umf.pool.by_handle.{}.stats.size_histogram.{}.min_size', pool, 3), 8)
    t.equal(ctl.get('umf.pool.by_handle.{}.stats.size_histogram.{}.max_size', pool, 3), 15)
    t.equal(ctl.get('umf.pool.by_handle.{}.stats.size_histogram.count', pool), 64)
    pool.resetSizeHistogram()
    t.same(pool.extendedStats!.sizeHistogram, zeros)
    // the ordinary statistics are still there
    t.same(pool.stats, { allocCount: 0 })
  })

  t.test(`${kind}: off by default`, async (t) => {
    using provider = new OsMemoryProvider()
    using pool = tryMake(make, provider)
    if (pool === undefined) return t.comment(`no ${kind} pool here`)
    t.equal(ctl.get('umf.pool.by_handle.{}.params.extended_stats', pool), false)
    t.equal(pool.extendedStats, undefined)
    t.throws(() => ctl.get('umf.pool.by_handle.{}.stats.allocated_bytes', pool), { code: ffi.UMF_RESULT_ERROR_NOT_SUPPORTED })
    t.throws(() => pool.resetPeakAllocatedBytes(), { code: ffi.UMF_RESULT_ERROR_NOT_SUPPORTED })
    t.throws(() => pool.resetSizeHistogram(), { code: ffi.UMF_RESULT_ERROR_NOT_SUPPORTED })
  })
}

t.test('pools without extended statistics: proxy', async (t) => {
  using provider = new OsMemoryProvider()
  using pool = new ProxyPool(provider)
  t.equal(pool.extendedStats, undefined)
  t.throws(() => ctl.get('umf.pool.by_handle.{}.stats.allocated_bytes', pool), { code: ffi.UMF_RESULT_ERROR_INVALID_CTL_PATH })
})

t.test('the switch as a default, and turned on on a live pool', async (t) => {
  using provider = new OsMemoryProvider()
  ctl.setDefault('umf.pool.default.disjoint.params.extended_stats', true)
  try {
    using pool = new DisjointPool(provider)
    t.equal(ctl.get('umf.pool.by_handle.{}.params.extended_stats', pool), true)
    const p = pool.malloc(33)
    t.equal(ctl.get('umf.pool.by_name.disjoint.stats.allocated_bytes'), 33)
    pool.free(p)
  } finally {
    ctl.setDefault('umf.pool.default.disjoint.params.extended_stats', false)
  }
  t.equal(ctl.getDefault('umf.pool.default.disjoint.params.extended_stats'), false)
  using pool = new DisjointPool(provider)
  const before = pool.malloc(500)
  ctl.set('umf.pool.by_handle.{}.params.extended_stats', true, pool)
  t.throws(() => ctl.set('umf.pool.by_handle.{}.params.extended_stats', false, pool), { code: ffi.UMF_RESULT_ERROR_NOT_SUPPORTED })
  pool.free(before) // made before the switch: counted in neither direction
  t.equal(pool.extendedStats!.allocatedBytes, 0)
})

t.test('bad input', async (t) => {
  using provider = new OsMemoryProvider()
  for (const bad of [1, 'yes', null]) {
    t.throws(() => new DisjointPool(provider, { extendedStats: bad as never }), ConfigError)
    t.throws(() => new JemallocPool(provider, { extendedStats: bad as never }), ConfigError)
    t.throws(() => new ScalablePool(provider, { extendedStats: bad as never }), ConfigError)
  }
  t.match(DisjointPool.parseParams({}), { extendedStats: false })
  t.match(DisjointPool.parseParams({ extendedStats: true }), { extendedStats: true })
  using pool = new DisjointPool(provider, { extendedStats: true })
  // the value type is checked before C sees it
  t.throws(() => ctl.set('umf.pool.by_handle.{}.params.extended_stats', 1 as never, pool), TypeError)
  t.throws(() => ctl.get('umf.pool.by_handle.{}.stats.size_histogram.{}.alloc_num', pool, -1), TypeError)
  t.throws(() => ctl.get('umf.pool.by_handle.{}.stats.size_histogram.{}.alloc_num', pool, 'x.y'), TypeError)
  // C's answers
  t.throws(() => ctl.get('umf.pool.by_handle.{}.stats.size_histogram.{}.alloc_num', pool, 64), {
    code: ffi.UMF_RESULT_ERROR_INVALID_ARGUMENT,
  })
  t.throws(() => ctl.get('umf.pool.by_handle.{}.stats.size_histogram.{}.alloc_num', pool, 'x'), {
    code: ffi.UMF_RESULT_ERROR_INVALID_CTL_PATH,
  })
  t.throws(() => ctl.getAs('int', 'umf.pool.by_handle.{}.stats.allocated_bytes', pool), { code: ffi.UMF_RESULT_ERROR_INVALID_ARGUMENT })
  t.throws(() => ctl.set('umf.pool.by_handle.{}.stats.allocated_bytes', 5, pool), { code: ffi.UMF_RESULT_ERROR_NOT_SUPPORTED })
  t.throws(() => ctl.exec('umf.pool.by_handle.{}.stats.allocated_bytes', pool), { code: ffi.UMF_RESULT_ERROR_NOT_SUPPORTED })
  t.throws(() => ctl.getAs('size_t', 'umf.pool.by_handle.{}.stats.allocated_bytes.x', pool), {
    code: ffi.UMF_RESULT_ERROR_INVALID_CTL_PATH,
  })
  // after destroy
  pool.destroy()
  t.throws(() => pool.extendedStats)
})
