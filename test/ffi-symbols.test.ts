// Check (b) of the FFI layer: the bindings and the library's exports agree.
// - every function symbol that libumf.so.1 exports has a binding in ffi/ (no export is left unbound);
// - every function the headers declare is exported by the library (the library implements the whole API;
//   while components are still being written this fails and names what is missing).
import t from 'tap'
import { execFileSync } from 'node:child_process'
import * as ffi from '../ffi/index.js'
import { parseHeaders } from '../scripts/gen-ffi.js'

/** function symbols of the library, without their version suffix (name -> version node) */
function exportedFunctions(file: string): Map<string, string> {
  const out = execFileSync('nm', ['-D', '--defined-only', file], { encoding: 'utf8' })
  const syms = new Map<string, string>()
  for (const line of out.split('\n')) {
    const m = /^[0-9a-fA-F]*\s+([A-Za-z])\s+(\S+)$/.exec(line.trim())
    if (!m) continue
    const [, kind, full] = m
    if (kind === 'A') continue // the version nodes themselves (UMF_1.0, UMF_1.1)
    const [name, version = ''] = full!.split(/@+/)
    if (kind === 'T' || kind === 'W' || kind === 'i') syms.set(name!, version)
    else syms.set(`${name}(data:${kind})`, version)
  }
  return syms
}

const parsed = parseHeaders()
const declared = new Set<string>()
for (const h of parsed.headers) for (const d of h.decls) if (d.kind === 'func') declared.add(d.name)
const bound = new Set(Object.entries(ffi).filter(([name, v]) => typeof v === 'function' && declared.has(name)).map(([n]) => n))
const exported = exportedFunctions(ffi.libraryPath)

t.test('the headers declare functions and ffi/ binds each of them', async (t) => {
  t.ok(declared.size > 0, `${declared.size} functions declared`)
  for (const name of [...declared].sort()) t.ok(bound.has(name), `ffi/ binds ${name}`)
})

t.test('each binding is koffi\'s own function for its C name, with the C parameter count', async (t) => {
  for (const h of parsed.headers) for (const d of h.decls) {
    if (d.kind !== 'func' || ffi.missingSymbols.has(d.name)) continue
    const fn = (ffi as unknown as Record<string, { info?: { name: string; arguments: unknown[] }; async?: unknown }>)[d.name]
    t.equal(fn?.info?.name, d.name, `${d.name} is a koffi function of that symbol`)
    t.equal(fn?.info?.arguments.length, d.sig.params.length, `${d.name} takes ${d.sig.params.length} fixed arguments`)
    // koffi gives variadic functions (umfCtl*) no async form
    if (d.sig.variadic) t.equal(fn?.async, undefined, `${d.name} is variadic: no .async`)
    else t.type(fn?.async, 'function', `${d.name}.async exists`)
  }
})

t.test('every symbol the library exports has a binding', async (t) => {
  t.ok(exported.size > 0, `${ffi.libraryPath} exports ${exported.size} symbols`)
  const unbound = [...exported.keys()].filter((s) => !bound.has(s)).sort()
  t.same(unbound, [], 'exported symbols without a binding in ffi/ (add them to a header and run npm run gen:ffi)')
})

t.test('every function the headers declare is exported by the library', async (t) => {
  const missing = [...declared].filter((f) => !exported.has(f)).sort()
  if (missing.length) t.comment(`bindings without a symbol in ${ffi.libraryPath}: ${missing.join(', ')}`)
  t.same(missing, [], 'header functions the library does not export')
  t.same([...ffi.missingSymbols].sort(), missing, 'ffi/library.ts saw the same missing symbols when binding')
})

t.test('exported symbols carry a UMF version node', async (t) => {
  for (const [name, version] of [...exported.entries()].sort()) {
    t.match(version, /^UMF_1\.[01]$/, `${name} is exported under ${version || 'no version'}`)
  }
})
