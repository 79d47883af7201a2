package testdeps

import (
	"context"
	"testing"
	"time"

	"github.com/itemvec/itemvec/internal/localserver"
)

// Process is one server process for [StartServer] to run.
type Process = localserver.Process

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
	s, err := localserver.Start(context.Background(), name, wait,
		func() (string, error) { return tb.TempDir(), nil }, command)
	if err != nil {
		tb.Fatalf("testdeps: starting %s: %v", name, err)
	}
	tb.Cleanup(s.Stop)
	return s.Port
}
