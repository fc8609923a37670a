package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/jaga-health/jaga"
	"github.com/jaga-health/jaga/loadgen"
	"github.com/jaga-health/jaga/sqlstore"
)

const loadgenUsage = `Usage:
  jaga loadgen seed --db DSN [--users N] [--premises N] [--dependant-share F] --out FILE
      Create a synthetic population in the database: citizens with sessions,
      some with dependants, and premises with their QR tokens; write what
      the load needs (tokens, ids) to FILE.
  jaga loadgen run --url URL --population FILE [--target checkin|healthz|signup]
                   [--rate R | --curve DAY --scale S --compress C] [--workers N]
                   [--duration D] [--acked FILE]
      Drive a running jaga over HTTP. --rate 0 is closed loop (as fast as it
      answers). --curve replays a real day's half-hour shape from Malaysia's
      published check-ins (default the peak day, 2021-12-04), --scale times
      its volume, each half hour compressed --compress times. --acked writes
      the id of every visit the server acknowledged, one a line.
`

// population is what a load run needs of the seeded world.
type population struct {
	Users    []popUser     `json:"users"`
	Premises []popPremises `json:"premises"`
}

type popUser struct {
	Token      string   `json:"token"`
	Dependants []string `json:"dependants,omitempty"`

	auth           string // the Authorization header's value
	dependantsJSON []byte // Dependants as JSON
}

type popPremises struct {
	ID        string `json:"id"`
	Token     string `json:"token"`
	ShortCode string `json:"shortCode"`

	tokenJSON []byte // Token as JSON
}

// prepare works out once what every check-in request of a run repeats, so
// that the generator spends as little as it can of the machine it shares
// with the server.
func (pop *population) prepare() {
	for i := range pop.Users {
		u := &pop.Users[i]
		u.auth = "Bearer " + u.Token
		u.dependantsJSON, _ = json.Marshal(u.Dependants)
	}
	for i := range pop.Premises {
		pop.Premises[i].tokenJSON, _ = json.Marshal(pop.Premises[i].Token)
	}
}

// appendCheckInBody appends the JSON of a check-in at p, bringing u's
// dependants when withDependants is set.
func appendCheckInBody(b []byte, u *popUser, p *popPremises, withDependants bool) []byte {
	b = append(b, `{"token":`...)
	b = append(b, p.tokenJSON...)
	if withDependants && len(u.Dependants) > 0 {
		b = append(b, `,"dependants":`...)
		b = append(b, u.dependantsJSON...)
	}
	return append(b, '}')
}

func runLoadgen(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, loadgenUsage)
		return exitError{code: 2}
	}
	switch args[0] {
	case "seed":
		return loadgenSeed(ctx, args[1:], getenv, stdout, stderr)
	case "run":
		return loadgenRun(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "jaga loadgen: unknown command %q\n\n%s", args[0], loadgenUsage)
	return exitError{code: 2}
}

func loadgenSeed(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := defaultConfig()
	if err := c.fromEnv(getenv); err != nil {
		return exitError{code: 2, msg: err.Error()}
	}
	fs := flag.NewFlagSet("jaga loadgen seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.flags(fs, false)
	users := fs.Int("users", 10000, "citizens to create")
	premises := fs.Int("premises", 1000, "premises to create")
	share := fs.Float64("dependant-share", 0.1, "share of citizens with one to three dependants")
	out := fs.String("out", "", "population file to write")
	if err := fs.Parse(args); err != nil {
		return exitError{code: 2}
	}
	if *out == "" || *users < 1 || *premises < 1 || *share < 0 || *share > 1 {
		return exitError{code: 2, msg: "loadgen seed: --out is required, --users and --premises must be positive, --dependant-share 0 to 1"}
	}
	db, err := openStore(ctx, c, c.logger(stderr), true)
	if err != nil {
		return err
	}
	defer db.Close()
	sys := jaga.SystemContext(ctx)
	start := time.Now()
	orgs := sqlstore.NewOrganisationService(db)
	org := &jaga.Organisation{Name: fmt.Sprintf("Synthetic premises owner %d", time.Now().UnixNano()), Kind: jaga.OrgPremisesOwner}
	if err := orgs.CreateOrganisation(sys, org); err != nil {
		return err
	}
	pop := population{Users: make([]popUser, *users), Premises: make([]popPremises, *premises)}
	ps := sqlstore.NewPremisesService(db)
	types := []string{"restaurant", "retail", "supermarket", "office", "mall", "clinic", "place_of_worship", "transport"}
	if err := parallel(*premises, 4, func(i int) error {
		p := &jaga.Premises{OrgID: org.ID, Name: fmt.Sprintf("Synthetic premises %d", i), Type: types[i%len(types)],
			Address: fmt.Sprintf("%d Jalan Sintetik, 50000 Kuala Lumpur", i), State: jaga.States[i%len(jaga.States)],
			Latitude: 1.5 + rand.Float64()*5, Longitude: 100.5 + rand.Float64()*18, Capacity: 50 + i%500}
		if err := ps.CreatePremises(sys, p); err != nil {
			return err
		}
		tok, err := ps.Token(sys, p.ID)
		if err != nil {
			return err
		}
		pop.Premises[i] = popPremises{ID: p.ID, Token: tok, ShortCode: p.ShortCode}
		return nil
	}); err != nil {
		return fmt.Errorf("seed premises: %w", err)
	}
	accounts := sqlstore.NewAccountService(db)
	people := sqlstore.NewPersonService(db)
	run := time.Now().UnixNano() % 1000
	if err := parallel(*users, 4, func(i int) error {
		phone := fmt.Sprintf("+6011%03d%05d", run, i%100000)
		if i >= 100000 {
			phone = fmt.Sprintf("+6015%03d%05d", (run+int64(i/100000))%1000, i%100000)
		}
		p, err := accounts.RegisterCitizen(sys, jaga.Contact{Value: phone}, syntheticProfile(i))
		if err != nil {
			return err
		}
		a := &jaga.Actor{Kind: jaga.ActorCitizen, ID: p.ID}
		token, _, err := accounts.CreateSession(sys, a)
		if err != nil {
			return err
		}
		u := popUser{Token: token}
		if rand.Float64() < *share {
			for d := 0; d < 1+rand.IntN(3); d++ {
				dep, err := people.AddDependant(jaga.NewContextWithActor(sys, a), syntheticProfile(i*10+d+1))
				if err != nil {
					return err
				}
				u.Dependants = append(u.Dependants, dep.ID)
			}
		}
		pop.Users[i] = u
		return nil
	}); err != nil {
		return fmt.Errorf("seed citizens: %w", err)
	}
	b, err := json.Marshal(pop)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, b, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded %d citizens and %d premises in %.1fs into %s\n", *users, *premises, time.Since(start).Seconds(), *out)
	return nil
}

func syntheticProfile(i int) jaga.Profile {
	given := []string{"Ahmad", "Siti", "Wei Ling", "Arjun", "Nurul", "Kumar", "Mei Hua", "Faizal", "Priya", "Hafiz"}
	year := 1950 + i%60
	return jaga.Profile{FullName: fmt.Sprintf("%s Sintetik %d", given[i%len(given)], i), IDType: jaga.IDTypeNRIC,
		IDNumber: fmt.Sprintf("%02d%02d%02d14%04d", year%100, 1+i%12, 1+i%28, i%10000), DateOfBirth: fmt.Sprintf("%d-%02d-%02d", year, 1+i%12, 1+i%28),
		Nationality: "MY", Address: "Jalan Sintetik, Kuala Lumpur", Language: []string{"ms", "en"}[i%2]}
}

// parallel runs f for 0..n-1 on workers goroutines and returns the first error.
func parallel(n, workers int, f func(i int) error) error {
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(i); err != nil {
					once.Do(func() { first = err })
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

func loadgenRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("jaga loadgen run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "http://127.0.0.1:8080", "the jaga to drive")
	popFile := fs.String("population", "", "population file from 'jaga loadgen seed'")
	target := fs.String("target", "checkin", "checkin, healthz or signup")
	rate := fs.Float64("rate", 0, "requests a second; 0 for closed loop")
	curveDay := fs.String("curve", "", "replay this day's half-hour shape (YYYY-MM-DD), e.g. "+loadgen.PeakDay)
	scale := fs.Float64("scale", 1, "with --curve: times the day's volume")
	compress := fs.Float64("compress", 1, "with --curve: each half hour lasts 30 minutes divided by this")
	workers := fs.Int("workers", 64, "concurrent requests")
	duration := fs.Duration("duration", 30*time.Second, "how long to run (without --curve)")
	acked := fs.String("acked", "", "write acknowledged visit ids to this file")
	dependantRate := fs.Float64("with-dependants", 0.3, "share of check-ins by users with dependants that bring them")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the load generator to this file")
	if err := fs.Parse(args); err != nil {
		return exitError{code: 2}
	}
	if *workers < 1 {
		return exitError{code: 2, msg: "loadgen run: --workers must be at least 1"}
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var pop population
	if *target == "checkin" {
		b, err := os.ReadFile(*popFile)
		if err != nil {
			return exitError{code: 2, msg: "loadgen run: --population: " + err.Error()}
		}
		if err := json.Unmarshal(b, &pop); err != nil || len(pop.Users) == 0 || len(pop.Premises) == 0 {
			return exitError{code: 2, msg: "loadgen run: the population file is not one that 'jaga loadgen seed' wrote"}
		}
		pop.prepare()
	}
	cfg := loadgen.Config{Rate: *rate, Workers: *workers, Duration: *duration}
	if *curveDay != "" {
		curve, err := loadgen.CheckInCurve(*curveDay)
		if err != nil {
			return exitError{code: 2, msg: err.Error()}
		}
		cfg.SegmentDuration = time.Duration(float64(30*time.Minute) / *compress)
		for i := range curve {
			curve[i] = curve[i] * *scale / cfg.SegmentDuration.Seconds()
		}
		cfg.Curve = curve
	}
	clients := make([]*loadgen.Client, *workers)
	for i := range clients {
		c, err := loadgen.NewClient(*url, 30*time.Second)
		if err != nil {
			return exitError{code: 2, msg: "loadgen run: --url: " + err.Error()}
		}
		clients[i] = c
		defer c.Close()
	}
	var ackMu sync.Mutex
	var ackW *bufio.Writer
	if *acked != "" {
		f, err := os.Create(*acked)
		if err != nil {
			return err
		}
		defer f.Close()
		ackW = bufio.NewWriter(f)
		defer func() { ackMu.Lock(); ackW.Flush(); ackMu.Unlock() }()
	}
	jsonBody := loadgen.Header{Name: "Content-Type", Value: "application/json"}
	bodies := make([][]byte, *workers) // each worker's request body, reused
	signupBase := time.Now().UnixNano() % 10000
	do := func(ctx context.Context, w int, n int64) error {
		var (
			status int
			answer []byte
			err    error
		)
		switch *target {
		case "healthz":
			status, answer, err = clients[w].Do(ctx, "GET", "/healthz", nil, nil)
		case "signup":
			body := fmt.Sprintf(`{"contact":"+6017%04d%04d"}`, (signupBase+n/10000)%10000, n%10000)
			status, answer, err = clients[w].Do(ctx, "POST", "/api/v1/auth/challenges", []loadgen.Header{jsonBody}, []byte(body))
		default:
			u := &pop.Users[rand.IntN(len(pop.Users))]
			p := &pop.Premises[rand.IntN(len(pop.Premises))]
			bodies[w] = appendCheckInBody(bodies[w][:0], u, p, rand.Float64() < *dependantRate)
			status, answer, err = clients[w].Do(ctx, "POST", "/api/v1/checkins",
				[]loadgen.Header{jsonBody, {Name: "Authorization", Value: u.auth}}, bodies[w])
		}
		if err != nil {
			return err
		}
		if status >= 300 {
			return fmt.Errorf("status %d: %s", status, answer[:min(len(answer), 512)])
		}
		if ackW == nil {
			return nil
		}
		ids, err := loadgen.VisitIDs(answer)
		if err != nil {
			return err
		}
		ackMu.Lock()
		for _, id := range ids {
			ackW.WriteString(id)
			ackW.WriteByte('\n')
		}
		ackMu.Unlock()
		return nil
	}
	res := loadgen.Run(ctx, cfg, do)
	fmt.Fprintf(stdout, "target=%s %s\n", *target, res)
	if res.FirstErr != "" {
		fmt.Fprintf(stdout, "first_error=%q\n", res.FirstErr)
	}
	if ctx.Err() != nil {
		return errors.New("loadgen run: interrupted")
	}
	return nil
}
