/**
 * Benchmark of the built-in pools from TypeScript: the median ns per malloc+free pair of 64 B through lib/
 * (pool.malloc/pool.free on DisjointPool, JemallocPool, ScalablePool) and through ffi/ (umfPoolMalloc/
 * umfPoolFree on the same pool handles), next to a bare koffi call (umfGetCurrentVersion) measured in the
 * same run. All pools are over the OS provider.
 *
 * Columns: "ffi - 2 bare" estimates the C side of a pair (the pool's own malloc+free); "lib / ffi" is
 * what lib/'s checks and size table add.
 *
 * libjemalloc needs spare static TLS (see src/pools/jemalloc.c): without GLIBC_TUNABLES the script re-runs
 * itself with it.
 *
 * On a busy machine the absolute numbers drift from round to round; the ratio columns are the medians of
 * the ratios measured within each round (bare, ffi and lib back to back), which drift much less.
 *
 *   npm run bench:pools -- [--runs N] [--pairs N] [--rounds N]
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const TUNABLE = 'glibc.rtld.optional_static_tls=16384'
if (!(process.env['GLIBC_TUNABLES'] ?? '').includes('optional_static_tls')) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, GLIBC_TUNABLES: process.env['GLIBC_TUNABLES'] ? `${process.env['GLIBC_TUNABLES']}:${TUNABLE}` : TUNABLE },
  })
  process.exit(r.status ?? 1)
}

const ffi = await import('../ffi/index.js')
const { DisjointPool, JemallocPool, OsMemoryProvider, ScalablePool } = await import('../lib/index.js')
const { MemoryPool } = await import('../lib/index.js')
type Pool = InstanceType<typeof MemoryPool>

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : undefined
}
const runs = Number(arg('--runs') ?? 7)
const pairs = Number(arg('--pairs') ?? 200_000)
const ROUNDS = Number(arg('--rounds') ?? 5)
const SIZE = 64

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** ns per iteration of body(n): the median of `runs` timed runs after a warm-up. */
function measure(body: (n: number) => void, n: number): number {
  body(Math.min(n, 20_000))
  const samples: number[] = []
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint()
    body(n)
    samples.push(Number(process.hrtime.bigint() - t0) / n)
  }
  return median(samples)
}

const bare = (n: number): void => {
  const f = ffi.umfGetCurrentVersion
  let x = 0
  for (let i = 0; i < n; i++) x += f()
  if (x === 42) console.log(x)
}

function ffiPairs(h: bigint): (n: number) => void {
  const handle = h as Parameters<typeof ffi.umfPoolMalloc>[0]
  return (n) => {
    const m = ffi.umfPoolMalloc
    const f = ffi.umfPoolFree
    for (let i = 0; i < n; i++) {
      const p = m(handle, SIZE)
      if (p === null) throw new Error('umfPoolMalloc failed')
      f(handle, p)
    }
  }
}

function libPairs(pool: Pool): (n: number) => void {
  return (n) => {
    for (let i = 0; i < n; i++) pool.free(pool.malloc(SIZE))
  }
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
    b.push(measure(bare, pairs * 5))
    f.push(measure(ffiPairs(pool.handle), pairs))
    l.push(measure(libPairs(pool), pairs))
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

const fmt = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a')
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
