package auth

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	ov1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// orchestratorMethods lists the full method name of every RPC of every service in the
// orchestrator's proto package, as registered in the generated code.
func orchestratorMethods(t *testing.T) []string {
	t.Helper()
	_ = ov1.File_msisync_orchestrator_v1_auth_service_proto // links the generated package
	var out []string
	protoregistry.GlobalFiles.RangeFilesByPackage("msisync.orchestrator.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			svc := fd.Services().Get(i)
			for j := range svc.Methods().Len() {
				out = append(out, "/"+string(svc.FullName())+"/"+string(svc.Methods().Get(j).Name()))
			}
		}
		return true
	})
	if len(out) < 40 {
		t.Fatalf("found only %d orchestrator RPCs: %v", len(out), out)
	}
	return out
}

func TestEveryRPCIsClassified(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, m := range orchestratorMethods(t) {
		seen[m] = true
		n := 0
		for _, set := range []map[string]bool{writeMethods, readMethods, publicMethods} {
			if set[m] {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s is in %d of writeMethods, readMethods and publicMethods; put it in exactly one (roles.go)", m, n)
		}
	}
	for _, set := range []map[string]bool{writeMethods, readMethods, publicMethods} {
		for m := range set {
			if !seen[m] {
				t.Errorf("%s is classified but is no orchestrator RPC", m)
			}
		}
	}
}

func TestReadOnlyClientsCannotWrite(t *testing.T) {
	t.Parallel()
	a, _ := newAuth(t)
	ctx := context.Background()
	if err := a.store.PutClient(ctx, store.Client{ID: "reader", SecretHash: HashSecret("reader-secret-0123"), Role: store.RoleReadOnly}); err != nil {
		t.Fatal(err)
	}
	if err := a.store.PutClient(ctx, store.Client{ID: "boss", SecretHash: HashSecret("boss-secret-01234"), Role: store.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if err := a.store.PutClient(ctx, store.Client{ID: "eye", SecretHash: HashSecret("eye-secret-012345"), Role: store.RoleAuditor}); err != nil {
		t.Fatal(err)
	}
	call := func(clientID, secret, method string) (string, bool) {
		tok, _, err := a.Issue(ctx, clientID, secret)
		if err != nil {
			t.Fatal(err)
		}
		in := metadataCtx(ctx, tok)
		reached := false
		_, err = a.UnaryInterceptor()(in, nil, &grpc.UnaryServerInfo{FullMethod: method}, func(ctx context.Context, _ any) (any, error) {
			reached = true
			return nil, nil
		})
		if err == nil {
			return "", reached
		}
		return code(err), reached
	}
	for _, m := range orchestratorMethods(t) {
		if publicMethods[m] {
			continue
		}
		got, reached := call("reader", "reader-secret-0123", m)
		switch {
		case writeMethods[m] && (got != "603" || reached):
			t.Errorf("read-only client writing with %s: code %q, handler reached %v; want 603", m, got, reached)
		case !writeMethods[m] && (got != "" || !reached):
			t.Errorf("read-only client reading with %s: code %q, handler reached %v; want it served", m, got, reached)
		}
		if got, reached := call("client", "s3cret-s3cret", m); got != "" || !reached {
			t.Errorf("read-write client calling %s: code %q; want it served", m, got)
		}
		if got, reached := call("boss", "boss-secret-01234", m); got != "" || !reached {
			t.Errorf("admin client calling %s: code %q; want it served", m, got)
		}
		got, reached = call("eye", "eye-secret-012345", m)
		switch {
		case writeMethods[m] && (got != "603" || reached):
			t.Errorf("auditor client writing with %s: code %q, handler reached %v; want 603", m, got, reached)
		case !writeMethods[m] && (got != "" || !reached):
			t.Errorf("auditor client reading with %s: code %q, handler reached %v; want it served", m, got, reached)
		}
	}
}

// metadataCtx returns an incoming call's context carrying the bearer token.
func metadataCtx(ctx context.Context, token string) context.Context {
	return metadata.NewIncomingContext(ctx, metadata.Pairs("authorization", "Bearer "+token))
}
