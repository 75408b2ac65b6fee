/**
 * What the TypeScript benchmarks (scripts/bench-*.ts) share: command-line options, timing, medians,
 * interleaved samples, the bare koffi call they compare against, the pair loops, the C benchmark runner
 * and the table's number format.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type * as Ffi from '../ffi/index.js'
import type { MemoryPool } from '../lib/index.js'

/** The folder of the C benchmarks: UMF_BENCH_DIR, else build/Release/benchmark. */
export const benchDir =
  process.env['UMF_BENCH_DIR'] || path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'build', 'Release', 'benchmark')

/**
 * The value after a command-line option (`--runs 5` gives `'5'`).
 *
 * @param name - the option
 * @returns its value, or undefined when it is not given
 */
export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : undefined
}

/**
 * The median of some numbers.
 *
 * @param xs - the numbers (at least one)
 * @returns the median
 */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/**
 * ns per iteration of one short run of body(n).
 *
 * @param body - runs n iterations
 * @param n - iterations
 * @returns ns per iteration
 */
export function sample(body: (n: number) => void, n: number): number {
  const t0 = process.hrtime.bigint()
  body(n)
  return Number(process.hrtime.bigint() - t0) / n
}

/**
 * Interleaved short samples of several bodies (bare call, ffi pair, lib pair), rotating their order, so
 * that the load of a shared machine hits all of them alike.
 *
 * @param bodies - [body, iterations per sample] each
 * @param rounds - samples of each body
 * @param warmup - the fewest iterations of the warm-up run of each body (JIT, first mappings)
 * @returns the median ns per iteration of each body
 */
export function measureInterleaved(bodies: [(n: number) => void, number][], rounds: number, warmup: number): number[] {
  for (const [b, n] of bodies) b(Math.max(n, warmup))
  const out: number[][] = bodies.map(() => [])
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < bodies.length; k++) {
      const i = (k + r) % bodies.length
      const [b, n] = bodies[i]!
      out[i]!.push(sample(b, n))
    }
  }
  return out.map(median)
}

/**
 * The reference body: n bare koffi calls of an argument-less function (umfGetCurrentVersion).
 *
 * @param f - the function
 * @returns the body
 */
export function bareCalls(f: () => number): (n: number) => void {
  return (n) => {
    let x = 0
    for (let i = 0; i < n; i++) x += f()
    if (x === 42) console.log(x)
  }
}

/**
 * n malloc+free pairs of `size` bytes through ffi/ (umfPoolMalloc/umfPoolFree).
 *
 * @param ffi - the ffi/ module
 * @param h - the pool handle
 * @param size - bytes
 * @returns the body
 */
export function ffiPoolPairs(ffi: typeof Ffi, h: Ffi.umf_memory_pool_handle_t, size: number): (n: number) => void {
  return (n) => {
    const m = ffi.umfPoolMalloc
    const f = ffi.umfPoolFree
    for (let i = 0; i < n; i++) {
      const p = m(h, size)
      if (p === null) throw new Error('umfPoolMalloc failed')
      f(h, p)
    }
  }
}

/**
 * n malloc+free pairs of `size` bytes through lib/ (pool.malloc/pool.free).
 *
 * @param pool - the pool
 * @param size - bytes
 * @returns the body
 */
export function libPoolPairs(pool: MemoryPool, size: number): (n: number) => void {
  return (n) => {
    for (let i = 0; i < n; i++) pool.free(pool.malloc(size))
  }
}

/**
 * Runs a C benchmark of {@link benchDir}.
 *
 * @param bin - its file name
 * @param args - its arguments
 * @returns its output, or undefined when it is not built or failed (said on stderr)
 */
export function runC(bin: string, args: string[]): string | undefined {
  const file = path.join(benchDir, bin)
  if (!existsSync(file)) return undefined
  try {
    return execFileSync(file, args, { encoding: 'utf8', timeout: 600_000, env: process.env })
  } catch (e) {
    console.error(`${bin} failed: ${(e as Error).message.split('\n')[0]}`)
    return undefined
  }
}

/**
 * A number for a table cell.
 *
 * @param x - the number
 * @param d - decimals
 * @returns it, or `n/a` when it is missing or not finite
 */
export function fmt(x: number | undefined, d = 1): string {
  return x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(d)
}
