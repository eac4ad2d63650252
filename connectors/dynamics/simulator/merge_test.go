package simulator

import "testing"

func TestQualifyAndMerge(t *testing.T) {
	s := New(Options{})
	owner := s.IDs("systemusers")[0]
	acct, err := s.Upsert("accounts", map[string]any{"name": "Acme", "_ownerid_value": owner})
	if err != nil {
		t.Fatal(err)
	}
	lead, err := s.Upsert("leads", map[string]any{"firstname": "Ada", "lastname": "Lovelace", "emailaddress1": "ada@example.com", "_ownerid_value": owner, "_parentaccountid_value": acct})
	if err != nil {
		t.Fatal(err)
	}
	contact, err := s.Qualify(lead)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := s.Get("contacts", contact)
	if c["_originatingleadid_value"] != lead || c["emailaddress1"] != "ada@example.com" || c["_parentcustomerid_value"] != acct {
		t.Fatalf("contact = %v", c)
	}
	l, _ := s.Get("leads", lead)
	if l["statecode"] == nil || l["statecode"] == 0 || l["_parentcontactid_value"] != contact {
		t.Fatalf("lead = %v", l)
	}
	if _, err := s.Qualify(lead); err == nil {
		t.Fatal("a qualified lead was qualified again")
	}

	other, err := s.Upsert("contacts", map[string]any{"lastname": "Byron", "_ownerid_value": owner})
	if err != nil {
		t.Fatal(err)
	}
	opp, err := s.Upsert("opportunities", map[string]any{"name": "Deal", "_customerid_value": other, "_ownerid_value": owner})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Merge("contacts", contact, other); err != nil {
		t.Fatal(err)
	}
	o, _ := s.Get("opportunities", opp)
	if o["_customerid_value"] != contact {
		t.Fatalf("opportunity customer = %v, want the master %s", o["_customerid_value"], contact)
	}
	sub, _ := s.Get("contacts", other)
	if sub["merged"] != true || sub["_masterid_value"] != contact {
		t.Fatalf("subordinate = %v", sub)
	}
	if err := s.Merge("contacts", contact, other); err == nil {
		t.Fatal("merged twice")
	}
	if err := s.Merge("opportunities", opp, opp); err == nil {
		t.Fatal("merged opportunities")
	}
}
