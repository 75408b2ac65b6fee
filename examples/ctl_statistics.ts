// Statistics through CTL: an OS provider's byte counters (by handle, one of them through a {}), then a
// disjoint pool's: live allocations, used memory, slabs and allocation counts, the pools of a name, and
// the stats of the bucket a 4096-byte allocation came from. The slab and allocation counts need the
// pool's trace level; without it the program says how to set it from the environment:
//
//   npx tsx examples/ctl_statistics.ts
//   UMF_CONF="umf.pool.default.disjoint.params.pool_trace=2" npx tsx examples/ctl_statistics.ts
import * as ffi from 'umf/ffi'
import { DisjointPool, OsMemoryProvider, UmfError, ctl } from 'umf'

using provider = new OsMemoryProvider()
const show = (when: string) =>
  console.log(
    `${when}: allocated_memory ${ctl.get('umf.provider.by_handle.{}.stats.allocated_memory', provider)}, ` +
      `peak_memory ${ctl.getAs('size_t', 'umf.provider.by_handle.{}.stats.{}', provider, 'peak_memory')}`,
  )
show('provider created')
const block = provider.alloc(64 * 1024)
show('after allocating 64 KiB')
provider.free(block, 64 * 1024)
show('after freeing it')
ctl.exec('umf.provider.by_handle.{}.stats.peak_memory.reset', provider)
show('after peak_memory.reset')

using pool = new DisjointPool(provider, { name: 'ctl_stats_pool' })
const p = pool.malloc(4096)
console.log(`pool "${pool.name}": alloc_count ${pool.stats.allocCount}`)
console.log(`used_memory ${ctl.get('umf.pool.by_handle.{}.stats.used_memory', pool)}`)
try {
  console.log(`curr_slabs_in_use ${ctl.get('umf.pool.by_handle.{}.stats.curr_slabs_in_use', pool)}`)
  console.log(`alloc_num ${ctl.get('umf.pool.by_handle.{}.stats.alloc_num', pool)}`)
} catch (e) {
  if (!(e instanceof UmfError && e.code === ffi.UMF_RESULT_ERROR_NOT_SUPPORTED)) throw e
  console.log('slab and allocation counts need tracing: run with UMF_CONF="umf.pool.default.disjoint.params.pool_trace=2"')
}
console.log(`pools named ctl_stats_pool: ${ctl.get('umf.pool.by_name.ctl_stats_pool.count')}`)
const buckets = ctl.get('umf.pool.by_handle.{}.buckets.count', pool)
console.log(`buckets: ${buckets}`)
for (let id = 0; id < buckets; id++) {
  if (ctl.get('umf.pool.by_handle.{}.buckets.{}.size', pool, id) !== 4096) continue
  const stats = ['alloc_num', 'alloc_pool_num', 'free_num', 'curr_slabs_in_use', 'curr_slabs_in_pool'].map((s) => {
    try {
      return `${s} ${ctl.getAs('size_t', 'umf.pool.by_handle.{}.buckets.{}.stats.{}', pool, id, s)}`
    } catch {
      return `${s} (needs pool_trace)`
    }
  })
  console.log(`bucket ${id} (4096 B): ${stats.join(', ')}`)
}
pool.free(p)
