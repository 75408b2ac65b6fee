// A TypeScript port of UMF's ipc_ipcapi example, consumer side: receive an IPC handle (base64 bytes on
// one line of stdin, then the allocation's length in 32-bit numbers), open it through a pool of this process whose OS provider can map shared memory,
// read the producer's value, write a new one into the same memory, and tell the producer which.
//
// The producer (examples/ipc_ipcapi/producer.ts) starts this program; on its own it waits for a handle
// on stdin. Lines on stdout starting with "reply:" are for the producer; the others are for people.
import readline from 'node:readline'
import { DisjointPool, IpcHandler, OsMemoryProvider, UmfError } from 'umf'

/** The handle's bytes and the allocation's length in 32-bit numbers, from the first line of stdin. */
async function readHandle(): Promise<{ bytes: Uint8Array; count: number }> {
  const rl = readline.createInterface({ input: process.stdin })
  for await (const line of rl) {
    const [handle, count] = line.trim().split(/\s+/)
    if (handle) {
      rl.close()
      return { bytes: new Uint8Array(Buffer.from(handle, 'base64')), count: Number(count) }
    }
  }
  throw new Error('no IPC handle on stdin')
}

async function main(): Promise<number> {
  const { bytes, count } = await readHandle()
  console.log(`consumer: received an IPC handle of ${bytes.length} bytes`)

  // The consumer's own pool: its provider must be able to map the producer's kind of memory (an OS
  // provider with shared visibility; the handle itself says which fd or shm object to map).
  using provider = new OsMemoryProvider({ visibility: 'shared' })
  using pool = new DisjointPool(provider)
  const handler = IpcHandler.forPool(pool)

  let opened
  try {
    opened = handler.open(bytes)
  } catch (e) {
    // a UmfError when libumf refuses the handle or cannot map it; a RangeError for bytes of a wrong length
    console.log(`consumer: cannot open the handle: ${e instanceof UmfError ? e.message : String(e)}`)
    return 1
  }
  // `using` closes the handle at the end of the block, before the pool goes.
  using _ = opened
  console.log(`consumer: opened the handle at 0x${opened.ptr.toString(16)} (${opened.size} bytes)`)

  // The opened memory runs to the end of the producer's block; the allocation is its first `count` numbers.
  const numbers = opened.viewAs(Uint32Array, count)
  const read = numbers[0]!
  console.log(`consumer: read ${read}`)
  const value = read * 2
  numbers[0] = value
  numbers[numbers.length - 1] = 7
  console.log(`consumer: wrote ${value}`)
  console.log(`reply: wrote ${value}`)
  return 0
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (e: unknown) => {
    console.error(e)
    process.exitCode = 1
  },
)
