package web

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/jaga-health/jaga"
)

// statusOf maps each error code to its HTTP status.
var statusOf = map[string]int{
	jaga.EINVALID:      http.StatusBadRequest,
	jaga.ENOTFOUND:     http.StatusNotFound,
	jaga.ECONFLICT:     http.StatusConflict,
	jaga.EUNAUTHORIZED: http.StatusUnauthorized,
	jaga.EFORBIDDEN:    http.StatusForbidden,
	jaga.ERATELIMIT:    http.StatusTooManyRequests,
	jaga.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	jaga.EUNAVAILABLE:  http.StatusServiceUnavailable,
	jaga.EINTERNAL:     http.StatusInternalServerError,
}

// ErrorResponse is the one shape of every API error.
type ErrorResponse struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody holds a code, a safe message and, for invalid input, each
// field's problem.
type ErrorBody struct {
	Code      string            `json:"code"`
	Message   string            `json:"message"`
	Fields    map[string]string `json:"fields,omitempty"`
	RequestID string            `json:"requestId,omitempty"`
}

// errorStatus returns the HTTP status of err.
func errorStatus(err error) int {
	if s, ok := statusOf[jaga.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// logError logs internal errors with their detail; the caller sees only
// "Internal error.".
func (s *Server) logError(r *http.Request, err error) {
	if jaga.ErrorCode(err) == jaga.EINTERNAL {
		s.logger.ErrorContext(r.Context(), "internal error", slog.String("request_id", requestID(r.Context())),
			slog.String("route", r.Pattern), slog.String("err", err.Error()))
	}
}

// writeError renders err as JSON.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	s.logError(r, err)
	code := jaga.ErrorCode(err)
	if code == jaga.ERATELIMIT {
		w.Header().Set("Retry-After", "60")
	}
	writeJSON(w, errorStatus(err), ErrorResponse{Error: ErrorBody{
		Code:      code,
		Message:   jaga.ErrorMessage(err),
		Fields:    jaga.ErrorFields(err),
		RequestID: requestID(r.Context()),
	}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// MaxBodyBytes bounds every request body.
const MaxBodyBytes = 64 << 10

// decodeJSON reads a JSON body into v: one object, no unknown fields, no
// trailing data, at most MaxBodyBytes. Each failure has its own message.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeJSONLimit(w, r, v, MaxBodyBytes)
}

// decodeJSONLimit is decodeJSON with another body limit.
func decodeJSONLimit(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	if ct := r.Header.Get("Content-Type"); !isJSONContentType(ct) {
		return jaga.Errorf(jaga.EINVALID, "Send the body as application/json.")
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var maxErr *http.MaxBytesError
		var syntaxErr *json.SyntaxError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &maxErr):
			return jaga.Errorf(jaga.ETOOLARGE, "The request body is larger than %d bytes.", limit)
		case errors.As(err, &syntaxErr):
			return jaga.Errorf(jaga.EINVALID, "The body is not valid JSON (at byte %d).", syntaxErr.Offset)
		case errors.As(err, &typeErr):
			return jaga.Errorf(jaga.EINVALID, "Field %q must be of type %s.", typeErr.Field, typeErr.Type.String())
		case errors.Is(err, io.EOF):
			return jaga.Errorf(jaga.EINVALID, "The request body is empty.")
		case errors.Is(err, io.ErrUnexpectedEOF):
			return jaga.Errorf(jaga.EINVALID, "The body is not valid JSON: it ends too early.")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return jaga.Errorf(jaga.EINVALID, "Unknown field %s.", strings.TrimPrefix(err.Error(), "json: unknown field "))
		default:
			return jaga.Errorf(jaga.EINVALID, "The body is not valid JSON.")
		}
	}
	if dec.More() {
		return jaga.Errorf(jaga.EINVALID, "The body must hold a single JSON object.")
	}
	return nil
}

func isJSONContentType(ct string) bool {
	return ct == "application/json" || strings.HasPrefix(ct, "application/json;")
}
