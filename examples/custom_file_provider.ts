// A memory provider written in TypeScript that hands out memory of a file, serving a pool.
//
// UMF's C example of the same name writes a provider in C that opens a file, sizes it, mmap()s it, and
// carves allocations out of the mapping with its own bookkeeping. Node.js cannot mmap a file by itself,
// so this port splits the work honestly: the mapping comes from UMF's FileMemoryProvider (shared
// visibility, so what is written lands in the file), and everything else the C example does by hand is
// TypeScript here: the provider takes one region of the mapping at start, carves allocations out of it
// with a first-fit free list (aligned, split on allocation, coalesced on free), logs every operation,
// refuses pointers it did not hand out, and gives the region back when the pool is destroyed. A proxy
// pool allocates from it; afterwards the program reads the file with fs to show the data is there.
//
//   npx tsx examples/custom_file_provider.ts [file]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { FileMemoryProvider, MemoryProvider, ProxyPool, type MemoryProviderImpl } from 'umf'

const REGION = 4 * 1024 * 1024 // bytes of the file this provider manages
const PAGE = 4096

const hex = (p: bigint) => `0x${p.toString(16)}`

/** A free or used piece of the region: [offset, offset + size). */
interface Piece {
  offset: number
  size: number
}

/** The TypeScript provider: a first-fit allocator over one region of a file mapping. */
class FileRegionProvider implements MemoryProviderImpl {
  readonly name = 'file_region'
  readonly base: bigint
  /** Free pieces, sorted by offset, never adjacent (coalesced). */
  readonly #free: Piece[] = [{ offset: 0, size: REGION }]
  /** Used pieces by address. */
  readonly #used = new Map<bigint, Piece>()
  log: string[] = []

  constructor(readonly mapping: FileMemoryProvider) {
    // the region: one allocation of the file provider (page-aligned memory mapped from the file)
    this.base = mapping.alloc(REGION, PAGE)
    this.#say(`took ${REGION} bytes of ${mapping.path} at ${hex(this.base)}`)
  }

  #say(line: string): void {
    this.log.push(line)
    console.log(`[file_region] ${line}`)
  }

  alloc(size: number, alignment: number): bigint | null {
    const align = BigInt(Math.max(alignment, PAGE))
    const want = Math.ceil(size / PAGE) * PAGE
    for (let i = 0; i < this.#free.length; i++) {
      const piece = this.#free[i]!
      const start = this.base + BigInt(piece.offset)
      const aligned = ((start + align - 1n) / align) * align
      const skip = Number(aligned - start)
      if (skip + want > piece.size) continue
      // split: [piece.offset, skip) stays free, [skip, skip + want) is used, the rest stays free
      const rest: Piece[] = []
      if (skip > 0) rest.push({ offset: piece.offset, size: skip })
      if (skip + want < piece.size) rest.push({ offset: piece.offset + skip + want, size: piece.size - skip - want })
      this.#free.splice(i, 1, ...rest)
      this.#used.set(aligned, { offset: piece.offset + skip, size: want })
      this.#say(`alloc ${size} (align ${alignment}) -> ${hex(aligned)}, region offset ${piece.offset + skip}`)
      return aligned
    }
    this.#say(`alloc ${size}: no room left`)
    return null // the pool reports UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY
  }

  free(ptr: bigint, _size: number): void {
    const piece = this.#used.get(ptr)
    if (piece === undefined) throw new Error(`file_region: ${hex(ptr)} is not an allocation of this provider`)
    this.#used.delete(ptr)
    // insert in offset order and merge with free neighbours
    let i = this.#free.findIndex((p) => p.offset > piece.offset)
    if (i < 0) i = this.#free.length
    this.#free.splice(i, 0, { ...piece })
    const merged: Piece[] = []
    for (const p of this.#free) {
      const last = merged.at(-1)
      if (last !== undefined && last.offset + last.size === p.offset) last.size += p.size
      else merged.push({ ...p })
    }
    this.#free.splice(0, this.#free.length, ...merged)
    this.#say(`free ${hex(ptr)} (${piece.size} bytes); free pieces: ${this.#free.length}`)
  }

  recommendedPageSize(): number {
    return PAGE
  }

  minPageSize(): number {
    return PAGE
  }

  get liveAllocations(): number {
    return this.#used.size
  }

  finalize(): void {
    this.mapping.free(this.base, REGION)
    this.#say(`gave the region back (${this.#used.size} allocations still live)`)
  }
}

const file = process.argv[2] ?? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'umf-example-')), 'custom_file_provider.bin')
const message = 'Hello from a TypeScript provider over a file!'

{
  using mapping = new FileMemoryProvider({ path: file, visibility: 'shared' })
  const impl = new FileRegionProvider(mapping)
  {
    using provider = new MemoryProvider(impl)
    using pool = new ProxyPool(provider)
    console.log(`pool "${pool.name}" over provider "${provider.name}" over "${mapping.name}" (${file})`)

    const a = pool.malloc(100)
    const b = pool.alignedMalloc(10_000, 64 * 1024)
    const c = pool.malloc(PAGE)
    console.log(`b is aligned to 64 KiB: ${b % 65536n === 0n}`)
    pool.view(b).set(Buffer.from(message))
    console.log(`wrote "${message}" at ${hex(b)}`)
    pool.free(a)
    pool.free(c) // a and c are free again; b stays, so its bytes are still in the file when we look
    console.log(`live allocations in the TypeScript provider: ${impl.liveAllocations}`)
    pool.free(b)
  }
  console.log(`provider log: ${impl.log.length} lines`)
}

// the providers are gone; the bytes written through the shared mapping are in the file
const bytes = fs.readFileSync(file)
const at = bytes.indexOf(message)
console.log(`the file is ${bytes.length} bytes; the message is in it at offset ${at}: ${at >= 0}`)
if (process.argv[2] === undefined) fs.rmSync(path.dirname(file), { recursive: true, force: true })
console.log('custom file provider example done')
