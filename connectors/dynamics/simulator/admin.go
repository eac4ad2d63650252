package simulator

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// faultRequest is the body of POST /_sim/faults; every field is optional.
type faultRequest struct {
	Throttle *struct {
		Count             int     `json:"count"`
		RetryAfterSeconds float64 `json:"retryAfterSeconds"`
	} `json:"throttle"`
	Fail *struct {
		Count  int `json:"count"`
		Status int `json:"status"`
	} `json:"fail"`
	ExpireAccessTokens bool `json:"expireAccessTokens"`
	ExpireDeltaTokens  bool `json:"expireDeltaTokens"`
	LatencyMs          *int `json:"latencyMs"`
}

// adminMux builds the /_sim/ admin API (no authentication; see the package doc).
func (s *Simulator) adminMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_sim/stats", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, s.Stats()) })
	mux.HandleFunc("POST /_sim/stats/reset", func(w http.ResponseWriter, r *http.Request) {
		s.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sim/seedreport", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, s.SeedReport()) })
	mux.HandleFunc("GET /_sim/webhooks", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, s.Webhooks()) })
	mux.HandleFunc("GET /_sim/patches", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, s.Patches()) })
	mux.HandleFunc("POST /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		var fr faultRequest
		if err := json.NewDecoder(r.Body).Decode(&fr); err != nil {
			writeError(w, errBadRequest("invalid fault request: "+err.Error()))
			return
		}
		if fr.Throttle != nil {
			s.Throttle(fr.Throttle.Count, time.Duration(fr.Throttle.RetryAfterSeconds*float64(time.Second)))
		}
		if fr.Fail != nil {
			s.FailNext(fr.Fail.Count, fr.Fail.Status)
		}
		if fr.ExpireAccessTokens {
			s.ExpireAccessTokens()
		}
		if fr.ExpireDeltaTokens {
			s.ExpireDeltaTokens()
		}
		if fr.LatencyMs != nil {
			s.SetLatency(time.Duration(*fr.LatencyMs) * time.Millisecond)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_sim/rows/{set}", func(w http.ResponseWriter, r *http.Request) {
		row, e := readBody(r)
		if e != nil {
			writeError(w, e)
			return
		}
		id, err := s.Upsert(r.PathValue("set"), row)
		if err != nil {
			writeAdminErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"id": id})
	})
	mux.HandleFunc("GET /_sim/rows/{set}/{id}", func(w http.ResponseWriter, r *http.Request) {
		row, ok := s.Get(r.PathValue("set"), r.PathValue("id"))
		if !ok {
			writeAdminErr(w, ErrNotFound)
			return
		}
		writeJSON(w, http.StatusOK, row)
	})
	mux.HandleFunc("PATCH /_sim/rows/{set}/{id}", func(w http.ResponseWriter, r *http.Request) {
		cols, e := readBody(r)
		if e != nil {
			writeError(w, e)
			return
		}
		if err := s.Update(r.PathValue("set"), r.PathValue("id"), cols); err != nil {
			writeAdminErr(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /_sim/rows/{set}/{id}", func(w http.ResponseWriter, r *http.Request) {
		if err := s.Delete(r.PathValue("set"), r.PathValue("id")); err != nil {
			writeAdminErr(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_sim/rows/{set}/{id}/restore", func(w http.ResponseWriter, r *http.Request) {
		if err := s.Restore(r.PathValue("set"), r.PathValue("id")); err != nil {
			writeAdminErr(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_sim/connect", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ OpportunityID, ContactID, Role string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeError(w, errBadRequest("invalid connect request: "+err.Error()))
			return
		}
		id, err := s.Connect(req.OpportunityID, req.ContactID, req.Role)
		if err != nil {
			writeAdminErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"id": id})
	})
	mux.HandleFunc("POST /_sim/qualify", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ LeadID string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeError(w, errBadRequest("invalid qualify request: "+err.Error()))
			return
		}
		id, err := s.Qualify(req.LeadID)
		if err != nil {
			writeAdminErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"contactId": id})
	})
	mux.HandleFunc("POST /_sim/merge", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ EntitySet, MasterID, SubordinateID string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeError(w, errBadRequest("invalid merge request: "+err.Error()))
			return
		}
		if err := s.Merge(req.EntitySet, req.MasterID, req.SubordinateID); err != nil {
			writeAdminErr(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

func writeAdminErr(w http.ResponseWriter, err error) {
	st := http.StatusBadRequest
	if errors.Is(err, ErrNotFound) {
		st = http.StatusNotFound
	}
	writeError(w, &apiError{status: st, code: "", msg: err.Error()})
}

// serveAdmin serves /_sim/ requests.
func (s *Simulator) serveAdmin(w http.ResponseWriter, r *http.Request) { s.admin.ServeHTTP(w, r) }
