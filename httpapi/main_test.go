package httpapi_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/leadflow/leadflow/postgres/pgtest"
)

// storeKind is the store the API suite runs on in this pass: "sqlite" or "postgres".
var storeKind = "sqlite"

// TestMain runs the whole API suite on SQLite and then, when a PostgreSQL server is configured
// (LEADFLOW_TEST_POSTGRES), again on PostgreSQL (S-STORE-2); it says so when it skips that pass.
func TestMain(m *testing.M) {
	code := m.Run()
	if !pgtest.Available() {
		fmt.Fprintln(os.Stderr, "httpapi: PostgreSQL pass skipped: set "+pgtest.Env+"=postgres://user:pass@host/db to run the API suite on PostgreSQL too")
		os.Exit(code)
	}
	storeKind = "postgres"
	fmt.Fprintln(os.Stderr, "httpapi: running the API suite again on PostgreSQL")
	if c := m.Run(); c != 0 {
		code = c
	}
	os.Exit(code)
}

// testDB names the database of a test node in this pass: a SQLite file in the test's directory,
// or a fresh PostgreSQL schema.
func testDB(t *testing.T, file string) string {
	t.Helper()
	if storeKind == "postgres" {
		return pgtest.DSN(t)
	}
	return filepath.Join(t.TempDir(), file)
}
