/**
 * Benchmark of the fixed, file (private and shared) and OS providers from TypeScript: the median ns per
 * alloc+free pair of 4 KiB through ffi/ (umfMemoryProviderAlloc/umfMemoryProviderFree) and through lib/
 * (provider.alloc/provider.free), next to a bare koffi call measured in the same run, and the C cost of the
 * same pair from bench_providers (vendor/umf/benchmark/providers.c) run here.
 *
 * Like the C benchmark, each pair writes the first byte of the allocation (one koffi.encode call in both
 * TypeScript rows, so the comparison between them stays fair). Samples of the bodies are interleaved so
 * that the load of a shared machine hits them alike.
 *
 *   npx tsx scripts/bench-providers.ts [--runs N] [--pairs N per sample] [--no-c]
 *
 * UMF_BENCH_DIR names another folder holding bench_providers (default build/Release/benchmark).
 *
 * What it showed first (2-core VM under a load average of ~18, so only the order of magnitude holds): the
 * ffi and lib pairs cost microseconds against ~130 ns of C for the fixed and file providers, and nearly
 * all of it is koffi marshalling the `_Out_ void **` one-element array of umfMemoryProviderAlloc: the same
 * C function declared with a plain `void *` out-parameter and a koffi.alloc'ed scratch slot took ~120 ns
 * per call in the same conditions (plus ~400 ns for a `koffi.decode(slot, 'uint64_t')` by type name).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import koffi from 'koffi'
import * as ffi from '../ffi/index.js'
import { FileMemoryProvider, FixedMemoryProvider, MemoryProvider, OsMemoryProvider } from '../lib/index.js'
import { arg, bareCalls, fmt, measureInterleaved, runC } from './bench-common.js'

const runs = Number(arg('--runs') ?? 5)
const pairs = Number(arg('--pairs') ?? 2000)
const samplesPerRun = 20
const SIZE = 4096

function ffiPairs(h: ffi.umf_memory_provider_handle_t) {
  const out: [bigint | null] = [null]
  return (n: number) => {
    const a = ffi.umfMemoryProviderAlloc
    const f = ffi.umfMemoryProviderFree
    for (let i = 0; i < n; i++) {
      if (a(h, SIZE, 0, out) !== ffi.UMF_RESULT_SUCCESS) throw new Error('umfMemoryProviderAlloc failed')
      const p = out[0]!
      koffi.encode(p, 'uint8_t', 1)
      f(h, p, SIZE)
    }
  }
}

function libPairs(provider: MemoryProvider) {
  return (n: number) => {
    for (let i = 0; i < n; i++) {
      const p = provider.alloc(SIZE)
      koffi.encode(p, 'uint8_t', 1)
      provider.free(p, SIZE)
    }
  }
}

/** The C figures of bench_providers' 4 KiB column, by row label. */
function cCosts(): Map<string, number> {
  const m = new Map<string, number>()
  if (process.argv.includes('--no-c')) return m
  const out = runC('bench_providers', ['5'])
  for (const line of out?.split('\n') ?? []) {
    const r = /^(.*?)\s{2,}([0-9.]+)\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+\s*$/.exec(line)
    if (r) m.set(r[1]!.trim(), Number(r[2]))
  }
  return m
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'umf-bench-providers-'))
const providers: [string, string, () => MemoryProvider, number][] = [
  ['fixed (withSize 64 MiB)', 'fixed provider', () => FixedMemoryProvider.withSize(64 << 20), pairs],
  ['file, private', 'file provider (private)', () => new FileMemoryProvider({ path: path.join(dir, 'private.bin') }), pairs],
  ['file, shared', 'file provider (shared)', () => new FileMemoryProvider({ path: path.join(dir, 'shared.bin'), visibility: 'shared' }), pairs],
  ['OS', 'OS provider', () => new OsMemoryProvider(), Math.max(10, Math.floor(pairs / 50))],
]

interface Row {
  name: string
  bare: number
  ffi: number
  lib: number
  c: number | undefined
}
const rows: Row[] = []
for (const [name, cLabel, make, n] of providers) {
  const provider = make()
  const [b, f, l] = measureInterleaved(
    [
      [bareCalls(ffi.umfGetCurrentVersion), pairs * 2],
      [ffiPairs(provider.handle), n],
      [libPairs(provider), n],
    ],
    runs * samplesPerRun,
    500,
  )
  provider.destroy()
  rows.push({ name, bare: b!, ffi: f!, lib: l!, c: undefined })
  ;(rows.at(-1) as Row & { label: string }).label = cLabel
}
fs.rmSync(dir, { recursive: true, force: true })

const c = cCosts()
for (const r of rows) r.c = c.get((r as Row & { label: string }).label)

console.log(
  `\nmedian ns per alloc+free pair of ${SIZE} B (first byte written) over ${runs * samplesPerRun} interleaved ` +
    `samples, Node ${process.version}; C pair: bench_providers (thread CPU time)\n`,
)
console.log('| provider | bare koffi call | C pair | ffi pair | lib pair | lib / ffi | ffi - C (binding cost per pair) |')
console.log('|---|---|---|---|---|---|---|')
for (const r of rows) {
  console.log(
    `| ${r.name} | ${fmt(r.bare)} | ${fmt(r.c)} | ${fmt(r.ffi)} | ${fmt(r.lib)} | ${fmt(r.lib / r.ffi, 2)} | ${fmt(r.c === undefined ? undefined : r.ffi - r.c)} |`,
  )
}
