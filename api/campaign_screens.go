package api

import (
	"net/http"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/segments"
)

// The reads that make a campaign on a screen rather than from the CLI: the
// provider templates as last synced (`gridcast templates sync`), to pick
// one and map its parameters, and the fields of the segment language
// (`gridcast segment fields`), to build an audience.
func (s *server) mountCampaignScreens(v1 mountFunc) {
	v1("GET /api/v1/segments/fields", s.segmentFields)
	if s.cfg.Campaigns != nil {
		v1("GET /api/v1/templates", s.listTemplates, access.RoleOfficer, access.RoleChecker, access.RoleAdmin)
	}
}

// SyncedTemplate is a provider template as last synced into the store.
type SyncedTemplate struct {
	Code     string `json:"code"`     // Aliyun TemplateCode or WeChat template_id
	Content  string `json:"content"`  // the text with its parameters, ${x} or {{x.DATA}}
	Approved bool   `json:"approved"` // passed the provider's review (审核通过)
	// Params are the parameters the content names, in order of first
	// appearance; each needs a value in the campaign's mapping (a WeChat
	// template's first and remark excepted: WeChat no longer shows them).
	Params []string `json:"params"`
}

// SyncedTemplates are the templates of both channels.
type SyncedTemplates struct {
	SMS    []SyncedTemplate `json:"sms"`
	WeChat []SyncedTemplate `json:"wechat"`
}

// listTemplates serves GET /api/v1/templates: every synced template of
// both channels, by code. Empty lists mean none was synced yet.
func (s *server) listTemplates(w http.ResponseWriter, r *http.Request) {
	out := SyncedTemplates{SMS: []SyncedTemplate{}, WeChat: []SyncedTemplate{}}
	for _, ch := range []population.Channel{population.ChannelSMS, population.ChannelWeChat} {
		ts, err := s.cfg.Campaigns.Templates(r.Context(), ch)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		for _, t := range ts {
			st := syncedTemplate(t)
			if ch == population.ChannelSMS {
				out.SMS = append(out.SMS, st)
			} else {
				out.WeChat = append(out.WeChat, st)
			}
		}
	}
	writeJSON(w, 200, out)
}

func syncedTemplate(t campaigns.Template) SyncedTemplate {
	ps := t.Params()
	if ps == nil {
		ps = []string{}
	}
	return SyncedTemplate{Code: t.Code, Content: t.Content, Approved: t.Approved, Params: ps}
}

// SegmentField is one field of the segment language.
type SegmentField struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Example     string `json:"example"`
	Prefix      bool   `json:"prefix"` // takes value* prefixes
	Range       bool   `json:"range"`  // takes ranges (18..45) and comparisons (>=60)
}

// segmentFields serves GET /api/v1/segments/fields: what `gridcast
// segment fields` prints, in its order.
func (s *server) segmentFields(w http.ResponseWriter, _ *http.Request) {
	fs := segments.Fields()
	out := make([]SegmentField, 0, len(fs))
	for _, f := range fs {
		out = append(out, SegmentField{f.Name, f.Description, f.Example, f.Prefix, f.Range})
	}
	writeJSON(w, 200, out)
}
