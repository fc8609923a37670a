package cert

import (
	"fmt"

	"github.com/jaga-health/jaga"
)

// The steps of decoding and verification, as named in [Result].Step and
// [StepError].Step.
const (
	StepPrefix     = "prefix"
	StepBase45     = "base45"
	StepZlib       = "zlib"
	StepCOSE       = "cose"
	StepCBOR       = "cbor"
	StepSchema     = "schema"
	StepTrust      = "trust"
	StepSignature  = "signature"
	StepTime       = "time"
	StepRevocation = "revocation"
)

// StepError is the error of one step of decoding, verifying or issuing a
// certificate. Reason is safe to show: it names the problem and where it is
// (a position, a field, a limit) but never a value from the payload.
type StepError struct {
	Step   string // one of the Step* constants
	Reason string // safe, precise
	Err    error  // the underlying cause, if any; for logs, not for users
}

// Error implements the error interface.
func (e *StepError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Step, e.Reason, e.Err)
	}
	return e.Step + ": " + e.Reason
}

// Unwrap returns a *jaga.Error with code jaga.EINVALID and Reason as its
// message, and the underlying cause, so that errors.As and errors.Is see
// both.
func (e *StepError) Unwrap() []error {
	errs := []error{&jaga.Error{Code: jaga.EINVALID, Message: e.Reason}}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// stepErr returns a *StepError for step with a formatted reason.
func stepErr(step, format string, args ...any) *StepError {
	return &StepError{Step: step, Reason: fmt.Sprintf(format, args...)}
}

// wrapErr returns a *StepError for step with reason, wrapping err.
func wrapErr(step, reason string, err error) *StepError {
	return &StepError{Step: step, Reason: reason, Err: err}
}
