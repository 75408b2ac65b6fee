/**
 * The Level Zero loader through koffi alone (no libumf needed, so that `umf info` can probe it without one):
 * {@link LevelZeroError} and the calls {@link levelZeroInit} makes.
 *
 * @module level_zero_loader
 */
import koffi from 'koffi'
import type { KoffiFunc } from 'koffi'

/** The ze_result_t names a failing call here can give (others are shown as hex). */
const ZE_NAMES: Record<number, string> = {
  0x70000001: 'ZE_RESULT_ERROR_DEVICE_LOST',
  0x70000002: 'ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY',
  0x70010001: 'ZE_RESULT_ERROR_NOT_AVAILABLE',
  0x78000001: 'ZE_RESULT_ERROR_UNINITIALIZED',
  0x78000003: 'ZE_RESULT_ERROR_UNSUPPORTED_FEATURE',
  0x78000004: 'ZE_RESULT_ERROR_INVALID_ARGUMENT',
  0x7ffffffe: 'ZE_RESULT_ERROR_UNKNOWN',
}

/** A Level Zero call that failed: its ze_result_t and the name of it. */
export class LevelZeroError extends Error {
  /** The ze_result_t. */
  readonly code: number
  /** Its name, e.g. `'ZE_RESULT_ERROR_UNINITIALIZED'` (`'ZE_RESULT_0x…'` for a code without one here). */
  readonly zeName: string
  /** The Level Zero function that failed. */
  readonly func: string

  /**
   * @param code - the ze_result_t
   * @param func - the failing function
   */
  constructor(code: number, func: string) {
    const zeName = ZE_NAMES[code] ?? `ZE_RESULT_0x${code.toString(16)}`
    super(`${func} failed with ${zeName} (0x${code.toString(16)})`)
    this.name = 'LevelZeroError'
    this.code = code
    this.zeName = zeName
    this.func = func
  }
}

/** What {@link levelZeroInit} returns: the first driver, its devices, the first of them, and a new context. */
export interface LevelZeroSetup {
  /** The ze_driver_handle_t. */
  readonly driver: bigint
  /** Every device of the driver. */
  readonly devices: readonly bigint[]
  /** The first device. */
  readonly device: bigint
  /** A context created on the driver (zeContextCreate); it lives as long as the process. */
  readonly context: bigint
}

/** The loader calls levelZeroInit makes. @internal */
export interface Loader {
  zeInit: KoffiFunc<(flags: number) => number>
  zeDriverGet: KoffiFunc<(count: [number], drivers: bigint[] | null) => number>
  zeDeviceGet: KoffiFunc<(driver: bigint, count: [number], devices: bigint[] | null) => number>
  zeContextCreate: KoffiFunc<(driver: bigint, desc: Buffer, out: [unknown]) => number>
}

let loader: Loader | undefined

/**
 * Loads libze_loader.so.1 as the C provider does: the one loaded already, else through the library search.
 *
 * @returns the loader's calls
 * @throws Error when it cannot be loaded
 * @internal
 */
export function loadLevelZero(): Loader {
  if (loader !== undefined) return loader
  const lib = koffi.load('libze_loader.so.1')
  // handles are addresses: read as 64-bit integers so that they come back as numbers or bigints
  loader = {
    zeInit: lib.func('uint32_t zeInit(uint32_t flags)'),
    zeDriverGet: lib.func('uint32_t zeDriverGet(_Inout_ uint32_t *count, _Out_ uint64_t *drivers)'),
    zeDeviceGet: lib.func('uint32_t zeDeviceGet(uint64_t driver, _Inout_ uint32_t *count, _Out_ uint64_t *devices)'),
    zeContextCreate: lib.func('uint32_t zeContextCreate(uint64_t driver, const void *desc, _Out_ uint64_t *ctx)'),
  } as Loader
  return loader
}

/**
 * zeInit, the first driver, its devices and a new context (what levelZeroInit returns).
 *
 * @param l - the loader
 * @returns the setup
 * @throws LevelZeroError
 * @internal
 */
export function zeSetup(l: Loader): LevelZeroSetup {
  let rc = l.zeInit(0)
  if (rc !== 0) throw new LevelZeroError(rc, 'zeInit')
  const count: [number] = [1]
  const drivers: bigint[] = [0n]
  rc = l.zeDriverGet(count, drivers)
  if (rc !== 0) throw new LevelZeroError(rc, 'zeDriverGet')
  if (count[0] < 1) throw new LevelZeroError(0x78000001, 'zeDriverGet')
  const driver = BigInt(drivers[0]!)
  const n: [number] = [0]
  rc = l.zeDeviceGet(driver, n, null)
  if (rc !== 0) throw new LevelZeroError(rc, 'zeDeviceGet')
  if (n[0] < 1) throw new LevelZeroError(0x70010001, 'zeDeviceGet')
  const out: bigint[] = new Array<bigint>(n[0]).fill(0n)
  rc = l.zeDeviceGet(driver, n, out)
  if (rc !== 0) throw new LevelZeroError(rc, 'zeDeviceGet')
  const devices = out.slice(0, n[0]).map((d) => BigInt(d))
  // ze_context_desc_t: stype ZE_STRUCTURE_TYPE_CONTEXT_DESC (0xd), pNext NULL, flags 0
  const desc = Buffer.alloc(24)
  desc.writeUInt32LE(0xd, 0)
  const ctx: [unknown] = [null]
  rc = l.zeContextCreate(driver, desc, ctx)
  if (rc !== 0) throw new LevelZeroError(rc, 'zeContextCreate')
  return { driver, devices, device: devices[0]!, context: BigInt(ctx[0] as number | bigint) }
}
