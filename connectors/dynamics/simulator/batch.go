package simulator

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"strings"
)

// maxBatchRequests is Dataverse's limit of requests in one $batch.
const maxBatchRequests = 1000

// batchOp is one application/http part of a $batch.
type batchOp struct {
	raw       []byte
	contentID string
}

// batchItem is a top-level part: one operation, or a change set of several.
type batchItem struct {
	ops       []batchOp
	changeset bool
}

// readBatch reads the parts of a multipart/mixed $batch body.
func readBatch(body io.Reader, boundary string) ([]batchItem, int, error) {
	var items []batchItem
	total := 0
	mr := multipart.NewReader(body, boundary)
	for {
		part, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			return items, total, nil
		}
		if err != nil {
			return nil, 0, err
		}
		mt, params, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if mt == "multipart/mixed" {
			item := batchItem{changeset: true}
			cr := multipart.NewReader(part, params["boundary"])
			for {
				op, err := cr.NextRawPart()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					return nil, 0, err
				}
				raw, err := io.ReadAll(op)
				if err != nil {
					return nil, 0, err
				}
				item.ops = append(item.ops, batchOp{raw: raw, contentID: op.Header.Get("Content-ID")})
			}
			total += len(item.ops)
			items = append(items, item)
			continue
		}
		raw, err := io.ReadAll(part)
		if err != nil {
			return nil, 0, err
		}
		items = append(items, batchItem{ops: []batchOp{{raw: raw, contentID: part.Header.Get("Content-ID")}}})
		total++
	}
}

// serveBatch answers POST /$batch. Operations run in order through the same handler as
// single requests. Change sets run as a plain sequence (no rollback) whose responses are
// nested in a changesetresponse part. Without Prefer: odata.continue-on-error the batch stops
// after the first failing (4xx/5xx) operation and returns HTTP 200 with the responses so far,
// the failure included.
func (s *Simulator) serveBatch(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, &apiError{status: http.StatusMethodNotAllowed, code: "0x80060888", msg: "$batch only supports POST."})
		return
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" || params["boundary"] == "" {
		writeError(w, errBadRequest("The $batch request must have Content-Type multipart/mixed with a boundary."))
		return
	}
	items, total, err := readBatch(r.Body, params["boundary"])
	if err != nil {
		writeError(w, errBadRequest("The $batch body is not valid multipart/mixed: "+err.Error()))
		return
	}
	if total > maxBatchRequests {
		writeError(w, errBadRequest(fmt.Sprintf("The number of requests in the batch (%d) exceeds the limit of %d.", total, maxBatchRequests)))
		return
	}
	s.stats.add(&s.stats.batches, 1)
	p := parsePrefer(r.Header)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.SetBoundary("batchresponse_" + newGUID())
	refs := map[string]string{}
	for _, item := range items {
		failed := false
		if !item.changeset {
			rec := s.runBatchOp(r, item.ops[0], refs, false)
			writeBatchPart(mw, rec, item.ops[0].contentID)
			failed = rec.Code >= 400
		} else {
			cb := "changesetresponse_" + newGUID()
			pw, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"multipart/mixed; boundary=" + cb}})
			cw := multipart.NewWriter(pw)
			_ = cw.SetBoundary(cb)
			for _, op := range item.ops {
				rec := s.runBatchOp(r, op, refs, true)
				writeBatchPart(cw, rec, op.contentID)
				if rec.Code >= 400 {
					failed = true
					break
				}
			}
			_ = cw.Close()
		}
		if failed && !p.continueOnError {
			break
		}
	}
	_ = mw.Close()
	h := w.Header()
	h.Set("Content-Type", "multipart/mixed; boundary="+mw.Boundary())
	h.Set("OData-Version", "4.0")
	if p.continueOnError {
		h.Set("Preference-Applied", "odata.continue-on-error")
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// runBatchOp parses and executes one operation, recording its response.
func (s *Simulator) runBatchOp(outer *http.Request, op batchOp, refs map[string]string, inChangeset bool) *httptest.ResponseRecorder {
	s.stats.add(&s.stats.batchParts, 1)
	rec := httptest.NewRecorder()
	req, err := parseBatchRequest(outer, op.raw, refs)
	if err != nil {
		writeError(rec, errBadRequest("Invalid request in $batch: "+err.Error()))
		return rec
	}
	if inChangeset && req.Method == http.MethodGet {
		writeError(rec, errBadRequest("GET requests are not allowed inside a change set."))
		return rec
	}
	if !strings.HasPrefix(req.URL.Path, apiPrefix) {
		writeError(rec, errUnknownSegment(strings.TrimPrefix(req.URL.Path, "/")))
		return rec
	}
	s.dispatch(rec, req, true)
	if op.contentID != "" {
		if loc := rec.Header().Get("OData-EntityId"); loc != "" {
			refs[op.contentID] = loc
		}
	}
	return rec
}

// parseBatchRequest turns an application/http part into a request. The URL may be absolute,
// absolute-path, relative to the service root, or start with a $<Content-ID> reference.
func parseBatchRequest(outer *http.Request, raw []byte, refs map[string]string) (*http.Request, error) {
	raw = bytes.TrimLeft(raw, "\r\n")
	line, rest, _ := bytes.Cut(raw, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) != 3 {
		return nil, fmt.Errorf("bad request line %q", strings.TrimSpace(string(line)))
	}
	target := f[1]
	if strings.HasPrefix(target, "$") {
		id, tail, _ := strings.Cut(target[1:], "/")
		ref, ok := refs[id]
		if !ok {
			return nil, fmt.Errorf("content-ID reference $%s is not defined", id)
		}
		target = ref
		if tail != "" {
			target += "/" + tail
		}
	}
	switch {
	case strings.Contains(target, "://"):
		u, err := url.Parse(target)
		if err != nil {
			return nil, err
		}
		target = u.RequestURI()
	case !strings.HasPrefix(target, "/"):
		target = apiPrefix + target
	}
	head := fmt.Sprintf("%s %s %s\r\n", f[0], target, f[2])
	br := bufio.NewReader(io.MultiReader(strings.NewReader(head), bytes.NewReader(rest)))
	req, err := http.ReadRequest(br)
	if err != nil {
		return nil, err
	}
	var body []byte
	if req.ContentLength > 0 {
		body, err = io.ReadAll(req.Body)
	} else {
		body, err = io.ReadAll(br)
	}
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(bytes.TrimSpace(body)))
	req.Host = outer.Host
	return req, nil
}

// writeBatchPart writes a recorded response as an application/http part.
func writeBatchPart(mw *multipart.Writer, rec *httptest.ResponseRecorder, contentID string) {
	h := textproto.MIMEHeader{"Content-Type": {"application/http"}, "Content-Transfer-Encoding": {"binary"}}
	if contentID != "" {
		h.Set("Content-ID", contentID)
	}
	pw, _ := mw.CreatePart(h)
	fmt.Fprintf(pw, "HTTP/1.1 %d %s\r\n", rec.Code, http.StatusText(rec.Code))
	_ = rec.Header().Write(pw)
	_, _ = io.WriteString(pw, "\r\n")
	_, _ = pw.Write(rec.Body.Bytes())
}
