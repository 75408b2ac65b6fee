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
   * @param hint - what it means and what to do, appended to the message
   */
  constructor(code: number, func: string, hint?: string) {
    const zeName = ZE_NAMES[code] ?? `ZE_RESULT_0x${code.toString(16)}`
    super(`${func} failed with ${zeName} (0x${code.toString(16)})${hint ? `: ${hint}` : ''}`)
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
  zeDeviceGetSubDevices: KoffiFunc<(device: bigint, count: [number], devices: bigint[] | null) => number>
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
    zeDeviceGetSubDevices: lib.func('uint32_t zeDeviceGetSubDevices(uint64_t device, _Inout_ uint32_t *count, _Out_ uint64_t *devices)'),
  } as Loader
  return loader
}

/** ZE_RESULT_ERROR_UNINITIALIZED. @internal */
export const ZE_UNINITIALIZED = 0x78000001

/**
 * The contexts made by this module (levelZeroInit, levelZeroCreateContext) or declared by the program
 * (levelZeroRegisterContext): the ones a LevelZeroMemoryProvider may be given. A context handle is a
 * pointer that the loader and the driver follow without any check, so one from nowhere would crash.
 *
 * @internal
 */
export const knownContexts = new Set<bigint>()

/**
 * Creates a context on a driver (ze_context_desc_t with no flags) and records it as known.
 *
 * @param l - the loader
 * @param driver - the ze_driver_handle_t
 * @returns the context
 * @throws LevelZeroError
 * @internal
 */
export function zeNewContext(l: Loader, driver: bigint): bigint {
  // ze_context_desc_t: stype ZE_STRUCTURE_TYPE_CONTEXT_DESC (0xd), pNext NULL, flags 0
  const desc = Buffer.alloc(24)
  desc.writeUInt32LE(0xd, 0)
  const ctx: [unknown] = [null]
  const rc = l.zeContextCreate(driver, desc, ctx)
  if (rc !== 0) throw new LevelZeroError(rc, 'zeContextCreate')
  const context = BigInt(ctx[0] as number | bigint)
  knownContexts.add(context)
  return context
}

/**
 * The drivers zeDriverGet lists.
 *
 * @param l - the loader
 * @returns the drivers (empty when there are none)
 * @throws LevelZeroError, ZE_RESULT_ERROR_UNINITIALIZED when zeInit was not called (or found no driver)
 * @internal
 */
export function zeDrivers(l: Loader): bigint[] {
  const count: [number] = [0]
  let rc = l.zeDriverGet(count, null)
  if (rc !== 0) throw new LevelZeroError(rc, 'zeDriverGet')
  if (count[0] < 1) return []
  const out: bigint[] = new Array<bigint>(count[0]).fill(0n)
  rc = l.zeDriverGet(count, out)
  if (rc !== 0) throw new LevelZeroError(rc, 'zeDriverGet')
  return out.slice(0, count[0]).map((d) => BigInt(d))
}

function zeList(call: (count: [number], out: bigint[] | null) => number): bigint[] | undefined {
  const n: [number] = [0]
  if (call(n, null) !== 0) return undefined
  if (n[0] < 1) return []
  const out: bigint[] = new Array<bigint>(n[0]).fill(0n)
  if (call(n, out) !== 0) return undefined
  return out.slice(0, n[0]).map((d) => BigInt(d))
}

/**
 * Every device of every driver, sub-devices included (a sub-device query the driver refuses counts as none).
 *
 * @param l - the loader
 * @returns the devices
 * @throws LevelZeroError as zeDrivers
 * @internal
 */
export function zeAllDevices(l: Loader): Set<bigint> {
  const all = new Set<bigint>()
  const walk = (d: bigint, depth: number): void => {
    if (all.has(d)) return
    all.add(d)
    if (depth > 2) return
    for (const s of zeList((n, o) => l.zeDeviceGetSubDevices(d, n, o)) ?? []) walk(s, depth + 1)
  }
  for (const driver of zeDrivers(l)) {
    for (const d of zeList((n, o) => l.zeDeviceGet(driver, n, o)) ?? []) walk(d, 0)
  }
  return all
}

/** What zeInit's ZE_RESULT_ERROR_UNINITIALIZED means for a program. */
const NO_DRIVER =
  'no Level Zero driver with a device was found (install the GPU\'s Level Zero driver, for Intel GPUs the ' +
  'compute runtime\'s libze_intel_gpu.so.1, or name a driver library with ZE_ENABLE_ALT_DRIVERS=/abs/path.so)'

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
  if (rc !== 0) throw new LevelZeroError(rc, 'zeInit', rc === ZE_UNINITIALIZED ? NO_DRIVER : undefined)
  const count: [number] = [1]
  const drivers: bigint[] = [0n]
  rc = l.zeDriverGet(count, drivers)
  if (rc !== 0) throw new LevelZeroError(rc, 'zeDriverGet')
  if (count[0] < 1) throw new LevelZeroError(ZE_UNINITIALIZED, 'zeDriverGet', NO_DRIVER)
  const driver = BigInt(drivers[0]!)
  const n: [number] = [0]
  rc = l.zeDeviceGet(driver, n, null)
  if (rc !== 0) throw new LevelZeroError(rc, 'zeDeviceGet')
  if (n[0] < 1) throw new LevelZeroError(0x70010001, 'zeDeviceGet', 'the Level Zero driver has no device')
  const out: bigint[] = new Array<bigint>(n[0]).fill(0n)
  rc = l.zeDeviceGet(driver, n, out)
  if (rc !== 0) throw new LevelZeroError(rc, 'zeDeviceGet')
  const devices = out.slice(0, n[0]).map((d) => BigInt(d))
  const context = zeNewContext(l, driver)
  return { driver, devices, device: devices[0]!, context }
}
