/**
 * Benchmark of allocation from TypeScript: the median ns per malloc+free pair of 64 B through ffi/
 * (umfPoolMalloc/umfPoolFree) and through lib/ (pool.malloc/pool.free), next to a bare koffi call
 * (umfGetCurrentVersion) measured in the same run, on two pools:
 *
 *   - the proxy pool over the OS provider (each pair maps and unmaps a page: heavy C side),
 *   - the disjoint pool over the OS provider (64 B come from a cached slab: light C side).
 *
 * The C-side cost of each pair comes from the C benchmarks (vendor/umf/benchmark): bench_disjoint's
 * "fixed64 disjoint" row, and bench_core's "OS provider alloc+free 4 KiB" row plus its tracking overhead
 * per pair, run here unless given on the command line.
 *
 * Goals: lib pair <= 1.25 x ffi pair; ffi pair <= 1.2 x (2 bare koffi calls + C pair). The table also
 * shows a koffi call with a handle argument (umfPoolGetLastAllocationError, almost no C work): pointer
 * arguments and a pointer result cost koffi more than the argument-less bare call.
 *
 *   npm run bench:ts -- [--runs N] [--pairs N per sample] [--c-proxy NS] [--c-disjoint NS] [--no-c]
 *
 * UMF_BENCH_DIR names another folder holding bench_core and bench_disjoint (default build/Release/benchmark).
 */
import * as ffi from '../ffi/index.js'
import { MemoryPool, OsMemoryProvider, ProxyPool } from '../lib/index.js'
import { arg, bareCalls, ffiPoolPairs, fmt, libPoolPairs, measureInterleaved, runC } from './bench-common.js'

const runs = Number(arg('--runs') ?? 7)
const pairs = Number(arg('--pairs') ?? 2_000)
const samplesPerRun = 40
const SIZE = 64

/** A koffi call with a handle argument and almost no C work: what a pointer argument adds to a call. */
function handleCalls(h: ffi.umf_memory_pool_handle_t) {
  return (n: number) => {
    const f = ffi.umfPoolGetLastAllocationError
    let x = 0
    for (let i = 0; i < n; i++) x += f(h)
    if (x === -1) console.log(x)
  }
}

function cCosts(): { proxy?: number; disjoint?: number; source: string } {
  let proxy = arg('--c-proxy') !== undefined ? Number(arg('--c-proxy')) : undefined
  let disjoint = arg('--c-disjoint') !== undefined ? Number(arg('--c-disjoint')) : undefined
  if (process.argv.includes('--no-c')) return { proxy, disjoint, source: 'command line' }
  let source = 'command line'
  if (disjoint === undefined) {
    const out = runC('bench_disjoint', ['3', '1000000'])
    const line = out?.split('\n').find((l) => /^fixed64\s+disjoint\s/.test(l))
    if (line) {
      disjoint = Number(line.trim().split(/\s+/)[2])
      source = 'bench_disjoint / bench_core'
    }
  }
  if (proxy === undefined) {
    const out = runC('bench_core', ['3'])
    if (out) {
      const col = (label: RegExp) => {
        const l = out.split('\n').find((x) => label.test(x))
        return l ? Number(l.split('|')[2]!.trim()) : NaN
      }
      const os4k = col(/\| OS provider alloc\+free 4 KiB/)
      const lines = out.split('\n')
      const i64 = lines.findIndex((l) => /proxy pool malloc\+free 64 B/.test(l))
      const track = i64 >= 0 && /tracking overhead/.test(lines[i64 + 1] ?? '') ? Number(lines[i64 + 1]!.split('|')[2]!.trim()) : NaN
      if (Number.isFinite(os4k) && Number.isFinite(track)) {
        proxy = os4k + track
        source = 'bench_disjoint / bench_core'
      }
    }
  }
  return { proxy, disjoint, source }
}

const provider = new OsMemoryProvider()
const proxy = new ProxyPool(provider)
const disjointOps = ffi.umfDisjointPoolOps()
const disjoint = disjointOps === null ? null : new MemoryPool(disjointOps, provider)

interface Row {
  pool: string
  bare: number
  handleCall: number
  ffi: number
  lib: number
  c?: number
}
const rows: Row[] = []
const pools: [string, MemoryPool | null, number][] = [
  ['proxy / OS provider', proxy, Math.max(10, Math.floor(pairs / 100))],
  ['disjoint / OS provider', disjoint, pairs],
]
for (const [name, pool, n] of pools) {
  if (pool === null) {
    console.log(`(${name}: this libumf has no such pool; skipped)`)
    continue
  }
  const [b, hc, f, l] = measureInterleaved(
    [
      [bareCalls(ffi.umfGetCurrentVersion), pairs * 2],
      [handleCalls(pool.handle), pairs * 2],
      [ffiPoolPairs(ffi, pool.handle, SIZE), n],
      [libPoolPairs(pool, SIZE), n],
    ],
    runs * samplesPerRun,
    1000,
  )
  rows.push({ pool: name, bare: b!, handleCall: hc!, ffi: f!, lib: l! })
}
disjoint?.destroy()
proxy.destroy()
provider.destroy()

const c = cCosts()
for (const r of rows) r.c = r.pool.startsWith('proxy') ? c.proxy : c.disjoint

console.log(
  `\nmedian ns per malloc+free pair of ${SIZE} B over ${runs * samplesPerRun} interleaved samples (bare call, ffi, lib), ` +
    `Node ${process.version}; C pair from ${c.source}\n`,
)
console.log(
  '| pool | bare koffi call | koffi call with a handle | C pair | ffi pair | lib pair | lib / ffi (goal <= 1.25) | ffi / (2 bare + C) (goal <= 1.2) | ffi / (2 handle calls + C) |',
)
console.log('|---|---|---|---|---|---|---|---|---|')
let ok = true
for (const r of rows) {
  const libRatio = r.lib / r.ffi
  const ffiRatio = r.c === undefined ? NaN : r.ffi / (2 * r.bare + r.c)
  const handleRatio = r.c === undefined ? NaN : r.ffi / (2 * r.handleCall + r.c)
  if (libRatio > 1.25 || (Number.isFinite(ffiRatio) && ffiRatio > 1.2)) ok = false
  console.log(
    `| ${r.pool} | ${fmt(r.bare)} | ${fmt(r.handleCall)} | ${fmt(r.c)} | ${fmt(r.ffi)} | ${fmt(r.lib)} | ${fmt(libRatio, 2)} | ${fmt(ffiRatio, 2)} | ${fmt(handleRatio, 2)} |`,
  )
}
if (c.proxy === undefined || c.disjoint === undefined) {
  console.log('\nC pair costs missing: build the C benchmarks (npm run build:native) or pass --c-proxy/--c-disjoint')
}
console.log(ok ? '\ngoals met' : '\nsome goals missed')
