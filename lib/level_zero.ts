/**
 * Level Zero as TypeScript sees it: {@link levelZeroInit} initializes the loader the Level Zero provider
 * uses and returns the first driver, its devices and a new context; {@link LevelZeroError} for a failing call.
 *
 * @module level_zero
 */
import * as ffi from '../ffi/index.js'
import { UmfError } from './errors.js'
import { withHint } from './hint.js'
import { loadLevelZero, zeSetup, type LevelZeroSetup, type Loader } from './level_zero_loader.js'

export { LevelZeroError, type LevelZeroSetup } from './level_zero_loader.js'

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
  let l: Loader
  try {
    l = loadLevelZero()
  } catch (e) {
    throw withHint(
      new UmfError(ffi.UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE, 'zeInit'),
      `cannot load libze_loader.so.1, the Level Zero loader (${(e as Error).message})`,
    )
  }
  return zeSetup(l)
}
