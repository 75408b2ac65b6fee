/**
 * Where the package and its native library are, and what to do when the library is missing. Nothing here
 * loads the library, so `umf info` and `umf build` can use it on a machine where loading would fail. Written
 * by hand, like library.ts.
 *
 * @module umf/ffi/location
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The package's root: the nearest folder above this module (ffi/ in a checkout, dist/ffi/ when installed)
 *  whose package.json is umf's. */
function findPackageRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url))
  for (let dir = here; ; dir = path.dirname(dir)) {
    try {
      if (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name === 'umf') return dir
    } catch {
      // no package.json here, or not JSON: keep walking up
    }
    if (path.dirname(dir) === dir) return path.resolve(here, '..')
  }
}

/** The root folder of the umf package (a checkout or `node_modules/umf`). */
export const packageRoot: string = findPackageRoot()

/** The library the package builds (at install, or `npm run build:native` in a checkout):
 *  `<package>/build/Release/libumf.so.1`. */
export const defaultLibraryPath: string = path.join(packageRoot, 'build', 'Release', 'libumf.so.1')

/** The path of the loaded library: `UMF_LIBRARY_PATH` when set, else {@link defaultLibraryPath}. */
export const libraryPath: string = process.env['UMF_LIBRARY_PATH'] || defaultLibraryPath

/**
 * Why the default library is missing, in words a user can act on. The install script
 * (scripts/build-native.mjs) leaves its reason in build/install-status.json when it could not build.
 *
 * @returns the advice, one sentence or two
 */
export function missingLibraryAdvice(): string {
  try {
    const status = JSON.parse(readFileSync(path.join(packageRoot, 'build', 'install-status.json'), 'utf8'))
    if (typeof status?.message === 'string' && status.ok === false) return status.message
  } catch {
    // no record: the install script did not run here
  }
  if (packageRoot.split(path.sep).includes('node_modules')) {
    return (
      "umf's install script, which builds it, has not run (npm runs a dependency's install script only once the " +
      'project approves it). Approve and build it with `npm install-scripts approve umf && npm rebuild umf`, or ' +
      'build it now with `npx umf build`; or point UMF_LIBRARY_PATH at a libumf.so.1'
    )
  }
  return 'build it with `npm run build:native` (or run scripts/setup.sh once on a fresh machine), or point UMF_LIBRARY_PATH at a libumf.so.1'
}
