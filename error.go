// Package jaga is the domain of the jaga public-health platform: its types,
// their validation, the services that act on them and the errors they return.
// It imports nothing outside the standard library.
package jaga

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in the web package and to one
// exit status in the command line.
const (
	EINVALID      = "invalid"      // the request is malformed or fails validation
	ENOTFOUND     = "not_found"    // no such thing, or not the caller's to see
	ECONFLICT     = "conflict"     // the thing already exists or changed meanwhile
	EUNAUTHORIZED = "unauthorized" // the caller has not signed in, or the session ended
	EFORBIDDEN    = "forbidden"    // the caller is known but may not do this
	ERATELIMIT    = "rate_limited" // too many attempts; try again later
	ETOOLARGE     = "too_large"    // the request body is larger than allowed
	EUNAVAILABLE  = "unavailable"  // a dependency is not ready
	EINTERNAL     = "internal"     // a fault of ours; detail is logged, never sent
)

// Error is the one error type of the domain. Code is one of the E* constants.
// Message is safe to show to the caller: it never holds personal data or
// internal detail. Fields, when set, names each invalid field and its problem.
type Error struct {
	Code    string
	Message string
	Fields  map[string]string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("jaga error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error naming each field and its problem.
// With one field, its problem is the message.
func Invalid(fields map[string]string) *Error {
	msg := "Some fields are not valid."
	if len(fields) == 1 {
		for _, m := range fields {
			msg = m
		}
	}
	return &Error{Code: EINVALID, Message: msg, Fields: fields}
}

// ErrorCode returns the code of err's *Error, EINTERNAL for any other
// non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the safe message of err's *Error, or a generic
// message for any other error.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorFields returns the per-field problems of err's *Error, if any.
func ErrorFields(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}
