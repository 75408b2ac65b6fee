// The CUDA memory provider (lib/providers/cuda_memory_provider.ts over provider_cuda.h) on the stand-in
// driver (test/fixtures/cuda_stand_in.c, built here as libcuda.so.1). Each case runs in a child process
// (test/fixtures/cuda-child.ts) because a loaded driver stays loaded: without the driver, with the driver
// found by libumf itself through LD_LIBRARY_PATH (beyond UMF 1.1), and loaded first by path (as UMF 1.1
// requires); IPC runs between two child processes.
import t, { type Test as Tap } from 'tap'
import { spawn } from 'node:child_process'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import { runCase, type CaseResult } from './fixtures/child-run.js'
import { buildCudaStandIn } from './fixtures/cuda-stand-in.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const standIn = buildCudaStandIn()
t.teardown(standIn.cleanup)

/** Runs a case of cuda-child.ts with extra environment (the test's own environment is restored after). */
function child(caseName: string, env: Record<string, string | undefined>, args: string[] = []): CaseResult {
  const saved = { ...process.env }
  Object.assign(process.env, env)
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k]
  try {
    return runCase('cuda-child.ts', caseName, args, 60_000)
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
    Object.assign(process.env, saved)
  }
}

const viaSearch = { LD_LIBRARY_PATH: standIn.dir, CUDA_STAND_IN_PRELOAD: undefined }
const line = (r: CaseResult, name: string) => r.byName.get(name) ?? {}

t.test('without libcuda.so.1: DEPENDENCY_UNAVAILABLE naming it, in C\'s log and in the error', async (t) => {
  const r = child('missing', { LD_LIBRARY_PATH: undefined, CUDA_STAND_IN_PRELOAD: undefined, UMF_LOG: 'level:error;output:stderr' })
  t.equal(r.status, 0, r.stderr)
  const current = line(r, 'current')
  t.equal(current['ok'], false)
  t.equal(current['code'], 'UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE')
  t.match(String(current['message']), /libcuda\.so\.1/)
  const create = line(r, 'create')
  t.equal(create['ok'], false)
  t.equal(create['func'], 'umfCUDAMemoryProviderParamsCreate')
  t.equal(create['code'], 'UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE')
  t.match(String(create['message']), /libcuda\.so\.1/)
  t.match(r.stderr, /cannot load libcuda\.so\.1/, "libumf's log line names the library")
})

function checkTypes(t: Tap, r: CaseResult): void {
  t.equal(r.status, 0, r.stderr)
  t.same(line(r, 'before')['value'], { context: null, device: null }, 'no context before cuInit')
  const primary = line(r, 'primary')
  t.equal((primary['value'] as { device: number }).device, 0)
  t.same(primary['current'], primary['value'], 'the primary context is current')
  const expected = { host: 1, device: 2, shared: 3 }
  for (const type of ['host', 'device', 'shared'] as const) {
    const l = line(r, type)
    t.equal(l['providerName'], 'CUDA', `${type}: default name`)
    t.equal(l['minPage'], 4096, `${type}: min page = the stand-in's minimum granularity`)
    t.equal(l['pageSize'], 2 * 1024 * 1024, `${type}: recommended page = the recommended granularity`)
    t.equal(l['pointerType'], expected[type], `${type}: UMF_MEMORY_PROPERTY_POINTER_TYPE`)
    const view = line(r, `${type}-view`)
    const viewAs = line(r, `${type}-viewAs`)
    if (type === 'device') {
      t.equal(view['ok'], false, 'device memory: view() refuses')
      t.equal(view['kind'], 'TypeError')
      t.match(String(view['message']), /CUDA device memory.*CPU cannot/)
      t.equal(viewAs['ok'], false, 'device memory: viewAs() refuses')
    } else {
      t.same(view['value'], { length: 3 * 4096 + 100, last: 0x5a }, `${type}: view() reads what it wrote`)
      t.equal(viewAs['value'], Math.floor((3 * 4096 + 100) / 4), `${type}: viewAs()`)
    }
  }
  const named = line(r, 'named')
  t.equal(named['providerName'], 'my_cuda')
  t.match(named['params'], { memoryType: 'shared', device: 0, allocFlags: 2, name: 'my_cuda' })
}

t.test('host, device and shared memory, driver found by libumf through LD_LIBRARY_PATH (stand-in libcuda)', async (t) => {
  checkTypes(t, child('types', viaSearch))
})

t.test('host, device and shared memory, driver loaded first by absolute path (stand-in libcuda)', async (t) => {
  checkTypes(t, child('types', { LD_LIBRARY_PATH: undefined, CUDA_STAND_IN_PRELOAD: standIn.so }))
})

t.test('bad params, missing context, driver errors with their CUDA names (stand-in libcuda)', async (t) => {
  const r = child('errors', viaSearch)
  t.equal(r.status, 0, r.stderr)
  const noCtx = line(r, 'no-context')
  t.equal(noCtx['code'], 'UMF_RESULT_ERROR_INVALID_ARGUMENT', 'no current context: INVALID_ARGUMENT')
  t.match(String(noCtx['message']), /needs a context/)
  for (const tag of ['no-type', 'bad-type', 'bad-device', 'bad-context', 'bad-context-str', 'bad-flags', 'bad-name', 'extra-key']) {
    t.equal(line(r, tag)['kind'], 'ConfigError', `${tag}: ConfigError before C`)
  }
  t.match(String(line(r, 'bad-type')['message']), /memoryType must be "host", "device" or "shared"/)
  const ordinal = line(r, 'bad-ordinal')
  t.match(ordinal, { kind: 'CudaError', code: 101, cudaName: 'CUDA_ERROR_INVALID_DEVICE', func: 'cuDeviceGet' })
  t.same(line(r, 'device-1')['value'], { pointerType: 1 }, 'a provider on device 1')
  const inj = line(r, 'inject-801')
  t.equal(inj['code'], 'UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC')
  t.equal(inj['cudaName'], 'CUDA_ERROR_NOT_SUPPORTED', 'the error carries the CUDA name')
  t.match(inj['native'], { code: 801, message: 'CUDA_ERROR_NOT_SUPPORTED - operation not supported' })
  t.equal(line(r, 'inject-oom')['code'], 'UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY', 'CUDA_ERROR_OUT_OF_MEMORY maps to OUT_OF_HOST_MEMORY')
  t.match(line(r, 'oom-native')['value'], { code: 2, message: 'CUDA_ERROR_OUT_OF_MEMORY - out of memory' })
  t.equal(line(r, 'alignment')['code'], 'UMF_RESULT_ERROR_NOT_SUPPORTED', 'alignment above the granularity')
  const gran = line(r, 'granularity')
  t.equal(gran['code'], 'UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC', 'a failing granularity query fails creation')
  t.match(gran['native'], { code: 999, message: 'CUDA_ERROR_UNKNOWN - unknown error' })
})

t.test('IPC of device memory between two processes (stand-in libcuda)', async (t) => {
  const env: NodeJS.ProcessEnv = { ...process.env, LD_LIBRARY_PATH: standIn.dir }
  delete env['CUDA_STAND_IN_PRELOAD']
  const script = path.join(here, 'fixtures', 'cuda-child.ts')
  const producer = spawn(process.execPath, ['--import', 'tsx', script, 'producer'], { env, cwd: path.resolve(here, '..'), stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = readline.createInterface({ input: producer.stdout })
  const it = lines[Symbol.asyncIterator]()
  const first = JSON.parse(String((await it.next()).value)) as { handle: string }
  t.ok(first.handle.length > 0, 'the producer made a handle')
  const c = child('consumer', viaSearch, [first.handle])
  t.equal(c.status, 0, c.stderr)
  const opened = line(c, 'opened')
  t.equal(opened['size'], 3 * 4096 + 100, 'the opened size is the allocation size')
  t.equal(opened['same'], 3 * 4096 + 100, "the consumer sees every byte the producer wrote")
  t.equal(opened['pid'], producer.pid, "the handle names the producer's pid")
  t.equal(line(c, 'opened-view')['kind'], 'TypeError', 'no view of opened device memory')
  producer.stdin.write('done\n')
  const seen = JSON.parse(String((await it.next()).value)) as { text: string }
  t.match(seen.text, /^consumer \d+$/, 'the producer sees what the consumer wrote')
  await new Promise((resolve) => producer.on('exit', resolve))
  t.equal(producer.exitCode, 0)
})
