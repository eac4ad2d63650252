package marketoclient

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// instance answers like a Marketo instance with MSI non-native, less the fields in missing;
// salesPersons610 makes the sales persons API answer 610.
func instance(missing map[string]bool, salesPersons610 bool) func(int, *http.Request) (int, string) {
	describe := func(name string, fields ...string) string {
		var fs []map[string]any
		for _, f := range append([]string{"id", "email"}, fields...) {
			if !missing[f] {
				fs = append(fs, map[string]any{"name": f, "dataType": "string", "updateable": f != "id"})
			}
		}
		return ok([]map[string]any{{"name": name, "fields": fs}})
	}
	return func(_ int, r *http.Request) (int, string) {
		switch strings.TrimPrefix(r.URL.Path, "/rest/v1/") {
		case "salespersons/describe.json":
			if salesPersons610 {
				return 200, failure("610", "Requested resource not found")
			}
			return 200, describe("SalesPerson", "externalSalesPersonId")
		case "companies/describe.json":
			return 200, describe("Company", "externalCompanyId")
		case "leads/describe2.json":
			return 200, describe("API Lead", "externalPersonId")
		case "leads.json":
			if r.Method == http.MethodPost {
				return 200, ok([]map[string]any{{"status": "skipped", "reasons": []map[string]any{{"code": "1004", "message": "Lead not found"}}}})
			}
			return 200, ok([]any{})
		case "stats/usage.json":
			return 200, ok([]map[string]any{{"date": "2026-12-08", "total": 42}})
		}
		return 200, failure("610", "Requested resource not found")
	}
}

func TestCheckPassesOnAnMSINonNativeInstance(t *testing.T) {
	f := newFake(t, nil)
	f.reply = instance(nil, false)
	rep, err := f.client(Defaults, &clock{t: start}).Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.UsageKnown || rep.Usage.Total != 42 || len(rep.Lines) != 6 || rep.Status.Limits.UsedToday < 42 {
		t.Errorf("report %+v; want usage 42 and 6 lines", rep)
	}
}

func TestCheckSaysWhatToFix(t *testing.T) {
	for name, c := range map[string]struct {
		reply  func(int, *http.Request) (int, string)
		secret string
		want   string
	}{
		"610 on sales persons": {reply: instance(nil, true), want: "MSI non-native is not enabled on this instance: ask Marketo support"},
		"no externalPersonId":  {reply: instance(map[string]bool{"externalPersonId": true}, false), want: "leads describe has no externalPersonId"},
		"no externalCompanyId": {reply: instance(map[string]bool{"externalCompanyId": true}, false), want: "MSI non-native is not enabled"},
		"wrong secret":         {reply: instance(nil, false), secret: "wrong", want: "check MSISYNC_MARKETO_CLIENT_ID and MSISYNC_MARKETO_CLIENT_SECRET"},
		"no write permission (603)": {reply: func(n int, r *http.Request) (int, string) {
			if r.Method == http.MethodPost {
				return 200, failure("603", "Access denied")
			}
			return instance(nil, false)(n, r)
		}, want: "Read-Write Lead permission"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, nil)
			f.reply = c.reply
			cfg := Defaults
			cfg.ClientSecret = "s3cret"
			if c.secret != "" {
				cfg.ClientSecret = "wrong"
			}
			_, err := f.client(cfg, &clock{t: start}).Check(context.Background())
			var ce *CheckError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err %v; want a CheckError saying %q", err, c.want)
			}
		})
	}
}

func TestCheckWantsTheDeclaredCustomFields(t *testing.T) {
	f := newFake(t, nil)
	f.reply = instance(nil, false)
	c := f.client(Defaults, &clock{t: start})
	rep, err := c.Check(context.Background(), "email")
	if err != nil || !strings.Contains(strings.Join(rep.Lines, "\n"), "declared custom fields email") {
		t.Fatalf("a field the instance has: %v, %v", rep.Lines, err)
	}
	_, err = c.Check(context.Background(), "email", "shoeSize")
	var ce *CheckError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "no field shoeSize, which MSISYNC_CUSTOM_FIELDS declares") {
		t.Errorf("a field the instance lacks: %v; want a CheckError naming shoeSize", err)
	}
}

func TestConfigValidateNamesTheVariable(t *testing.T) {
	if err := Defaults.Validate(); err != nil {
		t.Errorf("embedded defaults: %v", err)
	}
	for _, c := range []struct {
		cfg  func(*Config)
		want string
	}{
		{func(c *Config) { c.URL = "https://1-A.mktorest.com" }, "MSISYNC_MARKETO_CLIENT_ID is empty"},
		{func(c *Config) { c.URL, c.ClientID = "https://1-A.mktorest.com", "x" }, "MSISYNC_MARKETO_CLIENT_SECRET is empty"},
		{func(c *Config) { c.URL, c.ClientID, c.ClientSecret = "1-A.mktorest.com", "x", "y" }, "MSISYNC_MARKETO_URL is"},
		{func(c *Config) { c.URL, c.ClientID, c.ClientSecret = "https://1-A.mktorest.com/rest", "x", "y" }, "without a path"},
		{func(c *Config) { c.ClientID = "x" }, "MSISYNC_MARKETO_URL is empty"},
		{func(c *Config) { c.QuotaReserve = 100 }, "MSISYNC_MARKETO_QUOTA_RESERVE"},
		{func(c *Config) { c.RateLimitCalls = 0 }, "MSISYNC_MARKETO_RATE_LIMIT_CALLS"},
		{func(c *Config) { c.MaxConcurrency = 0 }, "MSISYNC_MARKETO_MAX_CONCURRENCY"},
		{func(c *Config) { c.DailyQuota = 0 }, "MSISYNC_MARKETO_DAILY_QUOTA"},
		{func(c *Config) { c.RateLimitWindow = 0 }, "MSISYNC_MARKETO_RATE_LIMIT_WINDOW"},
	} {
		cfg := Defaults
		c.cfg(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate() = %v; want %q", err, c.want)
		}
	}
}
