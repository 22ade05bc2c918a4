package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/sheet"
)

// CampaignAnswer is one resident's answer to a campaign's reply options.
type CampaignAnswer struct {
	ResidentID int64     `json:"resident_id"`
	Option     string    `json:"option"`
	Meaning    string    `json:"meaning"`
	AnsweredAt time.Time `json:"answered_at"`
}

// campaignAnswers serves GET /api/v1/campaigns/{id}/answers: the
// residents' latest answers to the reply options, of the caller's scope.
func (s *server) campaignAnswers(w http.ResponseWriter, r *http.Request) {
	id, err := s.campaignID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.cfg.Tickets.Campaign(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	as, err := s.cfg.Tickets.CampaignAnswers(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The answers of the caller's residents only: a street's campaign
	// shows each grid worker their own grid's sign-ups.
	scope, p := scopeOf(r), s.people()
	out := make([]CampaignAnswer, 0, len(as))
	for _, a := range as {
		if !scope.Everything() {
			res, err := p.Resident(r.Context(), a.ResidentID)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			if !scope.Covers(res.GridCode) {
				continue
			}
		}
		out = append(out, CampaignAnswer{ResidentID: a.ResidentID, Option: a.Option, Meaning: a.Meaning, AnsweredAt: a.AnsweredAt})
	}
	writeJSON(w, 200, out)
}

// answerColumns are the sign-up sheet's columns, as `gridcast tickets
// answers --xlsx` writes them; the phone column is text so that Excel
// keeps every digit.
var answerColumns = []sheet.Column{
	{Header: "居民编号", Width: 10}, {Header: "姓名", Width: 10}, {Header: "手机号", Width: 16, Text: true},
	{Header: "网格", Width: 18}, {Header: "回复", Width: 8}, {Header: "含义", Width: 12}, {Header: "回复时间", Width: 20},
}

// campaignAnswersXLSX serves GET /api/v1/campaigns/{id}/answers.xlsx: the
// sign-up list (the residents' latest answers to the reply options) as a
// workbook, of the caller's residents only, with names and phone numbers
// masked as every screen shows them. The export is audited.
func (s *server) campaignAnswersXLSX(w http.ResponseWriter, r *http.Request) {
	id, err := s.campaignID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.campaign(r, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	as, err := s.cfg.Tickets.CampaignAnswers(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	scope, p := scopeOf(r), s.people()
	out := sheet.Sheet{Name: "报名名单", Title: fmt.Sprintf("活动 %d %s 报名名单", c.ID, c.Name), Columns: answerColumns, Rows: [][]any{}}
	for _, a := range as {
		res, err := p.Resident(r.Context(), a.ResidentID)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if !scope.Covers(res.GridCode) {
			continue
		}
		out.Rows = append(out.Rows, []any{a.ResidentID, res.Name.Masked(), res.Phone.Masked(), res.GridCode, a.Option, a.Meaning,
			a.AnsweredAt.In(campaigns.Shanghai()).Format(time.DateTime)})
	}
	if err := s.record(r, "", audit.ActionExport, fmt.Sprintf("campaign:%d", id), "",
		fmt.Sprintf(`{"what":"answers","rows":%d,"masked":true}`, len(out.Rows))); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="campaign-%d-answers.xlsx"`, id))
	if err := out.WriteXLSX(w); err != nil {
		s.cfg.Log.ErrorContext(r.Context(), "answers_sheet_failed", "campaign_id", id, "err", err)
	}
}
