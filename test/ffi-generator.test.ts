// The header parser and code writer of scripts/gen-ffi.ts on small made-up headers: what it understands,
// how it maps C to koffi and TypeScript, and that it stops loudly on what it does not understand.
import t from 'tap'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseHeaders, renderFfi } from '../scripts/gen-ffi.js'

const BASE = `/*
 * x/base.h - base types for the test.
 */
#ifndef X_BASE_H
#define X_BASE_H 1
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
/// @brief Builds a version.
#define X_MAKE_VERSION(_major, _minor) ((_major << 16) | (_minor & 0x0000ffff))
/// @brief The current version.
#define X_VERSION_CURRENT X_MAKE_VERSION(1, 1)
#define X_START 1000
#define X_SIZE ((size_t)8)
#define X_NAME "x" "y"
/// @brief A result.
typedef enum x_result_t {
    X_OK = 0,       ///< Fine.
    X_BAD = 1,      ///< Not fine.
    X_NEG = -1,
    X_HEX = 0x7ffffffe ///< Large.
} x_result_t;
/// @brief Codes after a start value.
typedef enum x_native_t {
    X_N_FIRST = X_START, ///< The first.
    X_N_SECOND,
    X_N_THIRD
} x_native_t;
typedef uint32_t x_flags_t;
/// @brief Opaque thing.
typedef struct x_thing_t *x_thing_handle_t;
typedef const struct x_thing_t *x_const_thing_handle_t;
typedef void *x_void_handle_t;
#ifdef __cplusplus
}
#endif
#endif
`

const API = `#ifndef X_API_H
#define X_API_H 1
#include <stdarg.h>
#include <stdbool.h>
#include <x/base.h>
/// @brief Ops.
typedef struct x_ops_t {
    /// @brief The version.
    uint32_t version;
    /// @brief Allocates.
    /// @param state the state
    /// @param size the size
    /// @param ptr receives the memory
    /// @return X_OK
    x_result_t (*alloc)(void *state, size_t size, void **ptr);
    void *(*get)(void *state, const char *name, va_list args);
    char label[16]; ///< A label.
    x_thing_handle_t thing;
} x_ops_t;
/// @brief A pair.
typedef struct x_pair_t {
    unsigned a; ///< first
    unsigned b; ///< second
} x_pair_t;
/// @brief A filter.
/// @param h a thing
/// @param arg user data
/// @return 0 or 1
typedef int (*x_filter_t)(x_const_thing_handle_t h, void *arg);
/// @brief Creates a thing.
/// @param ops its ops
/// @param flags flags
/// @param out receives the thing
/// @return X_OK
x_result_t xCreate(const x_ops_t *ops, x_flags_t flags, x_thing_handle_t *out);
/// @brief Names.
/// @param h the thing
/// @param name receives the name
/// @param size receives the size
/// @return X_OK
x_result_t xName(x_const_thing_handle_t h, const char **name, size_t *size);
/// @brief Sets pairs.
/// @param h the thing
/// @param pairs the pairs; copied
/// @param ids some ids
/// @param n how many
/// @return X_OK
x_result_t xPairs(x_thing_handle_t h, x_pair_t *pairs, unsigned *ids, unsigned n);
x_result_t xUndocumented(unsigned *nodeIds, size_t numIds, int32_t *value);
void *xGet(x_thing_handle_t h, bool flag, int64_t delta, x_filter_t filter);
x_const_thing_handle_t xDefault(void);
/// @brief Reads a CTL value.
/// @warning experimental
/// @param path the path
/// @param arg the value
/// @param size its size
/// @param ... the placeholders' values
/// @return X_OK
x_result_t xCtl(const char *path, void *arg, size_t size, ...);
#endif
`

function withHeaders(t: { teardown: (fn: () => void) => void }, files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'umf-gen-synth-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
    writeFileSync(path.join(dir, rel), text)
  }
  return dir
}

t.test('parses constants, enums, structs, handles, callbacks and functions', async (t) => {
  const dir = withHeaders(t, { 'x/base.h': BASE, 'x/api.h': API })
  const parsed = parseHeaders(dir)
  t.same(parsed.headers.map((h) => h.path), ['x/api.h', 'x/base.h'])
  t.equal(parsed.enumerators.get('X_N_FIRST'), 1000n)
  t.equal(parsed.enumerators.get('X_N_THIRD'), 1002n, 'implicit values count on from the previous one')
  t.equal(parsed.enumerators.get('X_NEG'), -1n)
  const names = parsed.headers.flatMap((h) => h.decls.map((d) => `${d.kind}:${d.name}`))
  t.notOk(names.includes('macro:X_BASE_H'), 'the include guard is not a constant')
  t.ok(names.includes('macro:X_VERSION_CURRENT'))
  for (const n of ['enum:x_result_t', 'struct:x_ops_t', 'handle:x_thing_handle_t', 'handle:x_const_thing_handle_t',
    'handle:x_void_handle_t', 'alias:x_flags_t', 'fnptr:x_filter_t', 'func:xCreate', 'func:xCtl']) {
    t.ok(names.includes(n), n)
  }

  const files = renderFfi(dir)
  t.same([...files.keys()], ['index.ts', 'x/api.ts', 'x/base.ts'])
  const base = files.get('x/base.ts')!
  const api = files.get('x/api.ts')!
  t.match(base, /export const X_VERSION_CURRENT = 65537\n/)
  t.match(base, /export function X_MAKE_VERSION\(_major: number, _minor: number\): number \{\n {2}return \(\(_major << 16\) \| \(_minor & 65535\)\)\n\}/)
  t.match(base, /export const X_SIZE = 8\n/)
  t.match(base, /export const X_NAME = "xy"\n/)
  t.match(base, /export const X_HEX = 2147483646\n/)
  t.match(base, /export const x_result_t = Object\.freeze\(\{/)
  t.match(base, /export type x_result_t = \(typeof x_result_t\)\[keyof typeof x_result_t\]/)
  t.match(base, /koffi\.alias\('x_result_t', 'int'\)/)
  t.match(base, /export type x_thing_handle_t = bigint & \{\n.*\n {2}readonly __brand: 'x_thing_handle_t'\n\}\n/)
  t.match(base, /export type x_const_thing_handle_t = bigint & \{\n.*\n {2}readonly __brand: 'x_const_thing_handle_t'\n\} \| x_thing_handle_t\n/,
    'a const handle accepts the mutable one')
  t.match(base, /export const x_flags_t = koffi\.alias\('x_flags_t', 'uint32_t'\)/)
  t.match(base, / \* Fine\.\n \*\/\nexport const X_OK = 0/, '///< docs land on the enumerator')

  t.match(api, /import type \{ x_const_thing_handle_t, x_flags_t, x_result_t, x_thing_handle_t \} from '\.\/base\.js'/)
  t.match(api, /export const x_ops_t__alloc = koffi\.pointer\('x_ops_t__alloc', koffi\.proto\('x_result_t x_ops_t__alloc_fn\(void \*state, size_t size, void \*\*ptr\)'\)\)/)
  t.match(api, /export type x_ops_t__get = \(state: bigint \| null, name: string \| null, args: bigint \| null\) => bigint \| null/,
    'va_list arrives as a pointer')
  t.match(api, /koffi\.proto\('void \*x_ops_t__get_fn\(void \*state, const char \*name, void \*args\)'\)/)
  t.match(api, / {2}alloc: 'x_ops_t__alloc',\n {2}get: 'x_ops_t__get',\n {2}label: koffi\.array\('char', 16\),\n {2}thing: 'x_thing_handle_t',/)
  t.match(api, / {2}label: string\n/)
  t.match(api, /export type x_filter_t = \(h: x_const_thing_handle_t \| null, arg: bigint \| null\) => number/)
  t.match(api, /'x_result_t xCreate\(const x_ops_t \*ops, x_flags_t flags, _Out_ x_thing_handle_t \*out\)'/)
  t.match(api, /xCreate = bind<\(ops: x_ops_t \| bigint \| null, flags: x_flags_t, out: \[x_thing_handle_t \| null\] \| null\) => x_result_t>/)
  t.match(api, /xName = bind<\(h: x_const_thing_handle_t \| null, name: \[string \| null\] \| null, size: \[number \| bigint \| null\] \| null\) => x_result_t>/)
  t.match(api, /xPairs = bind<\(h: x_thing_handle_t \| null, pairs: x_pair_t \| readonly x_pair_t\[\] \| bigint \| null, ids: readonly number\[\] \| Uint32Array \| bigint \| null, n: number\) => x_result_t>/,
    'pointers documented without "receives" are inputs')
  t.match(api, /'x_result_t xUndocumented\(unsigned int \*nodeIds, size_t numIds, _Out_ int32_t \*value\)'/,
    'undocumented: an array before its count, an out value otherwise')
  t.match(api, /xGet = bind<\(h: x_thing_handle_t \| null, flag: boolean, delta: number \| bigint, filter: x_filter_t \| bigint \| null\) => bigint \| null>/)
  t.match(api, /xDefault = bind<\(\) => x_const_thing_handle_t \| null>/)
  t.match(api, /xCtl = bind<\(path: string \| null, arg: bigint \| null, size: number \| bigint, \.\.\.variadic: unknown\[\]\) => x_result_t>\(\n {2}'x_result_t xCtl\(const char \*path, void \*arg, size_t size, \.\.\.\)',/)
  t.match(api, /@param ops - its ops\n/, 'doc comments become TSDoc')
  t.match(api, /Warning: experimental\n/, '@warning becomes prose')
  t.match(api, /@param variadic - the placeholders' values\n/, '@param ... documents the variadic rest')
  t.match(api, /@returns X_OK\n/)
  t.match(files.get('index.ts')!, /export \* from '\.\/x\/api\.js'\nexport \* from '\.\/x\/base\.js'\n/)
})

t.test('C++-only and platform blocks are skipped', async (t) => {
  const dir = withHeaders(t, {
    'x/base.h': BASE,
    'x/cpp.h': '#ifndef X_CPP_H\n#define X_CPP_H\n#if defined(__cplusplus)\n#include <new>\nvoid *operator new(std::size_t n);\n#endif\n#endif\n',
    'x/plat.h': '#ifndef X_PLAT_H\n#define X_PLAT_H\n#include <x/base.h>\n#if defined(_WIN32)\nthis is no C at all\n#elif defined(__linux__)\nint xLinux(void);\n#else\nint xOther(void);\n#endif\n#endif\n',
  })
  const parsed = parseHeaders(dir)
  const cpp = parsed.headers.find((h) => h.path === 'x/cpp.h')!
  t.same(cpp.decls, [])
  const plat = parsed.headers.find((h) => h.path === 'x/plat.h')!
  t.same(plat.decls.map((d) => d.name), ['xLinux'])
})

t.test('stops loudly on what it does not understand', async (t) => {
  const bad: Record<string, [string, RegExp]> = {
    union: ['typedef union u { int a; float b; } u_t;', /unions are not supported/],
    global: ['extern int x_global;', /unsupported qualifier extern/],
    unknownType: ['int xF(mystery_t m);', /expected a type/],
    structByValue: ['x_result_t xV(x_pair_t p);', /by value/],
    macro: ['#define X_ATTR __attribute__((visibility("default")))', /unknown name __attribute__|expression/],
    docTag: ['/// @frobnicate yes\nint xD(void);', /unknown doc tag @frobnicate/],
    badParamDoc: ['/// @brief f\n/// @param nope what\nint xE(int a);', /@param nope names no parameter/],
    pragma: ['#pragma pack(1)', /unsupported #pragma/],
    missingName: ['int xM(int);', /parameter needs a name/],
  }
  const pair = '#include <x/base.h>\ntypedef struct x_pair_t { unsigned a; unsigned b; } x_pair_t;\n'
  for (const [what, [decl, re]] of Object.entries(bad)) {
    const dir = withHeaders(t, { 'x/base.h': BASE, 'x/bad.h': `#ifndef X_BAD_H\n#define X_BAD_H\n${pair}${decl}\n#endif\n` })
    t.throws(() => renderFfi(dir), re, `${what}: ${decl.split('\n').pop()}`)
  }
  t.throws(() => renderFfi(withHeaders(t, { 'x/a.h': '#include <zlib.h>\nint xA(void);\n' })), /neither a header of the include dir/)
})

t.test('the real headers parse', async (t) => {
  const parsed = parseHeaders()
  t.ok(parsed.headers.some((h) => h.path === 'umf.h'))
  t.equal(parsed.enumerators.get('UMF_OS_RESULT_ERROR_TOPO_DISCOVERY_FAILED'), 1007n)
  t.equal(parsed.enumerators.get('UMF_RESULT_ERROR_UNKNOWN'), 0x7ffffffen)
})
