// IPC between processes (lib/ipc.ts over umf/ipc.h). Producer and consumer are always separate Node
// processes (test/fixtures/ipc-peer.ts) that exchange the handle bytes as base64 through this test, over
// their stdin/stdout: the consumer opens the producer's allocation, writes, and the producer sees it (and
// the other way round), for the OS provider over an anonymous fd (memfd_secret or memfd_create) and over
// a named shm object, and for the file provider; then handles whose producer exited or destroyed its
// provider.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Peer, startPeers, b64, bytesOf } from './fixtures/ipc-peer-client.js'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'umf-ipc-test-'))
t.teardown(() => rmSync(tmp, { recursive: true, force: true }))
const shmNames: string[] = []
const shmName = (tag: string) => {
  const name = `umf-ipc-test-${process.pid}-${tag}`
  shmNames.push(name)
  return name
}
// a consumer's open unlinks the object (as UMF does); a run that failed earlier may leave it behind
t.teardown(() => {
  for (const n of shmNames) rmSync(path.join('/dev/shm', n), { force: true })
})

interface Mode {
  name: string
  producer: string
  consumer: string
  env?: Record<string, string>
}

const modes: Mode[] = [
  { name: 'OS provider, anonymous fd (default fd function)', producer: 'os', consumer: 'os' },
  {
    name: 'OS provider, memfd_create (UMF_MEM_FD_FUNC)',
    producer: 'os',
    consumer: 'os',
    env: { UMF_MEM_FD_FUNC: 'memfd_create' },
  },
  // the consumer's provider need not have the name: the handle carries it
  { name: 'OS provider, named shm (shmName)', producer: `os-shm:${shmName('a')}`, consumer: 'os' },
  { name: 'file provider, shared', producer: `file:${path.join(tmp, 'producer.bin')}`, consumer: `file:${path.join(tmp, 'consumer.bin')}` },
]

for (const m of modes) {
  t.test(`producer and consumer processes: ${m.name}`, async (t) => {
    const [producer, consumer] = await startPeers(t, [m.producer, m.env], [m.consumer, m.env])
    const size = 3 * 4096 + 100
    const a = await producer.send({ op: 'alloc', size, fill: 0x11 })
    if (!a.ok) {
      t.fail(`the producer cannot make an IPC handle: ${String(a['message'])}`)
      return
    }
    const opened = await consumer.send({ op: 'open', handle: a['handle'] })
    t.ok(opened.ok, `the consumer opens the handle (${String(opened['message'] ?? '')})`)
    if (!opened.ok) return
    t.equal(opened['size'], size, 'the opened size is the allocation size')
    t.equal(opened['pid'], producer.pid, "the header names the producer's pid")
    t.not(opened['ptr'], a['ptr'], 'mapped at its own address (in another process)')
    const oid = opened['oid']
    t.same(bytesOf(await consumer.ok({ op: 'readOpened', oid, offset: 0, length: 4 })), [0x11, 0x11, 0x11, 0x11], "the consumer reads the producer's bytes")
    t.same(bytesOf(await consumer.ok({ op: 'readOpened', oid, offset: size - 2, length: 2 })), [0x11, 0x11], '... up to the last byte')

    await consumer.ok({ op: 'write', oid, offset: 1, data: b64([1, 2, 3]) })
    await consumer.ok({ op: 'write', oid, offset: size - 1, data: b64([0x7f]) })
    t.same(bytesOf(await producer.ok({ op: 'read', id: a['id'], offset: 0, length: 5 })), [0x11, 1, 2, 3, 0x11], "the producer sees the consumer's write")
    t.same(bytesOf(await producer.ok({ op: 'read', id: a['id'], offset: size - 1, length: 1 })), [0x7f], '... at the end too')

    await producer.ok({ op: 'writeAlloc', id: a['id'], offset: 4096, data: b64([9, 8, 7]) })
    t.same(bytesOf(await consumer.ok({ op: 'readOpened', oid, offset: 4096, length: 3 })), [9, 8, 7], "the consumer sees the producer's write")

    // a handle of an interior address: same mapping, the address and size moved by the offset
    const inner = await producer.ok({ op: 'handle', id: a['id'], offset: 4097 })
    const o2 = await consumer.ok({ op: 'open', handle: inner['handle'] })
    t.equal(BigInt(String(o2['ptr'])), BigInt(String(opened['ptr'])) + 4097n, 'interior handle: the mapping is reused, pointer at the offset')
    t.equal(o2['size'], size - 4097, 'interior handle: size up to the end of the allocation')
    t.same(bytesOf(await consumer.ok({ op: 'readOpened', oid: o2['oid'], offset: 0, length: 2 })), [8, 7], 'interior handle: same bytes')
    await consumer.ok({ op: 'close', oid: o2['oid'] })
    await consumer.ok({ op: 'close', oid })
    await producer.ok({ op: 'free', id: a['id'] })
    t.same(await consumer.exit(), { code: 0, signal: null }, 'the consumer exits normally')
    t.same(await producer.exit(), { code: 0, signal: null }, 'the producer exits normally')
  })
}

for (const [mode, kind, native] of [
  ['anonymous fd', 'os', /pidfd_(open|getfd)/], // pidfd_getfd if the pid was reused
  ['named shm', `os-shm:${shmName('exited')}`, /the process that made the IPC handle has exited/],
] as const) {
  t.test(`a handle whose producer exited (${mode})`, async (t) => {
    const producer = await Peer.start(kind)
    const a = await producer.ok({ op: 'alloc', size: 4096, fill: 1 })
    t.same(await producer.exit(), { code: 0, signal: null }, 'the producer exits')
    const consumer = await Peer.start('os')
    t.teardown(() => consumer.exit())
    const r = await consumer.send({ op: 'open', handle: a['handle'] })
    t.equal(r.ok, false, 'opening fails')
    t.equal(r['error'], 'UmfError')
    t.equal(r['code'], 2, 'UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC')
    t.match(String(r['message']), /umfOpenIPCHandle failed: UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC/)
    t.match(String(r['message']), native, "the provider's native error says what failed")
    t.same(await consumer.exit(), { code: 0, signal: null }, 'the consumer carries on and exits normally')
  })
}

t.test('a named shm handle after its producer destroyed its pool', async (t) => {
  const producer = await Peer.start(`os-shm:${shmName('gone')}`)
  const a = await producer.ok({ op: 'alloc', size: 4096, fill: 1 })
  await producer.ok({ op: 'free', id: a['id'] })
  await producer.ok({ op: 'destroyPool' }) // the provider unlinks its shm object
  const consumer = await Peer.start('os')
  t.teardown(async () => {
    await consumer.exit()
    await producer.exit()
  })
  const r = await consumer.send({ op: 'open', handle: a['handle'] })
  t.equal(r.ok, false, 'opening fails')
  t.equal(r['code'], 2, 'UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC')
  t.match(String(r['message']), /shm_open/, "the provider's native error names shm_open")
})


// UMF's behaviour with a named shm object: the consumer's first open unlinks the name (so the object
// goes away with its last mapping), after which no process can open that name again: handles of other
// allocations of the same producer provider fail, in this consumer and in any other. This test records
// it, so that a change (e.g. a consumer that keeps the object's fd for later handles) is noticed.
t.test('named shm: the first open unlinks the name (UMF behaviour)', async (t) => {
  const producer = await Peer.start(`os-shm:${shmName('once')}`)
  const c1 = await Peer.start('os')
  const c2 = await Peer.start('os')
  t.teardown(async () => {
    await Promise.all([c1.exit(), c2.exit(), producer.exit()])
  })
  const a = await producer.ok({ op: 'alloc', size: 4096, fill: 1 })
  const b = await producer.ok({ op: 'alloc', size: 4096, fill: 2 })
  const first = await c1.ok({ op: 'open', handle: a['handle'] })
  t.same(bytesOf(await c1.ok({ op: 'readOpened', oid: first['oid'], length: 1 })), [1], 'the first open works')
  const again = await c1.ok({ op: 'open', handle: a['handle'] })
  t.equal(again['ptr'], first['ptr'], 'the same handle again: the cached mapping')
  for (const [who, peer] of [['the same consumer', c1], ['another consumer', c2]] as const) {
    const r = await peer.send({ op: 'open', handle: b['handle'] })
    t.equal(r.ok, false, `${who} cannot open another allocation's handle`)
    t.match(String(r['message']), /shm_open of the IPC handle's object failed: No such file or directory/, `${who}: shm_open ENOENT`)
  }
})
