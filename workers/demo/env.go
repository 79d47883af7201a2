package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/itemvec/itemvec/storage/embedded"
	"github.com/itemvec/itemvec/workers/demo/catalog"
)

// Env is the embedded environment of itemvec run and bench: a Redis
// (in-process, or a redis-server process for bench) and an in-process S3
// API, and the sample catalog make setup prepared.
type Env struct {
	Redis   *embedded.Redis
	S3      *embedded.S3
	Catalog *catalog.Catalog
}

// StartEnv loads the sample catalog from catalogDir and starts an empty
// in-process S3 and Redis, or with redisServer (the path of a redis-server
// binary) a throw-away redis-server process instead of the in-process
// Redis. Close stops them.
func StartEnv(ctx context.Context, catalogDir, redisServer string) (*Env, error) {
	cat, err := catalog.Load(catalogDir)
	if err != nil {
		return nil, fmt.Errorf("load the sample catalog (run make setup): %w", err)
	}
	var rdb *embedded.Redis
	if redisServer != "" {
		if rdb, err = embedded.StartRedisServer(ctx, redisServer); err != nil {
			return nil, fmt.Errorf("start %s: %w", redisServer, err)
		}
	} else if rdb, err = embedded.StartRedis(); err != nil {
		return nil, fmt.Errorf("start in-process Redis: %w", err)
	}
	s3, err := embedded.StartS3(ctx)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("start in-process S3: %w", err), rdb.Close())
	}
	return &Env{Redis: rdb, S3: s3, Catalog: cat}, nil
}

// Close stops the in-process servers; their data is lost.
func (e *Env) Close() error {
	return errors.Join(e.S3.Close(), e.Redis.Close())
}
