// Package console is msisync's operations console: server-rendered HTML pages under
// /console/ that show the sync (runs, parked and dead-lettered records, CRM findings, in
// upstream mode the delivery to Marketo), fix what is stuck (retry, drop, resume the
// delivery) and show what MSI shows (stars, flames, interesting moments, Best Bets).
//
// The console reads and acts only through the orchestrator's own gRPC API, over the
// gateway's client connection, with the signed-in API client's access token: the
// orchestrator authenticates and authorises every call exactly as for any API caller
// (a read-only or auditor client gets 603 on anything that writes; a client sees its own sync
// runs, an admin or auditor all). Its calls carry the process's console key (see
// MarkerHeader), so page loads do not count against the client's rate limit or daily quota,
// as Marketo's own UI does not.
//
// Assets (htmx, the stylesheet) are embedded; nothing is loaded from elsewhere.
package console

import (
	"context"
	"embed"
	"log/slog"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

//go:embed static
var staticFS embed.FS

// QuotaUsage is one API client's calls today.
type QuotaUsage struct {
	ClientID string
	Used     int64
}

// Config wires the console.
type Config struct {
	// Conn is a client connection to the orchestrator's own gRPC server.
	Conn *grpc.ClientConn
	// Key is the process's console key (NewKey), sent with every call so that the limits
	// interceptor (wrapped with Unlimited) lets page loads through uncounted.
	Key string
	// Health reports each service's state by name ("SERVING", "NOT_SERVING",
	// "UNREACHABLE"); nil shows no health.
	Health func(ctx context.Context) map[string]string
	// Quota returns today's API calls per client and the daily quota (0: none); nil shows
	// no quota.
	Quota func(ctx context.Context) ([]QuotaUsage, int64, error)
	// Log receives the errors hidden from the pages; nil discards them.
	Log *slog.Logger
}

// callTimeout bounds one API call a page makes.
const callTimeout = 15 * time.Second

// maxFormBytes bounds a console form.
const maxFormBytes = 64 << 10

// Console serves the pages.
type Console struct {
	cfg      Config
	sessions *sessions
	pages    map[string]*pageTemplate
	mux      *http.ServeMux

	auth     orchestratorv1.AuthServiceClient
	runs     orchestratorv1.SyncRunServiceClient
	insight  orchestratorv1.InsightServiceClient
	leads    orchestratorv1.MarketoLeadServiceClient
	company  orchestratorv1.MarketoCompanyServiceClient
	opps     orchestratorv1.MarketoOpportunityServiceClient
	roles    orchestratorv1.MarketoOpportunityRoleServiceClient
	people   orchestratorv1.MarketoSalesPersonServiceClient
	activity orchestratorv1.MarketoActivityServiceClient
	upstream orchestratorv1.UpstreamServiceClient
}

// New returns the console; mount it at /console/.
func New(cfg Config) *Console {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	c := &Console{
		cfg: cfg, sessions: newSessions(), pages: parsePages(),
		auth:     orchestratorv1.NewAuthServiceClient(cfg.Conn),
		runs:     orchestratorv1.NewSyncRunServiceClient(cfg.Conn),
		insight:  orchestratorv1.NewInsightServiceClient(cfg.Conn),
		leads:    orchestratorv1.NewMarketoLeadServiceClient(cfg.Conn),
		company:  orchestratorv1.NewMarketoCompanyServiceClient(cfg.Conn),
		opps:     orchestratorv1.NewMarketoOpportunityServiceClient(cfg.Conn),
		roles:    orchestratorv1.NewMarketoOpportunityRoleServiceClient(cfg.Conn),
		people:   orchestratorv1.NewMarketoSalesPersonServiceClient(cfg.Conn),
		activity: orchestratorv1.NewMarketoActivityServiceClient(cfg.Conn),
		upstream: orchestratorv1.NewUpstreamServiceClient(cfg.Conn),
	}
	m := http.NewServeMux()
	m.Handle("GET /console/static/", http.StripPrefix("/console/", staticHandler()))
	m.HandleFunc("GET /console/login", c.loginPage)
	m.HandleFunc("POST /console/login", c.login)
	m.HandleFunc("POST /console/logout", c.signedIn(c.logout))
	m.HandleFunc("GET /console/{$}", c.signedIn(c.overview))
	m.HandleFunc("POST /console/upstream/{action}", c.signedIn(c.upstreamAct))
	m.HandleFunc("GET /console/runs", c.signedIn(c.runList))
	m.HandleFunc("GET /console/runs/{id}", c.signedIn(c.runPage))
	m.HandleFunc("GET /console/pending", c.signedIn(c.pendingList))
	m.HandleFunc("POST /console/pending/confirm", c.signedIn(c.pendingConfirm))
	m.HandleFunc("POST /console/pending/{action}", c.signedIn(c.pendingAct))
	m.HandleFunc("GET /console/inspect", c.signedIn(c.inspect))
	m.HandleFunc("GET /console/persons/{id}", c.signedIn(c.personPage))
	m.HandleFunc("GET /console/companies/{id}", c.signedIn(c.companyPage))
	m.HandleFunc("GET /console/opportunities/{id}", c.signedIn(c.opportunityPage))
	m.HandleFunc("GET /console/msi/persons/{id}", c.signedIn(c.msiPage))
	m.HandleFunc("GET /console/bestbets", c.signedIn(c.bestBets))
	m.HandleFunc("GET /console/findings", c.signedIn(c.findings))
	m.HandleFunc("/console/", c.notFound)
	c.mux = m
	return c
}

// ServeHTTP implements http.Handler.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	// Only our own scripts, styles and images; no page may be framed by another site (the
	// MSI panel may be framed by the console's own origin).
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'")
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	}
	c.mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), startKey{}, time.Now())))
}

// startKey holds when the console began serving a request (for Server-Timing).
type startKey struct{}

// handlerFunc is a page handler for a signed-in browser.
type handlerFunc func(w http.ResponseWriter, r *http.Request, s *session)

// signedIn sends a browser without a live session to the sign-in page, and refuses a POST
// without the session's CSRF token.
func (c *Console) signedIn(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := c.sessions.get(r)
		if !ok {
			if r.Method != http.MethodGet {
				c.renderError(w, r, nil, http.StatusUnauthorized, "You are not signed in (or your session ended): sign in again, then repeat what you were doing.")
				return
			}
			toLogin(w, r, "/console/login?next="+urlQueryEscape(r.URL.RequestURI()))
			return
		}
		if r.Method == http.MethodPost && !validCSRF(r, s.csrf) {
			c.renderError(w, r, s, http.StatusForbidden, "This form was refused because it did not carry this session's security token (CSRF). Reload the page and submit it again from the console.")
			return
		}
		h(w, r, s)
	}
}

// ctx returns a context for one API call made for s: the client's access token and the
// console key in the outgoing metadata.
func (c *Console) ctx(r *http.Request, s *session) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(r.Context(), callTimeout)
	md := metadata.Pairs(MarkerHeader, c.cfg.Key)
	if s != nil {
		md.Append("authorization", "Bearer "+s.token)
	}
	return metadata.NewOutgoingContext(ctx, md), cancel
}

// toLogin sends the browser to the sign-in page; the overview's self-refresh (an htmx
// request) is told to load it as a whole page, not to swap it into the overview.
func toLogin(w http.ResponseWriter, r *http.Request, url string) {
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", url)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, url, http.StatusSeeOther)
}

func (c *Console) notFound(w http.ResponseWriter, r *http.Request) {
	s, _ := c.sessions.get(r)
	c.renderError(w, r, s, http.StatusNotFound, "There is no console page at "+r.URL.Path+". Use the menu to find what you are looking for.")
}

// staticHandler serves the embedded assets.
func staticHandler() http.Handler {
	fs := http.FileServerFS(staticFS)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fs.ServeHTTP(w, r)
	})
}
