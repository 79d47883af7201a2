package faults

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestProxy(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 1000)
	var hosts []string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hosts = append(hosts, r.Host)
		w.Header().Set("Content-Length", strconv.Itoa(len(body))) // as S3 does
		_, _ = w.Write(body)
	}))
	t.Cleanup(upstream.Close)
	tests := []struct {
		fault Fault
		check func(t *testing.T, resp *http.Response, err error)
	}{
		{Pass, func(t *testing.T, resp *http.Response, err error) {
			got, rerr := readAll(resp, err)
			if rerr != nil || !bytes.Equal(got, body) {
				t.Fatalf("pass: %d bytes, %v; want the upstream's %d bytes", len(got), rerr, len(body))
			}
		}},
		{Status500, s3Code(http.StatusInternalServerError, "InternalError")},
		{SlowDown, s3Code(http.StatusServiceUnavailable, "SlowDown")},
		{Reset, func(t *testing.T, _ *http.Response, err error) {
			if err == nil {
				t.Fatal("reset: the request succeeded")
			}
		}},
		{Stall, func(t *testing.T, _ *http.Response, err error) {
			if ne, ok := errors.AsType[net.Error](err); !ok || !ne.Timeout() {
				t.Fatalf("stall: err = %v, want a client timeout", err)
			}
		}},
		{Truncate, func(t *testing.T, resp *http.Response, err error) {
			got, rerr := readAll(resp, err)
			if !errors.Is(rerr, io.ErrUnexpectedEOF) || len(got) >= len(body) {
				t.Fatalf("truncate: %d of %d bytes, err %v; want a short body and io.ErrUnexpectedEOF", len(got), len(body), rerr)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.fault.String(), func(t *testing.T) {
			cfg := Config{Rate: 1, Kinds: []Fault{tc.fault}, StallFor: 2 * time.Second}
			if tc.fault == Pass {
				cfg.Rate = 0
			}
			p, err := NewProxy(upstream.URL, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Close() })
			hosts = nil
			client := &http.Client{Timeout: 300 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
			req, _ := http.NewRequest(http.MethodGet, p.URL()+"/bucket/key", nil)
			resp, err := client.Do(req)
			tc.check(t, resp, err)
			if got := p.Counts()[tc.fault]; got != 1 {
				t.Errorf("Counts()[%s] = %d, want 1", tc.fault, got)
			}
			if tc.fault == Pass || tc.fault == Truncate {
				if len(hosts) != 1 || hosts[0] != strings.TrimPrefix(p.URL(), "http://") {
					t.Errorf("upstream saw Host %q, want the client's %q", hosts, strings.TrimPrefix(p.URL(), "http://"))
				}
			}
		})
	}
}

func TestProxy_SameSeedSameFaults(t *testing.T) {
	seq := func() []Fault {
		p, err := NewProxy("http://127.0.0.1:1", Config{Rate: 0.5, Seed: 42})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		req := httptest.NewRequest(http.MethodGet, "/b/k", nil)
		var out []Fault
		for range 50 {
			f, _ := p.pick(req)
			out = append(out, f)
		}
		return out
	}
	a, b := seq(), seq()
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different faults:\n%v\n%v", a, b)
	}
}

func readAll(resp *http.Response, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

func s3Code(status int, code string) func(t *testing.T, resp *http.Response, err error) {
	return func(t *testing.T, resp *http.Response, err error) {
		got, rerr := readAll(resp, err)
		if rerr != nil || resp.StatusCode != status || !bytes.Contains(got, []byte("<Code>"+code+"</Code>")) {
			t.Fatalf("got %v %q (%v), want %d with code %s", resp, got, rerr, status, code)
		}
	}
}
