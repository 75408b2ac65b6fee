// Issue 14: programs that used to kill the process (SIGSEGV/SIGABRT) or hang it now end with a clear
// error. Each runs in a child process (test/fixtures/safety-child.ts); the test asserts it exited
// normally, and the error each attempt got.
import t, { type Test } from 'tap'
import { runCase, type CaseResult } from './fixtures/child-run.js'

function run(t: Test, name: string): CaseResult {
  const r = runCase('safety-child.ts', name, [], 60_000)
  t.equal(r.signal, null, `${name}: no signal (${r.stderr.slice(0, 300)})`)
  t.equal(r.status, 0, `${name}: exit 0`)
  t.ok(r.byName.has('done'), `${name}: ran to the end`)
  return r
}

function failed(t: Test, r: CaseResult, name: string, error: string, message: RegExp): void {
  const l = r.byName.get(name)
  t.same({ ok: l?.['ok'], error: l?.['error'] }, { ok: false, error }, `${name}: ${error}`)
  t.match(String(l?.['message']), message, `${name}: says why`)
}

function ok(t: Test, r: CaseResult, name: string): void {
  t.equal(r.byName.get(name)?.['ok'], true, `${name}: works`)
}

t.test('1. views larger than an ArrayBuffer can be are refused, not an abort', async (t) => {
  const r = run(t, 'hugeView')
  failed(t, r, 'view 5 GiB', 'RangeError', /larger than this runtime's largest ArrayBuffer/)
  failed(t, r, 'viewAs 5 GiB', 'RangeError', /larger than this runtime's largest ArrayBuffer/)
  failed(t, r, 'with 5 GiB', 'RangeError', /largest ArrayBuffer/)
  ok(t, r, 'view 16 bytes of it')
})

t.test("2. the provider a TypeScript pool's initialize() got dies with the pool", async (t) => {
  const r = run(t, 'initializeProvider')
  failed(t, r, 'alloc through the kept provider', 'DestroyedError', /was destroyed/)
  failed(t, r, 'name of the kept provider', 'DestroyedError', /was destroyed/)
})

t.test('3. destroying an object from inside its own callback is refused', async (t) => {
  const r = run(t, 'destroyInCallback')
  failed(t, r, 'pool destroyed in its provider alloc', 'ReentrancyError', /running a C call/)
  t.equal(r.byName.get('inside')?.['error'], 'ReentrancyError', 'the callback saw the refusal')
  ok(t, r, 'pool still usable')
  failed(t, r, 'provider destroyed in its own alloc', 'ReentrancyError', /MemoryProvider is running a C call/)
  failed(t, r, 'pool destroyed in its own malloc', 'ReentrancyError', /MemoryPool is running a C call/)
  ok(t, r, 'pool alive after')
})

t.test("4. an allocation lent to a fixed provider (or inside pool.with) cannot be freed", async (t) => {
  const r = run(t, 'lentAllocation')
  failed(t, r, 'free of the lent allocation', 'Error', /is in use \(lent to a FixedMemoryProvider/)
  failed(t, r, 'realloc of the lent allocation', 'Error', /is in use/)
  ok(t, r, 'free after the fixed provider is gone')
  failed(t, r, 'free inside with()', 'Error', /is in use/)
  failed(t, r, 'destroy inside with()', 'Error', /still used by 1 live object/)
  ok(t, r, 'free after with()')
})

t.test('5. provider free/purge are checked against what alloc() handed out', async (t) => {
  const r = run(t, 'providerSizes')
  failed(t, r, 'free with a wrong size', 'RangeError', /was allocated with 4096 bytes, not 1073741824/)
  failed(t, r, 'purgeForce past the allocation', 'RangeError', /not within a live allocation/)
  failed(t, r, 'purgeLazy of unknown memory', 'RangeError', /not within a live allocation/)
  failed(t, r, 'free of unknown memory', 'RangeError', /not the start of a live allocation/)
  ok(t, r, 'purgeForce within')
  ok(t, r, 'free right')
  failed(t, r, 'double free', 'RangeError', /not the start of a live allocation/)
})

t.test('6. no writable view of memory that cannot be written', async (t) => {
  const r = run(t, 'protection')
  for (const n of ['view none', 'viewAs none', 'with none', 'read none']) failed(t, r, n, 'TypeError', /neither readable nor writable/)
  for (const n of ['view read', 'viewAs read', 'with read']) failed(t, r, n, 'TypeError', /read-only.*pool\.read/)
  for (const n of ['calloc none', 'realloc none', 'calloc read', 'realloc read']) failed(t, r, n, 'TypeError', /(neither readable nor writable|read-only)/)
  ok(t, r, 'read read')
})

t.test('7. made-up raw addresses are refused before C dereferences them', async (t) => {
  const r = run(t, 'rawAddresses')
  failed(t, r, 'provider over a made-up ops', 'TypeError', /not a provider ops table of libumf/)
  failed(t, r, 'pool over a made-up ops', 'TypeError', /not a pool ops table of libumf/)
  failed(t, r, 'pool with made-up params', 'RangeError', /not the address of a C params object/)
  failed(t, r, 'provider with made-up params', 'RangeError', /not mapped/)
  failed(t, r, 'fromHandle of a made-up handle', 'TypeError', /not a live memory provider of lib/)
  failed(t, r, 'lastNativeError of a made-up handle', 'TypeError', /handle of a live memory provider/)
  failed(t, r, 'check with a made-up handle', 'TypeError', /handle of a live memory provider/)
  ok(t, r, 'fromHandle of a live one')
  failed(t, r, 'ctl by_handle of a made-up handle', 'TypeError', /not the handle of a live pool object of lib/)
  failed(t, r, 'ctl pool path with a provider', 'TypeError', /umf\.pool\.by_handle takes a pool \(got OsMemoryProvider\)/)
  failed(t, r, 'ctl provider path with a pool', 'TypeError', /umf\.provider\.by_handle takes a provider \(got DisjointPool\)/)
  failed(t, r, 'ctl pool path with a provider handle', 'TypeError', /not the handle of a live pool object/)
  failed(t, r, 'ctl by_handle of a destroyed pool handle', 'TypeError', /not the handle of a live pool object/)
  ok(t, r, 'ctl by_handle of a live pool handle')
})

t.test('9. a provider whose alloc re-enters its disjoint pool gets an error, not a deadlock', async (t) => {
  const r = run(t, 'reentrantDisjoint')
  failed(t, r, 'malloc re-entering the disjoint pool', 'ReentrancyError', /DisjointPool is running a C call/)
  ok(t, r, 'the pool works after')
})

t.test('a fixed-seed mix of 4000 valid and invalid calls never kills the process', async (t) => {
  const r = run(t, 'fuzz')
  const f = r.byName.get('fuzz')!
  t.equal(Number(f['ok']) + Number(f['refused']), 4000, 'every call returned or threw an Error')
  t.ok(Number(f['ok']) > 200, `many calls worked (${f['ok']})`)
  t.ok(Number(f['refused']) > 200, `many were refused (${f['refused']})`)
})
