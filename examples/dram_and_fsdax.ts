// DRAM and persistent memory side by side, each behind its own jemalloc pool, as UMF's dram_and_fsdax
// example does: the OS memory provider for DRAM, and the file memory provider with shared visibility over
// a file on an FSDAX file system (mapped with MAP_SYNC). Set UMF_TESTS_FSDAX_PATH to a file on such a
// mount (e.g. /mnt/pmem/umf.bin); without it the example uses a regular temporary file and says so.
//
//   npx tsx examples/dram_and_fsdax.ts
//
// With a libumf built without the jemalloc pool, the example says so and uses the disjoint pool instead.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  DisjointPool,
  FileMemoryProvider,
  JemallocPool,
  OsMemoryProvider,
  UmfError,
  type MemoryPool,
  type MemoryProvider,
} from 'umf'

/** A jemalloc pool over the provider, or a disjoint pool when jemalloc is not there. */
function makePool(provider: MemoryProvider, what: string): MemoryPool {
  try {
    return new JemallocPool(provider)
  } catch (e) {
    if (!(e instanceof UmfError)) throw e
    console.log(`${what}: no jemalloc pool (${e.message.split(': ').slice(1).join(': ')}); using a disjoint pool`)
    return new DisjointPool(provider)
  }
}

/** Allocates, writes and reads back through a pool, then frees. */
function use(pool: MemoryPool, what: string, text: string): void {
  const p = pool.malloc(1024)
  const bytes = pool.view(p)
  bytes.set(Buffer.from(text))
  const back = Buffer.from(bytes.subarray(0, text.length)).toString()
  console.log(`${what}: ${pool.name} pool allocated 1024 bytes at 0x${p.toString(16)} and read back "${back}"`)
  pool.free(p)
}

// DRAM
const dram = new OsMemoryProvider()
const dramPool = makePool(dram, 'DRAM')
console.log(`DRAM: ${dramPool.name} pool over the "${dram.name}" provider`)

// persistent memory: a file on an FSDAX mount, or a regular file standing in for one
let file = process.env['UMF_TESTS_FSDAX_PATH']
let tempDir: string | undefined
if (file) {
  console.log(`FSDAX: using ${file} (UMF_TESTS_FSDAX_PATH)`)
} else {
  tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'umf-fsdax-'))
  file = path.join(tempDir, 'fsdax.bin')
  console.log(`FSDAX: no FSDAX mount found (UMF_TESTS_FSDAX_PATH is unset); using the regular file ${file}`)
}
const pmem = new FileMemoryProvider({ path: file, visibility: 'shared' })
console.log(`FSDAX: mapped with MAP_SYNC: ${pmem.fsdax} (page size ${pmem.minPageSize()} bytes)`)
const pmemPool = makePool(pmem, 'FSDAX')
console.log(`FSDAX: ${pmemPool.name} pool over the "${pmem.name}" provider`)

use(dramPool, 'DRAM', 'hot data in DRAM')
use(pmemPool, 'FSDAX', 'durable data in persistent memory')

pmemPool.destroy()
pmem.destroy()
dramPool.destroy()
dram.destroy()
if (tempDir !== undefined) fs.rmSync(tempDir, { recursive: true, force: true })
console.log('dram and fsdax example done')
