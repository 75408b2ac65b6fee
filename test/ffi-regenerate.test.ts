// Check (a) of the FFI layer: ffi/ is exactly what scripts/gen-ffi.ts makes of the headers today, so
// nobody edited a generated file by hand and nobody changed a header without regenerating.
import t from 'tap'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { defaultOutDir, generateFfi, GENERATED_MARKER } from '../scripts/gen-ffi.js'

/** every file under a dir, as sorted relative paths with forward slashes */
function listFiles(dir: string, rel = ''): string[] {
  const out: string[] = []
  for (const ent of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${ent.name}` : ent.name
    if (ent.isDirectory()) out.push(...listFiles(dir, r))
    else out.push(r)
  }
  return out.sort()
}

t.test('regenerating ffi/ into a temp dir gives the committed bytes', async (t) => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'umf-gen-ffi-'))
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }))
  const written = generateFfi({ outDir: tmp })
  t.ok(written.length > 0, 'the generator wrote files')
  t.ok(written.includes('index.ts'), 'ffi/index.ts is generated')

  const fresh = listFiles(tmp)
  // ffi/library.ts and ffi/location.ts are written by hand; everything else under ffi/ must be generated
  const committed = listFiles(defaultOutDir).filter((f) => f !== 'library.ts' && f !== 'location.ts')
  t.same(committed, fresh, 'the same files (a file only on one side means a header was added or removed: run npm run gen:ffi)')

  for (const f of fresh) {
    const want = readFileSync(path.join(tmp, f), 'utf8')
    t.ok(want.startsWith(GENERATED_MARKER), `${f} carries the generated-file marker`)
    let have: string | null = null
    try {
      have = readFileSync(path.join(defaultOutDir, f), 'utf8')
    } catch {
      have = null
    }
    if (have === null) continue // already reported by the file list comparison
    t.ok(have === want, `ffi/${f} is byte-identical to a fresh generation (else run npm run gen:ffi)`)
  }
})

t.test('the generator is deterministic', async (t) => {
  const a = mkdtempSync(path.join(tmpdir(), 'umf-gen-ffi-a-'))
  const b = mkdtempSync(path.join(tmpdir(), 'umf-gen-ffi-b-'))
  t.teardown(() => {
    rmSync(a, { recursive: true, force: true })
    rmSync(b, { recursive: true, force: true })
  })
  generateFfi({ outDir: a })
  generateFfi({ outDir: b })
  const fa = listFiles(a)
  t.same(fa, listFiles(b))
  for (const f of fa) t.ok(readFileSync(path.join(a, f)).equals(readFileSync(path.join(b, f))), `${f} is the same twice`)
})
