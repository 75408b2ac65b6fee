// FileMemoryProvider: private and shared mappings through the proxy and disjoint pools, data that another
// process reads from the file after the provider is gone, growth of the file across many allocations,
// protection enforced by the hardware (a child dies of SIGSEGV), FSDAX when UMF_TESTS_FSDAX_PATH names a
// file on a DAX file system, and every bad input from TypeScript.
import t from 'tap'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as ffi from '../ffi/index.js'
import {
  ConfigError,
  DestroyedError,
  DisjointPool,
  FileMemoryProvider,
  FileMemoryProviderParamsSchema,
  ProxyPool,
  UmfError,
} from '../lib/index.js'
import { runProviderChild } from './fixtures/provider-child-run.js'
import { throwsLike } from './fixtures/asserts.js'

const MiB = 1024 * 1024
const any = (x: unknown) => x as never
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'umf-file-'))
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
let n = 0
const newFile = () => path.join(dir, `f${n++}.bin`)

/** Fills bytes with the pattern the reading child checks: a marker, then (i * 31 + 7) % 251. */
function writeMarked(view: Uint8Array, marker: string, length: number): void {
  view.set(Buffer.from(marker, 'latin1'), 0)
  for (let i = 0; i < length; i++) view[marker.length + i] = (i * 31 + 7) % 251
}

t.test('defaults: private, read + write, name "FILE"; the file is created', async (t) => {
  const file = newFile()
  t.notOk(fs.existsSync(file))
  const provider = new FileMemoryProvider({ path: file })
  t.same(provider.params, { path: file, protection: 6, visibility: 'private' })
  t.ok(Object.isFrozen(provider.params))
  t.equal(provider.name, 'FILE')
  t.equal(provider.path, file)
  t.notOk(provider.fsdax, 'a private mapping is never FSDAX')
  t.ok(fs.statSync(file).isFile(), 'created')
  t.equal(fs.statSync(file).mode & 0o777, 0o600, 'mode 0600')
  t.equal(provider.minPageSize(), 4096)

  const pool = new ProxyPool(provider)
  const p = pool.malloc(10_000)
  const v = pool.view(p)
  t.equal(v[0], 0, 'a new file reads as zeros')
  writeMarked(v, 'PRIVATE-MARK', 1000)
  t.equal(pool.view(p)[12], 7, 'the bytes are there')
  pool.free(p)
  pool.destroy()
  provider.destroy()
  t.ok(fs.statSync(file).size >= 10_000, 'the file was sized for the allocation')
  t.equal(fs.readFileSync(file).indexOf('PRIVATE-MARK'), -1, 'private writes never reach the file')
  t.notOk(provider.alive)
})

t.test('shared: the data is in the file after the provider is destroyed, read by another process', async (t) => {
  const file = newFile()
  const marker = `UMF-SHARED-${crypto.randomBytes(6).toString('hex')}`
  const provider = new FileMemoryProvider({ path: file, visibility: 'shared', name: 'shared_file' })
  t.equal(provider.name, 'shared_file')
  t.equal(provider.params.visibility, 'shared')
  t.notOk(provider.fsdax, 'not on a DAX file system')
  const pool = new ProxyPool(provider)
  const first = pool.malloc(64 * 1024) // another allocation beside the marked one
  pool.view(first).fill(0x11)
  const p = pool.malloc(3 * 4096)
  writeMarked(pool.view(p), marker, 10_000)
  pool.free(first)
  pool.free(p)
  pool.destroy()
  provider.destroy()

  const r = runProviderChild('readFile', [file, marker, '10000'])
  t.equal(r.status, 0, `the reader exits 0 (${r.stderr.slice(0, 300)})`)
  const read = r.byName.get('read')!
  t.ok(Number(read['at']) >= 0, `the reader found the marker (at file offset ${read['at']})`)
  t.equal(read['good'], true, 'and the 10,000 bytes after it')
  t.equal(read['fileSize'], fs.statSync(file).size)

  // a new provider over the same file maps the same bytes again (shared: they are the file's)
  const again = new FileMemoryProvider({ path: file, visibility: 'shared' })
  const pool2 = new ProxyPool(again)
  const q = pool2.malloc(2 * MiB)
  t.ok(Buffer.from(pool2.view(q)).indexOf(marker) >= 0, 'a second provider over the file sees the marker')
  pool2.free(q)
  pool2.destroy()
  again.destroy()
})

t.test('the file grows across many allocations', async (t) => {
  const file = newFile()
  using provider = new FileMemoryProvider({ path: file, visibility: 'shared' })
  const sizes: number[] = []
  const got: bigint[] = []
  for (let i = 0; i < 64; i++) {
    got.push(provider.alloc(256 * 1024))
    sizes.push(fs.statSync(file).size)
  }
  t.ok(sizes.every((s, i) => i === 0 || s >= sizes[i - 1]!), 'the file never shrinks')
  t.ok(sizes[0]! >= 2 * MiB, `the first chunk is at least 2 MiB (${sizes[0]})`)
  t.ok(sizes.at(-1)! >= 64 * 256 * 1024, `the file holds all 16 MiB (${sizes.at(-1)})`)
  t.ok(new Set(sizes).size >= 5, `it grew in several steps (${new Set(sizes).size} sizes seen)`)
  t.equal(new Set(got).size, 64, 'distinct addresses')
  for (const p of got) provider.free(p, 256 * 1024)
  const before = fs.statSync(file).size
  const again = provider.alloc(256 * 1024)
  t.equal(fs.statSync(file).size, before, 'freed memory is reused: no growth')
  throwsLike(t, () => provider.purgeLazy(again, 4096), UmfError, /NOT_SUPPORTED/, 'no lazy purge')
  provider.free(again, 256 * 1024)
})

t.test('a disjoint pool over a shared file: thousands of allocations across several chunks', async (t) => {
  const file = newFile()
  const provider = new FileMemoryProvider({ path: file, visibility: 'shared' })
  const pool = new DisjointPool(provider)
  const got: bigint[] = []
  for (let i = 0; i < 6000; i++) {
    const p = pool.malloc(1000 + (i % 7) * 100)
    pool.view(p)[0] = i & 0xff
    got.push(p)
  }
  t.ok(got.every((p, i) => pool.view(p)[0] === (i & 0xff)), 'every allocation kept its byte')
  t.ok(fs.statSync(file).size > 4 * MiB, `the file grew past two chunks (${fs.statSync(file).size} bytes)`)
  for (const p of got) pool.free(p)
  pool.destroy()
  provider.destroy()
})

t.test('protection is enforced: lib/ refuses a writable view of read-only memory (child process)', async (t) => {
  const ro = runProviderChild('fileTouch', [newFile(), '"read"', 'write'])
  t.same(ro.names.slice(0, 2), ['allocated', 'before write'], 'the child allocated and was about to write')
  t.equal(ro.byName.get('allocated')?.['protection'], ffi.UMF_PROTECTION_READ)
  t.equal(ro.signal, null, 'no fault')
  t.equal(ro.status, 0, 'exit 0')
  t.match(ro.byName.get('refused')?.['message'], /read-only/, 'view() refused with a clear error')
  t.notOk(ro.byName.has('written'))

  const readable = runProviderChild('fileTouch', [newFile(), '"read"', 'read'])
  t.equal(readable.status, 0, `reading read-only memory works (${readable.stderr.slice(0, 300)})`)
  t.equal(readable.byName.get('read')?.['value'], 0)

  const none = runProviderChild('fileTouch', [newFile(), '"none"', 'read'])
  t.same(none.names.slice(0, 2), ['allocated', 'before read'])
  t.equal(none.status, 0, 'protection "none": no fault')
  t.match(none.byName.get('refused')?.['message'], /neither readable nor writable/, 'the read is refused')

  const rw = runProviderChild('fileTouch', [newFile(), '["read","write"]', 'write'])
  t.equal(rw.status, 0, `read + write: the write works (${rw.stderr.slice(0, 300)})`)
  t.equal(rw.byName.get('written')?.['value'], 42)

  const bits = runProviderChild('fileTouch', [newFile(), String(ffi.UMF_PROTECTION_READ | ffi.UMF_PROTECTION_WRITE), 'write'])
  t.equal(bits.status, 0, 'protection as UMF_PROTECTION_* bits')
})

const fsdaxPath = process.env['UMF_TESTS_FSDAX_PATH']
t.test(
  fsdaxPath
    ? `FSDAX: ${fsdaxPath} (UMF_TESTS_FSDAX_PATH) is mapped with MAP_SYNC, 2 MiB pages`
    : 'FSDAX: UMF_TESTS_FSDAX_PATH is unset, so the FSDAX case checks that a regular file system is not taken for one',
  async (t) => {
    if (fsdaxPath) {
      using provider = new FileMemoryProvider({ path: fsdaxPath, visibility: 'shared' })
      t.ok(provider.fsdax, 'FSDAX detected')
      t.equal(provider.minPageSize(), 2 * MiB)
      using pool = new ProxyPool(provider)
      const p = pool.malloc(4096)
      pool.view(p).fill(3)
      pool.free(p)
    } else {
      using provider = new FileMemoryProvider({ path: newFile(), visibility: 'shared' })
      t.notOk(provider.fsdax, `${os.tmpdir()} is not a DAX file system`)
      t.equal(provider.minPageSize(), 4096)
    }
  },
)

t.test('bad params: refused before anything reaches C', async (t) => {
  const config = (name: string, params: unknown, pattern: RegExp) =>
    throwsLike(t, () => new FileMemoryProvider(any(params)), ConfigError, pattern, name)
  config('nothing', undefined, /invalid FileMemoryProvider params/)
  config('a string', '/tmp/x', /expected object/)
  config('no path', {}, /path must be a string/)
  config('path a number', { path: 42 }, /path must be a string/)
  config('path a Buffer', { path: Buffer.from('/tmp/x') }, /path must be a string/)
  config('empty path', { path: '' }, /path must not be empty/)
  config('path with NUL', { path: '/tmp/a\0b' }, /must not contain NUL/)
  config('path too long', { path: '/' + 'x'.repeat(4095) }, /at most 4095 bytes \(PATH_MAX\)/)
  config('unknown key', { path: newFile(), size: 10 }, /Unrecognized key: "size"/)
  config('misspelt key', { path: newFile(), visibilty: 'shared' }, /Unrecognized key: "visibilty"/)
  config('visibility unknown', { path: newFile(), visibility: 'public' }, /visibility must be "private" or "shared"/)
  config('visibility a number', { path: newFile(), visibility: 2 }, /visibility must be/)
  config('protection 0', { path: newFile(), protection: 0 }, /protection must be UMF_PROTECTION_\* bits/)
  config('protection 16', { path: newFile(), protection: 16 }, /protection must be/)
  config('protection fractional', { path: newFile(), protection: 2.5 }, /protection must be/)
  config('protection unknown name', { path: newFile(), protection: 'rw' }, /protection must be/)
  config('protection empty list', { path: newFile(), protection: [] }, /protection must be|at least one protection flag/)
  config('protection bigint', { path: newFile(), protection: 6n }, /protection must be/)
  config('name empty', { path: newFile(), name: '' }, /name must be 1 to 63 characters/)
  config('name with a slash', { path: newFile(), name: 'a/b' }, /name must be 1 to 63 characters/)

  t.same(FileMemoryProvider.parseParams({ path: '/x', protection: ['read', 'exec'] }), {
    path: '/x',
    protection: ffi.UMF_PROTECTION_READ | ffi.UMF_PROTECTION_EXEC,
    visibility: 'private',
  })
  t.equal(FileMemoryProviderParamsSchema.safeParse({ path: '/x', visibility: 'shared' }).success, true)
})

t.test('paths C cannot use: UmfError INVALID_ARGUMENT that says why', async (t) => {
  const umf = (name: string, file: string, pattern: RegExp) =>
    throwsLike(t, () => new FileMemoryProvider({ path: file }), UmfError, pattern, name)
  umf('a missing directory', path.join(dir, 'no', 'such', 'f.bin'), /INVALID_ARGUMENT \(3\): cannot use .*: the directory ".*no\/such" does not exist/)
  umf('a directory', dir, /INVALID_ARGUMENT.*is a directory, not a regular file/)
  umf('a character device', '/dev/null', /INVALID_ARGUMENT.*"\/dev\/null" is a character device, not a regular file/)
  const fifo = path.join(dir, 'fifo')
  const made = (await import('node:child_process')).spawnSync('mkfifo', [fifo]).status === 0
  if (made) umf('a FIFO', fifo, /is a FIFO, not a regular file/)
  const inFile = path.join(newFile(), 'x')
  fs.writeFileSync(path.dirname(inFile), '')
  umf('a regular file as directory', inFile, /is not a directory/)
})

t.test('destroyed providers: every use throws DestroyedError', async (t) => {
  const provider = new FileMemoryProvider({ path: newFile() })
  provider.destroy()
  t.throws(() => provider.alloc(4096), DestroyedError)
  t.throws(() => provider.path, DestroyedError)
  t.throws(() => provider.fsdax, DestroyedError)
  t.throws(() => provider.name, DestroyedError)
  t.throws(() => new ProxyPool(provider), DestroyedError)
  t.throws(() => new DisjointPool(provider), DestroyedError)
  provider.destroy()

  const owned = new FileMemoryProvider({ path: newFile() })
  const pool = new ProxyPool(owned, { ownProvider: true })
  t.throws(() => owned.alloc(1), DestroyedError, 'a moved provider')
  t.throws(() => owned.destroy(), DestroyedError)
  pool.destroy()
})
