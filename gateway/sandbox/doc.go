// Package sandbox runs GridCast's two provider emulators — Aliyun SMS and the
// WeChat official-account API — behind one address, with the sign name and
// templates a sandbox account has approved, a record of every message they
// accept, and an admin API for fault tests. `gridcast sandbox` serves it
// standalone (one sandbox shared by serve and every worker); `sandbox: true`
// runs it in-process for `demo` and `serve`. The real SDKs reach it through
// their endpoint / base-URL settings.
//
// # Routes
//
//   - "/": the Aliyun SMS RPC API, as dysmsapi.aliyuncs.com answers it.
//   - "/cgi-bin/…": the WeChat API, as api.weixin.qq.com answers it.
//   - "/sandbox/…": the admin API below.
//
// # The record
//
// Every message an emulator accepts is counted once: an SMS (one per number
// of a SendSms or SendBatchSms call), a WeChat template message, a WeChat
// customer-service text. A template send that WeChat answers as a repeat of
// an earlier client_msg_id (within 10 minutes) is not a new message and is
// not counted. With a record file (Open) each message is also appended to it
// as one JSON line (Entry), written before the answer goes out and synced at
// least once a second, and the file is replayed at start, so that after a
// restart QuerySendDetails still finds earlier sends, client_msg_id repeats
// within their 10 minutes are still recognised, and WeChat msgids never
// repeat. Receipts of messages accepted before a restart are not pushed
// again; GridCast's reconciler asks QuerySendDetails for SMS ones.
//
// # Admin API
//
// It answers only requests that come straight from a loopback or private
// address (no proxy headers): the sandbox is a test tool, its record holds
// phone numbers and openids in clear, and its faults stop every caller's
// messages. Errors are {"error": "…"} with status 400 (bad input, nothing
// changed), 403 or 404.
//
//   - GET /sandbox/record[?since=RFC3339][&detail=1] → RecordSummary: per
//     channel ("sms", "wechat") the messages accepted (at or after since),
//     by kind, the repeats of one GridCast message (same OutId and number,
//     or same client_msg_id), and the count per recipient; with detail=1
//     every message (RecordedMessage), oldest first.
//   - POST /sandbox/faults {"provider","action","kind","count","rate"} →
//     201 and the FaultRule in force: the next count calls of the action
//     ("" = any send) fail as kind says (lose_answer, hang, 5xx, throttle,
//     system_error), or a share rate of them until cleared, or both.
//     GET /sandbox/faults → {"faults": [FaultRule…]}; DELETE /sandbox/faults
//     → {"faults": [], "cleared": N}.
//   - POST /sandbox/receipts {"mode": "normal"|"duplicate"|"reorder"} and
//     GET /sandbox/receipts → {"mode": …}: while duplicate, every delivery
//     report (Aliyun SmsReport, WeChat TEMPLATESENDJOBFINISH) is pushed
//     twice; while reorder, reports are held and pushed in small groups,
//     newest first.
//
// Fault rules and the receipt mode are kept in memory: they last until
// cleared or until the sandbox stops.
//
// The methods behind them (Record, AddFault, Faults, ClearFaults,
// SetReceiptMode) serve Go tests in the same process.
package sandbox
