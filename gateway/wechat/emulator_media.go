package wechat

import (
	"net/http"
	"strconv"
	"time"
)

// MediaTTL is how long WeChat keeps a temporary media file (a follower's
// image or voice): after it media/get answers 40007.
const MediaTTL = 72 * time.Hour

type emulatedMedia struct {
	contentType string
	data        []byte
	added       time.Time
}

// AddMedia makes data fetchable by media/get under mediaID for MediaTTL
// from now (the emulator's clock), as WeChat keeps the image or voice of a
// follower's message. contentType is what WeChat answers with: image/jpeg
// for images, audio/amr for voice.
func (e *Emulator) AddMedia(mediaID, contentType string, data []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.media[mediaID] = emulatedMedia{contentType: contentType, data: data, added: e.cfg.Now()}
}

// handleMediaGet answers media/get as WeChat does: the file with its
// Content-Type and an attachment disposition, or a JSON errcode (40007 for
// an unknown or expired media id).
func (e *Emulator) handleMediaGet(w http.ResponseWriter, r *http.Request) {
	if !e.delay(r) {
		return
	}
	e.mu.Lock()
	now := e.cfg.Now()
	if !e.admit(w, r, ActionMediaGet, now) {
		e.mu.Unlock()
		return
	}
	id := r.URL.Query().Get("media_id")
	m, ok := e.media[id]
	e.mu.Unlock()
	if id == "" || !ok || !now.Before(m.added.Add(MediaTTL)) {
		writeErr(w, 40007)
		return
	}
	ext := map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "audio/amr": ".amr", "audio/mpeg": ".mp3"}[m.contentType]
	w.Header().Set("Content-Type", m.contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+id+ext+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(m.data)))
	_, _ = w.Write(m.data)
}
