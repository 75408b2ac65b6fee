// examples/ipc_ipcapi: the producer program starts the consumer program, and the two share one
// allocation through an IPC handle. Run as a user would (npx tsx examples/ipc_ipcapi/producer.ts): exit
// status and output.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dir = path.join(root, 'examples', 'ipc_ipcapi')

function run(file: string, args: string[] = [], input?: string) {
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, file), ...args], {
    encoding: 'utf8',
    cwd: root,
    env: process.env,
    input,
    timeout: 120_000,
  })
}

for (const [name, args] of [
  ['anonymous shared memory', []],
  ['a named shm object', ['--shm', `umf-ipc-example-${process.pid}`]],
] as const) {
  t.test(`examples/ipc_ipcapi/producer.ts with ${name}`, async (t) => {
    const r = run('producer.ts', [...args])
    t.equal(r.signal, null, 'no signal')
    t.equal(r.status, 0, `exit 0 (${r.stderr.slice(0, 1000)})`)
    t.match(r.stdout, /producer: pool "disjoint" over provider "OS" \(shared/)
    t.match(r.stdout, /producer: wrote 49374 at 0x[0-9a-f]+/)
    t.match(r.stdout, /producer: IPC handle of \d+ bytes \(pid \d+, offset \d+ in a \d+-byte block\)/)
    t.match(r.stdout, /consumer: received an IPC handle of \d+ bytes/)
    t.match(r.stdout, /consumer: opened the handle at 0x[0-9a-f]+/)
    t.match(r.stdout, /consumer: read 49374/)
    t.match(r.stdout, /consumer: wrote 98748/)
    t.match(r.stdout, /producer: the consumer says it wrote 98748; the memory holds 98748/)
    t.match(r.stdout, /numbers\[1023\] = 7/)
    t.match(r.stdout, /ipc example done/)
    t.notMatch(r.stdout, /reply:/, 'the protocol line is not shown')
  })
}

t.test('examples/ipc_ipcapi/consumer.ts with bad handles fails cleanly', async (t) => {
  const zeros = run('consumer.ts', [], Buffer.alloc(81).toString('base64') + ' 4\n')
  t.equal(zeros.signal, null, 'zeros: no signal')
  t.equal(zeros.status, 1, 'zeros: exit 1')
  t.match(zeros.stdout, /consumer: cannot open the handle: umfOpenIPCHandle failed: UMF_RESULT_ERROR_INVALID_ARGUMENT/)
  const short = run('consumer.ts', [], Buffer.alloc(20, 1).toString('base64') + ' 4\n')
  t.equal(short.status, 1, 'too short: exit 1')
  t.match(short.stdout, /consumer: cannot open the handle: RangeError: bytes is 20 bytes: too short/)
})
