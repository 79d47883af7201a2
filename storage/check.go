package storage

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// CheckServer verifies the Redis settings the contract needs before a
// worker starts. It refuses (a CodeServerConfig error, kind
// itemvec.KindConfig) an eviction policy that may evict any key
// (allkeys-*: queued tasks and published vectors would vanish without a
// trace) and a Redis Cluster node reached with a single-node client. It
// returns warnings, for a person to read, about a volatile-* policy (asynq's
// keys with a TTL may go early), a server that persists nothing (a restart
// loses the queue and every vector), and settings it cannot read (CONFIG
// renamed or denied, as on some managed services). A server it cannot reach
// is a classified error.
func CheckServer(ctx context.Context, rdb redis.UniversalClient) (warnings []string, err error) {
	const op = "storage.CheckServer"
	if err := rdb.Ping(ctx).Err(); err != nil {
		return nil, redisError(op, "redis ping", err)
	}
	cfg, err := rdb.ConfigGet(ctx, "*").Result()
	if err != nil {
		warnings = append(warnings, fmt.Sprintf("cannot read the Redis configuration (%v): eviction policy and persistence not verified; itemvec needs maxmemory-policy noeviction", err))
	} else {
		switch policy := cfg["maxmemory-policy"]; {
		case strings.HasPrefix(policy, "allkeys-"):
			return warnings, newError(op, "maxmemory-policy", CodeServerConfig,
				fmt.Errorf("maxmemory-policy is %s: Redis may evict queued tasks and published vectors when memory runs out; set maxmemory-policy noeviction (CONFIG SET maxmemory-policy noeviction, and in redis.conf)", policy))
		case strings.HasPrefix(policy, "volatile-"):
			warnings = append(warnings, fmt.Sprintf("maxmemory-policy is %s: Redis may evict asynq's keys that have a TTL (completed tasks kept for deduplication, server heartbeats); noeviction is recommended", policy))
		}
		if cfg["appendonly"] == "no" && strings.TrimSpace(cfg["save"]) == "" {
			warnings = append(warnings, "Redis persists nothing (appendonly no, save \"\"): a restart loses the task queue and every published vector; turn on appendonly")
		}
	}
	if _, single := rdb.(*redis.Client); single {
		info, err := rdb.Info(ctx, "cluster").Result()
		if err == nil && strings.Contains(info, "cluster_enabled:1") {
			return warnings, newError(op, "cluster_enabled", CodeServerConfig,
				fmt.Errorf("this Redis is a Redis Cluster node, which a single-node client cannot use: pass the cluster's nodes as a comma-separated list of URLs (--redis redis://host1:6379,redis://host2:6379,…)"))
		}
	}
	return warnings, nil
}
