// A TypeScript port of UMF's cuda_shared_memory example: a pool of CUDA shared (managed) memory, written
// from the host and read back. It needs an NVIDIA driver (libcuda.so.1); libumf loads it itself, so
// nothing else has to load CUDA first (UMF 1.1 itself needs the program to have loaded it).
//
//   tsx examples/cuda_shared_memory.ts [device]
import { CudaMemoryProvider, DisjointPool, cudaUsePrimaryContext } from 'umf'

function main(): void {
  const device = Number(process.argv[2] ?? 0)
  // A CUDA context current on this thread: the provider takes it (and its device) as its defaults.
  const { context } = cudaUsePrimaryContext(device)
  console.log(`CUDA device ${device}, primary context 0x${context!.toString(16)} is current`)

  using provider = new CudaMemoryProvider({ memoryType: 'shared' })
  console.log(`provider "${provider.name}" of ${provider.memoryType} memory, page ${provider.minPageSize()} bytes`)
  using pool = new DisjointPool(provider)
  console.log(`pool "${pool.name}" created`)

  // Shared memory is reachable by the host and the device alike: write it from here, read it back.
  const count = 1024
  const ptr = pool.malloc(count * Int32Array.BYTES_PER_ELEMENT)
  const ints = pool.viewAs(Int32Array, ptr, count)
  for (let i = 0; i < count; i++) ints[i] = i * i
  let sum = 0
  for (let i = 0; i < count; i++) sum += ints[i]!
  console.log(`wrote ${count} ints at 0x${ptr.toString(16)}; ints[31] = ${ints[31]}; sum = ${sum}`)
  pool.free(ptr)
  console.log('cuda_shared_memory example done')
}

main()
