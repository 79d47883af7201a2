package faults

import (
	"context"
	"errors"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"
)

// Fault is what the proxy does to one request.
type Fault int

// The faults Proxy injects.
const (
	// Pass forwards the request untouched.
	Pass Fault = iota
	// Status500 answers 500 with an S3 InternalError body.
	Status500
	// SlowDown answers 503 with an S3 SlowDown body.
	SlowDown
	// Reset closes the connection with a TCP RST before any answer.
	Reset
	// Stall holds the request for Config.StallFor (or until the client
	// gives up), then forwards it.
	Stall
	// Truncate forwards the answer's headers, Content-Length included, and
	// half its body (512 bytes of a body of unknown length), then drops the
	// connection.
	Truncate
	nFaults
)

var faultNames = [...]string{"pass", "500", "503 SlowDown", "reset", "stall", "truncated body"}

func (f Fault) String() string { return faultNames[f] }

// Config says which requests fail and how.
type Config struct {
	// Rate is the share of matching requests that get a fault, each kind
	// of Kinds equally often.
	Rate float64
	// Seed makes the sequence of faults reproducible.
	Seed uint64
	// StallFor is how long Stall holds a request (default 5s).
	StallFor time.Duration
	// Match selects the requests faults apply to; nil means GETs.
	Match func(*http.Request) bool
	// Kinds are the faults to choose from; nil means all of them.
	Kinds []Fault
}

// Proxy is a reverse proxy in front of an S3 server that injects faults.
// It is safe for concurrent use.
type Proxy struct {
	ln  net.Listener
	srv *http.Server
	rp  *httputil.ReverseProxy

	mu     sync.Mutex
	cfg    Config
	rng    *rand.Rand
	counts [nFaults]int
}

type faultKey struct{}

// NewProxy starts a proxy on a free loopback port forwarding to upstream
// (e.g. "http://127.0.0.1:7070").
func NewProxy(upstream string, cfg Config) (*Proxy, error) {
	target, err := url.Parse(upstream)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln}
	p.SetConfig(cfg)
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host // SigV4 signs the Host header: keep it
		},
		Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64},
		ModifyResponse: func(resp *http.Response) error {
			if f, _ := resp.Request.Context().Value(faultKey{}).(Fault); f == Truncate {
				left := int64(512) // a body of unknown length is cut after 512 bytes
				if resp.ContentLength > 0 {
					left = resp.ContentLength / 2
				}
				resp.Body = &cutBody{r: resp.Body, left: left}
			}
			return nil
		},
		ErrorLog: log.New(io.Discard, "", 0),
	}
	p.srv = &http.Server{Handler: http.HandlerFunc(p.serve), ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// URL is the proxy's base URL, the endpoint S3 clients use.
func (p *Proxy) URL() string { return "http://" + p.ln.Addr().String() }

// SetConfig changes the faults from now on.
func (p *Proxy) SetConfig(cfg Config) {
	if cfg.StallFor <= 0 {
		cfg.StallFor = 5 * time.Second
	}
	if len(cfg.Kinds) == 0 {
		for f := Status500; f < nFaults; f++ {
			cfg.Kinds = append(cfg.Kinds, f)
		}
	}
	if cfg.Match == nil {
		cfg.Match = func(r *http.Request) bool { return r.Method == http.MethodGet }
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cfg = cfg
	p.rng = rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
}

// Counts returns how many requests got each fault so far (Pass included).
func (p *Proxy) Counts() map[Fault]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[Fault]int, nFaults)
	for f, n := range p.counts {
		out[Fault(f)] = n
	}
	return out
}

// Close stops the proxy.
func (p *Proxy) Close() error { return p.srv.Close() }

func (p *Proxy) pick(r *http.Request) (Fault, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := Pass
	if p.cfg.Match(r) && p.rng.Float64() < p.cfg.Rate {
		f = p.cfg.Kinds[p.rng.IntN(len(p.cfg.Kinds))]
	}
	p.counts[f]++
	return f, p.cfg.StallFor
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	f, stall := p.pick(r)
	switch f {
	case Status500:
		s3Error(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		return
	case SlowDown:
		s3Error(w, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
		return
	case Reset:
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			if tcp, ok := conn.(*net.TCPConn); ok {
				_ = tcp.SetLinger(0)
			}
			_ = conn.Close()
		}
		return
	case Stall:
		t := time.NewTimer(stall)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	p.rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), faultKey{}, f)))
}

func s3Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>`+code+`</Code><Message>`+msg+`</Message></Error>`)
}

// cutBody returns the first left bytes of r, then an error, which makes
// the reverse proxy abort the response mid-body.
type cutBody struct {
	r    io.ReadCloser
	left int64
}

var errCut = errors.New("faults: body cut short")

func (b *cutBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errCut
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *cutBody) Close() error { return b.r.Close() }
