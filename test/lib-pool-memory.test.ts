// Issue 14 item 10: host memory of pools. Runs scripts/bench-pool-rss.ts in a child process with default
// Node flags and checks the RSS it reports (bounds only, no timing).
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')

function bench(args: string[]): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bench-pool-rss.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 240_000,
  })
  t.equal(r.signal, null, `no signal (${args.join(' ')})`)
  t.equal(r.status, 0, `exit 0 (${args.join(' ')}): ${r.stderr}`)
  return r.stdout
}

t.test('an empty disjoint pool costs at most 64 KiB of host memory', async (t) => {
  const m = /rss per empty pool: ([\d.]+) KiB/.exec(bench(['--phase', 'empty', '--pools', '2000']))
  t.ok(m, 'the benchmark printed the per-pool RSS')
  t.ok(Number(m![1]) <= 64, `${m![1]} KiB per pool`)
})

t.test('100,000 forgotten pools (never destroyed) in one synchronous loop stay under 512 MiB', async (t) => {
  // no finalizer can run before the loop returns: every forgotten pool is still held at its end, so this
  // bounds what one forgotten pool costs (C pool + lib/ objects), not the garbage collector's timing
  const m = /forgotten pools: 100000, peak rss: (\d+) MiB/.exec(bench(['--phase', 'forget', '--loops', '100000']))
  t.ok(m, 'the benchmark printed the peak RSS')
  t.ok(Number(m![1]) < 512, `peak ${m![1]} MiB`)
})

t.test('100,000 pools created and destroyed in one synchronous loop stay under 512 MiB', async (t) => {
  const m = /create\+destroy pools: 100000, peak rss: (\d+) MiB/.exec(bench(['--phase', 'churn', '--loops', '100000']))
  t.ok(m, 'the benchmark printed the peak RSS')
  t.ok(Number(m![1]) < 512, `peak ${m![1]} MiB`)
})
