package simulator

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// deltaStore remembers the delta tokens issued; ExpireDeltaTokens moves to a new generation.
type deltaStore struct {
	mu     sync.Mutex
	gen    int64
	tokens map[string]int64 // token -> generation it was issued in
}

// issue returns a delta token for org version v, shaped like Dataverse's "<version>!<timestamp>".
func (d *deltaStore) issue(v int64, now time.Time) string {
	tok := fmt.Sprintf("%d!%s", v, now.UTC().Format("01/02/2006 15:04:05"))
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tokens == nil {
		d.tokens = map[string]int64{}
	}
	d.tokens[tok] = d.gen
	return tok
}

// check returns the version of a delta token, or the "expired" error for tokens that were
// expired or were not issued by this simulator instance (e.g. after a restart).
func (d *deltaStore) check(tok string) (int64, *apiError) {
	vs, _, ok := strings.Cut(tok, "!")
	v, err := strconv.ParseInt(vs, 10, 64)
	if !ok || err != nil {
		return 0, errBadRequest(fmt.Sprintf("The delta token '%s' is not valid.", tok))
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if gen, ok := d.tokens[tok]; !ok || gen != d.gen {
		return 0, errExpiredDelta
	}
	return v, nil
}

// ExpireDeltaTokens expires every delta token issued so far: GETs of their deltaLinks answer
// 400 0x80044352 ("Version stamp associated with the client has expired...").
func (s *Simulator) ExpireDeltaTokens() {
	s.deltas.mu.Lock()
	defer s.deltas.mu.Unlock()
	s.deltas.gen++
}
