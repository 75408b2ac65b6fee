// The examples run as programs (child processes): exit status and output.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

function run(file: string) {
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'examples', file)], {
    encoding: 'utf8',
    cwd: root,
    env: process.env,
    timeout: 120_000,
  })
}

t.test('examples/basic.ts (npm run example)', async (t) => {
  const r = run('basic.ts')
  t.equal(r.status, 0, `exit 0 (${r.stderr.slice(0, 500)})`)
  t.match(r.stdout, /provider "OS" created/)
  t.match(r.stdout, /allocated 1024 bytes at 0x[0-9a-f]+ from the provider/)
  t.match(r.stdout, /pool "scalable" created over provider "OS"/)
  t.match(r.stdout, /wrote "Allocated memory at 0x[0-9a-f]+"/)
  t.match(r.stdout, /the allocation belongs to our pool \("scalable"\)/)
  t.match(r.stdout, /basic example done/)
})

t.test('examples/custom_provider.ts', async (t) => {
  const r = run('custom_provider.ts')
  t.equal(r.status, 0, `exit 0 (${r.stderr.slice(0, 500)})`)
  t.match(r.stdout, /pool "proxy" over provider "counting"/)
  t.match(r.stdout, /aligned to 4096: true/)
  t.match(r.stdout, /sum of b's 32 doubles: 48/)
  t.match(r.stdout, /byPtr\(a\) is the pool: true/)
  t.match(r.stdout, /provider allocations: 2, frees: 2, live: 0/)
  t.match(r.stdout, /provider finalized: true/)
})

t.test('examples/ctl_statistics.ts, without and with UMF_CONF', async (t) => {
  let r = run('ctl_statistics.ts')
  t.equal(r.status, 0, `exit 0 (${r.stderr.slice(0, 500)})`)
  t.match(r.stdout, /after allocating 64 KiB: allocated_memory 65536, peak_memory 65536/)
  t.match(r.stdout, /after peak_memory.reset: allocated_memory 0, peak_memory 0/)
  t.match(r.stdout, /alloc_count 1\nused_memory 4096/)
  t.match(r.stdout, /need tracing: run with UMF_CONF/)
  t.match(r.stdout, /pools named ctl_stats_pool: 1/)
  r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'examples', 'ctl_statistics.ts')], {
    encoding: 'utf8',
    cwd: root,
    env: { ...process.env, UMF_CONF: 'umf.pool.default.disjoint.params.pool_trace=2' },
    timeout: 120_000,
  })
  t.equal(r.status, 0, `exit 0 (${r.stderr.slice(0, 500)})`)
  t.match(r.stdout, /curr_slabs_in_use 1\nalloc_num 1/)
  t.match(r.stdout, /bucket \d+ \(4096 B\): alloc_num 1, alloc_pool_num 0, free_num 0, curr_slabs_in_use 1/)
})

t.test('examples/ctl_provider.ts with UMF_CONF="umf.provider.default.ctl.m=10"', async (t) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'examples', 'ctl_provider.ts')], {
    encoding: 'utf8',
    cwd: root,
    env: { ...process.env, UMF_CONF: 'umf.provider.default.ctl.m=10' },
    timeout: 120_000,
  })
  t.equal(r.status, 0, `exit 0 (${r.stderr.slice(0, 500)})`)
  t.match(r.stdout, /m = 10\n7 \+ 5 mod m = 2\n7 - 5 mod m = 2\n7 - 9 mod m = 8/)
})
