package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/leadflow/leadflow/httpapi"
	"github.com/leadflow/leadflow/service"
	"github.com/leadflow/leadflow/sqlite"
)

// newOpenAPIServer builds an API server on a real service over a temporary SQLite database.
func newOpenAPIServer(t *testing.T) *httpapi.Server {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	svc, err := service.New(ctx, st, service.Options{})
	if err != nil {
		t.Fatalf("new service: %v", err)
	}
	return httpapi.New(svc, httpapi.Options{})
}

// openAPIDoc parses httpapi.OpenAPI.
func openAPIDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(httpapi.OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	return doc
}

// httpMethods are the operation keys of an OpenAPI path item.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// operations returns every operation of the document keyed by "METHOD path".
func operations(t *testing.T, doc map[string]any) map[string]map[string]any {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatal("openapi.json has no paths object")
	}
	ops := map[string]map[string]any{}
	for path, item := range paths {
		pi, ok := item.(map[string]any)
		if !ok {
			t.Fatalf("path %s is not an object", path)
		}
		for _, m := range httpMethods {
			if op, ok := pi[m]; ok {
				o, ok := op.(map[string]any)
				if !ok {
					t.Fatalf("%s %s is not an object", strings.ToUpper(m), path)
				}
				ops[strings.ToUpper(m)+" "+path] = o
			}
		}
	}
	return ops
}

func stringSet(v any) ([]string, bool) {
	if v == nil {
		return nil, true
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		s, ok := x.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return slices.Compact(out), true
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	srv := newOpenAPIServer(t)
	ops := operations(t, openAPIDoc(t))

	routes := map[string]bool{}
	for _, rt := range srv.Routes() {
		key := rt.Method + " " + rt.Pattern
		routes[key] = true
		op, ok := ops[key]
		if !ok {
			t.Errorf("route %s is not documented in openapi.json (paths[%q][%q])", key, rt.Pattern, strings.ToLower(rt.Method))
			continue
		}
		want := slices.Clone(rt.Roles)
		sort.Strings(want)
		want = slices.Compact(want)
		got, ok := stringSet(op["x-roles"])
		if !ok {
			t.Errorf("route %s: x-roles must be an array of strings, got %v", key, op["x-roles"])
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("route %s: x-roles = %v, route table allows %v", key, got, want)
		}
		sec, hasSec := op["security"]
		if len(rt.Roles) == 0 {
			if arr, ok := sec.([]any); !hasSec || !ok || len(arr) != 0 {
				t.Errorf("route %s needs no authentication but its operation lacks \"security\": []", key)
			}
		} else if arr, ok := sec.([]any); hasSec && ok && len(arr) == 0 {
			t.Errorf("route %s requires a token but its operation has \"security\": []", key)
		}
	}

	for key := range ops {
		if key == "GET /metrics" { // registered outside the route table
			continue
		}
		if !routes[key] {
			t.Errorf("openapi.json documents %s, which is not a route of the server", key)
		}
	}
	if _, ok := ops["GET /metrics"]; !ok {
		t.Error("route GET /metrics is not documented in openapi.json")
	}
}

func TestOpenAPIIsValidJSONAndRefsResolve(t *testing.T) {
	doc := openAPIDoc(t)

	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Errorf("openapi = %q, want 3.x", v)
	}
	info, _ := doc["info"].(map[string]any)
	if info["title"] != "leadflow" || info["version"] == nil {
		t.Errorf("info must have title leadflow and a version, got %v", info)
	}

	components, _ := doc["components"].(map[string]any)
	schemas, _ := components["schemas"].(map[string]any)
	if len(schemas) == 0 {
		t.Fatal("openapi.json has no components/schemas")
	}

	// Every $ref is a local JSON pointer that resolves; schema refs name a component schema.
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if r, ok := x["$ref"]; ok {
				ref, _ := r.(string)
				switch {
				case strings.HasPrefix(ref, "#/components/schemas/"):
					name := strings.TrimPrefix(ref, "#/components/schemas/")
					if _, ok := schemas[name]; !ok {
						t.Errorf("%s: $ref %q does not resolve", at, ref)
					}
				case strings.HasPrefix(ref, "#/"):
					if !resolves(doc, ref) {
						t.Errorf("%s: $ref %q does not resolve", at, ref)
					}
				default:
					t.Errorf("%s: $ref %q is not a local reference", at, ref)
				}
			}
			for k, c := range x {
				walk(at+"/"+k, c)
			}
		case []any:
			for _, c := range x {
				walk(at+"[]", c)
			}
		}
	}
	walk("#", doc)

	// Every operation has a unique operationId, a summary and at least one response.
	seen := map[string]string{}
	for key, op := range operations(t, doc) {
		id, _ := op["operationId"].(string)
		if id == "" {
			t.Errorf("%s has no operationId", key)
			continue
		}
		if other, dup := seen[id]; dup {
			t.Errorf("operationId %q is used by both %s and %s", id, other, key)
		}
		seen[id] = key
		if s, _ := op["summary"].(string); s == "" {
			t.Errorf("%s has no summary", key)
		}
		if r, _ := op["responses"].(map[string]any); len(r) == 0 {
			t.Errorf("%s has no responses", key)
		}
	}

	// The bearer scheme the document relies on exists.
	schemes, _ := components["securitySchemes"].(map[string]any)
	bearer, _ := schemes["bearerAuth"].(map[string]any)
	if bearer["type"] != "http" || bearer["scheme"] != "bearer" {
		t.Errorf("components/securitySchemes/bearerAuth = %v, want an http bearer scheme", bearer)
	}
}

// resolves reports whether a local JSON pointer such as #/components/responses/NotFound points at
// something in doc.
func resolves(doc map[string]any, ref string) bool {
	var cur any = doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[part]; !ok {
			return false
		}
	}
	return true
}

func TestOpenAPIServed(t *testing.T) {
	ts := httptest.NewServer(newOpenAPIServer(t))
	defer ts.Close()

	resp, err := http.Get(ts.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json: status %d, want 200: %s", resp.StatusCode, body)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", resp.Header.Get("Content-Type"))
	}
	if !bytes.Equal(body, httpapi.OpenAPI) {
		t.Errorf("served document (%d bytes) differs from httpapi.OpenAPI (%d bytes)", len(body), len(httpapi.OpenAPI))
	}
}
