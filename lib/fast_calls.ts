/**
 * What the hot paths of {@link MemoryPool} call instead of the generic ffi/ bindings.
 *
 * 1. `umfPoolMalloc` and `umfPoolFree` declared a second time, with `uintptr_t` in place of the pointer
 *    types: koffi then passes and returns plain numbers instead of BigInts, which saves about 15 ns per
 *    pointer argument and lets lib/'s size table use the address as it comes (its keys are numbers). Only
 *    for addresses below 2^53 (koffi returns a BigInt past that; lib/ then takes the generic path).
 *
 * 2. The optional helper library `libumf_batch.so.1` (vendor/umf/batch), built next to libumf.so.1: C loops
 * over `umfPoolMalloc`/`umfPoolFree` for {@link MemoryPool.mallocMany} and {@link MemoryPool.freeMany}, one
 * koffi call per batch instead of one per element.
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

/** The helper's functions (pointers as bigint, arrays as BigUint64Array). @internal */
export interface BatchFunctions {
  /** Allocates n blocks into out; returns how many it allocated before the first failure. */
  malloc(pool: bigint, size: number | bigint, out: BigUint64Array, n: number): number
  /** Frees n addresses of ptrs (0 skipped); returns UMF_RESULT_SUCCESS or the first error. */
  free(pool: bigint, ptrs: BigUint64Array, n: number): number
  /** n malloc+free pairs timed in C: ns, or -1 on failure (benchmarks). */
  pairs(pool: bigint, size: number, n: number): number
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
    return {
      malloc: h.func('size_t umf_batch_malloc(void *pool, size_t size, void *out, size_t n)') as BatchFunctions['malloc'],
      free: h.func('int umf_batch_free(void *pool, const void *ptrs, size_t n)') as BatchFunctions['free'],
      pairs: h.func('double umf_batch_pairs(void *pool, size_t size, size_t n)') as BatchFunctions['pairs'],
      file,
    }
  } catch {
    return null // unusable (e.g. built for another libumf): the TypeScript loops do the work
  }
}

/**
 * `umfPoolMalloc(pool, size)` with the pool handle and the result as numbers (a bigint result past 2^53).
 * @internal
 */
export const poolMallocN = umfLib.func('uintptr_t umfPoolMalloc(uintptr_t hPool, size_t size)') as (pool: number, size: number) => number | bigint

/** `umfPoolFree(pool, ptr)` with the pool handle and the address as numbers. @internal */
export const poolFreeN = umfLib.func('int umfPoolFree(uintptr_t hPool, uintptr_t ptr)') as (pool: number, ptr: number) => number

/** The helper, or null when it is not built (or `UMF_NO_BATCH_LIBRARY` is set). @internal */
export const batch: BatchFunctions | null = load()
