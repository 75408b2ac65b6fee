/**
 * Runs the C workload benchmark (vendor/umf/benchmark/umf_workloads.c, machine-readable `--tsv` rows) and
 * the TypeScript benchmark (scripts/bench-ts.ts, `--json`), and writes one self-contained HTML page with
 * inline SVG charts drawn here (no chart library): per workload, ns per operation of each pool against
 * glibc malloc and jemalloc's mallocx; the provider bytes each pool holds per byte in use; and the
 * TypeScript pair and batch costs against C.
 *
 *   npm run bench:report                 full runs (a few minutes)
 *   npm run bench:report -- --quick      short runs (~20 s): the same page, noisier numbers
 *   npm run bench:report -- --out DIR    write DIR/index.html and DIR/data.json (default build/bench-report)
 *
 * UMF_BENCH_DIR names another folder holding bench_umf_workloads (default build/Release/benchmark).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { arg, benchDir } from './bench-common.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const quick = process.argv.includes('--quick')
const outDir = path.resolve(arg('--out') ?? path.join(root, 'build', 'bench-report'))

/** One row of bench_umf_workloads --tsv. */
export interface WorkloadRow {
  workload: string
  allocator: string
  ns: number
  xGlibc: number
  /** provider bytes held per byte in use (pools not nested), else null */
  held: number | null
}
interface LookupRow { call: string; nested: number; single: number; ratio: number }
interface TsData {
  node: string
  size: number
  pairs: { pool: string; bare: number; c: number; ffi: number; lib: number; goalRatio: number; libOverFfi: number }[]
  batches: { pool: string; n: number; c: number; lib: number; loop: number; ratio: number; loopRatio: number }[]
}

/**
 * Parses the `--tsv` output of bench_umf_workloads.
 *
 * @param text - its stdout
 * @returns the rows and the nested-lookup rows
 */
export function parseWorkloads(text: string): { rows: WorkloadRow[]; lookups: LookupRow[] } {
  const rows: WorkloadRow[] = []
  const lookups: LookupRow[] = []
  for (const line of text.split('\n')) {
    const f = line.split('\t')
    if (f[0] === 'row' && f.length === 6) {
      rows.push({ workload: f[1]!, allocator: f[2]!, ns: Number(f[3]), xGlibc: Number(f[4]), held: f[5] === '-' ? null : Number(f[5]) })
    } else if (f[0] === 'lookup' && f.length === 5) {
      lookups.push({ call: f[1]!, nested: Number(f[2]), single: Number(f[3]), ratio: Number(f[4]) })
    }
  }
  return { rows, lookups }
}

// ---- drawing ----

const COLORS: Record<string, string> = {
  glibc: '#7f7f7f',
  jemalloc: '#d62728', // jemalloc's mallocx
  disjoint: '#1f77b4',
  'je-pool': '#ff7f0e',
  scalable: '#2ca02c',
  proxy: '#9467bd',
}
const LABELS: Record<string, string> = {
  glibc: 'glibc malloc',
  jemalloc: "jemalloc's mallocx",
  disjoint: 'disjoint pool',
  'je-pool': 'jemalloc pool',
  scalable: 'scalable pool',
}
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const num = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a')

interface Bar { label: string; value: number; color: string; note?: string }

/**
 * A horizontal bar chart as an SVG element: one bar per entry, its value written at its end.
 *
 * @param id - the chart's id (data-chart)
 * @param title - the title above it
 * @param unit - the unit of the values
 * @param bars - the bars
 * @param decimals - decimals of the value labels
 * @param mark - a vertical reference line (value and label), e.g. a goal
 * @returns the SVG markup
 */
function barChart(id: string, title: string, unit: string, bars: Bar[], decimals = 1, mark?: { value: number; label: string }): string {
  const W = 720
  const left = 190
  const right = 150
  const barH = 22
  const gap = 8
  const top = 34
  const H = top + bars.length * (barH + gap) + 28
  const max = Math.max(...bars.map((b) => b.value), mark?.value ?? 0, 1e-9) * 1.05
  const x = (v: number) => left + (Math.max(0, v) / max) * (W - left - right)
  const parts: string[] = []
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="${esc(id)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`)
  parts.push(`<text x="8" y="20" class="title">${esc(title)}</text>`)
  // grid: 4 ticks
  for (let i = 0; i <= 4; i++) {
    const v = (max / 4) * i
    const gx = x(v)
    parts.push(`<line x1="${gx.toFixed(1)}" y1="${top - 6}" x2="${gx.toFixed(1)}" y2="${H - 22}" class="grid"/>`)
    parts.push(`<text x="${gx.toFixed(1)}" y="${H - 8}" class="tick" text-anchor="middle">${num(v, v < 10 ? 2 : 0)}</text>`)
  }
  bars.forEach((b, i) => {
    const y = top + i * (barH + gap)
    const w = Math.max(1, x(b.value) - left)
    parts.push(`<text x="${left - 8}" y="${y + barH * 0.7}" class="label" text-anchor="end">${esc(b.label)}</text>`)
    parts.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${b.color}" data-value="${b.value}"><title>${esc(b.label)}: ${num(b.value, decimals)} ${esc(unit)}</title></rect>`)
    parts.push(`<text x="${(left + w + 6).toFixed(1)}" y="${y + barH * 0.7}" class="value">${num(b.value, decimals)}${b.note ? ` ${esc(b.note)}` : ''}</text>`)
  })
  if (mark !== undefined) {
    const mx = x(mark.value)
    parts.push(`<line x1="${mx.toFixed(1)}" y1="${top - 10}" x2="${mx.toFixed(1)}" y2="${H - 22}" class="mark"/>`)
    parts.push(`<text x="${(mx + 4).toFixed(1)}" y="${top - 12}" class="marklabel">${esc(mark.label)}</text>`)
  }
  parts.push(`<text x="${W - 8}" y="20" class="unit" text-anchor="end">${esc(unit)}</text>`)
  parts.push('</svg>')
  return parts.join('\n')
}

function table(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`
}

// ---- running ----

function runWorkloads(): string {
  const bin = path.join(benchDir, 'bench_umf_workloads')
  const args = quick ? ['--tsv', '1', '20000'] : ['--tsv', '5', '400000']
  console.error(`running ${bin} ${args.join(' ')}`)
  return execFileSync(bin, args, { encoding: 'utf8', timeout: 1_800_000 })
}

function runTs(): TsData | null {
  const json = path.join(outDir, 'bench-ts.json')
  const args = ['--import', 'tsx', path.join(root, 'scripts', 'bench-ts.ts'), '--json', json]
  if (quick) args.push('--rounds', '7', '--pairs', '500')
  console.error('running scripts/bench-ts.ts' + (quick ? ' (quick)' : ''))
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: root, timeout: 1_800_000 })
  if (r.status !== 0) {
    console.error(`bench-ts failed (${r.status ?? r.signal}): ${r.stderr.slice(0, 500)}`)
    return null
  }
  return JSON.parse(readFileSync(json, 'utf8')) as TsData
}

function page(w: { rows: WorkloadRow[]; lookups: LookupRow[] }, ts: TsData | null, meta: Record<string, string>): string {
  const workloads = [...new Set(w.rows.map((r) => r.workload))]
  const sections: string[] = []
  sections.push('<h2>C: UMF 1.1 workloads, ns per operation</h2>')
  sections.push(
    '<p>Each chart is one workload of <code>bench_umf_workloads</code> (median over the runs); the pools against glibc malloc and jemalloc\'s own <code>mallocx</code>, all in the same run. Shorter is faster. "mmf": 10,000 slots, random malloc/free; "stacked": 127 nested disjoint pools, freed with umfFree.</p>',
  )
  for (const name of workloads) {
    const rows = w.rows.filter((r) => r.workload === name)
    sections.push(
      `<figure class="workload" data-workload="${esc(name)}">` +
        barChart(
          `ns:${name}`,
          name,
          'ns / operation',
          rows.map((r) => ({ label: LABELS[r.allocator] ?? r.allocator, value: r.ns, color: COLORS[r.allocator] ?? '#444', note: `(${num(r.xGlibc, 2)}x glibc)` })),
        ) +
        '</figure>',
    )
  }
  const held = w.rows.filter((r) => r.held !== null)
  if (held.length > 0) {
    sections.push('<h2>C: memory held</h2>')
    sections.push('<p>Bytes the pool holds from its provider per byte the program has in use, at the end of the timed part of each mmf workload (1.0 is no overhead).</p>')
    sections.push(
      `<figure class="held">` +
        barChart(
          'held',
          'provider bytes held per byte in use',
          'bytes / byte',
          held.map((r) => ({ label: `${r.workload.replace(/^mmf /, '')}: ${r.allocator}`, value: r.held!, color: COLORS[r.allocator] ?? '#444' })),
          3,
          { value: 1, label: '1.0' },
        ) +
        '</figure>',
    )
  }
  if (w.lookups.length > 0) {
    sections.push('<h3>Nested lookup (innermost of 7 levels vs a single pool)</h3>')
    sections.push(table(['call', 'nested ns', 'single ns', 'ratio'], w.lookups.map((l) => [l.call, num(l.nested), num(l.single), num(l.ratio, 2)])))
  }
  if (ts !== null) {
    sections.push(`<h2>TypeScript: malloc+free of ${ts.size} B from Node.js</h2>`)
    sections.push(
      '<p>From <code>scripts/bench-ts.ts</code>, measured in interleaved rounds: the C pair (timed in C on the same pool), two bare koffi calls plus the C pair, the generated ffi/ bindings, and lib/ (<code>pool.malloc</code> + <code>pool.free</code>). Goal: lib pair at most 2 &times; (C pair + 2 bare koffi calls), the dashed line.</p>',
    )
    for (const p of ts.pairs) {
      sections.push(
        `<figure class="ts-pair" data-pool="${esc(p.pool)}">` +
          barChart(
            `pair:${p.pool}`,
            `${p.pool} pool: one malloc+free pair`,
            'ns / pair',
            [
              { label: 'C pair', value: p.c, color: '#7f7f7f' },
              { label: 'C pair + 2 bare koffi', value: p.c + 2 * p.bare, color: '#bcbd22' },
              { label: 'ffi/ pair', value: p.ffi, color: '#17becf' },
              { label: 'lib/ pair', value: p.lib, color: COLORS[p.pool] ?? '#1f77b4', note: `(${num(p.goalRatio, 2)}x goal base)` },
            ],
            1,
            { value: 2 * (p.c + 2 * p.bare), label: 'goal' },
          ) +
          '</figure>',
      )
    }
    sections.push(`<h2>TypeScript: batches of ${ts.batches[0]?.n ?? ''} blocks</h2>`)
    sections.push('<p><code>pool.mallocMany</code> + <code>pool.freeMany</code> per element, against the same C loops called raw and against a TypeScript loop of malloc/free. Goal: at most 1.3 &times; C, the dashed line.</p>')
    for (const b of ts.batches) {
      sections.push(
        `<figure class="ts-batch" data-pool="${esc(b.pool)}">` +
          barChart(
            `batch:${b.pool}`,
            `${b.pool} pool: ns per element (malloc + free)`,
            'ns / element',
            [
              { label: 'C loops', value: b.c, color: '#7f7f7f' },
              { label: 'mallocMany+freeMany', value: b.lib, color: COLORS[b.pool] ?? '#1f77b4', note: `(${num(b.ratio, 2)}x C)` },
              { label: 'TS loop', value: b.loop, color: '#c7c7c7', note: `(${num(b.loopRatio, 2)}x C)` },
            ],
            1,
            { value: 1.3 * b.c, label: 'goal' },
          ) +
          '</figure>',
      )
    }
  }
  const metaRows = Object.entries(meta).map(([k, v]) => [k, v])
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>UMF benchmark report</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;max-width:780px;color:#222}
figure{margin:12px 0}
svg .title{font-weight:600;font-size:14px} svg .label,svg .value{font-size:12px} svg .tick,svg .unit{font-size:11px;fill:#666}
svg .grid{stroke:#e5e5e5} svg .mark{stroke:#000;stroke-dasharray:4 3} svg .marklabel{font-size:11px}
table{border-collapse:collapse;margin:8px 0} td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
</style></head><body>
<h1>UMF benchmark report</h1>
${table(['', ''], metaRows)}
${sections.join('\n')}
</body></html>
`
}

const main = () => {
  mkdirSync(outDir, { recursive: true })
  const text = runWorkloads()
  const w = parseWorkloads(text)
  if (w.rows.length === 0) throw new Error('bench_umf_workloads printed no rows')
  const ts = runTs()
  const meta = {
    mode: quick ? 'quick (short runs: noisy)' : 'full',
    date: new Date().toISOString(),
    machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'CPU'}, ${os.platform()} ${os.release()}`,
    node: process.version,
    'C workloads': quick ? '1 run of 20,000 operations' : '5 runs of 400,000 operations',
  }
  writeFileSync(path.join(outDir, 'data.json'), JSON.stringify({ meta, workloads: w.rows, lookups: w.lookups, ts }, null, 2))
  const file = path.join(outDir, 'index.html')
  writeFileSync(file, page(w, ts, meta))
  console.log(`wrote ${file} (${[...new Set(w.rows.map((r) => r.workload))].length} workload charts${ts ? ', TypeScript charts' : ''})`)
}
main()
