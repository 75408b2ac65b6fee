// The `umf` command (lib/cli/umf.ts): `umf info` and `--json` on this machine, on a fake two-node topology
// (HWLOC_XMLFILE), with components made unloadable, and with no library at all; bad arguments.
import t from 'tap'
import { buildZeFixture } from './fixtures/ze-fixture.js'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { SystemInfo } from '../lib/cli/info.js'
import { buildCudaStandIn } from './fixtures/cuda-stand-in.js'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const cli = path.join(repo, 'lib', 'cli', 'umf.ts')
const twoNodes = path.join(repo, 'test', 'fixtures', 'topology', 'two-nodes.xml')
const version = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).version as string

/** Runs `umf ...args` with the UMF and hwloc variables of this process removed, then `env` added. */
function umf(args: string[], env: Record<string, string> = {}) {
  const childEnv: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('UMF_') && !k.startsWith('HWLOC_') && k !== 'GLIBC_TUNABLES') childEnv[k] = v
  }
  Object.assign(childEnv, env)
  return spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: repo, env: childEnv, encoding: 'utf8', timeout: 60_000 })
}

function infoJson(env: Record<string, string> = {}): { status: number | null; info: SystemInfo; stderr: string } {
  const r = umf(['info', '--json'], env)
  return { status: r.status, info: JSON.parse(r.stdout) as SystemInfo, stderr: r.stderr }
}

t.test('umf info --json on this machine: the package build, its version and its components', async (t) => {
  const { status, info, stderr } = infoJson()
  t.equal(status, 0, stderr)
  t.equal(info.version, version, "the package's version")
  t.same(
    info.library,
    {
      path: path.join(repo, 'build', 'Release', 'libumf.so.1'),
      source: 'package',
      loaded: true,
      apiVersion: '1.0',
      error: null,
      missingFunctions: info.library.missingFunctions,
    },
    'the library this checkout builds, UMF API 1.0',
  )
  t.same(info.environment, {}, 'no UMF variables set')
  // setup.sh installs libhwloc-dev and libtbbmalloc2, so both are built and usable here
  t.match(info.components.hwloc, { built: true, usable: true, detail: /^hwloc sees \d+ NUMA node\(s\): 0 \(/ })
  t.ok(info.components.hwloc.numaNodes.length >= 1, 'at least one NUMA node')
  t.match(info.components.tbbmalloc, { built: true, usable: true })
  // setup.sh builds jemalloc 5.3.0, which libumf links: usable with no special environment
  t.match(info.components.jemalloc, { built: true, usable: true, detail: 'the jemalloc pool works' })
  for (const gpu of [info.components.cuda, info.components.levelZero]) {
    if (!gpu.built) t.match(gpu.detail, /this libumf (does not export|was built without)/, 'a GPU provider that is not built says why')
    t.ok(!gpu.usable || gpu.built, 'usable only when built')
  }
  // no NVIDIA driver on this machine: the CUDA provider is built but cannot load libcuda.so.1
  t.match(info.components.cuda, { built: true, usable: false, detail: /^libumf cannot use libcuda\.so\.1 \(UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE\)/ })
  // the Level Zero loader is installed (libze1) but no driver: not usable, saying why
  t.match(info.components.levelZero, {
    built: true,
    usable: false,
    detail: 'libze_loader.so.1 finds no usable Level Zero driver (zeInit: ZE_RESULT_ERROR_UNINITIALIZED)',
  })
  t.same(Object.keys(info.memspaces), ['HostAll', 'HighestCapacity', 'HighestBandwidth', 'LowestLatency'])
  // this machine: the memspaces of its NUMA nodes exist; it has no HMAT, so bandwidth and latency do not
  const nodes = info.components.hwloc.numaNodes.map((n) => n.id)
  const listed = `${nodes.length} memory target(s): node${nodes.length === 1 ? '' : 's'} ${nodes.join(', ')}`
  t.same(info.memspaces.HostAll, { available: true, detail: listed })
  t.match(info.memspaces.HighestCapacity, { available: true, detail: new RegExp(`^${nodes.length} memory target\\(s\\)`) })
  for (const name of ['HighestBandwidth', 'LowestLatency']) {
    t.same(info.memspaces[name], {
      available: false,
      detail: `umfMemspace${name}Get() returns NULL on this machine (no HMAT memory attributes)`,
    })
  }
})

t.test('umf info on fake machines (HWLOC_XMLFILE) reports the nodes of each memspace', async (t) => {
  const noHmat = infoJson({ HWLOC_XMLFILE: twoNodes })
  t.equal(noHmat.status, 0)
  t.same(noHmat.info.memspaces.HostAll, { available: true, detail: '2 memory target(s): nodes 0, 1' })
  t.same(noHmat.info.memspaces.HighestCapacity, { available: true, detail: '2 memory target(s): nodes 1, 0' }, 'largest first')
  t.equal(noHmat.info.memspaces.HighestBandwidth!.available, false)
  const hbm = infoJson({ HWLOC_XMLFILE: path.join(repo, 'test', 'fixtures', 'topology', 'three-nodes-hbm.xml') })
  t.equal(hbm.status, 0)
  t.same(hbm.info.memspaces, {
    HostAll: { available: true, detail: '3 memory target(s): nodes 0, 1, 2' },
    HighestCapacity: { available: true, detail: '3 memory target(s): nodes 0, 1, 2' },
    HighestBandwidth: { available: true, detail: '1 memory target(s): node 2' },
    LowestLatency: { available: true, detail: '2 memory target(s): nodes 0, 1' },
  })
  const text = umf(['info'], { HWLOC_XMLFILE: twoNodes })
  t.match(text.stdout, /\n {2}HostAll +available: 2 memory target\(s\): nodes 0, 1\n/)
})

t.test('umf info on a fake two-node machine (HWLOC_XMLFILE) lists both nodes with their memory', async (t) => {
  const { status, info } = infoJson({ HWLOC_XMLFILE: twoNodes })
  t.equal(status, 0)
  t.same(info.components.hwloc.numaNodes, [
    { id: 0, bytes: 4 * 2 ** 30 },
    { id: 1, bytes: 8 * 2 ** 30 },
  ])
  t.match(info.components.hwloc.detail, 'hwloc sees 2 NUMA node(s): 0 (4.0 GiB), 1 (8.0 GiB)')
  t.same(info.environment, { HWLOC_XMLFILE: twoNodes }, 'the hwloc variable is reported')

  const text = umf(['info'], { HWLOC_XMLFILE: twoNodes })
  t.equal(text.status, 0)
  t.match(text.stdout, new RegExp(`^umf ${version.replace(/\./g, '\\.')}\n`))
  t.match(text.stdout, /\n {2}hwloc \(NUMA\) +built: yes +usable: yes +hwloc sees 2 NUMA node\(s\)/)
  t.match(text.stdout, /\nenvironment:\n {2}HWLOC_XMLFILE=/)
})

t.test('umf info names a component whose library cannot be loaded, and why', async (t) => {
  const { status, info } = infoJson({
    UMF_TBBMALLOC_LIB_NAME: 'libumf-no-such-tbbmalloc.so',
    UMF_LOG: 'level:error;output:stderr',
  })
  t.equal(status, 0, 'a missing component is not an error of the command')
  t.match(info.components.tbbmalloc, { built: true, usable: false, detail: /DEPENDENCY_UNAVAILABLE/ })
  t.match(info.components.jemalloc, { built: true, usable: true }, 'jemalloc is linked in: nothing to load')
  t.same(Object.keys(info.environment), ['UMF_LOG', 'UMF_TBBMALLOC_LIB_NAME'], 'in name order')
})

t.test('umf info without a library: exit 1, says why, no stack trace, components not loaded', async (t) => {
  const r = umf(['info'], { UMF_LIBRARY_PATH: '/nonexistent/libumf.so.1' })
  t.equal(r.status, 1)
  t.match(r.stdout, 'libumf: /nonexistent/libumf.so.1 (from UMF_LIBRARY_PATH)')
  t.match(r.stdout, 'not loaded: UMF_LIBRARY_PATH names /nonexistent/libumf.so.1, which does not exist')
  t.match(r.stdout, /jemalloc pool +built: no +usable: no +libumf is not loaded/)
  t.notMatch(r.stdout + r.stderr, /\n\s+at /, 'no stack trace')
  const { status, info } = infoJson({ UMF_LIBRARY_PATH: '/nonexistent/libumf.so.1' })
  t.equal(status, 1)
  t.match(info.library, { loaded: false, source: 'UMF_LIBRARY_PATH', apiVersion: null })
  t.same(info.memspaces, {})
})

t.test('umf with a bad command or argument prints the usage and exits 2', async (t) => {
  for (const args of [[], ['frobnicate'], ['info', '--yaml']]) {
    const r = umf(args)
    t.equal(r.status, 2, `umf ${args.join(' ')}`)
    t.match(r.stdout + r.stderr, /usage: umf <command>/)
  }
  const help = umf(['help'])
  t.equal(help.status, 0)
  t.match(help.stdout, /info \[--json\]/)
})

t.test('umf info --json with the stand-in libcuda.so.1 on LD_LIBRARY_PATH: the CUDA provider is usable (stand-in libcuda)', async (t) => {
  const standIn = buildCudaStandIn()
  t.teardown(standIn.cleanup)
  const { status, info, stderr } = infoJson({ LD_LIBRARY_PATH: standIn.dir })
  t.equal(status, 0, stderr)
  t.same(info.components.cuda, {
    built: true,
    usable: true,
    detail: 'libcuda.so.1 loaded by libumf with the 14 entry points the CUDA provider needs',
  })
})

t.test('umf info: the Level Zero provider is usable with a driver behind the loader (fixture driver)', async (t) => {
  const fixture = buildZeFixture()
  t.teardown(fixture.cleanup)
  const { status, info, stderr } = infoJson({ ZE_ENABLE_ALT_DRIVERS: fixture.so })
  t.equal(status, 0, stderr)
  t.same(info.components.levelZero, { built: true, usable: true, detail: 'a Level Zero driver with 2 device(s) behind libze_loader.so.1' })
})
