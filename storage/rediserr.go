package storage

import (
	"errors"
	"strings"

	"github.com/redis/go-redis/v9"
)

// redisReply says what a Redis error reply means: its code and, for replies
// an operator must act on, what to do.
type redisReply struct {
	code string
	hint string
}

// redisReplies classifies server error replies by their first word. The
// transient ones are retried by workers with backoff; the others need an
// operator, and their hint says what to change.
var redisReplies = map[string]redisReply{
	// Transient: the server is restarting, failing over, resharding or busy.
	"LOADING":     {code: CodeUnavailable, hint: "Redis is loading its data after a restart"},
	"BUSY":        {code: CodeUnavailable, hint: "Redis is running a long script"},
	"MASTERDOWN":  {code: CodeUnavailable, hint: "the replica lost its primary"},
	"READONLY":    {code: CodeUnavailable, hint: "connected to a replica, e.g. during a failover"},
	"TRYAGAIN":    {code: CodeUnavailable, hint: "cluster keys are being migrated"},
	"CLUSTERDOWN": {code: CodeUnavailable, hint: "the cluster is down"},
	"MOVED":       {code: CodeUnavailable, hint: "the cluster slot moved"},
	"ASK":         {code: CodeUnavailable, hint: "the cluster slot is migrating"},
	"NOREPLICAS":  {code: CodeUnavailable, hint: "not enough replicas acknowledged the write"},
	"MISCONF":     {code: CodeUnavailable, hint: "Redis cannot persist to disk and refuses writes until it can; check its disk and log"},
	// Not transient: an operator must act.
	"OOM":       {code: CodeOutOfMemory, hint: "Redis reached maxmemory and evicts nothing (noeviction): raise maxmemory or delete old spaces, then re-enqueue the failed items"},
	"NOAUTH":    {code: CodeAccessDenied, hint: "Redis wants a password: put it in the Redis URL (redis://:PASSWORD@host:port/0)"},
	"WRONGPASS": {code: CodeAccessDenied, hint: "the user or password in the Redis URL is wrong"},
	"NOPERM":    {code: CodeAccessDenied, hint: "the Redis ACL user lacks a command or key itemvec needs (keys itemvec:* and asynq:*)"},
	"WRONGTYPE": {code: CodeCorruptRecord, hint: "a key under itemvec's prefix holds another type: another program writes there; delete the key or use another space"},
}

// replyCause is a Redis error reply with what to do about it. Unwrap
// returns the reply, so errors.As finds the redis.Error.
type replyCause struct {
	err  error
	hint string
}

func (c *replyCause) Error() string { return c.err.Error() + " (" + c.hint + ")" }
func (c *replyCause) Unwrap() error { return c.err }

// redisError is the error of op for err, a go-redis failure about key.
func redisError(op, key string, err error) error {
	code, cause := classifyRedis(err)
	return newError(op, key, code, cause)
}

// txError is the error of op for err, the failure of a MULTI/EXEC of cmds
// about key. When EXEC was aborted (EXECABORT) because Redis refused a
// queued command, the error is classified by that command's reply: a
// transaction refused while Redis is LOADING is transient, one refused for
// OOM is not.
func txError(op, key string, err error, cmds []redis.Cmder) error {
	if redis.IsExecAbortError(err) {
		for _, c := range cmds {
			if cerr := c.Err(); cerr != nil && isReply(cerr) && !redis.IsExecAbortError(cerr) {
				code, cause := classifyRedis(cerr)
				return newError(op, key, code, &abortCause{queued: cause, exec: err})
			}
		}
	}
	return redisError(op, key, err)
}

// abortCause is an EXECABORT with the reply that caused it.
type abortCause struct {
	queued error // the reply (or replyCause) to the queued command
	exec   error // EXECABORT
}

func (c *abortCause) Error() string {
	return c.queued.Error() + "; the transaction was discarded (EXECABORT), nothing was written"
}
func (c *abortCause) Unwrap() []error { return []error{c.queued, c.exec} }

// classifyRedis maps a go-redis error to a code and the cause to report:
// server replies by their first word (with a hint for those an operator
// must act on), then the pool, context and network failures. Anything else
// is CodeUnavailable.
func classifyRedis(err error) (string, error) {
	if rerr, ok := errors.AsType[redis.Error](err); ok {
		word, _, _ := strings.Cut(rerr.Error(), " ")
		if r, ok := redisReplies[word]; ok {
			return r.code, &replyCause{err: err, hint: r.hint}
		}
		if strings.Contains(rerr.Error(), "max number of clients") {
			return CodeUnavailable, err
		}
		return CodeRejected, err
	}
	if errors.Is(err, redis.ErrPoolTimeout) {
		return CodeTimeout, err
	}
	if code, ok := classifyTransport(err); ok {
		return code, err
	}
	return CodeUnavailable, err
}

// isReply reports whether err is an error reply of the server (not a
// network or client failure).
func isReply(err error) bool {
	_, ok := errors.AsType[redis.Error](err)
	return ok
}
