package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/campaigns"
)

// The campaign screens' writes and reads beyond the CLI's life cycle: the
// edit of a draft, and the preview of a campaign saved or still on the
// form, rendered for a few residents as their phones show it.
func (s *server) mountCampaignEdits(v1 mountFunc) {
	v1("PUT /api/v1/campaigns/{id}", s.campaignAct(s.editCampaign), access.RoleOfficer)
	v1("GET /api/v1/campaigns/{id}/preview", s.campaignAct(s.previewSaved), access.RoleOfficer, access.RoleChecker, access.RoleAdmin)
	v1("POST /api/v1/campaigns/preview", s.previewDraft, access.RoleOfficer) // a read with a body
	if s.cfg.Tickets != nil {
		v1("GET /api/v1/campaigns/{id}/answers.xlsx", s.campaignRead(s.campaignAnswersXLSX))
	}
}

// editCampaign serves PUT /api/v1/campaigns/{id}: a draft's maker replaces
// its content (campaigns.Edit). The edit clears an approval and lifts a
// refusal: the checker reviews the campaign as it now reads.
func (s *server) editCampaign(w http.ResponseWriter, r *http.Request) {
	id, err := s.campaignID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in Campaign
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	// The editor: the user when authenticated, else the body's owner.
	by, err := actor(r, "owner", in.Owner)
	if err == nil && by == "" {
		err = badRequest("owner is required: every change is on the campaign's record", "请注明操作人（owner）：每项变更都记入活动台账")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := in.domain()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c.ID = id
	if !s.settleCampaign(w, r, &c) {
		return
	}
	c, _, err = campaigns.Edit(r.Context(), s.cfg.Campaigns, c, by, s.cfg.Policy, s.cfg.Now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	_ = s.record(r, by, audit.ActionCampaignEdit, fmt.Sprintf("campaign:%d", id), "",
		fmt.Sprintf(`{"scope":%q,"kind":%q}`, access.Scope(c.Scope).String(), c.Kind))
	out := campaignToAPI(c)
	out.Warnings = c.Warnings()
	writeJSON(w, http.StatusOK, out)
}

// CampaignPreview is who would get what: the audience by channel and skip
// reason, a few messages rendered for real as the residents' phones show
// them (names and phone numbers masked), and what is likely a mistake.
type CampaignPreview struct {
	Audience  int             `json:"audience"`
	ByChannel map[string]int  `json:"by_channel"`
	Skipped   map[string]int  `json:"skipped"`
	Samples   []PreviewSample `json:"samples"`
	// Warnings name the field first (sms.…, wechat.fields[first] …).
	Warnings []string `json:"warnings"`
}

// PreviewSample is one resident's message, masked.
type PreviewSample struct {
	ResidentID int64  `json:"resident_id"`
	Channel    string `json:"channel"` // sms or wechat
	To         string `json:"to"`      // the phone number or openid, masked
	// Text is an SMS as the phone shows it, signature first; Chars its
	// length as sent and Parts how many SMS Aliyun bills for it (70
	// characters fit one, then 67 a part).
	Text  string `json:"text,omitempty"`
	Chars int    `json:"chars,omitempty"`
	Parts int    `json:"parts,omitempty"`
	// Lines are a WeChat template message as the phone shows it since
	// 2023-05-04: no first, no remark, each field cut to 20 characters;
	// Cut names the fields cut short.
	Lines []string `json:"lines,omitempty"`
	Cut   []string `json:"cut,omitempty"`
	// Error says why this message cannot be shown (a template not synced,
	// a value missing).
	Error string `json:"error,omitempty"`
}

// Preview sample counts: the default, and the most one request renders.
const (
	defaultPreviewSamples = 3
	maxPreviewSamples     = 10
)

func (s *server) previewSaved(w http.ResponseWriter, r *http.Request) {
	id, err := s.campaignID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.cfg.Campaigns.Campaign(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writePreview(w, r, c)
}

// previewDraft serves POST /api/v1/campaigns/preview: the preview of a
// campaign as the form holds it, stored nowhere. It is checked as a create
// is, so that what the preview shows is what a save would keep.
func (s *server) previewDraft(w http.ResponseWriter, r *http.Request) {
	var in Campaign
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := in.domain()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// Validate wants a maker: the caller, or whoever the body names.
	if c.Owner, err = actor(r, "owner", in.Owner); err != nil {
		s.writeError(w, r, err)
		return
	} else if c.Owner == "" {
		c.Owner = "preview"
	}
	if !s.settleCampaign(w, r, &c) {
		return
	}
	if err := c.Validate(s.cfg.Policy); err != nil {
		s.writeError(w, r, campaigns.ErrInvalid.Because(err, true))
		return
	}
	s.writePreview(w, r, c)
}

func (s *server) writePreview(w http.ResponseWriter, r *http.Request, c campaigns.Campaign) {
	n := defaultPreviewSamples
	if q := r.URL.Query().Get("n"); q != "" {
		v, err := strconv.Atoi(q)
		if err != nil || v < 1 || v > maxPreviewSamples {
			s.writeError(w, r, badRequest("n %q: want 1 to %d", "样例条数 %q 无效：可选 1 至 %d", q, maxPreviewSamples))
			return
		}
		n = v
	}
	p, err := campaigns.BuildPreview(r.Context(), s.cfg.Campaigns, c, n, s.cfg.Now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := CampaignPreview{Audience: p.Audience, ByChannel: map[string]int{}, Skipped: map[string]int{},
		Samples: make([]PreviewSample, 0, len(p.Samples)), Warnings: p.Warnings}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for ch, k := range p.ByChannel {
		out.ByChannel[string(ch)] = k
	}
	for why, k := range p.Skipped {
		out.Skipped[string(why)] = k
	}
	for _, x := range p.Samples {
		out.Samples = append(out.Samples, PreviewSample{ResidentID: x.ResidentID, Channel: string(x.Channel), To: x.To,
			Text: x.Text, Chars: x.Chars, Parts: x.Parts, Lines: x.Lines, Cut: x.Cut, Error: x.Error})
	}
	writeJSON(w, http.StatusOK, out)
}
