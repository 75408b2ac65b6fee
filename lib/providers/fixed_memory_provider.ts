/**
 * The fixed memory provider (`umf/providers/provider_fixed_memory.h`): {@link FixedMemoryProvider}.
 *
 * @module providers/fixed_memory_provider
 */
import koffi from 'koffi'
import * as ffi from '../../ffi/index.js'
import type { umf_fixed_memory_provider_params_handle_t, umf_memory_pool_handle_t } from '../../ffi/index.js'
import {
  FixedMemoryProviderParamsSchema,
  FixedMemoryProviderWithSizeSchema,
  type FixedMemoryProviderParams,
  type FixedMemoryProviderParamsParsed,
  type FixedMemoryProviderWithSizeOptions,
} from '../config/fixed_memory_provider.js'
import { parseConfig } from '../config/parse.js'
import { UmfError, check } from '../errors.js'
import { UmfHandle } from '../handle.js'
import { MemoryPool } from '../memory_pool.js'
import { MemoryProvider, buildParamsHandle, type ParamsHandle } from '../memory_provider.js'
import { describe, mappingProblem, toSize, type Size } from '../validate.js'
import { OsMemoryProvider } from './os_memory_provider.js'

const hex = (p: bigint) => `0x${p.toString(16)}`

// ---- memory the provider allocates for the caller (withSize) ----

function freeBuffer(raw: bigint): number {
  koffi.free(raw)
  return ffi.UMF_RESULT_SUCCESS
}

/**
 * A koffi.alloc'ed buffer owned by a {@link FixedMemoryProvider} made by `withSize()`. It is a parent of
 * the provider's handle: it is freed after the provider (by `destroy()`, or by the finalizer once the
 * provider is gone), never before.
 */
class FixedProviderBuffer extends UmfHandle<bigint> {
  /** The page-aligned start handed to C. */
  readonly ptr: bigint

  constructor(size: number, page: number) {
    super()
    // koffi.alloc counts elements (at most 2^31 - 1 of them): allocate 8-byte words, one page more
    const words = Math.ceil((size + page) / 8)
    if (words > 0x7fffffff) {
      throw new RangeError(`FixedMemoryProvider.withSize: ${size} bytes is more than koffi.alloc can give (16 GiB)`)
    }
    const raw = koffi.alloc('uint64_t', words) as bigint | null
    if (raw === null || raw === 0n) throw new UmfError(ffi.UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY, 'koffi.alloc')
    this.adopt(raw, freeBuffer, 'koffi.free')
    const p = BigInt(page)
    this.ptr = ((raw + p - 1n) / p) * p
  }

  protected override describeSelf(): string {
    return 'the memory of a FixedMemoryProvider'
  }
}

let pageSize = 0

/** The system page size, as UMF sees it (the OS provider's minimum page size). */
function systemPage(): number {
  if (pageSize === 0) {
    const os = new OsMemoryProvider()
    try {
      pageSize = os.minPageSize()
    } finally {
      os.destroy()
    }
  }
  return pageSize
}

// ---- checks of memory the caller brings ----

/** The handle of the UMF pool that tracks an address, or null. */
function trackingPool(ptr: bigint): umf_memory_pool_handle_t | null {
  const out: [umf_memory_pool_handle_t | null] = [null]
  return ffi.umfPoolByPtr(ptr, out) === ffi.UMF_RESULT_SUCCESS ? out[0] : null
}

function poolName(h: umf_memory_pool_handle_t): string {
  const out: [string | null] = [null]
  return ffi.umfPoolGetName(h, out) === ffi.UMF_RESULT_SUCCESS ? `"${out[0] ?? ''}"` : '(unnamed)'
}

/** Checks that [ptr, ptr + size) is memory the caller can vouch for; throws otherwise. */
function checkMemory(p: FixedMemoryProviderParamsParsed, internal: boolean): void {
  const start = p.ptr
  const size = BigInt(p.size)
  const end = start + size
  const range = `[${hex(start)}, ${hex(end)})`
  const owner = p.owner
  if (owner !== undefined && !internal) {
    if (!(owner instanceof MemoryPool) && !(owner instanceof MemoryProvider)) {
      throw new TypeError(`owner must be the MemoryPool or MemoryProvider the memory comes from, got ${describe(owner)}`)
    }
    void owner.handle // a destroyed or moved owner throws DestroyedError here
    if (owner instanceof MemoryPool) {
      const n = owner.allocationSize(start)
      if (n === undefined) {
        throw new RangeError(
          `FixedMemoryProvider: ptr ${hex(start)} is not the start of a live allocation of the owner pool "${owner.name}"`,
        )
      }
      if (size > BigInt(n)) {
        throw new RangeError(
          `FixedMemoryProvider: size ${size} is larger than the owner pool's allocation at ${hex(start)} (${n} bytes)`,
        )
      }
    }
  }
  const bad = mappingProblem(start, end)
  if (bad !== null) {
    throw new RangeError(
      `FixedMemoryProvider: the memory ${range} is not usable: ${bad}. Give memory this process owns and keeps ` +
        'mapped for the provider\'s life (koffi.alloc, a pool allocation with owner: pool), or use FixedMemoryProvider.withSize(n)',
    )
  }
  if (owner === undefined) {
    for (const a of [start, end - 1n]) {
      const h = trackingPool(a)
      if (h !== null) {
        const lib = MemoryPool.byHandle(h)
        throw new RangeError(
          `FixedMemoryProvider: ${hex(a)} belongs to the UMF pool ${lib !== null ? `"${lib.name}"` : poolName(h)}; ` +
            'pass owner: <that pool> (with ptr the start of its allocation) so that it stays alive while the provider uses it',
        )
      }
    }
  }
}

function buildParams(p: FixedMemoryProviderParamsParsed): ParamsHandle {
  const params = buildParamsHandle(
    (out: [umf_fixed_memory_provider_params_handle_t | null]) => ffi.umfFixedMemoryProviderParamsCreate(p.ptr, p.size, out),
    'umfFixedMemoryProviderParamsCreate',
    ffi.umfFixedMemoryProviderParamsDestroy,
    (h) => {
      if (p.name !== undefined) check(ffi.umfFixedMemoryProviderParamsSetName(h, p.name), 'umfFixedMemoryProviderParamsSetName')
    },
    p.owner !== undefined ? [p.owner] : [],
  )
  // the owner's allocation is the provider's memory: its free() is refused until the provider is freed
  const owner = p.owner as unknown
  if (owner instanceof MemoryPool) return { ...params, release: owner.lend(p.ptr) }
  if (owner instanceof MemoryProvider && !(owner instanceof FixedMemoryProvider)) {
    try {
      return { ...params, release: owner.lend(p.ptr) }
    } catch {
      return params // memory within (not at the start of) one of its allocations: nothing to lend
    }
  }
  return params
}

let pendingBuffer: FixedProviderBuffer | undefined

/** The memory of the fixed providers this program created, for the overlap check. */
interface Region {
  start: bigint
  end: bigint
  provider: WeakRef<FixedMemoryProvider>
}
const regions = new Set<Region>()

/** Throws when [start, end) overlaps the memory of a live fixed provider (one that is neither destroyed nor moved). */
function checkOverlap(start: bigint, end: bigint): void {
  for (const r of regions) {
    const other = r.provider.deref()
    if (other === undefined || (!other.alive && !other.moved)) {
      regions.delete(r)
      continue
    }
    // a provider moved to a pool is in use until that pool is destroyed, which lib/ cannot see from here:
    // it is left out of the check rather than refusing memory that may be free again
    if (other.alive && start < r.end && r.start < end) {
      throw new RangeError(
        `FixedMemoryProvider: the memory [${hex(start)}, ${hex(end)}) overlaps that of the live fixed ` +
          `provider "${other.name}" [${hex(r.start)}, ${hex(r.end)}); two providers would hand out the same bytes`,
      )
    }
  }
}

/**
 * The fixed memory provider: pieces of one region of memory that already exists, handed out by UMF's
 * coarse allocator. Allocations past the region's end fail with {@link UmfError}
 * `UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY`; nothing is ever mapped or unmapped.
 *
 * ```ts
 * using provider = FixedMemoryProvider.withSize(1 << 20)   // 1 MiB that the provider owns
 * using pool = new ProxyPool(provider)
 *
 * using os = new OsMemoryProvider()
 * using osPool = new ProxyPool(os)
 * const region = osPool.malloc(1 << 20)
 * using inner = new FixedMemoryProvider({ ptr: region, size: 1 << 20, owner: osPool })
 * ```
 *
 * **The memory contract.** C keeps `ptr` for the provider's whole life, so the memory must be native
 * memory that stays mapped, at the same address, and used by nothing else, until the provider is
 * destroyed (and so until every pool over it is destroyed). That rules out JavaScript buffers (ArrayBuffer,
 * typed arrays, Buffer): koffi passes them to C as pointers valid for one call only, so they are refused.
 * Three ways to give memory:
 * - {@link FixedMemoryProvider.withSize}: the provider allocates page-aligned memory (koffi.alloc) and
 *   frees it after the provider is destroyed;
 * - `{ ptr, size, owner }` with memory from a {@link MemoryPool} (`ptr` the start of one of its live
 *   allocations, `size` at most its size) or a {@link MemoryProvider} (`provider.alloc`): the provider
 *   keeps the owner alive, and the owner's `destroy()` is refused while the provider lives. Do not free
 *   the allocation while the provider lives;
 * - `{ ptr, size }` with memory the program owns otherwise (koffi.alloc, a native library): the program
 *   vouches for it and keeps it alive.
 *
 * Before anything reaches C the constructor checks what it can: `ptr` is a non-NULL `bigint` and
 * `ptr + size` stays within 2^64; the whole range is mapped readable and writable in this process
 * (/proc/self/maps); without `owner`, neither end of the range lies in memory of a UMF pool (such memory
 * would be freed behind the provider's back); with a pool as `owner`, the range lies within one of its
 * allocations; and the range overlaps no live fixed provider's memory (one moved to a pool with
 * `ownProvider` is not seen by this check).
 * Page-aligned memory works best: allocations are page-aligned by default, so a region with no page
 * boundary inside has no room for them.
 */
export class FixedMemoryProvider extends MemoryProvider {
  /** The params the provider was created with, after validation (without `owner`). */
  readonly params: Readonly<Omit<FixedMemoryProviderParamsParsed, 'owner'>>
  readonly #buffer: FixedProviderBuffer | undefined

  /**
   * Creates a fixed memory provider over memory the program gives (see the class notes).
   *
   * Its params, with UMF's defaults (checked by {@link FixedMemoryProviderParamsSchema}):
   *
   * | key | C | values | default |
   * |---|---|---|---|
   * | `ptr` | `umfFixedMemoryProviderParamsCreate` | a `bigint` address of native memory (never a number or a JavaScript buffer) | required |
   * | `size` | `umfFixedMemoryProviderParamsCreate` | bytes, at least 1; `ptr + size` within 2^64 | required |
   * | `owner` | (kept alive by lib/) | the {@link MemoryPool} or {@link MemoryProvider} the memory comes from | none |
   * | `name` | `…SetName` | 1 to 63 characters of `[A-Za-z0-9_-]` | `'FIXED'` |
   *
   * @param params - see {@link FixedMemoryProviderParamsSchema}
   * @throws ConfigError for bad params (a number or a JavaScript buffer as `ptr`, size 0...); RangeError
   *   for memory the checks above refuse; DestroyedError for a destroyed `owner`; UmfError when C refuses
   */
  constructor(params: FixedMemoryProviderParams) {
    const buffer = pendingBuffer
    pendingBuffer = undefined
    const parsed = FixedMemoryProvider.parseParams(params)
    if (buffer !== undefined && (parsed.owner as unknown) !== buffer) throw new Error('FixedMemoryProvider: internal buffer mismatch')
    checkMemory(parsed, buffer !== undefined)
    const end = parsed.ptr + BigInt(parsed.size)
    checkOverlap(parsed.ptr, end)
    const ops = ffi.umfFixedMemoryProviderOps()
    if (ops === null) throw new Error('this libumf was built without the fixed memory provider')
    super(ops, buildParams(parsed))
    this.#buffer = buffer
    regions.add({ start: parsed.ptr, end, provider: new WeakRef(this) })
    const { owner: _owner, ...rest } = parsed
    this.params = Object.freeze(rest)
  }

  /**
   * Creates a fixed memory provider over `size` bytes of page-aligned memory that it allocates
   * (koffi.alloc) and frees after the provider is destroyed: by {@link FixedMemoryProvider.destroy}, or
   * by the garbage collector once neither the provider nor a pool over it is reachable (also when a pool
   * took the provider over with `ownProvider`).
   *
   * @param size - bytes, from 1 to 16 GiB
   * @param options - `name`
   * @returns the provider
   * @throws TypeError or RangeError for a bad size; ConfigError for bad options
   */
  static withSize(size: Size, options: FixedMemoryProviderWithSizeOptions = {}): FixedMemoryProvider {
    toSize(size, 'size')
    if (size === 0 || size === 0n) throw new RangeError('FixedMemoryProvider.withSize: size must be at least 1 byte')
    if (Number(size) > Number.MAX_SAFE_INTEGER) {
      throw new RangeError(`FixedMemoryProvider.withSize: ${size} bytes is more than koffi.alloc can give (16 GiB)`)
    }
    const opts = parseConfig(FixedMemoryProviderWithSizeSchema, options, 'FixedMemoryProvider.withSize options')
    const buffer = new FixedProviderBuffer(Number(size), systemPage())
    try {
      pendingBuffer = buffer
      return new FixedMemoryProvider({ ptr: buffer.ptr, size, owner: buffer as never, ...opts })
    } catch (e) {
      pendingBuffer = undefined
      buffer.destroy()
      throw e
    }
  }

  /**
   * Validates params without creating a provider (the schema only: not the memory checks the
   * constructor makes).
   *
   * @param params - the params
   * @returns the params
   * @throws ConfigError
   */
  static parseParams(params: unknown): FixedMemoryProviderParamsParsed {
    return parseConfig(FixedMemoryProviderParamsSchema, params, 'FixedMemoryProvider params')
  }

  /** Start of the memory the provider hands out. */
  get ptr(): bigint {
    return this.params.ptr
  }

  /** Bytes of memory the provider hands out. */
  get size(): number | bigint {
    return this.params.size
  }

  /** Whether the provider allocated its memory itself ({@link FixedMemoryProvider.withSize}). */
  get ownsMemory(): boolean {
    return this.#buffer !== undefined
  }

  /**
   * Destroys the provider and, for one made by {@link FixedMemoryProvider.withSize}, frees its memory.
   * Refused while pools use the provider (destroy them first).
   */
  override destroy(): void {
    try {
      super.destroy()
    } finally {
      const b = this.#buffer
      if (b !== undefined && b.alive && !this.alive && !this.moved) b.destroy()
    }
  }
}
