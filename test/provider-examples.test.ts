// The provider examples run as programs (child processes): exit status and output.
// examples/cuda_shared_memory.ts: a pool of CUDA shared memory on the stand-in libcuda, and without a driver.
// examples/custom_file_provider.ts: a TypeScript provider over a region of a FileMemoryProvider mapping.
// examples/dram_and_fsdax.ts: DRAM and an FSDAX-style file side by side behind jemalloc pools (with no
// special environment), with and without UMF_TESTS_FSDAX_PATH.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildCudaStandIn } from './fixtures/cuda-stand-in.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

function run(file: string, args: string[] = [], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'examples', file), ...args], {
    encoding: 'utf8',
    cwd: root,
    env,
    timeout: 120_000,
  })
}

t.test('examples/custom_file_provider.ts', async (t) => {
  const r = run('custom_file_provider.ts')
  t.equal(r.status, 0, `exit 0 (${r.stderr.slice(0, 500)})`)
  t.match(r.stdout, /\[file_region\] took 4194304 bytes of .*custom_file_provider\.bin at 0x[0-9a-f]+/)
  t.match(r.stdout, /pool "proxy" over provider "file_region" over "FILE"/)
  t.match(r.stdout, /alloc 10000 \(align 65536\) -> 0x[0-9a-f]+0000, region offset 65536/)
  t.match(r.stdout, /b is aligned to 64 KiB: true/)
  t.match(r.stdout, /free 0x[0-9a-f]+ \(4096 bytes\); free pieces: 2/)
  t.match(r.stdout, /live allocations in the TypeScript provider: 1/)
  t.match(r.stdout, /free 0x[0-9a-f]+ \(12288 bytes\); free pieces: 1/, 'the free list coalesces back to one piece')
  t.match(r.stdout, /gave the region back \(0 allocations still live\)/)
  t.match(r.stdout, /the message is in it at offset 65536: true/, 'the data is in the file afterwards')
  t.match(r.stdout, /custom file provider example done/)
})

t.test('examples/custom_file_provider.ts with a file of our choosing: the file keeps the message', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'umf-ex-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'mine.bin')
  const r = run('custom_file_provider.ts', [file])
  t.equal(r.status, 0, `exit 0 (${r.stderr.slice(0, 500)})`)
  t.ok(fs.readFileSync(file).includes('Hello from a TypeScript provider over a file!'), 'our file holds the message')
})

t.test('examples/dram_and_fsdax.ts: no FSDAX mount, jemalloc pools with no special environment', async (t) => {
  const env = { ...process.env }
  delete env['UMF_TESTS_FSDAX_PATH']
  delete env['GLIBC_TUNABLES']
  const r = run('dram_and_fsdax.ts', [], env)
  t.equal(r.status, 0, `exit 0 (${r.stderr.slice(0, 500)})`)
  t.match(r.stdout, /DRAM: jemalloc pool over the "OS" provider/)
  t.match(r.stdout, /FSDAX: no FSDAX mount found \(UMF_TESTS_FSDAX_PATH is unset\); using the regular file .*fsdax\.bin/)
  t.match(r.stdout, /FSDAX: mapped with MAP_SYNC: false \(page size 4096 bytes\)/)
  t.match(r.stdout, /FSDAX: jemalloc pool over the "FILE" provider/)
  t.match(r.stdout, /DRAM: jemalloc pool allocated 1024 bytes at 0x[0-9a-f]+ and read back "hot data in DRAM"/)
  t.match(r.stdout, /FSDAX: jemalloc pool allocated 1024 bytes at 0x[0-9a-f]+ and read back "durable data in persistent memory"/)
  t.match(r.stdout, /dram and fsdax example done/)
  t.notMatch(r.stdout, /using a disjoint pool/)
})

t.test('examples/dram_and_fsdax.ts: UMF_TESTS_FSDAX_PATH names the file', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'umf-ex-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const given = process.env['UMF_TESTS_FSDAX_PATH'] ?? path.join(dir, 'pmem.bin')
  const r = run('dram_and_fsdax.ts', [], { ...process.env, UMF_TESTS_FSDAX_PATH: given })
  t.equal(r.status, 0, `exit 0 (${r.stderr.slice(0, 500)})`)
  t.match(r.stdout, `FSDAX: using ${given} (UMF_TESTS_FSDAX_PATH)`)
  t.match(r.stdout, /FSDAX: mapped with MAP_SYNC: (true|false)/)
  t.match(r.stdout, /read back "durable data in persistent memory"/)
  t.ok(fs.existsSync(given), 'the file was created there')
})

t.test('examples/cuda_shared_memory.ts (stand-in libcuda on LD_LIBRARY_PATH)', async (t) => {
  const standIn = buildCudaStandIn()
  t.teardown(standIn.cleanup)
  const r = run('cuda_shared_memory.ts', ['1'], { ...process.env, LD_LIBRARY_PATH: standIn.dir })
  t.equal(r.status, 0, `exit 0 (${r.stderr.slice(0, 500)})`)
  t.match(r.stdout, /CUDA device 1, primary context 0x[0-9a-f]+ is current/)
  t.match(r.stdout, /provider "CUDA" of shared memory, page 4096 bytes/)
  t.match(r.stdout, /wrote 1024 ints at 0x[0-9a-f]+; ints\[31\] = 961; sum = 357389824/)
  t.match(r.stdout, /cuda_shared_memory example done/)
})

t.test('examples/cuda_shared_memory.ts without a driver: a clear error, not a crash', async (t) => {
  const env = { ...process.env }
  delete env['LD_LIBRARY_PATH']
  const r = run('cuda_shared_memory.ts', [], env)
  t.equal(r.status, 1, 'exits with an uncaught error')
  t.match(r.stderr, /UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE.*libcuda\.so\.1/)
})
