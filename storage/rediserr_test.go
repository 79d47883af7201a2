package storage

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec"
)

// reply is a server error reply as go-redis returns it: a redis.Error.
type reply string

func (r reply) Error() string { return string(r) }
func (reply) RedisError()     {}

func TestClassifyRedis_Replies(t *testing.T) {
	tests := []struct {
		reply     string
		code      string
		retryable bool
	}{
		{"LOADING Redis is loading the dataset in memory", CodeUnavailable, true},
		{"BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.", CodeUnavailable, true},
		{"MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.", CodeUnavailable, true},
		{"READONLY You can't write against a read only replica.", CodeUnavailable, true},
		{"TRYAGAIN Multiple keys request during rehashing of slot", CodeUnavailable, true},
		{"CLUSTERDOWN The cluster is down", CodeUnavailable, true},
		{"MOVED 3999 127.0.0.1:6381", CodeUnavailable, true},
		{"ASK 3999 127.0.0.1:6381", CodeUnavailable, true},
		{"NOREPLICAS Not enough good replicas to write.", CodeUnavailable, true},
		{"MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk.", CodeUnavailable, true},
		{"ERR max number of clients reached", CodeUnavailable, true},
		{"OOM command not allowed when used memory > 'maxmemory'.", CodeOutOfMemory, false},
		{"NOAUTH Authentication required.", CodeAccessDenied, false},
		{"WRONGPASS invalid username-password pair or user is disabled.", CodeAccessDenied, false},
		{"NOPERM this user has no permissions to run the 'hset' command", CodeAccessDenied, false},
		{"WRONGTYPE Operation against a key holding the wrong kind of value", CodeCorruptRecord, false},
		{"ERR unknown command 'FOO'", CodeRejected, false},
	}
	for _, tc := range tests {
		t.Run(strings.Fields(tc.reply)[0], func(t *testing.T) {
			err := redisError("storage.Test", "itemvec:v1", fmt.Errorf("exec: %w", reply(tc.reply)))
			if got := itemvec.CodeOf(err); got != tc.code {
				t.Errorf("code = %q, want %q", got, tc.code)
			}
			if got := itemvec.IsRetryable(err); got != tc.retryable {
				t.Errorf("retryable = %v, want %v", got, tc.retryable)
			}
			if !strings.Contains(err.Error(), tc.reply) {
				t.Errorf("message %q lacks the server's reply", err)
			}
			if _, ok := redisReplies[strings.Fields(tc.reply)[0]]; ok && !strings.Contains(err.Error(), "(") {
				t.Errorf("message %q has no hint", err)
			}
		})
	}
}

func TestTxError_ClassifiesExecAbortByItsCause(t *testing.T) {
	abort := reply("EXECABORT Transaction discarded because of previous errors.")
	tests := []struct {
		queued    string
		code      string
		retryable bool
	}{
		{"LOADING Redis is loading the dataset in memory", CodeUnavailable, true},
		{"READONLY You can't write against a read only replica.", CodeUnavailable, true},
		{"OOM command not allowed when used memory > 'maxmemory'.", CodeOutOfMemory, false},
		{"", CodeRejected, false}, // no cause found: the abort itself
	}
	for _, tc := range tests {
		cmds := []redis.Cmder{redis.NewStatusCmd(t.Context(), "hset", "a"), redis.NewStatusCmd(t.Context(), "hset", "b")}
		if tc.queued != "" {
			cmds[1].SetErr(reply(tc.queued))
		}
		err := txError("storage.Test", "itemvec:v1", abort, cmds)
		if got := itemvec.CodeOf(err); got != tc.code {
			t.Errorf("%q: code = %q, want %q (%v)", tc.queued, got, tc.code, err)
		}
		if got := itemvec.IsRetryable(err); got != tc.retryable {
			t.Errorf("%q: retryable = %v, want %v", tc.queued, got, tc.retryable)
		}
		if !errors.Is(err, abort) {
			t.Errorf("%q: the EXECABORT reply is not reachable from %v", tc.queued, err)
		}
		if tc.queued != "" && !strings.Contains(err.Error(), tc.queued) {
			t.Errorf("message %q does not name the cause %q", err, tc.queued)
		}
	}
}
