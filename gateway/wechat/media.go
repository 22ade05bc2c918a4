package wechat

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/silenceper/wechat/v2/util"

	"github.com/gridcast/gridcast/gateway"
)

// maxErrorReply bounds the JSON error reply media/get may send instead of
// a file.
const maxErrorReply = 64 << 10

// CodeNotMedia is the SendError code of a media/get reply that is JSON
// without an errcode (a video's download link): nothing FetchMedia returns.
const CodeNotMedia = "not_media"

// FetchMedia downloads a temporary media file by its media id: the image
// or voice of a follower's message (InboundMessage.MediaID), which WeChat
// keeps for three days. It returns the body, for the caller to read and
// close, and the Content-Type WeChat gave (image/jpeg for images,
// audio/amr for voice); do not trust it, sniff the bytes (blob.Media.Put
// does). The download goes through the SDK's access token and HTTP client,
// with the same one refresh of a rejected token as every other call, and
// Config.Timeout bounds the whole download.
//
// Failures are *gateway.SendError: an unknown or expired media id is
// errcode 40007, gateway.Permanent; transport failures are Retryable.
func (c *Client) FetchMedia(ctx context.Context, mediaID string) (io.ReadCloser, string, error) {
	const op = "fetch media"
	if mediaID == "" {
		return nil, "", apiError(40007, "empty media_id", c.now())
	}
	for attempt := 0; ; attempt++ {
		token, err := c.accessToken(ctx)
		if err != nil {
			return nil, "", err
		}
		u := orReal(c.cfg.BaseURL) + mediaGetPath + "?access_token=" + url.QueryEscape(token) + "&media_id=" + url.QueryEscape(mediaID)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, "", transportError(fmt.Errorf("wechat: %s: %w", op, redact(err)))
		}
		resp, err := util.DefaultHTTPClient.Do(req)
		if err != nil {
			return nil, "", transportError(fmt.Errorf("wechat: %s: %w", op, redact(err)))
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, "", transportError(fmt.Errorf("wechat: %s: HTTP %d", op, resp.StatusCode))
		}
		ct := resp.Header.Get("Content-Type")
		if mt, _, _ := mime.ParseMediaType(ct); mt != "application/json" && mt != "text/plain" {
			return resp.Body, ct, nil
		}
		// An error is a JSON body in place of the file.
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorReply))
		resp.Body.Close()
		if err != nil {
			return nil, "", transportError(fmt.Errorf("wechat: %s: %w", op, redact(err)))
		}
		var st apiStatus
		if err := json.Unmarshal(body, &st); err != nil || st.ErrCode == 0 {
			// A video's reply is JSON with a download link: not a
			// resident's image or voice.
			return nil, "", &gateway.SendError{Channel: Channel, Code: CodeNotMedia, Class: gateway.Permanent,
				Err: fmt.Errorf("wechat: %s: a %s reply that is neither a file nor an errcode", op, strings.TrimSpace(ct))}
		}
		if isTokenCode(st.ErrCode) && attempt == 0 {
			if err := c.refreshToken(ctx, token, st.ErrCode); err != nil {
				return nil, "", err
			}
			continue
		}
		return nil, "", apiError(st.ErrCode, st.ErrMsg, c.now())
	}
}
