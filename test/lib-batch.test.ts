// Issue 17 goal 4: pool.mallocMany(n, size) and pool.freeMany(ptrs), the batch calls. Values, bad input
// (refused before C, nothing allocated or freed), all-or-nothing on failure, and the TypeScript loops used
// where libumf_batch.so.1 is missing. Freeing bad addresses runs in a child process.
import koffi from 'koffi'
import t, { type Test } from 'tap'
import {
  DestroyedError,
  DisjointPool,
  MAX_BATCH,
  MemoryPool,
  OsMemoryProvider,
  ProxyPool,
  UmfError,
  type MemoryPoolImpl,
} from '../lib/index.js'
import * as ffi from '../ffi/index.js'
import { batch, poolFreeN, poolMallocN } from '../lib/fast_calls.js'
import { runCase, type CaseResult } from './fixtures/child-run.js'

t.ok(batch !== null, 'libumf_batch.so.1 is built next to libumf.so.1 and loaded')

t.test("the fast path's argument-block calls check what they read (no crash on a bad handle or value)", async (t) => {
  const INVALID = ffi.UMF_RESULT_ERROR_INVALID_ARGUMENT
  using provider = new OsMemoryProvider()
  using pool = new DisjointPool(provider)
  const hn = Number(pool.handle)
  t.throws(() => poolMallocN(0, 64), TypeError, 'NULL pool')
  t.throws(() => poolMallocN(hn, 1.5), TypeError, 'a size that is not an integer')
  t.throws(() => poolMallocN(hn, -1), TypeError, 'a negative size')
  t.throws(() => poolMallocN(hn, 2 ** 53), TypeError, 'a size past 2^53')
  t.equal(poolFreeN(0, 4096), INVALID, 'free: NULL pool')
  t.equal(poolFreeN(hn, 0), INVALID, 'free: NULL address')
  t.equal(poolFreeN(hn, Number.NaN), INVALID, 'free: NaN')
  const p = poolMallocN(hn, 64)
  t.equal(typeof p, 'number', 'an address as a number')
  t.ok((p as number) > 0)
  t.equal(poolFreeN(hn, p as number), ffi.UMF_RESULT_SUCCESS)
})

t.test('mallocMany gives n distinct, recorded, usable blocks; freeMany frees them', async (t) => {
  using provider = new OsMemoryProvider()
  for (const [name, make] of [
    ['disjoint', () => new DisjointPool(provider)],
    ['proxy', () => new ProxyPool(provider)],
  ] as const) {
    using pool = make()
    const ptrs = pool.mallocMany(1000, 64)
    t.ok(ptrs instanceof BigUint64Array, `${name}: a BigUint64Array`)
    t.equal(ptrs.length, 1000, `${name}: 1000 entries`)
    t.equal(new Set(ptrs).size, 1000, `${name}: distinct`)
    t.ok(ptrs.every((p) => p !== 0n && p % 8n === 0n), `${name}: non-NULL, 8-byte aligned`)
    t.equal(pool.liveAllocations, 1000, `${name}: lib/ recorded them`)
    t.equal(pool.stats.allocCount, 1000, `${name}: the pool counts them`)
    t.equal(pool.allocationSize(ptrs[999]!), 64, `${name}: with their size`)
    for (const p of ptrs) pool.view(p).fill(0xab)
    t.equal(pool.read(ptrs[500]!)[63], 0xab, `${name}: writable`)
    pool.freeMany(ptrs)
    t.equal(pool.liveAllocations, 0, `${name}: all forgotten`)
    t.equal(pool.stats.allocCount, 0, `${name}: all freed`)
    t.throws(() => pool.free(ptrs[0]!), RangeError, `${name}: a freed one is refused by free()`)
  }
})

t.test('mallocMany into an array; n = 0; an array of bigints to freeMany', async (t) => {
  using provider = new OsMemoryProvider()
  using pool = new DisjointPool(provider)
  const into = new BigUint64Array(8)
  const r = pool.mallocMany(5, 32, into)
  t.equal(r, into, 'returns the array it filled')
  t.ok(into.subarray(0, 5).every((p) => p !== 0n), 'the first n entries')
  t.same([...into.subarray(5)], [0n, 0n, 0n], 'the rest untouched')
  pool.freeMany([...into.subarray(0, 5)])
  t.equal(pool.liveAllocations, 0, 'freed from an array of bigints')
  t.equal(pool.mallocMany(0, 64).length, 0, 'n = 0: an empty array')
  pool.freeMany(new BigUint64Array(0))
  pool.freeMany([])
  t.equal(pool.stats.allocCount, 0, 'nothing allocated')
})

t.test('bad arguments are refused before C, nothing allocated', async (t) => {
  using provider = new OsMemoryProvider()
  using pool = new DisjointPool(provider)
  t.throws(() => pool.mallocMany(-1, 64), { name: 'RangeError', message: /n must be an integer from 0 to 16777216, got -1/ })
  t.throws(() => pool.mallocMany(1.5, 64), { name: 'RangeError', message: /got 1.5/ })
  t.throws(() => pool.mallocMany(NaN, 64), { name: 'RangeError', message: /got NaN/ })
  t.throws(() => pool.mallocMany(MAX_BATCH + 1, 64), { name: 'RangeError', message: /got 16777217/ })
  t.throws(() => pool.mallocMany(2 ** 60, 64), RangeError, 'n huge')
  t.throws(() => pool.mallocMany('3' as unknown as number, 64), { name: 'TypeError', message: /n must be a number, got/ })
  t.throws(() => pool.mallocMany(3, -1), { name: 'RangeError', message: /size must be a non-negative integer/ })
  t.throws(() => pool.mallocMany(3, 2n ** 64n), { name: 'RangeError', message: /size must be between 0 and 2\^64 - 1/ })
  t.throws(() => pool.mallocMany(3, 64, new BigUint64Array(2)), { name: 'RangeError', message: /into has 2 entries, fewer than n = 3/ })
  t.throws(() => pool.mallocMany(3, 64, new Float64Array(3) as unknown as BigUint64Array), { name: 'TypeError', message: /into must be a BigUint64Array/ })
  t.throws(() => pool.freeMany('x' as unknown as bigint[]), { name: 'TypeError', message: /ptrs must be a BigUint64Array or an array of bigints/ })
  t.throws(() => pool.freeMany([1 as unknown as bigint]), { name: 'TypeError', message: /ptrs\[0\] must be an address/ })
  t.throws(() => pool.freeMany([-1n]), { name: 'TypeError', message: /ptrs\[0\] must be an address/ })
  t.equal(pool.stats.allocCount, 0, 'nothing allocated')
})

t.test('a failed allocation frees the ones before it and throws the pool error', async (t) => {
  using provider = new OsMemoryProvider()
  using pool = new DisjointPool(provider)
  t.throws(() => pool.mallocMany(4, 0), { codeName: 'UMF_RESULT_ERROR_INVALID_ARGUMENT', func: 'umfPoolMalloc' } as object as Error, 'size 0: as malloc(0)')
  t.throws(() => pool.mallocMany(4, 2 ** 50), UmfError, 'size huge: the provider cannot')
  const into = new BigUint64Array([1n, 2n, 3n])
  t.throws(() => pool.mallocMany(3, 2 ** 50, into), UmfError)
  t.same([...into], [0n, 0n, 0n], 'the entries are left 0')
  t.equal(pool.liveAllocations, 0, 'lib/ holds none')
  t.equal(pool.stats.allocCount, 0, 'the pool holds none')

  // a TypeScript pool (the TypeScript loop) that fails its 6th malloc
  const backing = koffi.alloc('uint64_t', 64) as bigint
  let calls = 0
  const freed: bigint[] = []
  const impl: MemoryPoolImpl = {
    name: 'six',
    malloc: () => (++calls === 6 ? null : backing + BigInt(8 * calls)),
    free: (p) => void freed.push(p),
  }
  using ts = new MemoryPool(impl, provider)
  t.throws(() => ts.mallocMany(10, 8), { codeName: 'UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY' } as object as Error)
  t.equal(freed.length, 5, 'the five made before were freed')
  t.equal(ts.liveAllocations, 0, 'lib/ holds none')
  calls = 100
  const ok = ts.mallocMany(3, 8)
  ts.freeMany(ok)
  t.equal(freed.length, 8, 'a TypeScript pool frees through its own free()')
})

t.test('a destroyed pool refuses both', async (t) => {
  using provider = new OsMemoryProvider()
  const pool = new DisjointPool(provider)
  const ptrs = pool.mallocMany(2, 64)
  pool.destroy()
  t.throws(() => pool.mallocMany(1, 64), DestroyedError)
  t.throws(() => pool.freeMany(ptrs), DestroyedError)
})

function check(t: Test, r: CaseResult, helper: boolean): void {
  t.equal(r.signal, null, `no signal (${r.stderr.slice(0, 300)})`)
  t.equal(r.status, 0, 'exit 0')
  t.ok(r.byName.has('done'), 'ran to the end')
  t.equal(r.byName.get('helper')?.['loaded'], helper, helper ? 'with the helper' : 'without the helper')
  const v = (n: string) => r.byName.get(n)?.['value']
  const failed = (n: string, error: string, message: RegExp) => {
    const l = r.byName.get(n)
    t.same({ ok: l?.['ok'], error: l?.['error'] }, { ok: false, error }, `${n}: ${error}`)
    t.match(String(l?.['message']), message, `${n}: says why`)
  }
  t.equal(v('live after mallocMany'), 100)
  t.equal(v('distinct'), 100)
  failed('stranger', 'RangeError', /ptrs\[1\] = 0x[0-9a-f]+ is not a live allocation of DisjointPool .*nothing was freed/)
  failed('duplicate', 'RangeError', /ptrs\[2\] = 0x[0-9a-f]+ appears twice \(also ptrs\[0\]\); nothing was freed/)
  failed('null', 'TypeError', /ptrs\[1\] = 0x0 is NULL; nothing was freed/)
  failed('inside with', 'Error', /ptrs\[5\] = 0x[0-9a-f]+ is in use/)
  t.equal(v('live after refusals'), 100, 'nothing was freed by the refused calls')
  t.equal(r.byName.get('free half')?.['ok'], true)
  failed('free half again', 'RangeError', /ptrs\[0\] = .* freed already\); nothing was freed/)
  t.equal(r.byName.get('free the rest')?.['ok'], true)
  t.equal(v('pool count'), 0, 'each freed exactly once')
  t.equal(r.byName.get('size 0')?.['codeName'], 'UMF_RESULT_ERROR_INVALID_ARGUMENT')
  t.equal(r.byName.get('too large')?.['error'], 'UmfError')
  t.equal(v('live after failures'), 0)
  t.equal(v('pool count after failures'), 0)
}

t.test('bad frees are refused whole (child process)', async (t) => {
  check(t, runCase('batch-child.ts', 'badFrees', [], 60_000), true)
})

t.test('the same without libumf_batch.so.1: the TypeScript loops (child process)', async (t) => {
  const saved = process.env['UMF_NO_BATCH_LIBRARY']
  process.env['UMF_NO_BATCH_LIBRARY'] = '1'
  try {
    check(t, runCase('batch-child.ts', 'fallback', [], 60_000), false)
  } finally {
    if (saved === undefined) delete process.env['UMF_NO_BATCH_LIBRARY']
    else process.env['UMF_NO_BATCH_LIBRARY'] = saved
  }
})
