package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"time"
)

// AdminPrefix is the path under which the sandbox answers its own admin
// API, beside Aliyun's "/" and WeChat's "/cgi-bin/".
const AdminPrefix = "/sandbox/"

// maxAdminBody bounds an admin request's body.
const maxAdminBody = 64 << 10

// adminHandler serves the admin API to requests from this host or a
// private network.
func (s *Sandbox) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sandbox/record", s.getRecord)
	mux.HandleFunc("GET /sandbox/faults", s.getFaults)
	mux.HandleFunc("POST /sandbox/faults", s.postFault)
	mux.HandleFunc("DELETE /sandbox/faults", s.deleteFaults)
	mux.HandleFunc("GET /sandbox/receipts", s.getReceipts)
	mux.HandleFunc("POST /sandbox/receipts", s.postReceipts)
	mux.HandleFunc(AdminPrefix, func(w http.ResponseWriter, r *http.Request) {
		writeAdminError(w, http.StatusNotFound, fmt.Errorf("no %s %s here: the admin API is GET /sandbox/record, GET|POST|DELETE /sandbox/faults and GET|POST /sandbox/receipts", r.Method, r.URL.Path))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !adminAllowed(r) {
			writeAdminError(w, http.StatusForbidden, errors.New("the sandbox's admin API answers only requests made on this host or from a private network, not through a proxy"))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// adminAllowed reports whether r comes straight from a loopback or
// private address. A request carrying a proxy's header is refused: behind
// a proxy every caller looks local.
func adminAllowed(r *http.Request) bool {
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := ap.Addr().Unmap()
	return ip.IsLoopback() || ip.IsPrivate()
}

// getRecord: ?since=RFC3339 counts only messages accepted since then;
// ?detail=1 lists them.
func (s *Sandbox) getRecord(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var since time.Time
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			writeAdminError(w, http.StatusBadRequest, fmt.Errorf("since %q: want an RFC 3339 time such as 2026-03-01T08:00:00Z or 2026-03-01T16:00:00+08:00", v))
			return
		}
		since = t
	}
	detail := false
	switch v := q.Get("detail"); v {
	case "", "0", "false":
	case "1", "true":
		detail = true
	default:
		writeAdminError(w, http.StatusBadRequest, fmt.Errorf("detail %q: want 1 (list every message) or 0", v))
		return
	}
	writeAdminJSON(w, http.StatusOK, s.Record(since, detail))
}

// faultList is the answer of GET and DELETE /sandbox/faults.
type faultList struct {
	Faults  []FaultRule `json:"faults"`
	Cleared *int        `json:"cleared,omitempty"`
}

func (s *Sandbox) getFaults(w http.ResponseWriter, _ *http.Request) {
	writeAdminJSON(w, http.StatusOK, faultList{Faults: s.Faults()})
}

func (s *Sandbox) postFault(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Provider string  `json:"provider"`
		Action   string  `json:"action"`
		Kind     string  `json:"kind"`
		Count    int     `json:"count"`
		Rate     float64 `json:"rate"`
	}
	if err := decodeAdmin(w, r, &in); err != nil {
		writeAdminError(w, http.StatusBadRequest, err)
		return
	}
	f, err := s.AddFault(FaultRule{Provider: in.Provider, Action: in.Action, Kind: in.Kind, Count: in.Count, Rate: in.Rate})
	if err != nil {
		writeAdminError(w, http.StatusBadRequest, err)
		return
	}
	s.log.InfoContext(r.Context(), "sandbox_fault_added", "id", f.ID, "provider", f.Provider, "action", f.Action,
		"kind", f.Kind, "count", f.Count, "rate", f.Rate)
	writeAdminJSON(w, http.StatusCreated, f)
}

func (s *Sandbox) deleteFaults(w http.ResponseWriter, r *http.Request) {
	n := s.ClearFaults()
	s.log.InfoContext(r.Context(), "sandbox_faults_cleared", "rules", n)
	writeAdminJSON(w, http.StatusOK, faultList{Faults: []FaultRule{}, Cleared: &n})
}

// receiptsMode is the body and answer of /sandbox/receipts.
type receiptsMode struct {
	Mode string `json:"mode"`
}

func (s *Sandbox) getReceipts(w http.ResponseWriter, _ *http.Request) {
	writeAdminJSON(w, http.StatusOK, receiptsMode{Mode: s.ReceiptMode()})
}

func (s *Sandbox) postReceipts(w http.ResponseWriter, r *http.Request) {
	var in receiptsMode
	if err := decodeAdmin(w, r, &in); err != nil {
		writeAdminError(w, http.StatusBadRequest, err)
		return
	}
	if err := s.SetReceiptMode(in.Mode); err != nil {
		writeAdminError(w, http.StatusBadRequest, err)
		return
	}
	s.log.InfoContext(r.Context(), "sandbox_receipts_mode", "mode", in.Mode)
	writeAdminJSON(w, http.StatusOK, receiptsMode{Mode: s.ReceiptMode()})
}

// decodeAdmin reads one JSON object with no unknown fields into v.
func decodeAdmin(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAdminBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fmt.Errorf("the body is over %d bytes", maxAdminBody)
		}
		return fmt.Errorf("the body is not the JSON object expected: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("the body holds more than one JSON value")
	}
	return nil
}

func writeAdminJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeAdminError(w http.ResponseWriter, status int, err error) {
	writeAdminJSON(w, status, struct {
		Error string `json:"error"`
	}{err.Error()})
}
