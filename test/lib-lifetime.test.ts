// Lifetimes of lib/ objects: destroy(), using, idempotence, parents kept alive, moves (ownProvider),
// the finalizers (child process with --expose-gc), and the shared callback registrations.
import t from 'tap'
import koffi from 'koffi'
import {
  DestroyedError,
  MemoryPool,
  MemoryProvider,
  OsMemoryProvider,
  ProxyPool,
} from '../lib/index.js'
import { liveTypeScriptPools, liveTypeScriptProviders, registeredCallbacks } from '../lib/testing.js'
import { runChild } from './fixtures/lib-child-run.js'

t.test('destroy is idempotent and every method throws afterwards', async (t) => {
  const provider = new OsMemoryProvider()
  const pool = new ProxyPool(provider)
  t.equal(pool.alive, true)
  const p = pool.malloc(16)
  pool.free(p)
  pool.destroy()
  t.equal(pool.alive, false)
  t.doesNotThrow(() => pool.destroy(), 'second destroy does nothing')
  for (const [what, f] of [
    ['malloc', () => pool.malloc(1)],
    ['free', () => pool.free(p)],
    ['calloc', () => pool.calloc(1, 1)],
    ['realloc', () => pool.realloc(null, 1)],
    ['alignedMalloc', () => pool.alignedMalloc(1, 8)],
    ['usableSize', () => pool.usableSize(p)],
    ['view', () => pool.view(p)],
    ['viewAs', () => pool.viewAs(Uint8Array, p)],
    ['name', () => pool.name],
    ['tag', () => pool.tag],
    ['trim', () => pool.trim()],
    ['provider', () => pool.provider],
    ['handle', () => pool.handle],
    ['lastAllocationError', () => pool.lastAllocationError()],
  ] as const) {
    t.throws(f, DestroyedError, `${what} after destroy`)
  }
  provider.destroy()
  t.throws(() => provider.alloc(8), DestroyedError)
  t.throws(() => provider.name, DestroyedError)
})

t.test('using destroys at the end of the block, children first', async (t) => {
  let poolRef: ProxyPool | undefined
  let providerRef: OsMemoryProvider | undefined
  {
    using provider = new OsMemoryProvider()
    using pool = new ProxyPool(provider)
    poolRef = pool
    providerRef = provider
    t.equal(pool.alive && provider.alive, true)
  }
  t.equal(poolRef!.alive, false, 'pool destroyed')
  t.equal(providerRef!.alive, false, 'provider destroyed')
})

t.test('a provider cannot be destroyed while a pool uses it', async (t) => {
  const provider = new OsMemoryProvider()
  const a = new ProxyPool(provider)
  const b = new ProxyPool(provider)
  t.throws(() => provider.destroy(), /still used by 2 live object/)
  a.destroy()
  t.throws(() => provider.destroy(), /still used by 1 live object/)
  b.destroy()
  t.doesNotThrow(() => provider.destroy())
})

t.test('ownProvider moves the provider into the pool', async (t) => {
  const finalized: string[] = []
  const provider = new MemoryProvider({
    name: 'owned',
    alloc: (size) => koffi.alloc('uint8_t', size) as bigint,
    free: (p) => koffi.free(p),
    finalize: () => void finalized.push('owned'),
  })
  const pool = new ProxyPool(provider, { ownProvider: true })
  t.equal(provider.moved, true, 'moved')
  t.equal(provider.alive, false)
  t.equal(pool.provider, provider, 'the pool reports the moved object')
  t.throws(() => provider.alloc(1), DestroyedError)
  t.throws(() => provider.destroy(), /moved/)
  t.doesNotThrow(() => provider[Symbol.dispose](), 'dispose of a moved object does nothing (for `using`)')
  const p = pool.malloc(10)
  pool.view(p).fill(9)
  pool.free(p)
  t.same(finalized, [])
  pool.destroy()
  t.same(finalized, ['owned'], 'destroying the pool destroyed the provider (its finalize ran)')
  t.equal(liveTypeScriptProviders(), 0, 'its id is released')
})

t.test('borrowed providers cannot be destroyed', async (t) => {
  const provider = new OsMemoryProvider()
  t.equal(MemoryProvider.fromHandle(provider.handle), provider, 'fromHandle of a live provider is that object')
  let borrowed: MemoryProvider | undefined
  const pool = new MemoryPool(
    {
      name: 'borrower',
      initialize: (p) => void (borrowed = p),
      malloc: (size) => borrowed!.alloc(size),
      free: () => {},
    },
    provider,
  )
  t.ok(borrowed, 'initialize received a provider')
  t.not(borrowed, provider, 'it is the pool tracking provider, borrowed')
  t.throws(() => borrowed!.destroy(), /borrowed/)
  t.equal(borrowed!.name, 'OS', 'the tracking provider reports the name of the provider under it')
  pool.destroy()
  provider.destroy()
})

t.test('callbacks are registered once for all instances, and unregistered with the last', async (t) => {
  const before = registeredCallbacks()
  t.equal(before, 0, 'none registered while no TypeScript provider or pool lives')
  const impl = { name: 'reg', alloc: () => null, free: () => {} }
  const a = new MemoryProvider(impl)
  const n1 = registeredCallbacks()
  t.ok(n1 > 0, `${n1} registered for the first provider`)
  const b = new MemoryProvider(impl)
  t.equal(registeredCallbacks(), n1, 'a second provider registers nothing more')
  const pool = new MemoryPool({ name: 'regpool', malloc: () => null, free: () => {} }, a)
  const n2 = registeredCallbacks()
  t.ok(n2 > n1, 'the first pool registers the pool trampolines')
  pool.destroy()
  t.equal(registeredCallbacks(), n1, 'the last pool unregistered them')
  t.equal(liveTypeScriptPools(), 0)
  a.destroy()
  b.destroy()
  t.equal(registeredCallbacks(), 0, 'the last provider unregistered them')
})

t.test('many TypeScript providers share the trampolines (more than koffi allows registrations)', async (t) => {
  const r = runChild('registrations')
  t.equal(r.status, 0, `exit 0 (${r.stderr.slice(0, 300)})`)
  t.same(r.byName.get('many'), { name: 'many', callbacks: 13, providers: 9000 })
  t.same(r.byName.get('none'), { name: 'none', callbacks: 0, providers: 0 })
})

t.test('forgotten pools and providers are freed by the finalizer', async (t) => {
  const r = runChild('finalize')
  t.equal(r.status, 0, `exit 0 (${r.stderr.slice(0, 300)})`)
  const before = r.byName.get('before')!
  t.same(before['calls'], [], 'nothing finalized while reachable')
  t.equal(before['pools'], 1)
  t.equal(before['providers'], 1)
  const after = r.byName.get('after')!
  t.same(after['calls'], ['pool finalize', 'provider finalize'], 'the TypeScript pool and provider were finalized')
  t.equal(after['pools'], 0, 'no TypeScript pool left')
  t.equal(after['providers'], 0, 'no TypeScript provider left')
  t.equal(after['callbacks'], 0, 'trampolines unregistered')
  t.equal(after['finalized'], 4, 'four objects reclaimed')
  t.equal(after['byPtrRc'], 3, 'the forgotten proxy pool is gone: umfPoolByPtr no longer finds its allocation')
})

t.test('a live pool keeps its forgotten provider alive', async (t) => {
  const r = runChild('parentAlive')
  t.equal(r.status, 0, `exit 0 (${r.stderr.slice(0, 300)})`)
  t.same(r.byName.get('alive'), { name: 'alive', calls: [], provider: 'parent' }, 'provider alive and usable through the pool')
  t.same(r.byName.get('released'), { name: 'released', calls: ['provider finalize'], providers: 0, callbacks: 0 })
})
