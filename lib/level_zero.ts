/**
 * Level Zero as TypeScript sees it: {@link levelZeroInit} initializes the loader the Level Zero provider
 * uses and returns the first driver, its devices and a new context; {@link levelZeroCreateContext} makes
 * another context; {@link LevelZeroError} for a failing call, {@link LevelZeroSetupError} for a provider
 * asked for before Level Zero is ready or with handles from nowhere.
 *
 * @module level_zero
 */
import * as ffi from '../ffi/index.js'
import { LevelZeroSetupError, UmfError } from './errors.js'
import { withHint } from './hint.js'
import {
  LevelZeroError,
  ZE_UNINITIALIZED,
  knownContexts,
  loadLevelZero,
  zeAllDevices,
  zeDrivers,
  zeNewContext,
  zeSetup,
  type LevelZeroSetup,
  type Loader,
} from './level_zero_loader.js'

export { LevelZeroError, type LevelZeroSetup } from './level_zero_loader.js'

function loader(func: string): Loader {
  try {
    return loadLevelZero()
  } catch (e) {
    throw withHint(
      new UmfError(ffi.UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE, func),
      `cannot load libze_loader.so.1, the Level Zero loader (${(e as Error).message})`,
    )
  }
}

const NOT_INITIALIZED =
  'Level Zero is not initialized: call levelZeroInit() first (it calls zeInit and returns a driver, its devices ' +
  'and a context to pass on); if it throws, no Level Zero driver with a device was found'

/**
 * Initializes Level Zero (`zeInit(0)`) and returns the first driver, its devices and a new context: the
 * least a program needs before creating a {@link LevelZeroMemoryProvider} when nothing else set up Level Zero.
 *
 * @returns the driver, devices, first device and context
 * @throws UmfError `UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE` when libze_loader.so.1 cannot be loaded;
 *   LevelZeroError when a call fails (`ZE_RESULT_ERROR_UNINITIALIZED` from zeInit when no driver is
 *   found), or `ZE_RESULT_ERROR_NOT_AVAILABLE` from zeDeviceGet when the driver has no device
 */
export function levelZeroInit(): LevelZeroSetup {
  return zeSetup(loader('zeInit'))
}

/**
 * Creates another context (`zeContextCreate`) on a driver, e.g. for a second pool that opens IPC handles of
 * the first one's memory. The context lives as long as the process.
 *
 * @param driver - the ze_driver_handle_t; by default the first driver (the one levelZeroInit returns)
 * @returns the context
 * @throws LevelZeroSetupError `'not-initialized'` before {@link levelZeroInit}; TypeError for a driver
 *   that zeDriverGet does not list; LevelZeroError when zeContextCreate fails
 */
export function levelZeroCreateContext(driver?: bigint): bigint {
  const l = loader('zeContextCreate')
  const drivers = listDrivers(l)
  if (driver === undefined) return zeNewContext(l, drivers[0]!)
  if (typeof driver !== 'bigint' || !drivers.includes(driver)) {
    throw new TypeError(`levelZeroCreateContext: ${String(driver)} is not a Level Zero driver of this process (use levelZeroInit().driver)`)
  }
  return zeNewContext(l, driver)
}

/**
 * Declares a context that other code of this process created (with its own zeContextCreate binding), so
 * that a {@link LevelZeroMemoryProvider} accepts it. The handle cannot be checked: only register a live
 * context, or the first allocation may crash the process.
 *
 * @param context - the ze_context_handle_t
 * @throws TypeError when it is not a non-zero bigint
 */
export function levelZeroRegisterContext(context: bigint): void {
  if (typeof context !== 'bigint' || context <= 0n || context >= 1n << 64n) {
    throw new TypeError('levelZeroRegisterContext: context must be a non-zero address as a bigint')
  }
  knownContexts.add(context)
}

function listDrivers(l: Loader): bigint[] {
  let drivers: bigint[]
  try {
    drivers = zeDrivers(l)
  } catch (e) {
    if (e instanceof LevelZeroError && e.code === ZE_UNINITIALIZED) throw new LevelZeroSetupError('not-initialized', NOT_INITIALIZED)
    throw e
  }
  if (drivers.length === 0) throw new LevelZeroSetupError('not-initialized', NOT_INITIALIZED)
  return drivers
}

/**
 * Checks, before any handle reaches C, that Level Zero is initialized, that the context is one this process
 * knows and that the device is one a driver lists. When the loader cannot be loaded it returns and lets
 * the provider's own load fail (`UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE`).
 *
 * @param context - the provider's context
 * @param device - the provider's device, if any
 * @throws LevelZeroSetupError
 * @internal
 */
export function checkLevelZeroHandles(context: bigint, device: bigint | undefined): void {
  let l: Loader
  try {
    l = loadLevelZero()
  } catch {
    return
  }
  listDrivers(l)
  const hex = (h: bigint) => `0x${h.toString(16)}`
  if (device !== undefined && !zeAllDevices(l).has(device)) {
    throw new LevelZeroSetupError(
      'unknown-device',
      `device ${hex(device)} is not a device of any Level Zero driver: pass one levelZeroInit() returned (its device or devices)`,
    )
  }
  if (!knownContexts.has(context)) {
    throw new LevelZeroSetupError(
      'unknown-context',
      `context ${hex(context)} is not a Level Zero context of this process: pass the context levelZeroInit() returned, ` +
        'or one from levelZeroCreateContext(); a context made by other code must be declared with levelZeroRegisterContext(context) first',
    )
  }
}
