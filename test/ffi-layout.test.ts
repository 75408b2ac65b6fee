// Check (c) of the FFI layer: koffi's idea of every struct (size, alignment, member offsets) and of every
// integer constant and enumerator equals the C compiler's, from a probe compiled from the headers at test
// time. The probe's source is generated from the same parse as ffi/, so a new struct is checked at once.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import koffi from 'koffi'
import type { TypeObject } from 'koffi'
import * as ffi from '../ffi/index.js'
import { defaultIncludeDir, parseHeaders, renderLayoutProbe } from '../scripts/gen-ffi.js'

interface ProbeResult {
  structs: Map<string, { size: number; align: number; members: Map<string, number> }>
  constants: Map<string, bigint>
  typedefs: Map<string, { size: number; align: number }>
}

function runProbe(): ProbeResult {
  const dir = mkdtempSync(path.join(tmpdir(), 'umf-layout-probe-'))
  try {
    const src = path.join(dir, 'probe.c')
    const exe = path.join(dir, 'probe')
    writeFileSync(src, renderLayoutProbe())
    const cc = process.env['CC'] || 'cc'
    execFileSync(cc, ['-std=c11', '-Wall', '-Werror', '-I', defaultIncludeDir, '-o', exe, src], { stdio: 'pipe' })
    const out = execFileSync(exe, { encoding: 'utf8' })
    const res: ProbeResult = { structs: new Map(), constants: new Map(), typedefs: new Map() }
    for (const line of out.trim().split('\n')) {
      const f = line.split(' ')
      if (f[0] === 'S') res.structs.set(f[1]!, { size: Number(f[2]), align: Number(f[3]), members: new Map() })
      else if (f[0] === 'M') res.structs.get(f[1]!)!.members.set(f[2]!, Number(f[3]))
      else if (f[0] === 'C') res.constants.set(f[1]!, BigInt(f[2]!))
      else if (f[0] === 'T') res.typedefs.set(f[1]!, { size: Number(f[2]), align: Number(f[3]) })
      else throw new Error(`unexpected probe line: ${line}`)
    }
    return res
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const probe = runProbe()
const parsed = parseHeaders()
const exportsByName = ffi as unknown as Record<string, unknown>

t.test('the probe covers every struct of the headers', async (t) => {
  const structs: string[] = []
  for (const h of parsed.headers) for (const d of h.decls) if (d.kind === 'struct') structs.push(d.name)
  t.ok(structs.length > 0)
  t.same([...probe.structs.keys()].sort(), structs.sort())
})

t.test('koffi layouts equal the C layouts', async (t) => {
  for (const [name, c] of [...probe.structs.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const type = exportsByName[name] as TypeObject | undefined
    t.ok(type, `ffi/ exports the koffi type ${name}`)
    if (!type) continue
    t.equal(koffi.sizeof(type), c.size, `sizeof(${name})`)
    t.equal(koffi.alignof(type), c.align, `alignof(${name})`)
    const kMembers = Object.keys(type.members ?? {})
    t.same(kMembers, [...c.members.keys()], `${name} has the C members in the C order`)
    for (const [member, off] of c.members) {
      t.equal(koffi.offsetof(type, member), off, `offsetof(${name}, ${member})`)
    }
  }
})

t.test('enums, handles, callback and plain typedefs have the C size and alignment in koffi', async (t) => {
  t.ok(probe.typedefs.size > 0)
  for (const [name, c] of [...probe.typedefs.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    t.equal(koffi.sizeof(name), c.size, `sizeof(${name})`)
    t.equal(koffi.alignof(name), c.align, `alignof(${name})`)
  }
})

t.test('the ops structs have the UMF 1.1 sizes', async (t) => {
  t.equal(probe.structs.get('umf_memory_provider_ops_t')?.size, 168, 'C sizeof(umf_memory_provider_ops_t)')
  t.equal(koffi.sizeof(ffi.umf_memory_provider_ops_t), 168, 'koffi sizeof(umf_memory_provider_ops_t)')
  t.equal(probe.structs.get('umf_memory_pool_ops_t')?.size, 104, 'C sizeof(umf_memory_pool_ops_t)')
  t.equal(koffi.sizeof(ffi.umf_memory_pool_ops_t), 104, 'koffi sizeof(umf_memory_pool_ops_t)')
  t.equal(koffi.offsetof(ffi.umf_memory_provider_ops_t, 'ext_allocation_merge'), 88, 'merge precedes split')
  t.equal(koffi.offsetof(ffi.umf_memory_provider_ops_t, 'ext_allocation_split'), 96)
  t.equal(koffi.offsetof(ffi.umf_memory_provider_ops_t, 'ext_get_allocation_properties_size'), 160)
  t.equal(koffi.offsetof(ffi.umf_memory_pool_ops_t, 'ext_trim_memory'), 96)
})

t.test('constants and enumerators equal their C values', async (t) => {
  t.ok(probe.constants.size > 0)
  for (const [name, value] of [...probe.constants.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const v = exportsByName[name]
    t.ok(typeof v === 'number' || typeof v === 'bigint', `ffi/ exports ${name}`)
    if (typeof v === 'number' || typeof v === 'bigint') t.equal(BigInt(v), value, `${name} = ${value}`)
  }
  t.equal(ffi.UMF_VERSION_CURRENT, ffi.UMF_MAKE_VERSION(1, 0))
  t.equal(ffi.UMF_PROVIDER_OPS_VERSION_CURRENT, 0x10001)
  t.equal(ffi.UMF_POOL_OPS_VERSION_CURRENT, 0x10001)
  t.equal(ffi.UMF_MAJOR_VERSION(ffi.UMF_POOL_OPS_VERSION_CURRENT), 1)
  t.equal(ffi.UMF_MINOR_VERSION(ffi.UMF_POOL_OPS_VERSION_CURRENT), 1)
})

t.test('each enum object lists its enumerators and is frozen', async (t) => {
  for (const h of parsed.headers) for (const d of h.decls) {
    if (d.kind !== 'enum') continue
    const obj = exportsByName[d.name] as Record<string, number>
    t.ok(Object.isFrozen(obj), `${d.name} is frozen`)
    t.same(Object.keys(obj), d.members.map((m) => m.name), `${d.name} lists its enumerators in order`)
    for (const m of d.members) t.equal(BigInt(obj[m.name]!), m.value, `${d.name}.${m.name}`)
  }
})
