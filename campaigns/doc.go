// Package campaigns is the outreach campaign domain: what a campaign is
// (policy notices 政策宣传, job postings 招聘信息, training notices 培训通知 and
// home-visit schedules 走访预约 sent to a segment of residents), the rules it
// must satisfy before a single message leaves, and the pure decisions the
// send path takes per resident.
//
// The package is pure Go: it imports no SQL, HTTP or Redis library, keeps no
// package-level state that changes, and takes the time as an argument
// wherever it matters, so the queue, the store and the tests drive it with
// their own clock. The store persists campaigns, their events and visit
// bookings; the queue (Asynq) fans a campaign out and asks this package what
// to do with each resident. Refusals (a transition the life cycle lacks, a
// missing approval, an invalid campaign) are fault.Errors that say
// themselves to the user.
//
// # What lives here
//
//   - Campaign and its content per channel (SMS template and parameters,
//     WeChat template and fields, customer-service text); Campaign.Validate
//     and Campaign.CheckTemplates report every problem at once, each naming
//     the field.
//   - The life cycle: draft → scheduled → running ⇄ paused → completed or
//     cancelled, with maker-checker approval (Policy.ApprovalThreshold) and
//     an Event per transition for the ledger (台账).
//   - WordFilter, the sensitive-word check (Aho–Corasick, case-insensitive).
//   - Template, CheckTemplateFit and TrustCheck: a campaign's parameter
//     mapping fits its provider template, and every SMS names the grid worker
//     and tells the resident how to opt out.
//   - Value templates ({{worker.name}}, {{resident.surname_title}}, {{slot}}
//     …) and their rendering: RenderParams, RenderFields, RenderValue.
//   - What a phone shows of a WeChat template message since 2023-05-04
//     (WeChatDisplay, WeChatField: no first or remark, each keyword field
//     cut to 20 characters); Validate refuses what the resident would never
//     see, Campaign.Warnings names what is pointless or may be cut.
//   - Per-resident decisions: ChooseChannel, Campaign.CheckRecipient,
//     QuietHours.NextAllowed, Caps.Check; the reasons a resident is skipped
//     are the ledger's (outbound.SkipReason), as are the messages
//     themselves (package outbound).
//   - Home visits: ParseVisitingHours and SlotAllocator (一户一时段, no
//     double booking), ReminderAt.
//
// # Time zone
//
// Every wall-clock rule (quiet hours, daily and weekly caps, visiting hours,
// recurrences, reminders) is evaluated in Asia/Shanghai unless a Location is
// given. China has kept UTC+8 without daylight saving since 1991, so the
// package falls back to a fixed UTC+8 zone when the system has no tz data.
//
// # Personal data
//
// Rendering deliberately uses the resident's and the worker's clear names
// and the worker's clear phone number: the result goes to the resident. The
// rendered parameters must therefore never be logged except at debug level,
// truncated. Vars, which carries the people, prints and logs masked.
package campaigns
