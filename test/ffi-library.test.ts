// ffi/library.ts: which library it loads, and what happens when it is missing or incomplete. Each case
// runs in a child process, since the library is loaded once per process when ffi/ is first imported.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const ffiIndex = pathToFileURL(path.join(repo, 'ffi', 'index.ts')).href

function runChild(t: { teardown: (fn: () => void) => void }, body: string, env: Record<string, string | undefined>) {
  const dir = mkdtempSync(path.join(tmpdir(), 'umf-ffi-library-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'child.mts')
  writeFileSync(file, body)
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env }
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k]
  return spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: repo, env: childEnv, encoding: 'utf8', timeout: 60_000 })
}

t.test('UMF_LIBRARY_PATH naming a missing file fails the import with a clear error', async (t) => {
  const r = runChild(t, `await import(${JSON.stringify(ffiIndex)})\n`, { UMF_LIBRARY_PATH: '/nonexistent/libumf.so.1' })
  t.not(r.status, 0, 'the import fails')
  t.match(r.stderr, /UMF_LIBRARY_PATH names \/nonexistent\/libumf\.so\.1, which does not exist/)
})

t.test('a library without the UMF symbols still loads; its functions throw when called', async (t) => {
  const body = `
const ffi = await import(${JSON.stringify(ffiIndex)})
const out = { path: ffi.libraryPath, missing: ffi.missingSymbols.size, hasInit: ffi.missingSymbols.has('umfInit') }
let err = ''
try { ffi.umfPoolMalloc(null, 8) } catch (e) { err = (e as Error).message }
console.log(JSON.stringify({ ...out, err, version: ffi.UMF_VERSION_CURRENT }))
`
  const libc = '/lib/x86_64-linux-gnu/libc.so.6'
  const r = runChild(t, body, { UMF_LIBRARY_PATH: libc })
  t.equal(r.status, 0, r.stderr)
  const res = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>
  t.equal(res['path'], libc, 'UMF_LIBRARY_PATH wins over the default path')
  t.equal(res['hasInit'], true)
  t.ok((res['missing'] as number) > 50, `every function is missing (${res['missing']})`)
  t.match(res['err'], /does not export umfPoolMalloc/)
  t.equal(res['version'], 0x10000, 'constants need no symbols')
})
