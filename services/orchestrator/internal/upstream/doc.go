// Package upstream delivers what msisync accepted to the customer's Marketo instance and
// brings Marketo's MSI fields back (upstream mode, docs/upstream.md).
//
//   - Fences (fence.go): every write to an entity service is fenced in the orchestrator
//     store. The keys it names are stored before the call, and the records it changed are
//     marked for delivery after it, in the transaction that removes the fence. A fence
//     left by a writer that died is resolved by Recover, which marks what the keys name.
//   - The forwarder (forwarder.go) claims marked records in the MSI order, reads their
//     current local state, and sends what changed since the last delivery, 300 records per
//     call. It never sends a child before Marketo holds its parents, and sends deletes
//     children first.
//   - The MSI poller (msi.go) reads Marketo's activities since a stored paging token and
//     the MSI fields of the leads that changed, and stores them in the scoring service.
package upstream
