package dataverse

import (
	"bytes"
	"io"
	"net/http"
	"testing"
)

// FuzzParseBatchResponse feeds arbitrary $batch response bodies to the parser: whatever the
// service (or something in between) sends, the client reports an error or part answers
// with valid statuses, and never panics.
func FuzzParseBatchResponse(f *testing.F) {
	const b = "batchresponse_1"
	ok := "--" + b + "\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nHTTP/1.1 204 No Content\r\nOData-Version: 4.0\r\n\r\n\r\n"
	missing := "--" + b + "\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Type: application/json; odata.metadata=minimal\r\n\r\n" +
		`{"error":{"code":"0x80040217","message":"lead With Id = 00000000-0000-0000-0000-000000000001 Does Not Exist"}}` + "\r\n"
	nested := "--" + b + "\r\nContent-Type: multipart/mixed; boundary=changesetresponse_2\r\n\r\n--changesetresponse_2\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n\r\n--changesetresponse_2--\r\n"
	f.Add([]byte(ok+missing+"--"+b+"--\r\n"), b)
	f.Add([]byte(nested+"--"+b+"--\r\n"), b)
	f.Add([]byte(`{"error":{"code":"0x80072322","message":"Number of requests exceeded the limit"}}`), "")
	f.Add([]byte("--"+b+"\r\n\r\nHTTP/1.1 999 Odd\r\n\r\n--"+b+"--"), b)
	f.Fuzz(func(t *testing.T, body []byte, boundary string) {
		resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body))}
		resp.Header.Set("Content-Type", "multipart/mixed; boundary="+boundary)
		parts, err := parseBatchResponse(resp)
		if err != nil {
			return
		}
		for i, p := range parts {
			if p.status < 100 || p.status > 999 {
				t.Fatalf("part %d has status %d", i, p.status)
			}
			if (p.status < 200 || p.status >= 300) && p.err == nil {
				t.Fatalf("part %d failed with %d but carries no error", i, p.status)
			}
		}
	})
}
