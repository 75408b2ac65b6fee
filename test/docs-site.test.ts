// The public surface and the documentation site: test-only helpers are not exported, and typedoc (with
// warnings as errors) builds a site with one module per C header, the examples, and UMF's defaults at the
// constructors.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as ffi from '../ffi/index.js'
import * as lib from '../lib/index.js'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const TEST_ONLY = ['finalizedObjects', 'registeredCallbacks', 'liveTypeScriptProviders', 'liveTypeScriptPools']

t.test('the package exports no test-only helper', async (t) => {
  for (const name of TEST_ONLY) t.notOk(name in lib, `umf does not export ${name}`)
  t.notOk('bind' in ffi, 'umf/ffi does not export bind')
  t.ok('libraryPath' in ffi && 'missingSymbols' in ffi, 'umf/ffi still says which library it loaded')
})

t.test('typedoc builds the site without warnings', async (t) => {
  const out = mkdtempSync(path.join(tmpdir(), 'umf-docs-'))
  t.teardown(() => rmSync(out, { recursive: true, force: true }))
  const r = spawnSync(process.execPath, [path.join(repo, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--out', out], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 180_000,
  })
  t.equal(r.status, 0, r.stdout + r.stderr)
  t.notMatch(r.stdout + r.stderr, /\[warning\]/, 'no warnings')
  const page = (rel: string) => readFileSync(path.join(out, rel), 'utf8')

  const headers = readdirSync(path.join(repo, 'vendor', 'umf', 'include', 'umf'), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.h'))
  for (const h of headers) {
    const module = `modules/umf_ffi_umf_${h.replace(/\.h$/, '').replace(/\//g, '_')}.html`
    t.ok(existsSync(path.join(out, module)), `a module page for umf/${h}`)
  }
  t.match(page('functions/umf_ffi_umf_memory_pool.umfPoolMalloc.html'), 'void *umfPoolMalloc(umf_memory_pool_handle_t hPool, size_t size);', 'C functions are documented as functions, with the C prototype')

  const examples = page('documents/Examples.html')
  for (const file of ['basic.ts', 'custom_provider.ts', 'ipc_ipcapi/producer.ts', 'consumer/app.mjs', 'level_zero_shared_memory.ts', 'ipc_level_zero.ts']) {
    const firstLine = readFileSync(path.join(repo, 'examples', file), 'utf8').split('\n')[0]!.replace(/^\/\/ /, '')
    t.match(examples, firstLine.slice(0, 40).replace(/&/g, '&amp;').replace(/'/g, '&#39;'), `the examples page shows ${file}`)
  }

  t.match(page('documents/Worker_threads.html'), 'MemoryPool.adopt', 'the site has the worker-threads page (docs/workers.md)')

  const disjoint = page('classes/umf.DisjointPool.html')
  const ctor = disjoint.slice(disjoint.indexOf('id="constructor"'))
  t.match(ctor, /slabMinSize[\s\S]*64 KiB/, "the constructor's documentation tables UMF's defaults")
  for (const name of TEST_ONLY) {
    t.notOk(existsSync(path.join(out, 'functions', `umf.${name}.html`)), `no page for ${name}`)
  }
  t.notOk(existsSync(path.join(out, 'functions', 'umf_ffi_library.bind.html')), 'no page for ffi bind')
})
