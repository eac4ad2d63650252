package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// Cookie names. The session cookie holds only an opaque random id; the access token it
// maps to stays in the server's memory.
const (
	sessionCookie = "msisync_console"
	loginCookie   = "msisync_console_login"
	cookiePath    = "/console/"
)

// maxSessionTTL bounds a session even when the access token lives longer.
const maxSessionTTL = 8 * time.Hour

// session is one signed-in browser.
type session struct {
	id       string
	token    string // the API client's access token
	clientID string
	csrf     string // the token every changing form must carry
	readOnly bool   // the client may not write (read-only or auditor): the console offers no changing form
	expires  time.Time
}

// sessions keeps the signed-in browsers in memory: a restart signs everyone out.
type sessions struct {
	mu  sync.Mutex
	m   map[string]*session
	now func() time.Time
}

func newSessions() *sessions { return &sessions{m: map[string]*session{}, now: time.Now} }

// randomToken returns 32 random bytes, URL-safe.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// create starts a session for a client's access token valid for ttl.
func (s *sessions) create(token, clientID string, readOnly bool, ttl time.Duration) *session {
	if ttl <= 0 || ttl > maxSessionTTL {
		ttl = maxSessionTTL
	}
	sess := &session{id: randomToken(), token: token, clientID: clientID, csrf: randomToken(), readOnly: readOnly, expires: s.now().Add(ttl)}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, old := range s.m { // sweep expired sessions as new ones come
		if s.now().After(old.expires) {
			delete(s.m, id)
		}
	}
	s.m[sess.id] = sess
	return sess
}

// get returns the live session a request's cookie names.
func (s *sessions) get(r *http.Request) (*session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.m[c.Value]
	if !ok {
		return nil, false
	}
	if s.now().After(sess.expires) {
		delete(s.m, c.Value)
		return nil, false
	}
	return sess, true
}

// delete ends a session.
func (s *sessions) delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}

// setCookie writes a console cookie: HttpOnly, SameSite=Strict, limited to /console/, and
// Secure when the request came over TLS. maxAge < 0 deletes it.
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: cookiePath, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
}

// validCSRF reports whether a POSTed form carries the session's CSRF token.
func validCSRF(r *http.Request, want string) bool {
	got := r.PostFormValue("csrf")
	return got != "" && want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
