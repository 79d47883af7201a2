package testdeps

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

const (
	startAttempts = 3               // ports can be taken between choosing and binding
	stopWait      = 5 * time.Second // how long a server may take to exit on SIGTERM
	pollEvery     = 20 * time.Millisecond
)

// Process is one server process for [StartServer] to run.
type Process struct {
	// Cmd is the server's command, not yet started.
	Cmd *exec.Cmd
	// Log is the file the server logs to, shown when it fails to start;
	// "" for none.
	Log string
	// Ready probes the server: nil once it answers.
	Ready func(ctx context.Context) error
}

// StartServer runs a throw-away server for tb on a free loopback port and
// returns the port. command builds the server's [Process] for the port and
// a fresh directory from tb.TempDir(). StartServer waits until the
// process's Ready returns nil, polling it, for at most wait; when the
// process exits first, or wait passes, it stops it and tries again on
// another port, and after three tries it fails the test with the reason
// and the server's log. The server is stopped in tb.Cleanup: SIGTERM, and
// SIGKILL if it has not exited 5s later.
func StartServer(tb testing.TB, name string, wait time.Duration, command func(port int, dir string) (*Process, error)) int {
	tb.Helper()
	var lastErr error
	for range startAttempts {
		port, err := startServer(tb, name, wait, command)
		if err == nil {
			return port
		}
		lastErr = err
	}
	tb.Fatalf("testdeps: starting %s: %v", name, lastErr)
	return 0
}

// startServer makes one attempt; on failure the process is gone and the
// error says why.
func startServer(tb testing.TB, name string, wait time.Duration, command func(port int, dir string) (*Process, error)) (int, error) {
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	p, err := command(port, tb.TempDir())
	if err != nil {
		return 0, err
	}
	if err := p.Cmd.Start(); err != nil {
		return 0, err
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = p.Cmd.Wait(); close(exited) }()
	stop := func() {
		_ = p.Cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(stopWait):
			_ = p.Cmd.Process.Kill()
			<-exited
		}
	}

	if err := waitReady(name, wait, p.Ready, exited, &waitErr); err != nil {
		stop()
		if p.Log != "" {
			logText, _ := os.ReadFile(p.Log)
			err = fmt.Errorf("%w\n%s log:\n%s", err, name, logText)
		}
		return 0, err
	}
	tb.Cleanup(stop)
	return port, nil
}

// waitReady polls ready until it answers, the process exits (closing
// exited after setting *waitErr) or wait passes.
func waitReady(name string, wait time.Duration, ready func(context.Context) error, exited <-chan struct{}, waitErr *error) error {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
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
