package simulator

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// apiPrefix is the Web API base path the simulator serves.
const apiPrefix = "/api/data/v9.2/"

// Options configures a Simulator. The zero value is usable.
type Options struct {
	// ClientID is the accepted OAuth client id (default "msisync-sim").
	ClientID string
	// ClientSecret is the accepted OAuth client secret (default "sim-secret").
	ClientSecret string
	// TokenLifetime is the access-token lifetime (default 3599s).
	TokenLifetime time.Duration
	// MaxConcurrent is the concurrent API request limit (default 52); requests beyond it get 429.
	MaxConcurrent int
	// Latency is added to every API request (after it took a concurrency slot); 0 = none.
	Latency time.Duration
	// Seed, when set, generates an org with Seed(*Seed) during New.
	Seed *SeedOptions
	// Now is the clock (default time.Now); used for modifiedon and token expiry.
	Now func() time.Time
	// WebhookDelay is how long after an operation its webhook notifications are sent
	// (default 200ms; Dataverse's asynchronous service takes about as long or longer).
	WebhookDelay time.Duration
}

// Simulator is an in-memory Dataverse Web API v9.2 environment. It implements http.Handler;
// the base URL is taken from each request's Host (http://<host>). All methods are safe for
// concurrent use.
type Simulator struct {
	opts     Options
	org      *org
	tokens   tokenStore
	faults   faultState
	deltas   deltaStore
	stats    statsState
	inflight atomic.Int64
	admin    *http.ServeMux
	hooks    webhooks

	idsMu          sync.Mutex
	organizationID string
	businessUnitID string
	appUserID      string
	report         SeedReport
}

// New returns a Simulator configured by opts. The org always holds the application user
// (WhoAmI's UserId, accessmode 4) and the out-of-box connection roles; opts.Seed adds a
// generated org.
func New(opts Options) *Simulator {
	if opts.ClientID == "" {
		opts.ClientID = "msisync-sim"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "sim-secret"
	}
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = 3599 * time.Second
	}
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = 52
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.WebhookDelay <= 0 {
		opts.WebhookDelay = 200 * time.Millisecond
	}
	s := &Simulator{opts: opts, org: newOrg(opts.Now)}
	s.tokens.tokens = map[string]tokenInfo{}
	s.stats.requests = map[string]int64{}
	s.admin = s.adminMux()
	var seed int64 = 1
	if opts.Seed != nil {
		seed = opts.Seed.Random
	}
	s.baseline(seed)
	s.registrationBaseline(seed)
	if opts.Seed != nil {
		s.Seed(*opts.Seed)
	}
	return s
}

// ServeHTTP routes token, admin (/_sim/) and Web API requests.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/_sim/"):
		s.serveAdmin(w, r)
	case strings.HasSuffix(p, "/oauth2/v2.0/token") && strings.Count(p, "/") == 4:
		s.serveToken(w, r)
	case strings.HasPrefix(p, apiPrefix) || p == strings.TrimSuffix(apiPrefix, "/"):
		s.serveAPI(w, r)
	default:
		writeError(w, errUnknownSegment(strings.TrimPrefix(p, "/")))
	}
}

// baseURL returns http://<host> of r.
func baseURL(r *http.Request) string { return "http://" + r.Host }

// serveAPI applies the concurrency limit, authentication and injected faults, then dispatches.
func (s *Simulator) serveAPI(w http.ResponseWriter, r *http.Request) {
	s.stats.countRequest(r.Method)
	n := s.inflight.Add(1)
	defer s.inflight.Add(-1)
	if n > int64(s.opts.MaxConcurrent) {
		s.stats.add(&s.stats.throttled, 1)
		s.stats.add(&s.stats.concurrencyRejected, 1)
		writeError(w, &apiError{status: http.StatusTooManyRequests, code: "0x80072326", retryAfter: 1,
			msg: fmt.Sprintf("Number of concurrent requests exceeded the limit of %d.", s.opts.MaxConcurrent)})
		return
	}
	if e := s.authenticate(w, r); e != nil {
		s.stats.add(&s.stats.unauthorized, 1)
		writeError(w, e)
		return
	}
	if e := s.faults.take(); e != nil {
		if e.status == http.StatusTooManyRequests {
			s.stats.add(&s.stats.throttled, 1)
		} else {
			s.stats.add(&s.stats.injectedFailures, 1)
		}
		writeError(w, e)
		return
	}
	if d := s.latency(); d > 0 {
		time.Sleep(d)
	}
	s.dispatch(w, r, false)
}

// dispatch serves one authenticated Web API request (also used for $batch parts).
func (s *Simulator) dispatch(w http.ResponseWriter, r *http.Request, inBatch bool) {
	rest := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, strings.TrimSuffix(apiPrefix, "/")), "/")
	switch {
	case rest == "WhoAmI" || rest == "WhoAmI()":
		s.serveWhoAmI(w, r)
		return
	case rest == "$batch":
		if inBatch {
			writeError(w, errBadRequest("Batch requests cannot be nested."))
			return
		}
		s.serveBatch(w, r)
		return
	case strings.HasPrefix(rest, "EntityDefinitions"):
		s.serveMetadata(w, r, rest)
		return
	}
	if i := strings.IndexByte(rest, '('); i > 0 {
		set, id, ok := parseKeySegment(rest)
		if defsBySet[rest[:i]] == nil {
			writeError(w, errUnknownSegment(rest[:i]))
			return
		}
		if !ok {
			writeError(w, errBadRequest("Bad Request - Error in query syntax."))
			return
		}
		s.serveRow(w, r, defsBySet[set], id, inBatch)
		return
	}
	def := defsBySet[rest]
	if def == nil {
		writeError(w, errUnknownSegment(rest))
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.serveCollection(w, r, def)
	case http.MethodPost:
		s.serveCreate(w, r, def)
	default:
		writeError(w, &apiError{status: http.StatusMethodNotAllowed, code: "0x80060888",
			msg: "The HTTP method '" + r.Method + "' is not allowed on an entity set."})
	}
}

// serveWhoAmI answers the WhoAmI function.
func (s *Simulator) serveWhoAmI(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeError(w, &apiError{status: http.StatusMethodNotAllowed, code: "0x80060888", msg: "WhoAmI only supports GET."})
		return
	}
	s.idsMu.Lock()
	body := obj{
		{"@odata.context", baseURL(r) + apiPrefix + "$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse"},
		{"BusinessUnitId", s.businessUnitID}, {"UserId", s.appUserID}, {"OrganizationId", s.organizationID},
	}
	s.idsMu.Unlock()
	writeJSON(w, http.StatusOK, body)
}
