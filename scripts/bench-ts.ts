/**
 * Benchmark of allocation from TypeScript (issue 17 goal 4), everything measured in the same run, in
 * interleaved short samples (rotating order), on the built-in C pools over the OS provider:
 *
 *   - bare koffi call: umfGetCurrentVersion (no arguments);
 *   - C pair: umfPoolMalloc(64) + umfPoolFree timed in C (umf_batch_pairs of libumf_batch.so.1, on the
 *     same pool, one koffi call per sample);
 *   - ffi pair: ffi.umfPoolMalloc + ffi.umfPoolFree (the generated bindings);
 *   - lib pair: pool.malloc(64) + pool.free(p).
 *   Goal: lib pair <= 2 x (C pair + 2 bare koffi calls).
 *
 *   - batch of n = 1000 (64 B): pool.mallocMany + pool.freeMany per element, against the same C loops
 *     called raw (libumf_batch.so.1's umf_batch_malloc + umf_batch_free: one koffi call per 1000
 *     elements, no lib/ checks or size table), and a TypeScript loop of pool.malloc/pool.free.
 *   Goal: lib batch <= 1.3 x C per element.
 *
 * Ratios are the medians of the ratios measured within each round (the bodies of a round run back to
 * back), which drift much less than the absolute numbers on a shared machine.
 *
 *   npm run bench:ts -- [--rounds N] [--pairs N per sample] [--n batch size] [--json FILE]
 */
import { writeFileSync } from 'node:fs'
import * as ffi from '../ffi/index.js'
import { DisjointPool, JemallocPool, MemoryPool, OsMemoryProvider, ScalablePool } from '../lib/index.js'
import { batch } from '../lib/fast_calls.js'
import { arg, bareCalls, ffiPoolPairs, fmt, libPoolPairs, median, sample } from './bench-common.js'

const rounds = Number(arg('--rounds') ?? 101)
const pairs = Number(arg('--pairs') ?? 2_000)
const N = Number(arg('--n') ?? 1_000)
const SIZE = 64

if (batch === null) {
  console.error('bench:ts needs build/Release/libumf_batch.so.1 (npm run build:native)')
  process.exit(1)
}
const helper = batch

/**
 * Rounds of interleaved samples: each round runs every body once (order rotating). Returns per body the
 * median ns, and the per-round samples (for ratios within a round).
 */
function rounds_(bodies: [(n: number) => number | void, number][]): { med: number[]; per: number[][] } {
  const per: number[][] = bodies.map(() => [])
  for (const [b, n] of bodies) b(Math.ceil(Math.max(n, 20_000) / n) * n) // warm-up (JIT), whole batches
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < bodies.length; k++) {
      const i = (k + r) % bodies.length
      const [b, n] = bodies[i]!
      const t0 = process.hrtime.bigint()
      const inner = b(n)
      const t = Number(process.hrtime.bigint() - t0)
      per[i]!.push((typeof inner === 'number' ? inner : t) / n)
    }
  }
  return { med: per.map(median), per }
}
const ratio = (a: number[], b: (i: number) => number) => median(a.map((x, i) => x / b(i)))

interface PairRow { pool: string; bare: number; c: number; ffi: number; lib: number; goalRatio: number; libOverFfi: number }
interface BatchRow { pool: string; n: number; c: number; lib: number; loop: number; ratio: number; loopRatio: number }
const pairRows: PairRow[] = []
const batchRows: BatchRow[] = []

const provider = new OsMemoryProvider()
const makers: [string, () => MemoryPool][] = [
  ['disjoint', () => new DisjointPool(provider)],
  ['jemalloc', () => new JemallocPool(provider)],
  ['scalable', () => new ScalablePool(provider)],
]
{
  // a warm-up pass, thrown away: without it the first pool measured ran ~1.7x slower (its ffi and lib
  // pairs alike, whichever pool came first), the process still growing its heap and tiering up
  const pool = new DisjointPool(provider)
  const warm = [ffiPoolPairs(ffi, pool.handle, SIZE), libPoolPairs(pool, SIZE)]
  for (let i = 0; i < 40; i++) for (const b of warm) b(pairs * 5)
  pool.destroy()
}
for (const [name, make] of makers) {
  let pool: MemoryPool
  try {
    pool = make()
  } catch (e) {
    console.log(`(${name}: ${(e as Error).message.split('\n')[0]}; skipped)`)
    continue
  }
  const h = pool.handle
  // C pair: the C loop times itself; its result (ns) replaces the wall time of the sample
  const cPairs = (n: number) => helper.pairs(h, SIZE, n)
  const p = rounds_([
    [bareCalls(ffi.umfGetCurrentVersion), pairs * 2],
    [cPairs, pairs],
    [ffiPoolPairs(ffi, h, SIZE), pairs],
    [libPoolPairs(pool, SIZE), pairs],
  ])
  const [bare, c, f, l] = p.per as [number[], number[], number[], number[]]
  pairRows.push({
    pool: name,
    bare: p.med[0]!,
    c: p.med[1]!,
    ffi: p.med[2]!,
    lib: p.med[3]!,
    goalRatio: ratio(l, (i) => c[i]! + 2 * bare[i]!),
    libOverFfi: ratio(l, (i) => f[i]!),
  })

  const arr = new BigUint64Array(N)
  const rawBatch = (n: number) => {
    for (let k = 0; k < n; k += N) {
      if (helper.malloc(h, SIZE, arr, N) !== N) throw new Error('umf_batch_malloc failed')
      helper.free(h, arr, N)
    }
  }
  const libBatch = (n: number) => {
    for (let k = 0; k < n; k += N) pool.freeMany(pool.mallocMany(N, SIZE, arr))
  }
  const loopBatch = (n: number) => {
    for (let k = 0; k < n; k += N) {
      for (let i = 0; i < N; i++) arr[i] = pool.malloc(SIZE)
      for (let i = 0; i < N; i++) pool.free(arr[i]!)
    }
  }
  const per = N * Math.max(1, Math.round(pairs / N))
  const b = rounds_([
    [rawBatch, per],
    [libBatch, per],
    [loopBatch, per],
  ])
  const [bc, bl, bt] = b.per as [number[], number[], number[]]
  batchRows.push({
    pool: name,
    n: N,
    c: b.med[0]!,
    lib: b.med[1]!,
    loop: b.med[2]!,
    ratio: ratio(bl, (i) => bc[i]!),
    loopRatio: ratio(bt, (i) => bc[i]!),
  })
  pool.destroy()
}
provider.destroy()

console.log(`\nmalloc+free pairs of ${SIZE} B: median ns over ${rounds} interleaved rounds of ${pairs} pairs, Node ${process.version}\n`)
console.log('| pool | bare koffi call | C pair | 2 bare + C | ffi pair | lib pair | lib / (C + 2 bare) (goal <= 2) | lib / ffi |')
console.log('|---|---|---|---|---|---|---|---|')
let ok = true
for (const r of pairRows) {
  if (!(r.goalRatio <= 2)) ok = false
  console.log(
    `| ${r.pool} | ${fmt(r.bare)} | ${fmt(r.c)} | ${fmt(r.c + 2 * r.bare)} | ${fmt(r.ffi)} | ${fmt(r.lib)} | ${fmt(r.goalRatio, 2)} | ${fmt(r.libOverFfi, 2)} |`,
  )
}
console.log(`\nbatches of n = ${N} (${SIZE} B): ns per element (one malloc + one free), same rounds\n`)
console.log('| pool | C loops (raw helper) | mallocMany + freeMany | lib / C (goal <= 1.3) | TS loop of malloc/free | TS loop / C |')
console.log('|---|---|---|---|---|---|')
for (const r of batchRows) {
  if (!(r.ratio <= 1.3)) ok = false
  console.log(`| ${r.pool} | ${fmt(r.c)} | ${fmt(r.lib)} | ${fmt(r.ratio, 2)} | ${fmt(r.loop)} | ${fmt(r.loopRatio, 2)} |`)
}
console.log('\n(ratios: medians of the per-round ratios)')
console.log(ok ? 'goals met' : 'some goals missed')
const json = arg('--json')
if (json !== undefined) writeFileSync(json, JSON.stringify({ node: process.version, size: SIZE, pairs: pairRows, batches: batchRows }, null, 2))
