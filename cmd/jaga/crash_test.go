package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jaga-health/jaga/loadgen"
)

// TestMain lets the test binary act as jaga itself when JAGA_TEST_MAIN is
// set, so that tests can start the real program as a separate process and
// kill it.
func TestMain(m *testing.M) {
	if os.Getenv("JAGA_TEST_MAIN") == "1" {
		os.Args = append([]string{"jaga"}, os.Args[1:]...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startProcess starts `jaga serve` as a separate process and returns it
// with its URL.
func startProcess(t *testing.T, dsn string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve", "--db", dsn, "--addr", "127.0.0.1:0", "--log-level", "warn", "--checkpoint-every", "0")
	cmd.Env = append(os.Environ(), "JAGA_TEST_MAIN=1", "JAGA_MASTER_KEY="+testMasterKey(dsn))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	re := regexp.MustCompile(`jaga listening on (http://\S+)`)
	found := make(chan string, 1)
	go func() {
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case u := <-found:
		return cmd, u
	case <-time.After(20 * time.Second):
		t.Fatal("jaga serve did not start")
	}
	return nil, ""
}

// TestKillLosesNoAcknowledgedCheckIn runs check-ins against a separate jaga
// process, kills it with SIGKILL mid-run, and checks that every check-in
// the server acknowledged is in the database.
func TestKillLosesNoAcknowledgedCheckIn(t *testing.T) {
	if testing.Short() {
		t.Skip("kill test skipped in -short mode")
	}
	for _, d := range databases() {
		t.Run(d.name, func(t *testing.T) {
			dsn := d.dsn(t)
			popFile := filepath.Join(t.TempDir(), "pop.json")
			if _, stderr, err := runJaga(t, dsn, "loadgen", "seed", "--users", "400", "--premises", "40", "--out", popFile); err != nil {
				t.Fatalf("seed: %v %s", err, stderr)
			}
			var pop population
			b, _ := os.ReadFile(popFile)
			if err := json.Unmarshal(b, &pop); err != nil {
				t.Fatal(err)
			}
			cmd, url := startProcess(t, dsn)
			client := &http.Client{Timeout: 5 * time.Second}
			var mu sync.Mutex
			acked := map[string]bool{}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan *loadgen.Result, 1)
			go func() {
				done <- loadgen.Run(ctx, loadgen.Config{Workers: 32, Duration: 4 * time.Second}, func(ctx context.Context, w int, n int64) error {
					u := pop.Users[rand.IntN(len(pop.Users))]
					p := pop.Premises[rand.IntN(len(pop.Premises))]
					body, _ := json.Marshal(map[string]any{"token": p.Token, "dependants": u.Dependants})
					req, _ := http.NewRequestWithContext(ctx, "POST", url+"/api/v1/checkins", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", "Bearer "+u.Token)
					resp, err := client.Do(req)
					if err != nil {
						time.Sleep(10 * time.Millisecond)
						return err
					}
					defer resp.Body.Close()
					if resp.StatusCode != http.StatusCreated {
						return fmt.Errorf("status %d", resp.StatusCode)
					}
					var res struct {
						Visits []struct{ ID string } `json:"visits"`
					}
					if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
						return err
					}
					mu.Lock()
					for _, v := range res.Visits {
						acked[v.ID] = true
					}
					mu.Unlock()
					return nil
				})
			}()
			time.Sleep(1500 * time.Millisecond)
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			res := <-done
			cmd.Wait()
			mu.Lock()
			defer mu.Unlock()
			if len(acked) < 100 {
				t.Fatalf("only %d check-ins acknowledged before the kill (%s); the test proves nothing", len(acked), res)
			}
			raw := rawDB(t, dsn)
			missing := 0
			for id := range acked {
				var n int
				if err := raw.QueryRow(`SELECT count(*) FROM checkins WHERE id = CAST($1 AS BIGINT)`, id).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != 1 {
					missing++
				}
			}
			t.Logf("%d visits acknowledged before SIGKILL, %d requests failed after it; %d missing", len(acked), res.Errors, missing)
			if missing > 0 {
				t.Fatalf("%d acknowledged check-ins were lost", missing)
			}
		})
	}
}
