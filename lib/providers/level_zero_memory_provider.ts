/**
 * The Level Zero memory provider (`umf/providers/provider_level_zero.h`): {@link LevelZeroMemoryProvider}.
 *
 * @module providers/level_zero_memory_provider
 */
import koffi from 'koffi'
import * as ffi from '../../ffi/index.js'
import type { umf_level_zero_memory_provider_params_handle_t, ze_context_handle_t, ze_device_handle_t } from '../../ffi/index.js'
import {
  LEVEL_ZERO_FREE_POLICIES,
  LEVEL_ZERO_MEMORY_TYPES,
  LevelZeroMemoryProviderParamsSchema,
  levelZeroHandleSchema,
  type LevelZeroMemoryProviderParams,
  type LevelZeroMemoryProviderParamsParsed,
} from '../config/level_zero_memory_provider.js'
import { parseConfig } from '../config/parse.js'
import { UmfError, check } from '../errors.js'
import { notBuiltIn, withHint } from '../hint.js'
import { checkLevelZeroHandles } from '../level_zero.js'
import { MemoryProvider, buildParamsHandle, type ParamsHandle } from '../memory_provider.js'

function buildParams(p: LevelZeroMemoryProviderParamsParsed): ParamsHandle {
  // C keeps the resident-device array's address until the provider is created: it must outlive the setter call
  const n = p.residentDevices.length
  const devices = n > 0 ? (koffi.alloc('uint64_t', n) as bigint) : null
  if (devices !== null) koffi.encode(devices, koffi.array('uint64_t', n), p.residentDevices)
  const params = buildParamsHandle(
    (out: [umf_level_zero_memory_provider_params_handle_t | null]) => ffi.umfLevelZeroMemoryProviderParamsCreate(out),
    'umfLevelZeroMemoryProviderParamsCreate',
    ffi.umfLevelZeroMemoryProviderParamsDestroy,
    (h) => {
      check(ffi.umfLevelZeroMemoryProviderParamsSetContext(h, p.context as ze_context_handle_t), 'umfLevelZeroMemoryProviderParamsSetContext')
      check(ffi.umfLevelZeroMemoryProviderParamsSetMemoryType(h, LEVEL_ZERO_MEMORY_TYPES[p.memoryType]), 'umfLevelZeroMemoryProviderParamsSetMemoryType')
      if (p.device !== undefined) check(ffi.umfLevelZeroMemoryProviderParamsSetDevice(h, p.device as ze_device_handle_t), 'umfLevelZeroMemoryProviderParamsSetDevice')
      if (devices !== null) {
        check(ffi.umfLevelZeroMemoryProviderParamsSetResidentDevices(h, koffi.address(devices), n), 'umfLevelZeroMemoryProviderParamsSetResidentDevices')
      }
      check(ffi.umfLevelZeroMemoryProviderParamsSetFreePolicy(h, LEVEL_ZERO_FREE_POLICIES[p.freePolicy]), 'umfLevelZeroMemoryProviderParamsSetFreePolicy')
      check(ffi.umfLevelZeroMemoryProviderParamsSetDeviceOrdinal(h, p.deviceOrdinal), 'umfLevelZeroMemoryProviderParamsSetDeviceOrdinal')
      if (p.name !== undefined) check(ffi.umfLevelZeroMemoryProviderParamsSetName(h, p.name), 'umfLevelZeroMemoryProviderParamsSetName')
    },
  )
  const destroy = params.destroy
  return {
    ...params,
    destroy: () => {
      destroy()
      if (devices !== null) koffi.free(devices)
    },
  }
}

/**
 * The Level Zero memory provider: host, device or shared memory of one Level Zero context (and device),
 * through the Level Zero loader `libze_loader.so.1`, which libumf loads at run time (unlike UMF 1.1, which
 * only uses a loader the program has loaded already, this one also loads it itself). The program still
 * calls `zeInit` and picks the context and device ({@link levelZeroInit} does both for the first driver).
 *
 * ```ts
 * const { context, device } = levelZeroInit()
 * using provider = new LevelZeroMemoryProvider({ memoryType: 'shared', context, device })
 * using pool = new DisjointPool(provider)
 * ```
 *
 * Device memory is not reachable by the CPU: `view()` and `viewAs()` of a pool (or an opened IPC handle)
 * over a `'device'` provider throw a TypeError instead of crashing the process.
 *
 * Failing loader calls are UmfErrors whose `nativeError.code` is the ze_result_t and whose
 * `nativeError.message` is its name, e.g. `"ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY"`
 * ({@link LevelZeroMemoryProvider.zeResultName} reads it).
 */
export class LevelZeroMemoryProvider extends MemoryProvider {
  /** The params the provider was created with, after validation and defaults. */
  readonly params: Readonly<LevelZeroMemoryProviderParamsParsed>

  /**
   * Creates a Level Zero memory provider.
   *
   * Its params, with UMF's defaults (checked by {@link LevelZeroMemoryProviderParamsSchema}):
   *
   * | key | C setter | values | default |
   * |---|---|---|---|
   * | `memoryType` | `umfLevelZeroMemoryProviderParamsSetMemoryType` | `'host'`, `'device'`, `'shared'` | required |
   * | `context` | `…SetContext` | a ze_context_handle_t (bigint or safe integer address) | required |
   * | `device` | `…SetDevice` | a ze_device_handle_t | required for device and shared memory, absent for host |
   * | `residentDevices` | `…SetResidentDevices` | device handles, no duplicates | `[]` |
   * | `freePolicy` | `…SetFreePolicy` | `'default'`, `'blocking'`, `'defer'` | `'default'` |
   * | `deviceOrdinal` | `…SetDeviceOrdinal` | 0 to 2^32 - 1 | 0 |
   * | `name` | `…SetName` | 1 to 63 characters of `[A-Za-z0-9_-]` | `'LEVEL_ZERO'` |
   *
   * @param params - see {@link LevelZeroMemoryProviderParamsSchema}
   * @throws ConfigError for bad params; LevelZeroSetupError before {@link levelZeroInit} (zeInit) was called,
   *   for a context this process did not get from levelZeroInit / levelZeroCreateContext (or declare with
   *   levelZeroRegisterContext), or for a device no driver lists; UmfError `UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE` when
   *   libze_loader.so.1 cannot be loaded, `UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC` when the driver
   *   refuses (e.g. zeInit was never called)
   */
  constructor(params: LevelZeroMemoryProviderParams) {
    const parsed = LevelZeroMemoryProvider.parseParams(params)
    const ops = ffi.umfLevelZeroMemoryProviderOps()
    if (ops === null) {
      throw notBuiltIn('umfLevelZeroMemoryProviderOps', 'this libumf was built without the Level Zero provider (UMF_WITH_LEVEL_ZERO=OFF)')
    }
    // the loader and the driver follow these handles blindly: check them here, where a mistake is an error
    checkLevelZeroHandles(parsed.context, parsed.device)
    try {
      super(ops, buildParams(parsed))
    } catch (e) {
      if (e instanceof UmfError && e.code === ffi.UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE) {
        withHint(e, 'cannot load libze_loader.so.1, the Level Zero loader (install libze1 and a Level Zero driver)')
      } else if (e instanceof UmfError && LevelZeroMemoryProvider.zeResultName(e) === 'ZE_RESULT_ERROR_UNINITIALIZED') {
        withHint(e, 'Level Zero is not initialized: call zeInit first (levelZeroInit does)')
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
  static parseParams(params: unknown): LevelZeroMemoryProviderParamsParsed {
    return parseConfig(LevelZeroMemoryProviderParamsSchema, params, 'LevelZeroMemoryProvider params')
  }

  /**
   * The ze_result_t name in an error of a Level Zero provider (from its native error), e.g.
   * `'ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY'`; `undefined` for any other error.
   *
   * @param e - a caught error
   * @returns the name, or undefined
   */
  static zeResultName(e: unknown): string | undefined {
    if (!(e instanceof UmfError) || e.nativeError === undefined) return undefined
    const m = /^(ZE_RESULT_[A-Z0-9_]+)$/.exec(e.nativeError.message ?? '')
    return m?.[1]
  }

  /** The memory type: `'host'`, `'device'` or `'shared'`. */
  get memoryType(): LevelZeroMemoryProviderParamsParsed['memoryType'] {
    if (this._h === null) throw this.deadError()
    return this.params.memoryType
  }

  /**
   * Adds a device to the resident devices (making every live allocation of this provider resident on it),
   * or removes one (evicting them).
   *
   * @param device - the ze_device_handle_t
   * @param isAdding - true to add, false to remove
   * @throws UmfError `UMF_RESULT_ERROR_INVALID_ARGUMENT` when adding a resident device or removing one
   *   that is not; `UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC` when the driver refuses
   */
  residentDeviceChange(device: bigint | number, isAdding: boolean): void {
    if (this._h === null) throw this.deadError()
    const dev = parseConfig(levelZeroHandleSchema('device'), device, 'residentDeviceChange device')
    if (typeof isAdding !== 'boolean') throw new TypeError('residentDeviceChange: isAdding must be a boolean')
    check(ffi.umfLevelZeroMemoryProviderResidentDeviceChange(this._h, dev as ze_device_handle_t, isAdding), 'umfLevelZeroMemoryProviderResidentDeviceChange')
  }

  override get notHostAccessible(): string | undefined {
    return this.params?.memoryType === 'device'
      ? 'it is Level Zero device memory (a LevelZeroMemoryProvider with memoryType "device"), which the CPU cannot read or write; use "host" or "shared" memory, or copy it with a command list'
      : undefined
  }
}
