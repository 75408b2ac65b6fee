// Issue 14: worker threads. A pool shared with workers (share/adopt), frees and views across threads,
// frees of allocations made through ffi/, the pools of a worker that ends (normally or by terminate()),
// crash class 8 (a pool over a TypeScript provider of a terminated worker), and CTL by name into the
// TypeScript pools of other threads. Every case runs in a
// child process with real worker_threads (test/fixtures/workers-child.ts): the test checks what it
// printed and that it ended with status 0, never by a signal or a timeout.
import t, { type Test } from 'tap'
import { runCase, type CaseResult } from './fixtures/child-run.js'

function run(t: Test, name: string, ...args: string[]): CaseResult {
  const r = runCase('workers-child.ts', name, args, 60_000)
  t.equal(r.signal, null, `${name}: no signal (no crash, no timeout)`)
  t.equal(r.status, 0, `${name}: exit 0\n${r.stderr}`)
  return r
}

function line(r: CaseResult, name: string): Record<string, unknown> {
  return r.byName.get(name) ?? {}
}

t.test('a pool shared with a worker: adopt, view, free and byPtr across threads; destroy waits for release', async (t) => {
  const r = run(t, 'share')
  const w = line(r, 'worker')
  t.equal(w['seen'], 42, 'the worker sees the bytes main wrote')
  t.equal(w['byPtr'], true, 'MemoryPool.byPtr in the worker finds the adopted pool')
  t.equal(w['adopted'], true)
  t.match(w['destroyError'], /adopted from another thread, which owns it: release\(\) it instead/, 'an adopted pool cannot be destroyed')
  const m = line(r, 'main')
  t.equal(m['byte'], 7, "main sees the worker's allocation")
  t.equal(m['size'], 32, 'and its size')
  t.match(m['freedTwice'], /not a live allocation/, 'a free in main of what the worker freed is refused')
  t.match(line(r, 'destroy-while-adopted')['error'], /still held by 1 other thread\(s\)/, "the owner's destroy() refuses while a worker holds it")
  t.equal(line(r, 'released')['released'], true)
  t.equal(line(r, 'destroyed')['alive'], false, 'destroy() works once the worker released it')
})

t.test('batch calls and the fast path on a shared pool go through the shared size table', async (t) => {
  const r = run(t, 'batch')
  const w = line(r, 'worker')
  t.equal(w['sizeSeen'], 24, "the worker sees the sizes of main's batch (recorded before share())")
  t.equal(w['live'], 151, '50 of main\'s + 100 + 1 of its own')
  const m = line(r, 'main')
  t.equal(m['size'], 40, "main sees the sizes of the worker's mallocMany")
  t.equal(m['singleSize'], 16, "and of the worker's malloc")
  t.match(m['freedByWorker'], /ptrs\[0\] = 0x[0-9a-f]+ is not a live allocation.*nothing was freed/, 'freeMany of what the worker freed is refused, all or nothing')
  t.match(m['gone'], /not a live allocation/, "a free of what the worker's free() forgot is refused")
  t.equal(m['live'], 151)
  t.same(line(r, 'freed'), { name: 'freed', live: 0, allocCount: 0 }, 'all freed, none left in C')
})

t.test('frees through lib/ of allocations made through ffi/ are accepted at live allocation starts only', async (t) => {
  const r = run(t, 'ffiAlloc')
  const f = line(r, 'ffi')
  t.match(f['interior'], /not a live allocation/, 'an interior address is refused')
  t.equal(f['size'], 48, 'a view of an ffi/ allocation covers its usable size')
  t.match(line(r, 'freed')['again'], /not a live allocation/, 'a second free is refused')
  t.match(line(r, 'umfFree')['again'], /not the start of a live allocation/, 'umfFree: a second free is refused')
})

for (const how of ['exit', 'terminate']) {
  t.test(`a worker's pools when it ends (${how}): freed unless adopted elsewhere, then freed by the last adopter`, async (t) => {
    const r = run(t, 'ownerExits', ...(how === 'terminate' ? ['terminate'] : []))
    const a = line(r, 'after-exit')
    t.equal(a['pHeld'], false, 'the pool nobody adopted is gone (C no longer knows its allocation)')
    t.equal(a['qSize'], 200, 'the adopted pool is kept, with its sizes')
    t.equal(a['view'], 200)
    const rel = line(r, 'released')
    t.equal(rel['qHeld'], false, 'released by its last adopter, the pool is freed')
    t.equal(rel['freedLater'], 1, "then the worker's provider is freed too")
  })
}

t.test('a terminated adopter no longer holds the pool', async (t) => {
  const r = run(t, 'adopterTerminated')
  t.match(line(r, 'held')['error'], /still held by 1 other thread/)
  t.equal(line(r, 'destroyed')['alive'], false, 'destroy() works after the adopter was terminated')
})

t.test('tokens that are not a live pool of this process are refused', async (t) => {
  const b = line(run(t, 'badTokens'), 'bad')
  t.match(b['notToken'], /^TypeError: MemoryPool.adopt: token must be what pool.share\(\) returned/)
  t.match(b['otherRegistry'], /does not share this thread's lib\/ registry/)
  t.match(b['wrongGen'], /was destroyed/)
  t.equal(b['self'], true, 'adopting in the owner thread gives the owner object')
  t.match(b['releaseOwned'], /was not adopted; destroy\(\) it/)
})

t.test('crash class 8: a pool over a TypeScript provider of a terminated worker gives a clear error', async (t) => {
  const r = run(t, 'tsProviderTerminated')
  t.match(line(r, 'worker')['shareError'], /runs TypeScript code .* exists only in the thread that created it/, 'such a pool cannot be shared')
  t.match(line(r, 'alive')['error'], /runs only in that thread: free it there/, 'umfFree from main while the worker runs: refused')
  const d = line(r, 'terminated')
  t.match(d['error'], /created in another thread that has ended; .* can no longer be used/, 'after terminate(): a clear error')
  t.equal(d['byPtr'], null, 'MemoryPool.byPtr finds no pool of this thread')
})

t.test('CTL by name reaches TypeScript pools of this thread only; those of other threads give a clear error', async (t) => {
  const r = run(t, 'ctlByName')
  t.equal(line(r, 'worker')['own'], 7, 'a worker reaches its own TypeScript pool by name')
  t.same(line(r, 'same-thread'), { name: 'same-thread', plain: 42, wild: 42, indexed: 42, exec: null }, 'this thread reaches its own, by name, {} and index')
  const running = /^ForeignThreadError: ctl\.(get|set|exec): umf\.pool\.by_name\.wts.* TypeScript code .* of another thread \(tid \d+\), which runs only in that thread: query it there/
  const ended = /^ForeignThreadError: ctl\.(get|set|exec): umf\.pool\.by_name\.wts.* TypeScript code .* of a thread that has ended .* can no longer be queried/
  for (const [step, re] of [['running', running], ['terminated', ended]] as const) {
    const q = line(r, step)
    for (const k of ['plain', 'wild', 'index0', 'wildIndex0', 'set', 'exec']) t.match(q[k], re, `${step}: ${k} refused`)
    t.equal(q['index1'], 43, `${step}: index 1 names this thread's pool of the same name, which answers`)
    t.match(q['index2'], /UMF_RESULT_ERROR_INVALID_ARGUMENT/, `${step}: an index past the pools is C's error (no pool reached)`)
    t.equal(q['count'], 2, `${step}: count reaches no pool`)
  }
  t.equal(line(r, 'after')['mts'], 42)
})

t.test('malloc/free fast path in main and two workers at once: each thread its own argument block', async (t) => {
  const r = run(t, 'pairs')
  for (const who of ['main', 'worker0', 'worker1']) {
    const l = line(r, who)
    t.equal(l['pairs'], 200_000, `${who}: all pairs ran`)
    t.equal(l['wrong'], 0, `${who}: every address recorded by its own pool with its size`)
    t.equal(l['live'], 0, `${who}: all freed`)
  }
})
