// Bad input to lib/ipc.ts: wrong types, handle bytes of wrong lengths, forged headers, pools that cannot
// share memory or are destroyed, closed handles, and random or damaged bytes. Each battery runs in a child
// process (test/fixtures/ipc-peer.ts) whose exit is asserted: a crash there is a failed test here.
import t from 'tap'
import { Peer, startPeers } from './fixtures/ipc-peer-client.js'

t.test('bad input (in a child process)', async (t) => {
  const [producer, consumer] = await startPeers(t, 'os', 'os')
  const a = await producer.ok({ op: 'alloc', size: 8192, fill: 1 })
  const r = await consumer.send({ op: 'badInput', handle: a['handle'] })
  t.ok(r.ok, `the battery runs to its end (${String(r['message'] ?? '')})`)
  const got = (r['outcomes'] ?? {}) as Record<string, string>
  const INVALID = 'UmfError UMF_RESULT_ERROR_INVALID_ARGUMENT'
  const expected: Record<string, string> = {
    'open string': 'TypeError',
    'open number': 'TypeError',
    'open null': 'TypeError',
    'open undefined': 'TypeError',
    'open ArrayBuffer': 'TypeError',
    'open array': 'TypeError',
    'open Uint16Array': 'TypeError',
    'open empty': 'RangeError',
    'open header only': 'RangeError',
    'open truncated by 1': 'RangeError',
    'open one byte more': 'RangeError',
    'open huge': 'RangeError',
    'open zeros': INVALID,
    'forged handle id 0': INVALID,
    'forged base 0': INVALID,
    'forged pid 0': INVALID,
    'forged offset past size': INVALID,
    'forged header size': 'RangeError',
    // consistent sizes and a new id: nothing tells it from a real handle of a larger allocation (the
    // producer's fd is that large); it opens, and is closed without being touched
    'forged sizes': 'ok',
    'forged fd': 'UmfError UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC',
    'open Buffer at an offset': 'ok',
    'open subarray': 'ok',
    'getIpcHandle number': 'TypeError',
    'getIpcHandle 0n': 'TypeError',
    'getIpcHandle negative': 'TypeError',
    'getIpcHandle 2^64': 'TypeError',
    'getIpcHandle unknown': INVALID,
    'readIpcHandleHeader string': 'TypeError',
    'readIpcHandleHeader short': 'RangeError',
    'ipcHandleSize string': 'TypeError',
    'forPool null': 'TypeError',
    'forPool provider': 'TypeError',
    'private getIpcHandle': INVALID,
    'private ipcHandleSize': INVALID,
    'private open': INVALID,
    'ts provider getIpcHandle': 'UmfError UMF_RESULT_ERROR_NOT_SUPPORTED',
    'ts provider ipcHandleSize': 'UmfError UMF_RESULT_ERROR_NOT_SUPPORTED',
    'ts provider open': 'UmfError UMF_RESULT_ERROR_NOT_SUPPORTED',
    'view negative': 'RangeError',
    'view past the end': 'RangeError',
    'view string': 'RangeError',
    'viewAs Array': 'TypeError',
    'viewAs too many': 'RangeError',
    'view whole': 'ok',
    'destroy pool with an open handle': 'Error',
    'construct OpenedIpcHandle': 'TypeError',
    'close twice': 'ok',
    'view after close': 'DestroyedError',
    'ptr after close': 'DestroyedError',
    'getIpcHandle after free': INVALID,
    'destroy pool after close': 'ok',
    'forPool destroyed': 'DestroyedError',
    'open on destroyed pool': 'DestroyedError',
    'handle of destroyed pool handler': 'DestroyedError',
    'getIpcHandle of destroyed pool': INVALID,
  }
  for (const [name, want] of Object.entries(expected)) t.equal(got[name], want, name)
  t.same(Object.keys(got).sort(), Object.keys(expected).sort(), 'every case was asserted')
  t.same(await consumer.exit(), { code: 0, signal: null }, 'the child exits normally')
})

t.test('random and damaged handle bytes (in a child process)', async (t) => {
  const peer = await Peer.start('os')
  const r = await peer.send({ op: 'fuzz', seed: 20261126, count: 2000 })
  t.ok(r.ok, `the fuzz loop runs to its end (${String(r['message'] ?? '')})`)
  const outcomes = (r['outcomes'] ?? {}) as Record<string, number>
  const allowed = /^(ok|RangeError|UmfError UMF_RESULT_ERROR_(INVALID_ARGUMENT|MEMORY_PROVIDER_SPECIFIC))$/
  for (const [k, n] of Object.entries(outcomes)) t.match(k, allowed, `outcome "${k}" (${n} times) is a clean one`)
  t.ok((outcomes[`UmfError UMF_RESULT_ERROR_INVALID_ARGUMENT`] ?? 0) > 100, 'many reached C and were refused there')
  t.ok((outcomes['RangeError'] ?? 0) > 100, 'many were refused by the length checks')
  t.same(await peer.exit(), { code: 0, signal: null }, 'the child exits normally (no crash)')
})

// lib/ refuses such bytes itself for the OS provider ('forged header size' above); this is the C side's check
t.test('C refuses a handle whose header claims more than its provider data (through ffi/, in a child)', async (t) => {
  const [producer, consumer] = await startPeers(t, 'os', 'os')
  const a = await producer.ok({ op: 'alloc', size: 4096, fill: 1 })
  const r = await consumer.send({ op: 'ffiForgedSize', handle: a['handle'] })
  t.equal(r['rc'], 3, `umfOpenIPCHandle: UMF_RESULT_ERROR_INVALID_ARGUMENT (${String(r['message'] ?? '')})`)
  t.same(await consumer.exit(), { code: 0, signal: null }, 'the child exits normally (nothing unmapped under it)')
})
