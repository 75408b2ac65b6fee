/**
 * Sharing pool memory with other processes (`umf/ipc.h`).
 *
 * The producer turns an address into the bytes of an IPC handle with {@link getIpcHandle} and sends them
 * to another process by any means (a pipe, a socket, a file, base64 in a message). The consumer opens
 * them through the {@link IpcHandler} of one of its own pools, whose provider can map memory of the
 * producer's kind (for the OS provider: one with `visibility: 'shared'`), and gets an
 * {@link OpenedIpcHandle}: the address of the same memory in its own address space and a zero-copy view
 * of it.
 *
 * ```ts
 * // producer
 * using provider = new OsMemoryProvider({ visibility: 'shared' })
 * using pool = new ProxyPool(provider)
 * const p = pool.malloc(4096)
 * const bytes = getIpcHandle(p)             // a Uint8Array: send it to the consumer
 *
 * // consumer
 * using provider = new OsMemoryProvider({ visibility: 'shared' })
 * using pool = new ProxyPool(provider)
 * using opened = IpcHandler.forPool(pool).open(bytes)
 * opened.view()[0] = 42                      // the producer sees it
 * ```
 *
 * Lifetimes, as in UMF:
 * - A handle describes the whole provider allocation holding the address (its base and size) plus the
 *   address's offset in it. The provider's part of it is made once per provider allocation and released
 *   when the producer frees that allocation, so the bytes stay valid exactly as long as the producer keeps
 *   the allocation (and, for memory the consumer reaches through the producer's file descriptor, as long
 *   as the producer process lives). {@link getIpcHandle} therefore copies the bytes and releases UMF's
 *   buffer (`umfPutIPCHandle`) at once: holding it would keep nothing else alive.
 * - With a named shm object (`shmName`), the consumer's first open unlinks the name, as UMF does (the
 *   object then lives as long as its mappings): from then on no process can open a handle of another
 *   allocation of that provider (`shm_open` fails with ENOENT). Use the anonymous fd (no `shmName`) for
 *   more than one allocation or more than one consumer.
 * - {@link OpenedIpcHandle.close} (`umfCloseIPCHandle`) releases one open. The mapping itself stays
 *   cached for the next open of the same handle; UMF unmaps it when the cache evicts it (the environment
 *   variable `UMF_MAX_OPENED_IPC_HANDLES`, read once when the library loads, bounds the cache; unset or 0
 *   means no bound) or when the consumer's pool is destroyed. A view must therefore not be touched after
 *   its handle is closed.
 * - An opened handle keeps its pool alive: `pool.destroy()` refuses while handles opened through it are
 *   open, and a forgotten opened handle is closed by the garbage collector.
 *
 * @module ipc
 */
import koffi from 'koffi'
import * as ffi from '../ffi/index.js'
import type { umf_ipc_handle_t, umf_ipc_handler_handle_t } from '../ffi/index.js'
import { check, guarded } from './errors.js'
import { UmfHandle } from './handle.js'
import { MemoryPool, type TypedArrayClass } from './memory_pool.js'
import { OsMemoryProvider } from './providers/os_memory_provider.js'
import { nativeBuffer } from './sizes.js'
import { describe, mappingProblem, toPtr } from './validate.js'

/** Bytes of the header every IPC handle starts with (`umf_ipc_data_t` up to the provider's data). */
export const IPC_HANDLE_HEADER_SIZE = 40

/**
 * The longest IPC handle {@link IpcHandler.open} accepts: the header plus 1 MiB of provider data (libumf
 * refuses providers asking for more).
 */
export const IPC_HANDLE_MAX_SIZE = IPC_HANDLE_HEADER_SIZE + (1 << 20)

/**
 * Extra zero bytes after a handle's bytes in the native copy given to C. A provider reads its own fixed
 * layout and then at most a bounded name (the OS provider: a shm name of at most 253 bytes); with this
 * margin a handle cut short is read as zeros, never past the copy.
 */
const READ_MARGIN = 4096

/** `os_ipc_data_t` (UMF 1.1's layout, after the header): its fixed part, and where `size` and `shm_name_len` are. */
const OS_FIXED_SIZE = IPC_HANDLE_HEADER_SIZE + 40
const OS_SIZE_AT = IPC_HANDLE_HEADER_SIZE + 16
const OS_NAME_LEN_AT = IPC_HANDLE_HEADER_SIZE + 32

/**
 * Copies between native memory and typed arrays: libc's memcpy/memset through koffi (a typed array goes
 * by reference), which costs one koffi call, where `koffi.view()` or `koffi.decode()` of a byte array
 * costs several microseconds each (an external ArrayBuffer per call). Without a loadable glibc it falls
 * back to koffi.view.
 */
interface Copier {
  toArray(dst: Uint8Array, src: bigint, n: number): void
  toNative(dst: bigint, src: Uint8Array, zeros: number): void
}

function makeCopier(): Copier {
  try {
    const libc = koffi.load('libc.so.6')
    const memcpy = libc.func('void *memcpy(void *dst, const void *src, size_t n)')
    const memset = libc.func('void *memset(void *dst, int c, size_t n)')
    return {
      toArray: (dst, src, n) => void memcpy(dst, src, n),
      toNative: (dst, src, zeros) => {
        if (src.length > 0) memcpy(dst, src, src.length)
        if (zeros > 0) memset(dst + BigInt(src.length), 0, zeros)
      },
    }
  } catch {
    return {
      toArray: (dst, src, n) => dst.set(new Uint8Array(koffi.view(src, n))),
      toNative: (dst, src, zeros) => {
        const v = new Uint8Array(koffi.view(dst, src.length + zeros))
        v.set(src)
        v.fill(0, src.length)
      },
    }
  }
}

let copier: Copier | null = null
const copy = (): Copier => (copier ??= makeCopier())

/**
 * Native memory the bytes of a handle being opened are copied into, reused (JavaScript is one thread).
 * Past `scratchUsed` it holds zeros.
 */
let scratch: bigint | null = null
let scratchSize = 0
let scratchUsed = 0

/** Copies bytes into the scratch memory, followed by at least `zeros` zero bytes; returns its address. */
function toScratch(b: Uint8Array, zeros: number): bigint {
  const n = b.length + zeros
  if (scratch === null || scratchSize < n) {
    if (scratch !== null) koffi.free(scratch)
    scratch = null
    const size = Math.max(n, 8192)
    const p = koffi.alloc('uint8_t', size) as bigint
    copy().toNative(p, new Uint8Array(0), size)
    scratch = p
    scratchSize = size
    scratchUsed = 0
  }
  // only the bytes the last handle left past this one's end need zeroing
  copy().toNative(scratch, b, Math.max(0, scratchUsed - b.length))
  scratchUsed = b.length
  return scratch
}

/** A little-endian 64-bit number of a byte array, or -1 when it is 2^32 or more. */
function smallU64(b: Uint8Array, at: number): number {
  if ((b[at + 4]! | b[at + 5]! | b[at + 6]! | b[at + 7]!) !== 0) return -1
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000
}

function sameBytes(b: Uint8Array, x: number, y: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (b[x + i] !== b[y + i]) return false
  return true
}

/** What the header of an IPC handle says (`umf_ipc_data_t`, the first 40 bytes, little-endian). */
export interface IpcHandleHeader {
  /** A number unique to the producer's provider allocation (never 0 in a real handle). */
  readonly handleId: bigint
  /** The base address of that provider allocation in the producer. */
  readonly base: bigint
  /** The producer's process id. */
  readonly pid: number
  /** The size of that provider allocation. */
  readonly baseSize: bigint
  /** Where the handle's address lies in the allocation. */
  readonly offset: bigint
}

function checkBytes(bytes: unknown, what: string): Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`${what} must be a Uint8Array (or Buffer) of IPC handle bytes, got ${describe(bytes)}`)
  }
  if (bytes.length < IPC_HANDLE_HEADER_SIZE + 1) {
    throw new RangeError(
      `${what} is ${bytes.length} bytes: too short for an IPC handle, which is a ${IPC_HANDLE_HEADER_SIZE}-byte ` +
        "header followed by the provider's data (truncated in transit?)",
    )
  }
  if (bytes.length > IPC_HANDLE_MAX_SIZE) {
    throw new RangeError(`${what} is ${bytes.length} bytes: longer than any IPC handle (at most ${IPC_HANDLE_MAX_SIZE})`)
  }
  return bytes
}

/**
 * Reads the header of IPC handle bytes. Nothing here is checked against the producer: these are only the
 * bytes' claims (use it for diagnostics, e.g. which process a handle comes from).
 *
 * @param bytes - the handle's bytes, as {@link getIpcHandle} returned them
 * @returns the header's fields
 * @throws TypeError when bytes is not a Uint8Array; RangeError when it is shorter than an IPC handle
 */
export function readIpcHandleHeader(bytes: Uint8Array): IpcHandleHeader {
  const b = checkBytes(bytes, 'bytes')
  const dv = new DataView(b.buffer, b.byteOffset, IPC_HANDLE_HEADER_SIZE)
  return {
    handleId: dv.getBigUint64(0, true),
    base: dv.getBigUint64(8, true),
    pid: dv.getInt32(16, true),
    baseSize: dv.getBigUint64(24, true),
    offset: dv.getBigUint64(32, true),
  }
}

/**
 * The size of the IPC handles of a pool's allocations (`umfPoolGetIPCHandleSize`): the 40-byte header
 * plus what the pool's provider needs. Handles of another process's pool may differ in length (the OS
 * provider's handles carry the producer's shm name).
 *
 * @param pool - the pool
 * @returns bytes
 * @throws UmfError `UMF_RESULT_ERROR_INVALID_ARGUMENT` for a provider that cannot share its memory (an OS
 *   provider without `visibility: 'shared'`), `UMF_RESULT_ERROR_NOT_SUPPORTED` for one without IPC
 */
export function ipcHandleSize(pool: MemoryPool): number {
  const h = poolHandle(pool)
  const out: [number | bigint | null] = [null]
  const rc = guarded(() => ffi.umfPoolGetIPCHandleSize(h, out))
  check(rc, 'umfPoolGetIPCHandleSize')
  return Number(out[0])
}

function poolHandle(pool: unknown): ffi.umf_memory_pool_handle_t {
  if (!(pool instanceof MemoryPool)) throw new TypeError(`pool must be a MemoryPool, got ${describe(pool)}`)
  return pool.handle
}

/**
 * The IPC handle of an address, as bytes to send to another process (`umfGetIPCHandle`, the bytes
 * copied, then `umfPutIPCHandle`).
 *
 * The address may be anywhere inside an allocation of a tracked pool; the handle describes the whole
 * provider allocation holding it and where the address is in it. The bytes stay valid while the
 * allocation is live (see the module notes); asking again for the same allocation is cheap (UMF caches
 * the provider's part).
 *
 * @param ptr - an address in memory of a tracked pool
 * @returns a copy of the handle's bytes, which the caller owns
 * @throws TypeError for an argument that is not a bigint address; UmfError
 *   `UMF_RESULT_ERROR_INVALID_ARGUMENT` for an address of no tracked pool or of a provider that cannot
 *   share its memory (e.g. an OS provider with private visibility), `UMF_RESULT_ERROR_NOT_SUPPORTED` for a
 *   provider without IPC
 */
export function getIpcHandle(ptr: bigint): Uint8Array {
  const p = toPtr(ptr, 'ptr')
  const handle: [umf_ipc_handle_t | null] = [null]
  const size: [number | bigint | null] = [null]
  const rc = guarded(() => ffi.umfGetIPCHandle(p, handle, size))
  check(rc, 'umfGetIPCHandle')
  const h = handle[0]!
  try {
    const n = Number(size[0])
    if (!Number.isSafeInteger(n) || n < IPC_HANDLE_HEADER_SIZE || n > IPC_HANDLE_MAX_SIZE) {
      throw new RangeError(`umfGetIPCHandle returned an implausible handle size ${String(size[0])}`)
    }
    const out = new Uint8Array(n)
    copy().toArray(out, h, n)
    return out
  } finally {
    check(ffi.umfPutIPCHandle(h), 'umfPutIPCHandle')
  }
}

const handlers = new WeakMap<MemoryPool, IpcHandler>()

/** Whether a pool's provider is UMF's OS provider: an {@link OsMemoryProvider}, or a provider named "OS". */
function isOsProvider(pool: MemoryPool, h: ffi.umf_memory_pool_handle_t): boolean {
  if (pool.provider instanceof OsMemoryProvider) return true
  const prov: [ffi.umf_memory_provider_handle_t | null] = [null]
  if (ffi.umfPoolGetMemoryProvider(h, prov) !== ffi.UMF_RESULT_SUCCESS || prov[0] === null) return false
  const name: [string | null] = [null]
  return ffi.umfMemoryProviderGetName(prov[0], name) === ffi.UMF_RESULT_SUCCESS && name[0] === 'OS'
}

/**
 * The IPC handler of a pool (`umfPoolGetIPCHandler`): opens IPC handles of other processes into this
 * process, through the pool's provider. It lives as long as its pool; once the pool is destroyed every
 * method throws {@link DestroyedError}.
 */
export class IpcHandler {
  /** The pool whose provider maps the opened memory. */
  readonly pool: MemoryPool
  readonly #handler: umf_ipc_handler_handle_t
  /** The pool's own handle size, when it has one: how much a provider may read (0 when unknown). */
  readonly #ownSize: number
  /** Whether the pool's provider is the OS provider, whose handles vary in length (see #checkLength). */
  readonly #osLayout: boolean

  private constructor(pool: MemoryPool, handler: umf_ipc_handler_handle_t, ownSize: number, osLayout: boolean) {
    this.pool = pool
    this.#handler = handler
    this.#ownSize = ownSize
    this.#osLayout = osLayout
  }

  /**
   * The handler of a pool (one object per pool).
   *
   * @param pool - the pool to open handles with
   * @returns its handler
   * @throws TypeError for a pool that is not a MemoryPool; DestroyedError for a destroyed pool
   */
  static forPool(pool: MemoryPool): IpcHandler {
    const h = poolHandle(pool)
    const known = handlers.get(pool)
    if (known !== undefined) return known
    const out: [umf_ipc_handler_handle_t | null] = [null]
    check(ffi.umfPoolGetIPCHandler(h, out), 'umfPoolGetIPCHandler')
    const size: [number | bigint | null] = [null]
    const rc = guarded(() => ffi.umfPoolGetIPCHandleSize(h, size))
    const own = rc === ffi.UMF_RESULT_SUCCESS && Number(size[0]) <= IPC_HANDLE_MAX_SIZE ? Number(size[0]) : 0
    const handler = new IpcHandler(pool, out[0]!, own, isOsProvider(pool, h))
    handlers.set(pool, handler)
    return handler
  }

  /** The raw handler, for ffi/ (`umfOpenIPCHandle`). @throws DestroyedError once the pool is destroyed */
  get handle(): umf_ipc_handler_handle_t {
    void this.pool.handle // throws DestroyedError for a dead pool
    return this.#handler
  }

  /**
   * Checks the length of handle bytes against what this pool's provider reads, when it is known: a handle
   * cut short (or with bytes appended) must not reach C, which has no length to check against.
   */
  #checkLength(b: Uint8Array): void {
    const own = this.#ownSize
    if (own === 0) return // the provider has no IPC handle size: libumf refuses the open itself
    if (this.#osLayout) {
      // the OS provider's part carries the producer's shm name, whose length it states (os_ipc_data_t)
      const nameLen = b.length >= OS_NAME_LEN_AT + 8 ? smallU64(b, OS_NAME_LEN_AT) : -1
      const expected = nameLen < 0 || nameLen > 255 ? -1 : OS_FIXED_SIZE + nameLen + 1
      if (b.length !== expected) {
        throw new RangeError(
          `bytes is ${b.length} bytes, but an IPC handle of the OS provider ` +
            (expected < 0 ? 'is longer and states a shm name of at most 255 bytes' : `with that shm name is ${expected}`) +
            ' (truncated or damaged in transit?)',
        )
      }
      // the size the provider maps must be the size the header tells (libumf tracks and unmaps the latter)
      if (!sameBytes(b, OS_SIZE_AT, 24, 8)) {
        throw new RangeError("bytes is not a consistent IPC handle: the header's size differs from the provider's")
      }
      return
    }
    if (b.length !== own) {
      throw new RangeError(
        `bytes is ${b.length} bytes, but the IPC handles of this pool's provider are ${own} bytes (truncated in transit?)`,
      )
    }
  }

  /**
   * Maps the memory an IPC handle describes (`umfOpenIPCHandle`).
   *
   * The bytes' length is checked here, before anything reaches C: it must be the length of this pool's
   * provider's handles (for the OS provider: its fixed part plus the shm name the handle states, and the
   * header's size must be the provider's). The bytes are then copied into native memory (with zeros after
   * them, so C never reads past the copy); their content is checked by libumf, which refuses a malformed
   * handle with `UMF_RESULT_ERROR_INVALID_ARGUMENT`.
   *
   * @param bytes - the handle's bytes, as {@link getIpcHandle} returned them in the producer
   * @returns the opened handle: the address, the size from it to the end of the producer's allocation,
   *   views
   * @throws TypeError when bytes is not a Uint8Array; RangeError for a length no IPC handle has;
   *   DestroyedError once the pool is destroyed; UmfError from `umfOpenIPCHandle`:
   *   `UMF_RESULT_ERROR_INVALID_ARGUMENT` for a malformed handle or a provider that cannot open it (an OS
   *   provider with private visibility), `UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC` with the provider's
   *   native error when the memory is gone (e.g. the producer exited)
   */
  open(bytes: Uint8Array): OpenedIpcHandle {
    const b = checkBytes(bytes, 'bytes')
    const handler = this.handle
    this.#checkLength(b)
    const native = toScratch(b, Math.max(b.length, this.#ownSize) + READ_MARGIN - b.length)
    const out: [bigint | null] = [null]
    const rc = guarded(() => ffi.umfOpenIPCHandle(handler, native as umf_ipc_handle_t, out))
    check(rc, 'umfOpenIPCHandle')
    const ptr = out[0]!
    // the header is believed only now that libumf accepted the handle (it checks offset < baseSize)
    const hdr = readIpcHandleHeader(b)
    // a forged or damaged header can state more bytes than were mapped: views would then reach unmapped memory
    const bad = mappingProblem(ptr, ptr + (hdr.baseSize - hdr.offset))
    if (bad !== null) {
      ffi.umfCloseIPCHandle(ptr)
      throw new RangeError(`open: the handle states ${hdr.baseSize - hdr.offset} bytes, but they are not all mapped (${bad}); a forged or damaged handle?`)
    }
    return new OpenedIpcHandle(OPEN, this.pool, ptr, hdr)
  }
}

const OPEN: unique symbol = Symbol('OpenedIpcHandle')

/**
 * Memory of another process, opened from an IPC handle by {@link IpcHandler.open}. Close it with
 * {@link OpenedIpcHandle.close} (or `using`); the views it gave must not be touched after that.
 */
export class OpenedIpcHandle extends UmfHandle<bigint> {
  /** The address of the handle's memory in this process (what `umfOpenIPCHandle` returned). */
  readonly ptr: bigint
  /**
   * Bytes from {@link OpenedIpcHandle.ptr} to the end of the producer's provider allocation (what the
   * handle describes). A pool that carves many allocations from one provider allocation (disjoint,
   * jemalloc, scalable) makes this more than the allocation the handle was asked for: the producer must
   * send the allocation's size along when the consumer needs it.
   */
  readonly size: number
  /** The header of the handle it was opened from. */
  readonly header: IpcHandleHeader
  /** The pool it was opened through (kept alive, and not destroyable, while this is open). */
  readonly pool: MemoryPool

  /** @internal */
  constructor(token: typeof OPEN, pool: MemoryPool, ptr: bigint, header: IpcHandleHeader) {
    super()
    if (token !== OPEN) throw new TypeError('an OpenedIpcHandle is made by IpcHandler.open()')
    this.ptr = ptr
    this.pool = pool
    this.header = header
    this.size = Number(header.baseSize - header.offset)
    this.adopt(ptr, ffi.umfCloseIPCHandle, 'umfCloseIPCHandle', { parents: [pool], after: UmfHandle.depend([pool]) })
  }

  protected override describeSelf(): string {
    return `OpenedIpcHandle 0x${this.ptr.toString(16)}`
  }

  /** Closes the handle (`umfCloseIPCHandle`), like destroy(). A second call does nothing. */
  close(): void {
    this.destroy()
  }

  /** Whether {@link OpenedIpcHandle.close} was called. */
  get closed(): boolean {
    return !this.alive
  }

  /**
   * A zero-copy `Uint8Array` over the opened memory (koffi.view).
   *
   * @param length - bytes, at most {@link OpenedIpcHandle.size} (default: all of it)
   * @returns the view
   * @throws DestroyedError after close(); RangeError for a length past the memory
   */
  view(length?: number): Uint8Array {
    const p = this.handle
    this.#checkHostAccessible('view')
    const n = length === undefined ? this.size : length
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > this.size) {
      throw new RangeError(`view: length must be an integer from 0 to the handle's ${this.size} bytes, got ${String(length)}`)
    }
    return new Uint8Array(nativeBuffer(p, n, 'view'))
  }

  /**
   * A zero-copy typed array over the opened memory, e.g. `opened.viewAs(Int32Array, 1)`.
   *
   * @param type - the typed-array class
   * @param count - elements (default: as many as fit)
   * @returns the typed array
   * @throws DestroyedError after close(); TypeError or RangeError for bad arguments
   */
  /** Refuses a view of memory the CPU cannot touch (CUDA device memory): reading it would crash. */
  #checkHostAccessible(op: string): void {
    const why = this.pool.provider.notHostAccessible
    if (why !== undefined) throw new TypeError(`${op}: no view of this opened memory: ${why}`)
  }

  viewAs<T extends TypedArrayClass>(type: T, count?: number): InstanceType<T> {
    const p = this.handle
    this.#checkHostAccessible('viewAs')
    const bpe = (type as { BYTES_PER_ELEMENT?: unknown })?.BYTES_PER_ELEMENT
    if (typeof type !== 'function' || typeof bpe !== 'number' || !(type.prototype instanceof Object.getPrototypeOf(Uint8Array))) {
      throw new TypeError(`viewAs: type must be a typed-array class, got ${describe(type)}`)
    }
    if (p % BigInt(bpe) !== 0n) throw new RangeError(`viewAs: 0x${p.toString(16)} is not aligned to ${bpe} bytes`)
    const max = Math.floor(this.size / bpe)
    const n = count === undefined ? max : count
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > max) {
      throw new RangeError(`viewAs: count must be an integer from 0 to ${max}, got ${String(count)}`)
    }
    return new type(nativeBuffer(p, n * bpe, 'viewAs')) as InstanceType<T>
  }
}
