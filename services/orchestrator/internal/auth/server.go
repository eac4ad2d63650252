package auth

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

// Server implements orchestratorv1.AuthService.
type Server struct {
	orchestratorv1.UnimplementedAuthServiceServer
	auth *Authenticator
}

var _ orchestratorv1.AuthServiceServer = (*Server)(nil)

// NewServer returns the AuthService over a.
func NewServer(a *Authenticator) *Server { return &Server{auth: a} }

// IssueToken implements orchestratorv1.AuthServiceServer.
func (s *Server) IssueToken(ctx context.Context, req *orchestratorv1.IssueTokenRequest) (*orchestratorv1.IssueTokenResponse, error) {
	if req.GetGrantType() != "client_credentials" {
		return nil, status.Errorf(codes.InvalidArgument, "grant_type must be client_credentials, not %q", req.GetGrantType())
	}
	if req.GetClientId() == "" || req.GetClientSecret() == "" {
		return nil, status.Error(codes.Unauthenticated, "Bad client credentials: send client_id and client_secret")
	}
	token, left, err := s.auth.Issue(ctx, req.GetClientId(), req.GetClientSecret())
	if errors.Is(err, ErrBadCredentials) {
		return nil, status.Error(codes.Unauthenticated, "Bad client credentials")
	}
	if err != nil {
		return nil, err
	}
	return &orchestratorv1.IssueTokenResponse{
		AccessToken: token,
		TokenType:   "bearer",
		ExpiresIn:   int32(left),
		Scope:       req.GetClientId(),
	}, nil
}
