package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/segments"
)

// maxJSON caps request bodies of the JSON API.
const maxJSON = 64 << 10

func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("request body: %v", "请求内容无效：%v", err)
	}
	return nil
}

// scopedExpr checks expr as the caller wrote it (so that an error points
// at their column) and returns it limited to the caller's scope: a count
// or a sample is of the residents the caller may see.
func (s *server) scopedExpr(w http.ResponseWriter, r *http.Request, expr string) (string, bool) {
	if _, err := segments.Parse(expr); err != nil {
		s.writeError(w, r, err)
		return "", false
	}
	return s.withinScope(w, r, expr)
}

// countResponse counts the residents of an expression within the caller's
// scope; Expr is the expression as given.
type countResponse struct {
	Expr  string `json:"expr"`
	Count int64  `json:"count"`
}

func (s *server) count(w http.ResponseWriter, r *http.Request) {
	expr := r.URL.Query().Get("expr")
	if strings.TrimSpace(expr) == "" {
		s.writeError(w, r, badRequest("expr is required", "请填写分组表达式（expr）"))
		return
	}
	scoped, ok := s.scopedExpr(w, r, expr)
	if !ok {
		return
	}
	n, err := s.cfg.Segments.CountSegment(r.Context(), scoped)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, 200, countResponse{Expr: expr, Count: n})
}

// Resident is a resident as the API shows it: personal data masked.
type Resident struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	Gender      string   `json:"gender"`
	Age         int      `json:"age"`
	Phone       string   `json:"phone"`
	IDNumber    string   `json:"id_number"`
	Grid        string   `json:"grid"`
	Categories  []string `json:"categories"`
	Skills      []string `json:"skills"`
	DesiredJobs []string `json:"desired_jobs"`
	WeChat      bool     `json:"wechat_bound"`
	OptOuts     []string `json:"opt_outs"`
}

// MaskedResident converts a resident for screens that do not need clear
// personal data.
func MaskedResident(r population.Resident, now time.Time) Resident {
	out := Resident{
		ID: r.ID, Name: r.Name.Masked(), Gender: string(r.Gender), Age: r.Age(now), Phone: r.Phone.Masked(),
		IDNumber: r.IDMasked, Grid: r.GridCode, Skills: nonNil(r.Skills), DesiredJobs: nonNil(r.DesiredJobs),
		WeChat: r.OpenID != "", Categories: []string{}, OptOuts: []string{},
	}
	for _, c := range r.Categories {
		out.Categories = append(out.Categories, string(c))
	}
	for _, t := range r.OptOuts {
		out.OptOuts = append(out.OptOuts, string(t))
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type previewRequest struct {
	Expr string `json:"expr"`
	N    int    `json:"n"`
}

type previewResponse struct {
	Expr      string     `json:"expr"`
	Count     int64      `json:"count"`
	Residents []Resident `json:"residents"`
}

func (s *server) preview(w http.ResponseWriter, r *http.Request) {
	var req previewRequest
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.N == 0 {
		req.N = 10
	}
	if req.N < 1 || req.N > 100 {
		s.writeError(w, r, badRequest("n must be 1 to 100", "n 须为1到100"))
		return
	}
	if strings.TrimSpace(req.Expr) == "" {
		s.writeError(w, r, badRequest("expr is required", "请填写分组表达式（expr）"))
		return
	}
	scoped, ok := s.scopedExpr(w, r, req.Expr)
	if !ok {
		return
	}
	n, err := s.cfg.Segments.CountSegment(r.Context(), scoped)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rs, err := s.cfg.Segments.SampleSegment(r.Context(), scoped, req.N)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	resp := previewResponse{Expr: req.Expr, Count: n, Residents: make([]Resident, 0, len(rs))}
	now := s.cfg.Now()
	for _, res := range rs {
		resp.Residents = append(resp.Residents, MaskedResident(res, now))
	}
	writeJSON(w, 200, resp)
}

// SavedSegment is a named segment as the API shows it.
type SavedSegment struct {
	Name        string    `json:"name"`
	Expr        string    `json:"expr"`
	Description string    `json:"description"`
	Owner       string    `json:"owner"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func toAPI(s segments.SavedSegment) SavedSegment {
	return SavedSegment{s.Name, s.Expr, s.Description, s.Owner, s.CreatedAt, s.UpdatedAt}
}

func (s *server) listSegments(w http.ResponseWriter, r *http.Request) {
	segs, err := s.cfg.Segments.Segments(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]SavedSegment, 0, len(segs))
	for _, sg := range segs {
		out = append(out, toAPI(sg))
	}
	writeJSON(w, 200, out)
}

func (s *server) getSegment(w http.ResponseWriter, r *http.Request) {
	sg, err := s.cfg.Segments.Segment(r.Context(), r.PathValue("name"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, 200, toAPI(sg))
}

type putSegmentRequest struct {
	Expr        string `json:"expr"`
	Description string `json:"description"`
	Owner       string `json:"owner"`
}

func (s *server) putSegment(w http.ResponseWriter, r *http.Request) {
	var req putSegmentRequest
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	owner, err := actor(r, "owner", req.Owner)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	name := r.PathValue("name")
	err = s.cfg.Segments.SaveSegment(r.Context(), segments.SavedSegment{Name: name, Expr: req.Expr, Description: req.Description, Owner: owner})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sg, err := s.cfg.Segments.Segment(r.Context(), name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, 200, toAPI(sg))
}

func (s *server) deleteSegment(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Segments.DeleteSegment(r.Context(), r.PathValue("name")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
