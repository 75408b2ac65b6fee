// scripts/gpu-check.sh decides which GPU drivers to check from the dynamic linker's cache (ldconfig -p).
// Here a stand-in ldconfig on PATH lists what a machine without a GPU driver has (nothing, or the Level
// Zero loader alone, as Debian's libze1 gives): the script must say so and exit 2 before building anything.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

function withCache(lines: string[]) {
  const dir = mkdtempSync(path.join(tmpdir(), 'umf-gpu-check-'))
  try {
    const ldconfig = path.join(dir, 'ldconfig')
    writeFileSync(ldconfig, `#!/bin/sh\ncat <<'EOF'\n${lines.length} libs found in cache\n${lines.join('\n')}\nEOF\n`)
    chmodSync(ldconfig, 0o755)
    return spawnSync('bash', [path.join(root, 'scripts', 'gpu-check.sh')], {
      encoding: 'utf8',
      cwd: root,
      env: { ...process.env, PATH: `${dir}:${process.env['PATH'] ?? ''}` },
      timeout: 60_000,
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const entry = (name: string) => `\t${name} (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/${name}`

for (const [what, lines] of [
  ['no GPU driver at all', [entry('libc.so.6')]],
  ['the Level Zero loader without a GPU driver (libze1 alone)', [entry('libc.so.6'), entry('libze_loader.so.1')]],
  ['a Level Zero GPU driver without the loader', [entry('libze_intel_gpu.so.1')]],
] as const) {
  t.test(`gpu-check.sh with ${what}: exit 2 and says why, nothing built`, async (t) => {
    const r = withCache([...lines])
    t.equal(r.signal, null)
    t.equal(r.status, 2, r.stderr)
    t.match(r.stderr, /gpu-check: no GPU driver on this machine: no libcuda\.so\.1 \(NVIDIA\) and no Level Zero GPU driver .*nothing to check/)
    t.equal(r.stdout, '', 'nothing else happened')
  })
}

// The script as it is, on this machine's own cache, when it has no GPU driver (as the test machines do).
const cache = spawnSync('sh', ['-c', 'ldconfig -p 2>/dev/null || /sbin/ldconfig -p'], { encoding: 'utf8' }).stdout
const gpuHere = /libcuda\.so\.1/.test(cache) || (/libze_loader\.so\.1/.test(cache) && /libze_intel_gpu\.so\.1/.test(cache))
t.test('gpu-check.sh on this machine without a GPU driver: exit 2 and says why', { skip: gpuHere ? 'this machine has a GPU driver' : false }, async (t) => {
  const r = spawnSync('bash', [path.join(root, 'scripts', 'gpu-check.sh')], { encoding: 'utf8', cwd: root, timeout: 60_000 })
  t.equal(r.status, 2, r.stderr)
  t.match(r.stderr, /no GPU driver on this machine.*nothing to check/)
})
