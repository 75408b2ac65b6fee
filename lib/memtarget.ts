/**
 * Memory targets (`umf/experimental/memtarget.h`): {@link Memtarget}.
 *
 * @module memtarget
 */
import * as ffi from '../ffi/index.js'
import type { umf_const_memtarget_handle_t } from '../ffi/index.js'
import { check } from './errors.js'

/** The kind of a memory target (`UMF_MEMTARGET_TYPE_*`). */
export type MemtargetType = 'unknown' | 'numa'

/**
 * One memory target of a {@link Memspace}: a NUMA node, with its id and capacity.
 *
 * It is a snapshot of the values C reported when it was read (`umfMemtargetGetType`, `…GetId`,
 * `…GetCapacity`), not a handle: it stays valid whatever happens to the memspace it came from, and
 * memspaces find their own target by type and id when it is passed to `add` or `remove`.
 */
export class Memtarget {
  /** `'numa'` for a NUMA node. */
  readonly type: MemtargetType
  /** The NUMA node's operating-system index. */
  readonly id: number
  /** Its memory in bytes. */
  readonly capacity: bigint

  /** @internal */
  constructor(type: MemtargetType, id: number, capacity: bigint) {
    this.type = type
    this.id = id
    this.capacity = capacity
    Object.freeze(this)
  }

  /**
   * Reads a target through its C handle, which must be valid for the call.
   *
   * @param handle - the handle
   * @returns the snapshot
   * @internal
   */
  static read(handle: umf_const_memtarget_handle_t): Memtarget {
    const type: [number] = [0]
    const id: [number] = [0]
    const capacity: [number | bigint] = [0]
    check(ffi.umfMemtargetGetType(handle, type as [ffi.umf_memtarget_type_t]), 'umfMemtargetGetType')
    check(ffi.umfMemtargetGetId(handle, id), 'umfMemtargetGetId')
    check(ffi.umfMemtargetGetCapacity(handle, capacity), 'umfMemtargetGetCapacity')
    return new Memtarget(type[0] === ffi.UMF_MEMTARGET_TYPE_NUMA ? 'numa' : 'unknown', id[0], BigInt(capacity[0]))
  }

  /** e.g. `NUMA node 0 (4.0 GiB)`. */
  toString(): string {
    return `${this.type === 'numa' ? 'NUMA node' : 'target'} ${this.id} (${(Number(this.capacity) / 2 ** 30).toFixed(1)} GiB)`
  }
}
