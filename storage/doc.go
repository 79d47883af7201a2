// Package storage is where bytes and vectors cross the process edge, and the
// only itemvec package that does network I/O: S3 in, Redis out.
//
// S3Reader fetches an item's source objects (s3://bucket/key) with
// aws-sdk-go-v2, taking credentials from the standard AWS chain and refusing
// objects larger than a configured limit. VectorStore writes item vectors,
// the update stream, per-item failure records and the active-space pointer
// to Redis with go-redis, following the key and field contract below, and
// reads them back.
//
// # Redis contract
//
// docs/contract.md is the full contract (meta, item index, promotions,
// warnings, float16). In short, for a space S (a name made of letters,
// digits, '.', '_' and '-'):
//
//	itemvec:current              STRING  the active space name
//	itemvec:S:item:{<id>}        HASH    one per item (the id is a cluster hash tag):
//	    vec           fused vector, little-endian float32 bytes (RediSearch VECTOR FLOAT32)
//	    vec:image     per-modality blocks, same encoding; a field is present
//	    vec:text      only when its modality was published, and is deleted
//	    vec:behavior  when a later publish lacks that modality
//	    dim           decimal length of vec
//	    spec          fusion spec id
//	    spec_hash     fusion spec hash
//	    content_hash  hex hash of the inputs the vector was computed from
//	    updated_at    unix milliseconds, decimal
//	    modalities    comma-separated present modalities, e.g. "image,behavior"
//	itemvec:S:updates            STREAM  one entry per published item, fields
//	                                     id, op ("upsert"), content_hash, updated_at;
//	                                     trimmed with MAXLEN ~ StoreConfig.StreamMaxLen
//	itemvec:S:failed:{<id>}      HASH    reason, kind, uri, task, attempt, at (unix ms), item
//	itemvec:S:failed             ZSET    ids of failed items scored by at
//
// A successful publish of an item deletes its failure hash and index entry
// in the same MULTI/EXEC as the item hash and its stream entry. On a Redis
// Cluster (a client from comma-separated URLs) no transaction spans two
// slots: a script writes the item hash and deletes its failure record in
// the item's slot, and the stream and index commands follow in the same
// pipeline.
//
// # Errors
//
// Every error this package returns, a canceled or expired context
// included, is an *itemvec.Error; only an error of a ScanItems callback
// comes back as it is. Its Op names the call, e.g. "storage.S3Reader.Get";
// its Code is one of the Code* constants, the stable reason a worker
// stores in a failure record; its Kind follows from the code:
//
//	bad_uri, object_too_large, rejected      itemvec.KindBadInput
//	object_missing, bucket_missing           itemvec.KindNotFound
//	access_denied, corrupt_record            itemvec.KindConfig
//	unavailable, throttled                   itemvec.KindUnavailable
//	timeout                                  itemvec.KindTimeout
//	canceled                                 itemvec.KindCanceled
//	invalid_input                            itemvec.KindBadInput for the data of a call
//	                                         (Publish, RecordFailures, a space name),
//	                                         itemvec.KindConfig for a configuration
//	                                         NewS3Reader or NewRedisClient refuse
//
// So itemvec.IsRetryable tells a worker whether to retry (network trouble,
// 5xx, throttling, timeouts, cancellation) or to give up and record a
// failure (missing object, bad URI, oversized object), and a KindConfig
// error (access denied, a record that breaks the contract) needs an
// operator. Every network failure is classified, unknown ones as
// unavailable: none reaches a caller as itemvec.KindInternal.
//
// The message starts with what the call was about, an s3:// URI, a Redis
// key or a redacted Redis URL ("decode vector" or "s3 config" where there
// is none): "<uri>: <what went wrong> (<server code>)" when the server
// answered with an error code, else "<uri>: <what went wrong>: <cause>".
// The cause stays reachable with errors.Is and errors.As.
//
// The package does not decode images, run models or fuse vectors, and it
// never panics on input.
package storage
