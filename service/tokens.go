package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"sync"
	"time"

	"github.com/leadflow/leadflow"
)

// TokenPrefix starts every API token so that leaked secrets are easy to recognise and scan for.
const TokenPrefix = "lf_"

// tokenCacheTTL bounds how long another node may keep accepting a revoked token.
const tokenCacheTTL = 5 * time.Second

var roles = []string{leadflow.RoleAdmin, leadflow.RoleManager, leadflow.RoleRep, leadflow.RoleIntegration}

// HashToken returns the stored form of a token secret (S-SEC-1: tokens are stored hashed).
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NewTokenSecret returns a fresh random token secret.
func NewTokenSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// TokenRequest asks for a new API token.
type TokenRequest struct {
	Name  string `json:"name,omitempty"`
	Role  string `json:"role"`
	RepID int64  `json:"rep_id,omitempty"`
}

// CreatedToken is a new token; Secret is shown once and never stored.
type CreatedToken struct {
	leadflow.Token
	Secret string `json:"secret"`
}

// CreateToken creates an API token for a role (S-SEC-1). secret may be given (the first admin
// token from LEADFLOW_ADMIN_TOKEN); otherwise one is generated.
func (s *Service) CreateToken(ctx context.Context, req TokenRequest, secret string) (*CreatedToken, error) {
	req.Name = strings.TrimSpace(req.Name)
	switch {
	case !contains(roles, req.Role):
		return nil, leadflow.Invalid("role", "must be one of "+strings.Join(roles, ", "))
	case req.Role == leadflow.RoleRep && req.RepID <= 0:
		return nil, leadflow.Invalid("rep_id", "is required for the rep role: a rep token is bound to one rep")
	case req.Role != leadflow.RoleRep && req.RepID != 0:
		return nil, leadflow.Invalid("rep_id", "is only allowed for the rep role")
	case len(req.Name) > 200:
		return nil, leadflow.Invalid("name", "must be at most 200 characters")
	}
	if secret == "" {
		secret = NewTokenSecret()
	} else if len(secret) < 16 {
		return nil, leadflow.Invalid("token", "must be at least 16 characters")
	}
	t := &leadflow.Token{Name: req.Name, Role: req.Role, RepID: req.RepID, Hash: HashToken(secret), CreatedAt: s.clock.Now()}
	if err := s.store.Write(ctx, func(tx leadflow.Tx) error { return tx.InsertToken(ctx, t) }); err != nil {
		return nil, err
	}
	return &CreatedToken{Token: *t, Secret: secret}, nil
}

// EnsureToken makes sure a token with this secret exists (idempotent at every start).
func (s *Service) EnsureToken(ctx context.Context, req TokenRequest, secret string) error {
	err := s.store.Read(ctx, func(tx leadflow.ReadTx) error {
		_, err := tx.TokenByHash(ctx, HashToken(secret))
		return err
	})
	if isNotFound(err) {
		_, err = s.CreateToken(ctx, req, secret)
		if leadflow.ErrorCode(err) == leadflow.ECONFLICT { // another node created it
			return nil
		}
	}
	return err
}

// Tokens lists API tokens (without secrets).
func (s *Service) Tokens(ctx context.Context) ([]leadflow.Token, error) {
	var out []leadflow.Token
	err := s.read(ctx, func(tx leadflow.ReadTx) error {
		var err error
		out, err = tx.Tokens(ctx)
		return err
	})
	return out, err
}

// RevokeToken revokes a token at once on this node (other nodes within tokenCacheTTL).
func (s *Service) RevokeToken(ctx context.Context, id int64) error {
	err := s.store.Write(ctx, func(tx leadflow.Tx) error { return tx.RevokeToken(ctx, id, s.clock.Now()) })
	if err == nil {
		s.tokens.clear()
	}
	return err
}

// Authenticate returns the actor for a bearer secret, or EUNAUTHORIZED.
func (s *Service) Authenticate(ctx context.Context, secret string) (Actor, error) {
	hash := HashToken(secret)
	now := time.Now()
	if a, ok := s.tokens.get(hash, now); ok {
		return a, nil
	}
	var t *leadflow.Token
	err := s.read(ctx, func(tx leadflow.ReadTx) error {
		var err error
		t, err = tx.TokenByHash(ctx, hash)
		return err
	})
	if isNotFound(err) || err == nil && t.RevokedAt != nil {
		return Actor{}, leadflow.Errorf(leadflow.EUNAUTHORIZED, "unknown or revoked token")
	}
	if err != nil {
		return Actor{}, err
	}
	name := t.Name
	if name == "" {
		name = t.Role
	}
	a := Actor{Name: "token:" + name, Role: t.Role, TokenID: t.ID, RepID: t.RepID}
	s.tokens.put(hash, a, now.Add(tokenCacheTTL))
	return a, nil
}

type cachedActor struct {
	actor   Actor
	expires time.Time
}

type actorCache struct {
	mu sync.Mutex
	m  map[string]cachedActor
}

func (c *actorCache) get(hash string, now time.Time) (Actor, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[hash]
	if !ok || now.After(e.expires) {
		return Actor{}, false
	}
	return e.actor, true
}

func (c *actorCache) put(hash string, a Actor, exp time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 10_000 {
		clear(c.m)
	}
	c.m[hash] = cachedActor{a, exp}
}

func (c *actorCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
}
