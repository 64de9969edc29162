package httpapi

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/leadflow/leadflow/service"
)

// entityRoutes returns the list, get, create and patch routes of one routing entity kind
// (S-REP-1, S-REP-4): managers read, admins write. PATCH is a JSON merge onto the stored entity.
func entityRoutes[T service.Entity](s *Server, path string, k service.EntityKind[T]) []Route {
	return []Route{
		{"GET", path, managers, func(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
			items, err := k.List(r.Context(), s.svc)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, map[string]any{"items": items})
		}},
		{"POST", path, admins, func(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
			var v T
			if err := decodeJSON(http.MaxBytesReader(w, r.Body, MaxBody), &v); err != nil {
				return err
			}
			out, err := k.Create(r.Context(), s.svc, v)
			if err != nil {
				return err
			}
			w.Header().Set("Location", fmt.Sprintf("%s/%d", path, idOf(out)))
			return writeJSON(w, http.StatusCreated, out)
		}},
		{"GET", path + "/{id}", managers, func(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
			id, err := pathID(r)
			if err != nil {
				return err
			}
			v, err := k.Get(r.Context(), s.svc, id)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, v)
		}},
		{"PATCH", path + "/{id}", admins, func(w http.ResponseWriter, r *http.Request, a service.Actor) error {
			id, err := pathID(r)
			if err != nil {
				return err
			}
			body, err := readBody(w, r, MaxBody)
			if err != nil {
				return err
			}
			v, err := k.Patch(r.Context(), s.svc, a, id, func(v *T) error { return decodeJSON(bytes.NewReader(body), v) })
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, v)
		}},
	}
}

func idOf(v any) int64 {
	type ided interface{ EntityID() int64 }
	if e, ok := v.(ided); ok {
		return e.EntityID()
	}
	return 0
}
