// lib/sizes.ts: the address-to-size table, checked against a Map under random inserts and deletes
// (collisions, growth, backward-shift deletion), and addressKey.
import t from 'tap'
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
