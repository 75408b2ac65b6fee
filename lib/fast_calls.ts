/**
 * What the hot paths of {@link MemoryPool} call instead of the generic ffi/ bindings.
 *
 * 1. `umfPoolMalloc` and `umfPoolFree` with the pool handle, size and address as numbers instead of BigInts
 *    (lib/'s size table keys are numbers). With the helper below: its `umf_batch_malloc_args` and
 *    `umf_batch_free_args`, functions without parameters that read their arguments from a block of the
 *    calling thread's (written through a Float64Array over it), since koffi converts each argument (about
 *    8 ns) and takes its cheapest path for a function without any. Without the helper: the two functions
 *    of libumf declared a second time with `uintptr_t` in place of the pointer types. Only for addresses
 *    below 2^53 (a BigInt past that; lib/ then takes the generic path).
 *
 * 2. The optional helper library `libumf_batch.so.1` (vendor/umf/batch), built next to libumf.so.1: C loops
 * over `umfPoolMalloc`/`umfPoolFree` for {@link MemoryPool.mallocMany} and {@link MemoryPool.freeMany}, one
 * koffi call per batch instead of one per element, and the size table's batch insert and delete done in C
 * on the table's own arrays (lib/sizes.ts).
 *
 * Why a separate library: libumf.so.1 must export exactly UMF 1.1's functions, and a loop of koffi calls
 * costs a koffi call (tens of ns) per element, several times the C cost of a small allocation. The helper
 * calls only libumf's public API and is linked to it by SONAME, so it runs on whichever libumf.so.1 this
 * process loaded (an upstream one named by `UMF_LIBRARY_PATH` too). When it is missing, the batch calls
 * fall back to a loop in TypeScript: same results, slower.
 *
 * @module fast_calls
 * @internal
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import koffi from 'koffi'
import { defaultLibraryPath, lib as umfLib } from '../ffi/library.js'

/** The helper's functions (pointers as bigint, arrays as typed arrays). @internal */
export interface BatchFunctions {
  /** Allocates n blocks into out; returns how many it allocated before the first failure. */
  malloc(pool: bigint, size: number | bigint, out: BigUint64Array, n: number): number
  /** Frees n addresses of ptrs (0 skipped); returns UMF_RESULT_SUCCESS or the first error. */
  free(pool: bigint, ptrs: BigUint64Array, n: number): number
  /** n malloc+free pairs timed in C: ns, or -1 on failure (benchmarks). */
  pairs(pool: bigint, size: number, n: number): number
  /** SizeTable.setMany in C on the table's arrays: the count of new keys, -1 for a bad table. */
  tableSet(keys: Float64Array, sizes: Float64Array, slots: number, addrs: Uint32Array, n: number, size: number): number
  /** SizeTable.deleteMany in C: -1 when all were removed, else the first index not held (none removed). */
  tableDelete(keys: Float64Array, sizes: Float64Array, slots: number, addrs: Uint32Array, n: number, taken: Float64Array): number
  /** This thread's argument block of mallocArgs/freeArgs (4 doubles; [3] also seen as a uint64). */
  argv: Float64Array
  argvBig: BigUint64Array
  /** umfPoolMalloc(argv[0], argv[1]): 1 (address in argv[2]), 2 (address past 2^53 in argvBig[3]), 0 failed, -1 bad arguments. */
  mallocArgs(): number
  /** umfPoolFree(argv[0], argv[1]). */
  freeArgs(): number
  /** The file it was loaded from. */
  file: string
}

function load(): BatchFunctions | null {
  if (process.env['UMF_NO_BATCH_LIBRARY']) return null
  // libumf must be loaded first (the import above does it): the helper then binds to that copy
  void umfLib
  const file = path.join(path.dirname(defaultLibraryPath), 'libumf_batch.so.1')
  if (!existsSync(file)) return null
  try {
    const h = koffi.load(file)
    const block = koffi.view(h.func('double *umf_batch_args(void)')() as bigint, 32)
    return {
      malloc: h.func('size_t umf_batch_malloc(void *pool, size_t size, void *out, size_t n)') as BatchFunctions['malloc'],
      free: h.func('int umf_batch_free(void *pool, const void *ptrs, size_t n)') as BatchFunctions['free'],
      pairs: h.func('double umf_batch_pairs(void *pool, size_t size, size_t n)') as BatchFunctions['pairs'],
      tableSet: h.func(
        'int64_t umf_batch_table_set(void *keys, void *sizes, size_t slots, const void *addrs, size_t n, double size)',
      ) as BatchFunctions['tableSet'],
      tableDelete: h.func(
        'int64_t umf_batch_table_delete(void *keys, void *sizes, size_t slots, const void *addrs, size_t n, void *taken)',
      ) as BatchFunctions['tableDelete'],
      argv: new Float64Array(block),
      argvBig: new BigUint64Array(block),
      mallocArgs: h.func('int umf_batch_malloc_args(void)') as BatchFunctions['mallocArgs'],
      freeArgs: h.func('int umf_batch_free_args(void)') as BatchFunctions['freeArgs'],
      file,
    }
  } catch {
    return null // unusable (e.g. built for another libumf): the TypeScript loops do the work
  }
}

const mallocN = umfLib.func('uintptr_t umfPoolMalloc(uintptr_t hPool, size_t size)') as (pool: number, size: number) => number | bigint
const freeN = umfLib.func('int umfPoolFree(uintptr_t hPool, uintptr_t ptr)') as (pool: number, ptr: number) => number

/** The helper, or null when it is not built (or `UMF_NO_BATCH_LIBRARY` is set). @internal */
export const batch: BatchFunctions | null = load()

/**
 * `umfPoolMalloc(pool, size)` with the pool handle, size and result as numbers (a bigint result past 2^53;
 * 0 when it fails). With the helper: a call without arguments, which reads them from this thread's block
 * in the helper (written here through a Float64Array): about 16 ns cheaper than koffi converting two.
 * @internal
 */
export const poolMallocN: (pool: number, size: number) => number | bigint =
  batch === null
    ? mallocN
    : (pool, size) => {
        const { argv } = batch
        argv[0] = pool
        argv[1] = size
        const r = batch.mallocArgs()
        if (r === 1) return argv[2]!
        if (r === 2) return batch.argvBig[3]!
        if (r === 0) return 0
        throw new TypeError(`umf_batch_malloc_args: bad pool handle ${pool} or size ${size}`)
      }

/** `umfPoolFree(pool, ptr)` with the pool handle and the address as numbers (below 2^53). @internal */
export const poolFreeN: (pool: number, ptr: number) => number =
  batch === null
    ? freeN
    : (pool, ptr) => {
        const { argv } = batch
        argv[0] = pool
        argv[1] = ptr
        return batch.freeArgs()
      }
