// Package api is GridCast's HTTP surface: the JSON API under /api/v1
// (documented in openapi.yaml beside this file), the provider webhooks it
// mounts (/wechat/callback, /aliyun/sms/report, /aliyun/sms/up — built in
// gateway), health (/healthz, /readyz), Prometheus metrics (/metrics) and,
// when given one, the queue UI (/queues/, for officers: queues.go).
//
// Every request under /api/v1 is authenticated (auth.go): a bearer token
// whose SHA-256 is a configured User's, whose name then stands as the actor
// of what the request does and whose roles say what it may change; with
// no users, only requests made on this host. Health, metrics and the
// webhooks (which check their own signatures) take no token.
//
// The JSON API covers segments (count, preview, saved segments), campaigns
// (create, read with the funnel and why its messages wait, approve, send,
// pause, resume, cancel, the sign-up list) and the ticket desk (list, a ticket with its timeline and
// conversation, ready answers, and the workers' actions through
// desk.Service).
//
// Handlers stay thin: decode, call the store, the queue or the desk,
// encode. Personal data leaves only masked. A refusal is answered with the
// status its kind calls for (fault: not found 404, conflict 409, invalid
// 400) and a Problem whose error is the sentence fault.Explain makes of
// it, in Chinese unless Accept-Language prefers English; the chain of
// causes goes to the log only.
package api
