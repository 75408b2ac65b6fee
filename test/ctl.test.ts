// lib/ctl.ts: typed get/set/exec, defaults, pool.stats / provider.stats, TypeScript pools and providers
// answering CTL, UMF_CONF read at load (child process), and bad input.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import * as ffi from '../ffi/index.js'
import {
  DisjointPool,
  MemoryPool,
  MemoryProvider,
  OsMemoryProvider,
  ProxyPool,
  UmfError,
  ctl,
  type MemoryPoolImpl,
  type MemoryProviderImpl,
} from '../lib/index.js'

t.test('logger nodes: typed values, round trips, range errors', async (t) => {
  const level: number = ctl.get('umf.logger.level')
  t.equal(level, 3)
  t.equal(ctl.get('umf.logger.output'), 'disabled')
  ctl.set('umf.logger.flush_level', 4)
  t.equal(ctl.get('umf.logger.{}', 'flush_level'), 4)
  ctl.set('umf.logger.timestamp', true)
  t.equal(ctl.get('umf.logger.timestamp'), true)
  ctl.set('umf.logger.timestamp', false)
  t.equal(ctl.get('umf.logger.timestamp'), false)
  t.throws(() => ctl.set('umf.logger.level', 9), { code: ffi.UMF_RESULT_ERROR_INVALID_ARGUMENT })
  ctl.set('umf.logger.flush_level', 3)
})

t.test('pool and provider statistics', async (t) => {
  using provider = new OsMemoryProvider()
  using pool = new DisjointPool(provider, { trace: 2 })
  t.same(pool.stats, { allocCount: 0 })
  const ps = [pool.malloc(4096), pool.malloc(4096)]
  t.same(pool.stats, { allocCount: 2 })
  t.equal(ctl.get('umf.pool.by_handle.{}.stats.alloc_count', pool), 2)
  t.equal(ctl.get('umf.pool.by_handle.{}.stats.used_memory', pool), 8192)
  t.equal(ctl.get('umf.pool.by_handle.{}.stats.alloc_num', pool.handle), 2)
  t.equal(ctl.get('umf.pool.by_handle.{}.params.pool_trace', pool), 2)
  const count = ctl.get('umf.pool.by_handle.{}.buckets.count', pool)
  const sizes = Array.from({ length: count }, (_, i) => ctl.get('umf.pool.by_handle.{}.buckets.{}.size', pool, i))
  const b = sizes.indexOf(4096)
  t.ok(b >= 0, 'a 4096-byte bucket')
  t.equal(ctl.get('umf.pool.by_handle.{}.buckets.{}.stats.alloc_num', pool, b), 2)
  t.equal(provider.stats.allocatedMemory, 65536)
  t.equal(ctl.get('umf.provider.by_handle.{}.stats.peak_memory', provider), 65536)
  t.equal(ctl.get('umf.provider.by_handle.{}.params.ipc_enabled', provider), 0)
  for (const p of ps) pool.free(p)
  t.same(pool.stats, { allocCount: 0 })
  provider.resetPeakMemory()
  t.throws(
    () => ctl.set('umf.pool.by_handle.{}.params.capacity', 1, pool),
    { code: ffi.UMF_RESULT_ERROR_NOT_SUPPORTED },
    'a live pool keeps its params',
  )
  t.throws(
    () => ctl.get('umf.pool.by_handle.{}.stats.nothing', pool),
    /value type of umf.pool.by_handle.\{\}.stats.nothing is not known/,
  )
  t.throws(
    () => ctl.getAs('size_t', 'umf.pool.by_handle.{}.stats.nothing', pool),
    { code: ffi.UMF_RESULT_ERROR_INVALID_CTL_PATH },
  )
})

t.test('by_name with duplicate names, and defaults', async (t) => {
  using provider = new OsMemoryProvider()
  ctl.setDefault('umf.pool.default.disjoint.params.capacity', 9)
  t.equal(ctl.getDefault('umf.pool.default.disjoint.params.capacity'), 9)
  try {
    using a = new DisjointPool(provider, { name: 'twin' })
    using b = new DisjointPool(provider, { name: 'twin' })
    t.equal(ctl.get('umf.pool.by_handle.{}.params.capacity', a), 9, 'the default applied at create time')
    const p = b.malloc(64)
    t.equal(ctl.get('umf.pool.by_name.twin.count'), 2)
    t.equal(ctl.get('umf.pool.by_name.{}.{}.stats.alloc_count', 'twin', 1), 1)
    t.equal(ctl.get('umf.pool.by_name.twin.0.stats.alloc_count'), 0)
    t.throws(
      () => ctl.get('umf.pool.by_name.twin.stats.alloc_count'),
      { code: ffi.UMF_RESULT_ERROR_INVALID_ARGUMENT },
      'no index with two pools of the name',
    )
    b.free(p)
  } finally {
    ctl.setDefault('umf.pool.default.disjoint.params.capacity', 4)
  }
  t.throws(() => ctl.getDefault('umf.pool.default.disjoint.params.nothing_stored', 'int'), /INVALID_CTL_PATH/)
})

t.test('TypeScript pools and providers answer CTL; exceptions follow the callback rules', async (t) => {
  const seen: string[] = []
  let knob = 0
  const impl: MemoryProviderImpl = {
    name: 'tsctl',
    alloc: () => null,
    free: () => {},
    ctl(source, path, type, value) {
      seen.push(`${source} ${type} ${path}`)
      if (path === 'knob' && value !== null) {
        const dv = new DataView(value.buffer, value.byteOffset, value.byteLength)
        if (type === 'write') knob = source === 'config' ? Number(new TextDecoder().decode(value).replace(/\0.*$/, '')) : dv.getInt32(0, true)
        else if (type === 'read') dv.setInt32(0, knob, true)
        return true
      }
      if (path === 'boom') throw new Error('ctl exploded')
      return false
    },
  }
  ctl.setDefault('umf.provider.default.tsctl.knob', 5, 'int')
  using provider = new MemoryProvider(impl)
  t.equal(knob, 5, 'the default reached ctl before post_initialize')
  t.same(seen, ['programmatic write knob', 'programmatic runnable post_initialize'])
  ctl.setAs('int', 'umf.provider.by_handle.{}.knob', 12, provider)
  t.equal(ctl.getAs('int', 'umf.provider.by_handle.{}.knob', provider), 12)
  t.same(provider.stats, { allocatedMemory: undefined, peakMemory: undefined }, 'no counters: undefined, not garbage')
  // UMF ignores what a provider answers, but the exception still reaches the caller
  t.throws(() => ctl.exec('umf.provider.by_handle.{}.boom', provider), /ctl exploded/)

  const poolImpl: MemoryPoolImpl = {
    name: 'tspool',
    malloc: () => null,
    free: () => {},
    ctl(_source, path, type, value) {
      if (path === 'answer' && type === 'read' && value) {
        new DataView(value.buffer, value.byteOffset).setBigUint64(0, 42n, true)
        return true
      }
      if (path === 'boom') throw new UmfError(ffi.UMF_RESULT_ERROR_OUT_OF_RESOURCES, 'ext_ctl')
      return false
    },
  }
  using pool = new MemoryPool(poolImpl, provider)
  t.equal(ctl.getAs('size_t', 'umf.pool.by_handle.{}.answer', pool), 42)
  t.equal(ctl.getAs('size_t', 'umf.pool.by_name.tspool.answer'), 42)
  t.equal(pool.stats.allocCount, 0, 'the generic node answers for a TypeScript pool too')
  t.throws(
    () => ctl.getAs('size_t', 'umf.pool.by_handle.{}.nothing', pool),
    { code: ffi.UMF_RESULT_ERROR_INVALID_CTL_PATH },
  )
  t.throws(
    () => ctl.exec('umf.pool.by_handle.{}.boom', pool),
    { code: ffi.UMF_RESULT_ERROR_OUT_OF_RESOURCES },
  )
})

t.test('bad input throws before reaching C', async (t) => {
  using provider = new OsMemoryProvider()
  using pool = new ProxyPool(provider)
  const bad: [() => unknown, RegExp][] = [
    [() => ctl.get('' as string), /must not be empty/],
    [() => ctl.get('umf..logger' as string), /nodes of/],
    [() => ctl.get('umf.logger.level;rm' as string), /nodes of/],
    [() => ctl.get(42 as unknown as string), /must be a string/],
    [() => ctl.get('umf.pool.by_handle.{}.stats.alloc_count'), /more \{\} than/],
    [() => ctl.get('umf.pool.by_handle.{}.stats.alloc_count', pool, 1), /1 \{\} but 2 arguments/],
    [() => ctl.get('umf.pool.by_handle.{}.stats.alloc_count', 0n), /takes a pool or a provider/],
    [() => ctl.get('umf.pool.by_handle.{}.stats.alloc_count', 'pool'), /takes a pool or a provider/],
    [() => ctl.get('umf.pool.by_name.{}.count', 'a.b'), /node name/],
    [() => ctl.get('umf.pool.by_name.{}.count', -1), /node name/],
    [() => ctl.set('umf.logger.level', 1.5), /32-bit integer/],
    [() => ctl.set('umf.logger.timestamp', 1 as unknown as boolean), /a boolean/],
    [() => ctl.set('umf.logger.output', ''), /non-empty string/],
    [() => ctl.set('umf.pool.by_handle.{}.params.capacity', -1, pool), /non-negative integer/],
    [() => ctl.setAs('float' as 'int', 'umf.x.y', 1), /unknown CTL type/],
    [() => ctl.setDefault('umf.pool.by_handle.{}.x', 1), /expected umf.pool.default/],
    [() => ctl.getDefault('umf.pool.default.{}.x'), /expected umf.pool.default/],
  ]
  for (const [f, re] of bad) t.throws(f, re)
  pool.destroy()
  t.throws(() => ctl.get('umf.pool.by_handle.{}.stats.alloc_count', pool), /destroyed/)
  t.throws(
    () => ctl.get('umf.nothing.here' as string, ...[]),
    /value type of umf.nothing.here is not known/,
  )
  t.throws(
    () => ctl.getAs('int', 'umf.nothing.here'),
    { code: ffi.UMF_RESULT_ERROR_INVALID_CTL_PATH },
  )
})

t.test('UMF_CONF and UMF_CONF_FILE are read when the library loads', async (t) => {
  const dir = t.testdir({ 'conf.txt': '# the file wins\numf.pool.default.disjoint.params.pool_trace = 1\n' })
  const code = `
    import { ctl, DisjointPool, OsMemoryProvider } from './lib/index.ts'
    const provider = new OsMemoryProvider()
    const pool = new DisjointPool(provider)
    console.log(JSON.stringify({
      trace: ctl.get('umf.pool.by_handle.{}.params.pool_trace', pool),
      level: ctl.get('umf.logger.level'),
      stored: ctl.getDefault('umf.pool.default.disjoint.params.pool_trace', 'string'),
    }))
    pool.destroy(); provider.destroy()`
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    encoding: 'utf8',
    env: {
      ...process.env,
      UMF_CONF: 'umf.pool.default.disjoint.params.pool_trace=2;umf.logger.level=4',
      UMF_CONF_FILE: `${dir}/conf.txt`,
    },
    timeout: 60_000,
  })
  t.equal(r.status, 0, r.stderr)
  t.same(JSON.parse(r.stdout), { trace: 1, level: 4, stored: '1' })
})
