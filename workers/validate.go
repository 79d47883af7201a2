package workers

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/itemvec/itemvec/storage"
)

// MaxIDLength bounds item ids: they become part of a Redis key.
const MaxIDLength = 256

// InputError is an item that cannot be processed as given. Never retryable.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

// Retryable is always false: the same input fails the same way.
func (e *InputError) Retryable() bool { return false }

var errDuplicateID = &InputError{Msg: "the same id appears twice in one task; the first occurrence was used"}

// validateID checks that id can name a Redis key of the contract.
func validateID(id string) error {
	switch {
	case id == "":
		return &InputError{Msg: "item has no id"}
	case len(id) > MaxIDLength:
		return &InputError{Msg: fmt.Sprintf("id is %d bytes, over the %d limit", len(id), MaxIDLength)}
	case !utf8.ValidString(id):
		return &InputError{Msg: "id is not valid UTF-8"}
	case strings.ContainsAny(id, " \t\r\n"):
		return &InputError{Msg: fmt.Sprintf("id %q contains whitespace", id)}
	}
	return nil
}

// validateItem checks what can be checked without I/O.
func validateItem(it Item) error {
	if err := validateID(it.ID); err != nil {
		return err
	}
	switch {
	case len(it.Images) == 0 && it.Behavior == nil && it.Text == nil:
		return &InputError{Msg: "item has no images, text or behaviour: nothing to embed"}
	}
	for _, uri := range it.Images {
		if _, _, err := storage.ParseURI(uri); err != nil {
			return &InputError{Msg: fmt.Sprintf("image %q: %v", uri, err)}
		}
	}
	if it.Text != nil && (!utf8.ValidString(it.Text.Title) || !utf8.ValidString(it.Text.Description)) {
		return &InputError{Msg: "text is not valid UTF-8"}
	}
	return nil
}

// ValidateItem is validateItem for callers outside the package (the
// enqueuer checks manifests before anything reaches the queue).
func ValidateItem(it Item) error { return validateItem(it) }
