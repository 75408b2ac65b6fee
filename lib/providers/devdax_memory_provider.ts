/**
 * The DevDax memory provider (`umf/providers/provider_devdax_memory.h`): {@link DevDaxMemoryProvider}.
 *
 * @module providers/devdax_memory_provider
 */
import fs from 'node:fs'
import * as ffi from '../../ffi/index.js'
import type { umf_devdax_memory_provider_params_handle_t } from '../../ffi/index.js'
import {
  DevDaxMemoryProviderParamsSchema,
  type DevDaxMemoryProviderParams,
  type DevDaxMemoryProviderParamsParsed,
} from '../config/devdax_memory_provider.js'
import { parseConfig } from '../config/parse.js'
import { UmfError, check } from '../errors.js'
import { notBuiltIn, withHint } from '../hint.js'
import { MemoryProvider, buildParamsHandle, type ParamsHandle } from '../memory_provider.js'

function buildParams(p: DevDaxMemoryProviderParamsParsed): ParamsHandle {
  return buildParamsHandle(
    (out: [umf_devdax_memory_provider_params_handle_t | null]) => ffi.umfDevDaxMemoryProviderParamsCreate(p.path, p.size, out),
    'umfDevDaxMemoryProviderParamsCreate',
    ffi.umfDevDaxMemoryProviderParamsDestroy,
    (h) => {
      check(ffi.umfDevDaxMemoryProviderParamsSetProtection(h, p.protection), 'umfDevDaxMemoryProviderParamsSetProtection')
      if (p.name !== undefined) check(ffi.umfDevDaxMemoryProviderParamsSetName(h, p.name), 'umfDevDaxMemoryProviderParamsSetName')
    },
  )
}

/** The sysfs folder of a character device (Linux's dev_t encoding of major and minor numbers). */
function sysfsOf(rdev: bigint): string {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)
  return `/sys/dev/char/${major}:${minor}`
}

function readSys(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim()
  } catch {
    return undefined
  }
}

/**
 * Why a path is not a usable device DAX, as far as the file system and sysfs tell; '' when they find
 * nothing wrong.
 *
 * @param path - the path
 * @param size - the bytes asked for
 * @returns the reason, in words
 */
function whyNotDevDax(path: string, size: number | bigint): string {
  const q = JSON.stringify(path)
  let st: fs.BigIntStats | undefined
  try {
    st = fs.statSync(path, { bigint: true, throwIfNoEntry: false })
  } catch (e) {
    return `${q} cannot be examined (${(e as Error).message})`
  }
  if (st === undefined) return `${q} does not exist`
  const hint = '(a device DAX is a character device of the "dax" subsystem, e.g. /dev/dax0.0)'
  if (st.isFile()) return `${q} is not a device DAX but a regular file ${hint}; for a file use FileMemoryProvider`
  if (st.isDirectory()) return `${q} is not a device DAX but a directory ${hint}`
  if (st.isBlockDevice()) {
    return (
      `${q} is not a device DAX but a block device ${hint}; for persistent memory in fsdax mode, mount a DAX ` +
      'file system on it and use FileMemoryProvider with visibility "shared"'
    )
  }
  if (!st.isCharacterDevice()) return `${q} is not a device DAX: it is not a character device ${hint}`
  const sys = sysfsOf(st.rdev)
  let subsystem: string | undefined
  try {
    subsystem = fs.readlinkSync(`${sys}/subsystem`).split('/').pop()
  } catch {
    subsystem = undefined
  }
  if (subsystem !== undefined && subsystem !== 'dax') {
    return `${q} is not a device DAX: it is a character device of the ${JSON.stringify(subsystem)} subsystem ${hint}`
  }
  try {
    fs.accessSync(path, fs.constants.R_OK | fs.constants.W_OK)
  } catch {
    return `no permission to open ${q} for reading and writing`
  }
  const devSize = readSys(`${sys}/size`)
  if (devSize !== undefined && /^\d+$/.test(devSize) && BigInt(size) > BigInt(devSize)) {
    return `size ${size} is larger than the device's ${devSize} bytes`
  }
  return ''
}

/**
 * The DevDax memory provider: the first `size` bytes of a device DAX (persistent memory or other
 * memory exposed as `/dev/daxX.Y`, Linux), mapped once, shared and with `MAP_SYNC`, and handed out by
 * UMF's coarse allocator. It never grows: allocations past `size` fail with `OUT_OF_HOST_MEMORY`. Its
 * page size is 2 MiB.
 *
 * ```ts
 * using provider = new DevDaxMemoryProvider({ path: '/dev/dax0.0', size: 1n << 30n })
 * using pool = new ProxyPool(provider)
 * ```
 *
 * A path that is not a device DAX fails with {@link UmfError} `UMF_RESULT_ERROR_INVALID_ARGUMENT` whose
 * message says what the path is instead (missing, a regular file, a character device of another
 * subsystem such as `/dev/null`'s "mem"...). A size larger than the device, or a device that refuses
 * `MAP_SYNC`, fails with `UMF_RESULT_ERROR_UNKNOWN` (the mapping failed).
 */
export class DevDaxMemoryProvider extends MemoryProvider {
  /** The params the provider was created with, after validation and defaults. */
  readonly params: Readonly<DevDaxMemoryProviderParamsParsed>

  /**
   * Creates a DevDax memory provider.
   *
   * Its params, with UMF's defaults (checked by {@link DevDaxMemoryProviderParamsSchema}):
   *
   * | key | C setter | values | default |
   * |---|---|---|---|
   * | `path` | `umfDevDaxMemoryProviderParamsCreate` / `…SetDeviceDax` | the device, e.g. `/dev/dax0.0` | required |
   * | `size` | `umfDevDaxMemoryProviderParamsCreate` / `…SetDeviceDax` | bytes to map, at least 1 (at most the device's size) | required |
   * | `protection` | `…SetProtection` | `UMF_PROTECTION_*` bits (1-15), a name (`'read'`) or names (`['read', 'write']`) | read + write |
   * | `name` | `…SetName` | 1 to 63 characters of `[A-Za-z0-9_-]` | `'DEVDAX'` |
   *
   * @param params - see {@link DevDaxMemoryProviderParamsSchema}
   * @throws ConfigError for bad params; UmfError when C refuses the device (see the class notes)
   */
  constructor(params: DevDaxMemoryProviderParams) {
    const parsed = DevDaxMemoryProvider.parseParams(params)
    const ops = ffi.umfDevDaxMemoryProviderOps()
    if (ops === null) throw notBuiltIn('umfDevDaxMemoryProviderOps', 'this libumf has no DevDax memory provider (it exists on Linux only)')
    try {
      super(ops, buildParams(parsed))
    } catch (e) {
      if (e instanceof UmfError && e.func === 'umfMemoryProviderCreate') {
        const why = whyNotDevDax(parsed.path, parsed.size)
        if (why) withHint(e, why)
        else if (e.code === ffi.UMF_RESULT_ERROR_UNKNOWN) withHint(e, `mapping ${parsed.size} bytes of ${JSON.stringify(parsed.path)} with MAP_SYNC failed`)
      }
      throw e
    }
    this.params = Object.freeze(parsed)
  }

  /**
   * Validates params without creating a provider.
   *
   * @param params - the params
   * @returns the params with UMF's defaults filled in
   * @throws ConfigError
   */
  static parseParams(params: unknown): DevDaxMemoryProviderParamsParsed {
    return parseConfig(DevDaxMemoryProviderParamsSchema, params, 'DevDaxMemoryProvider params')
  }

  /** The device. */
  get path(): string {
    if (this._h === null) throw this.deadError()
    return this.params.path
  }
}
