/**
 * What `umf info` reports: the loaded libumf, each optional component (built into it, usable on this machine,
 * and why not), the NUMA nodes hwloc sees, the memspaces, and the UMF environment variables in effect.
 * Every probe catches its own failure, so a machine missing a component gets a line saying so, never a crash.
 *
 * @internal
 * @module cli/info
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import koffi from 'koffi'
import { defaultLibraryPath, packageRoot } from '../../ffi/location.js'
import { LevelZeroError, loadLevelZero, zeSetup } from '../level_zero_loader.js'

/** One optional component: whether the loaded libumf has it, whether it works here, and why not. */
export interface ComponentInfo {
  readonly built: boolean
  readonly usable: boolean
  /** What was found (a version, a library), or why it is not built or not usable. */
  readonly detail: string
}

/** A NUMA node as hwloc sees it. */
export interface NumaNodeInfo {
  readonly id: number
  readonly bytes: number
}

export interface SystemInfo {
  /** The umf package's version. */
  readonly version: string
  readonly library: {
    readonly path: string
    /** Whether it is the package's own build or the one `UMF_LIBRARY_PATH` names. */
    readonly source: 'package' | 'UMF_LIBRARY_PATH'
    readonly loaded: boolean
    /** The UMF API version it reports (`umfGetCurrentVersion`), e.g. `1.0`. */
    readonly apiVersion: string | null
    /** Why it could not be loaded. */
    readonly error: string | null
    /** Functions of UMF 1.1 the loaded library does not export. */
    readonly missingFunctions: readonly string[]
  }
  readonly components: {
    readonly hwloc: ComponentInfo & { readonly numaNodes: readonly NumaNodeInfo[] }
    readonly jemalloc: ComponentInfo
    readonly tbbmalloc: ComponentInfo
    readonly cuda: ComponentInfo
    readonly levelZero: ComponentInfo
  }
  readonly memspaces: Readonly<Record<string, { readonly available: boolean; readonly detail: string }>>
  readonly environment: Readonly<Record<string, string>>
}

/** Variables that change what UMF does, besides every `UMF_*` one. */
const OTHER_VARIABLES = ['HWLOC_XMLFILE', 'ZE_ENABLE_ALT_DRIVERS', 'CUDA_VISIBLE_DEVICES', 'GLIBC_TUNABLES']

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/^umf: /, '')
}

function packageVersion(root: string): string {
  try {
    return String(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version)
  } catch {
    return 'unknown'
  }
}

/** Whether `name` can be loaded with dlopen here (koffi.load; nothing of it is called). */
function loadable(name: string): { ok: boolean; detail: string } {
  try {
    koffi.load(name)
    return { ok: true, detail: `${name} found` }
  } catch (e) {
    return { ok: false, detail: `${name} not found (${message(e).split('\n')[0]})` }
  }
}

const HWLOC_TYPE_DEPTH_NUMANODE = -3
/** The first members of hwloc 2's `struct hwloc_obj`, which is ABI-stable across 2.x. */
const HwlocObjHead = koffi.struct('umf_info_hwloc_obj_head', {
  type: 'int',
  subtype: 'void *',
  os_index: 'uint32_t',
  name: 'void *',
  total_memory: 'uint64_t',
})

/** The NUMA nodes hwloc sees (honouring `HWLOC_XMLFILE`), through libhwloc.so.15 itself. */
function numaNodes(): NumaNodeInfo[] | string {
  let hwloc
  try {
    hwloc = koffi.load('libhwloc.so.15')
  } catch (e) {
    return `libhwloc.so.15 not found (${message(e).split('\n')[0]})`
  }
  const init = hwloc.func('int hwloc_topology_init(_Out_ void **topology)')
  const load = hwloc.func('int hwloc_topology_load(void *topology)')
  const count = hwloc.func('int hwloc_get_nbobjs_by_depth(void *topology, int depth)')
  const objAt = hwloc.func('void *hwloc_get_obj_by_depth(void *topology, int depth, unsigned int idx)')
  const destroy = hwloc.func('void hwloc_topology_destroy(void *topology)')
  const out: unknown[] = [null]
  if (init(out) !== 0 || out[0] === null) return 'hwloc_topology_init failed'
  const topology = out[0]
  try {
    if (load(topology) !== 0) return 'hwloc could not load the topology'
    const nodes: NumaNodeInfo[] = []
    const n = count(topology, HWLOC_TYPE_DEPTH_NUMANODE) as number
    for (let i = 0; i < n; i++) {
      const obj = objAt(topology, HWLOC_TYPE_DEPTH_NUMANODE, i)
      if (obj === null) continue
      const head = koffi.decode(obj, HwlocObjHead) as { os_index: number; total_memory: number | bigint }
      nodes.push({ id: head.os_index, bytes: Number(head.total_memory) })
    }
    return nodes
  } finally {
    destroy(topology)
  }
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`
}

/** Gathers everything `umf info` prints. Never throws. */
export async function systemInfo(): Promise<SystemInfo> {
  const environment: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (v !== undefined && (k.startsWith('UMF_') || OTHER_VARIABLES.includes(k))) environment[k] = v
  }
  const fromEnv = process.env['UMF_LIBRARY_PATH']
  const version = packageVersion(packageRoot)
  let nodes: NumaNodeInfo[] | string
  try {
    nodes = numaNodes()
  } catch (e) {
    nodes = `hwloc could not be asked: ${message(e)}`
  }
  const nodesDetail = typeof nodes === 'string' ? nodes : `hwloc sees ${nodes.length} NUMA node(s): ${nodes.map((n) => `${n.id} (${gib(n.bytes)})`).join(', ')}`

  let ffi: typeof import('../../ffi/index.js')
  let lib: typeof import('../index.js')
  try {
    ffi = await import('../../ffi/index.js')
    lib = await import('../index.js')
  } catch (e) {
    const notLoaded: ComponentInfo = { built: false, usable: false, detail: 'libumf is not loaded' }
    return {
      version,
      library: {
        path: fromEnv || defaultLibraryPath,
        source: fromEnv ? 'UMF_LIBRARY_PATH' : 'package',
        loaded: false,
        apiVersion: null,
        error: message(e),
        missingFunctions: [],
      },
      components: {
        hwloc: { ...notLoaded, numaNodes: typeof nodes === 'string' ? [] : nodes },
        jemalloc: notLoaded,
        tbbmalloc: notLoaded,
        cuda: notLoaded,
        levelZero: notLoaded,
      },
      memspaces: {},
      environment,
    }
  }

  /** Whether the loaded library exports `name` (a function taking nothing and returning a pointer). */
  const exported = (name: string): (() => unknown) | null => {
    try {
      return ffi.lib.func(`void *${name}(void)`) as () => unknown
    } catch {
      return null
    }
  }

  /** A pool of `kind` over an OS provider, one allocation written and freed: the end-to-end check. */
  const tryPool = (make: (p: InstanceType<typeof lib.OsMemoryProvider>) => InstanceType<typeof lib.MemoryPool>): string | null => {
    try {
      using provider = new lib.OsMemoryProvider()
      using pool = make(provider)
      const p = pool.malloc(4096)
      pool.view(p, 4096).fill(0xa5)
      pool.free(p)
      return null
    } catch (e) {
      return message(e)
    }
  }

  const hwloc = ((): ComponentInfo => {
    // NUMA modes other than default and local need hwloc: binding one page to the first node tells
    const first = typeof nodes === 'string' ? 0 : (nodes[0]?.id ?? 0)
    try {
      using provider = new lib.OsMemoryProvider({ numaMode: 'bind', numaList: [first] })
      const p = provider.alloc(4096)
      provider.free(p, 4096)
      return { built: true, usable: typeof nodes !== 'string', detail: nodesDetail }
    } catch (e) {
      const err = e as { code?: number }
      if (err.code === ffi.UMF_RESULT_ERROR_NOT_SUPPORTED) {
        return { built: false, usable: false, detail: `this libumf was built without hwloc (NUMA modes are not supported); ${nodesDetail}` }
      }
      return { built: true, usable: false, detail: `binding to node ${first} failed: ${message(e)}; ${nodesDetail}` }
    }
  })()

  const pool = (opsName: string, make: Parameters<typeof tryPool>[0], found: string): ComponentInfo => {
    const ops = exported(opsName)
    if (ops === null) return { built: false, usable: false, detail: `this libumf does not export ${opsName}` }
    if (ops() === null) return { built: false, usable: false, detail: `this libumf was built without it (${opsName}() returns NULL)` }
    const why = tryPool(make)
    return { built: true, usable: why === null, detail: why ?? found }
  }

  const gpu = (opsName: string, driver: string): ComponentInfo => {
    const ops = exported(opsName)
    const lib = loadable(driver)
    if (ops === null) return { built: false, usable: false, detail: `this libumf does not export ${opsName}; ${lib.detail}` }
    if (ops() === null) return { built: false, usable: false, detail: `this libumf was built without it; ${lib.detail}` }
    return { built: true, usable: lib.ok, detail: lib.detail }
  }

  /** The CUDA provider loads libcuda.so.1 itself: usable when creating its params (which loads the driver and its 14 entry points) works. */
  const cuda = (built: ComponentInfo): ComponentInfo => {
    if (!built.built) return built
    const out: [unknown] = [null]
    const rc = ffi.umfCUDAMemoryProviderParamsCreate(out as never)
    if (rc !== ffi.UMF_RESULT_SUCCESS) {
      return { built: true, usable: false, detail: `libumf cannot use libcuda.so.1 (${lib.resultName(rc)}); ${built.detail}` }
    }
    ffi.umfCUDAMemoryProviderParamsDestroy(out[0] as never)
    return { built: true, usable: true, detail: 'libcuda.so.1 loaded by libumf with the 14 entry points the CUDA provider needs' }
  }

  /** The Level Zero provider needs a driver behind the loader: usable when zeInit finds one with a device. */
  const levelZero = (built: ComponentInfo): ComponentInfo => {
    if (!built.built || !built.usable) return built
    try {
      const ze = zeSetup(loadLevelZero())
      return { built: true, usable: true, detail: `a Level Zero driver with ${ze.devices.length} device(s) behind libze_loader.so.1` }
    } catch (e) {
      const why = e instanceof LevelZeroError ? `${e.func}: ${e.zeName}` : (e as Error).message
      return { built: true, usable: false, detail: `libze_loader.so.1 finds no usable Level Zero driver (${why})` }
    }
  }

  const memspaces: Record<string, { available: boolean; detail: string }> = {}
  // declared here rather than taken from ffi/ so that a libumf without them is reported, not fatal
  const declare = <F>(proto: string): F | null => {
    try {
      return ffi.lib.func(proto) as F
    } catch {
      return null
    }
  }
  const count = declare<(m: unknown) => number | bigint>('size_t umfMemspaceMemtargetNum(const void *hMemspace)')
  const target = declare<(m: unknown, i: number) => unknown>('const void *umfMemspaceMemtargetGet(const void *hMemspace, unsigned int targetNum)')
  const targetId = declare<(t: unknown, id: [number]) => number>('int umfMemtargetGetId(const void *hMemtarget, _Out_ unsigned int *id)')
  /** The node ids of a memspace, in its order, when the library has the functions to say. */
  const nodeIds = (m: unknown, n: number): string => {
    if (target === null || targetId === null) return ''
    const ids: number[] = []
    for (let i = 0; i < n; i++) {
      const id: [number] = [0]
      if (targetId(target(m, i), id) !== ffi.UMF_RESULT_SUCCESS) return ''
      ids.push(id[0])
    }
    return `: node${n === 1 ? '' : 's'} ${ids.join(', ')}`
  }
  for (const name of ['HostAll', 'HighestCapacity', 'HighestBandwidth', 'LowestLatency']) {
    const get = exported(`umfMemspace${name}Get`)
    if (get === null || count === null) {
      memspaces[name] = { available: false, detail: `this libumf does not export umfMemspace${name}Get` }
      continue
    }
    const memspace = get()
    const why = name === 'HighestBandwidth' || name === 'LowestLatency' ? ' (no HMAT memory attributes)' : ''
    const n = memspace === null ? 0 : Number(count(memspace))
    memspaces[name] = memspace === null
      ? { available: false, detail: `umfMemspace${name}Get() returns NULL on this machine${why}` }
      : { available: true, detail: `${n} memory target(s)${nodeIds(memspace, n)}` }
  }

  const api = lib.version()
  return {
    version,
    library: {
      path: ffi.libraryPath,
      source: fromEnv ? 'UMF_LIBRARY_PATH' : 'package',
      loaded: true,
      apiVersion: `${api.major}.${api.minor}`,
      error: null,
      missingFunctions: [...ffi.missingSymbols].sort(),
    },
    components: {
      hwloc: { ...hwloc, numaNodes: typeof nodes === 'string' ? [] : nodes },
      jemalloc: pool('umfJemallocPoolOps', (p) => new lib.JemallocPool(p), 'the jemalloc pool works'),
      tbbmalloc: pool('umfScalablePoolOps', (p) => new lib.ScalablePool(p), 'libtbbmalloc.so.2 loaded; the scalable pool works'),
      cuda: cuda(gpu('umfCUDAMemoryProviderOps', 'libcuda.so.1')),
      levelZero: levelZero(gpu('umfLevelZeroMemoryProviderOps', 'libze_loader.so.1')),
    },
    memspaces,
    environment,
  }
}

/** The report as text, one line per fact. */
export function formatInfo(info: SystemInfo): string {
  const yes = (b: boolean) => (b ? 'yes' : 'no')
  const lines: string[] = []
  lines.push(`umf ${info.version}`)
  const l = info.library
  lines.push(`libumf: ${l.path} (${l.source === 'package' ? "the package's build" : 'from UMF_LIBRARY_PATH'})`)
  if (l.loaded) {
    lines.push(`  loaded, UMF API ${l.apiVersion}`)
    if (l.missingFunctions.length > 0) lines.push(`  missing functions (${l.missingFunctions.length}): ${l.missingFunctions.join(', ')}`)
  } else {
    lines.push(`  not loaded: ${l.error}`)
  }
  lines.push('components:')
  const names: Record<keyof SystemInfo['components'], string> = {
    hwloc: 'hwloc (NUMA)',
    jemalloc: 'jemalloc pool',
    tbbmalloc: 'tbbmalloc (scalable pool)',
    cuda: 'CUDA provider',
    levelZero: 'Level Zero provider',
  }
  for (const [key, label] of Object.entries(names) as [keyof SystemInfo['components'], string][]) {
    const c = info.components[key]
    lines.push(`  ${label.padEnd(26)} built: ${yes(c.built).padEnd(3)}  usable: ${yes(c.usable).padEnd(3)}  ${c.detail}`)
  }
  lines.push('memspaces:')
  const spaces = Object.entries(info.memspaces)
  if (spaces.length === 0) lines.push('  (libumf is not loaded)')
  for (const [name, m] of spaces) lines.push(`  ${name.padEnd(26)} ${m.available ? 'available' : 'not available'}: ${m.detail}`)
  lines.push('environment:')
  const env = Object.entries(info.environment)
  if (env.length === 0) lines.push('  (no UMF variables set)')
  for (const [k, v] of env) lines.push(`  ${k}=${v}`)
  return lines.join('\n')
}
