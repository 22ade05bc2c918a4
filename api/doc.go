// Package api is GridCast's HTTP surface: the JSON API under /api/v1
// (documented in openapi.yaml beside this file), the provider webhooks it
// mounts (/wechat/callback, /aliyun/sms/report, /aliyun/sms/up — built in
// gateway), health (/healthz, /readyz) and Prometheus metrics (/metrics).
//
// Handlers stay thin: decode, call the store or the queue, encode. Personal
// data leaves only masked.
package api
