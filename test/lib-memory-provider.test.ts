// lib/memory_provider.ts and lib/providers/os_memory_provider.ts: the OS provider and its zod params,
// every provider method, and a provider written in TypeScript driven through the same methods.
import t from 'tap'
import koffi from 'koffi'
import * as ffi from '../ffi/index.js'
import {
  ConfigError,
  MemoryProvider,
  OsMemoryProvider,
  OsMemoryProviderParamsSchema,
  UmfError,
  type MemoryProviderImpl,
} from '../lib/index.js'

t.test('OS provider params: UMF defaults, names and flags, readable errors', async (t) => {
  t.same(OsMemoryProvider.parseParams({}), {
    protection: ffi.UMF_PROTECTION_READ | ffi.UMF_PROTECTION_WRITE,
    visibility: 'private',
    shmName: null,
    numaMode: 'default',
    numaList: [],
    partSize: 0,
    partitions: [],
  })
  t.equal(OsMemoryProvider.parseParams({ protection: 'read' }).protection, ffi.UMF_PROTECTION_READ)
  t.equal(OsMemoryProvider.parseParams({ protection: ['read', 'exec'] }).protection, 2 | 8)
  t.equal(OsMemoryProvider.parseParams({ protection: 6 }).protection, 6)
  t.equal(OsMemoryProvider.parseParams({ partSize: 1n << 40n }).partSize, 1n << 40n, 'bigint sizes')
  const ok = OsMemoryProvider.parseParams({
    numaMode: 'split',
    numaList: [0],
    partitions: [{ weight: 1, target: 0 }],
    name: 'my-OS_1',
  })
  t.same(ok.partitions, [{ weight: 1, target: 0 }])
  const cases: [unknown, RegExp][] = [
    [{ visibility: 'public' }, /expected one of "private"\|"shared"[\s\S]*→ at visibility/],
    [{ numaMode: 'bind' }, /numaMode 'bind' needs a non-empty numaList/],
    [{ numaList: [0] }, /numaMode 'default' takes no numaList/],
    [{ visibility: 'shared', numaMode: 'local' }, /visibility 'shared' works only with numaMode 'default'/],
    [{ shmName: 'x' }, /shmName needs visibility 'shared'/],
    [{ visibility: 'shared', shmName: 'a/b' }, /must not contain "\/"/],
    [{ numaMode: 'split', numaList: [0], partitions: [{ weight: 0, target: 0 }] }, /weight must be at least 1/],
    [{ numaMode: 'split', numaList: [0], partitions: [{ weight: 1, target: 3 }] }, /target 3 is not in numaList/],
    [{ numaMode: 'bind', numaList: [0], partitions: [{ weight: 1, target: 0 }] }, /partitions need numaMode 'split'/],
    [{ protection: [] }, /at least one protection flag/],
    [{ protection: 16 }, /protection/],
    [{ name: 'has space' }, /name must be 1 to 63 characters/],
    [{ partSize: -1 }, /partSize/],
    [{ size: 4096 }, /Unrecognized key: "size"/],
  ]
  for (const [input, re] of cases) {
    const e = t.throws(() => new OsMemoryProvider(input as never), ConfigError, JSON.stringify(input)) as ConfigError
    t.match(e.message, re, JSON.stringify(input))
    t.ok(e.issues.length > 0)
  }
  t.ok(OsMemoryProviderParamsSchema.safeParse({}).success, 'the schema is exported')
})

t.test('OS provider: create, name, pages, alloc/free, purge, split/merge', async (t) => {
  using provider = new OsMemoryProvider({ protection: ['read', 'write'], name: 'myos' })
  t.equal(provider.name, 'myos')
  t.equal(provider.params.visibility, 'private')
  const page = provider.minPageSize()
  t.ok(page >= 4096 && (page & (page - 1)) === 0, `min page ${page}`)
  t.equal(provider.recommendedPageSize(100), page)
  const p = provider.alloc(3 * page)
  t.type(p, 'bigint')
  t.equal(p % BigInt(page), 0n, 'page-aligned')
  t.equal(provider.minPageSize(p), page)
  const bytes = new Uint8Array(koffi.view(p, 3 * page))
  bytes.fill(0xab)
  t.doesNotThrow(() => provider.purgeLazy(p, page))
  t.doesNotThrow(() => provider.purgeForce(p + BigInt(page), page))
  t.equal(bytes[page + 5], 0, 'purge force dropped the page contents')
  t.equal(bytes[2 * page], 0xab, 'other pages keep theirs')
  t.doesNotThrow(() => provider.allocationSplit(p, 3 * page, page))
  t.doesNotThrow(() => provider.allocationMerge(p, p + BigInt(page), 3 * page))
  provider.free(p, 3 * page)
  provider.free(null, 0)
  const aligned = provider.alloc(page, page * 4)
  t.equal(aligned % BigInt(page * 4), 0n, 'alignment honoured')
  provider.free(aligned, page)
  const threePages = provider.alloc(page + 64, page * 3)
  t.equal(threePages % BigInt(page * 3), 0n, 'a page multiple that is not a power of 2 is honoured, as in UMF')
  provider.free(threePages, page + 64)
  const e = t.throws(() => provider.alloc(page, 3)) as UmfError
  t.equal(e.code, ffi.UMF_RESULT_ERROR_INVALID_ARGUMENT)
  t.equal(MemoryProvider.lastFailed(), provider)
})

t.test('a shared OS provider', async (t) => {
  using provider = new OsMemoryProvider({ visibility: 'shared' })
  const p = provider.alloc(4096)
  new Uint8Array(koffi.view(p, 4096))[0] = 1
  provider.free(p, 4096)
  t.pass('allocated and freed shared memory')
})

t.test('C errors at creation surface as UmfError', async (t) => {
  const e = t.throws(() => new OsMemoryProvider({ numaMode: 'bind', numaList: [4000] })) as UmfError
  t.ok(e instanceof UmfError)
  t.equal(e.func, 'umfMemoryProviderCreate')
})

t.test('the generic constructor over a C ops table and a C params handle', async (t) => {
  const out: [ffi.umf_os_memory_provider_params_handle_t | null] = [null]
  t.equal(ffi.umfOsMemoryProviderParamsCreate(out), 0)
  const provider = new MemoryProvider(ffi.umfOsMemoryProviderOps()!, out[0])
  ffi.umfOsMemoryProviderParamsDestroy(out[0])
  t.equal(provider.name, 'OS')
  t.equal(provider.impl, undefined)
  t.equal(MemoryProvider.byHandle(provider.handle), provider)
  t.equal(MemoryProvider.fromHandle(provider.handle), provider)
  provider.destroy()
  t.equal(MemoryProvider.byHandle(0x1234n), null)
  const none = t.throws(() => new MemoryProvider(ffi.umfOsMemoryProviderOps()!, null)) as UmfError
  t.equal(none.code, ffi.UMF_RESULT_ERROR_INVALID_ARGUMENT, 'the OS provider needs params')
})

class Recorder implements MemoryProviderImpl {
  readonly name = 'recorder'
  readonly calls: string[] = []
  readonly blocks = new Map<bigint, number>()
  alloc(size: number, alignment: number): bigint | null {
    this.calls.push(`alloc ${size} ${alignment}`)
    const p = koffi.alloc('uint8_t', Math.max(size, 1)) as bigint
    this.blocks.set(p, size)
    return p
  }
  free(ptr: bigint, size: number): void {
    this.calls.push(`free ${size}`)
    if (!this.blocks.delete(ptr)) throw new Error('unknown block')
    koffi.free(ptr)
  }
  recommendedPageSize(size: number): number {
    this.calls.push(`recommended ${size}`)
    return 256
  }
  minPageSize(ptr: bigint | null): number {
    this.calls.push(`min ${ptr === null ? 'null' : 'ptr'}`)
    return 128
  }
  purgeLazy(_p: bigint, size: number): void {
    this.calls.push(`purgeLazy ${size}`)
  }
  allocationSplit(_p: bigint, total: number, first: number): void {
    this.calls.push(`split ${total} ${first}`)
  }
  allocationMerge(_lo: bigint, _hi: bigint, total: number): void {
    this.calls.push(`merge ${total}`)
  }
  finalize(): void {
    this.calls.push('finalize')
  }
}

t.test('a provider written in TypeScript, driven through every method', async (t) => {
  const impl = new Recorder()
  const provider = new MemoryProvider(impl)
  t.equal(provider.impl, impl)
  t.equal(provider.name, 'recorder')
  const p = provider.alloc(100, 16)
  t.ok(impl.blocks.has(p))
  t.equal(provider.recommendedPageSize(5000), 256)
  t.equal(provider.minPageSize(), 128)
  t.equal(provider.minPageSize(p), 128)
  provider.purgeLazy(p, 64)
  const pf = t.throws(() => provider.purgeForce(p, 64)) as UmfError
  t.equal(pf.code, ffi.UMF_RESULT_ERROR_NOT_SUPPORTED, 'an op the object lacks is NOT_SUPPORTED')
  provider.allocationSplit(p, 100, 40)
  provider.allocationMerge(p, p + 40n, 100)
  provider.free(p, 100)
  t.same(provider.lastNativeError(), { message: '', code: 0, provider: 'recorder' })
  provider.destroy()
  t.same(impl.calls, [
    'alloc 100 16',
    'recommended 5000',
    'min null',
    'min ptr',
    'purgeLazy 64',
    'split 100 40',
    'merge 100',
    'free 100',
    'finalize',
  ])
  t.equal(impl.blocks.size, 0)
})

t.test('a TypeScript provider without split/merge reports NOT_SUPPORTED for them', async (t) => {
  using fake = new MemoryProvider({ name: 'fake', alloc: () => 0x1000n, free: () => {} })
  const p = fake.alloc(100)
  const e = t.throws(() => fake.allocationSplit(p, 100, 10)) as UmfError
  t.equal(e.code, ffi.UMF_RESULT_ERROR_NOT_SUPPORTED)
  t.throws(() => fake.allocationSplit(0x2000n, 100, 10), /not the start of a live allocation/, 'lib/ refuses an address alloc() did not give')
  using provider = new MemoryProvider({ name: 'plain', alloc: () => null, free: () => {} })
  t.equal(provider.recommendedPageSize(), 4096, 'default page size')
  t.equal(provider.minPageSize(), 4096)
  const oom = t.throws(() => provider.alloc(8)) as UmfError
  t.equal(oom.code, ffi.UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY)
})

t.test('finalize errors surface from destroy()', async (t) => {
  const provider = new MemoryProvider({ name: 'badfin', alloc: () => null, free: () => {}, finalize: () => { throw new Error('cannot finalize') } })
  t.throws(() => provider.destroy(), /cannot finalize/)
  t.equal(provider.alive, false, 'the provider is gone all the same')
})
