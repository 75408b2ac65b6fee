// A provider with CTL nodes of its own: it takes writes of a, b and m, runs addition and subtraction
// (results modulo m) and answers reads of c. m comes from the environment, as a default stored for every
// provider named "ctl" and written to this one when it is created:
//
//   UMF_CONF="umf.provider.default.ctl.m=10" npx tsx examples/ctl_provider.ts
import koffi from 'koffi'
import { MemoryProvider, ctl, type CtlQueryType, type CtlSource, type MemoryProviderImpl } from 'umf'

class CtlProvider implements MemoryProviderImpl {
  readonly name = 'ctl'
  a = 0
  b = 0
  c = 0
  m = 0

  alloc(size: number): bigint | null {
    return koffi.alloc('uint8_t', size) as bigint
  }

  free(ptr: bigint): void {
    koffi.free(ptr)
  }

  ctl(source: CtlSource, path: string, type: CtlQueryType, value: Uint8Array | null): boolean {
    const view = value && new DataView(value.buffer, value.byteOffset, value.byteLength)
    const mod = (x: number) => (this.m > 0 ? ((x % this.m) + this.m) % this.m : x)
    if (type === 'runnable' && (path === 'addition' || path === 'subtraction')) {
      this.c = mod(path === 'addition' ? this.a + this.b : this.a - this.b)
      return true
    }
    if (type === 'runnable' && path === 'post_initialize') return true
    if (!view || !['a', 'b', 'c', 'm'].includes(path)) return false
    const key = path as 'a' | 'b' | 'c' | 'm'
    if (type === 'read') {
      view.setInt32(0, this[key], true)
      return true
    }
    if (type === 'write' && key !== 'c') {
      // from UMF_CONF a value is text; from the API, an int
      this[key] = source === 'config' ? Number.parseInt(new TextDecoder().decode(value).replace(/\0.*$/s, ''), 10) : view.getInt32(0, true)
      return true
    }
    return false
  }
}

using provider = new MemoryProvider(new CtlProvider())
const m = ctl.getAs('int', 'umf.provider.by_handle.{}.m', provider)
console.log(`m = ${m}${m === 0 ? ' (set UMF_CONF="umf.provider.default.ctl.m=10")' : ''}`)
ctl.setAs('int', 'umf.provider.by_handle.{}.a', 7, provider)
ctl.setAs('int', 'umf.provider.by_handle.{}.b', 5, provider)
ctl.exec('umf.provider.by_handle.{}.addition', provider)
console.log(`7 + 5 mod m = ${ctl.getAs('int', 'umf.provider.by_handle.{}.c', provider)}`)
ctl.exec('umf.provider.by_handle.{}.subtraction', provider)
console.log(`7 - 5 mod m = ${ctl.getAs('int', 'umf.provider.by_handle.{}.c', provider)}`)
ctl.setAs('int', 'umf.provider.by_handle.{}.b', 9, provider)
ctl.exec('umf.provider.by_handle.{}.subtraction', provider)
console.log(`7 - 9 mod m = ${ctl.getAs('int', 'umf.provider.by_handle.{}.c', provider)}`)
