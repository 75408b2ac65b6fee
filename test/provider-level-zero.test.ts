// The Level Zero memory provider (lib/providers/level_zero_memory_provider.ts over provider_level_zero.h) on
// the real loader (libze1) with the fixture driver (test/fixtures/ze_fixture_driver.c, built here), selected
// by ZE_ENABLE_ALT_DRIVERS. Each case runs in a child process (test/fixtures/level-zero-child.ts) because a
// loaded loader stays loaded; IPC runs between two child processes.
import t from 'tap'
import { runCase, type CaseResult } from './fixtures/child-run.js'
import { buildZeFixture } from './fixtures/ze-fixture.js'

const fixture = buildZeFixture()
t.teardown(fixture.cleanup)

function child(caseName: string, withDriver: boolean): CaseResult {
  const saved = process.env['ZE_ENABLE_ALT_DRIVERS']
  if (withDriver) process.env['ZE_ENABLE_ALT_DRIVERS'] = fixture.so
  else delete process.env['ZE_ENABLE_ALT_DRIVERS']
  try {
    return runCase('level-zero-child.ts', caseName, [], 60_000)
  } finally {
    if (saved === undefined) delete process.env['ZE_ENABLE_ALT_DRIVERS']
    else process.env['ZE_ENABLE_ALT_DRIVERS'] = saved
  }
}

const line = (r: CaseResult, name: string) => r.byName.get(name) ?? {}

t.test('without zeInit: creation and levelZeroInit fail with clear errors, no crash', async (t) => {
  const r = child('uninitialized', false)
  t.equal(r.status, 0, r.stderr)
  t.equal(r.signal, null, 'no signal')
  const notInit = { ok: false, kind: 'LevelZeroSetupError', reason: 'not-initialized', message: /call levelZeroInit\(\) first/ }
  t.match(line(r, 'create'), notInit, 'a provider before zeInit: what to do, nothing reached C')
  t.match(line(r, 'create-context'), notInit)
  t.match(line(r, 'init'), { ok: false, kind: 'LevelZeroError', func: 'zeInit', zeName: 'ZE_RESULT_ERROR_UNINITIALIZED', message: /no Level Zero driver with a device was found/ })
  t.match(line(r, 'create-after-init'), notInit, 'a zeInit that found no driver leaves Level Zero uninitialized')
})

t.test('a context or device from nowhere is refused with what to do, no crash (fixture driver)', async (t) => {
  const r = child('foreign', true)
  t.equal(r.status, 0, r.stderr)
  t.equal(r.signal, null, 'no signal')
  t.match(line(r, 'before-init'), { ok: false, kind: 'LevelZeroSetupError', reason: 'not-initialized' })
  t.match(line(r, 'foreign-context'), { ok: false, kind: 'LevelZeroSetupError', reason: 'unknown-context', message: /context 0x1000 .*levelZeroInit\(\).*levelZeroRegisterContext/ })
  t.match(line(r, 'foreign-device'), { ok: false, kind: 'LevelZeroSetupError', reason: 'unknown-device', message: /device 0x2000 is not a device of any Level Zero driver/ })
  t.match(line(r, 'bad-driver'), { ok: false, kind: 'TypeError', message: /not a Level Zero driver/ })
  t.match(line(r, 'bad-register'), { ok: false, kind: 'TypeError' })
  t.match(line(r, 'second-context'), { ok: true, value: { distinct: true } }, 'levelZeroCreateContext gives a usable context')
  t.match(line(r, 'unregistered'), { ok: false, kind: 'LevelZeroSetupError', reason: 'unknown-context' }, "another binding's context, not declared")
  t.match(line(r, 'registered'), { ok: true, value: 'LEVEL_ZERO' }, 'declared with levelZeroRegisterContext')
})

t.test('host, device and shared memory, free policies and relaxed limits (fixture driver)', async (t) => {
  const r = child('types', true)
  t.equal(r.status, 0, r.stderr)
  t.same(line(r, 'init'), { name: 'init', devices: 2, distinct: true })
  const types = { host: 1, device: 2, shared: 3 } as const
  for (const [type, code] of Object.entries(types)) {
    t.match(line(r, type), { providerName: 'LEVEL_ZERO', minPage: 65536, pointerType: code, notHostAccessible: type === 'device' })
  }
  t.match(line(r, 'host-view'), { ok: true, value: { length: 3 * 4096 + 100 } })
  t.match(line(r, 'shared-view'), { ok: true })
  t.match(line(r, 'device-view'), { ok: false, kind: 'TypeError', message: /Level Zero device memory/ })
  t.equal(line(r, 'free-default')['policy'], -1, 'zeMemFree')
  t.equal(line(r, 'free-blocking')['policy'], 1, 'zeMemFreeExt blocking')
  t.equal(line(r, 'free-defer')['policy'], 2, 'zeMemFreeExt defer')
  t.equal(line(r, 'relaxed')['relaxed'], 1, 'above maxMemAllocSize with the relaxed-limits descriptor')
  t.equal(line(r, 'live')['value'], 0, 'nothing left allocated in the driver')
})

t.test('resident devices and residentDeviceChange on live allocations (fixture driver)', async (t) => {
  const r = child('residency', true)
  t.equal(r.status, 0, r.stderr)
  t.equal(line(r, 'created')['mask'], 1)
  t.equal(line(r, 'added')['mask'], 3)
  t.equal(line(r, 'removed')['mask'], 2)
  t.match(line(r, 'add-again'), { ok: false, code: 'UMF_RESULT_ERROR_INVALID_ARGUMENT' })
  t.match(line(r, 'remove-missing'), { ok: false, code: 'UMF_RESULT_ERROR_INVALID_ARGUMENT' })
  t.match(line(r, 'bad-device'), { ok: false, kind: 'ConfigError' })
  t.match(line(r, 'add-fails'), { ok: false, code: 'UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC' })
  t.match(line(r, 'alloc-fails'), { ok: false, zeName: 'ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY' })
  t.match(line(r, 'dead'), { ok: false, kind: 'DestroyedError' })
  t.equal(line(r, 'live')['value'], 0, 'the failed residency freed its allocation')
})

t.test('bad params are ConfigErrors; driver failures carry the ze_result_t name (fixture driver)', async (t) => {
  const r = child('errors', true)
  t.equal(r.status, 0, r.stderr)
  for (const tag of ['no-type', 'no-context', 'host-with-device', 'device-without-device', 'duplicate-resident', 'bad-policy', 'bad-ordinal', 'bad-context']) {
    t.match(line(r, tag), { ok: false, kind: 'ConfigError' }, tag)
  }
  t.match(line(r, 'oom-device'), { code: 'UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC', zeName: 'ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY' })
  t.match(line(r, 'oom-host'), { code: 'UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY' })
  t.match(line(r, 'properties'), { func: 'umfMemoryProviderCreate', zeName: 'ZE_RESULT_ERROR_DEVICE_LOST' })
})

t.test('IPC of device memory between two processes (fixture driver)', async (t) => {
  const r = child('producer', true)
  t.equal(r.status, 0, r.stderr)
  t.equal(line(r, 'consumer-exit')['status'], 0, String(line(r, 'consumer-exit')['stderr']))
  t.match(line(r, 'opened-view'), { ok: false, kind: 'TypeError' }, 'no view of opened device memory')
  t.same(line(r, 'opened'), { name: 'opened', size: 3 * 4096 + 100, same: 3 * 4096 + 100 })
  t.match(line(r, 'seen')['text'], /^consumer \d+$/, 'the producer sees what the consumer wrote')
})
