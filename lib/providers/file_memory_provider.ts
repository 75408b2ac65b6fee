/**
 * The file memory provider (`umf/providers/provider_file_memory.h`): {@link FileMemoryProvider}.
 *
 * @module providers/file_memory_provider
 */
import fs from 'node:fs'
import path from 'node:path'
import * as ffi from '../../ffi/index.js'
import type { umf_file_memory_provider_params_handle_t } from '../../ffi/index.js'
import {
  FileMemoryProviderParamsSchema,
  type FileMemoryProviderParams,
  type FileMemoryProviderParamsParsed,
} from '../config/file_memory_provider.js'
import { parseConfig } from '../config/parse.js'
import { UmfError, check } from '../errors.js'
import { notBuiltIn, withHint } from '../hint.js'
import { MemoryProvider, buildParamsHandle, type ParamsHandle } from '../memory_provider.js'

/** The page of a provider over a file on a DAX file system (FSDAX): 2 MiB. */
const FSDAX_PAGE = 2 * 1024 * 1024

function buildParams(p: FileMemoryProviderParamsParsed): ParamsHandle {
  return buildParamsHandle(
    (out: [umf_file_memory_provider_params_handle_t | null]) => ffi.umfFileMemoryProviderParamsCreate(p.path, out),
    'umfFileMemoryProviderParamsCreate',
    ffi.umfFileMemoryProviderParamsDestroy,
    (h) => {
      check(ffi.umfFileMemoryProviderParamsSetProtection(h, p.protection), 'umfFileMemoryProviderParamsSetProtection')
      check(
        ffi.umfFileMemoryProviderParamsSetVisibility(
          h,
          p.visibility === 'shared' ? ffi.UMF_MEM_MAP_SHARED : ffi.UMF_MEM_MAP_PRIVATE,
        ),
        'umfFileMemoryProviderParamsSetVisibility',
      )
      if (p.name !== undefined) check(ffi.umfFileMemoryProviderParamsSetName(h, p.name), 'umfFileMemoryProviderParamsSetName')
    },
  )
}

/** What a file system object is, in words. */
function kind(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory'
  if (st.isCharacterDevice()) return 'a character device'
  if (st.isBlockDevice()) return 'a block device'
  if (st.isFIFO()) return 'a FIFO'
  if (st.isSocket()) return 'a socket'
  return 'not a regular file'
}

/** Why C could not open a path as the provider's file, as far as the file system tells; '' if it does not. */
function whyNotUsable(file: string): string {
  let st: fs.Stats | undefined
  try {
    st = fs.statSync(file, { throwIfNoEntry: false })
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOTDIR') return `a component of the path ${JSON.stringify(file)} is not a directory`
    return `${JSON.stringify(file)} cannot be examined (${(e as Error).message})`
  }
  if (st === undefined) {
    const dir = path.dirname(path.resolve(file))
    const d = fs.statSync(dir, { throwIfNoEntry: false })
    if (d === undefined) return `the directory ${JSON.stringify(dir)} does not exist`
    try {
      fs.accessSync(dir, fs.constants.W_OK)
    } catch {
      return `no permission to create a file in ${JSON.stringify(dir)}`
    }
    return ''
  }
  if (!st.isFile()) return `${JSON.stringify(file)} is ${kind(st)}, not a regular file`
  try {
    fs.accessSync(file, fs.constants.R_OK | fs.constants.W_OK)
  } catch {
    return `no permission to open ${JSON.stringify(file)} for reading and writing`
  }
  return ''
}

/**
 * The file memory provider: memory mapped from a file (Linux). The file is created when missing (mode
 * 0600) and grows by chunks of at least 2 MiB as allocations need them; it is never truncated or removed,
 * and freed memory is reused, not given back, until the provider is destroyed.
 *
 * ```ts
 * using provider = new FileMemoryProvider({ path: '/mnt/pmem/umf.bin', visibility: 'shared' })
 * using pool = new ProxyPool(provider)
 * ```
 *
 * With `visibility: 'private'` (the default) the mapping is copy-on-write: the memory starts as the
 * file's bytes, and what the program writes never reaches the file. With `'shared'` writes reach the
 * file (and other processes mapping it), and a file on a DAX file system (FSDAX) is mapped with
 * `MAP_SYNC`: the provider's page size is then 2 MiB ({@link FileMemoryProvider.fsdax}).
 *
 * `protection` is enforced by the hardware: writing to memory of a provider created with
 * `protection: 'read'` kills the process with SIGSEGV (JavaScript cannot catch it).
 */
export class FileMemoryProvider extends MemoryProvider {
  /** The params the provider was created with, after validation and defaults. */
  readonly params: Readonly<FileMemoryProviderParamsParsed>

  /**
   * Creates a file memory provider.
   *
   * Its params, with UMF's defaults (checked by {@link FileMemoryProviderParamsSchema}):
   *
   * | key | C setter | values | default |
   * |---|---|---|---|
   * | `path` | `umfFileMemoryProviderParamsCreate` / `…SetPath` | the file (created when missing), at most 4095 bytes | required |
   * | `protection` | `…SetProtection` | `UMF_PROTECTION_*` bits (1-15), a name (`'read'`) or names (`['read', 'write']`) | read + write |
   * | `visibility` | `…SetVisibility` | `'private'` or `'shared'` | `'private'` |
   * | `name` | `…SetName` | 1 to 63 characters of `[A-Za-z0-9_-]` | `'FILE'` |
   *
   * @param params - see {@link FileMemoryProviderParamsSchema}
   * @throws ConfigError for bad params; UmfError `UMF_RESULT_ERROR_INVALID_ARGUMENT` when C cannot open
   *   the file (its message says why, as far as the file system tells: a missing directory, a directory or
   *   device instead of a file, no permission); `UMF_RESULT_ERROR_NOT_SUPPORTED` where the provider does
   *   not exist (not Linux)
   */
  constructor(params: FileMemoryProviderParams) {
    const parsed = FileMemoryProvider.parseParams(params)
    const ops = ffi.umfFileMemoryProviderOps()
    if (ops === null) throw notBuiltIn('umfFileMemoryProviderOps', 'this libumf has no file memory provider (it exists on Linux only)')
    try {
      super(ops, buildParams(parsed))
    } catch (e) {
      if (e instanceof UmfError && e.func === 'umfMemoryProviderCreate' && e.code === ffi.UMF_RESULT_ERROR_INVALID_ARGUMENT) {
        const why = whyNotUsable(parsed.path)
        withHint(e, why ? `cannot use ${JSON.stringify(parsed.path)}: ${why}` : `cannot open ${JSON.stringify(parsed.path)}`)
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
  static parseParams(params: unknown): FileMemoryProviderParamsParsed {
    return parseConfig(FileMemoryProviderParamsSchema, params, 'FileMemoryProvider params')
  }

  /** The file. */
  get path(): string {
    if (this._h === null) throw this.deadError()
    return this.params.path
  }

  /**
   * Whether C maps the file with `MAP_SYNC` because it lies on a DAX file system (FSDAX; `'shared'`
   * visibility only). Such a provider's page size is 2 MiB.
   */
  get fsdax(): boolean {
    if (this._h === null) throw this.deadError()
    return this.params.visibility === 'shared' && this.minPageSize() === FSDAX_PAGE
  }
}
