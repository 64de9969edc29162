package sqlite_test

import (
	"context"
	"database/sql"
	"os"
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

// TestUpgradesOlderDatabase proves S-STORE-4: a database at schema version 1, with data, is
// upgraded by a newer binary without losing anything.
func TestUpgradesOlderDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	v1, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`,
		string(v1),
		`INSERT INTO schema_migrations VALUES (1, 0)`,
		`INSERT INTO leads (email_norm, stage, data, created_at, updated_at) VALUES ('old@example.org', 'mql', '{"email":"old@example.org","company":"Legacy"}', 1, 1)`,
	} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	files, _ := filepath.Glob("migrations/*.sql")
	if v, _ := s.SchemaVersion(ctx); v != len(files) || v < 5 {
		t.Fatalf("schema version %d, want the latest (%d)", v, len(files))
	}
	if err := s.Read(ctx, func(tx leadflow.ReadTx) error {
		l, err := tx.LeadByEmail(ctx, "old@example.org")
		if err != nil || l.Company != "Legacy" || l.Stage != leadflow.StageMQL {
			t.Fatalf("old lead after upgrade: %+v %v", l, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, func(tx leadflow.Tx) error { return tx.InsertTeam(ctx, &leadflow.Team{Name: "New"}) }); err != nil {
		t.Fatalf("new table after upgrade: %v", err)
	}
}
