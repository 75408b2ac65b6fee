/**
 * CTL, UMF's control and statistics interface: read and write the values of nodes named by dotted paths
 * (`umf.logger.level`, `umf.pool.by_handle.{}.stats.alloc_count`...), run their actions, and store defaults
 * for pools and providers created later. See the CTL page for every path.
 *
 * ```ts
 * import { ctl, DisjointPool, OsMemoryProvider } from 'umf'
 * using provider = new OsMemoryProvider()
 * using pool = new DisjointPool(provider)
 * ctl.get('umf.pool.by_handle.{}.stats.alloc_count', pool) // 0
 * ctl.setDefault('umf.pool.default.disjoint.params.pool_trace', 2)
 * ```
 *
 * @module ctl
 */
import { z } from 'zod'
import * as ffi from '../ffi/index.js'
import { check, guarded } from './errors.js'
import { UmfHandle } from './handle.js'
import { describe } from './validate.js'

/** The C type of a node's value. */
export type CtlType = 'size_t' | 'int' | 'bool' | 'string'

/** The TypeScript value of each {@link CtlType}. */
export interface CtlTypeValue {
  size_t: number
  int: number
  bool: boolean
  string: string
}

/** A value a node holds. */
export type CtlValue = number | boolean | string

/** The logger's nodes, under `umf.logger.`. */
export interface CtlLoggerNodes {
  /** Prefix messages with the time. */
  timestamp: boolean
  /** Prefix messages with the process and thread ids. */
  pid: boolean
  /** The lowest level logged: 0 debug, 1 info, 2 warning, 3 error, 4 fatal. */
  level: number
  /** The lowest level after which the output is flushed (0..4). */
  flush_level: number
  /** `stdout`, `stderr` or a file path (appended to); reads `disabled` when there is no output. */
  output: string
}

/** The nodes of pools and providers, after `umf.pool.by_handle.{}.` and the like: their value types. */
export interface CtlObjectNodes {
  'stats.alloc_count': number
  'stats.allocated_memory': number
  'stats.peak_memory': number
  'params.ipc_enabled': number
  'params.use_import_export_for_IPC': number
  'params.slab_min_size': number
  'params.max_poolable_size': number
  'params.capacity': number
  'params.min_bucket_size': number
  'params.pool_trace': number
  'stats.used_memory': number
  'stats.reserved_memory': number
  'stats.alloc_num': number
  'stats.alloc_pool_num': number
  'stats.free_num': number
  'stats.curr_slabs_in_use': number
  'stats.curr_slabs_in_pool': number
  'stats.max_slabs_in_use': number
  'stats.max_slabs_in_pool': number
  'buckets.count': number
  'size': number
  count: number
  /** This library's extension (disjoint, jemalloc, scalable pools): switches the extended statistics on. */
  'params.extended_stats': boolean
  /** Extension: live bytes as the callers asked for them. */
  'stats.allocated_bytes': number
  /** Extension: the most `stats.allocated_bytes` has been (since creation or the last reset). */
  'stats.peak_allocated_bytes': number
  /** Extension: `stats.size_histogram.{}.min_size`, the smallest size of a class (2^i). */
  min_size: number
  /** Extension: `stats.size_histogram.{}.max_size`, the largest size of a class (2^(i+1) - 1). */
  max_size: number
  /** Extension: `stats.size_histogram.{}.alloc_num`, allocations asked for with a size of the class. */
  alloc_num: number
}

const LOGGER_TYPES: Record<keyof CtlLoggerNodes, CtlType> = {
  timestamp: 'bool',
  pid: 'bool',
  level: 'int',
  flush_level: 'int',
  output: 'string',
}

/** The C type of each object node (the longest matching tail wins). */
const OBJECT_TYPES: Record<keyof CtlObjectNodes, CtlType> = {
  'stats.alloc_count': 'size_t',
  'stats.allocated_memory': 'size_t',
  'stats.peak_memory': 'size_t',
  'params.ipc_enabled': 'int',
  'params.use_import_export_for_IPC': 'int',
  'params.slab_min_size': 'size_t',
  'params.max_poolable_size': 'size_t',
  'params.capacity': 'size_t',
  'params.min_bucket_size': 'size_t',
  'params.pool_trace': 'int',
  'stats.used_memory': 'size_t',
  'stats.reserved_memory': 'size_t',
  'stats.alloc_num': 'size_t',
  'stats.alloc_pool_num': 'size_t',
  'stats.free_num': 'size_t',
  'stats.curr_slabs_in_use': 'size_t',
  'stats.curr_slabs_in_pool': 'size_t',
  'stats.max_slabs_in_use': 'size_t',
  'stats.max_slabs_in_pool': 'size_t',
  'buckets.count': 'size_t',
  size: 'size_t',
  count: 'size_t',
  'params.extended_stats': 'bool',
  'stats.allocated_bytes': 'size_t',
  'stats.peak_allocated_bytes': 'size_t',
  min_size: 'size_t',
  max_size: 'size_t',
  alloc_num: 'size_t',
}

/**
 * The value type of the object node a path ends with, or never.
 *
 * @typeParam P - the path
 */
export type ObjectTail<P extends string> = {
  [T in keyof CtlObjectNodes]: P extends `${string}.${T}` ? CtlObjectNodes[T] : never
}[keyof CtlObjectNodes]

/**
 * The value type of a path: that of a known node, else {@link CtlValue}.
 *
 * @typeParam P - the path
 */
export type CtlValueOf<P extends string> = P extends `umf.logger.${infer N extends keyof CtlLoggerNodes}`
  ? CtlLoggerNodes[N]
  : [ObjectTail<P>] extends [never]
    ? CtlValue
    : ObjectTail<P>

/**
 * What fills a `{}` of a path: a pool or provider (or its raw handle) after `by_handle`; a node name or an
 * index elsewhere.
 */
export type CtlArg = UmfHandle | bigint | string | number

const NODE = /^[A-Za-z0-9_-]+$/
const PathSchema = z
  .string({ error: 'a CTL path must be a string' })
  .min(1, 'a CTL path must not be empty')
  .max(1000, 'a CTL path must be at most 1000 characters')
  .refine((p) => p.split('.').every((n) => n === '{}' || NODE.test(n)), {
    error: 'a CTL path is nodes of [A-Za-z0-9_-] (or {}) joined by "."',
  })

/** The C type of a known path, or undefined. */
export function ctlTypeOf(path: string): CtlType | undefined {
  const logger = /^umf\.logger\.([^.]+)$/.exec(path)
  if (logger) return LOGGER_TYPES[logger[1] as keyof CtlLoggerNodes]
  let best: CtlType | undefined
  let bestLen = 0
  for (const [tail, type] of Object.entries(OBJECT_TYPES)) {
    if ((path.endsWith(`.${tail}`) || path === tail) && tail.length > bestLen) {
      best = type
      bestLen = tail.length
    }
  }
  return best
}

/** The path with every `{}` not taking a handle replaced by its argument, and the handles to pass. */
function resolve(path: unknown, args: readonly unknown[], fn: string): { path: string; handles: bigint[] } {
  const parsed = PathSchema.safeParse(path)
  if (!parsed.success) throw new TypeError(`${fn}: ${z.prettifyError(parsed.error)} (got ${describe(path)})`)
  const nodes = parsed.data.split('.')
  const handles: bigint[] = []
  let used = 0
  for (let i = 0; i < nodes.length; i++) {
    if (nodes[i] !== '{}') continue
    if (used >= args.length) throw new TypeError(`${fn}: ${parsed.data} has more {} than the ${args.length} arguments given`)
    const a = args[used++]
    if (nodes[i - 1] === 'by_handle') {
      // C dereferences this handle: only a live object, or a handle of one, may get there
      let h: bigint
      if (a instanceof UmfHandle) h = a.handle
      else if (typeof a === 'bigint' && a > 0n) h = a
      else throw new TypeError(`${fn}: the {} after by_handle takes a pool or a provider (got ${describe(a)})`)
      handles.push(h)
      continue
    }
    if (typeof a === 'number' && Number.isSafeInteger(a) && a >= 0) nodes[i] = String(a)
    else if (typeof a === 'string' && NODE.test(a)) nodes[i] = a
    else throw new TypeError(`${fn}: a {} of ${parsed.data} takes a node name of [A-Za-z0-9_-] or an index (got ${describe(a)})`)
  }
  if (used !== args.length) throw new TypeError(`${fn}: ${parsed.data} has ${used} {} but ${args.length} arguments were given`)
  return { path: nodes.join('.'), handles }
}

function variadic(handles: bigint[]): unknown[] {
  return handles.flatMap((h) => ['void *', h])
}

function sizeOf(type: CtlType): number {
  return type === 'size_t' ? 8 : type === 'int' ? 4 : type === 'bool' ? 4 : 256
}

function decode(buf: Buffer, type: CtlType): CtlValue {
  switch (type) {
    case 'size_t': {
      const v = buf.readBigUInt64LE(0)
      return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : Number.MAX_SAFE_INTEGER
    }
    case 'int':
      return buf.readInt32LE(0)
    case 'bool':
      return buf.readInt32LE(0) !== 0
    case 'string': {
      const end = buf.indexOf(0)
      return buf.subarray(0, end < 0 ? buf.length : end).toString('utf8')
    }
  }
}

function encode(value: unknown, type: CtlType, fn: string, path: string): Buffer {
  const bad = (want: string) => new TypeError(`${fn}: ${path} takes ${want} (got ${describe(value)})`)
  switch (type) {
    case 'size_t': {
      if (!((typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) || (typeof value === 'bigint' && value >= 0n && value < 1n << 64n)))
        throw bad('a size (a non-negative integer)')
      const b = Buffer.alloc(8)
      b.writeBigUInt64LE(BigInt(value))
      return b
    }
    case 'int': {
      if (!(typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31)) throw bad('a 32-bit integer')
      const b = Buffer.alloc(4)
      b.writeInt32LE(value)
      return b
    }
    case 'bool': {
      if (typeof value !== 'boolean') throw bad('a boolean')
      const b = Buffer.alloc(4)
      b.writeInt32LE(value ? 1 : 0)
      return b
    }
    case 'string': {
      if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) throw bad('a non-empty string without NUL')
      return Buffer.from(`${value}\0`, 'utf8')
    }
  }
}

function typeFor(path: string, type: CtlType | undefined, fn: string): CtlType {
  if (type !== undefined) {
    if (!['size_t', 'int', 'bool', 'string'].includes(type)) throw new TypeError(`${fn}: unknown CTL type ${describe(type)}`)
    return type
  }
  const known = ctlTypeOf(path)
  if (known === undefined) throw new TypeError(`${fn}: the value type of ${path} is not known: use ${fn}As(type, path, ...)`)
  return known
}

function doGet(type: CtlType | undefined, path: unknown, args: readonly unknown[], fn: string): CtlValue {
  const r = resolve(path, args, fn)
  const t = typeFor(r.path, type, fn)
  const buf = Buffer.alloc(sizeOf(t))
  // guarded: a TypeScript pool or provider may answer, and its exception is rethrown here
  check(guarded(() => ffi.umfCtlGet(r.path, buf as unknown as bigint, buf.length, ...variadic(r.handles))), `umfCtlGet(${r.path})`)
  return decode(buf, t)
}

function doSet(type: CtlType | undefined, path: unknown, value: unknown, args: readonly unknown[], fn: string): void {
  const r = resolve(path, args, fn)
  const t = typeFor(r.path, type, fn)
  const buf = encode(value, t, fn, r.path)
  check(guarded(() => ffi.umfCtlSet(r.path, buf as unknown as bigint, buf.length, ...variadic(r.handles))), `umfCtlSet(${r.path})`)
}

/**
 * Reads a node. The value type comes from the path (see {@link CtlValueOf}); for a node this library does
 * not know (a TypeScript pool's own, say) use {@link getAs}.
 *
 * @param path - the path; each `{}` takes one of `args`
 * @param args - a pool or provider for the `{}` after `by_handle`, a name or index for any other `{}`
 * @returns the value
 * @throws UmfError from `umfCtlGet` (e.g. `UMF_RESULT_ERROR_INVALID_CTL_PATH`); TypeError for bad input
 */
export function get<P extends string>(path: P, ...args: CtlArg[]): CtlValueOf<P> {
  return doGet(undefined, path, args, 'ctl.get') as CtlValueOf<P>
}

/**
 * Reads a node whose value has the given C type.
 *
 * @param type - the node's C type
 * @param path - the path
 * @param args - the `{}` arguments
 * @returns the value
 */
export function getAs<T extends CtlType>(type: T, path: string, ...args: CtlArg[]): CtlTypeValue[T] {
  return doGet(type, path, args, 'ctl.get') as CtlTypeValue[T]
}

/**
 * Writes a node.
 *
 * @param path - the path
 * @param value - the value, of the node's type
 * @param args - the `{}` arguments
 */
export function set<P extends string>(path: P, value: CtlValueOf<P>, ...args: CtlArg[]): void {
  doSet(undefined, path, value, args, 'ctl.set')
}

/**
 * Writes a node whose value has the given C type.
 *
 * @param type - the node's C type
 * @param path - the path
 * @param value - the value
 * @param args - the `{}` arguments
 */
export function setAs<T extends CtlType>(type: T, path: string, value: CtlTypeValue[T], ...args: CtlArg[]): void {
  doSet(type, path, value, args, 'ctl.set')
}

/**
 * Runs a node's action, e.g. `umf.provider.by_handle.{}.stats.peak_memory.reset`.
 *
 * @param path - the path
 * @param args - the `{}` arguments
 */
export function exec(path: string, ...args: CtlArg[]): void {
  const r = resolve(path, args, 'ctl.exec')
  check(guarded(() => ffi.umfCtlExec(r.path, null, 0, ...variadic(r.handles))), `umfCtlExec(${r.path})`)
}

const DefaultPath = /^umf\.(pool|provider)\.default\.[A-Za-z0-9_-]+\.[A-Za-z0-9_.-]+$/

/**
 * Stores a default for every pool or provider of a kind created later
 * (`umf.pool.default.<name>.<node>` / `umf.provider.default.<name>.<node>`), written to it before its
 * `post_initialize`. The type comes from the node when known; give it for others.
 *
 * @param path - `umf.pool.default.<name>.<node>` or `umf.provider.default.<name>.<node>`
 * @param value - the value
 * @param type - the node's C type, for nodes this library does not know
 */
export function setDefault(path: string, value: CtlValue, type?: CtlType): void {
  if (typeof path !== 'string' || !DefaultPath.test(path))
    throw new TypeError(`ctl.setDefault: expected umf.pool.default.<name>.<node> or umf.provider.default.<name>.<node> (got ${describe(path)})`)
  doSet(type, path, value, [], 'ctl.setDefault')
}

/**
 * Reads a stored default.
 *
 * @param path - as for {@link setDefault}
 * @param type - the node's C type, for nodes this library does not know
 * @returns the value
 * @throws UmfError `UMF_RESULT_ERROR_INVALID_CTL_PATH` when none is stored
 */
export function getDefault(path: string, type?: CtlType): CtlValue {
  if (typeof path !== 'string' || !DefaultPath.test(path))
    throw new TypeError(`ctl.getDefault: expected umf.pool.default.<name>.<node> or umf.provider.default.<name>.<node> (got ${describe(path)})`)
  return doGet(type, path, [], 'ctl.getDefault')
}

/** Where a CTL query to a TypeScript pool or provider comes from. */
export type CtlSource = 'unknown' | 'programmatic' | 'config'
/** What a CTL query to a TypeScript pool or provider asks. */
export type CtlQueryType = 'read' | 'write' | 'runnable'

/** @internal */
export function ctlSourceName(source: number): CtlSource {
  return source === ffi.CTL_QUERY_PROGRAMMATIC ? 'programmatic' : source === ffi.CTL_QUERY_CONFIG_INPUT ? 'config' : 'unknown'
}

/** @internal */
export function ctlQueryTypeName(type: number): CtlQueryType | undefined {
  return type === ffi.CTL_QUERY_READ ? 'read' : type === ffi.CTL_QUERY_WRITE ? 'write' : type === ffi.CTL_QUERY_RUNNABLE ? 'runnable' : undefined
}
