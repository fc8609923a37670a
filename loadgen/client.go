package loadgen

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Client sends HTTP/1.1 requests to one server over one kept-alive
// connection, one request at a time, for one worker of a run. It leaves
// more of a shared machine to the server under test than net/http's
// Transport, which hands every request between goroutines; the load
// generator and the server share the same cores in the benchmarks.
// A Client is not safe for concurrent use.
type Client struct {
	addr    string // host:port to dial
	host    string // Host header
	timeout time.Duration

	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
	body []byte // the last answer's body, reused
}

// Header is one request header.
type Header struct{ Name, Value string }

// NewClient returns a client for the http:// server at base, such as
// http://127.0.0.1:8080. Each request must finish within timeout.
func NewClient(base string, timeout time.Duration) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("loadgen: %q is not an http://host:port address", base)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	return &Client{addr: addr, host: u.Host, timeout: timeout}, nil
}

// Do sends a request and returns the answer's status code and body. The
// body is valid until the next call. After any error the connection is
// closed and the next call dials again.
func (c *Client) Do(ctx context.Context, method, path string, headers []Header, body []byte) (int, []byte, error) {
	status, b, err := c.roundTrip(ctx, method, path, headers, body)
	if err != nil {
		c.Close()
	}
	return status, b, err
}

func (c *Client) roundTrip(ctx context.Context, method, path string, headers []Header, body []byte) (int, []byte, error) {
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	if c.conn == nil {
		d := net.Dialer{Timeout: c.timeout}
		conn, err := d.DialContext(ctx, "tcp", c.addr)
		if err != nil {
			return 0, nil, err
		}
		c.conn = conn
		c.r = bufio.NewReaderSize(conn, 16<<10)
		c.w = bufio.NewWriterSize(conn, 4<<10)
	}
	if err := c.conn.SetDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, nil, err
	}
	w := c.w
	w.WriteString(method)
	w.WriteByte(' ')
	w.WriteString(path)
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(c.host)
	w.WriteString("\r\nUser-Agent: jaga-loadgen\r\n")
	for _, h := range headers {
		w.WriteString(h.Name)
		w.WriteString(": ")
		w.WriteString(h.Value)
		w.WriteString("\r\n")
	}
	if body != nil || method == http.MethodPost || method == http.MethodPut {
		w.WriteString("Content-Length: ")
		w.WriteString(strconv.Itoa(len(body)))
		w.WriteString("\r\n")
	}
	w.WriteString("\r\n")
	w.Write(body)
	if err := w.Flush(); err != nil {
		return 0, nil, err
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return 0, nil, err
	}
	c.body, err = readBody(resp, c.body[:0])
	resp.Body.Close()
	if err != nil {
		return 0, nil, err
	}
	if resp.Close {
		c.Close()
	}
	return resp.StatusCode, c.body, nil
}

// maxAnswer bounds an answer's body.
const maxAnswer = 8 << 20

func readBody(resp *http.Response, buf []byte) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 {
		if n > maxAnswer {
			return nil, fmt.Errorf("answer of %d bytes", n)
		}
		if int64(cap(buf)) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		_, err := io.ReadFull(resp.Body, buf)
		return buf, err
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err == nil && len(b) > maxAnswer {
		err = errors.New("answer too long")
	}
	return b, err
}

// Close closes the connection, if one is open.
func (c *Client) Close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn, c.r, c.w = nil, nil, nil
	}
}
