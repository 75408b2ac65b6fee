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
