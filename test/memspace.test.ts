// Memspaces, memtargets and mempolicies from TypeScript (lib/memspace.ts, memtarget.ts, mempolicy.ts): the
// real machine (pages checked with the kernel's view through move_pages), predefined memspaces refusing
// change, filters with a TypeScript predicate (all or nothing), providers and pools of every kind from a
// memspace, bad input; and the predefined memspaces on fake machines (HWLOC_XMLFILE, child processes).
import t from 'tap'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import koffi from 'koffi'
import {
  ConfigError,
  DestroyedError,
  Mempolicy,
  Memspace,
  Memtarget,
  UmfError,
  MemoryPool,
  MemoryProvider,
} from '../lib/index.js'
import * as ffi from '../ffi/index.js'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const fixture = (name: string) => path.join(repo, 'test', 'fixtures', 'topology', name)
const page = 4096
/** The UmfError of a C call that answered UMF_RESULT_ERROR_INVALID_ARGUMENT. */
const invalid = { constructor: UmfError, code: ffi.UMF_RESULT_ERROR_INVALID_ARGUMENT, codeName: 'UMF_RESULT_ERROR_INVALID_ARGUMENT' }

// The kernel's answer to "which node holds this page" (move_pages with no target nodes).
const libc = koffi.load('libc.so.6')
const syscall = libc.func('long syscall(long number, int pid, unsigned long count, void **pages, int *nodes, _Out_ int *status, int flags)')
const SYS_move_pages = 279
function nodeOf(ptr: bigint): number {
  const status = [0]
  const rc = syscall(SYS_move_pages, 0, 1, [ptr], null, status, 0) as number
  return rc === 0 ? status[0]! : -1
}

const all = Memspace.hostAll()
const first = all!.targets[0]!

t.test('HostAll on this machine: every NUMA node in id order, NUMA type, capacity from hwloc', async (t) => {
  t.ok(all, 'hwloc is built in (setup.sh installs libhwloc-dev)')
  t.equal(all!.isPredefined, true)
  t.equal(all!.predefinedName, 'HostAll')
  t.ok(all!.size >= 1)
  const ids = all!.ids
  t.same(ids, [...ids].sort((a, b) => a - b), 'OS index order')
  t.equal(first.type, 'numa')
  if (fs.existsSync('/sys/devices/system/node')) t.ok(first.capacity > 0n, 'the node size hwloc read from sysfs')
  else t.equal(first.capacity, 0n, 'without sysfs (a chroot) hwloc knows no node size')
  t.ok(first instanceof Memtarget)
  t.same(Memspace.highestCapacity()!.ids.length, ids.length, 'HighestCapacity holds the same nodes')
  // this machine has no HMAT: both come out null rather than failing
  t.equal(Memspace.highestBandwidth(), null)
  t.equal(Memspace.lowestLatency(), null)
  t.equal(Memspace.hostAll()!.handle, all!.handle, 'the same shared memspace each time')
})

t.test('a predefined memspace cannot be changed or destroyed; its clone can', async (t) => {
  t.throws(() => all!.destroy(), { name: 'TypeError', message: /predefined memspace HostAll .* cannot be destroyed/ })
  t.throws(() => all!.remove(first), { name: 'TypeError', message: /cannot be changed; clone\(\) it first/ })
  t.throws(() => all!.add(first), TypeError)
  t.throws(() => all!.filterById([first.id]), TypeError)
  t.throws(() => all!.filterByCapacity(0), TypeError)
  t.throws(() => all!.filter(() => true), TypeError)
  t.equal(all!.size, all!.ids.length, 'unchanged')
  {
    using copy = all!.clone()
    t.equal(copy.isPredefined, false)
    copy.remove(first)
    t.equal(copy.size, all!.size - 1)
    t.throws(() => copy.remove(first), invalid)
    copy.add(first)
    t.equal(copy.ids.at(-1), first.id)
    t.throws(() => copy.add(first), invalid, 'twice')
  }
  {
    using empty = new Memspace()
    t.equal(empty.size, 0)
    empty.add(first)
    t.same(empty.ids, [first.id])
  }
})

t.test('filters: by id, by capacity, by a TypeScript predicate, all or nothing', async (t) => {
  using m = Memspace.fromNumaNodes([first.id])
  const seen: number[] = []
  t.equal(m.filter((target, i) => { seen.push(target.id, i); return true }), m, 'chains')
  t.same(seen, [first.id, 0])
  t.throws(() => m.filter(() => { throw new RangeError('no') }), { name: 'RangeError', message: 'no' }, 'the predicate error comes back')
  t.equal(m.size, 1, 'nothing removed when the predicate throws')
  t.throws(() => m.filter((() => 1) as unknown as () => boolean), { name: 'TypeError', message: /true or false/ })
  t.equal(m.size, 1)
  m.filterByCapacity(first.capacity)
  t.equal(m.size, 1, 'exactly the capacity keeps the node')
  m.filterById([first.id + 1])
  t.equal(m.size, 0, 'a filter may leave the memspace empty')
  t.throws(() => m.createProvider(), invalid)
  t.throws(() => m.createPool(), invalid)
  using n = Memspace.fromNumaNodes([first.id])
  n.filter((x) => x.capacity > first.capacity)
  t.equal(n.size, 0)
})

t.test('providers from a memspace place pages on the node (kernel view), with each policy', async (t) => {
  using m = Memspace.fromNumaNodes([first.id])
  const policies = [
    undefined,
    { bind: 'bind' as const },
    { bind: 'interleave' as const },
    { bind: 'interleave' as const, partSize: 2 * page },
    { bind: 'preferred' as const },
    { bind: 'split' as const, partitions: [{ weight: 2, target: first.id }] },
  ]
  for (const policy of policies) {
    using provider = m.createProvider(policy)
    t.equal(provider.name, 'OS')
    const p = provider.alloc(8 * page)
    const bytes = koffi.view(p, 8 * page) as ArrayBuffer
    new Uint8Array(bytes).fill(1)
    const nodes = new Set<number>()
    for (let off = 0; off < 8 * page; off += page) nodes.add(nodeOf(p + BigInt(off)))
    t.same([...nodes], [first.id], `policy ${JSON.stringify(policy)}`)
    provider.free(p, 8 * page)
  }
  using policy = new Mempolicy({ bind: 'bind' })
  t.equal(policy.bind, 'bind')
  using viaPolicy = m.createProvider(policy)
  t.ok(viaPolicy instanceof MemoryProvider)
  using fromAll = all!.createProvider()
  t.equal(fromAll.name, 'OS')
})

t.test('pools from a memspace: disjoint by default, any kind, owning the provider', async (t) => {
  using m = Memspace.fromNumaNodes([first.id])
  for (const kind of ['disjoint', 'scalable', 'jemalloc', 'proxy'] as const) {
    using pool = m.createPool({ bind: 'bind' }, { kind })
    t.ok(pool instanceof MemoryPool)
    t.equal(pool.name, kind)
    const p = pool.malloc(3 * page)
    pool.view(p).fill(9)
    t.equal(nodeOf(p), first.id, `${kind}: the page is on node ${first.id}`)
    t.equal(MemoryPool.byPtr(p), pool)
    pool.free(p)
  }
  using tuned = m.createPool(undefined, { params: { slabMinSize: 2 * page } })
  t.equal(tuned.name, 'disjoint')
  m.destroy()
  t.throws(() => m.createPool(), DestroyedError, 'a destroyed memspace')
})

t.test('bad input is a clear error, never a crash', async (t) => {
  const config = ConfigError
  t.throws(() => Memspace.fromNumaNodes([]), config)
  t.throws(() => Memspace.fromNumaNodes([0, 0]), { message: /listed twice/ })
  t.throws(() => Memspace.fromNumaNodes([-1]), config)
  t.throws(() => Memspace.fromNumaNodes([1.5]), config)
  t.throws(() => Memspace.fromNumaNodes(['0'] as unknown as number[]), config)
  t.throws(() => Memspace.fromNumaNodes(null as unknown as number[]), config)
  t.throws(() => Memspace.fromNumaNodes([4095]), invalid, 'a node the machine lacks')
  t.throws(() => Memspace.predefined('Fastest' as 'HostAll'), { name: 'TypeError', message: /unknown predefined memspace/ })
  t.throws(() => Memspace.predefined('constructor' as 'HostAll'), TypeError)
  t.throws(() => new Mempolicy({ bind: 'spread' } as never), config)
  t.throws(() => new Mempolicy({ bind: 'bind', partSize: 4096 }), { message: /partSize is only for bind 'interleave'/ })
  t.throws(() => new Mempolicy({ bind: 'interleave', partitions: [{ weight: 1, target: 0 }] }), { message: /only for bind 'split'/ })
  t.throws(() => new Mempolicy({ bind: 'split', partitions: [] }), config)
  t.throws(() => new Mempolicy({ bind: 'split', partitions: [{ weight: 0, target: 0 }] }), { message: /weight must be above 0/ })
  t.throws(() => new Mempolicy({ bind: 'interleave', partSize: -1 }), config)
  t.throws(() => new Mempolicy({ bind: 'bind', extra: 1 } as never), config)
  t.throws(() => new Mempolicy(undefined as never), config)
  using m = Memspace.fromNumaNodes([first.id])
  t.throws(() => m.filterByCapacity(-1), config)
  t.throws(() => m.filterByCapacity(2n ** 63n), config)
  t.throws(() => m.filterById([]), config)
  t.throws(() => m.filter('keep' as never), TypeError)
  t.throws(() => m.add({ id: 0, type: 'numa', capacity: 1n } as Memtarget), { name: 'TypeError', message: /must be a Memtarget/ })
  t.throws(() => m.target(5), RangeError)
  t.throws(() => m.target(-1), RangeError)
  t.same(m.target(0), first)
  // a split share on a node outside the memspace: C refuses when the provider is created
  t.throws(() => m.createProvider({ bind: 'split', partitions: [{ weight: 1, target: 4095 }] }),
    invalid)
  t.throws(() => m.createPool(undefined, { kind: 'bump' } as never), config)
  t.throws(() => m.createPool(undefined, { kind: 'disjoint', params: { slabMinSize: -1 } }), config)
  t.throws(() => m.createPool(undefined, { kind: 'proxy', params: {} }), TypeError)
  const dead = new Mempolicy({ bind: 'bind' })
  dead.destroy()
  t.throws(() => m.createProvider(dead), DestroyedError)
  t.equal(m.size, 1, 'still usable after all that')
})

/** Runs the report fixture with HWLOC_XMLFILE set (in a child: hwloc reads it at its first load). */
function report(xml: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repo, 'test', 'fixtures', 'memspace', 'report.ts')], {
    cwd: repo,
    env: { ...process.env, HWLOC_XMLFILE: fixture(xml) },
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { status: r.status, stderr: r.stderr, out: r.status === 0 ? JSON.parse(r.stdout) : null }
}

t.test('fake topology two-nodes.xml (no memory attributes): no bandwidth or latency memspace', async (t) => {
  const r = report('two-nodes.xml')
  t.equal(r.status, 0, r.stderr)
  t.same(r.out, {
    hostAll: [0, 1],
    capacities: [String(4 * 2 ** 30), String(8 * 2 ** 30)],
    highestCapacity: [1, 0],
    highestBandwidth: null,
    lowestLatency: null,
    atLeast5GiB: [1],
    poolWorks: false,
  })
})

t.test('fake topology two-tiers.xml: bandwidth picks the big fast node, latency the near one', async (t) => {
  const r = report('two-tiers.xml')
  t.equal(r.status, 0, r.stderr)
  t.match(r.out, { hostAll: [0, 1], highestCapacity: [1, 0], highestBandwidth: [1], lowestLatency: [0], atLeast5GiB: [1], poolWorks: true })
})

t.test('fake topology three-nodes-hbm.xml: the CPU-less HBM node wins bandwidth (UMF 1.1: null)', async (t) => {
  const r = report('three-nodes-hbm.xml')
  t.equal(r.status, 0, r.stderr)
  t.match(r.out, { hostAll: [0, 1, 2], highestCapacity: [0, 1, 2], highestBandwidth: [2], lowestLatency: [0, 1], atLeast5GiB: [0, 1] })
})

t.test('fake topology node1-no-memattr.xml: a node without memory attributes is left out', async (t) => {
  const r = report('node1-no-memattr.xml')
  t.equal(r.status, 0, r.stderr)
  t.match(r.out, { hostAll: [0, 1], highestBandwidth: [0], lowestLatency: [0] })
})
