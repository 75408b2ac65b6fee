// A TypeScript port of UMF's basic example: create a memory provider, allocate from it directly, then
// create a pool over it and allocate from the pool, find the pool of an allocation, and free everything.
//
//   npm run example          (tsx examples/basic.ts)
import { MemoryPool, OsMemoryProvider, ScalablePool } from 'umf'

function main(): void {
  // The OS memory provider: memory mapped from the operating system. Its params are checked by a zod
  // schema (UMF's defaults: read+write, private mapping, no NUMA binding).
  using provider = new OsMemoryProvider({ protection: ['read', 'write'], visibility: 'private' })
  console.log(`provider "${provider.name}" created`)

  // Allocate straight from the provider: page-granular memory, freed with the size it was allocated with.
  const size = 1024
  const alignment = 0 // the provider's default (its page size)
  const raw = provider.alloc(size, alignment)
  console.log(`allocated ${size} bytes at 0x${raw.toString(16)} from the provider`)
  provider.free(raw, size)
  console.log('freed the provider allocation')

  // A pool over the provider: the scalable pool (oneTBB's tbbmalloc, loaded at run time), as in UMF's example.
  using pool = new ScalablePool(provider)
  console.log(`pool "${pool.name}" created over provider "${pool.provider.name}"`)

  const ptr = pool.malloc(size)
  console.log(`allocated ${size} bytes at 0x${ptr.toString(16)} from the pool`)

  // Write a string into the allocation through a zero-copy view, and read it back.
  const text = 'Allocated memory at 0x' + ptr.toString(16)
  const view = pool.view(ptr)
  const written = new TextEncoder().encodeInto(text, view).written
  console.log(`wrote "${new TextDecoder().decode(view.subarray(0, written))}"`)

  // UMF tracks which pool an address belongs to.
  const owner = MemoryPool.byPtr(ptr)
  console.log(`the allocation belongs to ${owner === pool ? 'our' : 'another'} pool ("${owner?.name}")`)

  pool.free(ptr)
  console.log('freed the pool allocation')
  // `using` destroys the pool, then the provider, at the end of the block.
}

main()
console.log('basic example done')
