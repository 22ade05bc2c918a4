// Package aliyunsms is GridCast's SMS channel on Aliyun SMS (dysmsapi,
// RPC API version 2017-05-25), in three parts:
//
//   - Client wraps the alibaba-cloud-sdk-go dysmsapi client behind a small
//     API (Send, SendBatch, QueryDetails, Templates, SignNames) and turns
//     every failure into a *gateway.SendError whose Class the queue acts on.
//     Classify holds the code table. The v1 SDK is end-of-support upstream;
//     only this package imports it, so a move to the v2 SDK touches nothing
//     else.
//   - Emulator is a loopback stand-in for dysmsapi.aliyuncs.com, used by
//     `gridcast sandbox`, the demo and the tests: it verifies the RPC
//     signature as Aliyun does, answers with Aliyun's business error codes,
//     records what it "delivered", pushes delivery reports and uplink
//     messages to GridCast's webhooks, and can be told to fail.
//   - ParseReports and ParseUplinks are pure functions over the bodies that
//     Aliyun's HTTP push POSTs to /aliyun/sms/report and /aliyun/sms/up;
//     NewReportHandler and NewUplinkHandler serve them. Aliyun signs no push,
//     so a handler checks what PushOptions give it: the sender's address
//     (Allow, read behind TrustedProxies), the token of the registered URL,
//     the size, and Replays' memory of what was taken before; AckBody is
//     what it answers.
//
// Sends are not idempotent at Aliyun. A send whose outcome is unknown (a
// timeout after the request left) fails with Code CodeAmbiguous: before
// resending, look the message up with QueryDetails (phone, date, BizId or
// OutId) — see CodeAmbiguous.
//
// Phone numbers are pii.Phone everywhere and are written in clear only on
// the wire. Errors never carry the SDK's request URL or string-to-sign,
// both of which contain the numbers and the template parameters.
package aliyunsms
