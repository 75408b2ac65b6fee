// The Level Zero examples run as programs (child processes) on Debian's loader (libze1): with the fixture
// driver (test/fixtures/ze_fixture_driver.c, selected by ZE_ENABLE_ALT_DRIVERS), and without any driver,
// where they must end with a clear message and exit status 1, not a signal.
// examples/level_zero_shared_memory.ts: a disjoint pool of shared memory written and read from the host.
// examples/ipc_level_zero.ts: an IPC handle opened by a pool in a second context (or a second process).
import t from 'tap'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildZeFixture } from './fixtures/ze-fixture.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const fixture = buildZeFixture()
t.teardown(fixture.cleanup)

function run(file: string, args: string[], driver: boolean) {
  const env = { ...process.env }
  if (driver) env['ZE_ENABLE_ALT_DRIVERS'] = fixture.so
  else delete env['ZE_ENABLE_ALT_DRIVERS']
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'examples', file), ...args], {
    encoding: 'utf8',
    cwd: root,
    env,
    timeout: 120_000,
  })
}

t.test('examples/level_zero_shared_memory.ts on the fixture driver', async (t) => {
  const r = run('level_zero_shared_memory.ts', [], true)
  t.equal(r.status, 0, `exit 0 (${r.stderr.slice(0, 500)})`)
  t.match(r.stdout, /Level Zero: driver 0x[0-9a-f]+ with 2 device\(s\); context 0x[0-9a-f]+/)
  t.match(r.stdout, /provider "LEVEL_ZERO" of shared memory, page 65536 bytes/)
  t.match(r.stdout, /pool "disjoint" created/)
  t.match(r.stdout, /wrote 2048 doubles at 0x[0-9a-f]+; values\[100\] = 50; sum = 1048064/)
  t.match(r.stdout, /level_zero_shared_memory example done/)
})

t.test('examples/ipc_level_zero.ts on the fixture driver: two contexts in one process', async (t) => {
  const r = run('ipc_level_zero.ts', [], true)
  t.equal(r.status, 0, `exit 0 (${r.stderr.slice(0, 500)})`)
  t.match(r.stdout, /producer: wrote 0xc0ffee at 0x[0-9a-f]+/)
  t.match(r.stdout, /producer: IPC handle of \d+ bytes/)
  t.match(r.stdout, /consumer: a second context 0x[0-9a-f]+/)
  t.match(r.stdout, /consumer: opened the handle at 0x[0-9a-f]+ and read 0xc0ffee/)
  t.match(r.stdout, /consumer: wrote 0xbeef and closed the handle/)
  t.match(r.stdout, /producer: reads 0xbeef after the consumer's write/)
  t.match(r.stdout, /ipc_level_zero example done/)
})

t.test('examples/ipc_level_zero.ts --two-processes on the fixture driver', async (t) => {
  const r = run('ipc_level_zero.ts', ['--two-processes'], true)
  t.equal(r.status, 0, `exit 0 (${r.stderr.slice(0, 500)})`)
  const pid = /consumer \(pid (\d+)\): opened the handle at 0x[0-9a-f]+ and read 0xc0ffee/.exec(r.stdout)?.[1]
  t.ok(pid, 'the consumer process read the producer\'s value')
  t.not(Number(pid), r.pid, 'in another process')
  t.match(r.stdout, /producer: reads 0xbeef after the consumer's write/)
  t.match(r.stdout, /ipc_level_zero example done/)
})

for (const file of ['level_zero_shared_memory.ts', 'ipc_level_zero.ts']) {
  t.test(`examples/${file} without a Level Zero driver: a clear error, exit 1, not a signal`, async (t) => {
    const r = run(file, [], false)
    t.equal(r.signal, null, 'no signal')
    t.equal(r.status, 1, 'exits with an uncaught error')
    t.match(r.stderr, /LevelZeroError: zeInit failed with ZE_RESULT_ERROR_UNINITIALIZED \(0x78000001\): no Level Zero driver with a device was found/)
    t.notMatch(r.stdout, /example done/)
  })
}
