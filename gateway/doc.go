// Package gateway is GridCast's edge to the messaging providers. This
// package is the contract between the edge and the rest: the
// provider-neutral requests the queue's send path makes (SMS,
// TemplateMessage) and what comes back (SMSAccepted, SMSDetail), the one
// error type every adapter returns (SendError, whose Class the adapter
// decides from the provider's codes), and what the webhooks hand over
// (Inbound, Receipt) to a Sink — the queue's Enqueuer.
//
// The adapters are its sub-packages: gateway/wechat (the official account
// through silenceper/wechat/v2: template and customer-service messages, the
// signed and AES-encrypted server callback) and gateway/aliyunsms (Aliyun
// SMS through alibaba-cloud-sdk-go's dysmsapi: sends, the send record,
// the HTTP pushes of delivery reports and uplinks), each with a loopback
// emulator that speaks the real wire protocol; gateway/sandbox runs both
// emulators for the demo, the tests and trials.
//
// Nothing here decides what to send or to whom: routing, fallback and
// retries are the queue's send path; the domain packages import none of
// this.
package gateway
