// The opened-handle cache of IPC (umfOpenIPCHandle/umfCloseIPCHandle) under UMF_MAX_OPENED_IPC_HANDLES,
// with producer and consumers in separate processes (test/fixtures/ipc-peer.ts).
import t from 'tap'
import { Peer, startPeers, bytesOf } from './fixtures/ipc-peer-client.js'

// The opened-handle cache. A TypeScript provider cannot implement the IPC ops (MemoryProviderImpl has
// none), so a counting wrapper around the OS provider is not possible from TypeScript: the provider's
// opens and closes are observed as the consumer's mappings of the producer's fd in /proc/self/maps (one
// mapping per provider open, gone at its close).
t.test('UMF_MAX_OPENED_IPC_HANDLES bounds the mappings the consumer keeps', async (t) => {
  const N = 8
  const LIMIT = 3
  const producer = await Peer.start('os', { UMF_MEM_FD_FUNC: 'memfd_create' })
  const limited = await Peer.start('os', { UMF_MAX_OPENED_IPC_HANDLES: String(LIMIT) })
  const unlimited = await Peer.start('os')
  t.teardown(async () => {
    await Promise.all([producer.exit(), limited.exit(), unlimited.exit()])
  })
  const handles: string[] = []
  for (let i = 0; i < N; i++) {
    // one provider allocation each (the proxy pool), at increasing offsets of the producer's fd
    handles.push(String((await producer.ok({ op: 'alloc', size: 4096, fill: i + 1 }))['handle']))
  }
  const maps = async (p: Peer) => Number((await p.ok({ op: 'maps' }))['count'])

  // open and close one after the other: closed mappings stay cached, up to the limit
  const counts: number[] = []
  const unlimitedCounts: number[] = []
  const firstPtrs: string[] = []
  for (let i = 0; i < N; i++) {
    const o = await limited.ok({ op: 'open', handle: handles[i] })
    firstPtrs.push(String(o['ptr']))
    t.same(bytesOf(await limited.ok({ op: 'readOpened', oid: o['oid'], length: 1 })), [i + 1], `handle ${i} shows its allocation`)
    await limited.ok({ op: 'close', oid: o['oid'] })
    counts.push(await maps(limited))
    const u = await unlimited.ok({ op: 'open', handle: handles[i] })
    await unlimited.ok({ op: 'close', oid: u['oid'] })
    unlimitedCounts.push(await maps(unlimited))
  }
  t.same(counts, [1, 2, 3, 3, 3, 3, 3, 3], `with the limit ${LIMIT}: the least recently used closed mapping is unmapped`)
  t.same(unlimitedCounts, [1, 2, 3, 4, 5, 6, 7, 8], 'without a limit every closed mapping stays cached')

  // a cached one is reused (same address, no new mapping); an evicted one is mapped again
  const hit = await limited.ok({ op: 'open', handle: handles[N - 1] })
  t.equal(hit['ptr'], firstPtrs[N - 1], 'the most recent handle is still cached: same address')
  t.equal(await maps(limited), LIMIT, 'a cache hit maps nothing')
  await limited.ok({ op: 'close', oid: hit['oid'] })
  const miss = await limited.ok({ op: 'open', handle: handles[0] })
  t.same(bytesOf(await limited.ok({ op: 'readOpened', oid: miss['oid'], length: 1 })), [1], 'an evicted handle opens again')
  t.equal(await maps(limited), LIMIT, 'and evicts another idle mapping to stay at the limit')
  await limited.ok({ op: 'close', oid: miss['oid'] })

  // mappings in use are never evicted: the limit is exceeded while they are open
  const open: unknown[] = []
  for (let i = 0; i < N; i++) open.push((await limited.ok({ op: 'open', handle: handles[i] }))['oid'])
  t.equal(await maps(limited), N, 'all open at once: over the limit')
  for (const oid of open) await limited.ok({ op: 'close', oid })
  t.equal(await maps(limited), LIMIT, 'closed again: back to the limit')
  t.same(await limited.exit(), { code: 0, signal: null }, 'the limited consumer exits normally')
})


t.test('allocations sharing one block of a disjoint pool share one mapping', async (t) => {
  const [producer, consumer] = await startPeers(t, 'os+disjoint', 'os')
  const a = await producer.ok({ op: 'alloc', size: 64, fill: 0xa1 })
  const b = await producer.ok({ op: 'alloc', size: 64, fill: 0xb2 })
  const distance = BigInt(String(b['ptr'])) - BigInt(String(a['ptr']))
  const oa = await consumer.ok({ op: 'open', handle: a['handle'] })
  const ob = await consumer.ok({ op: 'open', handle: b['handle'] })
  t.equal(BigInt(String(ob['ptr'])) - BigInt(String(oa['ptr'])), distance, 'the two addresses are as far apart as in the producer')
  t.equal(Number(oa['size']) - Number(ob['size']), Number(distance), 'each size runs to the end of the same block')
  t.equal(Number((await consumer.ok({ op: 'maps' }))['count']), 1, 'one mapping for both')
  t.same(bytesOf(await consumer.ok({ op: 'readOpened', oid: oa['oid'], length: 1 })), [0xa1], 'the first allocation')
  t.same(bytesOf(await consumer.ok({ op: 'readOpened', oid: ob['oid'], length: 1 })), [0xb2], 'the second allocation')
  await consumer.ok({ op: 'close', oid: oa['oid'] })
  t.same(bytesOf(await consumer.ok({ op: 'readOpened', oid: ob['oid'], length: 1 })), [0xb2], 'still readable after the other is closed')
  await consumer.ok({ op: 'close', oid: ob['oid'] })
})

t.test('an opened handle the program forgot is closed by the garbage collector', async (t) => {
  const [producer, consumer] = await startPeers(t, 'os', 'os')
  const a = await producer.ok({ op: 'alloc', size: 4096, fill: 1 })
  // two opens of the same handle: one kept open by ffi/, one forgotten by lib/
  const kept = await consumer.ok({ op: 'open', handle: a['handle'] })
  const forgotten = await consumer.ok({ op: 'forgetOpened', handle: a['handle'] })
  t.equal(forgotten['ptr'], kept['ptr'], 'the same cached mapping')
  const before = Number((await consumer.ok({ op: 'finalized' }))['count'])
  await consumer.ok({ op: 'collect' })
  t.ok(Number((await consumer.ok({ op: 'finalized' }))['count']) > before, 'the forgotten object was reclaimed')
  await consumer.ok({ op: 'close', oid: kept['oid'] })
  // both opens are closed now (the finalizer closed one): one more close finds nothing open
  t.equal((await consumer.ok({ op: 'rawClose', ptr: kept['ptr'] }))['rc'], 3, 'umfCloseIPCHandle: INVALID_ARGUMENT, nothing left open')
  const d = await consumer.send({ op: 'destroyPool' })
  t.ok(d.ok, `the pool can be destroyed: the finalizer released it (${String(d['message'] ?? '')})`)
})
