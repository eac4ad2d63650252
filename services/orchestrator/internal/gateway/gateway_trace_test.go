package gateway

import (
	"net/http/httptest"
	"testing"
)

func TestSecretsStayOutOfTraces(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url  string
		want bool
	}{
		{"/rest/v1/leads.json?filterType=id&filterValues=1", true},
		{"/v1/syncs/abc", true},
		{"/identity/oauth/token?grant_type=client_credentials&client_id=a&client_secret=s", false},
		{"/rest/v1/leads.json?filterType=id&filterValues=1&access_token=tok", false},
		{"/rest/v1/leads.json?client_secret=s", false},
		{"/healthz", false},
		{"/metrics", false},
	}
	for _, tt := range tests {
		if got := traced(httptest.NewRequest("GET", tt.url, nil)); got != tt.want {
			t.Errorf("traced(%s) = %v, want %v", tt.url, got, tt.want)
		}
	}
}
