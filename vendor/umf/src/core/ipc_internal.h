/*
 * What the built-in providers tell the IPC core beyond the ops API.
 *
 * An IPC handle carries the allocation's size twice: in its header (what the
 * core tracks and hands out pointers into) and in the provider's data (what the
 * provider maps). A forged handle can make them differ. A provider that knows
 * how many bytes it mapped reports it from its ext_open_ipc_handle; the core
 * then refuses a handle whose header claims more, and closes the mapping with
 * the size the provider mapped. Providers that report nothing are trusted.
 */
#ifndef UMF_INTERNAL_IPC_H
#define UMF_INTERNAL_IPC_H 1

#include <stddef.h>

/* Called by a provider's ext_open_ipc_handle on success: bytes mapped from the address it returns. */
void umf_ipc_report_mapped_size(size_t size);

#endif
