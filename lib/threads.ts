/**
 * What lib/ shares between the threads of a process (worker_threads): a registry of the pools and
 * providers of worker threads, of shared pools and of pools with TypeScript code (with their CTL name), with
 * their owner thread, their adopters and their state, and the size tables of shared pools. See docs/workers.md for the model; this module is the machinery.
 *
 * Every thread (isolate) loads its own copy of lib/, but libumf and its handles are one per process. The
 * registry is a SharedArrayBuffer that the first thread to load lib/ publishes with
 * `worker_threads.setEnvironmentData`, so every worker started after that finds the same one. A thread is
 * known by its Linux thread id, and it is alive while `/proc/self/task/<tid>` exists: a terminated worker
 * runs no JavaScript at all (no `exit` listener, no finalizer), so the other threads notice its end
 * themselves ({@link sweepExitedThreads}).
 *
 * @internal
 * @module threads
 */
import fs from 'node:fs'
import { getEnvironmentData, isMainThread, setEnvironmentData } from 'node:worker_threads'

const KEY = 'umf.lib.threads.v2'

/** A growable SharedArrayBuffer (Node 20+; TypeScript's ES2022 library does not describe it yet). */
type GrowableSAB = SharedArrayBuffer & { grow(bytes: number): void; readonly maxByteLength: number }
const GrowableSAB = SharedArrayBuffer as unknown as new (bytes: number, options: { maxByteLength: number }) => GrowableSAB

/** Int32 words of the header and of one slot. */
const HEADER = 8
const SLOT = 34
const MAX_SLOTS = 1 << 20
// header words
const H_LOCK = 0 // tid of the thread holding the registry lock, 0 when free
const H_USED = 1 // slots ever handed out (the high-water mark)
const H_FREE = 2 // 1 + index of the first free slot, 0 when none
const H_ID = 3 // a random non-zero number naming this registry (a buffer received by postMessage is another object)
const H_SEQ = 4 // the sequence number of the last registration (orders pools of one name as C does: by age)
// slot words
const S_STATE = 0
const S_OWNER = 1 // tid of the owner thread; for a free slot: 1 + next free slot
const S_FLAGS = 2
const S_H_LO = 3
const S_H_HI = 4
const S_P_LO = 5 // for a pool: its provider's handle
const S_P_HI = 6
const S_GEN = 7 // bumped each time the slot is handed out: a token names slot and generation
const S_ADOPTERS = 8 // 8 words: tids of the threads that adopted the pool (0: none)
const ADOPTER_SLOTS = 8
const S_SEQ = 16 // its registration's sequence number
const S_NAME = 17 // 16 words: for a pool, the name C knows it by for CTL by_name (ASCII, NUL-padded; '' when none)
/** The longest name C keeps for by_name (its entries hold 64 bytes with the NUL). */
const NAME_BYTES = 63

/** States of a slot. */
export const FREE = 0
export const LIVE = 1
/** The owner thread ended (or dropped the pool) while other threads had adopted it: the last one destroys it. */
export const ORPHANED = 2
/** The owner thread ended and the object runs TypeScript code of that thread: unusable, never freed. */
export const DEAD = 3

/** Flags of a slot. */
export const F_JS = 1 // TypeScript code (pool ops or provider ops) runs in its calls
export const F_PROVIDER = 2 // a provider (else a pool)
export const F_SHARED = 4 // share() was called: its allocations may be freed in other threads

function readTid(): number {
  try {
    const link = fs.readlinkSync('/proc/thread-self') // "<pid>/task/<tid>"
    const tid = Number(link.slice(link.lastIndexOf('/') + 1))
    return Number.isSafeInteger(tid) && tid > 0 ? tid : 0
  } catch {
    return 0
  }
}

/** This thread's Linux thread id (0 where /proc is not there: then nothing here is tracked). */
export const myTid: number = readTid()

/** Set while this thread's `exit` listener runs: it then counts as ended. */
let exiting = 0

/**
 * Whether a thread of this process is still running.
 *
 * @param tid - its Linux thread id
 * @returns true while it runs
 */
export function threadAlive(tid: number): boolean {
  if (tid === exiting) return false
  if (tid === myTid) return true
  try {
    fs.statSync(`/proc/self/task/${tid}`)
    return true
  } catch {
    return false
  }
}

function openRegistry(): GrowableSAB | null {
  if (myTid === 0) return null
  const found = getEnvironmentData(KEY)
  if (found instanceof SharedArrayBuffer) return found as GrowableSAB
  const sab = new GrowableSAB((HEADER + 64 * SLOT) * 4, { maxByteLength: (HEADER + MAX_SLOTS * SLOT) * 4 })
  new Int32Array(sab)[H_ID] = (Math.random() * 0x7fffffff) | 1
  setEnvironmentData(KEY, sab)
  return sab
}

const sab = openRegistry()
// a length-tracking view: it sees the buffer grow when another thread grows it
const reg = sab === null ? new Int32Array(0) : new Int32Array(sab)

/** Whether this thread takes part (Linux with /proc). */
export const tracked: boolean = sab !== null

/** The registry buffer, carried in share tokens (a thread started before lib/ was loaded has another). */
export function registryBuffer(): SharedArrayBuffer | null {
  return sab
}

/**
 * Whether a buffer (from a token) is this thread's registry: the same memory, whatever JS object holds it.
 *
 * @param b - the buffer
 * @returns true when it is
 */
export function isThisRegistry(b: SharedArrayBuffer): boolean {
  return sab !== null && b.byteLength >= HEADER * 4 && new Int32Array(b, 0, HEADER)[H_ID] === reg[H_ID]
}

/**
 * Runs `body` under the registry's lock. A thread that was terminated while holding it does not block
 * the others: its lock is taken over once it is gone.
 *
 * @param body - the work
 * @returns what it returned
 */
export function locked<T>(body: () => T): T {
  for (;;) {
    const holder = Atomics.compareExchange(reg, H_LOCK, 0, myTid)
    if (holder === 0) break
    if (holder === myTid) throw new Error('lib/ registry lock taken twice by one thread')
    if (Atomics.wait(reg, H_LOCK, holder, 2) === 'timed-out' && !threadAlive(holder)) {
      Atomics.compareExchange(reg, H_LOCK, holder, 0)
    }
  }
  try {
    return body()
  } finally {
    Atomics.store(reg, H_LOCK, 0)
    Atomics.notify(reg, H_LOCK, 1)
  }
}

function base(slot: number): number {
  return HEADER + slot * SLOT
}

function setHandle(i: number, lo: number, h: bigint): void {
  reg[i + lo] = Number(h & 0xffffffffn) | 0
  reg[i + lo + 1] = Number(h >> 32n) | 0
}

function getHandle(i: number, lo: number): bigint {
  return (BigInt(reg[i + lo + 1]! >>> 0) << 32n) | BigInt(reg[i + lo]! >>> 0)
}

/** Writes a name (ASCII: C's names are [A-Za-z0-9_-]) into a slot, cut as C cuts it. */
function setName(i: number, name: string): void {
  const n = name.length > NAME_BYTES ? name.slice(0, NAME_BYTES) : name
  for (let w = 0; w < 16; w++) {
    let word = 0
    for (let b = 0; b < 4; b++) {
      const c = 4 * w + b
      if (c < n.length) word |= (n.charCodeAt(c) & 0xff) << (8 * b)
    }
    reg[i + S_NAME + w] = word
  }
}

/** Whether a slot's name is `name` (as C compares: the stored, possibly cut, name against the whole query). */
function nameIs(i: number, name: string): boolean {
  if (name.length > NAME_BYTES) return false
  for (let c = 0; c <= NAME_BYTES; c++) {
    const byte = (reg[i + S_NAME + (c >> 2)]! >>> (8 * (c & 3))) & 0xff
    const want = c < name.length ? name.charCodeAt(c) : 0
    if (byte !== want) return false
    if (byte === 0) return true
  }
  return true
}

/** A registered object's slot and generation. */
export interface SlotRef {
  readonly slot: number
  readonly gen: number
}

/**
 * Records a pool or provider this thread owns.
 *
 * @param handle - its handle
 * @param flags - F_JS, F_PROVIDER
 * @param provider - for a pool: its provider's handle
 * @param name - for a pool: the name C's CTL knows it by (`umf.pool.by_name.<name>`), '' for none
 * @returns its slot, or null when nothing is tracked here (or the registry is full)
 */
export function register(handle: bigint, flags: number, provider: bigint = 0n, name = ''): SlotRef | null {
  if (!tracked) return null
  return locked(() => {
    let slot: number
    const free = reg[H_FREE]!
    if (free !== 0) {
      slot = free - 1
      reg[H_FREE] = reg[base(slot) + S_OWNER]!
    } else {
      slot = reg[H_USED]!
      if (slot >= MAX_SLOTS) return null
      const need = (HEADER + (slot + 1) * SLOT) * 4
      if (need > sab!.byteLength) sab!.grow(Math.min(sab!.maxByteLength, Math.max(need, sab!.byteLength * 2)))
      reg[H_USED] = slot + 1
    }
    const i = base(slot)
    reg[i + S_OWNER] = myTid
    reg[i + S_FLAGS] = flags
    setHandle(i, S_H_LO, handle)
    setHandle(i, S_P_LO, provider)
    const seq = (reg[H_SEQ]! + 1) | 0
    reg[H_SEQ] = seq
    reg[i + S_SEQ] = seq
    setName(i, name)
    const gen = (reg[i + S_GEN]! + 1) | 0
    reg[i + S_GEN] = gen
    for (let a = 0; a < ADOPTER_SLOTS; a++) reg[i + S_ADOPTERS + a] = 0
    Atomics.store(reg, i + S_STATE, LIVE)
    return { slot, gen }
  })
}

function freeSlotLocked(slot: number): void {
  const i = base(slot)
  reg[i + S_STATE] = FREE
  reg[i + S_OWNER] = reg[H_FREE]!
  reg[H_FREE] = slot + 1
}

function valid(ref: SlotRef): boolean {
  const i = base(ref.slot)
  return ref.slot < reg[H_USED]! && reg[i + S_GEN] === ref.gen && reg[i + S_STATE] !== FREE
}

/** Live adopter threads of a slot (dead ones are dropped on the way). */
function adoptersLocked(i: number): number {
  let n = 0
  for (let a = 0; a < ADOPTER_SLOTS; a++) {
    const t = reg[i + S_ADOPTERS + a]!
    if (t === 0) continue
    if (threadAlive(t)) n++
    else reg[i + S_ADOPTERS + a] = 0
  }
  return n
}

/**
 * Number of other threads that adopted a registered pool and are still running.
 *
 * @param ref - the pool's slot
 * @returns the count
 */
export function adopterCount(ref: SlotRef): number {
  return locked(() => (valid(ref) ? adoptersLocked(base(ref.slot)) : 0))
}

/**
 * Sets flags of a slot.
 *
 * @param ref - the slot
 * @param flags - flags to add
 */
export function addFlags(ref: SlotRef, flags: number): void {
  locked(() => {
    if (valid(ref)) reg[base(ref.slot) + S_FLAGS]! |= flags
  })
}

/**
 * The owner thread is done with an object (destroy(), a finalizer, the end of the thread).
 *
 * @param ref - its slot
 * @returns 'free' when the caller must free it in C now (no other thread holds it), 'kept' when adopters
 *   keep it (the last of them frees it)
 */
export function ownerDone(ref: SlotRef): 'free' | 'kept' {
  return locked(() => {
    if (!valid(ref)) return 'free'
    const i = base(ref.slot)
    if (adoptersLocked(i) > 0) {
      reg[i + S_STATE] = ORPHANED
      return 'kept'
    }
    freeSlotLocked(ref.slot)
    return 'free'
  })
}

/** What {@link adoptSlot} found. */
export interface Adopted {
  handle: bigint
  flags: number
}

/**
 * Adds this thread to the adopters of a shared pool.
 *
 * @param ref - slot and generation from the token
 * @param handle - the handle the token names
 * @returns the pool's handle and flags
 * @throws Error when the pool is gone, is not the one the token names, or has too many adopters
 */
export function adoptSlot(ref: SlotRef, handle: bigint): Adopted {
  return locked(() => {
    if (!valid(ref) || getHandle(base(ref.slot), S_H_LO) !== handle) {
      throw new Error('MemoryPool.adopt: the pool of this token was destroyed (or the token is not from this process)')
    }
    const i = base(ref.slot)
    const state = reg[i + S_STATE]!
    const owner = reg[i + S_OWNER]!
    if (state === DEAD) throw new Error('MemoryPool.adopt: the pool of this token belonged to a thread that has ended')
    if (state === LIVE && !threadAlive(owner)) {
      // its owner ended meanwhile: whoever adopts it keeps it alive (not an ORPHANED pool without adopters)
      reg[i + S_STATE] = ORPHANED
    }
    let free = -1
    for (let a = 0; a < ADOPTER_SLOTS; a++) {
      const t = reg[i + S_ADOPTERS + a]!
      if (t === myTid) return { handle, flags: reg[i + S_FLAGS]! }
      if (free < 0 && (t === 0 || !threadAlive(t))) free = a
    }
    if (free < 0) throw new Error(`MemoryPool.adopt: a pool can be adopted by at most ${ADOPTER_SLOTS} threads at a time`)
    reg[i + S_ADOPTERS + free] = myTid
    return { handle, flags: reg[i + S_FLAGS]! }
  })
}

/**
 * This thread ends its adoption of a pool.
 *
 * @param ref - the pool's slot
 * @returns true when the caller must now destroy the pool in C (its owner is gone, no adopter is left)
 */
export function unadoptSlot(ref: SlotRef): boolean {
  return locked(() => {
    if (!valid(ref)) return false
    const i = base(ref.slot)
    for (let a = 0; a < ADOPTER_SLOTS; a++) if (reg[i + S_ADOPTERS + a] === myTid) reg[i + S_ADOPTERS + a] = 0
    const state = reg[i + S_STATE]!
    const ownerGone = state === ORPHANED || (state === LIVE && !threadAlive(reg[i + S_OWNER]!))
    if (ownerGone && adoptersLocked(i) === 0) {
      freeSlotLocked(ref.slot)
      return true
    }
    return false
  })
}

/** What the registry says about a pool handle that this thread's lib/ does not hold. */
export interface ForeignPool {
  owner: number
  flags: number
  state: number
  ownerAlive: boolean
}

/**
 * Looks a pool handle up (a linear scan: for error paths only).
 *
 * @param handle - the handle
 * @returns what is known, or null for a handle lib/ did not create
 */
export function lookupPool(handle: bigint): ForeignPool | null {
  if (!tracked) return null
  return locked(() => {
    const used = reg[H_USED]!
    for (let s = 0; s < used; s++) {
      const i = base(s)
      const state = reg[i + S_STATE]!
      if (state === FREE || (reg[i + S_FLAGS]! & F_PROVIDER) !== 0) continue
      if (getHandle(i, S_H_LO) !== handle) continue
      const owner = reg[i + S_OWNER]!
      return { owner, flags: reg[i + S_FLAGS]!, state, ownerAlive: threadAlive(owner) }
    }
    return null
  })
}

/** A pool of the registry that C's CTL knows by a name: see {@link poolsNamed}. */
export interface NamedPool {
  owner: number
  flags: number
  state: number
  ownerAlive: boolean
}

/**
 * The registered pools C's CTL knows by a name, oldest first (the order of `umf.pool.by_name.<name>.<i>`
 * among them): those of worker threads and those with TypeScript code, in any thread. A linear scan: for
 * CTL queries by name only.
 *
 * @param name - the name
 * @returns them, oldest first
 */
export function poolsNamed(name: string): NamedPool[] {
  if (!tracked) return []
  return locked(() => {
    const used = reg[H_USED]!
    const found: { seq: number; pool: NamedPool }[] = []
    for (let s = 0; s < used; s++) {
      const i = base(s)
      const state = reg[i + S_STATE]!
      if (state === FREE || (reg[i + S_FLAGS]! & F_PROVIDER) !== 0 || !nameIs(i, name)) continue
      const owner = reg[i + S_OWNER]!
      found.push({ seq: reg[i + S_SEQ]!, pool: { owner, flags: reg[i + S_FLAGS]!, state, ownerAlive: threadAlive(owner) } })
    }
    // sequence numbers wrap at 2^32: compared as differences, they stay ordered for 2^31 registrations
    found.sort((a, b) => ((a.seq - b.seq) | 0))
    return found.map((f) => f.pool)
  })
}

/** The C functions {@link sweepExitedThreads} frees objects with (given by memory_pool.ts, no import cycle). */
export interface Destroyers {
  pool(handle: bigint): void
  provider(handle: bigint): void
}

let destroyers: Destroyers | null = null

/** @param d - the functions freeing a pool and a provider by handle */
export function setDestroyers(d: Destroyers): void {
  destroyers = d
}

/**
 * Frees what threads that have ended left behind: their pools that no live thread adopted (and then
 * their providers no pool uses any more). An object with TypeScript code of an ended thread cannot be
 * called any more, not even to be freed: it is marked DEAD (lib/ calls on it throw) and never freed.
 *
 * lib/ runs this now and then when a worker creates pools, and when a pool is shared or adopted; a program may
 * run it any time. A worker that ends normally (not by `terminate()`) does it for itself on `exit`.
 *
 * @returns how many pools and providers it freed
 */
export function sweepExitedThreads(): number {
  return sweep(false)
}

function sweep(self: boolean): number {
  if (!tracked || destroyers === null) return 0
  const d = destroyers
  const toFree: { handle: bigint; provider: boolean }[] = locked(() => {
    const used = reg[H_USED]!
    const out: { handle: bigint; provider: boolean }[] = []
    const alive = new Map<number, boolean>()
    const isAlive = (t: number): boolean => {
      let a = alive.get(t)
      if (a === undefined) alive.set(t, (a = threadAlive(t)))
      return a
    }
    const poolProviders = new Set<bigint>()
    const providers: number[] = []
    for (let s = 0; s < used; s++) {
      const i = base(s)
      const state = reg[i + S_STATE]!
      if (state === FREE || state === DEAD) continue
      const flags = reg[i + S_FLAGS]!
      if ((flags & F_PROVIDER) !== 0) {
        providers.push(s)
        continue
      }
      const ownerGone = state === ORPHANED || !isAlive(reg[i + S_OWNER]!)
      if (!ownerGone) {
        poolProviders.add(getHandle(i, S_P_LO))
        continue
      }
      if ((flags & F_JS) !== 0 && !(self && reg[i + S_OWNER] === myTid)) {
        reg[i + S_STATE] = DEAD
        poolProviders.add(getHandle(i, S_P_LO))
        continue
      }
      if (adoptersLocked(i) > 0) {
        reg[i + S_STATE] = ORPHANED
        poolProviders.add(getHandle(i, S_P_LO))
        continue
      }
      out.push({ handle: getHandle(i, S_H_LO), provider: false })
      freeSlotLocked(s)
    }
    for (const s of providers) {
      const i = base(s)
      if (isAlive(reg[i + S_OWNER]!)) continue
      const h = getHandle(i, S_H_LO)
      if (poolProviders.has(h)) continue
      if ((reg[i + S_FLAGS]! & F_JS) !== 0 && !(self && reg[i + S_OWNER] === myTid)) {
        reg[i + S_STATE] = DEAD
        continue
      }
      out.push({ handle: h, provider: true })
      freeSlotLocked(s)
    }
    return out
  })
  let n = 0
  // pools first: a provider is freed after the pools over it
  for (const o of toFree) {
    if (o.provider) continue
    try {
      d.pool(o.handle)
      n++
    } catch {
      // gone either way
    }
  }
  for (const o of toFree) {
    if (!o.provider) continue
    try {
      d.provider(o.handle)
      n++
    } catch {
      // gone either way
    }
  }
  return n
}

/** Whether this is a worker thread (its objects are registered so that others can free them). */
export const inWorker: boolean = !isMainThread

if (inWorker && tracked) {
  // a worker that ends normally frees its own pools and providers (TypeScript code still runs now), and
  // lets go of the pools it adopted; a terminated one runs nothing, and the other threads do it
  process.on('exit', () => {
    exiting = myTid
    try {
      sweep(true)
    } catch {
      // the thread ends either way
    }
  })
}

// ---- size tables shared between threads ----

// the halves of a BigUint64Array element seen through a Uint32Array (setMany/deleteMany)
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
const LO = LITTLE ? 0 : 1
const HI = LITTLE ? 1 : 0

/**
 * An address-to-size table in a SharedArrayBuffer, for a shared pool: every thread that holds the pool
 * records and checks its allocations here, under a lock in the buffer. Linear probing with
 * backward-shift deletion, as {@link SizeTable}; slower than it (the lock), so only shared pools use it.
 */
export class SharedSizeTable {
  /** [0] lock (tid), [1] count, [2] capacity: words of an Int32Array view */
  readonly #ctl: Int32Array
  /** keys and sizes, interleaved: a length-tracking view of a growable buffer */
  readonly #data: Float64Array
  readonly #dataBuf: GrowableSAB
  readonly #ctlBuf: SharedArrayBuffer

  constructor(buffers?: { ctl: SharedArrayBuffer; data: SharedArrayBuffer }) {
    if (buffers === undefined) {
      this.#ctlBuf = new SharedArrayBuffer(16)
      this.#dataBuf = new GrowableSAB(64 * 16, { maxByteLength: 1 << 30 })
      this.#ctl = new Int32Array(this.#ctlBuf)
      this.#ctl[2] = 64
    } else {
      this.#ctlBuf = buffers.ctl
      this.#dataBuf = buffers.data as GrowableSAB
      this.#ctl = new Int32Array(this.#ctlBuf)
    }
    this.#data = new Float64Array(this.#dataBuf)
  }

  /** The buffers, for a token. */
  get buffers(): { ctl: SharedArrayBuffer; data: SharedArrayBuffer } {
    return { ctl: this.#ctlBuf, data: this.#dataBuf }
  }

  #lock(): void {
    const c = this.#ctl
    for (;;) {
      const holder = Atomics.compareExchange(c, 0, 0, myTid || 1)
      if (holder === 0) return
      if (Atomics.wait(c, 0, holder, 2) === 'timed-out' && holder !== myTid && !threadAlive(holder)) {
        Atomics.compareExchange(c, 0, holder, 0)
      }
    }
  }

  #unlock(): void {
    Atomics.store(this.#ctl, 0, 0)
    Atomics.notify(this.#ctl, 0, 1)
  }

  static #home(k: number, cap: number): number {
    const lo = k % 4294967296
    return (Math.imul(lo ^ (lo >>> 16), 0x9e3779b1) >>> 0) & (cap - 1)
  }

  /** Number of addresses held. */
  get size(): number {
    return Atomics.load(this.#ctl, 1)
  }

  #insert(k: number, size: number): void {
    const cap = this.#ctl[2]!
    const d = this.#data
    let i = SharedSizeTable.#home(k, cap)
    for (;;) {
      const cur = d[2 * i]!
      if (cur === 0) {
        d[2 * i] = k
        d[2 * i + 1] = size
        this.#ctl[1]!++
        return
      }
      if (cur === k) {
        d[2 * i + 1] = size
        return
      }
      i = (i + 1) & (cap - 1)
    }
  }

  #find(k: number): number {
    const cap = this.#ctl[2]!
    const d = this.#data
    let i = SharedSizeTable.#home(k, cap)
    for (;;) {
      const cur = d[2 * i]!
      if (cur === k) return i
      if (cur === 0) return -1
      i = (i + 1) & (cap - 1)
    }
  }

  /**
   * Records (or replaces) the size of an address.
   *
   * @param ptr - the address
   * @param size - its size
   */
  set(ptr: bigint, size: number): void {
    this.setKey(Number(ptr), size)
  }

  /**
   * Records (or replaces) the size of an address given as a number (as {@link SizeTable.setKey}: what
   * the hot paths get from koffi).
   *
   * @param k - the address as a number (not 0)
   * @param size - its size
   */
  setKey(k: number, size: number): void {
    this.#lock()
    try {
      const cap = this.#ctl[2]!
      if (this.#ctl[1]! + 1 > cap / 2) this.#grow(cap * 2)
      this.#insert(k, size)
    } finally {
      this.#unlock()
    }
  }

  #grow(cap: number): void {
    const d = this.#data
    const old: number[] = []
    for (let i = 0; i < this.#ctl[2]!; i++) if (d[2 * i] !== 0) old.push(d[2 * i]!, d[2 * i + 1]!)
    this.#dataBuf.grow(cap * 16)
    d.fill(0)
    this.#ctl[2] = cap
    this.#ctl[1] = 0
    for (let j = 0; j < old.length; j += 2) this.#insert(old[j]!, old[j + 1]!)
  }

  /**
   * The size recorded for an address.
   *
   * @param ptr - the address
   * @returns the size, or -1
   */
  get(ptr: bigint): number {
    const k = Number(ptr)
    if (k === 0) return -1
    this.#lock()
    try {
      const i = this.#find(k)
      return i < 0 ? -1 : this.#data[2 * i + 1]!
    } finally {
      this.#unlock()
    }
  }

  /**
   * Forgets an address.
   *
   * @param ptr - the address
   * @returns its size, or -1 when it was not held
   */
  delete(ptr: bigint): number {
    return this.deleteKey(Number(ptr))
  }

  /**
   * Forgets an address given as a number (as {@link SizeTable.deleteKey}).
   *
   * @param k - the address as a number
   * @returns its size, or -1 when it was not held
   */
  deleteKey(k: number): number {
    if (k === 0) return -1
    this.#lock()
    try {
      return this.#deleteAt(this.#find(k))
    } finally {
      this.#unlock()
    }
  }

  /**
   * Records `n` addresses of the same size, given as the 32-bit halves of a BigUint64Array's elements
   * (as {@link SizeTable.setMany}, for `pool.mallocMany`), under one hold of the lock.
   *
   * @param w - the elements as a Uint32Array (two halves each, in this machine's byte order)
   * @param n - how many elements
   * @param size - their size
   */
  setMany(w: Uint32Array, n: number, size: number): void {
    this.#lock()
    try {
      let cap = this.#ctl[2]!
      while (this.#ctl[1]! + n > cap / 2) cap *= 2
      if (cap !== this.#ctl[2]) this.#grow(cap)
      for (let e = 0; e < n; e++) this.#insert(w[2 * e + HI]! * 4294967296 + w[2 * e + LO]!, size)
    } finally {
      this.#unlock()
    }
  }

  /**
   * Forgets `n` addresses given as the 32-bit halves of a BigUint64Array's elements, all or none (as
   * {@link SizeTable.deleteMany}, for `pool.freeMany`), under one hold of the lock: at the first one not
   * held (0, unknown, or a repeat) it puts back the ones it took and returns that element's index.
   *
   * @param w - the elements as a Uint32Array (two halves each, in this machine's byte order)
   * @param n - how many elements
   * @param taken - receives the size of each element taken (length at least n)
   * @returns -1 when all were forgotten, else the index of the first element not held (none forgotten)
   */
  deleteMany(w: Uint32Array, n: number, taken: Float64Array): number {
    this.#lock()
    try {
      for (let e = 0; e < n; e++) {
        const k = w[2 * e + HI]! * 4294967296 + w[2 * e + LO]!
        const size = k === 0 ? -1 : this.#deleteAt(this.#find(k))
        if (size < 0) {
          // put back what was taken (no growth needed: the table held them a moment ago)
          for (let j = 0; j < e; j++) this.#insert(w[2 * j + HI]! * 4294967296 + w[2 * j + LO]!, taken[j]!)
          return e
        }
        taken[e] = size
      }
      return -1
    } finally {
      this.#unlock()
    }
  }

  /** Empties slot i (backward-shift deletion); the lock is held. Returns its size, or -1 for i < 0. */
  #deleteAt(i: number): number {
    if (i < 0) return -1
    const d = this.#data
    const cap = this.#ctl[2]!
    const mask = cap - 1
    const size = d[2 * i + 1]!
    let hole = i
    let j = (i + 1) & mask
    for (;;) {
      const kj = d[2 * j]!
      if (kj === 0) break
      const home = SharedSizeTable.#home(kj, cap)
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        d[2 * hole] = kj
        d[2 * hole + 1] = d[2 * j + 1]!
        hole = j
      }
      j = (j + 1) & mask
    }
    d[2 * hole] = 0
    d[2 * hole + 1] = 0
    this.#ctl[1]!--
    return size
  }

  /**
   * The entry whose range contains `ptr` (a linear scan).
   *
   * @param ptr - an address
   * @returns its start and size, or null
   */
  containing(ptr: bigint): { start: number; size: number } | null {
    const k = Number(ptr)
    this.#lock()
    try {
      const d = this.#data
      for (let i = 0; i < this.#ctl[2]!; i++) {
        const start = d[2 * i]!
        if (start !== 0 && start <= k && k < start + d[2 * i + 1]!) return { start, size: d[2 * i + 1]! }
      }
      return null
    } finally {
      this.#unlock()
    }
  }

  /** Forgets every address (the pool is gone). */
  clear(): void {
    this.#lock()
    try {
      this.#data.fill(0)
      this.#ctl[1] = 0
    } finally {
      this.#unlock()
    }
  }
}
