// The memspace examples run as programs (child processes): exit status and output, on this machine and,
// for memspace_hmat, on a fake HMAT machine (HWLOC_XMLFILE).
import t from 'tap'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

function run(file: string, env: Record<string, string> = {}) {
  const childEnv: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HWLOC_')) childEnv[k] = v
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'examples', file)], {
    encoding: 'utf8',
    cwd: root,
    env: { ...childEnv, ...env },
    timeout: 120_000,
  })
}

t.test('examples/memspace_numa.ts: a provider bound to the first node, every page found there', async (t) => {
  const r = run('memspace_numa.ts')
  t.equal(r.status, 0, `exit 0 (${r.stderr.slice(0, 500)})`)
  const node = /^NUMA nodes: NUMA node (\d+) \(\d+\.\d GiB\)/.exec(r.stdout)?.[1]
  t.ok(node, 'the first node is named')
  t.match(r.stdout, `provider "OS" bound to NUMA node ${node}\n`)
  t.match(r.stdout, `all 16 pages are on NUMA node ${node}\n`)
})

t.test('examples/memspace_hmat.ts on this machine (no HMAT): says so and exits 0', async (t) => {
  const r = run('memspace_hmat.ts')
  t.equal(r.status, 0, r.stderr)
  t.equal(r.stdout, 'this machine reports no memory bandwidth or latency (no HMAT): nothing to do\n')
})

t.test('examples/memspace_hmat.ts on the fake HMAT machine two-tiers.xml: a pool from each memspace', async (t) => {
  const r = run('memspace_hmat.ts', { HWLOC_XMLFILE: path.join(root, 'test', 'fixtures', 'topology', 'two-tiers.xml') })
  t.equal(r.status, 0, r.stderr)
  t.equal(
    r.stdout,
    [
      'highest bandwidth: NUMA node 1 (8.0 GiB)',
      'highest bandwidth: allocated and wrote 1024 bytes from pool "disjoint"',
      'lowest latency: NUMA node 0 (4.0 GiB)',
      'lowest latency: allocated and wrote 1024 bytes from pool "disjoint"',
      '',
    ].join('\n'),
  )
})
