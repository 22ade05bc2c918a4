// Package retention says how long GridCast keeps residents' personal data
// and how it lets go of it, in two ways:
//
//   - by age: a daily sweep clears the content of what is older than the
//     configured ages (Config) — the text, template parameters, link and
//     recipient address of outbound messages; the content and sender
//     address of residents' messages, the text of their closed tickets and
//     their old WeChat binding requests — while every row stays with what
//     the campaign funnels, frequency caps and the grid workers' 考核 count:
//     status, timestamps, campaign, channel, resident, category;
//   - on request (PIPL): a resident is erased (Erased): their record keeps
//     its id under a pseudonym so that the ledger and the tickets still add
//     up, their name, phone, ID number, address, WeChat binding, categories,
//     skills and jobs are removed, and what they sent and were sent is
//     cleared as the sweep would clear it.
//
// The package holds the policy and its words; the store (store/retention.go)
// does the clearing in bounded, id-ordered batches, the queue runs the
// sweep daily (queue/retention.go), and cmd/gridcast has `gridcast
// retention run` and `gridcast residents erase`. It imports no driver.
package retention
