package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

type sample struct {
	Addr   string `env:"SAMPLE_ADDR" envDefault:"127.0.0.1:1"`
	Secret Secret `env:"SAMPLE_SECRET"`
	Store  Store
	Log    Log
}

func TestLoadReadsPrefixedVariables(t *testing.T) {
	t.Setenv("MSISYNC_SAMPLE_SECRET", "hunter2")
	t.Setenv("MSISYNC_DATA_DIR", "/tmp/x")
	t.Setenv("MSISYNC_LOG_LEVEL", "debug")
	var cfg sample
	if err := Load(&cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:1" || cfg.Secret.Value() != "hunter2" || cfg.Store.DataDir != "/tmp/x" || cfg.Log.Level != slog.LevelDebug {
		t.Errorf("Load = %+v", cfg)
	}
	if cfg.Store.SQLiteSynchronous != "NORMAL" {
		t.Errorf("default synchronous = %q, want NORMAL", cfg.Store.SQLiteSynchronous)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	t.Parallel()
	s := Secret("hunter2")
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("cfg", "secret", s, "struct", sample{Secret: s})
	j, _ := json.Marshal(sample{Secret: s})
	for _, out := range []string{buf.String(), fmt.Sprint(s), fmt.Sprintf("%v %s", s, s), string(j)} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("secret leaked: %s", out)
		}
	}
}

func TestStoreValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		store   Store
		wantErr string
	}{
		{name: "sqlite", store: Store{DataDir: "./data", SQLiteSynchronous: "normal"}},
		{name: "postgres", store: Store{DatabaseURL: "postgres://u@h/db", SQLiteSynchronous: "FULL"}},
		{name: "no dir", store: Store{SQLiteSynchronous: "NORMAL"}, wantErr: "MSISYNC_DATA_DIR"},
		{name: "bad url", store: Store{DataDir: "d", DatabaseURL: "mysql://x", SQLiteSynchronous: "NORMAL"}, wantErr: "postgres://"},
		{name: "bad sync", store: Store{DataDir: "d", SQLiteSynchronous: "OFF"}, wantErr: "NORMAL or FULL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.store.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate = %v, want an error mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestCheckAddr(t *testing.T) {
	t.Parallel()
	if err := CheckAddr("MSISYNC_X_ADDR", "127.0.0.1:9101"); err != nil {
		t.Errorf("valid address refused: %v", err)
	}
	if err := CheckAddr("MSISYNC_X_ADDR", "no-port"); err == nil || !strings.Contains(err.Error(), "MSISYNC_X_ADDR") {
		t.Errorf("CheckAddr(no-port) = %v, want an error naming the variable", err)
	}
}

func TestLoadNamesTheVariableInParseErrors(t *testing.T) {
	t.Setenv("MSISYNC_SAMPLE_TTL", "forever")
	t.Setenv("MSISYNC_LOG_LEVEL", "loud")
	var cfg struct {
		TTL time.Duration `env:"SAMPLE_TTL" envDefault:"1h"`
		Log Log
	}
	err := Load(&cfg)
	if err == nil {
		t.Fatal("Load accepted MSISYNC_SAMPLE_TTL=forever")
	}
	for _, want := range []string{`MSISYNC_SAMPLE_TTL="forever" is not a duration such as 90s, 30m or 24h`, `MSISYNC_LOG_LEVEL="loud" is not a log level`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
