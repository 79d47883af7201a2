package localserver

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	for _, tc := range []struct {
		name, stat string
		want       time.Duration
		err        string
	}{
		{"plain", "4242 (redis-server) S 1 4242 4242 0 -1 4194560 512 0 0 0 150 37 0 0 20 0 5 0 100 0 0", 1870 * time.Millisecond, ""},
		{"name with spaces and parens", "7 (a b) c)) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0", 70 * time.Millisecond, ""},
		{"no name", "4242 redis-server S 1", 0, "without a command name"},
		{"short", "4242 (x) S 1 2 3", 0, "want at least 13"},
		{"not a number", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 ten 4 0 0", 0, `CPU time "ten"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStatCPU(tc.stat)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want one with %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// TestStartStop runs a shell loop as a server: it is ready once it has
// written its port to a file, its CPU time grows while it spins, and Stop
// ends it (twice is fine).
func TestStartStop(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on PATH")
	}
	var portFile string
	s, err := Start(context.Background(), "spinner", 10*time.Second, func() (string, error) { return t.TempDir(), nil },
		func(port int, dir string) (*Process, error) {
			portFile = filepath.Join(dir, "port")
			cmd := exec.Command(sh, "-c", `echo "$1" > "$2"; while :; do :; done`, "sh", strconv.Itoa(port), portFile)
			return &Process{Cmd: cmd, Ready: func(context.Context) error {
				b, err := os.ReadFile(portFile)
				if err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(port) {
					return errors.New("no port file yet")
				}
				return nil
			}}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if s.Port <= 0 || s.Pid() <= 0 {
		t.Fatalf("port %d pid %d", s.Port, s.Pid())
	}
	// CPU is counted in 10ms steps: wait until the spinning shows.
	deadline := time.Now().Add(20 * time.Second)
	for {
		cpu, err := s.CPU()
		if err != nil {
			t.Fatal(err)
		}
		if cpu > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a spinning process used no CPU time")
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Stop()
	s.Stop()
	if _, err := s.CPU(); err == nil {
		t.Error("CPU of a stopped server: no error")
	}
}

// TestStartFails is a server that exits before it is ready: Start tries
// three times and says why, with the server's log.
func TestStartFails(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on PATH")
	}
	tries := 0
	_, err = Start(context.Background(), "quitter", 5*time.Second, func() (string, error) { return t.TempDir(), nil },
		func(port int, dir string) (*Process, error) {
			tries++
			log := filepath.Join(dir, "log")
			cmd := exec.Command(sh, "-c", `echo "cannot bind" > "$1"; exit 3`, "sh", log)
			return &Process{Cmd: cmd, Log: log, Ready: func(context.Context) error { return errors.New("never") }}, nil
		})
	if err == nil {
		t.Fatal("no error")
	}
	if tries != startAttempts {
		t.Errorf("%d tries, want %d", tries, startAttempts)
	}
	for _, want := range []string{"quitter exited before it was ready", "exit status 3", "quitter log:\ncannot bind"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
