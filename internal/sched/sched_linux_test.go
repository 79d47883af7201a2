package sched

import (
	"runtime"
	"slices"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// TestApply moves the test process to SCHED_BATCH and back: every thread
// changes, threads the runtime starts afterwards inherit the policy, and
// a second Apply has nothing left to do.
func TestApply(t *testing.T) {
	for _, p := range []Policy{Batch, Normal} {
		if _, err := Apply(p); err != nil {
			t.Fatalf("Apply(%s): %v", p, err)
		}
		got, err := Count()
		if err != nil {
			t.Fatal(err)
		}
		if total := sum(got); got[p] != total || total == 0 {
			t.Errorf("after Apply(%s): threads by policy %v, want all %d %s", p, got, total, p)
		}
		before, err := threads()
		if err != nil {
			t.Fatal(err)
		}
		fresh := 0
		for tid, policy := range newThreads(t, 8) {
			if !slices.Contains(before, tid) {
				fresh++
			}
			if want, _ := linuxPolicy(p); policy != want {
				t.Errorf("thread %d started after Apply(%s) has policy %d", tid, p, policy)
			}
		}
		if fresh == 0 {
			t.Fatalf("8 locked goroutines ran on threads that existed before: nothing shows inheritance")
		}
		if n, err := Apply(p); err != nil || n != 0 {
			t.Errorf("Apply(%s) again changed %d threads (%v), want 0", p, n, err)
		}
	}
}

func sum(m map[Policy]int) (n int) {
	for _, v := range m {
		n += v
	}
	return n
}

// newThreads runs n goroutines locked to their threads, all blocked at
// once (so the runtime needs a thread each and starts the missing ones),
// and returns each thread's id and policy; the threads end with them.
func newThreads(t *testing.T, n int) map[int]uint32 {
	t.Helper()
	var (
		mu    sync.Mutex
		ready sync.WaitGroup
		done  sync.WaitGroup
		errs  []error
	)
	seen := make(map[int]uint32, n)
	release := make(chan struct{})
	for range n {
		ready.Add(1)
		done.Go(func() {
			runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
			attr, err := unix.SchedGetAttr(0, 0)
			mu.Lock()
			if err != nil {
				errs = append(errs, err)
			} else {
				seen[unix.Gettid()] = attr.Policy
			}
			mu.Unlock()
			ready.Done()
			<-release
		})
	}
	ready.Wait()
	close(release)
	done.Wait()
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	return seen
}

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Policy
		ok   bool
	}{
		{"batch", Batch, true},
		{"normal", Normal, true},
		{"fifo", "", false},
		{"", "", false},
	} {
		got, err := Parse(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("Parse(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// TestApplyKeepsNice: a thread whose nice value was raised keeps it
// across Apply.
func TestApplyKeepsNice(t *testing.T) {
	tid, got := make(chan int), make(chan int32)
	release := make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked: the thread, niced, ends with the goroutine
		me := unix.Gettid()
		if err := unix.Setpriority(unix.PRIO_PROCESS, me, 7); err != nil {
			t.Error(err)
		}
		tid <- me
		<-release
		attr, err := unix.SchedGetAttr(0, 0)
		if err != nil {
			t.Error(err)
		}
		got <- attr.Nice
	}()
	<-tid
	for _, p := range []Policy{Batch, Normal} {
		if _, err := Apply(p); err != nil {
			t.Fatal(err)
		}
	}
	close(release)
	if nice := <-got; nice != 7 {
		t.Errorf("nice after Apply(batch) and Apply(normal) = %d, want 7", nice)
	}
}
