// Package wechat is GridCast's WeChat official-account channel: the client
// adapter that sends template and customer-service messages through
// silenceper/wechat/v2, the /wechat/callback handler for inbound messages,
// events and delivery receipts, WeChat's envelope and signature algorithm,
// and a loopback emulator of api.weixin.qq.com for the sandbox and tests.
//
// # Sending
//
// New builds a Client on silenceper's officialaccount with stable access
// tokens cached in Redis (go-redis v9). SendTemplate, SendText and Templates
// take a context, retry once after a rejected token (40001/40014/42001) and
// return every failure as *gateway.SendError with Channel "wechat", Code the
// decimal errcode and Class decided by Classify.
//
// FetchMedia downloads the image or voice of a follower's message by its
// media id (media/get, kept by WeChat for three days) with the same token
// handling; the caller keeps it in the blob store (blob.Media.Put).
//
// Every process of the account shares the token. A rejected token is
// replaced by one process at a time, under a lock in Redis: it forces a new
// token only when stable_token hands back the rejected one, at most once per
// MinTokenRefreshInterval and ForcedRefreshesPerDay times a day for the whole
// account (then Quota until midnight). The other processes wait a few
// seconds for the new token, then give up Retryable; none loops.
//
// silenceper/wechat routes every request through two process-wide globals
// (util.DefaultHTTPClient and util.SetURIModifier); New sets them once, so
// one process talks to one WeChat API origin (BaseURL).
//
// # Receiving
//
// NewCallbackHandler verifies the signature and the timestamp before it
// reads the body, handles plaintext and AES safe mode, refuses DOCTYPE and
// oversized bodies, dedupes WeChat's retries and answers "success". The
// root silenceper "wechat" package is not imported: its init makes logrus
// print every decrypted message.
//
// # Emulator
//
// Emulator speaks the same wire protocol as api.weixin.qq.com (tokens,
// sends, errcodes, the template list, media/get of files put with AddMedia) and pushes signed, optionally
// encrypted callbacks: TEMPLATESENDJOBFINISH receipts, messages (Say) and
// follow events, so the real SDK code paths run in the demo and the tests.
// Sent records what each recipient's phone shows, by WeChat's rules since
// 2023-05-04 (no first or remark, each field cut to 20 characters, emoji
// dropped), with the data as sent alongside.
package wechat
