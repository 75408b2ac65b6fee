/**
 * The OS memory provider (`umf/providers/provider_os_memory.h`): {@link OsMemoryProvider}.
 *
 * @module providers/os_memory_provider
 */
import * as ffi from '../../ffi/index.js'
import type { umf_os_memory_provider_params_handle_t } from '../../ffi/index.js'
import {
  OsMemoryProviderParamsSchema,
  numaModeValue,
  type OsMemoryProviderParams,
  type OsMemoryProviderParamsParsed,
} from '../config/os_memory_provider.js'
import { parseConfig } from '../config/parse.js'
import { check } from '../errors.js'
import { MemoryProvider, buildParamsHandle, type ParamsHandle } from '../memory_provider.js'

function buildParams(p: OsMemoryProviderParamsParsed): ParamsHandle {
  return buildParamsHandle(
    (out: [umf_os_memory_provider_params_handle_t | null]) => ffi.umfOsMemoryProviderParamsCreate(out),
    'umfOsMemoryProviderParamsCreate',
    ffi.umfOsMemoryProviderParamsDestroy,
    (h) => {
      check(ffi.umfOsMemoryProviderParamsSetProtection(h, p.protection), 'umfOsMemoryProviderParamsSetProtection')
      check(
        ffi.umfOsMemoryProviderParamsSetVisibility(h, p.visibility === 'shared' ? ffi.UMF_MEM_MAP_SHARED : ffi.UMF_MEM_MAP_PRIVATE),
        'umfOsMemoryProviderParamsSetVisibility',
      )
      if (p.shmName !== null) check(ffi.umfOsMemoryProviderParamsSetShmName(h, p.shmName), 'umfOsMemoryProviderParamsSetShmName')
      check(
        ffi.umfOsMemoryProviderParamsSetNumaMode(h, numaModeValue(p.numaMode) as ffi.umf_numa_mode_t),
        'umfOsMemoryProviderParamsSetNumaMode',
      )
      if (p.numaList.length > 0) {
        check(
          ffi.umfOsMemoryProviderParamsSetNumaList(h, Uint32Array.from(p.numaList), p.numaList.length),
          'umfOsMemoryProviderParamsSetNumaList',
        )
      }
      check(ffi.umfOsMemoryProviderParamsSetPartSize(h, p.partSize), 'umfOsMemoryProviderParamsSetPartSize')
      if (p.partitions.length > 0) {
        const parts = p.partitions.map((x) => ({ weight: x.weight, target: x.target }))
        check(ffi.umfOsMemoryProviderParamsSetPartitions(h, parts, parts.length), 'umfOsMemoryProviderParamsSetPartitions')
      }
      if (p.name !== undefined) check(ffi.umfOsMemoryProviderParamsSetName(h, p.name), 'umfOsMemoryProviderParamsSetName')
    },
  )
}

/**
 * The OS memory provider: memory mapped from the operating system (mmap), private or shared, with NUMA
 * placement.
 *
 * ```ts
 * using provider = new OsMemoryProvider({ visibility: 'shared', protection: ['read', 'write'] })
 * ```
 *
 * The params are validated by {@link OsMemoryProviderParamsSchema} (a {@link ConfigError} lists every
 * problem) before the C params object is built; it is destroyed once the provider exists.
 */
export class OsMemoryProvider extends MemoryProvider {
  /** The params the provider was created with, after validation and defaults. */
  readonly params: Readonly<OsMemoryProviderParamsParsed>

  /**
   * Creates an OS memory provider.
   *
   * Its params, with UMF's defaults (checked by {@link OsMemoryProviderParamsSchema}):
   *
   * | key | C setter | values | default |
   * |---|---|---|---|
   * | `protection` | `umfOsMemoryProviderParamsSetProtection` | `UMF_PROTECTION_*` bits (1-15), a name (`'read'`) or names (`['read', 'write']`) | read + write |
   * | `visibility` | `…SetVisibility` | `'private'` or `'shared'` | `'private'` |
   * | `shmName` | `…SetShmName` | a name without `/`, at most 253 characters (needs `'shared'`) | none |
   * | `numaMode` | `…SetNumaMode` | `'default'`, `'bind'`, `'interleave'`, `'preferred'`, `'split'`, `'local'` | `'default'` |
   * | `numaList` | `…SetNumaList` | NUMA node ids | `[]` |
   * | `partSize` | `…SetPartSize` | bytes per interleave part (0: page size) | 0 |
   * | `partitions` | `…SetPartitions` | `{ weight, target }` for `'split'` | `[]` |
   * | `name` | `…SetName` | 1 to 63 characters of `[A-Za-z0-9_-]` | `'OS'` |
   *
   * @param params - see {@link OsMemoryProviderParamsSchema}
   * @throws ConfigError for bad params; UmfError when C refuses (e.g. a missing NUMA node)
   */
  constructor(params: OsMemoryProviderParams = {}) {
    const parsed = OsMemoryProvider.parseParams(params)
    const ops = ffi.umfOsMemoryProviderOps()
    if (ops === null) throw new Error('this libumf was built without the OS memory provider')
    super(ops, buildParams(parsed))
    this.params = Object.freeze(parsed)
  }

  /**
   * Validates params without creating a provider.
   *
   * @param params - the params
   * @returns the params with UMF's defaults filled in
   * @throws ConfigError
   */
  static parseParams(params: unknown): OsMemoryProviderParamsParsed {
    return parseConfig(OsMemoryProviderParamsSchema, params, 'OsMemoryProvider params')
  }
}
