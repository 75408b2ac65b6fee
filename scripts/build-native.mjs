#!/usr/bin/env node
// Builds libumf.so.1 (vendor/umf) into build/Release with cmake-js. It is the package's install script,
// `npm run build:native` in a checkout and `npx umf build`; extra arguments go to cmake-js
// (e.g. --CDUMF_WITH_JEMALLOC=OFF). Plain JavaScript: it runs at install, before anything is compiled.
//
// When the tools are missing it names the Debian packages to add and leaves that advice in
// build/install-status.json, which the package repeats when it is imported without a library.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const statusFile = path.join(root, 'build', 'install-status.json')
const installing = process.env.npm_lifecycle_event === 'install'

function record(status) {
  mkdirSync(path.dirname(statusFile), { recursive: true })
  writeFileSync(statusFile, JSON.stringify(status, null, 2) + '\n')
}

function onPath(command) {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, command)))
}

/** The Debian packages a build needs that this machine lacks (one per missing tool). */
function missingPackages() {
  const missing = []
  if (!onPath('cmake')) missing.push('cmake')
  const cc = process.env.CC
  if (!(cc ? existsSync(cc) || onPath(cc) : onPath('cc') || onPath('gcc'))) missing.push('gcc')
  if (!existsSync('/usr/include/stdio.h')) missing.push('libc6-dev')
  if (!onPath('ninja') && !onPath('make')) missing.push('make')
  return missing
}

function fail(message) {
  record({ ok: false, message })
  console.error(`umf: ${message}`)
  process.exit(1)
}

if (installing && process.env.UMF_LIBRARY_PATH) {
  console.log(`umf: UMF_LIBRARY_PATH is set (${process.env.UMF_LIBRARY_PATH}); not building libumf.so.1`)
  process.exit(0)
}

const missing = missingPackages()
if (missing.length > 0) {
  fail(
    `cannot build libumf.so.1: this machine lacks ${missing.join(', ')}. On Debian or Ubuntu: ` +
      `\`sudo apt-get install ${missing.join(' ')}\` (optional components: libhwloc-dev for NUMA, ` +
      'libjemalloc-dev for the jemalloc pool, libtbbmalloc2 for the scalable pool), then `npm rebuild umf` ' +
      '(in this repository: `npm run build:native`); or point UMF_LIBRARY_PATH at a libumf.so.1',
  )
}

// jemalloc 5.3.0 for the jemalloc pool: built once per machine (scripts/jemalloc.sh, from Debian's source
// package). Without it libumf is built without the pool, and the configure output says why.
const withoutJemalloc = process.argv.some((a) => /UMF_WITH_JEMALLOC=(OFF|0|FALSE|NO)/i.test(a))
if (!withoutJemalloc) {
  const je = spawnSync('bash', [path.join(root, 'scripts', 'jemalloc.sh')], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
  if (je.status !== 0) {
    console.warn(`umf: building without the jemalloc pool: ${(je.stderr || String(je.error)).trim().split('\n').pop()}`)
  }
}

const cmakeJs = createRequire(import.meta.url).resolve('cmake-js/bin/cmake-js')
const args = [cmakeJs, 'build', '-d', 'vendor/umf', '-O', 'build/Release', ...process.argv.slice(2)]
const run = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' })
if (run.status !== 0) {
  fail(
    `the build of libumf.so.1 failed (cmake-js exited with ${run.status ?? run.signal}). ` +
      'See why with `npm rebuild umf --foreground-scripts` (in this repository: `npm run build:native`)',
  )
}
rmSync(statusFile, { force: true })
