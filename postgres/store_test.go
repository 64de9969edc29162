package postgres_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/postgres"
	"github.com/leadflow/leadflow/postgres/pgtest"
	"github.com/leadflow/leadflow/storetest"
)

// TestConformance runs the store conformance suite against PostgreSQL (S-STORE-2).
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) leadflow.Store {
		s, err := postgres.Open(context.Background(), pgtest.DSN(t), postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestMigrationsIdempotent: a second node opening the same database applies nothing again.
func TestMigrationsIdempotent(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	a, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	files, _ := filepath.Glob("migrations/*.sql")
	if v, err := b.SchemaVersion(ctx); err != nil || v != len(files) || v < 3 {
		t.Fatalf("schema version %d %v, want the latest (%d)", v, err, len(files))
	}
}
