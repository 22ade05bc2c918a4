// Package gateway is GridCast's edge to the messaging providers: the WeChat
// official account (through silenceper/wechat/v2) and Aliyun SMS (through
// alibaba-cloud-sdk-go's dysmsapi), channel routing with WeChat first and
// SMS as fallback, the inbound webhooks (WeChat server callback, SMS uplink
// and delivery reports) and the loopback emulators of both providers that
// the demo and the tests talk to.
//
// The population store it reads from is segments; the work it is handed
// arrives through queue.
package gateway
