// Bad input from TypeScript for the public functions of lib/: wrong types, negative/fractional/NaN/huge
// sizes, numbers where bigint addresses go, addresses not from the pool, destroyed and moved objects,
// unknown keys. The battery runs in a child process (test/fixtures/lib-child.ts): a crash there would be
// a failed exit status here, not a dead test runner.
import t from 'tap'
import { runChild } from './fixtures/lib-child-run.js'

const r = runChild('badInput')

t.test('the child ends normally', async (t) => {
  t.equal(r.signal, null, `no signal (stderr: ${r.stderr.slice(0, 500)})`)
  t.equal(r.status, 0, 'exit status 0')
  t.ok(r.byName.get('end')?.['ok'], 'reached the end of the battery')
})

// name -> [error class, code or message pattern]
const expected: [string, string, RegExp | number][] = [
  ['malloc string', 'TypeError', /size must be a number or a bigint, got string "64"/],
  ['malloc negative', 'RangeError', /size must be a non-negative integer.*got -1/],
  ['malloc fraction', 'RangeError', /got 1\.5/],
  ['malloc NaN', 'RangeError', /got NaN/],
  ['malloc Infinity', 'RangeError', /got Infinity/],
  ['malloc 2^53', 'RangeError', /got 9007199254740992/],
  ['malloc bigint 2^64', 'RangeError', /between 0 and 2\^64 - 1/],
  ['malloc huge bigint', 'UmfError', 2],
  ['malloc undefined', 'TypeError', /got undefined/],
  ['free number', 'TypeError', /ptr must be a bigint address/],
  ['free string', 'TypeError', /ptr must be a bigint address/],
  ['free 0n', 'TypeError', /non-NULL/],
  ['free negative', 'TypeError', /non-NULL address below 2\^64, got -8n/],
  ['free foreign', 'RangeError', /0x1000 is not a live allocation/],
  ['free interior', 'RangeError', /is not a live allocation/],
  ['free 2^64', 'TypeError', /below 2\^64/],
  ['free 2^64 + p', 'TypeError', /below 2\^64/],
  ['view number', 'TypeError', /ptr must be a bigint/],
  ['view foreign', 'RangeError', /not a live allocation/],
  ['view too long', 'RangeError', /from 0 to the allocation's 64 bytes, got 65/],
  ['view negative length', 'RangeError', /got -1/],
  ['view string length', 'RangeError', /length must be an integer/],
  ['viewAs bad type', 'TypeError', /typed-array class/],
  ['viewAs too many', 'RangeError', /count must be an integer from 0 to 8, got 9/],
  ['viewAs misaligned', 'RangeError', /not a live allocation/],
  ['alignedMalloc bad alignment', 'UmfError', 3],
  ['alignedMalloc string', 'TypeError', /alignment must be a number or a bigint/],
  ['calloc huge', 'RangeError', /too large/],
  ['realloc foreign', 'RangeError', /realloc: 0x1000 is not a live allocation/],
  ['usableSize foreign', 'RangeError', /usableSize: 0x2000/],
  ['trim negative', 'RangeError', /minBytesToKeep/],
  ['setTag number', 'TypeError', /tag must be a bigint/],
  ['byPtr number', 'TypeError', /ptr must be a bigint/],
  ['poolByPtr null', 'TypeError', /got null/],
  ['umfFree number', 'TypeError', /got number 42/],
  ['umfFree unknown', 'UmfError', 3],
  ['umfFree interior', 'RangeError', /not the start of a live allocation/],
  ['props number', 'TypeError', /ptr must be a bigint/],
  ['props unknown', 'UmfError', 3],
  ['provider alloc string', 'TypeError', /size must be a number or a bigint/],
  ['provider alloc negative alignment', 'RangeError', /alignment/],
  ['provider free number', 'TypeError', /ptr must be a bigint/],
  ['provider purge number', 'TypeError', /ptr must be a bigint/],
  ['provider split zero', 'RangeError', /not the start of a live allocation made by/],
  ['provider merge reversed', 'RangeError', /not the start of a live allocation made by/],
  ['provider minPageSize number', 'TypeError', /ptr must be a bigint/],
  ['provider ops number', 'TypeError', /C ops address \(bigint\) or an object of TypeScript ops, got number 12345/],
  ['provider ops 0n', 'TypeError', /non-NULL/],
  ['provider ops string', 'TypeError', /got string "OS"/],
  ['provider impl no alloc', 'TypeError', /has no alloc\(\) function/],
  ['provider impl bad name', 'TypeError', /provider name must be 1 to 63 characters/],
  ['provider impl alloc not fn', 'TypeError', /has no alloc\(\) function/],
  ['provider impl split only', 'TypeError', /allocationSplit and allocationMerge together/],
  ['provider params string', 'TypeError', /params must be a bigint handle or null/],
  ['os params unknown key', 'ConfigError', /invalid OsMemoryProvider params/],
  ['os params wrong type', 'ConfigError', /invalid OsMemoryProvider params/],
  ['os params not object', 'ConfigError', /invalid OsMemoryProvider params/],
  ['os params bad numa', 'ConfigError', /invalid OsMemoryProvider params/],
  ['os params partSize negative', 'ConfigError', /invalid OsMemoryProvider params/],
  ['os params partSize fraction', 'ConfigError', /invalid OsMemoryProvider params/],
  ['os params numaList huge', 'ConfigError', /invalid OsMemoryProvider params/],
  ['os params protection 0', 'ConfigError', /invalid OsMemoryProvider params/],
  ['os params shm slash', 'ConfigError', /invalid OsMemoryProvider params/],
  ['pool provider string', 'TypeError', /provider must be a MemoryProvider, got string/],
  ['pool provider null', 'TypeError', /got null/],
  ['pool options unknown', 'ConfigError', /invalid ProxyPool options/],
  ['pool options wrong type', 'ConfigError', /invalid ProxyPool options/],
  ['pool ops number', 'TypeError', /a pool must be a C ops address/],
  ['pool impl no free', 'TypeError', /has no free\(\) function/],
  ['pool params number', 'ConfigError', /invalid pool options/],
  ['ts alloc returns number', 'TypeError', /liar\.alloc must return a non-zero bigint address or null/],
  ['ts alloc returns negative', 'TypeError', /liar2\.alloc must return/],
  ['ts minPageSize returns string', 'TypeError', /liar2\.minPageSize must return a non-negative integer/],
  ['ts pool malloc returns string', 'TypeError', /badpool\.malloc must return/],
  ['use after destroy', 'DestroyedError', /was destroyed and can no longer be used/],
  ['free after destroy', 'DestroyedError', /was destroyed/],
  ['view after destroy', 'DestroyedError', /was destroyed/],
  ['name after destroy', 'DestroyedError', /was destroyed/],
  ['use moved provider', 'DestroyedError', /was moved: a pool owns it now/],
  ['destroy moved provider', 'DestroyedError', /was moved/],
  ['pool over moved provider', 'DestroyedError', /was moved/],
]

t.test('each bad input throws a clear error', async (t) => {
  for (const [name, error, detail] of expected) {
    const line = r.byName.get(name)
    t.ok(line, `${name}: ran`)
    if (!line) continue
    t.equal(line['ok'], false, `${name}: threw`)
    t.equal(line['error'], error, `${name}: ${error}`)
    if (typeof detail === 'number') t.equal(line['code'], detail, `${name}: code ${detail}`)
    else t.match(String(line['message']), detail, `${name}: message`)
  }
})

t.test('the cases that must succeed do', async (t) => {
  t.equal(r.byName.get('byPtr unknown')?.['ok'], true, 'byPtr of an unknown address is null')
  t.equal(r.byName.get('destroy twice')?.['ok'], true, 'destroy() twice is fine')
})

t.test('every case of the child is checked here', async (t) => {
  const checked = new Set([...expected.map((e) => e[0]), 'byPtr unknown', 'destroy twice', 'end'])
  t.same(r.lines.map((l) => String(l['name'])).filter((n) => !checked.has(n)), [])
})
