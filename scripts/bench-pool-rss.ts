/**
 * Host memory of empty disjoint pools: creates N DisjointPools over one OS provider, keeps them alive
 * (nothing allocated from them), and prints the RSS growth per pool. Then, with --forget and --churn, the
 * peak RSS of loops that forget N pools (never destroyed) or create and destroy N pools.
 *
 *   npx tsx scripts/bench-pool-rss.ts [--pools N] [--loops N] [--phase empty|forget|churn] [--yield]
 *
 * --yield: the forget loop lets the event loop run every 1000 pools (finalizers only run between jobs,
 * so a synchronous loop keeps every forgotten pool until it returns).
 *
 * Without --phase all three run in turn (each later peak then includes what the earlier ones left).
 *
 * Prints one `key: value` line per measurement, so tests and people can read it alike.
 *
 * Measured on the 2-core development machine (Node 22, default flags), before → after the issue-14 work
 * (size classes of the disjoint pool made at its first allocation; small release records in lib/):
 *   rss per empty pool (--pools 20000) 5.3 KiB → 3.1 KiB (C: 3.0 → 1.45 KiB; JS heap: 1.7 → 0.8 KiB);
 *                                     the default 2000 pools give noisier figures (4 to 7 KiB)
 *   100,000 forgotten pools, peak     554 MiB → 324-328 MiB (with --yield: 259 MiB)
 *   100,000 create+destroy, peak      233 MiB → 181-186 MiB
 */
import { DisjointPool, OsMemoryProvider } from '../lib/index.js'
import { arg } from './bench-common.js'

const pools = Number(arg('--pools') ?? 2000)
const loops = Number(arg('--loops') ?? 100_000)
const MiB = 1024 * 1024
const phase = arg('--phase')
const yielding = process.argv.includes('--yield')
const runs = (name: string): boolean => phase === undefined || phase === name

function rss(): number {
  return process.memoryUsage.rss()
}

const provider = new OsMemoryProvider()
// one pool first, so code and lazily built runtime state are not counted per pool
new DisjointPool(provider).destroy()

if (runs('empty')) {
  const before = rss()
  const kept: DisjointPool[] = []
  for (let i = 0; i < pools; i++) kept.push(new DisjointPool(provider))
  const perPool = (rss() - before) / pools
  console.log(`empty pools: ${pools}`)
  console.log(`rss per empty pool: ${(perPool / 1024).toFixed(1)} KiB`)
  // then one allocation from each: what a pool costs once used (its buckets and size classes exist then)
  const beforeUse = rss()
  for (const p of kept) p.free(p.malloc(64))
  console.log(`rss per pool after its first allocation: ${((rss() - beforeUse) / pools / 1024).toFixed(1)} KiB more`)
  for (const p of kept) p.destroy()
  kept.length = 0
}

let peak = 0
if (runs('forget')) {
  for (let i = 0; i < loops; i++) {
    new DisjointPool(provider) // forgotten: only the garbage collector frees it
    if (i % 1000 === 0) {
      peak = Math.max(peak, rss())
      if (yielding) await new Promise((resolve) => setImmediate(resolve))
    }
  }
  console.log(`forgotten pools${yielding ? ' (yielding)' : ''}: ${loops}, peak rss: ${(Math.max(peak, rss()) / MiB).toFixed(0)} MiB`)
}

peak = 0
if (runs('churn')) {
  for (let i = 0; i < loops; i++) {
    new DisjointPool(provider).destroy()
    if (i % 1000 === 0) peak = Math.max(peak, rss())
  }
  console.log(`create+destroy pools: ${loops}, peak rss: ${(Math.max(peak, rss()) / MiB).toFixed(0)} MiB`)
}
