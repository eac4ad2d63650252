// Package compose checks the repository's docker-compose.yml and Dockerfile against the code.
//
// No Docker engine runs on the development machines or in CI, so the compose file cannot be
// started there; these tests catch what would break it anyway: a misspelt or removed
// MSISYNC_* setting, ports that disagree between a service's address, its healthcheck and
// the orchestrator's view of it, internal services without their mutual-TLS certificates,
// dangling depends_on entries, and build arguments naming a service that does not exist. When `docker compose` is installed, TestComposeConfig also
// runs `docker compose config -q`.
package compose

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

const (
	repoRoot       = "../.."
	composeFile    = repoRoot + "/docker-compose.yml"
	dockerfilePath = repoRoot + "/Dockerfile"
	envVarPrefix   = "MSISYNC_"
)

// suiteServices are the msisync services the compose file must run, each built from
// services/<name>/cmd/<name> and listening on MSISYNC_<NAME>_ADDR.
var suiteServices = []string{"identity", "account", "person", "opportunity", "scoring", "orchestrator"}

// downstream are the services the orchestrator dials, each through MSISYNC_<NAME>_ADDR.
var downstream = []string{"identity", "account", "person", "opportunity", "scoring"}

// topLevelKeys are the top-level keys of the Compose specification (x-* extensions aside).
var topLevelKeys = []string{"version", "name", "include", "services", "networks", "volumes", "configs", "secrets", "models"}

// serviceKeys are the service keys of the Compose specification (x-* extensions aside).
var serviceKeys = []string{
	"annotations", "attach", "blkio_config", "build", "cap_add", "cap_drop", "cgroup",
	"cgroup_parent", "command", "configs", "container_name", "cpu_count", "cpu_percent",
	"cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpu_shares", "cpus",
	"cpuset", "credential_spec", "depends_on", "deploy", "develop", "device_cgroup_rules",
	"devices", "dns", "dns_opt", "dns_search", "domainname", "driver_opts", "entrypoint",
	"env_file", "environment", "expose", "extends", "external_links", "extra_hosts", "gpus",
	"group_add", "healthcheck", "hostname", "image", "init", "ipc", "isolation", "label_file",
	"labels", "links", "logging", "mac_address", "mem_limit", "mem_reservation",
	"mem_swappiness", "memswap_limit", "models", "network_mode", "networks",
	"oom_kill_disable", "oom_score_adj", "pid", "pids_limit", "platform", "ports",
	"post_start", "pre_stop", "privileged", "profiles", "provider", "pull_policy", "read_only",
	"restart", "runtime", "scale", "secrets", "security_opt", "shm_size", "stdin_open",
	"stop_grace_period", "stop_signal", "storage_opt", "sysctls", "tmpfs", "tty", "ulimits",
	"use_api_socket", "user", "userns_mode", "uts", "volumes", "volumes_from", "working_dir",
}

// dependsConditions are the conditions depends_on accepts.
var dependsConditions = []string{"service_started", "service_healthy", "service_completed_successfully"}

// project is the part of a compose file these tests read.
type project struct {
	Services map[string]service `yaml:"services"`
}

// service is the part of a compose service these tests read.
type service struct {
	Image       string       `yaml:"image"`
	Build       *buildSpec   `yaml:"build"`
	Environment environment  `yaml:"environment"`
	Ports       []portSpec   `yaml:"ports"`
	Healthcheck *healthcheck `yaml:"healthcheck"`
	DependsOn   dependsOn    `yaml:"depends_on"`
	Command     command      `yaml:"command"`
	Volumes     []mount      `yaml:"volumes"`
}

// command is a service's command as its arguments (a string is split on spaces).
type command []string

func (c *command) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*c = strings.Fields(n.Value)
		return nil
	case yaml.SequenceNode:
		var l []string
		if err := n.Decode(&l); err != nil {
			return err
		}
		*c = l
		return nil
	}
	return fmt.Errorf("line %d: command is a string or a list", n.Line)
}

// mount is one volumes entry: what is mounted (a named volume or a host path) and where.
type mount struct {
	Source, Target string
	ReadOnly       bool
}

func (m *mount) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		// [source:]target[:mode]
		parts := strings.Split(n.Value, ":")
		switch len(parts) {
		case 1:
			m.Target = parts[0]
		default:
			m.Source, m.Target = parts[0], parts[1]
			m.ReadOnly = len(parts) > 2 && strings.Contains(parts[2], "ro")
		}
		return nil
	case yaml.MappingNode:
		var long struct {
			Source   string `yaml:"source"`
			Target   string `yaml:"target"`
			ReadOnly bool   `yaml:"read_only"`
		}
		if err := n.Decode(&long); err != nil {
			return err
		}
		*m = mount{Source: long.Source, Target: long.Target, ReadOnly: long.ReadOnly}
		return nil
	}
	return fmt.Errorf("line %d: a volume is a string or a mapping", n.Line)
}

// inVolume returns the named volume and the path inside it of a file the service sees at
// path, or "" when no volume is mounted there.
func (s service) inVolume(path string) (volume, rel string) {
	for _, m := range s.Volumes {
		if m.Source == "" || strings.HasPrefix(m.Source, ".") || strings.HasPrefix(m.Source, "/") {
			continue // anonymous volume or host path
		}
		if r, err := filepath.Rel(m.Target, path); err == nil && !strings.HasPrefix(r, "..") {
			return m.Source, r
		}
	}
	return "", ""
}

// buildSpec is a service's build: a context path, or a mapping with args.
type buildSpec struct {
	Context    string
	Dockerfile string
	Args       environment
}

func (b *buildSpec) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		b.Context = n.Value
		return nil
	}
	var long struct {
		Context    string      `yaml:"context"`
		Dockerfile string      `yaml:"dockerfile"`
		Args       environment `yaml:"args"`
	}
	if err := n.Decode(&long); err != nil {
		return err
	}
	*b = buildSpec{Context: long.Context, Dockerfile: long.Dockerfile, Args: long.Args}
	return nil
}

// environment is a KEY: value mapping or a list of KEY=value (and bare KEY) strings; a
// variable passed through from the shell without a value maps to "".
type environment map[string]string

func (e *environment) UnmarshalYAML(n *yaml.Node) error {
	out := environment{}
	switch n.Kind {
	case yaml.MappingNode:
		var m map[string]yaml.Node
		if err := n.Decode(&m); err != nil {
			return err
		}
		for k, v := range m {
			if v.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: %s must be a scalar", v.Line, k)
			}
			if v.Tag == "!!null" {
				out[k] = ""
			} else {
				out[k] = v.Value
			}
		}
	case yaml.SequenceNode:
		var l []string
		if err := n.Decode(&l); err != nil {
			return err
		}
		for _, kv := range l {
			k, v, _ := strings.Cut(kv, "=")
			if _, dup := out[k]; dup {
				return fmt.Errorf("line %d: %s is set twice", n.Line, k)
			}
			out[k] = v
		}
	default:
		return fmt.Errorf("line %d: expected a mapping or a list", n.Line)
	}
	*e = out
	return nil
}

// portSpec is one ports entry; Target is the container port.
type portSpec struct {
	Target string
}

func (p *portSpec) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		// [[ip:]published:]target[/protocol]
		s, _, _ := strings.Cut(n.Value, "/")
		p.Target = s[strings.LastIndex(s, ":")+1:]
		return nil
	case yaml.MappingNode:
		var long struct {
			Target int `yaml:"target"`
		}
		if err := n.Decode(&long); err != nil {
			return err
		}
		p.Target = strconv.Itoa(long.Target)
		return nil
	}
	return fmt.Errorf("line %d: a port is a string or a mapping", n.Line)
}

// healthcheck is a service's healthcheck; Test is its command as one string.
type healthcheck struct {
	Test    string
	Disable bool
}

func (h *healthcheck) UnmarshalYAML(n *yaml.Node) error {
	var raw struct {
		Test    yaml.Node `yaml:"test"`
		Disable bool      `yaml:"disable"`
	}
	if err := n.Decode(&raw); err != nil {
		return err
	}
	h.Disable = raw.Disable
	switch raw.Test.Kind {
	case 0:
	case yaml.ScalarNode:
		h.Test = raw.Test.Value
	case yaml.SequenceNode:
		var l []string
		if err := raw.Test.Decode(&l); err != nil {
			return err
		}
		if len(l) > 0 && (l[0] == "CMD" || l[0] == "CMD-SHELL" || l[0] == "NONE") {
			l = l[1:]
		}
		h.Test = strings.Join(l, " ")
	default:
		return fmt.Errorf("line %d: healthcheck test is a string or a list", raw.Test.Line)
	}
	return nil
}

// dependsOn maps each service depended on to its condition.
type dependsOn map[string]string

func (d *dependsOn) UnmarshalYAML(n *yaml.Node) error {
	out := dependsOn{}
	switch n.Kind {
	case yaml.SequenceNode:
		var l []string
		if err := n.Decode(&l); err != nil {
			return err
		}
		for _, s := range l {
			out[s] = "service_started"
		}
	case yaml.MappingNode:
		var m map[string]struct {
			Condition string `yaml:"condition"`
		}
		if err := n.Decode(&m); err != nil {
			return err
		}
		for k, v := range m {
			if v.Condition == "" {
				v.Condition = "service_started"
			}
			out[k] = v.Condition
		}
	default:
		return fmt.Errorf("line %d: depends_on is a list or a mapping", n.Line)
	}
	*d = out
	return nil
}

// loadCompose reads path strictly: unknown top-level or service keys are errors, and every
// service needs an image or a build.
func loadCompose(path string) (*project, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: the file must be one YAML mapping", path)
	}
	root := doc.Content[0]
	var errs []error
	errs = append(errs, checkKeys(root, topLevelKeys, "top-level key")...)
	services := lookup(root, "services")
	if services == nil || services.Kind != yaml.MappingNode {
		return nil, errors.Join(append(errs, fmt.Errorf("%s: no services mapping", path))...)
	}
	for i := 0; i+1 < len(services.Content); i += 2 {
		name, body := services.Content[i].Value, resolve(services.Content[i+1])
		if body.Kind != yaml.MappingNode {
			errs = append(errs, fmt.Errorf("line %d: service %q is not a mapping", body.Line, name))
			continue
		}
		errs = append(errs, checkKeys(body, serviceKeys, fmt.Sprintf("key of service %q", name))...)
		if lookup(body, "image") == nil && lookup(body, "build") == nil {
			errs = append(errs, fmt.Errorf("line %d: service %q has neither image nor build", body.Line, name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var p project
	if err := root.Decode(&p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &p, nil
}

// checkKeys reports every key of mapping m that is neither in known, an x-* extension nor a
// YAML merge key.
func checkKeys(m *yaml.Node, known []string, what string) []error {
	var errs []error
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if slices.Contains(known, k.Value) || strings.HasPrefix(k.Value, "x-") || k.Value == "<<" {
			continue
		}
		errs = append(errs, fmt.Errorf("line %d: unknown %s %q", k.Line, what, k.Value))
	}
	return errs
}

// lookup returns the value of key in mapping m, or nil.
func lookup(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return resolve(m.Content[i+1])
		}
	}
	return nil
}

// resolve follows YAML aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// settings are the MSISYNC_* variables the code reads, each with its envDefault ("" if none).
type settings map[string]string

// realSettings collects the settings declared by env struct tags in the non-test Go files
// under services/ and platform/. Fields with envPrefix are expanded with the settings of
// their (named) struct type, as github.com/caarlos0/env does.
func realSettings(t *testing.T) settings {
	t.Helper()
	type prefixed struct{ prefix, typ string }
	type structInfo struct {
		names    map[string]string // env name → envDefault
		prefixed []prefixed
	}
	structs := map[string]*structInfo{} // named struct type (simple name) → its tags
	all := settings{}
	var nested []prefixed

	fset := token.NewFileSet()
	for _, dir := range []string{"services", "platform", "connectors"} {
		root := filepath.Join(repoRoot, dir)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "vendor") {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				var name string
				var st *ast.StructType
				switch n := n.(type) {
				case *ast.TypeSpec:
					s, ok := n.Type.(*ast.StructType)
					if !ok {
						return true
					}
					name, st = n.Name.Name, s
				case *ast.StructType:
					st = n // anonymous; named ones are seen (first) as their TypeSpec
				default:
					return true
				}
				info := &structInfo{names: map[string]string{}}
				for _, field := range st.Fields.List {
					if field.Tag == nil {
						continue
					}
					raw, err := strconv.Unquote(field.Tag.Value)
					if err != nil {
						continue
					}
					tag := reflect.StructTag(raw)
					if env, ok := tag.Lookup("env"); ok {
						env, _, _ = strings.Cut(env, ",")
						if env != "" && env != "-" {
							def := tag.Get("envDefault")
							info.names[env] = def
							all[envVarPrefix+env] = def
						}
					}
					if p, ok := tag.Lookup("envPrefix"); ok && p != "" {
						if typ := typeName(field.Type); typ != "" {
							info.prefixed = append(info.prefixed, prefixed{p, typ})
							nested = append(nested, prefixed{p, typ})
						}
					}
				}
				if name != "" {
					if old, ok := structs[name]; ok { // same simple name in two packages: union
						for k, v := range info.names {
							old.names[k] = v
						}
						old.prefixed = append(old.prefixed, info.prefixed...)
					} else {
						structs[name] = info
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatalf("scanning %s for env tags: %v", root, err)
		}
	}

	// expand returns the names a struct type contributes, envPrefix fields included.
	var expand func(typ string, seen map[string]bool) map[string]string
	expand = func(typ string, seen map[string]bool) map[string]string {
		out := map[string]string{}
		info, ok := structs[typ]
		if !ok || seen[typ] {
			return out
		}
		seen[typ] = true
		defer delete(seen, typ)
		for k, v := range info.names {
			out[k] = v
		}
		for _, p := range info.prefixed {
			for k, v := range expand(p.typ, seen) {
				out[p.prefix+k] = v
			}
		}
		return out
	}
	for _, p := range nested {
		for k, v := range expand(p.typ, map[string]bool{}) {
			all[envVarPrefix+p.prefix+k] = v
		}
	}
	// Guard against a scanner that silently finds nothing.
	for _, must := range []string{"MSISYNC_DATABASE_URL", "MSISYNC_IDENTITY_ADDR", "MSISYNC_ORCHESTRATOR_ADDR"} {
		if _, ok := all[must]; !ok {
			t.Fatalf("the env-tag scan of services/, platform/ and connectors/ did not find %s; found %v", must, all.names())
		}
	}
	return all
}

// typeName returns the simple name of a field type (T, *T, pkg.T, *pkg.T), or "".
func typeName(e ast.Expr) string {
	if s, ok := e.(*ast.StarExpr); ok {
		e = s.X
	}
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	}
	return ""
}

// names returns the settings' names, sorted.
func (s settings) names() []string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// addrVar is the setting holding a service's gRPC address: MSISYNC_<NAME>_ADDR.
func addrVar(svc string) string { return envVarPrefix + strings.ToUpper(svc) + "_ADDR" }

// portOf returns the port of a host:port address.
func portOf(addr string) (host, port string, err error) {
	host, port, err = net.SplitHostPort(addr)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	return host, port, err
}

// healthPort finds the local port a healthcheck command probes.
var healthPort = regexp.MustCompile(`(?:localhost|127\.0\.0\.1|\[::1\]):(\d+)`)

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestCompose(t *testing.T) {
	p, err := loadCompose(composeFile)
	if err != nil {
		t.Fatalf("docker-compose.yml does not parse strictly:\n%v", err)
	}
	real := realSettings(t)

	t.Run("services exist", func(t *testing.T) {
		for _, name := range append([]string{"postgres"}, suiteServices...) {
			if _, ok := p.Services[name]; !ok {
				t.Errorf("docker-compose.yml has no service %q (it has %v)", name, sortedKeys(p.Services))
			}
		}
	})

	t.Run("MSISYNC settings are real", func(t *testing.T) {
		for _, name := range sortedKeys(p.Services) {
			svc := p.Services[name]
			for _, k := range sortedKeys(svc.Environment) {
				if !strings.HasPrefix(k, envVarPrefix) {
					continue
				}
				if _, ok := real[k]; !ok {
					t.Errorf("service %q sets %s, but no env:%q struct tag under services/, platform/ or connectors/ declares it; the settings are:\n  %s",
						name, k, strings.TrimPrefix(k, envVarPrefix), strings.Join(real.names(), "\n  "))
				}
			}
		}
	})

	t.Run("listen ports", func(t *testing.T) {
		for _, name := range suiteServices {
			svc, ok := p.Services[name]
			if !ok {
				continue // reported by "services exist"
			}
			t.Run(name, func(t *testing.T) {
				grpcPort := checkListen(t, name, svc, addrVar(name), real)
				listens := []string{grpcPort}
				probed := grpcPort
				if name == "orchestrator" {
					httpPort := checkListen(t, name, svc, "MSISYNC_HTTP_ADDR", real)
					listens = append(listens, httpPort)
					probed = httpPort
					for _, want := range []string{grpcPort, httpPort} {
						if want != "" && !slices.ContainsFunc(svc.Ports, func(p portSpec) bool { return p.Target == want }) {
							t.Errorf("orchestrator does not publish port %s (ports: %v)", want, svc.Ports)
						}
					}
				}
				if m := svc.Environment["MSISYNC_METRICS_ADDR"]; m != "" {
					if _, port, err := portOf(m); err == nil {
						listens = append(listens, port)
					}
				}
				for _, pub := range svc.Ports {
					if !slices.Contains(listens, pub.Target) {
						t.Errorf("service %q publishes container port %s, on which it does not listen (it listens on %v)", name, pub.Target, listens)
					}
				}
				switch {
				case svc.Healthcheck == nil || svc.Healthcheck.Disable || svc.Healthcheck.Test == "":
					t.Errorf("service %q has no healthcheck", name)
				case probed != "":
					m := healthPort.FindStringSubmatch(svc.Healthcheck.Test)
					if m == nil {
						t.Errorf("service %q: healthcheck %q probes no localhost:<port>", name, svc.Healthcheck.Test)
					} else if m[1] != probed {
						t.Errorf("service %q: healthcheck probes port %s but the service listens on %s", name, m[1], probed)
					}
					if name == "orchestrator" && !strings.Contains(svc.Healthcheck.Test, "/healthz") {
						t.Errorf("orchestrator: healthcheck %q does not ask the gateway's /healthz", svc.Healthcheck.Test)
					} else if name != "orchestrator" && !strings.Contains(svc.Healthcheck.Test, "grpc_health_probe") {
						t.Errorf("service %q: healthcheck %q does not use grpc_health_probe", name, svc.Healthcheck.Test)
					}
				}
			})
		}
	})

	t.Run("orchestrator targets", func(t *testing.T) {
		orch, ok := p.Services["orchestrator"]
		if !ok {
			t.Skip("no orchestrator service (reported by services exist)")
		}
		for _, target := range downstream {
			v := addrVar(target)
			addr, ok := orch.Environment[v]
			if !ok {
				t.Errorf("orchestrator does not set %s: it would dial its default, 127.0.0.1, inside its own container", v)
				continue
			}
			host, port, err := portOf(addr)
			if err != nil {
				t.Errorf("orchestrator: %s=%q is not host:port: %v", v, addr, err)
				continue
			}
			if host != target {
				t.Errorf("orchestrator: %s=%q points at host %q; want the compose service %q", v, addr, host, target)
			}
			if svc, ok := p.Services[target]; ok {
				if _, want, err := portOf(svc.Environment[v]); err == nil && port != want {
					t.Errorf("orchestrator: %s=%q uses port %s but service %q listens on %s", v, addr, port, target, want)
				}
			}
			if _, ok := orch.DependsOn[target]; !ok {
				t.Errorf("orchestrator dials %s but does not depend_on it", target)
			}
		}
	})

	t.Run("internal TLS", func(t *testing.T) {
		checkInternalTLS(t, p)
	})

	t.Run("depends_on", func(t *testing.T) {
		for _, name := range sortedKeys(p.Services) {
			svc := p.Services[name]
			for _, dep := range sortedKeys(svc.DependsOn) {
				cond := svc.DependsOn[dep]
				target, ok := p.Services[dep]
				switch {
				case !ok:
					t.Errorf("service %q depends on %q, which is not a service (services: %v)", name, dep, sortedKeys(p.Services))
				case dep == name:
					t.Errorf("service %q depends on itself", name)
				case !slices.Contains(dependsConditions, cond):
					t.Errorf("service %q: depends_on %q has condition %q; use one of %v", name, dep, cond, dependsConditions)
				case cond == "service_healthy" && (target.Healthcheck == nil || target.Healthcheck.Disable):
					t.Errorf("service %q waits for %q to be healthy, but %q has no healthcheck", name, dep, dep)
				}
			}
			if strings.Contains(svc.Environment["MSISYNC_DATABASE_URL"], "@postgres:") && svc.DependsOn["postgres"] != "service_healthy" {
				t.Errorf("service %q uses the postgres service but does not depend_on it with condition service_healthy", name)
			}
		}
	})

	t.Run("build args", func(t *testing.T) {
		for _, name := range sortedKeys(p.Services) {
			svc := p.Services[name]
			if svc.Build == nil {
				if slices.Contains(suiteServices, name) {
					t.Errorf("service %q has no build: it must be built from the repository's Dockerfile", name)
				}
				continue
			}
			ctx := filepath.Join(repoRoot, svc.Build.Context)
			df := svc.Build.Dockerfile
			if df == "" {
				df = "Dockerfile"
			}
			if _, err := os.Stat(filepath.Join(ctx, df)); err != nil {
				t.Errorf("service %q: build context %q has no %s: %v", name, svc.Build.Context, df, err)
			}
			arg, ok := svc.Build.Args["SERVICE"]
			if !ok || arg == "" {
				t.Errorf("service %q: build has no SERVICE argument", name)
				continue
			}
			pkg := "./services/" + arg + "/cmd/" + arg // the Dockerfile's default PACKAGE
			if p := svc.Build.Args["PACKAGE"]; p != "" {
				pkg = p
			}
			if fi, err := os.Stat(filepath.Join(repoRoot, pkg)); err != nil || !fi.IsDir() {
				t.Errorf("service %q: builds %s (SERVICE=%s), but there is no such directory", name, pkg, arg)
			} else if _, err := os.Stat(filepath.Join(repoRoot, pkg, "main.go")); err != nil {
				t.Errorf("service %q: builds %s, which has no main.go", name, pkg)
			}
			if slices.Contains(suiteServices, name) && arg != name {
				t.Errorf("service %q is built with SERVICE=%s; want SERVICE=%s", name, arg, name)
			}
		}
	})

	t.Run("Dockerfile", func(t *testing.T) {
		data, err := os.ReadFile(dockerfilePath)
		if err != nil {
			t.Fatalf("the compose services are built from the Dockerfile: %v", err)
		}
		for _, want := range []string{"ARG SERVICE", "${SERVICE}", "ARG PACKAGE", "${PACKAGE}", "grpc_health_probe"} {
			if !strings.Contains(string(data), want) {
				t.Errorf("Dockerfile does not contain %q", want)
			}
		}
	})
}

// checkInternalTLS checks that the internal services require mutual TLS with certificates a
// one-shot `msisync certs` job writes into a volume they share with the orchestrator, that
// their healthchecks present the client certificate, and that they publish no port.
func checkInternalTLS(t *testing.T, p *project) {
	t.Helper()
	// The job: the all-in-one binary's certs command, writing into a named volume.
	var job, jobVolume, jobDir string
	for _, name := range sortedKeys(p.Services) {
		svc := p.Services[name]
		if svc.Build == nil || svc.Build.Args["PACKAGE"] != "./suite/cmd/msisync" || len(svc.Command) == 0 || svc.Command[0] != "certs" {
			continue
		}
		job = name
		dir := ""
		for i, a := range svc.Command {
			if a == "-dir" && i+1 < len(svc.Command) {
				dir = svc.Command[i+1]
			} else if d, ok := strings.CutPrefix(a, "-dir="); ok {
				dir = d
			}
		}
		if dir == "" {
			t.Errorf("service %q runs `msisync certs` without -dir: it would write into the container's working directory", name)
			continue
		}
		if jobVolume, jobDir = svc.inVolume(dir); jobVolume == "" {
			t.Errorf("service %q writes the certificates to %s, which is in no named volume: nobody else would see them", name, dir)
		}
	}
	if job == "" {
		t.Fatal("no service runs `msisync certs` (build PACKAGE ./suite/cmd/msisync, command [certs, -dir, …]): the internal services would have no certificates")
	}

	for _, name := range append(slices.Clone(downstream), "orchestrator") {
		svc, ok := p.Services[name]
		if !ok {
			continue // reported by "services exist"
		}
		if v := svc.Environment["MSISYNC_INTERNAL_TLS"]; strings.EqualFold(v, "off") {
			t.Errorf("service %q sets MSISYNC_INTERNAL_TLS=off", name)
		}
		cert, key := "server.pem", "server-key.pem"
		if name == "orchestrator" {
			cert, key = "client.pem", "client-key.pem"
		}
		want := map[string]string{"MSISYNC_TLS_CA": "ca.pem", "MSISYNC_TLS_CERT": cert, "MSISYNC_TLS_KEY": key}
		for _, v := range sortedKeys(want) {
			path, ok := svc.Environment[v]
			if !ok {
				t.Errorf("service %q does not set %s: the service would refuse to start, or with none of the three set generate a CA of its own in its container, which no other service trusts", name, v)
				continue
			}
			vol, rel := svc.inVolume(path)
			switch {
			case vol == "":
				t.Errorf("service %q: %s=%s is in no named volume", name, v, path)
			case vol != jobVolume || rel != filepath.Join(jobDir, want[v]):
				t.Errorf("service %q: %s=%s is %s in volume %q; %q writes %s in volume %q", name, v, path, rel, vol, job, filepath.Join(jobDir, want[v]), jobVolume)
			}
		}
		if cond := svc.DependsOn[job]; cond != "service_completed_successfully" {
			t.Errorf("service %q must depend_on %q with condition service_completed_successfully (has %q): it would start before its certificates exist", name, job, cond)
		}
		if name == "orchestrator" {
			continue
		}
		if len(svc.Ports) > 0 {
			t.Errorf("internal service %q publishes ports %v: only the orchestrator is public", name, svc.Ports)
		}
		if hc := svc.Healthcheck; hc != nil {
			ca, client, clientKey := svc.Environment["MSISYNC_TLS_CA"], "", ""
			if dir, _ := filepath.Split(ca); dir != "" {
				client, clientKey = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")
			}
			for _, flag := range []string{"-tls", "-tls-ca-cert=" + ca, "-tls-client-cert=" + client, "-tls-client-key=" + clientKey} {
				if !slices.Contains(strings.Fields(hc.Test), flag) {
					t.Errorf("service %q: healthcheck %q lacks %s: without the client certificate it would never pass", name, hc.Test, flag)
				}
			}
		}
	}
}

// checkListen checks that svc sets the address variable v to a host:port that listens on
// every interface and uses the code's default port; it returns the port ("" on error).
func checkListen(t *testing.T, name string, svc service, v string, real settings) string {
	t.Helper()
	addr, ok := svc.Environment[v]
	if !ok {
		t.Errorf("service %q does not set %s (the default listens on 127.0.0.1 only, unreachable from other containers)", name, v)
		return ""
	}
	host, port, err := portOf(addr)
	if err != nil {
		t.Errorf("service %q: %s=%q is not host:port: %v", name, v, addr, err)
		return ""
	}
	if host != "0.0.0.0" && host != "" && host != "::" {
		t.Errorf("service %q: %s=%q listens on %q only; use 0.0.0.0 so other containers reach it", name, v, addr, host)
	}
	def, ok := real[v]
	if !ok {
		return port // reported by "MSISYNC settings are real"
	}
	if _, defPort, err := portOf(def); err != nil {
		t.Errorf("%s has no usable envDefault host:port in the code (%q)", v, def)
	} else if port != defPort {
		t.Errorf("service %q: %s=%q uses port %s, but the code's default port is %s", name, v, addr, port, defPort)
	}
	return port
}

// TestComposeConfig runs `docker compose config -q` when a docker CLI with the compose
// plugin is installed; on the development machines and in CI there is none, and it skips.
func TestComposeConfig(t *testing.T) {
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("no docker CLI on this machine: docker-compose.yml is checked by TestCompose only")
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "docker", "compose", "version").CombinedOutput(); err != nil {
		t.Skipf("`docker compose version` failed (%v: %s): docker-compose.yml is checked by TestCompose only", err, strings.TrimSpace(string(out)))
	}
	cmd := exec.CommandContext(ctx, "docker", "compose", "-f", composeFile, "config", "-q")
	cmd.Env = os.Environ()
	if os.Getenv("MSISYNC_CLIENT_SECRET") == "" {
		cmd.Env = append(cmd.Env, "MSISYNC_CLIENT_SECRET=compose-config-check-secret")
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker compose config -q: %v\n%s", err, out)
	}
}
