// Plain Node.js (no TypeScript, no loader): a disjoint pool over the OS provider.
import { DisjointPool, OsMemoryProvider, libraryPath } from 'umf'

const provider = new OsMemoryProvider()
const pool = new DisjointPool(provider)
const size = 1024
const ptr = pool.malloc(size)
const bytes = pool.view(ptr, size)
for (let i = 0; i < size; i++) bytes[i] = i & 0xff
let sum = 0
for (const b of pool.view(ptr, size)) sum += b
pool.free(ptr)
pool.destroy()
provider.destroy()
console.log(JSON.stringify({ pool: 'disjoint', size, sum, library: libraryPath }))
