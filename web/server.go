// Package web serves jaga over HTTP: the JSON API under /api/v1, the
// server-rendered pages for citizens and staff, health checks and metrics.
// routes.go lists every route.
package web

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jaga-health/jaga"
)

// Services are the domain services the server calls.
type Services struct {
	Accounts      jaga.AccountService
	People        jaga.PersonService
	Organisations jaga.OrganisationService
	Contracts     jaga.ContractService
	AccessLog     jaga.AccessLog
	Premises      jaga.PremisesService
	CheckIns      jaga.CheckInService
	Outbox        jaga.Outbox                                         // read only in demo mode
	Checkpoint    func(ctx context.Context) (*jaga.Checkpoint, error) // signs a checkpoint now
	Ready         func(ctx context.Context) error                     // reports whether dependencies answer
	// Posters renders a premises' poster with its current QR token, in
	// lang ("ms" or "en"); kind is "pdf" or "png". If nil, the poster
	// routes answer unavailable.
	Posters func(p *jaga.Premises, token, lang, kind string) ([]byte, error)
	// Verifier verifies health certificates for POST /api/v1/verify and
	// the /verify page. If nil, they answer unavailable.
	Verifier jaga.CertificateVerifier
	// Doses records vaccination centres' doses and shows citizens theirs.
	Doses jaga.DoseService
	// DoseParsers read files of doses for import, by media type
	// ("text/csv", "application/fhir+json"); a file of any other type is
	// refused.
	DoseParsers map[string]jaga.DoseParser
	// Tracing confirms cases, traces contacts and shows risk statuses;
	// CaseCSV and CaseFeed read a CSV file and a lab's JSON feed of cases.
	// If Tracing is nil, the tracing routes answer unavailable.
	Tracing  jaga.TracingService
	CaseCSV  jaga.CaseParser
	CaseFeed jaga.CaseParser
	// Hotspots finds premises and area hotspots. If nil, their routes
	// answer unavailable.
	Hotspots jaga.HotspotService
	// Certificates gives citizens their vaccination certificates.
	Certificates jaga.CertificateService
	// Corrections lets health officers correct records, with a second
	// officer's approval.
	Corrections jaga.CorrectionService
	// Trust publishes jaga's signed trust list, revocation list and the
	// key that signs both. If nil, their routes answer unavailable.
	Trust TrustPublisher
	// CertificatePDF renders a certificate as a printable PDF in lang, for
	// its holder; QRCode renders text as a PNG QR code. If nil, their
	// routes answer unavailable.
	CertificatePDF func(d CertificateDocument) ([]byte, error)
	QRCode         func(text string) ([]byte, error)
	// Desk is the support desk. If nil, its routes answer unavailable.
	Desk jaga.DeskService
}

// TrustPublisher publishes what verifiers need to check jaga's
// certificates offline.
type TrustPublisher interface {
	SignedTrustList(ctx context.Context) ([]byte, error)
	SignedRevocationList(ctx context.Context) ([]byte, error)
	TrustListKeyPEM(ctx context.Context) ([]byte, error)
}

// CertificateDocument is what a printed certificate shows.
type CertificateDocument struct {
	Certificate *jaga.Certificate
	FullName    string
	DateOfBirth string
	Doses       []*jaga.Dose // the holder's doses, by date
	Language    string       // "ms" or "en"
}

// Options shape the server's behaviour.
type Options struct {
	Demo          bool                 // serve the dev outbox page and demo hints
	SecureCookies bool                 // mark cookies Secure; off only for plain-HTTP development
	Logger        *slog.Logger         // if nil, slog.Default
	Registry      *prometheus.Registry // if nil, a new registry
	Version       string
	DemoAccounts  func() []DemoAccount // demo mode: staff accounts with current codes
}

// Server is jaga's HTTP handler.
type Server struct {
	svc     Services
	opts    Options
	logger  *slog.Logger
	handler http.Handler
	metrics *metrics
	i18n    *translator
	pages   *pages

	presence deskPresence // who is on which ticket in the agent console
}

// NewServer returns the HTTP handler of jaga.
func NewServer(svc Services, opts Options) (*Server, error) {
	s := &Server{svc: svc, opts: opts, logger: opts.Logger}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if opts.Registry == nil {
		s.opts.Registry = prometheus.NewRegistry()
	}
	s.metrics = newMetrics(s.opts.Registry)
	var err error
	if s.i18n, err = newTranslator(); err != nil {
		return nil, err
	}
	if s.pages, err = newPages(s.i18n); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	s.routes(mux)
	s.handler = s.withRequestID(s.withRecover(s.withLogging(s.withSecurityHeaders(s.withAuth(recordPattern(mux))))))
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// DemoAccount is a demo staff account with its current TOTP code, shown on
// the dev outbox page in demo mode only.
type DemoAccount struct {
	Email, Password, Role, Organisation, Code string
}
