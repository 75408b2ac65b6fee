// A TypeScript port of UMF's level_zero_shared_memory example: Level Zero shared memory (reachable from the
// host and the GPU) from a disjoint pool, written from the host and read back. It needs a Level Zero driver
// with a device behind libze_loader.so.1 (an Intel GPU with its driver; the tests use a fixture driver
// selected with ZE_ENABLE_ALT_DRIVERS). libumf loads the loader itself.
//
//   npx tsx examples/level_zero_shared_memory.ts
import { DisjointPool, LevelZeroMemoryProvider, levelZeroInit } from 'umf'

function main(): void {
  // zeInit, the first driver and its devices, and a context of our own on that driver.
  const ze = levelZeroInit()
  console.log(`Level Zero: driver 0x${ze.driver.toString(16)} with ${ze.devices.length} device(s); context 0x${ze.context.toString(16)}`)

  // Shared memory belongs to a context and a device: the provider needs both.
  using provider = new LevelZeroMemoryProvider({ memoryType: 'shared', context: ze.context, device: ze.device })
  console.log(`provider "${provider.name}" of ${provider.memoryType} memory, page ${provider.minPageSize()} bytes`)
  using pool = new DisjointPool(provider)
  console.log(`pool "${pool.name}" created`)

  // The host writes the memory and reads it back; a kernel on the device could use the same pointer.
  const count = 2048
  const ptr = pool.malloc(count * Float64Array.BYTES_PER_ELEMENT)
  const values = pool.viewAs(Float64Array, ptr, count)
  for (let i = 0; i < count; i++) values[i] = i / 2
  let sum = 0
  for (const v of values) sum += v
  console.log(`wrote ${count} doubles at 0x${ptr.toString(16)}; values[100] = ${values[100]}; sum = ${sum}`)

  pool.free(ptr)
  console.log('level_zero_shared_memory example done')
  // `using` destroys the pool, then the provider; the context lives as long as the process.
}

main()
