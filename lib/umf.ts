/**
 * The library itself (`umf.h`): its version.
 *
 * @module umf
 */
import * as ffi from '../ffi/index.js'

/** A UMF API version. */
export interface UmfVersion {
  /** Major version. */
  readonly major: number
  /** Minor version. */
  readonly minor: number
  /** The packed value, `(major << 16) | minor` (`UMF_MAKE_VERSION`). */
  readonly value: number
}

/**
 * The API version the loaded libumf implements (`umfGetCurrentVersion`; UMF 1.1 reports 1.0, as upstream).
 *
 * @returns the version
 */
export function version(): UmfVersion {
  const value = ffi.umfGetCurrentVersion()
  return { major: ffi.UMF_MAJOR_VERSION(value), minor: ffi.UMF_MINOR_VERSION(value), value }
}

/** The path of the loaded libumf (`UMF_LIBRARY_PATH`, else this repository's build). */
export const libraryPath: string = ffi.libraryPath
