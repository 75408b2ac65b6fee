// DevDaxMemoryProvider. With UMF_TESTS_DEVDAX_PATH and UMF_TESTS_DEVDAX_SIZE naming a device DAX (e.g.
// /dev/dax0.0 and its size in bytes), the provider is used for real: pools over it, its 2 MiB pages, out
// of space at the size given, and protection faults in a child process. Without them there is no device
// to map, so the file runs every argument and error path only (the test names say so); nothing is skipped.
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as ffi from '../ffi/index.js'
import {
  ConfigError,
  DestroyedError,
  DevDaxMemoryProvider,
  DevDaxMemoryProviderParamsSchema,
  DisjointPool,
  ProxyPool,
  UmfError,
} from '../lib/index.js'
import { runProviderChild } from './fixtures/provider-child-run.js'
import { throwsLike } from './fixtures/asserts.js'

const MiB = 1024 * 1024
const any = (x: unknown) => x as never
const devPath = process.env['UMF_TESTS_DEVDAX_PATH']
const devSizeText = process.env['UMF_TESTS_DEVDAX_SIZE']
const device = devPath && devSizeText ? { path: devPath, size: BigInt(devSizeText) } : undefined

t.test('the environment names both variables or neither', async (t) => {
  t.equal(Boolean(devPath), Boolean(devSizeText), 'UMF_TESTS_DEVDAX_PATH and UMF_TESTS_DEVDAX_SIZE go together')
  if (devSizeText) t.match(devSizeText, /^[1-9][0-9]*$/, 'UMF_TESTS_DEVDAX_SIZE is a number of bytes')
})

if (device !== undefined) {
  t.test(`device DAX ${device.path} (${device.size} bytes): proxy pool, 2 MiB pages, out of space`, async (t) => {
    const provider = new DevDaxMemoryProvider(device)
    t.equal(provider.name, 'DEVDAX')
    t.equal(provider.path, device.path)
    t.equal(provider.minPageSize(), 2 * MiB)
    t.equal(provider.recommendedPageSize(), 2 * MiB)
    const pool = new ProxyPool(provider)
    const p = pool.malloc(4096)
    t.equal(p % BigInt(2 * MiB), 0n, 'allocations are 2 MiB aligned by default')
    pool.view(p).fill(0x5a)
    t.equal(pool.view(p)[4095], 0x5a)
    pool.free(p)
    throwsLike(t, () => pool.malloc(device.size + 1n), UmfError, /OUT_OF_HOST_MEMORY/, 'more than the device')
    pool.destroy()
    provider.destroy()
  })

  t.test(`device DAX ${device.path}: a disjoint pool`, async (t) => {
    using provider = new DevDaxMemoryProvider({ ...device, name: 'dax_test' })
    using pool = new DisjointPool(provider)
    const got = Array.from({ length: 1000 }, (_, i) => {
      const p = pool.malloc(512)
      pool.view(p)[0] = i & 0xff
      return p
    })
    t.ok(got.every((p, i) => pool.view(p)[0] === (i & 0xff)))
    for (const p of got) pool.free(p)
  })

  t.test(`device DAX ${device.path}: protection "read": lib/ refuses a writable view (child process)`, async (t) => {
    const ro = runProviderChild('devdaxTouch', [device.path, String(device.size), '"read"'])
    t.equal(ro.names[0], 'before write')
    t.equal(ro.status, 0, 'no fault')
    t.match(ro.byName.get('refused')?.['message'], /read-only/)
    const rw = runProviderChild('devdaxTouch', [device.path, String(device.size), '["read","write"]'])
    t.equal(rw.status, 0, `read + write works (${rw.stderr.slice(0, 300)})`)
    t.equal(rw.byName.get('written')?.['value'], 42)
  })

  t.test(`device DAX ${device.path}: a size larger than the device`, async (t) => {
    throwsLike(
      t,
      () => new DevDaxMemoryProvider({ path: device.path, size: device.size + (1n << 40n) }),
      UmfError,
      /umfMemoryProviderCreate failed/,
      'refused',
    )
  })
}

const mode = device ? '' : ' (no device DAX: UMF_TESTS_DEVDAX_PATH/SIZE unset, so argument and error paths only)'

t.test(`bad params: refused before anything reaches C${mode}`, async (t) => {
  const config = (name: string, params: unknown, pattern: RegExp) =>
    throwsLike(t, () => new DevDaxMemoryProvider(any(params)), ConfigError, pattern, name)
  config('nothing', undefined, /invalid DevDaxMemoryProvider params/)
  config('a string', '/dev/dax0.0', /expected object/)
  config('no path', { size: MiB }, /path must be a string/)
  config('no size', { path: '/dev/dax0.0' }, /size must be the number of bytes of the device to map/)
  config('empty path', { path: '', size: MiB }, /path must not be empty/)
  config('path with NUL', { path: '/dev/dax\0', size: MiB }, /must not contain NUL/)
  config('path too long', { path: '/' + 'd'.repeat(5000), size: MiB }, /PATH_MAX/)
  config('path a number', { path: 0, size: MiB }, /path must be a string/)
  config('size 0', { path: '/dev/dax0.0', size: 0 }, /size must be the number of bytes/)
  config('size 0n', { path: '/dev/dax0.0', size: 0n }, /size must be the number of bytes/)
  config('size negative', { path: '/dev/dax0.0', size: -4096 }, /size must be/)
  config('size fractional', { path: '/dev/dax0.0', size: 4096.5 }, /size must be/)
  config('size NaN', { path: '/dev/dax0.0', size: NaN }, /size must be/)
  config('size Infinity', { path: '/dev/dax0.0', size: Infinity }, /size must be/)
  config('size a string', { path: '/dev/dax0.0', size: '1G' }, /size must be/)
  config('size 2^53 as a number', { path: '/dev/dax0.0', size: 2 ** 53 }, /size must be/)
  config('size 2^64', { path: '/dev/dax0.0', size: 1n << 64n }, /size must be/)
  config('unknown key', { path: '/dev/dax0.0', size: MiB, visibility: 'shared' }, /Unrecognized key: "visibility"/)
  config('protection 0', { path: '/dev/dax0.0', size: MiB, protection: 0 }, /protection must be/)
  config('protection a bad name', { path: '/dev/dax0.0', size: MiB, protection: ['read', 'wrte'] }, /protection/)
  config('name too long', { path: '/dev/dax0.0', size: MiB, name: 'd'.repeat(64) }, /name must be 1 to 63 characters/)

  t.same(DevDaxMemoryProvider.parseParams({ path: '/dev/dax0.0', size: 2n * BigInt(MiB) }), {
    path: '/dev/dax0.0',
    size: 2n * BigInt(MiB),
    protection: ffi.UMF_PROTECTION_READ | ffi.UMF_PROTECTION_WRITE,
  })
  t.same(DevDaxMemoryProvider.parseParams({ path: '/d', size: 1, protection: 'read', name: 'x' }), {
    path: '/d',
    size: 1,
    protection: ffi.UMF_PROTECTION_READ,
    name: 'x',
  })
  t.equal(DevDaxMemoryProviderParamsSchema.safeParse({ path: '/d', size: 1 }).success, true)
})

t.test(`paths that are not a device DAX: UmfError INVALID_ARGUMENT saying what they are${mode}`, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'umf-devdax-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'regular.bin')
  fs.writeFileSync(file, Buffer.alloc(4 * MiB))
  const notDax = (name: string, p: string, pattern: RegExp) =>
    throwsLike(t, () => new DevDaxMemoryProvider({ path: p, size: 2 * MiB }), UmfError, pattern, name)
  notDax('a missing path', path.join(dir, 'dax9.9'), /INVALID_ARGUMENT \(3\): ".*dax9\.9" does not exist/)
  notDax('a regular file', file, /INVALID_ARGUMENT.*is not a device DAX but a regular file .*; for a file use FileMemoryProvider/)
  notDax('a directory', dir, /is not a device DAX but a directory/)
  if (fs.existsSync('/sys/dev/char')) {
    notDax('/dev/null', '/dev/null', /"\/dev\/null" is not a device DAX: it is a character device of the "mem" subsystem/)
    notDax('/dev/zero', '/dev/zero', /not a device DAX: it is a character device of the "mem" subsystem/)
  } else {
    // no sysfs (a chroot, a container): nothing tells the subsystem up front; C's MAP_SYNC mapping refuses them
    const refused = (p: string) => throwsLike(t, () => new DevDaxMemoryProvider({ path: p, size: 2 * MiB }), UmfError, /UMF_RESULT_ERROR_UNKNOWN/, `${p} without sysfs`)
    refused('/dev/null')
    refused('/dev/zero')
  }
  if (fs.existsSync('/dev/tty')) {
    notDax('/dev/tty', '/dev/tty', /not a device DAX|cannot|INVALID_ARGUMENT/)
  }
  const block = ['/dev/loop0', '/dev/vda', '/dev/sda', '/dev/nvme0n1'].find((p) => {
    try {
      return fs.statSync(p).isBlockDevice()
    } catch {
      return false
    }
  })
  if (block !== undefined) notDax(`a block device (${block})`, block, /is not a device DAX but a block device/)
  else t.pass('no block device on this machine to try')
  const fifo = path.join(dir, 'fifo')
  if ((await import('node:child_process')).spawnSync('mkfifo', [fifo]).status === 0) {
    notDax('a FIFO', fifo, /not a device DAX: it is not a character device/)
  }
  t.equal(fs.statSync(file).size, 4 * MiB, 'the regular file was left alone')
})

t.test(`failed creations leave nothing behind${device ? '; destroyed and moved providers' : mode}`, async (t) => {
  // without a device there is no live DevDaxMemoryProvider to destroy: the failed constructor left none
  // behind, and a params-only failure reached no C at all
  const before = process.memoryUsage().rss
  for (let i = 0; i < 50; i++) {
    try {
      new DevDaxMemoryProvider({ path: '/dev/null', size: MiB })
    } catch {
      // expected
    }
  }
  t.ok(process.memoryUsage().rss - before < 64 * MiB, 'failed creations do not pile up')
  if (device !== undefined) {
    const provider = new DevDaxMemoryProvider(device)
    provider.destroy()
    t.throws(() => provider.alloc(4096), DestroyedError)
    t.throws(() => provider.path, DestroyedError)
    t.throws(() => new ProxyPool(provider), DestroyedError)
    const owned = new DevDaxMemoryProvider(device)
    const pool = new ProxyPool(owned, { ownProvider: true })
    t.throws(() => owned.alloc(1), DestroyedError)
    pool.destroy()
  }
})
