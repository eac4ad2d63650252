package config

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

type effectiveSample struct {
	Addr    string            `env:"SAMPLE_ADDR" envDefault:"127.0.0.1:1"`
	Secret  Secret            `env:"SAMPLE_SECRET"`
	Unset   Secret            `env:"SAMPLE_UNSET_SECRET"`
	DBURL   Secret            `env:"SAMPLE_DATABASE_URL"`
	Wait    time.Duration     `env:"SAMPLE_WAIT" envDefault:"90s"`
	Columns map[string]string `env:"SAMPLE_COLUMNS" envKeyValSeparator:":"`
	Inner   effectiveInner    `envPrefix:"INNER_"`
	Store   Store
	Log     Log
	hidden  string // unexported fields are not settings
}

type effectiveInner struct {
	Size int `env:"SIZE" envDefault:"7"`
}

func TestLogEffectiveNamesEveryVariableAndNoSecret(t *testing.T) {
	t.Setenv("MSISYNC_SAMPLE_SECRET", "hunter2-secret-value")
	t.Setenv("MSISYNC_SAMPLE_DATABASE_URL", "postgres://msisync:pg-pass-word@db.internal:5432/msisync?sslmode=require&sslpassword=key-pass-word")
	t.Setenv("MSISYNC_DATABASE_URL", "postgresql://app:shared-pass-word@db:5432/app")
	t.Setenv("MSISYNC_SAMPLE_COLUMNS", "b:y,a:x")
	t.Setenv("MSISYNC_LOG_LEVEL", "debug")
	cfg := effectiveSample{hidden: "hidden-value"}
	if err := Load(&cfg); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	// The second section shares Store and Log with the first: they are logged once.
	LogEffective(log, Section{Name: "one", Config: &cfg}, Section{Name: "two", Config: struct {
		Store Store
		Own   string `env:"TWO_OWN" envDefault:"mine"`
	}{Store: cfg.Store, Own: "mine"}})
	out := buf.String()

	for _, secret := range []string{"hunter2-secret-value", "pg-pass-word", "key-pass-word", "shared-pass-word"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log shows the secret %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{
		`section=one`,
		`MSISYNC_SAMPLE_ADDR=127.0.0.1:1`,
		`MSISYNC_SAMPLE_SECRET=[redacted]`,
		`MSISYNC_SAMPLE_UNSET_SECRET=""`,
		`MSISYNC_SAMPLE_DATABASE_URL="postgres://msisync:[redacted]@db.internal:5432/msisync?sslmode=require&sslpassword=[redacted]"`,
		`MSISYNC_DATABASE_URL=postgresql://app:[redacted]@db:5432/app`,
		`MSISYNC_SAMPLE_WAIT=1m30s`,
		`MSISYNC_SAMPLE_COLUMNS=a:x,b:y`,
		`MSISYNC_INNER_SIZE=7`,
		`MSISYNC_DATA_DIR=./data`,
		`MSISYNC_SQLITE_SYNCHRONOUS=NORMAL`,
		`MSISYNC_LOG_LEVEL=DEBUG`,
		`MSISYNC_LOG_FORMAT=text`,
		`section=two`,
		`MSISYNC_TWO_OWN=mine`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %s:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "MSISYNC_DATA_DIR="); n != 1 {
		t.Errorf("MSISYNC_DATA_DIR logged %d times; want once:\n%s", n, out)
	}
	if n := strings.Count(out, "effective configuration"); n != 2 {
		t.Errorf("%d lines; want one per section:\n%s", n, out)
	}
	if strings.Contains(out, "hidden-value") {
		t.Errorf("an unexported field was logged:\n%s", out)
	}
}

func TestSettingsRedactsEverySecretThatIsNotADatabaseURL(t *testing.T) {
	t.Parallel()
	for _, s := range []Secret{"id:secret-one-123456,other:secret-two-123456", "not a url postgres://x:y@h/d", "postgres://%zz"} {
		got := Settings(struct {
			S Secret `env:"S"`
		}{S: s})
		if len(got) != 1 || got[0].Value != redacted {
			t.Errorf("Settings(%q) = %+v; want it redacted", s, got)
		}
	}
}
