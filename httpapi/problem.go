package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/leadflow/leadflow"
)

// Problem is an RFC 9457 problem details object. Errors lists the fields at fault.
type Problem struct {
	Type     string                `json:"type"`
	Title    string                `json:"title"`
	Status   int                   `json:"status"`
	Detail   string                `json:"detail,omitempty"`
	Instance string                `json:"instance,omitempty"`
	Errors   []leadflow.FieldError `json:"errors,omitempty"`
	// Extensions are extension members (RFC 9457 §3.2), written beside the standard ones.
	Extensions map[string]any `json:"-"`
}

// MarshalJSON writes the standard members and the extension members in one object.
func (p Problem) MarshalJSON() ([]byte, error) {
	type plain Problem
	b, err := json.Marshal(plain(p))
	if err != nil || len(p.Extensions) == 0 {
		return b, err
	}
	ext, err := json.Marshal(p.Extensions)
	if err != nil {
		return nil, err
	}
	return append(append(b[:len(b)-1], ','), ext[1:]...), nil
}

// ProblemBase prefixes problem type URIs; each code has a stable URI.
const ProblemBase = "https://leadflow.dev/problems/"

var statusOf = map[string]int{
	leadflow.EINVALID:      http.StatusUnprocessableEntity,
	leadflow.ENOTFOUND:     http.StatusNotFound,
	leadflow.ECONFLICT:     http.StatusConflict,
	leadflow.EUNAUTHORIZED: http.StatusUnauthorized,
	leadflow.EFORBIDDEN:    http.StatusForbidden,
	leadflow.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	leadflow.EUNAVAILABLE:  http.StatusServiceUnavailable,
	leadflow.EINTERNAL:     http.StatusInternalServerError,
}

// errBadRequest marks malformed requests (syntax, not semantics): 400 instead of 422.
type errBadRequest struct{ e *leadflow.Error }

func (b errBadRequest) Error() string { return b.e.Error() }

// Unwrap exposes the field errors to errors.As.
func (b errBadRequest) Unwrap() error { return b.e }

func badRequest(field, reason string) error {
	return errBadRequest{leadflow.Invalid(field, reason)}
}

// writeError renders err as problem+json. Internal errors are logged and never shown.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var br errBadRequest
	status := http.StatusBadRequest
	code := leadflow.EINVALID
	if !errors.As(err, &br) {
		code = leadflow.ErrorCode(err)
		status = statusOf[code]
	}
	p := Problem{Type: ProblemBase + code, Title: http.StatusText(status), Status: status, Detail: leadflow.ErrorMessage(err), Instance: r.URL.Path}
	var e *leadflow.Error
	if errors.As(err, &e) {
		p.Errors, p.Extensions = e.Fields, e.Extra
		if secs, ok := e.Extra["retry_after_seconds"].(int); ok {
			w.Header().Set("Retry-After", strconv.Itoa(secs))
		}
	}
	if code == leadflow.EINTERNAL {
		s.log.Error("request failed", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="leadflow"`)
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}

// decodeJSON decodes a JSON body strictly into v, turning decoder errors into problems that name
// the field and the reason.
func decodeJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return badRequest("body", "must hold exactly one JSON value")
	}
	return nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return &leadflow.Error{Code: leadflow.ETOOLARGE, Message: fmt.Sprintf("request body exceeds %d bytes", tooBig.Limit),
			Fields: []leadflow.FieldError{{Field: "body", Reason: fmt.Sprintf("larger than the %d-byte limit", tooBig.Limit)}}}
	case errors.Is(err, io.EOF):
		return badRequest("body", "is empty; a JSON document is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("body", "is truncated JSON")
	case errors.As(err, &syn):
		return badRequest("body", fmt.Sprintf("malformed JSON at byte %d: %s", syn.Offset, syn.Error()))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return leadflow.Invalid(field, fmt.Sprintf("must be %s, not %s", jsonType(typ.Type.String()), typ.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return leadflow.Invalid(name, "is not a known field")
	default:
		return badRequest("body", err.Error())
	}
}

func jsonType(goType string) string {
	switch {
	case strings.Contains(goType, "int"), strings.Contains(goType, "float"):
		return "a number"
	case strings.Contains(goType, "string"):
		return "a string"
	case strings.Contains(goType, "bool"):
		return "true or false"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case strings.Contains(goType, "map"), strings.Contains(goType, "struct"), strings.Contains(goType, "."):
		return "an object"
	}
	return goType
}

// writeJSON writes v with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}
