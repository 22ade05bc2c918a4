package wechat

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/gridcast/gridcast/pii"
)

// SendMedia simulates a resident sending an image (contentType image/…)
// or a voice message (audio/…) to the account: the media is kept for
// media/get under a new media id, as WeChat keeps it, and the message is
// pushed to CallbackURL; the resident's customer-service window reopens.
// It returns the MsgId and the media id.
func (e *Emulator) SendMedia(ctx context.Context, openid, contentType string, data []byte) (int64, string, error) {
	msgType, format := "image", ""
	switch {
	case strings.HasPrefix(contentType, "image/"):
	case strings.HasPrefix(contentType, "audio/"):
		msgType, format = "voice", "amr"
	default:
		return 0, "", fmt.Errorf("wechat emulator: send media of type %q: want image/… or audio/…", contentType)
	}
	e.mu.Lock()
	f := e.ensureFollower(pii.OpenID(openid))
	f.Following = true
	f.LastMessage = e.cfg.Now()
	f.csSent = 0
	e.lastUserMsgID++
	id := e.lastUserMsgID
	now := e.cfg.Now()
	e.mu.Unlock()
	mediaID := "EMU_MEDIA_" + strconv.FormatInt(id, 10)
	e.AddMedia(mediaID, contentType, data)
	var b strings.Builder
	b.WriteString("<xml><ToUserName>" + cdata(e.originalID) + "</ToUserName>")
	b.WriteString("<FromUserName>" + cdata(openid) + "</FromUserName>")
	b.WriteString("<CreateTime>" + strconv.FormatInt(now.Unix(), 10) + "</CreateTime>")
	b.WriteString("<MsgType>" + cdata(msgType) + "</MsgType><MediaId>" + cdata(mediaID) + "</MediaId>")
	if msgType == "image" {
		b.WriteString("<PicUrl>" + cdata("http://mmbiz.qpic.cn/emulated/"+mediaID) + "</PicUrl>")
	} else {
		b.WriteString("<Format>" + cdata(format) + "</Format>")
	}
	b.WriteString("<MsgId>" + strconv.FormatInt(id, 10) + "</MsgId></xml>")
	return id, mediaID, e.push(ctx, pii.OpenID(openid), []byte(b.String()))
}
