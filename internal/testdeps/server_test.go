package testdeps_test

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/itemvec/itemvec/internal/testdeps"
)

// TestStartServer runs sleep as a server that is ready at the third poll,
// and as one that exits at once.
func TestStartServer(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep on PATH")
	}
	var started *exec.Cmd
	port := testdeps.StartServer(t, "sleeper", 5*time.Second, func(port int, dir string) (*testdeps.Process, error) {
		if port <= 0 {
			t.Errorf("port %d", port)
		}
		started = exec.Command(sleep, "60")
		polls := 0
		return &testdeps.Process{Cmd: started, Ready: func(context.Context) error {
			if polls++; polls < 3 {
				return errors.New("not yet")
			}
			return nil
		}}, nil
	})
	if port <= 0 || started.Process == nil {
		t.Fatalf("port %d, process %v", port, started.Process)
	}

	ended := call(t, func(tb testing.TB) {
		testdeps.StartServer(tb, "quitter", 5*time.Second, func(int, string) (*testdeps.Process, error) {
			return &testdeps.Process{Cmd: exec.Command(sleep, "0"), Ready: func(context.Context) error { return errors.New("never") }}, nil
		})
	})
	if !strings.HasPrefix(ended, "fatal: testdeps: starting quitter: quitter exited before it was ready") {
		t.Errorf("ended %q", ended)
	}
}
