package console

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

//go:embed templates
var templateFS embed.FS

// pageTemplate is one page: the layout with the page's own blocks.
type pageTemplate struct{ t *template.Template }

// view is what every page template gets.
type view struct {
	Title    string
	Nav      string // the menu entry to mark current
	Bare     bool   // no menu (the sign-in page, the framed MSI panel)
	Session  *session
	CSRF     string
	ClientID string
	ReadOnly bool
	Error    string // an error in words, shown above the content
	Notice   string // a confirmation in words
	Data     any
}

var funcs = template.FuncMap{
	"when":  when,
	"path":  url.PathEscape,
	"query": url.QueryEscape,
	"seq": func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	},
	"lower": strings.ToLower,
}

// parsePages parses every page with the layout; a template error is a programming error.
func parsePages() map[string]*pageTemplate {
	pages := map[string]*pageTemplate{}
	names, err := fs.Glob(templateFS, "templates/page_*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		t := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html", n))
		key := strings.TrimSuffix(strings.TrimPrefix(n, "templates/page_"), ".html")
		pages[key] = &pageTemplate{t: t}
	}
	return pages
}

// render writes page with v; v.Session fills in the client and CSRF token.
func (c *Console) render(w http.ResponseWriter, r *http.Request, code int, page string, v view) {
	if v.Session != nil {
		v.CSRF, v.ClientID, v.ReadOnly = v.Session.csrf, v.Session.clientID, v.Session.readOnly
	}
	p, ok := c.pages[page]
	if !ok {
		c.cfg.Log.ErrorContext(r.Context(), "console: no such page template", "page", page)
		http.Error(w, "The console could not draw this page. Try again; if it keeps failing, tell the team that runs msisync.", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := p.t.Execute(&buf, v); err != nil {
		c.cfg.Log.ErrorContext(r.Context(), "console: rendering a page", "page", page, "error", err)
		http.Error(w, "The console could not draw this page. Try again; if it keeps failing, tell the team that runs msisync.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// How long the server took to gather and draw the page (make bench reads it).
	if start, ok := r.Context().Value(startKey{}).(time.Time); ok {
		w.Header().Set("Server-Timing", fmt.Sprintf("app;dur=%.1f", float64(time.Since(start).Microseconds())/1000))
	}
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// renderError shows a whole page with an error in words.
func (c *Console) renderError(w http.ResponseWriter, r *http.Request, s *session, code int, msg string) {
	c.render(w, r, code, "error", view{Title: "Something went wrong", Session: s, Error: msg, Bare: s == nil})
}

// failed handles an API error on a page: an ended session goes back to sign-in; anything
// else is shown in words with the HTTP status that fits.
func (c *Console) failed(w http.ResponseWriter, r *http.Request, s *session, what string, err error) {
	if status.Code(err) == codes.Unauthenticated && s != nil {
		c.sessions.delete(s.id)
		setCookie(w, r, sessionCookie, "", -1)
		if r.Method == http.MethodGet {
			toLogin(w, r, "/console/login?ended=1&next="+urlQueryEscape(r.URL.RequestURI()))
			return
		}
		s = nil
	}
	code, msg := describe(err)
	if code == http.StatusInternalServerError {
		c.cfg.Log.ErrorContext(r.Context(), "console: API call failed", "what", what, "error", err)
	}
	c.renderError(w, r, s, code, fmt.Sprintf("Could not %s. %s", what, msg))
}

// describe turns an API error into an HTTP status and a sentence a person can act on. The
// orchestrator already words its errors (and hides internal ones behind an error id); a
// transport error that is not a status is never shown as is.
func describe(err error) (int, string) {
	st, ok := status.FromError(err)
	if !ok {
		return http.StatusInternalServerError, "The console could not reach the orchestrator's API. Try again in a moment."
	}
	msg := strings.TrimSpace(st.Message())
	if msg != "" && !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	switch st.Code() {
	case codes.PermissionDenied:
		return http.StatusForbidden, "Your API client may not do this: " + msg + " Sign in with a read-write client to change records."
	case codes.Unauthenticated:
		return http.StatusUnauthorized, "Your session ended (the access token expired or was revoked): sign in again."
	case codes.NotFound:
		return http.StatusNotFound, msg
	case codes.InvalidArgument, codes.FailedPrecondition, codes.OutOfRange, codes.AlreadyExists:
		return http.StatusBadRequest, msg
	case codes.ResourceExhausted:
		return http.StatusTooManyRequests, msg + " Wait a moment and try again."
	case codes.Unknown:
		// Not an answer the orchestrator worded (its fault interceptor words every error):
		// never shown as is.
		return http.StatusInternalServerError, "The orchestrator's API failed to answer. Try again; if it keeps failing, its log has the details."
	case codes.Unavailable, codes.DeadlineExceeded:
		return http.StatusServiceUnavailable, "The orchestrator did not answer in time. Try again in a moment."
	default:
		return http.StatusInternalServerError, msg
	}
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

func pathEscape(s string) string { return url.PathEscape(s) }

// when writes a time for people, in UTC.
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}
