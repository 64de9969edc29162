package leadflow

import (
	"errors"
	"fmt"
)

// Error codes shared by every layer; the HTTP layer maps each to a status code.
const (
	EINVALID      = "invalid"      // the input is malformed or breaks a rule (422 / 400)
	ENOTFOUND     = "not_found"    // the entity does not exist or is not visible to the caller (404)
	ECONFLICT     = "conflict"     // the request conflicts with the current state (409)
	EUNAUTHORIZED = "unauthorized" // no or an unknown credential (401)
	EFORBIDDEN    = "forbidden"    // the caller's role may not do this (403)
	ETOOLARGE     = "too_large"    // the body or file exceeds the size limit (413)
	EUNAVAILABLE  = "unavailable"  // overloaded or shutting down; retry later (503)
	EINTERNAL     = "internal"     // a bug or an infrastructure failure; details are logged, not shown
)

// FieldError names one field (or one row of a bulk input) and why it was rejected.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
	Row    int    `json:"row,omitempty"` // 1-based row of a batch or CSV file, 0 when not a bulk input
}

// Error is an application error with a code, a human message and, for invalid input, the fields
// at fault. Anything that is not an *Error is treated as internal and never shown to clients.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	// Extra holds machine-readable details a client acts on, e.g. the pool rule that denied a
	// claim and when the rep may claim again; the HTTP layer adds them to the problem details.
	Extra map[string]any
	// Cause is the underlying error (e.g. the database's), for errors.Is/As; never shown.
	Cause error
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Error implements error.
func (e *Error) Error() string {
	if len(e.Fields) == 1 {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Fields[0].Field, e.Fields[0].Reason)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error naming one field and the reason.
func Invalid(field, reason string) *Error {
	return &Error{Code: EINVALID, Message: field + ": " + reason, Fields: []FieldError{{Field: field, Reason: reason}}}
}

// ErrorCode returns the code of err, or EINTERNAL when err is not an *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
