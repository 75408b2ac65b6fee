// A TypeScript port of UMF's memspace_hmat example: pools from the highest-bandwidth and the
// lowest-latency memspaces, which UMF builds from the machine's memory attributes (ACPI HMAT, through
// hwloc). On a machine without HMAT both memspaces are absent: the program says so and exits 0.
//
//   npx tsx examples/memspace_hmat.ts
//   HWLOC_XMLFILE=$PWD/test/fixtures/topology/two-tiers.xml npx tsx examples/memspace_hmat.ts   (a fake machine)
import { Memspace } from 'umf'

function usePool(label: string, memspace: Memspace): void {
  console.log(`${label}: ${memspace.targets.map(String).join(', ')}`)
  using pool = memspace.createPool() // a disjoint pool over an OS provider bound to those nodes
  const size = 1024
  const ptr = pool.malloc(size)
  pool.view(ptr).fill(0x5a)
  console.log(`${label}: allocated and wrote ${size} bytes from pool "${pool.name}"`)
  pool.free(ptr)
}

function main(): number {
  const bandwidth = Memspace.highestBandwidth()
  const latency = Memspace.lowestLatency()
  if (bandwidth === null && latency === null) {
    console.log('this machine reports no memory bandwidth or latency (no HMAT): nothing to do')
    return 0
  }
  if (bandwidth !== null) usePool('highest bandwidth', bandwidth)
  if (latency !== null) usePool('lowest latency', latency)
  return 0
}

process.exitCode = main()
