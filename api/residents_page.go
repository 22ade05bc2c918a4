package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/visits"
)

// ResidentPages is what a resident's page needs from the store, beyond
// the living records: their household (from the visit register's
// households of the grid) and the messages sent to them. *store.Store
// satisfies it; GET /api/v1/residents/{id} is mounted when Config.Records
// also satisfies it.
type ResidentPages interface {
	Resident(ctx context.Context, id int64) (population.Resident, error)
	RegisterHouseholds(ctx context.Context, grid string) ([]visits.Household, error)
	// ResidentMessages returns up to limit of a resident's messages,
	// newest first, with ids below beforeID (0: from the newest).
	ResidentMessages(ctx context.Context, residentID, beforeID int64, limit int) ([]outbound.Message, error)
}

// residentPageMessages and residentPageTickets are how many of a
// resident's latest messages and tickets their page shows.
const (
	residentPageMessages = 30
	residentPageTickets  = 20
)

// ResidentPage answers GET /api/v1/residents/{id}: a resident's record,
// household, latest messages and tickets. Names, phones and the address
// are masked, and so is the text of messages and tickets, except for the
// grid worker of the resident's own grid (Clear, recorded on the audit log
// as pii.view); the ID number and the health note are always masked.
type ResidentPage struct {
	ID         int64    `json:"id"`
	Name       string   `json:"name"`
	Phone      string   `json:"phone,omitempty"`
	IDNumber   string   `json:"id_number,omitempty"`
	Gender     string   `json:"gender,omitempty"`
	Age        int      `json:"age,omitempty"`
	Grid       string   `json:"grid"`
	Address    string   `json:"address,omitempty"`
	Categories []string `json:"categories"`
	// The living record (活户籍): codes with their Chinese labels.
	Status        string `json:"status"`
	StatusLabel   string `json:"status_label"`
	Living        string `json:"living,omitempty"`
	LivingLabel   string `json:"living_label,omitempty"`
	SelfCare      string `json:"selfcare,omitempty"`
	SelfCareLabel string `json:"selfcare_label,omitempty"`
	Health        string `json:"health,omitempty"` // masked
	Relation      string `json:"relation,omitempty"`
	RelationLabel string `json:"relation_label,omitempty"`
	WeChat        bool   `json:"wechat"` // a WeChat account is bound
	Clear         bool   `json:"clear"`
	// Household are the others of the resident's household, as the visit
	// register knows them (active residents).
	Household []HouseholdMember `json:"household"`
	Messages  []ResidentMessage `json:"messages"`
	Tickets   []ResidentTicket  `json:"tickets"`
}

// HouseholdMember is one other resident of the household.
type HouseholdMember struct {
	ID         int64    `json:"id"`
	Name       string   `json:"name"`
	Phone      string   `json:"phone,omitempty"`
	Categories []string `json:"categories"`
}

// ResidentMessage is one message sent to the resident, newest first.
type ResidentMessage struct {
	ID           int64     `json:"id"`
	Purpose      string    `json:"purpose"`
	PurposeLabel string    `json:"purpose_label"`
	Channel      string    `json:"channel,omitempty"`
	Status       string    `json:"status"`
	StatusLabel  string    `json:"status_label"`
	Text         string    `json:"text,omitempty"`
	CampaignID   int64     `json:"campaign_id,omitempty"`
	TicketID     int64     `json:"ticket_id,omitempty"`
	ProviderCode string    `json:"provider_code,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	FinishedAt   time.Time `json:"finished_at,omitzero"`
}

// ResidentTicket is one of the resident's tickets, newest first.
type ResidentTicket struct {
	ID            int64     `json:"id"`
	Status        string    `json:"status"`
	Category      string    `json:"category"`
	CategoryLabel string    `json:"category_label"`
	Text          string    `json:"text"`
	CreatedAt     time.Time `json:"created_at"`
}

// mountResidentPage mounts GET /api/v1/residents/{id} when the living
// records' store can also read households and messages.
func (s *server) mountResidentPage(v1 mountFunc) {
	if p, ok := s.cfg.Records.(ResidentPages); ok {
		v1("GET /api/v1/residents/{id}", func(w http.ResponseWriter, r *http.Request) { s.residentPage(w, r, p) })
	}
}

// residentPage serves GET /api/v1/residents/{id}, to anyone whose scope
// covers the resident's grid.
func (s *server) residentPage(w http.ResponseWriter, r *http.Request, p ResidentPages) {
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.writeError(w, r, badRequest("resident id %q: want a number", "居民编号 %q 无效", r.PathValue("id")))
		return
	}
	res, err := p.Resident(ctx, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !scopeOf(r).Covers(res.GridCode) {
		s.outOfScope(w, r, fmt.Sprintf("resident %d", id))
		return
	}
	hs, err := p.RegisterHouseholds(ctx, res.GridCode)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var home visits.Household
	for _, h := range hs {
		if slices.ContainsFunc(h.Members, func(m visits.Member) bool { return m.ResidentID == id }) {
			home = h
			break
		}
	}
	ms, err := p.ResidentMessages(ctx, id, 0, residentPageMessages)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var ts []ResidentTicket
	names := []pii.Name{res.Name}
	for _, m := range home.Members {
		names = append(names, m.Name)
	}
	clear := ownGrid(r, res.GridCode) && s.recordView(r, fmt.Sprintf("resident:%d", id), "own grid: resident page",
		map[string]any{"household": len(home.Members), "messages": len(ms)})
	masked := func(text string) string {
		if clear {
			return text
		}
		return pii.MaskText(text, names...)
	}
	if s.cfg.Tickets != nil {
		all, err := s.cfg.Tickets.ListTickets(ctx, TicketFilter{ResidentID: id, Limit: maxTicketsPage})
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		for i := len(all) - 1; i >= 0 && len(ts) < residentPageTickets; i-- {
			t := all[i]
			ts = append(ts, ResidentTicket{ID: t.ID, Status: string(t.Status), Category: string(t.Category),
				CategoryLabel: t.Category.Label(), Text: cut(masked(t.Text), 60), CreatedAt: t.CreatedAt})
		}
	}
	out := ResidentPage{ID: res.ID, Name: res.Name.Masked(), Phone: res.Phone.Masked(), IDNumber: res.IDMasked,
		Gender: string(res.Gender), Grid: res.GridCode, Address: res.Address.String(), Categories: categoryCodes(res.Categories),
		Status: string(res.Status), StatusLabel: res.Status.Label(), Living: string(res.Living), LivingLabel: res.Living.Label(),
		SelfCare: string(res.SelfCare), SelfCareLabel: res.SelfCare.Label(), Health: res.Health.Masked(),
		Relation: string(res.Relation), RelationLabel: res.Relation.Label(), WeChat: res.OpenID != "", Clear: clear,
		Household: []HouseholdMember{}, Messages: make([]ResidentMessage, 0, len(ms)), Tickets: ts}
	if out.Status == "" {
		out.Status, out.StatusLabel = string(population.StatusActive), population.StatusActive.Label()
	}
	if !res.BirthDate.IsZero() {
		out.Age = res.Age(s.cfg.Now())
	}
	if clear {
		out.Name, out.Phone = string(res.Name), string(res.Phone)
	} else {
		out.Address = maskedAddress(res.Address)
	}
	if out.Tickets == nil {
		out.Tickets = []ResidentTicket{}
	}
	for _, m := range home.Members {
		if m.ResidentID == id {
			continue
		}
		hm := HouseholdMember{ID: m.ResidentID, Name: m.Name.Masked(), Phone: m.Phone.Masked(), Categories: categoryCodes(m.Categories)}
		if clear {
			hm.Name, hm.Phone = string(m.Name), string(m.Phone)
		}
		out.Household = append(out.Household, hm)
	}
	for _, m := range ms {
		out.Messages = append(out.Messages, ResidentMessage{ID: m.ID, Purpose: string(m.Purpose), PurposeLabel: m.Purpose.Label(),
			Channel: string(m.Route.Channel()), Status: string(m.Status), StatusLabel: m.Status.Label(), Text: masked(m.Text),
			CampaignID: m.CampaignID, TicketID: m.TicketID, ProviderCode: m.ProviderCode, CreatedAt: m.CreatedAt, FinishedAt: m.FinishedAt})
	}
	writeJSON(w, http.StatusOK, out)
}

func categoryCodes(cs []population.Category) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, string(c))
	}
	return out
}
