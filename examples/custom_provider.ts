// A memory provider written in TypeScript, serving a pool: the provider hands out 64 KiB blocks of
// memory it owns (allocated with koffi), keeps statistics, and the proxy pool allocates from it. Pointers
// from this provider work with umfFree and MemoryPool.byPtr like any other.
//
//   npx tsx examples/custom_provider.ts
import koffi from 'koffi'
import { MemoryPool, MemoryProvider, ProxyPool, umfFree, type MemoryProviderImpl } from 'umf'

/** A provider that takes memory from the C heap through koffi and counts what it does. */
class CountingProvider implements MemoryProviderImpl {
  readonly name = 'counting'
  readonly live = new Map<bigint, number>()
  allocs = 0
  frees = 0
  finalized = false

  alloc(size: number, alignment: number): bigint | null {
    if (size > 1 << 30) return null // out of memory: the pool reports UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY
    const align = Math.max(alignment, 64)
    // over-allocate so that an aligned address fits, and remember the block to free
    const block = koffi.alloc('uint8_t', size + align) as bigint
    const ptr = (block + BigInt(align - 1)) & ~BigInt(align - 1)
    this.live.set(ptr, size)
    blocks.set(ptr, block)
    this.allocs++
    return ptr
  }

  free(ptr: bigint, _size: number): void {
    const block = blocks.get(ptr)
    if (block === undefined) throw new Error(`counting provider: 0x${ptr.toString(16)} is not mine`)
    blocks.delete(ptr)
    this.live.delete(ptr)
    koffi.free(block)
    this.frees++
  }

  recommendedPageSize(): number {
    return 64
  }

  minPageSize(): number {
    return 64
  }

  finalize(): void {
    this.finalized = true
  }
}

const blocks = new Map<bigint, bigint>()
const impl = new CountingProvider()

{
  using provider = new MemoryProvider(impl)
  using pool = new ProxyPool(provider)
  console.log(`pool "${pool.name}" over provider "${provider.name}"`)

  const a = pool.malloc(100)
  const b = pool.alignedMalloc(256, 4096)
  console.log(`a = 0x${a.toString(16)}, b = 0x${b.toString(16)} (aligned to 4096: ${b % 4096n === 0n})`)

  const floats = pool.viewAs(Float64Array, b, 32)
  floats.fill(1.5)
  console.log(`sum of b's 32 doubles: ${floats.reduce((x, y) => x + y, 0)}`)

  console.log(`byPtr(a) is the pool: ${MemoryPool.byPtr(a) === pool}`)
  pool.free(a)
  umfFree(b) // any tracked pointer, whatever its pool
  console.log(`provider allocations: ${impl.allocs}, frees: ${impl.frees}, live: ${impl.live.size}`)
}
console.log(`provider finalized: ${impl.finalized}`)
