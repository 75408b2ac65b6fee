// A TypeScript port of UMF's ipc_ipcapi example, producer side: allocate from a pool over an OS provider
// with shared memory, write a value, send the allocation's IPC handle (bytes, as base64 on one line, with
// the allocation's length) to a consumer process, and see the value the consumer wrote into the same
// memory.
//
//   npx tsx examples/ipc_ipcapi/producer.ts                    (anonymous shared memory: memfd)
//   npx tsx examples/ipc_ipcapi/producer.ts --shm <name>       (a named POSIX shm object)
//
// The producer starts examples/ipc_ipcapi/consumer.ts itself; the two talk over the consumer's
// stdin/stdout (any channel that carries bytes would do: a socket, a file, a message queue).
// The consumer maps the producer's memory: with an anonymous fd it copies the fd out of this process
// (pidfd_getfd), which needs the same user; with --shm it opens the object by name.
import { spawn } from 'node:child_process'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import { DisjointPool, OsMemoryProvider, getIpcHandle, readIpcHandleHeader } from 'umf'

const here = path.dirname(fileURLToPath(import.meta.url))

/**
 * Passes the consumer's output lines on to ours, and resolves with the first line that starts with
 * `reply:` (without the prefix), or null when the consumer closes its stdout without one.
 */
function replyOf(stream: NodeJS.ReadableStream): Promise<string | null> {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: stream })
    rl.on('line', (line) => {
      if (line.startsWith('reply:')) resolve(line.slice(6).trim())
      else console.log(line)
    })
    rl.once('close', () => resolve(null))
  })
}

async function main(): Promise<number> {
  const shmAt = process.argv.indexOf('--shm')
  const shmName = shmAt > 0 ? process.argv[shmAt + 1] : undefined

  // Shared visibility is what makes the memory mappable by another process.
  using provider = new OsMemoryProvider({ visibility: 'shared', ...(shmName ? { shmName } : {}) })
  using pool = new DisjointPool(provider)
  console.log(`producer: pool "${pool.name}" over provider "${provider.name}" (shared${shmName ? `, shm "${shmName}"` : ', anonymous fd'})`)

  // Allocate, and write the value the consumer is to read.
  const count = 1024
  const ptr = pool.malloc(count * 4)
  const numbers = pool.viewAs(Uint32Array, ptr)
  const initial = 0xc0de
  numbers.fill(0)
  numbers[0] = initial
  console.log(`producer: wrote ${initial} at 0x${ptr.toString(16)}`)

  // The IPC handle: plain bytes that describe the allocation.
  const handle = getIpcHandle(ptr)
  const hdr = readIpcHandleHeader(handle)
  console.log(`producer: IPC handle of ${handle.length} bytes (pid ${hdr.pid}, offset ${hdr.offset} in a ${hdr.baseSize}-byte block)`)

  // Start the consumer and send it the handle.
  const consumer = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'consumer.ts')], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: process.env,
  })
  const exited = new Promise<number | null>((resolve) => consumer.on('exit', (code) => resolve(code)))
  const answer = replyOf(consumer.stdout)
  // The handle describes the pool's whole block from the allocation on (a disjoint pool carves many
  // allocations from one block), so the allocation's length travels with it.
  consumer.stdin.write(`${Buffer.from(handle).toString('base64')} ${count}\n`)
  consumer.stdin.end()

  // The consumer replies with the value it wrote, then exits.
  const reply = await answer
  const code = await exited
  if (reply === null || code !== 0) {
    console.error(`producer: the consumer failed (exit ${code})`)
    pool.free(ptr)
    return 1
  }
  const expected = Number(/^wrote (\d+)$/.exec(reply)?.[1])
  const seen = numbers[0]!
  console.log(`producer: the consumer says it wrote ${expected}; the memory holds ${seen}`)
  if (seen !== expected || seen === initial) {
    console.error('producer: the value did not change as the consumer said')
    pool.free(ptr)
    return 1
  }
  console.log(`producer: the consumer's write is visible here too (and numbers[${count - 1}] = ${numbers[count - 1]})`)

  // The allocation may be freed once the consumer closed its handle; `using` destroys pool and provider.
  pool.free(ptr)
  console.log('ipc example done')
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
