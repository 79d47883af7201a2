// Package workers is where itemvec's pieces meet: the asynq task type
// itemvec:embed and its payload, the manifest enqueuer, the handler that runs
// one task through fetch -> decode+prep -> inference -> fusion -> publish, and
// the wiring of a worker server.
//
// It is the only package that knows storage, extract, onnx and fusion at once.
// The lower packages never import it; what it needs from them it names as small
// interfaces here (ObjectReader, ImageEncoder, VectorStore), so tests can put
// fault-injecting stand-ins in their place.
//
// Failure policy: an item whose input is bad (a missing object, a corrupt
// image, invalid behaviour numbers) is recorded in Redis with its reason and
// the rest of its task is still published. A retryable failure (network,
// 5xx, timeouts, Redis down) makes the task fail so asynq retries it; items
// already published are skipped on a retry when their content hash matches.
// After the last retry the items that still fail are recorded too and asynq
// archives the task with the reason.
package workers
