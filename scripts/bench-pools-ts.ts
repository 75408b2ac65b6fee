/**
 * Benchmark of the built-in pools from TypeScript: the median ns per malloc+free pair of 64 B through lib/
 * (pool.malloc/pool.free on DisjointPool, JemallocPool, ScalablePool) and through ffi/ (umfPoolMalloc/
 * umfPoolFree on the same pool handles), next to a bare koffi call (umfGetCurrentVersion) measured in the
 * same run. All pools are over the OS provider.
 *
 * Columns: "ffi - 2 bare" estimates the C side of a pair (the pool's own malloc+free); "lib / ffi" is
 * what lib/'s checks and size table add.
 *
 * On a busy machine the absolute numbers drift from round to round; the ratio columns are the medians of
 * the ratios measured within each round (bare, ffi and lib back to back), which drift much less.
 *
 *   npm run bench:pools -- [--runs N] [--pairs N] [--rounds N]
 */
import * as ffi from '../ffi/index.js'
import { DisjointPool, JemallocPool, MemoryPool, OsMemoryProvider, ScalablePool } from '../lib/index.js'
import { arg, bareCalls, ffiPoolPairs, fmt, libPoolPairs, median, sample } from './bench-common.js'

type Pool = InstanceType<typeof MemoryPool>

const runs = Number(arg('--runs') ?? 7)
const pairs = Number(arg('--pairs') ?? 200_000)
const ROUNDS = Number(arg('--rounds') ?? 5)
const SIZE = 64

/** ns per iteration of body(n): the median of `runs` timed runs after a warm-up. */
function measure(body: (n: number) => void, n: number): number {
  body(Math.min(n, 20_000))
  const samples: number[] = []
  for (let r = 0; r < runs; r++) samples.push(sample(body, n))
  return median(samples)
}

const provider = new OsMemoryProvider()
const makers: [string, () => Pool][] = [
  ['disjoint', () => new DisjointPool(provider)],
  ['jemalloc', () => new JemallocPool(provider)],
  ['scalable', () => new ScalablePool(provider)],
]

interface Row {
  pool: string
  bare: number
  ffi: number
  lib: number
  /** medians of the per-round ratios */
  cSide: number
  libOverFfi: number
  ffiOverBare: number
}
const rows: Row[] = []
for (const [name, make] of makers) {
  let pool: Pool
  try {
    pool = make()
  } catch (e) {
    console.log(`(${name}: ${(e as Error).message}; skipped)`)
    continue
  }
  // interleave the three measurements so that machine noise hits them alike
  const b: number[] = []
  const f: number[] = []
  const l: number[] = []
  for (let k = 0; k < ROUNDS; k++) {
    b.push(measure(bareCalls(ffi.umfGetCurrentVersion), pairs * 5))
    f.push(measure(ffiPoolPairs(ffi, pool.handle, SIZE), pairs))
    l.push(measure(libPoolPairs(pool, SIZE), pairs))
  }
  rows.push({
    pool: `${name} / OS provider`,
    bare: median(b),
    ffi: median(f),
    lib: median(l),
    cSide: median(f.map((x, i) => x - 2 * b[i]!)),
    libOverFfi: median(l.map((x, i) => x / f[i]!)),
    ffiOverBare: median(f.map((x, i) => x / b[i]!)),
  })
  pool.destroy()
}
provider.destroy()

console.log(
  `\nmedian ns per malloc+free pair of ${SIZE} B (${pairs} pairs, ${runs} runs x ${ROUNDS} rounds), Node ${process.version}\n`,
)
console.log('| pool | bare koffi call | ffi pair | lib pair | ffi - 2 bare (C side) | ffi / bare | lib / ffi |')
console.log('|---|---|---|---|---|---|---|')
for (const r of rows) {
  console.log(
    `| ${r.pool} | ${fmt(r.bare)} | ${fmt(r.ffi)} | ${fmt(r.lib)} | ${fmt(r.cSide)} | ${fmt(r.ffiOverBare, 2)} | ${fmt(r.libOverFfi, 2)} |`,
  )
}
console.log('\n(ns columns: medians over rounds; the last three columns: medians of the per-round values)')
