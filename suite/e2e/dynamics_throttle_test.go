package e2e

import (
	"testing"

	"github.com/msisync/msisync/connectors/dynamics/simulator"
)

func TestDynamicsSustainedThrottlingDoesNotEndTheCycle(t *testing.T) {
	e := newDynamicsEnv(t, simulator.SeedOptions{Random: 21, Users: 3, Accounts: 5, Contacts: 10, Leads: 3, Opportunities: 3})
	e.sync()
	var contact string
	for id := range e.leads(e.sim.IDs("contacts")) {
		contact = id
		break
	}
	if err := e.sim.Update("contacts", contact, map[string]any{"jobtitle": "Patient Buyer"}); err != nil {
		t.Fatal(err)
	}
	// Dataverse paces the connector: the cycle's first request is answered 429 twenty
	// times in a row, more than a request's 8 attempts. Throttling is waited out within
	// the throttle budget, so the cycle completes and the change arrives.
	e.sim.ThrottleRetryNow(20)
	rep := e.sync()
	if got := e.leads([]string{contact}, "title")[contact]["title"]; got != "Patient Buyer" {
		t.Errorf("the changed contact's title after a throttled cycle = %v: %s", got, rep)
	}
	if s := e.conn.Dataverse().Stats(); s.Throttled < 20 {
		t.Errorf("Dataverse throttled answers seen = %d, want 20", s.Throttled)
	}
}
