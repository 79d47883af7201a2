package standin

import (
	"fmt"

	"github.com/itemvec/itemvec"
)

// CodeInvalidConfig is the code of the error for a [Config] this package
// cannot build a model from: an *itemvec.Error of kind itemvec.KindConfig
// whose message is "standin: Config.Field: what is wrong", naming the field
// at fault, e.g. "Heads". The same Config fails the same way: it is not
// retryable.
const CodeInvalidConfig = "invalid_config"

func configError(field, format string, args ...any) error {
	return &itemvec.Error{
		Kind: itemvec.KindConfig,
		Op:   "standin.BERT",
		Code: CodeInvalidConfig,
		Err:  fmt.Errorf("standin: Config.%s: %w", field, fmt.Errorf(format, args...)),
	}
}

// writeError classifies a failure of [WriteFile]: err, whose chain holds
// the os error, is the message. A file that cannot be written is the
// deployment's to fix (a missing or read-only folder, a full disk).
func writeError(err error) error {
	return itemvec.E(itemvec.KindConfig, "standin.WriteFile", err)
}
