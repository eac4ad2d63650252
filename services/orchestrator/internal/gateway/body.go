package gateway

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
)

// maxDrainBytes bounds how much of a refused body is read and thrown away after the answer
// (see refuseBody); past it the connection is simply closed.
const maxDrainBytes = 16 << 20

// refuseBody answers a request whose body is refused (413, 414) so that the answer reaches
// a client that writes its whole body before it reads: answer writes the response, the
// connection closes after it, and the rest of the body is read and thrown away first, up
// to maxDrainBytes and within the server's read timeout (MSISYNC_HTTP_READ_TIMEOUT).
// Closing a connection with unread bytes makes TCP reset it, and the reset discards the
// answer on the client's side before the client reads it ("connection reset by peer").
// unread tells that nothing of the body was read yet: a client that asked for
// "100 Continue" then sends nothing more, and there is nothing to drain.
func refuseBody(w http.ResponseWriter, r *http.Request, unread bool, answer func()) {
	w.Header().Set("Connection", "close")
	answer()
	if r.Body == nil || r.Body == http.NoBody || (unread && strings.EqualFold(r.Header.Get("Expect"), "100-continue")) {
		return
	}
	_ = http.NewResponseController(w).Flush()
	_, _ = io.CopyN(io.Discard, r.Body, maxDrainBytes)
}

// bodyFailed answers a request whose body readBody could not read: tooLarge answers one
// over maxBytes (then the rest is drained, see refuseBody), timeout one that did not arrive
// within the server's read timeout (then the connection closes), unreadable any other.
func bodyFailed(w http.ResponseWriter, r *http.Request, err error, maxBytes int64, tooLarge, timeout, unreadable func()) {
	var big *http.MaxBytesError
	switch {
	case errors.As(err, &big):
		refuseBody(w, r, r.ContentLength > maxBytes, tooLarge)
	case timedOut(err):
		w.Header().Set("Connection", "close")
		timeout()
	default:
		unreadable()
	}
}

// timedOut reports whether reading the body failed because the server's read timeout
// (MSISYNC_HTTP_READ_TIMEOUT) passed before it all arrived.
func timedOut(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
