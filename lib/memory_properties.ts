/**
 * Memory properties (`umf/experimental/memory_properties.h`): what UMF knows about an address.
 *
 * @module memory_properties
 */
import koffi from 'koffi'
import * as ffi from '../ffi/index.js'
import type { umf_memory_properties_handle_t } from '../ffi/index.js'
import { check } from './errors.js'
import { MemoryPool } from './memory_pool.js'
import { MemoryProvider } from './memory_provider.js'
import { toPtr } from './validate.js'

/** The properties of an allocation (see {@link getMemoryProperties}). */
export interface MemoryProperties {
  /** The pool's object when this program created the pool through lib/, else null. */
  readonly pool: MemoryPool | null
  /** The raw pool handle (`UMF_MEMORY_PROPERTY_POOL_HANDLE`; null for an opened IPC mapping). */
  readonly poolHandle: bigint | null
  /**
   * The provider's object when lib/ knows it (the pool's provider, possibly moved), else null.
   */
  readonly provider: MemoryProvider | null
  /** The raw provider handle (`UMF_MEMORY_PROPERTY_PROVIDER_HANDLE`). */
  readonly providerHandle: bigint | null
  /** Start of the provider allocation that holds the address (`UMF_MEMORY_PROPERTY_BASE_ADDRESS`). */
  readonly baseAddress: bigint
  /** Size of that provider allocation (`UMF_MEMORY_PROPERTY_BASE_SIZE`). */
  readonly baseSize: number
  /** A number unique to that provider allocation (`UMF_MEMORY_PROPERTY_BUFFER_ID`). */
  readonly bufferId: bigint
  /** The kind of memory, a `umf_usm_memory_type_t` (`UMF_MEMORY_PROPERTY_POINTER_TYPE`; 1 = host). */
  readonly pointerType: number
}

let scratch: bigint | null = null

function read(h: umf_memory_properties_handle_t, id: number, type: 'void *' | 'uint64_t' | 'uint32_t'): unknown {
  if (scratch === null) scratch = koffi.alloc('uint64_t', 1) as bigint
  koffi.encode(scratch, 'uint64_t', 0)
  check(ffi.umfGetMemoryProperty(h, id as ffi.umf_memory_property_id_t, scratch, 8), 'umfGetMemoryProperty')
  return koffi.decode(scratch, type)
}

/**
 * The properties of an address of tracked memory (any address inside an allocation works):
 * `umfGetMemoryPropertiesHandle` and `umfGetMemoryProperty` for each built-in property.
 *
 * @param ptr - the address
 * @returns its properties
 * @throws UmfError `UMF_RESULT_ERROR_INVALID_ARGUMENT` when UMF does not track the address
 */
export function getMemoryProperties(ptr: bigint): MemoryProperties {
  const p = toPtr(ptr, 'ptr')
  const out: [umf_memory_properties_handle_t | null] = [null]
  check(ffi.umfGetMemoryPropertiesHandle(p, out), 'umfGetMemoryPropertiesHandle')
  const h = out[0]!
  const poolHandle = read(h, ffi.UMF_MEMORY_PROPERTY_POOL_HANDLE, 'void *') as bigint | null
  const providerHandle = read(h, ffi.UMF_MEMORY_PROPERTY_PROVIDER_HANDLE, 'void *') as bigint | null
  const baseAddress = read(h, ffi.UMF_MEMORY_PROPERTY_BASE_ADDRESS, 'void *') as bigint | null
  const baseSize = Number(read(h, ffi.UMF_MEMORY_PROPERTY_BASE_SIZE, 'uint64_t'))
  const bufferId = BigInt(read(h, ffi.UMF_MEMORY_PROPERTY_BUFFER_ID, 'uint64_t') as number | bigint)
  const pointerType = Number(read(h, ffi.UMF_MEMORY_PROPERTY_POINTER_TYPE, 'uint32_t'))
  const pool = MemoryPool.byHandle(poolHandle)
  const provider = pool !== null ? pool.provider : MemoryProvider.byHandle(providerHandle)
  return { pool, poolHandle, provider, providerHandle, baseAddress: baseAddress ?? 0n, baseSize, bufferId, pointerType }
}
