package simulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
)

// readBody decodes a JSON object request body (numbers kept as json.Number).
func readBody(r *http.Request) (map[string]any, *apiError) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		return nil, errBadRequest("Cannot read the request body.")
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, &apiError{status: http.StatusBadRequest, code: "0x80048d19",
			msg: "Error identified in Payload provided by the user for Entity. The request body must be a JSON object."}
	}
	return m, nil
}

// entityURL is the OData-EntityId of a row.
func entityURL(base string, def *tableDef, id string) string {
	return fmt.Sprintf("%s%s%s(%s)", base, apiPrefix, def.set, id)
}

// serveRow answers GET, PATCH and DELETE of /<set>(<guid>).
func (s *Simulator) serveRow(w http.ResponseWriter, r *http.Request, def *tableDef, id string, inBatch bool) {
	switch r.Method {
	case http.MethodGet:
		s.serveGetRow(w, r, def, id)
	case http.MethodPatch:
		s.servePatch(w, r, def, id, inBatch)
	case http.MethodDelete:
		s.org.mu.Lock()
		ok := s.org.removeCascade(s.org.tables[def.set], id)
		s.org.mu.Unlock()
		if !ok {
			writeError(w, errRowNotFound(def, id))
			return
		}
		s.stats.add(&s.stats.deletes, 1)
		w.Header().Set("OData-Version", "4.0")
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, &apiError{status: http.StatusMethodNotAllowed, code: "0x80060888",
			msg: "The HTTP method '" + r.Method + "' is not allowed on an entity."})
	}
}

// serveGetRow answers GET /<set>(<guid>) with $select and If-None-Match support.
func (s *Simulator) serveGetRow(w http.ResponseWriter, r *http.Request, def *tableDef, id string) {
	sel, selRaw, e := parseSelect(def, r.URL.Query())
	if e != nil {
		writeError(w, e)
		return
	}
	p := parsePrefer(r.Header)
	s.org.mu.RLock()
	rec, ok := s.org.tables[def.set].rows[id]
	var row obj
	var etag string
	if ok {
		row = s.render(def, rec, sel, p)
		etag = fmt.Sprintf(`W/"%d"`, rec.vals["versionnumber"])
	}
	s.org.mu.RUnlock()
	if !ok {
		writeError(w, errRowNotFound(def, id))
		return
	}
	if inm := r.Header.Get("If-None-Match"); inm == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	s.stats.add(&s.stats.rowsServed, 1)
	if p.annotationsRaw != "" {
		w.Header().Set("Preference-Applied", "odata.include-annotations="+p.annotationsRaw)
	}
	w.Header().Set("ETag", etag)
	writeJSON(w, http.StatusOK, append(obj{{"@odata.context", contextURL(baseURL(r), def, selRaw, "/$entity")}}, row...))
}

// servePatch answers PATCH /<set>(<guid>): update with If-Match (* or W/"n"), create-only
// with If-None-Match: *, upsert otherwise.
func (s *Simulator) servePatch(w http.ResponseWriter, r *http.Request, def *tableDef, id string, inBatch bool) {
	body, e := readBody(r)
	if e != nil {
		writeError(w, e)
		return
	}
	if v, ok := body[def.primaryID]; ok {
		if g, _ := v.(string); strings.ToLower(g) != id {
			writeError(w, errBadRequest(fmt.Sprintf("The value of '%s' in the body does not match the key in the URL.", def.primaryID)))
			return
		}
	}
	p := parsePrefer(r.Header)
	ifMatch, ifNone := strings.TrimSpace(r.Header.Get("If-Match")), strings.TrimSpace(r.Header.Get("If-None-Match"))
	s.org.mu.Lock()
	t := s.org.tables[def.set]
	rec, exists := t.rows[id]
	switch {
	case ifMatch != "" && !exists:
		e = errRowNotFound(def, id)
	case ifMatch != "" && ifMatch != "*" && ifMatch != fmt.Sprintf(`W/"%d"`, rec.vals["versionnumber"]):
		e = errVersionMismatch
	case ifNone == "*" && exists:
		e = errAlreadyExists
	}
	var vals map[string]any
	if e == nil {
		var lks map[string]string
		if vals, lks, e = s.org.normalize(def, body, false); e == nil {
			s.org.put(t, id, vals, lks)
		}
	}
	var row obj
	if e == nil && p.returnRepr {
		sel, _, se := parseSelect(def, r.URL.Query())
		if se == nil {
			row = s.render(def, t.rows[id], sel, p)
		}
	}
	s.org.mu.Unlock()
	if e != nil {
		switch e.status {
		case http.StatusNotFound:
			s.stats.add(&s.stats.patchNotFound, 1)
		case http.StatusPreconditionFailed:
			s.stats.add(&s.stats.preconditionFailed, 1)
		}
		writeError(w, e)
		return
	}
	cols := make([]string, 0, len(vals))
	for k := range vals {
		cols = append(cols, k)
	}
	sort.Strings(cols)
	if !exists {
		s.stats.add(&s.stats.creates, 1)
	}
	s.stats.logPatch(PatchRecord{Set: def.set, ID: id, Columns: cols, InBatch: inBatch, Created: !exists, At: s.opts.Now().UTC()})
	w.Header().Set("OData-EntityId", entityURL(baseURL(r), def, id))
	if row != nil {
		w.Header().Set("Preference-Applied", "return=representation")
		writeJSON(w, http.StatusOK, append(obj{{"@odata.context", contextURL(baseURL(r), def, "", "/$entity")}}, row...))
		return
	}
	w.Header().Set("OData-Version", "4.0")
	w.WriteHeader(http.StatusNoContent)
}

// serveCreate answers POST /<set>: creates a row (id from the body or a new GUID).
func (s *Simulator) serveCreate(w http.ResponseWriter, r *http.Request, def *tableDef) {
	body, e := readBody(r)
	if e != nil {
		writeError(w, e)
		return
	}
	id := newGUID()
	if v, ok := body[def.primaryID]; ok {
		g, ok := normGUID(str(v))
		if !ok {
			writeError(w, errBadRequest(fmt.Sprintf("Invalid value for '%s'.", def.primaryID)))
			return
		}
		id = g
	}
	p := parsePrefer(r.Header)
	s.org.mu.Lock()
	t := s.org.tables[def.set]
	var row obj
	if _, exists := t.rows[id]; exists {
		e = errAlreadyExists
	} else {
		var vals map[string]any
		var lks map[string]string
		if vals, lks, e = s.org.normalize(def, body, false); e == nil {
			s.org.put(t, id, vals, lks)
			if p.returnRepr {
				sel, _, _ := parseSelect(def, r.URL.Query())
				row = s.render(def, t.rows[id], sel, p)
			}
		}
	}
	s.org.mu.Unlock()
	if e != nil {
		writeError(w, e)
		return
	}
	s.stats.add(&s.stats.creates, 1)
	w.Header().Set("OData-EntityId", entityURL(baseURL(r), def, id))
	if row != nil {
		w.Header().Set("Preference-Applied", "return=representation")
		writeJSON(w, http.StatusCreated, append(obj{{"@odata.context", contextURL(baseURL(r), def, "", "/$entity")}}, row...))
		return
	}
	w.Header().Set("OData-Version", "4.0")
	w.WriteHeader(http.StatusNoContent)
}
