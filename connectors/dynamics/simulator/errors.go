package simulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// apiError is a Dataverse error response: {"error":{"code":..,"message":..}}.
type apiError struct {
	status     int
	code, msg  string
	retryAfter int  // seconds; >0 adds a Retry-After header
	retryNow   bool // adds "Retry-After: 0"
}

// Error implements error.
func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.msg) }

func errBadRequest(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "0x80060888", msg: msg}
}

func errUnknownSegment(seg string) *apiError {
	return &apiError{status: http.StatusNotFound, code: "0x8006088a",
		msg: fmt.Sprintf("Resource not found for the segment '%s'.", seg)}
}

func errNoProperty(def *tableDef, name string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "0x80060888",
		msg: fmt.Sprintf("Could not find a property named '%s' on type 'Microsoft.Dynamics.CRM.%s'.", name, def.logical)}
}

func errInvalidProperty(def *tableDef, name string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "0x80048d19",
		msg: fmt.Sprintf("Invalid property '%s' was found in entity 'Microsoft.Dynamics.CRM.%s'.", name, def.logical)}
}

func errRowNotFound(def *tableDef, id string) *apiError {
	return &apiError{status: http.StatusNotFound, code: "0x80040217",
		msg: fmt.Sprintf("%s With Id = %s Does Not Exist", def.logical, id)}
}

func errTrackingOption(opt string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "0x80060888",
		msg: fmt.Sprintf("The \"%s\" query parameter isn't supported when Change Tracking is enabled.", opt)}
}

func errNotSupported(what string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "0x80060888",
		msg: fmt.Sprintf("%s is not supported by this simulator.", what)}
}

var (
	errExpiredDelta = &apiError{status: http.StatusBadRequest, code: "0x80044352",
		msg: "Version stamp associated with the client has expired. Please perform a full sync."}
	errVersionMismatch = &apiError{status: http.StatusPreconditionFailed, code: "0x80060882",
		msg: "The version of the existing record doesn't match the RowVersion property provided."}
	errAlreadyExists = &apiError{status: http.StatusPreconditionFailed, code: "0x80040237",
		msg: "A record with matching key values already exists."}
)

// writeError writes e in Dataverse shape.
func writeError(w http.ResponseWriter, e *apiError) {
	h := w.Header()
	h.Set("Content-Type", "application/json; odata.metadata=minimal")
	h.Set("OData-Version", "4.0")
	if e.retryAfter > 0 || e.retryNow {
		h.Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	w.WriteHeader(e.status)
	body, _ := marshal(map[string]any{"error": map[string]string{"code": e.code, "message": e.msg}})
	_, _ = w.Write(body)
}

// writeJSON writes v (usually an obj) as an OData JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; odata.metadata=minimal")
	h.Set("OData-Version", "4.0")
	w.WriteHeader(status)
	body, _ := marshal(v)
	_, _ = w.Write(body)
}

// obj is a JSON object that keeps its key order (Dataverse puts @odata.* keys first).
type obj []kv

type kv struct {
	k string
	v any
}

func (o *obj) add(k string, v any) { *o = append(*o, kv{k, v}) }

// MarshalJSON implements json.Marshaler, preserving key order.
func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := marshal(p.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := marshal(p.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal is json.Marshal without HTML escaping (URLs keep their '&').
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
