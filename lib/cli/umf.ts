#!/usr/bin/env node
/**
 * The `umf` command: `umf info [--json]` reports the loaded libumf, its components and the NUMA nodes;
 * `umf build [cmake-js arguments]` builds the package's libumf.so.1 (what the install script does).
 *
 * @internal
 * @module cli/umf
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { packageRoot } from '../../ffi/location.js'

const USAGE = `usage: umf <command>
  info [--json]        the loaded libumf, its components (built, usable, why not), NUMA nodes, memspaces,
                       and the UMF environment variables in effect
  build [args...]      build libumf.so.1 into the package (as its install script does); args go to cmake-js,
                       e.g. --CDUMF_WITH_JEMALLOC=OFF
  help                 this text`

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'info': {
      const unknown = rest.filter((a) => a !== '--json')
      if (unknown.length > 0) {
        console.error(`umf info: unknown argument ${unknown[0]}\n${USAGE}`)
        return 2
      }
      const { systemInfo, formatInfo } = await import('./info.js')
      const info = await systemInfo()
      console.log(rest.includes('--json') ? JSON.stringify(info, null, 2) : formatInfo(info))
      return info.library.loaded ? 0 : 1
    }
    case 'build': {
      const script = path.join(packageRoot, 'scripts', 'build-native.mjs')
      const r = spawnSync(process.execPath, [script, ...rest], { stdio: 'inherit' })
      return r.status ?? 1
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE)
      return command === undefined ? 2 : 0
    default:
      console.error(`umf: unknown command ${command}\n${USAGE}`)
      return 2
  }
}

process.exitCode = await main(process.argv.slice(2))
