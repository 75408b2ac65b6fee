// The package as a dependency of another project: `npm pack`, then install the tarball into a copy of
// examples/consumer offline (the tarball plus npm's cache, which scripts/setup.sh fills), with no user
// npmrc. The install builds libumf.so.1; a plain Node ESM program, a strict TypeScript program and an ffi
// program use it; `umf info` finds it; and without the build tools, the install and a later import both name
// the Debian packages to add.
import t from 'tap'
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { name: string; version: string }
const work = mkdtempSync(path.join(tmpdir(), 'umf-consumer-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))

// Nothing of the outer `npm test` (npm_config_*, npm_lifecycle_*) nor of ~/.npmrc reaches the inner npm.
const emptyNpmrc = path.join(work, 'npmrc')
writeFileSync(emptyNpmrc, '')
const env: NodeJS.ProcessEnv = {}
for (const [k, v] of Object.entries(process.env)) {
  if (!/^npm_/i.test(k) && !k.startsWith('UMF_') && k !== 'GLIBC_TUNABLES') env[k] = v
}
env['npm_config_userconfig'] = emptyNpmrc
env['npm_config_update_notifier'] = 'false'

function run(cmd: string, args: string[], cwd: string, extra: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env: { ...env, ...extra }, encoding: 'utf8', timeout: 300_000 })
}

function lastJson(r: SpawnSyncReturns<string>): Record<string, unknown> {
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>
}

const app = path.join(work, 'app')
const installed = path.join(app, 'node_modules', 'umf')
const library = path.join(installed, 'build', 'Release', 'libumf.so.1')
let tarball = ''

t.test('npm pack: compiled JavaScript, declarations, the C sources and the install script; no tests or scripts', async (t) => {
  const r = run('npm', ['pack', '--json', '--pack-destination', work], repo)
  t.equal(r.status, 0, r.stderr)
  const [info] = JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[]
  tarball = path.join(work, info!.filename)
  t.equal(info!.filename, `${pkg.name}-${pkg.version}.tgz`)
  const files = info!.files.map((f) => f.path)
  for (const want of [
    'package.json',
    'README.md',
    'dist/lib/index.js',
    'dist/lib/index.d.ts',
    'dist/ffi/index.js',
    'dist/ffi/index.d.ts',
    'dist/ffi/umf/memory_provider.d.ts',
    'dist/lib/cli/umf.js',
    'scripts/build-native.mjs',
    'scripts/jemalloc.sh',
    'vendor/umf/CMakeLists.txt',
    'vendor/umf/package.json',
    'vendor/umf/include/umf.h',
    'vendor/umf/src/libumf.map',
  ]) {
    t.ok(files.includes(want), `ships ${want}`)
  }
  const unwanted = files.filter(
    (f) =>
      /^(test|examples|lib|ffi|build|\.ci|vendor\/umf\/(test|benchmark))\//.test(f) ||
      (f.startsWith('scripts/') && !['scripts/build-native.mjs', 'scripts/jemalloc.sh'].includes(f)) ||
      f.startsWith('docs/') ||
      f.endsWith('.ts') && !f.endsWith('.d.ts'),
  )
  t.same(unwanted, [], 'no tests, examples, TypeScript sources, dev scripts, internal docs or build output')
})

t.test('installed into examples/consumer offline: the install builds libumf.so.1 in the package', async (t) => {
  cpSync(path.join(repo, 'examples', 'consumer'), app, {
    recursive: true,
    filter: (src) => !/node_modules|package-lock\.json/.test(src),
  })
  const r = run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], app)
  t.equal(r.status, 0, `npm install from the tarball and the cache (run scripts/setup.sh to fill it):\n${r.stderr.slice(-3000)}`)
  t.ok(existsSync(library), 'node_modules/umf/build/Release/libumf.so.1 was built at install')
  t.notOk(existsSync(path.join(installed, 'build', 'install-status.json')), 'no failure recorded')
})

t.test('a plain Node ESM program: disjoint pool, allocate, write, read, free', async (t) => {
  const r = run('node', ['app.mjs'], app)
  t.equal(r.status, 0, r.stderr)
  t.same(lastJson(r), { pool: 'disjoint', size: 1024, sum: 130560, library })
})

t.test('a TypeScript consumer type-checks with strict, exactOptionalPropertyTypes and no skipLibCheck, and runs', async (t) => {
  const tsc = run('node', [path.join('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], app)
  t.equal(tsc.status, 0, tsc.stdout + tsc.stderr)
  const r = run('node', ['app.js'], app)
  t.equal(r.status, 0, r.stderr)
  t.same(lastJson(r), { total: 8, rejected: true })
})

t.test('a consumer of the ffi layer: umf/ffi and a per-header subpath', async (t) => {
  const r = run('node', ['ffi.mjs'], app)
  t.equal(r.status, 0, r.stderr)
  t.same(lastJson(r), { version: 0x10000, provider: 'OS', allocated: true })
})

t.test('npx umf info in the consumer reports the installed library', async (t) => {
  const r = run('npx', ['--offline', 'umf', 'info', '--json'], app)
  t.equal(r.status, 0, r.stderr)
  const info = lastJson({ ...r, stdout: r.stdout.trim().startsWith('{') ? JSON.stringify(JSON.parse(r.stdout)) : r.stdout })
  t.match(info, { version: pkg.version, library: { path: library, source: 'package', loaded: true, apiVersion: '1.0' } })
})

t.test('without cmake or a compiler: the install script and a later import name the Debian packages', async (t) => {
  // PATH holds node alone: no cmake, no cc, no make or ninja
  const nodeOnly = path.join(work, 'node-only')
  cpSync(process.execPath, path.join(nodeOnly, 'node'))
  renameSync(library, library + '.moved')
  t.teardown(() => renameSync(library + '.moved', library))
  const build = run(path.join(nodeOnly, 'node'), [path.join(installed, 'scripts', 'build-native.mjs')], app, {
    PATH: nodeOnly,
    npm_lifecycle_event: 'install',
  })
  t.equal(build.status, 1, 'the install fails')
  t.match(build.stderr, /this machine lacks cmake, gcc, (libc6-dev, )?make\. On Debian or Ubuntu: `sudo apt-get install cmake gcc (libc6-dev )?make`/)
  const status = JSON.parse(readFileSync(path.join(installed, 'build', 'install-status.json'), 'utf8'))
  t.match(status, { ok: false, message: /sudo apt-get install cmake gcc/ })

  const imported = run('node', ['app.mjs'], app)
  t.not(imported.status, 0, 'importing the package fails')
  t.match(imported.stderr, /umf: the native library .*libumf\.so\.1 is missing: cannot build libumf\.so\.1: this machine lacks cmake/)
  t.notMatch(imported.stderr, /\n\s+at /, 'no stack trace')

  rmSync(path.join(installed, 'build', 'install-status.json'))
  const unbuilt = run('node', ['app.mjs'], app)
  t.match(unbuilt.stderr, /install script, which builds it, has not run .* `npx umf build`/, 'no record: the script did not run')
})
