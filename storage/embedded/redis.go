package embedded

import (
	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec"
)

// Redis is an in-process Redis server (miniredis) with a client for it.
type Redis struct {
	server *miniredis.Miniredis
	client *redis.Client
}

// StartRedis starts an empty server on 127.0.0.1 and a free port. Stop it
// with Close.
func StartRedis() (*Redis, error) {
	mr, err := miniredis.Run()
	if err != nil {
		return nil, itemvec.E(itemvec.KindUnavailable, "embedded.StartRedis", err)
	}
	return &Redis{server: mr, client: redis.NewClient(&redis.Options{Addr: mr.Addr()})}, nil
}

// Addr is the server's host:port.
func (r *Redis) Addr() string { return r.server.Addr() }

// URL is a redis:// URL for database 0 of the server.
func (r *Redis) URL() string { return "redis://" + r.server.Addr() + "/0" }

// Client is a client for database 0; Close closes it.
func (r *Redis) Client() *redis.Client { return r.client }

// Close closes the client and stops the server. Data is lost.
func (r *Redis) Close() error {
	err := r.client.Close()
	r.server.Close()
	return err
}
