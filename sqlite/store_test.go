package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/sqlite"
	"github.com/leadflow/leadflow/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) leadflow.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "leadflow.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestReopenKeepsDataAndSchema proves migrations run once and data survives a restart (S-STORE-4).
func TestReopenKeepsDataAndSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "leadflow.db")
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := &leadflow.Lead{Email: "a@b.co", Stage: leadflow.StageNew}
	if err := s.Write(ctx, func(tx leadflow.Tx) error { return tx.InsertLead(ctx, l) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v, err := s.SchemaVersion(ctx)
	if err != nil || v < 1 {
		t.Fatalf("schema version %d %v", v, err)
	}
	if err := s.Read(ctx, func(tx leadflow.ReadTx) error {
		_, err := tx.LeadByEmail(ctx, "A@B.CO")
		return err
	}); err != nil {
		t.Fatalf("lead lost across reopen: %v", err)
	}
}
