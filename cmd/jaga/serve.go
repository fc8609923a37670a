package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/casecsv"
	"github.com/jaga-health/jaga/dosecsv"
	"github.com/jaga-health/jaga/fhir"
	"github.com/jaga-health/jaga/notify"
	"github.com/jaga-health/jaga/poster"
	"github.com/jaga-health/jaga/sqlstore"
	"github.com/jaga-health/jaga/web"
)

// runServe runs the web server until ctx ends, then shuts down gracefully.
func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, tc, err := loadServeConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	if c.PrintConfig {
		c.print(stdout)
		tc.print(stdout)
		return nil
	}
	logger := c.logger(stderr)
	tuneGC(getenv)
	db, err := openStore(ctx, c, logger, true)
	if err != nil {
		return err
	}
	defer db.Close()

	checkpoint, err := newCheckpointer(ctx, db)
	if err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	opts := web.Options{Demo: c.Demo, SecureCookies: c.secureCookies(), Logger: logger, Registry: reg, Version: version}
	verifier, refreshTrust, err := startVerifier(ctx, tc, logger)
	if err != nil {
		return err
	}
	certs, err := startCertificates(ctx, c, db, verifier, logger)
	if err != nil {
		return err
	}
	if err := startDeskAttachments(c, db, logger); err != nil {
		return err
	}
	var demo *demoWorld
	if c.Demo {
		if demo, err = loadDemo(ctx, db); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		opts.DemoAccounts = demo.accounts
	}
	svc := services(db, checkpoint, verifier)
	svc.Trust = certs
	srv, err := web.NewServer(svc, opts)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	url := "http://" + ln.Addr().String()
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("listening", "url", url, "db", redactedDB(c.DB), "dialect", db.Dialect(), "demo", c.Demo)
	fmt.Fprintf(stdout, "jaga listening on %s\n", url)
	if demo != nil {
		logger.Info("demo mode: one-time codes and emails are shown at "+url+"/dev/outbox, never sent", "outbox", url+"/dev/outbox")
		demo.printSignIn(stdout, url)
	}

	if addr := getenv("JAGA_DEBUG_ADDR"); addr != "" {
		// Profiles for operators, on a separate listener that should stay on loopback.
		dbg := http.NewServeMux()
		dbg.HandleFunc("/debug/pprof/", pprof.Index)
		dbg.HandleFunc("/debug/pprof/profile", pprof.Profile)
		dbg.HandleFunc("/debug/pprof/trace", pprof.Trace)
		go func() {
			if err := http.ListenAndServe(addr, dbg); err != nil {
				logger.Error("debug listener", "err", err.Error())
			}
		}()
		logger.Info("debug listener", "addr", addr)
	}

	jobsCtx, stopJobs := context.WithCancel(ctx)
	defer stopJobs()
	if c.CheckpointEvery > 0 {
		go every(jobsCtx, logger, "checkpoint", c.CheckpointEvery, false, func(ctx context.Context) error {
			_, err := checkpoint(ctx)
			if jaga.ErrorCode(err) == jaga.ECONFLICT {
				return nil // an empty access log: nothing to sign until someone's data is read
			}
			return err
		})
	}
	go every(jobsCtx, logger, "purge", 10*time.Minute, false, func(ctx context.Context) error {
		n, err := db.PurgeExpired(ctx)
		if n > 0 {
			logger.Info("purged expired rows", "rows", n)
		}
		return err
	})
	if db.Dialect() == sqlstore.SQLite {
		// Checkpoint the write-ahead log off the group-commit writer's path.
		go every(jobsCtx, logger, "wal checkpoint", time.Second, false, db.CheckpointWAL)
	} else {
		// Check-ins read people from memory while this server hears of
		// every change to them.
		go db.ListenPeopleChanges(jobsCtx, func(err error) { logger.Warn("listening for changes to people", "err", err.Error()) })
	}
	checkins := sqlstore.NewCheckInService(db)
	go every(jobsCtx, logger, "check-in retention", time.Hour, true, func(ctx context.Context) error {
		n, err := checkins.PurgeCheckIns(jaga.SystemContext(ctx), c.Retention)
		if n > 0 {
			logger.Info("check-in retention", "removed", n, "dialect", db.Dialect())
		}
		return err
	})
	// Tracing reads past hours of check-ins from segments.
	go every(jobsCtx, logger, "check-in segments", 5*time.Minute, true, func(ctx context.Context) error {
		n, err := db.BuildCheckinSegments(ctx)
		if n > 0 {
			logger.Info("check-in segments", "built", n)
		}
		return err
	})
	tracing := sqlstore.NewTracingService(db, jaga.DefaultTracing())
	go every(jobsCtx, logger, "risk status expiry", time.Minute, true, func(ctx context.Context) error {
		n, err := tracing.ExpireStatuses(jaga.SystemContext(ctx))
		if n > 0 {
			logger.Info("risk status expiry", "people", n)
		}
		return err
	})
	// What a day's tracing recorded is written out: histories, door
	// statuses and messages (at start, what a stopped server left).
	go every(jobsCtx, logger, "trace apply", 2*time.Second, true, func(ctx context.Context) error {
		n, err := tracing.ApplyTraces(jaga.SystemContext(ctx))
		if n > 0 {
			logger.Info("trace apply", "statuses", n)
		}
		return err
	})
	desk := sqlstore.NewDeskService(db)
	go every(jobsCtx, logger, "desk sla", time.Minute, true, func(ctx context.Context) error {
		r, err := desk.CheckSLAs(jaga.SystemContext(ctx))
		if r.Warned+r.Breached > 0 {
			logger.Info("desk sla", "warned", r.Warned, "breached", r.Breached, "raised", r.Raised, "escalated", r.Escalated)
		}
		return err
	})
	hotspots := sqlstore.NewHotspotService(db, jaga.DefaultHotspots())
	go func() {
		// People registered before households were keyed, once.
		n, err := tracing.KeyAddresses(jobsCtx)
		if err != nil && jobsCtx.Err() == nil {
			logger.Error("address keys", "err", err.Error())
		} else if n > 0 {
			logger.Info("address keys", "people", n)
		}
	}()
	go every(jobsCtx, logger, "hotspots", 10*time.Minute, true, func(ctx context.Context) error {
		n, err := hotspots.RecomputeHotspots(jaga.SystemContext(ctx))
		if n > 0 {
			logger.Info("hotspots", "active", n)
		}
		return err
	})
	go refreshTrust(jobsCtx)
	// A key rotated by 'jaga keys rotate' signs here within the interval;
	// revocations reach this server's verifier as fast.
	go every(jobsCtx, logger, "signing key reload", 30*time.Second, false, certs.reload)
	startDelivery(jobsCtx, c, db, logger)

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	stopJobs()
	// A last checkpoint, so that the log's newest entries are signed.
	if _, err := checkpoint(shutdownCtx); err != nil {
		logger.Warn("final checkpoint", "err", err.Error())
	}
	logger.Info("stopped")
	return nil
}

// services wires the store's services and the certificate verifier into
// the web layer.
func services(db *sqlstore.DB, checkpoint checkpointFunc, verifier jaga.CertificateVerifier) web.Services {
	accounts := sqlstore.NewAccountService(db)
	return web.Services{
		Accounts:      accounts,
		People:        sqlstore.NewPersonService(db),
		Organisations: sqlstore.NewOrganisationService(db),
		Contracts:     sqlstore.NewContractService(db),
		AccessLog:     sqlstore.NewAccessLog(db),
		Premises:      sqlstore.NewPremisesService(db),
		CheckIns:      sqlstore.NewCheckInService(db),
		Outbox:        accounts,
		Checkpoint:    checkpoint,
		Ready:         db.Ping,
		Verifier:      verifier,
		Doses:         sqlstore.NewDoseService(db),
		Desk:          newDesk(db, verifier),
		Tracing:       sqlstore.NewTracingService(db, jaga.DefaultTracing()),
		CaseCSV:       casecsv.Parse,
		CaseFeed:      casecsv.ParseFeed,
		Hotspots:      sqlstore.NewHotspotService(db, jaga.DefaultHotspots()),
		Certificates:  sqlstore.NewCertificateService(db),
		QRCode:        poster.QRPNG,
		CertificatePDF: func(d web.CertificateDocument) ([]byte, error) {
			c := d.Certificate
			return poster.CertificatePDF(poster.CertificateData{ID: c.ID, Payload: c.Payload, Status: c.Status,
				FullName: d.FullName, DateOfBirth: d.DateOfBirth, Country: c.Country, IssuedAt: c.IssuedAt,
				ExpiresAt: c.ExpiresAt, Doses: d.Doses, Language: d.Language})
		},
		Corrections: sqlstore.NewCorrectionService(db),
		DoseParsers: map[string]jaga.DoseParser{
			"text/csv":              dosecsv.Parse,
			"application/fhir+json": fhir.ParseImmunizationBundle,
		},
		Posters: func(p *jaga.Premises, token, lang, kind string) ([]byte, error) {
			d := poster.Data{Name: p.Name, Address: p.Address, ShortCode: p.ShortCode, Token: token, Language: lang}
			switch kind {
			case "pdf":
				return poster.PDF(d)
			case "png":
				return poster.PNG(d)
			}
			return nil, jaga.Errorf(jaga.EINVALID, "A poster is a pdf or a png.")
		},
	}
}

// every runs job at start when now is true and then every interval until
// ctx ends, logging its errors under name.
func every(ctx context.Context, logger *slog.Logger, name string, interval time.Duration, now bool, job func(context.Context) error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for first := now; ; first = false {
		if !first {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
		if err := job(ctx); err != nil && ctx.Err() == nil {
			logger.Error(name, "err", err.Error())
		}
	}
}

// startDelivery starts the job that sends the outbox's messages with the
// configured senders. In demo mode nothing is sent: the codes stay on the
// dev outbox page. Outside it, a channel without a sender is warned about
// once, since its codes cannot reach anyone.
func startDelivery(ctx context.Context, c config, db *sqlstore.DB, logger *slog.Logger) {
	senders := c.senders()
	if c.Demo {
		if len(senders) > 0 {
			logger.Warn("demo mode: the outbox is not delivered; the SMTP and SMS settings are ignored")
		}
		return
	}
	if senders[jaga.ContactEmail] == nil {
		logger.Warn("no SMTP server configured (JAGA_SMTP_HOST): codes for email addresses cannot be delivered")
	}
	if senders[jaga.ContactPhone] == nil {
		logger.Warn("no SMS gateway configured (JAGA_SMS_URL): codes for phone numbers cannot be delivered")
	}
	if len(senders) == 0 {
		return
	}
	d := &notify.Deliverer{Queue: sqlstore.NewOutboxService(db), Senders: senders, Batch: 50, Logger: logger}
	logger.Info("outbox delivery", "channels", d.Channels(), "every", c.OutboxEvery.String())
	go every(ctx, logger, "outbox delivery", c.OutboxEvery, true, func(ctx context.Context) error {
		for {
			r, err := d.Deliver(ctx)
			if r.Sent+r.Failed > 0 {
				logger.Info("outbox delivered", "sent", r.Sent, "failed", r.Failed)
			}
			// A full batch may mean more are waiting.
			if err != nil || r.Sent+r.Failed < d.Batch {
				return err
			}
		}
	})
}

// serveGCPercent is the collector's target for serve unless GOGC is set:
// the server's own heap is small (SQLite's page caches live outside it), and
// at Go's default of 100 collection took about 6 % of its CPU at thousands
// of check-ins a second; at 400, 7 % more check-ins a second in paired runs
// (docs/performance.md).
const serveGCPercent = 400

// tuneGC sets the collector's target for serve, unless GOGC says otherwise.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
}
