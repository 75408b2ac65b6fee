// The raw layer, as a C program calls it: umf/ffi (every header) and a per-header subpath.
import * as ffi from 'umf/ffi'
import { umfMemoryProviderAlloc, umfMemoryProviderFree } from 'umf/ffi/umf/memory_provider'

function check(rc, what) {
  if (rc !== ffi.UMF_RESULT_SUCCESS) throw new Error(`${what} returned ${rc}`)
}

const params = [null]
check(ffi.umfOsMemoryProviderParamsCreate(params), 'umfOsMemoryProviderParamsCreate')
const provider = [null]
check(ffi.umfMemoryProviderCreate(ffi.umfOsMemoryProviderOps(), params[0], provider), 'umfMemoryProviderCreate')
check(ffi.umfOsMemoryProviderParamsDestroy(params[0]), 'umfOsMemoryProviderParamsDestroy')

const ptr = [null]
check(umfMemoryProviderAlloc(provider[0], 4096, 0, ptr), 'umfMemoryProviderAlloc')
const name = [null]
check(ffi.umfMemoryProviderGetName(provider[0], name), 'umfMemoryProviderGetName')
check(umfMemoryProviderFree(provider[0], ptr[0], 4096), 'umfMemoryProviderFree')
ffi.umfMemoryProviderDestroy(provider[0])
console.log(JSON.stringify({ version: ffi.umfGetCurrentVersion(), provider: name[0], allocated: typeof ptr[0] === 'bigint' }))
