package loadgen_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jaga-health/jaga/loadgen"
)

func TestClient(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/echo":
			b, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, "%s %s %s %s", r.Method, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), b)
		case "/chunked":
			w.Write([]byte("part one, "))
			w.(http.Flusher).Flush()
			w.Write([]byte("part two"))
		case "/close":
			w.Header().Set("Connection", "close")
			w.Write([]byte("bye"))
		case "/missing":
			http.Error(w, "no such thing", http.StatusNotFound)
		case "/slow":
			time.Sleep(300 * time.Millisecond)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	c, err := loadgen.NewClient(srv.URL, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	tests := []struct {
		name       string
		method     string
		path       string
		headers    []loadgen.Header
		body       string
		wantStatus int
		wantBody   string
		wantConns  int64 // connections opened so far
	}{
		{"get", "GET", "/echo", nil, "", 200, "GET   ", 1},
		{"post with headers and body", "POST", "/echo",
			[]loadgen.Header{{Name: "Authorization", Value: "Bearer x"}, {Name: "Content-Type", Value: "application/json"}},
			`{"a":1}`, 200, `POST Bearer x application/json {"a":1}`, 1},
		{"empty post", "POST", "/echo", nil, "", 200, "POST   ", 1},
		{"chunked answer", "GET", "/chunked", nil, "", 200, "part one, part two", 1},
		{"error status", "GET", "/missing", nil, "", 404, "no such thing\n", 1},
		{"server closes", "GET", "/close", nil, "", 200, "bye", 1},
		{"dials again after a close", "GET", "/echo", nil, "", 200, "GET   ", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body []byte
			if tt.body != "" {
				body = []byte(tt.body)
			}
			status, got, err := c.Do(ctx, tt.method, tt.path, tt.headers, body)
			if err != nil {
				t.Fatal(err)
			}
			if status != tt.wantStatus || string(got) != tt.wantBody {
				t.Fatalf("got %d %q, want %d %q", status, got, tt.wantStatus, tt.wantBody)
			}
			if n := conns.Load(); n != tt.wantConns {
				t.Fatalf("%d connections opened, want %d", n, tt.wantConns)
			}
		})
	}

	t.Run("timeout", func(t *testing.T) {
		slow, err := loadgen.NewClient(srv.URL, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		defer slow.Close()
		if _, _, err := slow.Do(ctx, "GET", "/slow", nil, nil); err == nil || !strings.Contains(err.Error(), "timeout") {
			t.Fatalf("err = %v, want a timeout", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, _, err := c.Do(cctx, "GET", "/echo", nil, nil); err == nil {
			t.Fatal("a cancelled request was sent")
		}
	})
	t.Run("bad address", func(t *testing.T) {
		for _, base := range []string{"https://127.0.0.1:1", "127.0.0.1:8080", "http://"} {
			if _, err := loadgen.NewClient(base, time.Second); err == nil {
				t.Errorf("NewClient(%q) accepted", base)
			}
		}
	})
}
