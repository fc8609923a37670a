package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jaga-health/jaga"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	authKey
)

// auth is how the request's actor signed in.
type auth struct {
	via   string // "cookie", "bearer" or "" for anonymous
	token string // the session token, for sign-out
	csrf  string // the session's CSRF token, for cookie sessions
}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

func authFrom(ctx context.Context) auth {
	a, _ := ctx.Value(authKey).(auth)
	return a
}

func newToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// withRequestID gives every request an id, echoed in X-Request-Id and in
// every log line and error about it. A well-formed incoming id is kept.
func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if len(id) < 8 || len(id) > 64 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
			id = newToken(8)
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

// withRecover turns a panic into a logged internal error.
func (s *Server) withRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.logger.ErrorContext(r.Context(), "panic", slog.String("request_id", requestID(r.Context())),
					slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
				s.writeError(w, r, jaga.Errorf(jaga.EINTERNAL, "Internal error."))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// withLogging logs one line per request and records its metrics. It logs
// the route pattern, never the path or query, which may hold identifiers.
func (s *Server) withLogging(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		// recordPattern fills this in once the mux has matched a route.
		r = r.WithContext(context.WithValue(r.Context(), patternKey{}, new(string)))
		next.ServeHTTP(rec, r)
		pattern := routePattern(r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		d := time.Since(start)
		s.metrics.requests.WithLabelValues(pattern, strconv.Itoa(rec.status)).Inc()
		s.metrics.duration.WithLabelValues(pattern).Observe(d.Seconds())
		level := slog.LevelInfo
		if pattern == "GET /healthz" || pattern == "GET /metrics" {
			level = slog.LevelDebug
		}
		s.logger.Log(r.Context(), level, "request",
			slog.String("request_id", requestID(r.Context())),
			slog.String("route", pattern),
			slog.Int("status", rec.status),
			slog.Int("bytes", rec.bytes),
			slog.Float64("ms", float64(d.Microseconds())/1000))
	})
}

// routePattern returns the pattern recorded by the mux for r, or
// "unmatched" for a request no route took.
func routePattern(r *http.Request) string {
	if p, ok := r.Context().Value(patternKey{}).(*string); ok && *p != "" {
		return *p
	}
	return "unmatched"
}

type patternKey struct{}

// recordPattern stores the pattern the mux matched where the outer
// middleware can read it: the mux sets Pattern on its own copy of the request.
func recordPattern(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if p, ok := r.Context().Value(patternKey{}).(*string); ok {
			*p = r.Pattern
		}
	})
}

// withSecurityHeaders sets the headers every response carries.
func (s *Server) withSecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		if s.opts.SecureCookies {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// Cookie names.
const (
	sessionCookie = "jaga_session"
	csrfCookie    = "jaga_csrf" // double-submit token for forms before sign-in
	langCookie    = "jaga_lang"
)

// withAuth puts the actor of a valid session cookie, bearer token or API
// key into the request context. A bad bearer token or key is refused; a bad
// cookie is cleared and the request goes on anonymously.
func (s *Server) withAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if h := r.Header.Get("Authorization"); h != "" {
			token, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				s.writeError(w, r, jaga.Errorf(jaga.EUNAUTHORIZED, "Authorization must be a Bearer token."))
				return
			}
			var actor *jaga.Actor
			if strings.HasPrefix(token, "jaga_") {
				a, err := s.svc.Organisations.AuthenticateAPIClient(ctx, token)
				if err != nil {
					s.writeError(w, r, err)
					return
				}
				actor = a
			} else {
				sess, err := s.svc.Accounts.Session(ctx, token)
				if err != nil {
					s.writeError(w, r, err)
					return
				}
				actor = sess.Actor
			}
			ctx = jaga.NewContextWithActor(ctx, actor)
			ctx = context.WithValue(ctx, authKey, auth{via: "bearer", token: token})
		} else if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			sess, err := s.svc.Accounts.Session(ctx, c.Value)
			switch {
			case err == nil:
				ctx = jaga.NewContextWithActor(ctx, sess.Actor)
				ctx = context.WithValue(ctx, authKey, auth{via: "cookie", token: c.Value, csrf: sess.CSRFToken})
			case jaga.ErrorCode(err) == jaga.EUNAUTHORIZED:
				s.clearCookie(w, sessionCookie)
			default:
				s.writeError(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (s *Server) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.opts.SecureCookies, SameSite: http.SameSiteLaxMode})
}

func (s *Server) setSessionCookie(w http.ResponseWriter, token string, sess *jaga.Session) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, Secure: s.opts.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// errCSRF answers a state-changing request that lacks its CSRF token.
var errCSRF = jaga.Errorf(jaga.EFORBIDDEN, "The form has expired or did not come from jaga. Reload the page and try again.")

// checkCSRF verifies the CSRF token of a state-changing request made with a
// cookie session (header X-CSRF-Token or form field csrf) or, before
// sign-in, the double-submit cookie against the form field. Bearer-token
// requests carry no ambient credentials and need none.
func checkCSRF(r *http.Request) error {
	a := authFrom(r.Context())
	if a.via == "bearer" {
		return nil
	}
	given := r.Header.Get("X-CSRF-Token")
	if given == "" {
		given = r.PostFormValue("csrf")
	}
	want := a.csrf
	if a.via == "" {
		c, err := r.Cookie(csrfCookie)
		if err != nil {
			return errCSRF
		}
		want = c.Value
	}
	if want == "" || given == "" || subtle.ConstantTimeCompare([]byte(given), []byte(want)) != 1 {
		return errCSRF
	}
	return nil
}

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jaga_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "jaga_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}
