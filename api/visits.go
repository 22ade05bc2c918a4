package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
	"github.com/gridcast/gridcast/visits"
)

// VisitStore is what the visit register's routes need: the register's
// reads and writes (package visits), the workers they name and the
// residents visited. *store.Store satisfies it.
type VisitStore interface {
	visits.Store
	WorkerByCode(ctx context.Context, code string) (population.Worker, error)
	Workers(ctx context.Context) ([]population.Worker, error)
	Resident(ctx context.Context, id int64) (population.Resident, error)
	// VisitRecord returns a record with its photos.
	VisitRecord(ctx context.Context, id int64) (visits.Record, error)
}

// The visit register (走访台账): a worker's households due this month, the
// visits recorded, and what is overdue. A household's residents and
// address are shown in clear only to the grid worker of that grid (a user
// with the worker role whose scope names the grid itself), and that view
// is recorded on the audit log as pii.view; everyone else whose scope
// covers the grid sees them masked.

func (s *server) mountVisits(v1 mountFunc) {
	if s.cfg.Visits == nil {
		return
	}
	v1("GET /api/v1/visits/register", s.visitRegister)
	v1("GET /api/v1/visits/overdue", s.visitsOverdue)
	v1("POST /api/v1/visits", s.recordVisit, access.RoleWorker, access.RoleOfficer)
	v1("GET /api/v1/visits/{id}/photos/{n}", s.visitPhoto)
}

// visitService is the register over the server's store and norms: the
// configured norms, or visits.DefaultConfig() when VisitNorms is zero.
func (s *server) visitService() visits.Service {
	cfg := s.cfg.VisitNorms
	if cfg.HouseholdsPerMonth == 0 && cfg.Norms == nil {
		cfg = visits.DefaultConfig()
	}
	return visits.Service{Store: s.cfg.Visits, Config: cfg, Now: s.cfg.Now}
}

// VisitRegister is a worker's register for a month (走访台账).
type VisitRegister struct {
	Worker string `json:"worker"`
	// WorkerName is in clear: a worker's name is public (挂牌服务).
	WorkerName string `json:"worker_name"`
	Grid       string `json:"grid"`
	Period     string `json:"period"`
	// Clear says residents' names, phones and addresses are in clear: the
	// register shown to the grid worker of that grid (recorded as
	// pii.view).
	Clear bool `json:"clear"`
	// Required and Done count the households' visits due this month and
	// those made; Minimum is the households a worker visits a month
	// whatever the norms, HouseholdsVisited those the worker visited.
	Required          int `json:"required"`
	Done              int `json:"done"`
	Minimum           int `json:"minimum"`
	HouseholdsVisited int `json:"households_visited"`
	// VisitsDone and VisitsDue are the figures 考核 scores: the worker's
	// visits in person or by phone (one per household per day) and the
	// norms' visits or the minimum, whichever is more.
	VisitsDone int              `json:"visits_done"`
	VisitsDue  int              `json:"visits_due"`
	NotHome    int              `json:"not_home"`
	Overdue    int              `json:"overdue"`
	Households []VisitHousehold `json:"households"`
	Records    []VisitRecord    `json:"records"`
}

// VisitHousehold is one household of a register.
type VisitHousehold struct {
	Key       string          `json:"key"`
	Grid      string          `json:"grid"`
	Address   string          `json:"address"`
	Residents []VisitResident `json:"residents"`
	Norms     []string        `json:"norms"`
	Every     string          `json:"every,omitempty"`
	Required  int             `json:"required"`
	Done      int             `json:"done"`
	// NextDue is the last day (YYYY-MM-DD) of the earliest window not yet
	// visited; absent when the month's visits are done.
	NextDue   string      `json:"next_due,omitempty"`
	Overdue   bool        `json:"overdue"`
	LastVisit time.Time   `json:"last_visit,omitzero"`
	LastKind  string      `json:"last_kind,omitempty"`
	NotHome   int         `json:"not_home"`
	Slots     []VisitSlot `json:"slots,omitempty"`
}

// VisitResident is a resident of a household on the register.
type VisitResident struct {
	ID         int64    `json:"id"`
	Name       string   `json:"name"`
	Phone      string   `json:"phone"`
	Categories []string `json:"categories"`
}

// VisitSlot is a campaign's confirmed visit on the register; closed by
// the record RecordID.
type VisitSlot struct {
	ID         int64     `json:"id"`
	ResidentID int64     `json:"resident_id"`
	CampaignID int64     `json:"campaign_id"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	RecordID   int64     `json:"record_id,omitempty"`
}

// VisitRecord is one visit as recorded.
type VisitRecord struct {
	ID         int64     `json:"id"`
	WorkerID   int64     `json:"worker_id"`
	ResidentID int64     `json:"resident_id"`
	Household  string    `json:"household"`
	Grid       string    `json:"grid"`
	Kind       string    `json:"kind"`
	KindLabel  string    `json:"kind_label"`
	Notes      string    `json:"notes,omitempty"`
	VisitedAt  time.Time `json:"visited_at"`
	RecordedBy string    `json:"recorded_by"`
	CreatedAt  time.Time `json:"created_at"`
	SlotID     int64     `json:"slot_id,omitempty"`
	TicketID   int64     `json:"ticket_id,omitempty"`
	// Photos are the photos taken on the visit, where they are served.
	Photos []VisitPhoto `json:"photos,omitempty"`
}

// VisitPhoto is a photo of a visit: URL serves its bytes, ThumbnailURL a
// small JPEG, to callers whose scope covers the visit's grid.
type VisitPhoto struct {
	URL          string `json:"url"`
	ThumbnailURL string `json:"thumbnail_url,omitempty"`
	ContentType  string `json:"content_type"`
	Size         int64  `json:"size"`
}

// VisitRequest records a visit: as JSON without photos, or as
// multipart/form-data with the same fields (visited_at in RFC 3339) and up
// to visits.MaxPhotos files in field photo.
type VisitRequest struct {
	// Worker is the code of the worker who visited; their grid must hold
	// the resident's.
	Worker     string `json:"worker"`
	ResidentID int64  `json:"resident_id"`
	// Kind is in_person (入户走访), phone (电话回访) or not_home (未遇).
	Kind  string `json:"kind"`
	Notes string `json:"notes"`
	// VisitedAt defaults to now; at most 45 days ago.
	VisitedAt time.Time `json:"visited_at,omitzero"`
	// SlotID closes the campaign's confirmed visit of the resident.
	SlotID int64 `json:"slot_id"`
	// TicketID links the ticket or reported event the visit opened.
	TicketID int64 `json:"ticket_id"`
	// Report, when set, files what the visit found as a reported event
	// (source patrol, by the visitor, about the visited resident) and
	// links it, instead of naming a TicketID; ReportCategory files it
	// (a ticket category; empty classifies the text).
	Report         string `json:"report,omitempty"`
	ReportCategory string `json:"report_category,omitempty"`
	// By is who records it: the caller when authenticated; required in
	// the trial mode.
	By string `json:"by"`
}

// OverdueVisits is what is overdue in a grid now, per worker and per
// household.
type OverdueVisits struct {
	Grid       string         `json:"grid"`
	Total      int            `json:"total"`
	Clear      bool           `json:"clear"`
	ByWorker   []OverdueCount `json:"by_worker"`
	Households []OverdueVisit `json:"households"`
}

// OverdueCount is one worker's (or grid's, when it has no worker) overdue
// households.
type OverdueCount struct {
	Worker     string `json:"worker,omitempty"`
	WorkerName string `json:"worker_name,omitempty"`
	Grid       string `json:"grid"`
	Overdue    int    `json:"overdue"`
}

// OverdueVisit is a household overdue: since when, under which norms, and
// the last visit.
type OverdueVisit struct {
	Key       string          `json:"key"`
	Grid      string          `json:"grid"`
	Worker    string          `json:"worker,omitempty"`
	Address   string          `json:"address"`
	Residents []VisitResident `json:"residents"`
	Norms     []string        `json:"norms"`
	Every     string          `json:"every,omitempty"`
	Since     time.Time       `json:"since"`
	Days      int             `json:"days"`
	LastVisit time.Time       `json:"last_visit,omitzero"`
	SlotID    int64           `json:"slot_id,omitempty"`
}

// ownGrid reports whether the caller is the grid worker of grid: a
// worker whose scope names the grid itself, not only an area above it.
func ownGrid(r *http.Request, grid string) bool {
	u, ok := userFrom(r.Context())
	return ok && u.Has(access.RoleWorker) && slices.Contains(u.Grids, grid)
}

// maskedAddress keeps the estate and building, the rest starred.
func maskedAddress(a population.Address) string {
	if a.Unit != "" {
		a.Unit = "*"
	}
	if a.Room != "" {
		a.Room = "***"
	}
	return a.String()
}

func visitResidents(h visits.Household, clear bool) []VisitResident {
	out := make([]VisitResident, 0, len(h.Members))
	for _, m := range h.Members {
		v := VisitResident{ID: m.ResidentID, Name: m.Name.Masked(), Phone: m.Phone.Masked(), Categories: make([]string, 0, len(m.Categories))}
		if clear {
			v.Name, v.Phone = string(m.Name), string(m.Phone)
		}
		for _, c := range m.Categories {
			v.Categories = append(v.Categories, string(c))
		}
		out = append(out, v)
	}
	return out
}

func address(h visits.Household, clear bool) string {
	if clear {
		return h.Address.String()
	}
	return maskedAddress(h.Address)
}

func visitRecordToAPI(r visits.Record) VisitRecord {
	return VisitRecord{ID: r.ID, WorkerID: r.WorkerID, ResidentID: r.ResidentID, Household: r.HouseholdKey, Grid: r.GridCode,
		Kind: string(r.Kind), KindLabel: r.Kind.Label(), Notes: r.Notes, VisitedAt: r.VisitedAt, RecordedBy: r.RecordedBy,
		CreatedAt: r.CreatedAt, SlotID: r.SlotID, TicketID: r.TicketID, Photos: visitPhotosToAPI(r)}
}

// recordView puts a clear view on the audit log; false when it could not
// (then nothing is shown in clear).
func (s *server) recordView(r *http.Request, subject, what string, detail map[string]any) bool {
	b, _ := json.Marshal(detail)
	return s.record(r, "", audit.ActionView, subject, what, string(b)) == nil
}

// visitRegister serves GET /api/v1/visits/register?worker=CODE&period=2026-12
// (period defaults to this month).
func (s *server) visitRegister(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	code := strings.TrimSpace(q.Get("worker"))
	if code == "" {
		s.writeError(w, r, badRequest("worker is required: the worker's code", "须指明网格员编号 worker"))
		return
	}
	m := visits.MonthOf(s.cfg.Now())
	if p := q.Get("period"); p != "" {
		var err error
		if m, err = visits.ParseMonth(p); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	wk, err := s.cfg.Visits.WorkerByCode(ctx, code)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if wk.GridCode != "" && !scopeOf(r).Covers(wk.GridCode) {
		s.outOfScope(w, r, fmt.Sprintf("worker %s's register", code))
		return
	}
	reg, err := s.visitService().Register(ctx, wk, m)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	clear := ownGrid(r, wk.GridCode) && len(reg.Households) > 0 &&
		s.recordView(r, "grid:"+wk.GridCode, "own grid: visit register",
			map[string]any{"worker": wk.Code, "period": m.String(), "households": len(reg.Households)})
	out := VisitRegister{Worker: wk.Code, WorkerName: string(wk.Name), Grid: wk.GridCode, Period: m.String(), Clear: clear,
		Required: reg.Required, Done: reg.Done, Minimum: reg.Minimum, HouseholdsVisited: reg.Visited,
		VisitsDone: reg.VisitsDone, VisitsDue: reg.VisitsDue(), NotHome: reg.NotHome, Overdue: reg.Overdue,
		Households: make([]VisitHousehold, 0, len(reg.Households)), Records: make([]VisitRecord, 0, len(reg.Records))}
	for _, d := range reg.Households {
		h := VisitHousehold{Key: d.Household.Key, Grid: d.Household.GridCode, Address: address(d.Household, clear),
			Residents: visitResidents(d.Household, clear), Norms: d.Norms, Every: string(d.Every), Required: d.Required,
			Done: d.Done, Overdue: d.Overdue, NotHome: d.NotHome}
		if h.Norms == nil {
			h.Norms = []string{}
		}
		if !d.NextDue.IsZero() {
			h.NextDue = d.NextDue.Format(time.DateOnly)
		}
		if d.Last != nil {
			h.LastVisit, h.LastKind = d.Last.VisitedAt, string(d.Last.Kind)
		}
		for _, sl := range d.Slots {
			h.Slots = append(h.Slots, VisitSlot{ID: sl.ID, ResidentID: sl.ResidentID, CampaignID: sl.CampaignID, Start: sl.Start, End: sl.End, RecordID: sl.RecordID})
		}
		out.Households = append(out.Households, h)
	}
	var names []pii.Name
	for _, d := range reg.Households {
		for _, m := range d.Household.Members {
			names = append(names, m.Name)
		}
	}
	for _, rec := range reg.Records {
		v := visitRecordToAPI(rec)
		if !clear {
			v.Notes = pii.MaskText(v.Notes, names...)
		}
		out.Records = append(out.Records, v)
	}
	writeJSON(w, http.StatusOK, out)
}

// recordVisit serves POST /api/v1/visits: a visit recorded by the worker
// of the resident's grid or by staff whose scope covers it.
func (s *server) recordVisit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	req, photos, cleanup, err := visitInput(w, r)
	defer cleanup()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	by, err := actor(r, "by", req.By)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	kind, err := visits.ParseKind(req.Kind)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.ResidentID <= 0 || strings.TrimSpace(req.Worker) == "" {
		s.writeError(w, r, badRequest("worker (the visitor's code) and resident_id are required", "须填写网格员编号 worker 和居民编号 resident_id"))
		return
	}
	res, err := s.cfg.Visits.Resident(ctx, req.ResidentID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !scopeOf(r).Covers(res.GridCode) {
		s.outOfScope(w, r, fmt.Sprintf("resident %d", req.ResidentID))
		return
	}
	wk, err := s.cfg.Visits.WorkerByCode(ctx, strings.TrimSpace(req.Worker))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if wk.GridCode == "" || !access.Scope([]string{wk.GridCode}).Covers(res.GridCode) {
		s.writeError(w, r, badRequest("worker %[1]s does not serve grid %[2]s, where resident %[3]d lives",
			"网格员 %[1]s 不负责居民 %[3]d 所在的网格 %[2]s", wk.Code, res.GridCode, req.ResidentID))
		return
	}
	at := req.VisitedAt
	if at.IsZero() {
		at = s.cfg.Now()
	}
	in := visits.Record{WorkerID: wk.ID, ResidentID: res.ID, Kind: kind, Notes: req.Notes,
		VisitedAt: at, RecordedBy: by, SlotID: req.SlotID, TicketID: req.TicketID}
	if err := in.Check(s.cfg.Now()); err != nil {
		s.writeError(w, r, err)
		return
	}
	if strings.TrimSpace(req.Report) != "" {
		if req.TicketID != 0 {
			s.writeError(w, r, badRequest("give report or ticket_id, not both", "report 与 ticket_id 只能填写其一"))
			return
		}
		if s.cfg.Desk == nil {
			s.writeError(w, r, badRequest("no ticket desk to file the report with", "未启用工单服务，无法上报事件"))
			return
		}
	}
	kept, err := s.keepVisitPhotos(ctx, photos)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if strings.TrimSpace(req.Report) != "" {
		// Filed after the photos are kept (a refused photo files
		// nothing) and before the record, so that the record names it;
		// a record refused after this (it was checked above) leaves the
		// event standing, which is what the worker found.
		ev, err := s.cfg.Desk.Report(ctx, desk.Report{GridCode: res.GridCode, Text: req.Report, Category: tickets.Category(req.ReportCategory),
			Source: tickets.SourcePatrol, By: by, WorkerCode: wk.Code, ResidentID: res.ID})
		if err != nil {
			if len(kept) > 0 {
				s.cfg.Desk.DropPhotos(ctx, kept)
			}
			s.writeError(w, r, err)
			return
		}
		in.TicketID = ev.Ticket.ID
		_ = s.record(r, by, audit.ActionTicketReport, fmt.Sprintf("ticket:%d", ev.Ticket.ID), "", fmt.Sprintf(`{"grid":%q,"visit":true}`, res.GridCode))
	}
	for _, o := range kept {
		in.Photos = append(in.Photos, visits.Photo{Key: o.Key, ThumbnailKey: o.ThumbnailKey, ContentType: o.ContentType, Size: o.Size})
	}
	rec, err := s.visitService().Record(ctx, in)
	if err != nil {
		if len(kept) > 0 {
			s.cfg.Desk.DropPhotos(ctx, kept)
		}
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, visitRecordToAPI(rec))
}

// visitsOverdue serves GET /api/v1/visits/overdue?grid=CODE: the
// households of the grid (any level) overdue now, oldest first, and the
// count per worker. grid defaults to the caller's one grid.
func (s *server) visitsOverdue(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	grid := strings.TrimSpace(r.URL.Query().Get("grid"))
	if grid == "" {
		if sc := scopeOf(r); len(sc) == 1 && !sc.Everything() {
			grid = sc[0]
		} else {
			s.writeError(w, r, badRequest("grid is required: the code of a grid, community or street", "须指明网格、社区或街道编号 grid"))
			return
		}
	}
	if !scopeOf(r).Covers(grid) {
		s.outOfScope(w, r, "grid "+grid)
		return
	}
	late, err := s.visitService().Overdue(ctx, grid)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ws, err := s.cfg.Visits.Workers(ctx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	workerOf := map[string]population.Worker{}
	for _, wk := range ws {
		if wk.Role == population.RoleGridWorker && wk.GridCode != "" {
			workerOf[wk.GridCode] = wk
		}
	}
	clear := false
	if ownGrid(r, grid) && slices.ContainsFunc(late, func(l visits.Late) bool { return l.Household.GridCode == grid }) {
		clear = s.recordView(r, "grid:"+grid, "own grid: overdue visits", map[string]any{"households": len(late)})
	}
	now := s.cfg.Now()
	out := OverdueVisits{Grid: grid, Total: len(late), Clear: clear, ByWorker: []OverdueCount{}, Households: make([]OverdueVisit, 0, len(late))}
	counts := map[string]int{}
	for _, l := range late {
		c := clear && l.Household.GridCode == grid
		v := OverdueVisit{Key: l.Household.Key, Grid: l.Household.GridCode, Worker: workerOf[l.Household.GridCode].Code,
			Address: address(l.Household, c), Residents: visitResidents(l.Household, c), Norms: l.Norms, Every: string(l.Every),
			Since: l.Since, Days: int(now.Sub(l.Since).Hours() / 24)}
		if v.Norms == nil {
			v.Norms = []string{}
		}
		if l.Last != nil {
			v.LastVisit = l.Last.VisitedAt
		}
		if l.Slot != nil {
			v.SlotID = l.Slot.ID
		}
		if counts[v.Grid] == 0 {
			wk := workerOf[v.Grid]
			out.ByWorker = append(out.ByWorker, OverdueCount{Worker: wk.Code, WorkerName: string(wk.Name), Grid: v.Grid})
		}
		counts[v.Grid]++
		out.Households = append(out.Households, v)
	}
	for i := range out.ByWorker {
		out.ByWorker[i].Overdue = counts[out.ByWorker[i].Grid]
	}
	slices.SortFunc(out.ByWorker, func(a, b OverdueCount) int {
		if a.Overdue != b.Overdue {
			return b.Overdue - a.Overdue
		}
		return strings.Compare(a.Grid, b.Grid)
	})
	writeJSON(w, http.StatusOK, out)
}
