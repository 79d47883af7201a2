package localserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	startAttempts = 3               // ports can be taken between choosing and binding
	stopWait      = 5 * time.Second // how long a server may take to exit on SIGTERM
	pollEvery     = 20 * time.Millisecond
)

// Process is one server process for [Start] to run.
type Process struct {
	// Cmd is the server's command, not yet started.
	Cmd *exec.Cmd
	// Log is the file the server logs to, shown when it fails to start;
	// "" for none.
	Log string
	// Ready probes the server: nil once it answers.
	Ready func(ctx context.Context) error
}

// Server is a started server process.
type Server struct {
	// Port is the loopback port the server listens on.
	Port int

	cmd    *exec.Cmd
	exited chan struct{}
	once   sync.Once
}

// Start runs a server on a free loopback port. command builds the server's
// [Process] for the port and a directory from dir (called once per try).
// Start waits until the process's Ready returns nil, polling it, for at
// most wait; when the process exits first, or wait passes, it stops it and
// tries again on another port, and after three tries it returns the last
// reason with the server's log. ctx bounds the whole start, not the
// server's life: call Stop.
func Start(ctx context.Context, name string, wait time.Duration, dir func() (string, error), command func(port int, dir string) (*Process, error)) (*Server, error) {
	var lastErr error
	for range startAttempts {
		s, err := start(ctx, name, wait, dir, command)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

// start makes one attempt; on failure the process is gone and the error
// says why.
func start(ctx context.Context, name string, wait time.Duration, dir func() (string, error), command func(port int, dir string) (*Process, error)) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	d, err := dir()
	if err != nil {
		return nil, err
	}
	p, err := command(port, d)
	if err != nil {
		return nil, err
	}
	if err := p.Cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{Port: port, cmd: p.Cmd, exited: make(chan struct{})}
	var waitErr error
	go func() { waitErr = p.Cmd.Wait(); close(s.exited) }()
	if err := waitReady(ctx, name, wait, p.Ready, s.exited, &waitErr); err != nil {
		s.Stop()
		if p.Log != "" {
			logText, _ := os.ReadFile(p.Log)
			err = fmt.Errorf("%w\n%s log:\n%s", err, name, logText)
		}
		return nil, err
	}
	return s, nil
}

// Stop sends the server SIGTERM and waits for it to exit, killing it when
// it has not 5s later. Calls after the first do nothing.
func (s *Server) Stop() {
	s.once.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(stopWait):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	})
}

// Pid is the server's process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// userHZ is the unit of /proc/<pid>/stat's CPU times: USER_HZ, 100 on
// every Linux architecture Go supports.
const userHZ = 100

// CPU is the CPU time (user + system) the running server has used so far,
// from /proc/<pid>/stat, in steps of 10ms. It fails where there is no
// /proc (not Linux) or once the server has exited.
func (s *Server) CPU() (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(s.Pid()) + "/stat")
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime and stime (fields 14 and 15) from the text of
// /proc/<pid>/stat. The command name (field 2) is in parentheses and may
// hold spaces, so the fields are counted from its closing parenthesis.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("localserver: /proc stat without a command name")
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3, the state
	if len(f) < 13 {
		return 0, fmt.Errorf("localserver: /proc stat has %d fields after the name, want at least 13", len(f))
	}
	var ticks int64
	for _, v := range f[11:13] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("localserver: /proc stat CPU time %q: %w", v, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// waitReady polls ready until it answers, the process exits (closing
// exited after setting *waitErr), wait passes or ctx ends.
func waitReady(ctx context.Context, name string, wait time.Duration, ready func(context.Context) error, exited <-chan struct{}, waitErr *error) error {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		err := ready(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("%s exited before it was ready: %v", name, *waitErr)
		case <-ctx.Done():
			return fmt.Errorf("%s not ready within %s: %w", name, wait, err)
		case <-tick.C:
		}
	}
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
