// Package retention says how long GridCast keeps residents' personal data
// and how it lets go of it, in two ways:
//
//   - by age: a daily sweep clears the content of what is older than the
//     configured ages (Config) — the text, template parameters, link and
//     recipient address of outbound messages; the content and sender
//     address of residents' messages, their old WeChat binding requests,
//     and of closed tickets the text, a reported event's location, the
//     photos and voice attached and the staff's notes on department tasks
//     and 督办 flags — while every row stays with what
//     the campaign funnels, frequency caps and the grid workers' 考核 count:
//     status, timestamps, campaign, channel, resident, category;
//   - on request (PIPL): a resident is erased (Erased): their record keeps
//     its id under a pseudonym so that the ledger and the tickets still add
//     up, their name, phone, ID number, address, WeChat binding, categories,
//     skills and jobs are removed, and what they sent and were sent is
//     cleared as the sweep would clear it, their photos and voice
//     included.
//
// Photos and voice live in the blob store, which the store cannot reach:
// the store clears an attachment's row and queues its blob keys in one
// transaction (BlobQueue), and DeleteQueuedBlobs — run by Purge and by
// Eraser, which hold the blob store (Blobs) — deletes the objects
// afterwards, so that a crash in between is finished by the next sweep.
//
// The package holds the policy and its words; the store (store/retention.go)
// does the clearing in bounded, id-ordered batches, the queue runs the
// sweep daily (queue/retention.go), and cmd/gridcast has `gridcast
// retention run` and `gridcast residents erase`. It imports no driver.
package retention
