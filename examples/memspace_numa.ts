// A TypeScript port of UMF's memspace_numa example: a memspace of one NUMA node, an OS provider bound to
// it, and a check with the kernel (move_pages) that every page of an allocation really is on that node.
//
//   npx tsx examples/memspace_numa.ts
import koffi from 'koffi'
import { Memspace } from 'umf'

// move_pages(2) with no target nodes only reports where each page is.
const libc = koffi.load('libc.so.6')
const syscall = libc.func('long syscall(long number, int pid, unsigned long count, void **pages, int *nodes, _Out_ int *status, int flags)')
const SYS_move_pages = 279

function nodeOfPage(address: bigint): number {
  const status = [0]
  const rc = syscall(SYS_move_pages, 0, 1, [address], null, status, 0) as number
  return rc === 0 ? status[0]! : -1
}

function main(): number {
  const all = Memspace.hostAll()
  if (all === null) {
    console.log('this libumf has no memspaces (built without hwloc)')
    return 0
  }
  const node = all.targets[0]!
  console.log(`NUMA nodes: ${all.targets.map(String).join(', ')}`)

  // A memspace of one node and a provider from it under a bind policy: memory only from that node.
  using memspace = Memspace.fromNumaNodes([node.id])
  using provider = memspace.createProvider({ bind: 'bind' })
  console.log(`provider "${provider.name}" bound to NUMA node ${node.id}`)

  const pageSize = 4096
  const size = 16 * pageSize
  const ptr = provider.alloc(size)
  const bytes = new Uint8Array(koffi.view(ptr, size) as ArrayBuffer)
  bytes.fill(0xab) // a page gets its node when it is first written

  let wrong = 0
  for (let off = 0; off < size; off += pageSize) {
    if (nodeOfPage(ptr + BigInt(off)) !== node.id) wrong++
  }
  provider.free(ptr, size)
  if (wrong > 0) {
    console.log(`${wrong} of ${size / pageSize} pages are not on node ${node.id}`)
    return 1
  }
  console.log(`all ${size / pageSize} pages are on NUMA node ${node.id}`)
  return 0
}

process.exitCode = main()
