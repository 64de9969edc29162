package httpapi

import (
	_ "embed"
	"net/http"

	"github.com/leadflow/leadflow/service"
)

// OpenAPI is the OpenAPI 3 description of the API, kept by hand beside the code; a test fails when
// a route is missing from it or it documents a route that does not exist.
//
//go:embed openapi.json
var OpenAPI []byte

func (s *Server) openapi(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, err := w.Write(OpenAPI)
	return err
}
