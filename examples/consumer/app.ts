// The same from TypeScript, checked by tsc with strict options (tsconfig.json); run it after `npm run
// typecheck` as `node app.js`.
import { DisjointPool, OsMemoryProvider, UmfError, type DisjointPoolParams } from 'umf'

const params: DisjointPoolParams = { slabMinSize: 64 * 1024, capacity: 4 }
using provider = new OsMemoryProvider({ protection: ['read', 'write'] })
using pool = new DisjointPool(provider, params)

const ptr: bigint = pool.malloc(8 * 16)
const values = pool.viewAs(Float64Array, ptr)
values.fill(0.5)
const total: number = values.reduce((a, b) => a + b, 0)
pool.free(ptr)

let code: number | undefined
try {
  pool.malloc(-1)
} catch (e) {
  if (!(e instanceof Error)) throw e
  code = e instanceof UmfError ? e.code : -1
}
console.log(JSON.stringify({ total, rejected: code !== undefined }))
