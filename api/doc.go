// Package api is GridCast's HTTP surface: the JSON API under /api/v1
// (documented in openapi.yaml beside this file), the provider webhooks it
// mounts (/wechat/callback, /aliyun/sms/report, /aliyun/sms/up — built in
// gateway), health (/healthz, /readyz) and Prometheus metrics (/metrics).
//
// Every request under /api/v1 is authenticated (auth.go): a bearer token
// whose SHA-256 is a configured User's, whose name then stands as the actor
// of what the request does and whose roles say what it may change; with
// no users, only requests made on this host. Health, metrics and the
// webhooks (which check their own signatures) take no token.
//
// Handlers stay thin: decode, call the store or the queue, encode. Personal
// data leaves only masked.
package api
