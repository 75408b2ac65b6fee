// A TypeScript port of UMF's ipc_level_zero example: memory of one Level Zero pool opened through an IPC
// handle by a second pool in another context. The producer pool writes a value, the consumer pool opens the
// handle, checks the value and writes its own, and the producer sees that write. Both pools use shared
// memory so that the host can write and check it (UMF's C example copies device memory with command lists).
//
//   npx tsx examples/ipc_level_zero.ts                    (one process, two contexts, as UMF's example)
//   npx tsx examples/ipc_level_zero.ts --two-processes    (the consumer is a second process)
//
// It needs a Level Zero driver with a device (an Intel GPU with its driver; the tests use a fixture
// driver selected with ZE_ENABLE_ALT_DRIVERS).
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { DisjointPool, IpcHandler, LevelZeroMemoryProvider, getIpcHandle, levelZeroCreateContext, levelZeroInit } from 'umf'

const PRODUCER_VALUE = 0xc0ffee
const CONSUMER_VALUE = 0xbeef

/** A pool of Level Zero shared memory in the given context. */
function sharedPool(context: bigint, device: bigint): DisjointPool {
  const provider = new LevelZeroMemoryProvider({ memoryType: 'shared', context, device })
  return new DisjointPool(provider, {}, { ownProvider: true })
}

/**
 * The consumer's side: opens the handle through its own pool, checks the producer's value, writes its own.
 * Returns false when the value was not the producer's.
 */
function consume(pool: DisjointPool, handle: Uint8Array, who: string): boolean {
  using opened = IpcHandler.forPool(pool).open(handle)
  const bytes = opened.view(4)
  const word = new Uint32Array(bytes.buffer, bytes.byteOffset, 1)
  console.log(`${who}: opened the handle at 0x${opened.ptr.toString(16)} and read 0x${word[0]!.toString(16)}`)
  if (word[0] !== PRODUCER_VALUE) {
    console.error(`${who}: expected 0x${PRODUCER_VALUE.toString(16)}`)
    return false
  }
  word[0] = CONSUMER_VALUE
  console.log(`${who}: wrote 0x${CONSUMER_VALUE.toString(16)} and closed the handle`)
  return true
}

function main(): number {
  const args = process.argv.slice(2)
  const ze = levelZeroInit()
  console.log(`Level Zero: driver 0x${ze.driver.toString(16)} with ${ze.devices.length} device(s)`)

  if (args[0] === '--consumer') {
    // started by the producer with --two-processes: a context of its own, the handle as base64
    using pool = sharedPool(ze.context, ze.device)
    return consume(pool, new Uint8Array(Buffer.from(args[1] ?? '', 'base64')), `consumer (pid ${process.pid})`) ? 0 : 1
  }

  // The producer's pool in the context levelZeroInit made.
  using producerPool = sharedPool(ze.context, ze.device)
  const ptr = producerPool.malloc(1024)
  const words = producerPool.viewAs(Uint32Array, ptr, 256)
  words.fill(0)
  words[0] = PRODUCER_VALUE
  console.log(`producer: wrote 0x${PRODUCER_VALUE.toString(16)} at 0x${ptr.toString(16)}`)

  const handle = getIpcHandle(ptr)
  console.log(`producer: IPC handle of ${handle.length} bytes`)

  let ok: boolean
  if (args[0] === '--two-processes') {
    const self = fileURLToPath(import.meta.url)
    const r = spawnSync(process.execPath, [...process.execArgv, self, '--consumer', Buffer.from(handle).toString('base64')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    process.stdout.write(r.stdout)
    ok = r.status === 0
    if (!ok) console.error(`producer: the consumer process failed (exit ${r.status}, signal ${r.signal})`)
  } else {
    // The consumer's pool in a second context of the same driver, as in UMF's example.
    const consumerContext = levelZeroCreateContext(ze.driver)
    console.log(`consumer: a second context 0x${consumerContext.toString(16)}`)
    using consumerPool = sharedPool(consumerContext, ze.device)
    ok = consume(consumerPool, handle, 'consumer')
  }

  if (ok) {
    console.log(`producer: reads 0x${words[0]!.toString(16)} after the consumer's write`)
    ok = words[0] === CONSUMER_VALUE
    if (!ok) console.error(`producer: expected 0x${CONSUMER_VALUE.toString(16)}`)
  }
  producerPool.free(ptr)
  console.log(ok ? 'ipc_level_zero example done' : 'ipc_level_zero example failed')
  return ok ? 0 : 1
}

process.exitCode = main()
