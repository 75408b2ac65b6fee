/**
 * Benchmark of IPC from TypeScript: the median ns per operation through ffi/ and through lib/ (lib/ipc.ts),
 * next to a bare koffi call (umfGetCurrentVersion) measured in the same run:
 *
 *   - get: umfGetIPCHandle + umfPutIPCHandle of an allocation whose handle UMF has cached (ffi), and
 *     getIpcHandle(ptr), which also copies the bytes into a Uint8Array (lib);
 *   - open+close of a handle whose mapping is cached (a hit of the opened-handle cache):
 *     umfOpenIPCHandle + umfCloseIPCHandle (ffi), and handler.open(bytes) + close() (lib: length checks,
 *     the native copy of the bytes, an OpenedIpcHandle with its finalizer registration).
 *
 * Everything runs in one process over a shared OS provider (a process may open its own handles), so the
 * numbers are the costs of the calls and the caches, not of a first mapping.
 *
 *   npx tsx scripts/bench-ipc-ts.ts [--runs N] [--ops N per sample]
 */
import koffi from 'koffi'
import * as ffi from '../ffi/index.js'
import { IpcHandler, OsMemoryProvider, ProxyPool, getIpcHandle } from '../lib/index.js'
import { arg, bareCalls, measureInterleaved, median } from './bench-common.js'

const runs = Number(arg('--runs') ?? 7)
const ops = Number(arg('--ops') ?? 2_000)
const rounds = 20

using provider = new OsMemoryProvider({ visibility: 'shared' })
using producerPool = new ProxyPool(provider)
using consumerProvider = new OsMemoryProvider({ visibility: 'shared' })
using consumerPool = new ProxyPool(consumerProvider)
const ptr = producerPool.malloc(4096)
const bytes = getIpcHandle(ptr)
const handler = IpcHandler.forPool(consumerPool)
handler.open(bytes).close() // the first open maps; every later one is a cache hit
const rawHandler = handler.handle
const rawBytes = koffi.alloc('uint8_t', bytes.length) as bigint
new Uint8Array(koffi.view(rawBytes, bytes.length)).set(bytes)
const hOut: [ffi.umf_ipc_handle_t | null] = [null]
const sOut: [number | bigint | null] = [null]
const pOut: [bigint | null] = [null]

const cases: [string, (n: number) => void][] = [
  ['bare koffi call (umfGetCurrentVersion)', bareCalls(ffi.umfGetCurrentVersion)],
  [
    'ffi get+put (cached handle)',
    (n) => {
      for (let i = 0; i < n; i++) {
        if (ffi.umfGetIPCHandle(ptr, hOut, sOut) !== 0) throw new Error('get')
        if (ffi.umfPutIPCHandle(hOut[0]) !== 0) throw new Error('put')
      }
    },
  ],
  [
    'lib getIpcHandle (get+copy+put)',
    (n) => {
      for (let i = 0; i < n; i++) getIpcHandle(ptr)
    },
  ],
  [
    'ffi open+close (cache hit)',
    (n) => {
      for (let i = 0; i < n; i++) {
        if (ffi.umfOpenIPCHandle(rawHandler, rawBytes as ffi.umf_ipc_handle_t, pOut) !== 0) throw new Error('open')
        if (ffi.umfCloseIPCHandle(pOut[0]) !== 0) throw new Error('close')
      }
    },
  ],
  [
    'lib open+close (cache hit)',
    (n) => {
      for (let i = 0; i < n; i++) handler.open(bytes).close()
    },
  ],
]

// each run samples the bodies interleaved (the load of a shared machine hits them alike)
const results = new Map<string, number[]>(cases.map(([name]) => [name, []]))
for (let r = 0; r < runs; r++) {
  const meds = measureInterleaved(
    cases.map(([, body]) => [body, ops] as [(n: number) => void, number]),
    rounds,
    ops,
  )
  cases.forEach(([name], i) => results.get(name)!.push(meds[i]!))
}
const med = (name: string) => median(results.get(name)!)
const bare = med(cases[0]![0])
console.log(`IPC from TypeScript: median of ${runs} runs (each the median of ${rounds} interleaved samples of ${ops} ops), ns per op`)
console.log('| operation | ns/op | x bare koffi call |')
console.log('|---|---:|---:|')
for (const [name] of cases) console.log(`| ${name} | ${med(name).toFixed(0)} | ${(med(name) / bare).toFixed(1)} |`)
console.log(`lib/ffi: get ${(med(cases[2]![0]) / med(cases[1]![0])).toFixed(2)}x, open+close ${(med(cases[4]![0]) / med(cases[3]![0])).toFixed(2)}x`)
koffi.free(rawBytes)
producerPool.free(ptr)
