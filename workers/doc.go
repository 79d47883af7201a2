// Package workers is where itemvec's pieces meet: the [Worker], which
// owns the models and runs every item through fetch -> decode+prep ->
// inference (image and text micro-batchers) -> fusion -> publish; the asynq
// task type itemvec:embed and its payload; and the manifest enqueuer.
//
// It is the only package that knows storage, extract, onnx and fusion at
// once. The lower packages never import it; what it needs from them it
// names as small interfaces here (ObjectReader, ImageEncoder, TextEncoder,
// VectorStore), so tests can put fault-injecting stand-ins in their place.
// Its sub-package modelspec reads model spec files (the one place an
// extract half and an onnx half of a model's description meet); demo holds
// the embedded job of itemvec run and bench. Nothing on the worker's code
// path imports demo, the in-process stand-ins (storage/embedded) or the
// setup-time converters (onnx/convert): a test checks it.
//
// # Configuration and lifecycle
//
// [Config] has a documented default for every field, applied in one place
// ([Config.WithDefaults]); the exported Default* constants are those
// defaults, and the command line's flags show them. [New] loads the models
// and checks them; [Worker.Start] or [Worker.Run] serves tasks;
// [Worker.Shutdown] stops taking tasks and finishes the running ones;
// [Worker.Close] frees the C resources once. [Worker.Embed] runs one item
// through the same pipeline without publishing.
//
// # Failure policy
//
// An item whose input is bad (a missing object, a corrupt image, invalid
// behaviour numbers) is recorded in Redis with its reason and the rest of
// its task is still published. A retryable failure (network, 5xx,
// timeouts, Redis down) makes the task fail so asynq retries it; items
// already published are skipped on a retry when their content hash
// matches. After the last retry the items that still fail are recorded too
// and asynq archives the task with the reason. Failures are classified by
// their itemvec kind (package itemvec) only; an unclassified error is a bug:
// it is not retried, the item is recorded as "<stage>_internal" and the
// error is logged at ERROR level.
package workers
