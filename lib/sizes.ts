/**
 * The sizes lib/ handed out, by address: an open-addressing hash table over typed arrays (linear probing,
 * backward-shift deletion, no tombstones). A pool keeps one, so `view()` never reaches past an allocation
 * and `free()` refuses an address the pool did not hand out.
 *
 * The cost matters (one insert per malloc, one delete per free), so nothing here allocates, and a
 * `bigint` address is split into two 32-bit halves through a `BigUint64Array` (`Number(bigint)` is several
 * times slower). The key is the address as a `number`, exact for user-space addresses (below 2^53).
 * setMany and deleteMany (the batch calls) of 32 or more elements run in libumf_batch.so.1 on the same
 * arrays (vendor/umf/batch/batch.c repeats the layout and the hash: keep the two in step).
 *
 * @module sizes
 */
import { constants } from 'node:buffer'
import koffi from 'koffi'
import { batch } from './fast_calls.js'

/** The largest ArrayBuffer this runtime makes (2^32 bytes on Node 20); koffi aborts the process past it. */
export const MAX_VIEW_BYTES: number = constants.MAX_LENGTH

/**
 * The one way lib/ makes an ArrayBuffer over native memory: koffi.view, after checking the length is one
 * the runtime can give (koffi aborts the whole process for a larger one instead of throwing).
 *
 * @param ptr - the address (already known to lib/)
 * @param bytes - the length, a safe integer from 0 (0 gives a fresh empty buffer)
 * @param what - the caller, for the message
 * @returns the buffer
 * @internal
 */
export function nativeBuffer(ptr: bigint, bytes: number, what: string): ArrayBuffer {
  if (bytes > MAX_VIEW_BYTES) {
    throw new RangeError(
      `${what}: a view of ${bytes} bytes is larger than this runtime's largest ArrayBuffer (${MAX_VIEW_BYTES} bytes); ` +
        'pass a length (or count), or view the allocation in parts',
    )
  }
  return bytes === 0 ? new ArrayBuffer(0) : koffi.view(ptr, bytes)
}

const u64 = new BigUint64Array(1)
const u32 = new Uint32Array(u64.buffer)
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
const LO = LITTLE ? 0 : 1
const HI = LITTLE ? 1 : 0
// from this many elements setMany/deleteMany run in the helper library (C, on the same arrays): its one
// koffi call costs about as much as 20 elements done here
const C_BATCH_FROM = 32

/**
 * An address as a `number` (exact below 2^53), without `Number(bigint)`.
 *
 * @param ptr - the address (0 to 2^64 - 1)
 * @returns the number
 * @internal
 */
export function addressKey(ptr: bigint): number {
  u64[0] = ptr
  return u32[HI]! * 4294967296 + u32[LO]!
}

// The storage of every empty table: all zeros, never written (a table grows off it before its first
// insert), so an unused table (a forgotten pool's) costs no arrays of its own.
const NO_SLOTS = new Float64Array(16)

/** An address-to-size table. @internal */
export class SizeTable {
  #keys = NO_SLOTS
  #sizes = NO_SLOTS
  #mask = NO_SLOTS.length - 1
  #shift = 32 - Math.log2(NO_SLOTS.length)
  /** Inserts allowed before the table must grow (half its slots; 0 while it has none of its own). */
  #limit = 0
  #count = 0
  readonly #initial: number

  /** @param capacity - slot count of the first arrays (rounded up to a power of 2), made at the first insert */
  constructor(capacity = 64) {
    let n = 16
    while (n < capacity) n *= 2
    this.#initial = n
  }

  /** Number of addresses held. */
  get size(): number {
    return this.#count
  }

  // Fibonacci hashing of the low 32 bits of the address, top bits of the product as the slot
  #slotOfLow(lo: number): number {
    return Math.imul(lo ^ (lo >>> 16), 0x9e3779b1) >>> this.#shift
  }

  #slotOfKey(k: number): number {
    return this.#slotOfLow(k >>> 0) // the low 32 bits (exact: k < 2^53), cheaper than % on a double
  }

  /**
   * Records (or replaces) the size of an address.
   *
   * @param ptr - the address (not 0, below 2^64)
   * @param size - its size
   */
  set(ptr: bigint, size: number): void {
    if (this.#count >= this.#limit) this.#grow()
    u64[0] = ptr
    const lo = u32[LO]!
    this.#insert(u32[HI]! * 4294967296 + lo, this.#slotOfLow(lo), size)
  }

  #insert(k: number, slot: number, size: number): void {
    const keys = this.#keys
    const mask = this.#mask
    let i = slot
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
   * Records (or replaces) the size of an address given as its {@link addressKey} (a number: what the
   * hot paths get from koffi, with no bigint to split).
   *
   * @param k - the address as a number (not 0)
   * @param size - its size
   */
  setKey(k: number, size: number): void {
    if (this.#count >= this.#limit) this.#grow()
    this.#insert(k, this.#slotOfLow(k >>> 0), size)
  }

  /**
   * Records `n` addresses of the same size, given as the 32-bit halves of a BigUint64Array's elements
   * (for `pool.mallocMany`: no bigint per element, one call).
   *
   * @param w - the elements as a Uint32Array (two halves each, in this machine's byte order)
   * @param n - how many elements
   * @param size - their size
   */
  setMany(w: Uint32Array, n: number, size: number): void {
    while (this.#count + n > this.#limit) this.#grow()
    const keys = this.#keys
    const sizes = this.#sizes
    if (batch !== null && n >= C_BATCH_FROM) {
      const added = batch.tableSet(keys, sizes, keys.length, w, n, size)
      if (added < 0) throw new Error('umf_batch_table_set refused the size table') // cannot happen: room made above
      this.#count += added
      return
    }
    const mask = this.#mask
    const shift = this.#shift
    let added = 0
    for (let e = 0; e < n; e++) {
      const lo = w[2 * e + LO]!
      const k = w[2 * e + HI]! * 4294967296 + lo
      let i = Math.imul(lo ^ (lo >>> 16), 0x9e3779b1) >>> shift
      for (;;) {
        const cur = keys[i]!
        if (cur === 0) {
          keys[i] = k
          sizes[i] = size
          added++
          break
        }
        if (cur === k) {
          sizes[i] = size
          break
        }
        i = (i + 1) & mask
      }
    }
    this.#count += added
  }

  /**
   * Forgets `n` addresses given as the 32-bit halves of a BigUint64Array's elements, all or none (for
   * `pool.freeMany`): at the first one not held (0, unknown, or a repeat of an earlier one) it puts back
   * the ones it took and returns that element's index.
   *
   * @param w - the elements as a Uint32Array (two halves each, in this machine's byte order)
   * @param n - how many elements
   * @param taken - receives the size of each element taken (length at least n)
   * @returns -1 when all were forgotten, else the index of the first element not held (none forgotten)
   */
  deleteMany(w: Uint32Array, n: number, taken: Float64Array): number {
    const keys = this.#keys
    const sizes = this.#sizes
    if (batch !== null && n >= C_BATCH_FROM && keys !== NO_SLOTS) {
      const bad = batch.tableDelete(keys, sizes, keys.length, w, n, taken)
      if (bad < -1) throw new Error('umf_batch_table_delete refused the size table') // cannot happen
      if (bad < 0) this.#count -= n
      return bad
    }
    const mask = this.#mask
    const shift = this.#shift
    for (let e = 0; e < n; e++) {
      const lo = w[2 * e + LO]!
      const k = w[2 * e + HI]! * 4294967296 + lo
      let i = Math.imul(lo ^ (lo >>> 16), 0x9e3779b1) >>> shift
      let found = k !== 0
      while (found) {
        const cur = keys[i]!
        if (cur === k) break
        if (cur === 0) found = false
        else i = (i + 1) & mask
      }
      if (!found) {
        this.#count -= e
        for (let j = 0; j < e; j++) this.setKey(w[2 * j + HI]! * 4294967296 + w[2 * j + LO]!, taken[j]!)
        return e
      }
      taken[e] = sizes[i]!
      this.#shiftOut(i)
    }
    this.#count -= n
    return -1
  }

  #find(ptr: bigint): number {
    u64[0] = ptr
    return this.#findKey(u32[HI]! * 4294967296 + u32[LO]!)
  }

  #findKey(k: number): number {
    if (k === 0) return -1 // 0 marks an empty slot
    const keys = this.#keys
    const mask = this.#mask
    let i = this.#slotOfLow(k >>> 0)
    for (;;) {
      const cur = keys[i]!
      if (cur === k) return i
      if (cur === 0) return -1
      i = (i + 1) & mask
    }
  }

  /**
   * The size recorded for an address.
   *
   * @param ptr - the address
   * @returns the size, or -1 when the address is not held
   */
  get(ptr: bigint): number {
    const i = this.#find(ptr)
    return i < 0 ? -1 : this.#sizes[i]!
  }

  /**
   * Forgets an address.
   *
   * @param ptr - the address
   * @returns its size, or -1 when it was not held
   */
  delete(ptr: bigint): number {
    return this.#deleteAt(this.#find(ptr))
  }

  /**
   * Forgets an address given as its {@link addressKey}.
   *
   * @param k - the address as a number
   * @returns its size, or -1 when it was not held
   */
  deleteKey(k: number): number {
    return this.#deleteAt(this.#findKey(k))
  }

  #deleteAt(i: number): number {
    if (i < 0) return -1
    const size = this.#sizes[i]!
    this.#shiftOut(i)
    this.#count--
    return size
  }

  /** Empties slot i (the count is the caller's): backward-shift deletion. */
  #shiftOut(i: number): void {
    const keys = this.#keys
    const sizes = this.#sizes
    const mask = this.#mask
    // backward-shift: move later members of the cluster into the hole when their home slot allows it
    let hole = i
    let j = (i + 1) & mask
    for (;;) {
      const kj = keys[j]!
      if (kj === 0) break
      const home = this.#slotOfKey(kj)
      // kj may move to the hole when the hole lies cyclically within [home, j)
      const fromHome = (j - home) & mask
      const fromHole = (j - hole) & mask
      if (fromHome >= fromHole) {
        keys[hole] = kj
        sizes[hole] = sizes[j]!
        hole = j
      }
      j = (j + 1) & mask
    }
    keys[hole] = 0
    sizes[hole] = 0
  }

  /**
   * The entry whose range [address, address + size) contains `ptr` (a linear scan: for the few, large
   * allocations of a provider, not for a pool's hot path).
   *
   * @param ptr - an address
   * @returns the entry's start (as a number) and size, or null
   */
  containing(ptr: bigint): { start: number; size: number } | null {
    const k = addressKey(ptr)
    const keys = this.#keys
    for (let i = 0; i < keys.length; i++) {
      const start = keys[i]!
      if (start !== 0 && start <= k && k < start + this.#sizes[i]!) return { start, size: this.#sizes[i]! }
    }
    return null
  }

  /**
   * Calls `f` for every address held.
   *
   * @param f - given the address and its size
   */
  forEach(f: (ptr: bigint, size: number) => void): void {
    const keys = this.#keys
    for (let i = 0; i < keys.length; i++) if (keys[i] !== 0) f(BigInt(keys[i]!), this.#sizes[i]!)
  }

  /** Forgets every address and gives the arrays back (a destroyed pool keeps no memory here). */
  clear(): void {
    this.#keys = this.#sizes = NO_SLOTS
    this.#mask = NO_SLOTS.length - 1
    this.#shift = 32 - Math.log2(NO_SLOTS.length)
    this.#limit = 0
    this.#count = 0
  }

  #grow(): void {
    const oldKeys = this.#keys
    const oldSizes = this.#sizes
    const n = oldKeys === NO_SLOTS ? this.#initial : oldKeys.length * 2
    this.#keys = new Float64Array(n)
    this.#sizes = new Float64Array(n)
    this.#mask = n - 1
    this.#shift = 32 - Math.log2(n)
    this.#limit = n / 2
    this.#count = 0
    for (let i = 0; i < oldKeys.length; i++) {
      const k = oldKeys[i]!
      if (k !== 0) this.#insert(k, this.#slotOfKey(k), oldSizes[i]!)
    }
  }
}
