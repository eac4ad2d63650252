package console

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

// loginForm is the sign-in page's data.
type loginForm struct {
	ClientID string
	Next     string
	Token    string // the login CSRF token, also in a cookie
}

// loginPage shows the sign-in form. A login CSRF token (double-submit: cookie and hidden
// field) keeps other sites from signing a browser in as their own client.
func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := c.sessions.get(r); ok {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	v := view{Title: "Sign in", Bare: true}
	if r.URL.Query().Get("ended") != "" {
		v.Error = "Your session ended: sign in again."
	}
	if r.URL.Query().Get("out") != "" {
		v.Notice = "You are signed out."
	}
	c.showLogin(w, r, http.StatusOK, v, "", r.URL.Query().Get("next"))
}

func (c *Console) showLogin(w http.ResponseWriter, r *http.Request, code int, v view, clientID, next string) {
	tok := randomToken()
	setCookie(w, r, loginCookie, tok, int((30 * time.Minute).Seconds()))
	v.Title, v.Bare = "Sign in", true
	v.Data = loginForm{ClientID: clientID, Next: safeNext(next), Token: tok}
	c.render(w, r, code, "login", v)
}

// login exchanges an API client's id and secret for an access token through the
// AuthService and starts a session.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	clientID := strings.TrimSpace(r.PostFormValue("client_id"))
	secret := r.PostFormValue("client_secret")
	next := r.PostFormValue("next")
	ck, err := r.Cookie(loginCookie)
	if err != nil || ck.Value == "" || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		c.showLogin(w, r, http.StatusForbidden, view{Error: "The sign-in form had expired or did not come from this console (CSRF). Sign in again on this page."}, clientID, next)
		return
	}
	if clientID == "" || secret == "" {
		c.showLogin(w, r, http.StatusBadRequest, view{Error: "Enter your API client's id and secret."}, clientID, next)
		return
	}
	ctx, cancel := c.ctx(r, nil)
	defer cancel()
	resp, err := c.auth.IssueToken(ctx, &orchestratorv1.IssueTokenRequest{GrantType: "client_credentials", ClientId: clientID, ClientSecret: secret})
	if err != nil {
		if status.Code(err) == codes.Unauthenticated {
			c.showLogin(w, r, http.StatusUnauthorized, view{Error: "That client id and secret do not match an API client. Check both and try again."}, clientID, next)
			return
		}
		_, msg := describe(err)
		c.showLogin(w, r, http.StatusServiceUnavailable, view{Error: "Could not sign in. " + msg}, clientID, next)
		return
	}
	sess := &session{token: resp.GetAccessToken()}
	readOnly := c.probeReadOnly(r, sess)
	sess = c.sessions.create(resp.GetAccessToken(), clientID, readOnly, time.Duration(resp.GetExpiresIn())*time.Second)
	setCookie(w, r, loginCookie, "", -1)
	setCookie(w, r, sessionCookie, sess.id, int(time.Until(sess.expires).Seconds()))
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

// probeReadOnly asks the orchestrator whether the client may write: an empty retry is
// refused with 603 (PERMISSION_DENIED) before anything else for a read-only or auditor
// client, and changes nothing for any client.
func (c *Console) probeReadOnly(r *http.Request, s *session) bool {
	ctx, cancel := c.ctx(r, s)
	defer cancel()
	_, err := c.runs.RetryPendingRecords(ctx, &orchestratorv1.RetryPendingRecordsRequest{})
	return status.Code(err) == codes.PermissionDenied
}

// logout ends the session.
func (c *Console) logout(w http.ResponseWriter, r *http.Request, s *session) {
	c.sessions.delete(s.id)
	setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/console/login?out=1", http.StatusSeeOther)
}

// safeNext keeps a post-sign-in redirect inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/console/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") || strings.HasPrefix(next, "/console/login") {
		return "/console/"
	}
	return next
}
