// lib/sizes.ts: the address-to-size table, checked against a Map under random inserts and deletes
// (collisions, growth, backward-shift deletion), and addressKey.
import t from 'tap'
import { batch } from '../lib/fast_calls.js'
import { SizeTable, addressKey } from '../lib/sizes.js'

t.test('addressKey is the exact number of an address', async (t) => {
  for (const p of [1n, 0xffffffffn, 0x100000000n, 0x7fff12345678n, (1n << 53n) - 1n]) t.equal(addressKey(p), Number(p))
})

t.test('the table agrees with a Map', async (t) => {
  const table = new SizeTable(16)
  const model = new Map<bigint, number>()
  let seed = 12345
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0)
  let mismatches = 0
  for (let i = 0; i < 200_000; i++) {
    const r = rnd()
    // addresses that share low bits across 4 GiB regions, and dense ones: both collide on purpose
    const p = 0x7f0000000000n + BigInt((r % 3000) * 16) + (r & 0x10000 ? 1n << 32n : 0n)
    if (r % 3 !== 0) {
      table.set(p, i)
      model.set(p, i)
    } else {
      const want = model.has(p) ? model.get(p)! : -1
      model.delete(p)
      if (table.delete(p) !== want) mismatches++
    }
  }
  t.equal(mismatches, 0, 'deletes returned what the model held')
  t.equal(table.size, model.size)
  let wrong = 0
  for (const [p, v] of model) if (table.get(p) !== v) wrong++
  t.equal(wrong, 0, 'every live address has its size')
  t.equal(table.get(0x1000n), -1)
  t.equal(table.get(0n), -1, '0 is never found')
  t.equal(table.delete(0n), -1)
  table.clear()
  t.equal(table.size, 0)
  t.equal(table.get([...model.keys()][0]!), -1)
})

t.test('setMany and deleteMany (in C from 32 elements, in TypeScript below) agree with a Map', async (t) => {
  t.ok(batch !== null, 'libumf_batch.so.1 loaded: large batches run in C')
  const table = new SizeTable(16) // grows inside setMany, several times
  const model = new Map<bigint, number>()
  let seed = 777
  // the high bits (an LCG's low bits cycle)
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8
  const addr = () => 0x7f0000000000n + BigInt((rnd() % 20_000) * 16) + (rnd() & 1 ? 1n << 32n : 0n)
  const taken = new Float64Array(600)
  let wrong = 0
  let refusedRight = 0
  let refusals = 0
  let bigDeletes = 0
  for (let round = 0; round < 400; round++) {
    const n = 1 + (rnd() % 300)
    const a = new BigUint64Array(n)
    if (rnd() % 2 === 0) {
      // a batch of new addresses (distinct, none held), one size
      let i = 0
      while (i < n) {
        const p = addr()
        if (!model.has(p) && !a.subarray(0, i).includes(p)) a[i++] = p
      }
      const size = round + 1
      table.setMany(new Uint32Array(a.buffer), n, size)
      for (const p of a) model.set(p, size)
    } else {
      // held addresses, sometimes with one bad entry (0, unknown or a repeat) at a random index
      const held = [...model.keys()]
      if (held.length < n) continue
      for (let i = 0; i < n; i++) a[i] = held[(rnd() % held.length) | 0]!
      const uniq = new BigUint64Array([...new Set(a)])
      const m = uniq.length
      let bad = -1
      const b = new BigUint64Array(m + 1)
      b.set(uniq)
      let len = m
      if (rnd() % 3 === 0) {
        bad = rnd() % (m + 1)
        const kind = rnd() % 3
        const badValue = kind === 0 ? 0n : kind === 1 ? 0x100n : uniq[(rnd() % Math.max(bad, 1)) | 0]!
        if (kind === 2 && bad === 0) continue
        b.copyWithin(bad + 1, bad, m)
        b[bad] = badValue
        len = m + 1
      }
      const before = table.size
      const got = table.deleteMany(new Uint32Array(b.buffer), len, taken)
      if (got !== bad) wrong++
      if (len >= 32) bigDeletes++
      if (bad >= 0) {
        refusals++
        if (table.size === before) refusedRight++
      } else {
        for (let i = 0; i < len; i++) {
          if (taken[i] !== model.get(b[i]!)) wrong++
          model.delete(b[i]!)
        }
      }
    }
    if (table.size !== model.size) wrong++
  }
  t.equal(wrong, 0, 'indices, taken sizes and counts match the model')
  t.ok(refusals > 20 && bigDeletes > 20, `batches refused (${refusals}), large ones deleted (${bigDeletes})`)
  t.equal(refusedRight, refusals, 'refused batches left the count as it was')
  let missing = 0
  for (const [p, v] of model) if (table.get(p) !== v) missing++
  t.equal(missing, 0, 'every address held has its size (after refused batches were put back)')
  // single deletes of what the batches recorded
  for (const [p, v] of model) if (table.delete(p) !== v) missing++
  t.equal(missing, 0)
  t.equal(table.size, 0)
})
