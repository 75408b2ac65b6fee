// Issue 17 goal 5: `npm run bench:report -- --quick` runs the C workload benchmark (--tsv rows) and the
// TypeScript benchmark (--json) and writes a self-contained HTML page: a chart per workload, each with the
// numbers parsed from the benchmark's output. No timing is asserted, only that the page holds what ran.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'

const root = path.resolve(import.meta.dirname, '..')
const bench = path.join(root, 'build', 'Release', 'benchmark', 'bench_umf_workloads')

t.test('bench:report --quick writes the page with a chart per workload', { skip: !existsSync(bench) && 'C benchmarks not built' }, async (t) => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'umf-report-'))
  t.teardown(() => rmSync(out, { recursive: true, force: true }))
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', 'bench-report.ts'), '--quick', '--out', out], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  })
  t.equal(r.status, 0, `exit 0 (${r.stderr.slice(-400)})`)
  const html = readFileSync(path.join(out, 'index.html'), 'utf8')
  const data = JSON.parse(readFileSync(path.join(out, 'data.json'), 'utf8')) as {
    workloads: { workload: string; allocator: string; ns: number; held: number | null }[]
    ts: { pairs: { pool: string; lib: number }[]; batches: { pool: string; lib: number }[] } | null
  }

  // the C rows, parsed from bench_umf_workloads --tsv
  const names = [...new Set(data.workloads.map((w) => w.workload))]
  t.same(names, ['mmf fixed 4096', 'mmf 8..4096', 'mmf 8..128', 'stacked fixed 4096', 'stacked 8..4096', 'stacked 8..128'], 'every workload ran')
  for (const w of data.workloads) t.ok(Number.isFinite(w.ns) && w.ns > 0, `${w.workload} / ${w.allocator}: ${w.ns} ns`)
  for (const name of names) {
    const allocators = data.workloads.filter((w) => w.workload === name).map((w) => w.allocator)
    t.ok(allocators.includes('glibc') && allocators.includes('disjoint'), `${name}: glibc and the disjoint pool`)
  }
  t.ok(data.workloads.some((w) => w.workload.startsWith('mmf') && w.allocator === 'disjoint' && (w.held ?? 0) > 0), 'memory held is parsed')

  // the page: self-contained, one chart per workload, the parsed numbers in it
  t.notMatch(html, /<script\b|\bsrc=|<link\b/, 'self-contained: no scripts, no external resources')
  const figures = [...html.matchAll(/<figure class="workload" data-workload="([^"]+)">\s*<svg[^>]*data-chart="ns:([^"]+)"/g)]
  t.same(figures.map((m) => m[1]), names, 'a chart per workload, in order')
  for (const w of data.workloads) {
    const fig = html.slice(html.indexOf(`data-workload="${w.workload}"`))
    const svg = fig.slice(0, fig.indexOf('</svg>'))
    t.ok(svg.includes(`data-value="${w.ns}"`), `${w.workload}: the bar of ${w.allocator} has its value`)
  }
  t.match(html, /data-chart="held"/, 'the memory-held chart')
  t.ok(data.ts !== null && data.ts.pairs.length > 0 && data.ts.batches.length > 0, 'the TypeScript rows ran')
  for (const p of data.ts?.pairs ?? []) t.match(html, new RegExp(`data-chart="pair:${p.pool}"`), `the ${p.pool} pair chart`)
})
