/**
 * The sizes lib/ handed out, by address: an open-addressing hash table over typed arrays (linear probing,
 * backward-shift deletion, no tombstones). A pool keeps one, so `view()` never reaches past an allocation
 * and `free()` refuses an address the pool did not hand out.
 *
 * Addresses are user-space pointers (below 2^47 on x86-64 and AArch64), so a `number` holds them exactly.
 *
 * @module sizes
 */

/** An address-to-size table. @internal */
export class SizeTable {
  #keys: Float64Array
  #sizes: Float64Array
  #mask: number
  #count = 0

  /** @param capacity - initial slot count (rounded up to a power of 2) */
  constructor(capacity = 64) {
    let n = 16
    while (n < capacity) n *= 2
    this.#keys = new Float64Array(n)
    this.#sizes = new Float64Array(n)
    this.#mask = n - 1
  }

  /** Number of addresses held. */
  get size(): number {
    return this.#count
  }

  static #hash(k: number): number {
    const lo = k >>> 0
    const hi = (k / 4294967296) >>> 0
    return Math.imul((lo >>> 4) ^ (lo >>> 19) ^ Math.imul(hi, 0x27d4eb2d), 0x9e3779b1) >>> 0
  }

  /**
   * Records (or replaces) the size of an address.
   *
   * @param k - the address, as a number (not 0)
   * @param size - its size
   */
  set(k: number, size: number): void {
    if ((this.#count + 1) * 2 > this.#mask + 1) this.#grow()
    const keys = this.#keys
    const mask = this.#mask
    let i = SizeTable.#hash(k) & mask
    for (;;) {
      const cur = keys[i]!
      if (cur === 0) {
        keys[i] = k
        this.#sizes[i] = size
        this.#count++
        return
      }
      if (cur === k) {
        this.#sizes[i] = size
        return
      }
      i = (i + 1) & mask
    }
  }

  /**
   * The size recorded for an address.
   *
   * @param k - the address
   * @returns the size, or -1 when the address is not held
   */
  get(k: number): number {
    const keys = this.#keys
    const mask = this.#mask
    let i = SizeTable.#hash(k) & mask
    for (;;) {
      const cur = keys[i]!
      if (cur === k) return this.#sizes[i]!
      if (cur === 0) return -1
      i = (i + 1) & mask
    }
  }

  /**
   * Forgets an address.
   *
   * @param k - the address
   * @returns its size, or -1 when it was not held
   */
  delete(k: number): number {
    const keys = this.#keys
    const sizes = this.#sizes
    const mask = this.#mask
    let i = SizeTable.#hash(k) & mask
    for (;;) {
      const cur = keys[i]!
      if (cur === k) break
      if (cur === 0) return -1
      i = (i + 1) & mask
    }
    const size = sizes[i]!
    // backward-shift: move later members of the cluster into the hole when their home allows it
    let hole = i
    let j = (i + 1) & mask
    for (;;) {
      const kj = keys[j]!
      if (kj === 0) break
      const home = SizeTable.#hash(kj) & mask
      // kj may move to hole when hole lies cyclically in [home, j)
      if ((j > hole && (home <= hole || home > j)) || (j < hole && home <= hole && home > j)) {
        keys[hole] = kj
        sizes[hole] = sizes[j]!
        hole = j
      }
      j = (j + 1) & mask
    }
    keys[hole] = 0
    sizes[hole] = 0
    this.#count--
    return size
  }

  /** Every address held, with its size. */
  *entries(): IterableIterator<[number, number]> {
    const keys = this.#keys
    for (let i = 0; i < keys.length; i++) if (keys[i] !== 0) yield [keys[i]!, this.#sizes[i]!]
  }

  /** Forgets every address. */
  clear(): void {
    this.#keys.fill(0)
    this.#sizes.fill(0)
    this.#count = 0
  }

  #grow(): void {
    const oldKeys = this.#keys
    const oldSizes = this.#sizes
    const n = oldKeys.length * 2
    this.#keys = new Float64Array(n)
    this.#sizes = new Float64Array(n)
    this.#mask = n - 1
    this.#count = 0
    for (let i = 0; i < oldKeys.length; i++) if (oldKeys[i] !== 0) this.set(oldKeys[i]!, oldSizes[i]!)
  }
}
